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
# The ones conf.c's table marks CW_RESTART are the ones mux.conf(5)
# lists as changing only on restart, and no others.
awk '/^	\{ "/ { e = $0; while (e !~ /\},$/ && (getline l) > 0) e = e l;
    if (e ~ /CW_RESTART/) { match(e, /"[A-Za-z]+"/);
    print substr(e, RSTART + 1, RLENGTH - 2) } }' "$src/src/mux/conf.c" |
    sort >/tmp/man_directives.$$.a
sed -n '/^Directives that change only on restart/,/^\.Ic NotifySocket/p' \
    "$src/man/mux.conf.5" | sed -n 's/^\.Ic //p' | tr -d ',.' | tr ' ' '\n' |
    grep -v '^$' | grep -v '^Listen$' | grep -v '^NotifySocket$' |
    sort >/tmp/man_directives.$$.b
if ! diff /tmp/man_directives.$$.a /tmp/man_directives.$$.b; then
	echo "mux.conf.5's restart list (>) differs from conf.c's CW_RESTART (<)"
	missing=$((missing + 1))
fi
nrestart=$(wc -l </tmp/man_directives.$$.a)
rm -f /tmp/man_directives.$$.a /tmp/man_directives.$$.b
echo "$(echo $names | wc -w) directives checked ($nrestart restart-only), $missing missing"
[ $missing -eq 0 ]
