#!/bin/sh
# Two mux builds and MIMEDefang's mimedefang-multiplexor side by side,
# interleaved over ROUNDS rounds: the external C worker, -x 4, one
# request per connection, concurrency 1, 4 and 16; medians per cell.
# For "did this change cost speed": build the old tree in another
# directory (git worktree add /tmp/old HEAD~N && cmake ... in it).
# usage: bench/ab.sh OLDBUILD NEWBUILD [seconds] [rounds]
set -eu
O=$1; N=$2; T=${3:-4}; ROUNDS=${4:-3}
# The benchmark programs build apart from mux (make bench); a tree from
# before that built them with mux and has no such target.
for b in "$O" "$N"; do
	cmake --build "$b" --target benches -- --no-print-directory \
	    >/dev/null 2>&1 || true
done
REF=$(command -v mimedefang-multiplexor || true)
REFUSER=$(id -un defang 2>/dev/null || echo nobody)
D=$(mktemp -d /tmp/mux-ab.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$D"' EXIT
chmod 0711 "$D"; mkdir "$D/ref"; chown "$REFUSER" "$D/ref"
ARGS="-D -x 4 -m 4 -w 1 -r 100000000 -q 64"
W=$(cd "$N" && pwd)/mux-bench-worker
wait_idle() {
	i=0
	while [ $i -lt 100 ]; do
		[ "$(echo status | socat - UNIX-CONNECT:"$1" 2>/dev/null |
		    cut -c1-4)" = IIII ] && return 0
		sleep 0.1; i=$((i+1))
	done
}
run() {	# name socket
	"$N/mux-bench-load" -c 4 -t 1 "$2" >/dev/null
	for c in 1 4 16; do
		printf '%s %s ' "$1" $c >>"$D/raw"
		"$N/mux-bench-load" -c $c -t "$T" "$2" |
		    sed -n 's/.*req\/s=\([0-9]*\).*/\1/p' >>"$D/raw"
	done
}
serve() {	# name binary socket [args]
	n=$1; b=$2; s=$3; shift 3
	"$b" $ARGS "$@" -s "$s" -f "$W" 2>/dev/null & p=$!
	sleep 0.3; wait_idle "$s"; run "$n" "$s"
	kill $p; wait $p 2>/dev/null || true; rm -f "$s"
}
r=1
while [ $r -le "$ROUNDS" ]; do
	[ -n "$REF" ] && serve reference "$REF" "$D/ref/s.sock" -z "$D/ref" \
	    -U "$REFUSER"
	serve old "$O/mux" "$D/old.sock"
	serve new "$N/mux" "$D/new.sock"
	r=$((r+1))
done
# Medians, and each mux as a ratio to the reference.
awk '{ v[$1" "$2] = v[$1" "$2] " " $3 }
END {
	for (k in v) {
		n = split(v[k], a, " ")
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
		med[k] = a[int((n + 1) / 2)]
	}
	printf "%-10s %8s %8s %8s\n", "server", "c=1", "c=4", "c=16"
	split("reference old new", s, " ")
	for (i = 1; i <= 3; i++) {
		if (!((s[i] " 1") in med)) continue
		printf "%-10s %8d %8d %8d", s[i], med[s[i]" 1"], med[s[i]" 4"],
		    med[s[i]" 16"]
		if (i > 1 && ("reference 1" in med))
			printf "   (%.2fx %.2fx %.2fx of the reference)",
			    med[s[i]" 1"] / med["reference 1"],
			    med[s[i]" 4"] / med["reference 4"],
			    med[s[i]" 16"] / med["reference 16"]
		printf "\n"
	}
}' "$D/raw"
