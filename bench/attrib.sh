#!/bin/sh
# Where the CPU goes per request at concurrency 4 on -x 4: CPU time of
# the mux, the worker sessions and the handlers from /proc, divided by
# the requests served; the whole machine's busy time, context switches
# and system calls per request (the load generator's included, as in
# the floor's); then perf's top symbols in the worker sessions.
# usage: bench/attrib.sh [builddir]
set -eu
B=$(cd "${1:-build}" && pwd)
# The benchmark programs build apart from mux (make bench); a tree from
# before that built them with mux and has no such target.
cmake --build "$B" --target benches -- --no-print-directory >/dev/null 2>&1 ||
    true
D=$(mktemp -d /tmp/mux-attrib.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$D"' EXIT

# Whole machine: busy ticks (user, nice, system, irq, softirq) and
# context switches, from /proc/stat.
sys() { awk '/^cpu /{ b = $2 + $3 + $4 + $7 + $8 } /^ctxt/{ c = $2 }
	END { print b, c }' /proc/stat; }
sysper() {	# before, after, requests
	echo "$1 $2 $3" | awk '{ printf "  whole machine per request: %.1f us busy, %.2f context switches\n", ($3 - $1) * 1e4 / $5, ($4 - $2) / $5 }'
}
# System calls per request, the whole machine, in a run of its own.
syscalls() {	# socket
	perf stat -x, -e raw_syscalls:sys_enter -a -o "$D/s.out" -- \
	    "$B/mux-bench-load" -c 4 -t 2 "$1" > "$D/l2.out"
	awk -F, -v n="$(sed 's/.*ok=\([0-9]*\).*/\1/' "$D/l2.out")" \
	    '/sys_enter/ { printf "  system calls per request: %.2f\n", $1 / n }' \
	    "$D/s.out"
}

ticks() { t=0; for p in "$@"; do
	t=$((t + $(awk '{print $14+$15}' /proc/$p/stat 2>/dev/null || echo 0)))
	done; echo $t; }

attrib() {	# name, then the mux command without its options
	name=$1; shift
	"$@" -D -x 4 -m 4 -w 1 -r 100000000 -s "$D/a.sock" 2>/dev/null & mp=$!
	sleep 4.5
	w=$(pgrep -P $mp | tr '\n' ' ')
	h=$(for p in $w; do pgrep -P $p || true; done | tr '\n' ' ')
	# CPU from /proc without perf attached: perf slows everything.
	w0=$(ticks $w); h0=$(ticks $h); m0=$(ticks $mp); s0=$(sys)
	"$B/mux-bench-load" -c 4 -t 4 "$D/a.sock" > "$D/l.out"
	n=$(sed 's/.*ok=\([0-9]*\).*/\1/' "$D/l.out")
	w1=$(ticks $w); h1=$(ticks $h); m1=$(ticks $mp); s1=$(sys)
	echo "$name: $(cat "$D/l.out")"
	sysper "$s0" "$s1" "$n"
	awk -v n="$n" -v w=$((w1 - w0)) -v h=$((h1 - h0)) -v m=$((m1 - m0)) \
	    'BEGIN { printf "  CPU per request: mux %.2f us, worker sessions %.1f us, handlers %.1f us\n", m * 1e4 / n, w * 1e4 / n, h * 1e4 / n }'
	syscalls "$D/a.sock"
	# Then the symbols of the worker sessions, in a second run.
	perf record -q -e cpu-clock -g -o "$D/p.data" \
	    -p "$(echo $mp $w $h | tr ' ' ',')" -- sleep 4 >/dev/null 2>&1 &
	pp=$!
	"$B/mux-bench-load" -c 4 -t 4 "$D/a.sock" > /dev/null
	wait $pp || true
	perf report -i "$D/p.data" --no-children --comm mux-worker \
	    --sort dso --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -3
	perf report -i "$D/p.data" --no-children --comm mux-worker \
	    --sort sym --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' | head -12
	kill $mp; wait $mp 2>/dev/null || true
}

# The floor, for the whole-machine figures to compare with.
"$B/mux-bench-floor" "$D/f.sock" & fp=$!
sleep 0.5
"$B/mux-bench-load" -c 4 -t 1 "$D/f.sock" > /dev/null
s0=$(sys)
"$B/mux-bench-load" -c 4 -t 4 "$D/f.sock" > "$D/l.out"
s1=$(sys)
echo "floor: $(cat "$D/l.out")"
sysper "$s0" "$s1" "$(sed 's/.*ok=\([0-9]*\).*/\1/' "$D/l.out")"
syscalls "$D/f.sock"
kill $fp; wait $fp 2>/dev/null || true

echo "PinWorkers off" > "$D/off.conf"
attrib "mux (PinWorkers auto)" "$B/mux" -f "$B/mux-bench-worker"
attrib "mux, PinWorkers off" "$B/mux" --config "$D/off.conf" \
    -f "$B/mux-bench-worker"
attrib "mux, PinWorkers on" "$B/mux" --pin-workers -f "$B/mux-bench-worker"
attrib inproc "$B/mux-bench-inproc"
