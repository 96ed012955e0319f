#!/bin/sh
# The layers of src/ (docs/architecture.md), checked from the sources
# themselves:
#  1. A folder includes only the headers of folders below it in LAYERS
#     (the build enforces it too: each library sees only its own include
#     directories and those of the libraries below).
#     So no two folders include each other.
#  2. The planes (src/notify) reach the core (src/mux) only through its
#     facade, plane.h, and its pure parts events.h, acl.h, line.h, acc.h.
#  3. Above src/worker, only its wire.h is included: the contract.
#  4. No source file passes 700 lines.
# Prints each breach; exits 1 if there is one.
src=${1:-.}/src
# Bottom to top; a folder not listed (src/shim) may include nothing.
LAYERS="common worker mux notify main"
bad=0

# Which folder owns a header name (names are unique across folders).
owner() {
	for d in "$src"/*/; do
		[ -f "$d$1" ] && basename "$d"
	done
}

# "from to" for every include of a header of another folder.
edges() {
	for f in "$src"/*/*.[ch]; do
		from=$(basename "$(dirname "$f")")
		sed -n 's/^#include "\(.*\)".*/\1/p' "$f" | while read -r h; do
			to=$(owner "$(basename "$h")")
			[ -n "$to" ] && [ "$to" != "$from" ] &&
			    echo "$from $to $(basename "$f") $h"
		done
	done
}
E=$(edges)

down=$(echo "$E" | awk -v layers="$LAYERS" 'BEGIN {
	n = split(layers, l, " ")
	for (i = 1; i <= n; i++)
		rank[l[i]] = i
}
NF && (!($1 in rank) || !($2 in rank) || rank[$2] >= rank[$1]) {
	print "layers: src/" $1 "/" $3 " includes " $4 " (src/" $2 ")" }')
if [ -n "$down" ]; then
	echo "$down"
	bad=1
fi

wide=$(echo "$E" | awk -v ok="plane.h events.h acl.h line.h acc.h" 'BEGIN {
	n = split(ok, f, " ")
	for (i = 1; i <= n; i++)
		allow[f[i]] = 1
}
$1 == "notify" && $2 == "mux" && !($4 in allow) {
	print "layers: src/notify/" $3 " includes " $4 ", not the core'"'"'s facade (plane.h)" }')
if [ -n "$wide" ]; then
	echo "$wide"
	bad=1
fi

deep=$(echo "$E" | awk '$2 == "worker" && $1 != "worker" {
	h = $4
	sub(/.*\//, "", h)
	if (h != "wire.h")
		print "layers: src/" $1 "/" $3 " includes " $4 \
		    ", not the workers'"'"' contract (wire.h)" }')
if [ -n "$deep" ]; then
	echo "$deep"
	bad=1
fi

for f in "$src"/*/*.[ch]; do
	rel=${f#"$src"/}
	n=$(wc -l < "$f")
	if [ "$n" -gt 700 ]; then
		echo "layers: src/$rel has $n lines, over 700"
		bad=1
	fi
done
exit $bad
