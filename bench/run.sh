#!/bin/sh
# Side-by-side throughput: the floor (one epoll process answering itself),
# mux with the tiny external C worker (as it comes, and with --pin-workers),
# mux with the in-process handler,
# and MIMEDefang's own mimedefang-multiplexor with the same C worker when
# it is installed (apt-get install mimedefang; not needed otherwise).
# One request per connection on a UNIX socket, -x 4, concurrency 1, 4, 16.
# The servers are interleaved over ROUNDS rounds and the median of each
# cell is reported, because a shared VM drifts by 10-20% between runs.
# usage: bench/run.sh [builddir] [seconds] [rounds]
set -eu
B=${1:-build}
# The benchmark programs build apart from mux (make bench); a tree from
# before that built them with mux and has no such target.
cmake --build "$B" --target benches -- --no-print-directory >/dev/null 2>&1 ||
    true
T=${2:-5}
ROUNDS=${3:-3}
D=$(mktemp -d /tmp/mux-bench.XXXXXX)
RAW=$D/raw
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$D"' EXIT
MUXARGS="-D -x 4 -m 4 -w 1 -r 100000000 -q 64"
REFARGS=$MUXARGS	# the same pool: the options are MIMEDefang's
REF=$(command -v mimedefang-multiplexor || true)
# It will not run as root, and wants a spool directory of its own.
REFUSER=$(id -un defang 2>/dev/null || echo nobody)
if [ -n "$REF" ]; then
	mkdir "$D/ref" && chown "$REFUSER" "$D/ref" && chmod 0711 "$D"
fi

wait_sock() { i=0; while [ ! -S "$1" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; }
wait_idle() {
	i=0
	while [ $i -lt 100 ]; do
		s=$(echo status | socat - UNIX-CONNECT:"$1" 2>/dev/null | cut -c1-4)
		[ "$s" = IIII ] && return 0
		sleep 0.1; i=$((i+1))
	done
}
run() {	# name socket
	"$B/mux-bench-load" -c 4 -t 1 "$2" >/dev/null	# warm up
	for c in 1 4 16; do
		printf '%s ' "$1" >>"$RAW"
		"$B/mux-bench-load" -c $c -t "$T" "$2" | tee -a "$RAW" |
		    sed "s/^/$1 /" >&2
	done
}

r=1
while [ $r -le "$ROUNDS" ]; do
	"$B/mux-bench-floor" "$D/floor.sock" & p=$!
	wait_sock "$D/floor.sock"; run floor "$D/floor.sock"
	kill $p; wait $p 2>/dev/null || true; rm -f "$D/floor.sock"

	if [ -n "$REF" ]; then
		"$REF" -z "$D/ref" -U "$REFUSER" $REFARGS -s "$D/ref/s.sock" \
		    -f "$(pwd)/$B/mux-bench-worker" 2>/dev/null & p=$!
		wait_sock "$D/ref/s.sock"; wait_idle "$D/ref/s.sock"
		run reference "$D/ref/s.sock"; kill $p; wait $p 2>/dev/null || true
		rm -f "$D/ref/s.sock"
	fi

	"$B/mux" $MUXARGS -s "$D/ext.sock" -f "$(pwd)/$B/mux-bench-worker" \
	    2>/dev/null & p=$!
	wait_sock "$D/ext.sock"; wait_idle "$D/ext.sock"
	run external "$D/ext.sock"; kill $p; wait $p 2>/dev/null || true

	"$B/mux" $MUXARGS --pin-workers -s "$D/pin.sock" \
	    -f "$(pwd)/$B/mux-bench-worker" 2>/dev/null & p=$!
	wait_sock "$D/pin.sock"; wait_idle "$D/pin.sock"
	run pinned "$D/pin.sock"; kill $p; wait $p 2>/dev/null || true

	"$B/mux-bench-inproc" $MUXARGS -s "$D/in.sock" 2>/dev/null & p=$!
	wait_sock "$D/in.sock"; wait_idle "$D/in.sock"
	run inproc "$D/in.sock"; kill $p; wait $p 2>/dev/null || true
	r=$((r+1))
done

echo
echo "median of $ROUNDS rounds, $T s each (req/s; p50/p99 in us from the same run)"
printf '%-9s %6s %22s %22s\n' server conc req/s p50/p99
for n in floor ${REF:+reference} external pinned inproc; do
	for c in 1 4 16; do
		grep "^$n conc=$c " "$RAW" |
		    sed 's/.*req\/s=\([0-9]*\) p50=\([0-9]*\)us p99=\([0-9]*\)us.*/\1 \2 \3/' |
		    sort -n | awk -v n=$n -v c=$c '{ a[NR] = $0 }
		    END { split(a[int((NR + 1) / 2)], m, " ");
		    printf "%-9s %6d %22d %17d/%d\n", n, c, m[1], m[2], m[3] }'
	done
done
