#!/bin/sh
# The man pages and the one table of options (src/mux/conf_opts.h), as
# "mux --directives" prints it: every directive has an entry in
# mux.conf(5) and every entry is a directive; every option has one in
# mux(8); the restart-only list in mux.conf(5) is the table's RESTART;
# the example etc/mux.conf names every directive and no other.
# usage: man_directives.sh SRCDIR MUX
src=${1:-.}
mux=${2:-$src/build/mux}
t=$(mktemp -d /tmp/man_directives.XXXXXX)
trap 'rm -rf "$t"' EXIT
"$mux" --directives >"$t/table" || { echo "$mux --directives failed"; exit 1; }
missing=0
say() { echo "$1"; missing=$((missing + 1)); }

awk -F'\t' '$1 != "-" { print $1 }' "$t/table" | sort >"$t/names"
sed -n 's/^\.It Ic \([A-Za-z]*\).*/\1/p' "$src/man/mux.conf.5" | sort >"$t/doc"
for n in $(comm -23 "$t/names" "$t/doc"); do
	say "mux.conf.5: directive $n is not documented"
done
for n in $(comm -13 "$t/names" "$t/doc"); do
	say "mux.conf.5: $n is documented but is no directive"
done

# Options: -x as ".It Fl x", --long as ".It Fl -long", "--" as ".It Fl -".
awk -F'\t' '$2 != "-" { print $2 }' "$t/table" | while read -r o; do
	f=$(printf '%s' "$o" | sed 's/^-//')
	grep -q "^\.It Fl $f\( \|$\)" "$src/man/mux.8" ||
	    echo "mux.8: option $o is not documented"
done >"$t/opts"
[ -s "$t/opts" ] && { cat "$t/opts"; missing=$((missing + $(wc -l <"$t/opts"))); }

# usage() (from the table) and mux(8)'s SYNOPSIS: the same options with
# the same arguments, as "[-x arg]" words.
"$mux" -h 2>&1 | awk '{
	for (i = 1; i <= length($0); i++) {
		c = substr($0, i, 1)
		if (c == "[" && d++ == 0) { w = ""; continue }
		if (c == "]" && --d == 0) { print "[" w "]"; continue }
		if (d > 0) w = w c
	}
}' | sed 's/  */ /g' | sort >"$t/usage"
sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' "$src/man/mux.8" |
    sed -n 's/^\.Op Fl //p' | sed 's/ Ns Op , Ns Ar \(.*\)/[,\1]/;
    s/ Op Ar \(.*\)/ [\1]/; s/ Ar / /; s/^/[-/; s/$/]/' | sort >"$t/synopsis"
if ! diff "$t/usage" "$t/synopsis"; then
	say "mux -h (<) and mux(8)'s SYNOPSIS (>) differ"
fi

# The example configuration names every directive, commented out.
for n in $(cat "$t/names"); do
	grep -q "^#$n " "$src/etc/mux.conf" ||
	    say "etc/mux.conf: directive $n is not in the example"
done
sed -n 's/^#\([A-Z][A-Za-z]*\) .*/\1/p' "$src/etc/mux.conf" | sort -u |
    comm -13 "$t/names" - | while read -r n; do
	echo "etc/mux.conf: $n is no directive"
done >"$t/extra"
[ -s "$t/extra" ] && { cat "$t/extra"; missing=$((missing + $(wc -l <"$t/extra"))); }

awk -F'\t' '$3 == "restart" { print $1 }' "$t/table" | sort >"$t/restart"
sed -n '/^Directives that change only on restart/,/^\.Ic NotifySocket/p' \
    "$src/man/mux.conf.5" | sed -n 's/^\.Ic //p' | tr -d ',.' | tr ' ' '\n' |
    grep -v '^$' | sort >"$t/restart.doc"
if ! diff "$t/restart" "$t/restart.doc"; then
	say "mux.conf.5's restart list (>) differs from the table's RESTART (<)"
fi
echo "$(wc -l <"$t/names") directives and $(awk -F'\t' '$2 != "-"' \
    "$t/table" | wc -l) options checked ($(wc -l <"$t/restart")" \
    "restart-only), $missing missing"
[ $missing -eq 0 ]
