#!/bin/sh
# Side-by-side throughput and latency: the floor (one epoll process
# answering itself), mux with the tiny external C worker (as it comes,
# with PinWorkers off and with it on), mux with the in-process handler,
# and MIMEDefang's own mimedefang-multiplexor with the same C worker when
# it is installed (apt-get install mimedefang; not needed otherwise).
# Then the same worker computing for 5 ms of CPU a request
# (MUX_BENCH_SPIN_US), under the reference and mux as it comes and with
# PinWorkers off: what a handler that does real work sees.
# One request per connection on a UNIX socket, -x 4, concurrency 1, 4, 16.
# The servers are interleaved over ROUNDS rounds and the median of each
# cell is reported, with the p50/p99 of that run and the ratio to the
# reference in the same round set, because a shared VM drifts by 10-20%
# between runs.
# usage: bench/run.sh [builddir] [seconds] [rounds]
set -eu
B=${1:-build}
# The benchmark programs build apart from mux (make bench); a tree from
# before that built them with mux and has no such target.
cmake --build "$B" --target benches -- --no-print-directory >/dev/null 2>&1 ||
    true
T=${2:-5}
ROUNDS=${3:-3}
SPIN=5000	# us of CPU a request for the slow rows
D=$(mktemp -d /tmp/mux-bench.XXXXXX)
RAW=$D/raw
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$D"' EXIT
MUXARGS="-D -x 4 -m 4 -w 1 -r 100000000 -q 64"
REFARGS=$MUXARGS	# the same pool: the options are MIMEDefang's
REF=$(command -v mimedefang-multiplexor || true)
# It will not run as root, and wants a spool directory of its own.
REFUSER=$(id -un defang 2>/dev/null || echo nobody)
chmod 0711 "$D"
if [ -n "$REF" ]; then
	mkdir "$D/ref" && chown "$REFUSER" "$D/ref"
fi
W=$(cd "$B" && pwd)/mux-bench-worker
echo "PinWorkers off" >"$D/off.conf"
echo "PinWorkers on" >"$D/on.conf"

wait_sock() { i=0; while [ ! -S "$1" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; }
wait_idle() {
	i=0
	while [ $i -lt 100 ]; do
		st=$(echo status | socat - UNIX-CONNECT:"$1" 2>/dev/null | cut -c1-4)
		[ "$st" = IIII ] && return 0
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
# name socket command...: start it, measure it, stop it.
serve() {
	sn=$1; ss=$2; shift 2
	"$@" 2>/dev/null & p=$!
	wait_sock "$ss"; [ "$sn" = floor ] || wait_idle "$ss"
	run "$sn" "$ss"; kill $p; wait $p 2>/dev/null || true; rm -f "$ss"
}
reference() {	# name [env]
	[ -n "$REF" ] || return 0
	serve "$1" "$D/ref/s.sock" env ${2:-} "$REF" -z "$D/ref" -U "$REFUSER" \
	    $REFARGS -s "$D/ref/s.sock" -f "$W"
}
mux() {	# name config [env]
	serve "$1" "$D/$1.sock" env ${3:-} "$B/mux" $MUXARGS ${2:+--config $2} \
	    -s "$D/$1.sock" -f "$W"
}

r=1
while [ $r -le "$ROUNDS" ]; do
	serve floor "$D/floor.sock" "$B/mux-bench-floor" "$D/floor.sock"
	reference reference
	mux mux ""
	mux mux-off "$D/off.conf"
	mux mux-on "$D/on.conf"
	serve inproc "$D/in.sock" "$B/mux-bench-inproc" $MUXARGS \
	    -s "$D/in.sock"
	reference ref-5ms MUX_BENCH_SPIN_US=$SPIN
	mux mux-5ms "" MUX_BENCH_SPIN_US=$SPIN
	mux mux-off-5ms "$D/off.conf" MUX_BENCH_SPIN_US=$SPIN
	r=$((r+1))
done

echo
echo "median of $ROUNDS rounds, $T s each: req/s, the p50/p99 of that run"
echo "in us, and the ratio to the reference with the same handler"
printf '%-12s %5s %8s %16s %7s\n' server conc req/s p50/p99 x-ref
sed 's/\([^ ]*\) conc=\([0-9]*\) .*req\/s=\([0-9]*\) p50=\([0-9]*\)us p99=\([0-9]*\)us.*/\1 \2 \3 \4 \5/' \
    "$RAW" | awk '
{ k = $1 " " $2; n[k]++; v[k, n[k]] = $3 " " $4 " " $5
  if (!($1 in seen)) { seen[$1] = 1; order[++ns] = $1 } }
function median(k,   i, j, t, a, m) {
	m = n[k]
	for (i = 1; i <= m; i++) a[i] = v[k, i]
	for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
		if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return a[int((m + 1) / 2)]
}
END {
	for (s = 1; s <= ns; s++) for (c = 1; c <= 16; c *= 4) {
		k = order[s] " " c
		if (!(k in n)) continue
		split(median(k), m, " ")
		ref = order[s] ~ /5ms$/ ? "ref-5ms " c : "reference " c
		x = "-"
		if ((ref in n) && order[s] !~ /^ref/) {
			split(median(ref), r, " ")
			x = sprintf("%.2fx", m[1] / r[1])
		}
		printf "%-12s %5d %8d %11d/%d %7s\n", order[s], c, m[1], m[2], m[3], x
	}
}'
