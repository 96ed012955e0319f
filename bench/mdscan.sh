#!/bin/sh
# Real mail through Debian's mimedefang.pl with a small filter
# (bench/mdscan-filter), under MIMEDefang's own mimedefang-multiplexor
# and under mux, interleaved over ROUNDS rounds: bursts of BURST
# messages spooled as the milter spools them (bench/mdscan.pl), then the
# memory per worker slot: the PSS of the reference's worker against that
# of a mux worker session plus its mimedefang.pl, from smaps_rollup.
# Both run as the defang user with -x 4 -m 4 -q 64, as Debian's unit
# would with a queue.  Needs: apt-get install mimedefang.
# usage: bench/mdscan.sh [builddir] [burst] [bursts] [rounds]
set -eu
B=$(cd "${1:-build}" && pwd)
BURST=${2:-32}
BURSTS=${3:-4}
ROUNDS=${4:-3}
S=$(cd "$(dirname "$0")" && pwd)
REF=$(command -v mimedefang-multiplexor) ||
    { echo "mdscan.sh: apt-get install mimedefang first" >&2; exit 1; }
MDPL=/usr/bin/mimedefang.pl
U=defang
id "$U" >/dev/null
D=$(mktemp -d /tmp/mux-mdscan.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$D"' EXIT
chmod 0755 "$D"
install -o "$U" -m 0700 -d "$D/spool" "$D/ref"
install -m 0644 "$S/mdscan-filter" "$D/filter"
ARGS="-D -x 4 -m 4 -q 64 -r 1000 -w 1 -F $D/filter"

wait_idle() {	# socket
	i=0
	while [ $i -lt 300 ]; do
		st=$(echo status | socat - UNIX-CONNECT:"$1" 2>/dev/null |
		    cut -c1-4)
		[ "$st" = IIII ] && return 0
		sleep 0.1; i=$((i+1))
	done
	echo "mdscan.sh: $1 never had four idle workers" >&2; exit 1
}
pss() { awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
# name, the server's pid: PSS of the server (with mux's cleanup helper,
# which runs as root to remove its sockets at exit), and per slot (each
# worker child with its own children), in kB.
memory() {
	m=$(pss "$2"); t=0; n=0
	for c in $(pgrep -P "$2"); do
		if [ "$(cat /proc/$c/comm)" = mux-cleanup ]; then
			m=$((m + $(pss "$c"))); continue
		fi
		t=$((t + $(pss "$c"))); n=$((n + 1))
		for g in $(pgrep -P "$c"); do t=$((t + $(pss "$g"))); done
	done
	echo "$1 mem server=${m}kB slots=$n per-slot=$((t / (n > 0 ? n : 1)))kB" >>"$D/raw"
}
run() {	# name socket pid
	wait_idle "$2"
	# One scan each first: mimedefang.pl loads its modules lazily.
	perl "$S/mdscan.pl" "$2" "$D/spool" "$U" 4 1 >/dev/null
	printf '%s ' "$1" >>"$D/raw"
	perl "$S/mdscan.pl" "$2" "$D/spool" "$U" "$BURST" "$BURSTS" |
	    tee -a "$D/raw" | sed "s/^/$1 /" >&2
	memory "$1" "$3"
	kill "$3"; wait "$3" 2>/dev/null || true
}

r=1
while [ "$r" -le "$ROUNDS" ]; do
	"$REF" $ARGS -U "$U" -z "$D/ref" -f "$MDPL" -s "$D/ref/s.sock" \
	    2>/dev/null & p=$!
	run reference "$D/ref/s.sock" $p
	rm -f "$D/ref/s.sock"
	"$B/mux" $ARGS -U "$U" -f "$MDPL" -s "$D/mux.sock" 2>/dev/null & p=$!
	run mux "$D/mux.sock" $p
	r=$((r+1))
done

echo
echo "$ROUNDS rounds of $BURSTS bursts of $BURST messages: the median"
echo "round's messages/s, with its p50/p99 per message; memory per slot"
for n in reference mux; do
	grep "^$n burst=" "$D/raw" | sed 's/.*msgs\/s=\([0-9.]*\) p50=\([0-9.]*\)ms p99=\([0-9.]*\)ms.*/\1 \2 \3/' |
	    sort -n | awk -v n=$n '{ a[NR] = $0 } END { split(a[int((NR + 1) / 2)], m, " ");
	    printf "%-10s %8.1f msgs/s  p50 %7.1f ms  p99 %7.1f ms\n", n, m[1], m[2], m[3] }'
	grep "^$n mem " "$D/raw" | tail -1 |
	    sed 's/^[^ ]* mem /           memory: /'
done
grep -q ' bad=[1-9]' "$D/raw" && { echo "mdscan.sh: some scans failed" >&2; exit 1; }
exit 0
