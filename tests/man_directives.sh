#!/bin/sh
# Every directive the configuration parser knows is documented in
# mux.conf(5): the names in conf.c's table and the ones it handles itself.
src=${1:-.}
names=$(sed -n 's/^	{ "\([A-Za-z]*\)",.*/\1/p' "$src/src/mux/conf.c")
names="$names Command NotifySocket ControlsACLs MessageControlsACLs Class Listen Rules BannerExempt"
missing=0
for n in $names; do
	grep -q "^\.It Ic $n\( \|$\)" "$src/man/mux.conf.5" || {
		echo "mux.conf.5: directive $n is not documented"
		missing=$((missing + 1))
	}
	grep -qi "\"$n\"" "$src/src/mux/conf.c" || {
		echo "conf.c: $n is documented but not parsed"
		missing=$((missing + 1))
	}
done
echo "$(echo $names | wc -w) directives checked, $missing missing"
[ $missing -eq 0 ]
