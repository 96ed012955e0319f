#!/bin/sh
# Side-by-side throughput: the floor (one epoll process answering itself),
# mux with the tiny external C worker, mux with the in-process handler.
# One request per connection on a UNIX socket, -x 4, concurrency 1, 4, 16.
# usage: bench/run.sh [builddir] [seconds]
set -eu
B=${1:-build}
T=${2:-5}
D=$(mktemp -d /tmp/mux-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$D"' EXIT
MUXARGS="-D -x 4 -m 4 -w 1 -r 100000000 -q 64"

run() {	# name socket
	for c in 1 4 16; do
		printf '%-10s ' "$1"
		"$B/mux-bench-load" -c $c -t "$T" "$2"
	done
}
wait_sock() { i=0; while [ ! -S "$1" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; }
wait_idle() {	# socket: until all four workers are up
	i=0
	while [ $i -lt 100 ]; do
		s=$(echo status | socat - UNIX-CONNECT:"$1" 2>/dev/null | cut -c1-4)
		[ "$s" = IIII ] && return 0
		sleep 0.1; i=$((i+1))
	done
}

"$B/mux-bench-floor" "$D/floor.sock" & wait_sock "$D/floor.sock"
run floor "$D/floor.sock"; kill $!; wait $! 2>/dev/null || true

"$B/mux" $MUXARGS -s "$D/ext.sock" -f "$PWD/$B/mux-bench-worker" 2>/dev/null &
wait_sock "$D/ext.sock"; wait_idle "$D/ext.sock"
run external "$D/ext.sock"; kill $!; wait $! 2>/dev/null || true

"$B/mux-bench-inproc" $MUXARGS -s "$D/in.sock" 2>/dev/null &
wait_sock "$D/in.sock"; wait_idle "$D/in.sock"
run inproc "$D/in.sock"; kill $!; wait $! 2>/dev/null || true
