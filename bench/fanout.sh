#!/bin/sh
# Fan-out: from a pool state change until the last of N listeners has
# the line, N = 1, 100, 1,000 (mux-bench-fanout; one worker, in-process
# handler, so every request makes Z then Y).
# usage: bench/fanout.sh [builddir] [rounds]
set -eu
B=${1:-build}
# The benchmark programs build apart from mux (make bench); a tree from
# before that built them with mux and has no such target.
cmake --build "$B" --target benches -- --no-print-directory >/dev/null 2>&1 ||
    true
R=${2:-50}
D=$(mktemp -d /tmp/mux-fanout.XXXXXX)
trap 'kill $p 2>/dev/null; rm -rf "$D"' EXIT
ulimit -n 4096 2>/dev/null || true
"$B/mux-bench-inproc" -D -x 1 -m 1 -r 100000000 -s "$D/s" -O "$D/n.sock" \
    2>/dev/null & p=$!
i=0; while [ ! -S "$D/n.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
sleep 1
for n in 1 100 1000; do
	"$B/mux-bench-fanout" -n $n -r "$R" "$D/n.sock" "$D/s"
done
