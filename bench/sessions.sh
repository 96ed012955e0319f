#!/bin/sh
# msg all to N concurrent sessions (default 1,000) of an exec-mode
# service listener, with the kernel's default msgmnb (16 KiB): how long
# the mux takes to answer, and until every session has the message on
# its next reply.  Run twice, with RelayAddresses on (the handlers
# preload libmux-peer.so, mux(8)) and off (they see the bare socket
# pair): the greeting time of N sessions, and the bytes per second of
# one session (bench/relay.pl), are the cost of that transparency.  Needs root or enough RLIMIT_NPROC for 2N
# processes.
# usage: bench/sessions.sh [builddir] [N]
set -eu
B=${1:-build}
# The benchmark programs build apart from mux (make bench); a tree from
# before that built them with mux and has no such target.
cmake --build "$B" --target benches -- --no-print-directory >/dev/null 2>&1 ||
    true
N=${2:-1000}
D=$(mktemp -d /tmp/mux-sessions.XXXXXX)
chmod 700 "$D"
p=
trap 'kill $p 2>/dev/null; sleep 1; rm -rf "$D"' EXIT
ulimit -n $((N * 3 + 100)) 2>/dev/null || true
P=$(( 20000 + $$ % 20000 ))
echo "msgmnb $(cat /proc/sys/kernel/msgmnb) bytes"
for relay in on off; do
	printf 'MessageEngine on\nMessageQueue %s/queue\nMessageLog %s/msg.log\nRelayAddresses %s\n' \
	    "$D" "$D" $relay > "$D/mux.conf"
	# Workers start on demand, one per arriving session (-W 0: unpaced).
	"$B/mux" -D -m 1 -x "$N" -W 0 -r 1000000 --config "$D/mux.conf" \
	    -O "$D/ctl.sock" --listen "inet:$P" --exec -- \
	    "$B/mux-bench-sesshd" 2>"$D/log" & p=$!
	i=0
	until "$B/muxctl" -s "$D/ctl.sock" status >/dev/null 2>&1; do
		sleep 0.5; i=$((i+1))
		[ $i -lt 40 ] || { echo "mux not up"; cat "$D/log"; exit 1; }
	done
	echo "== RelayAddresses $relay"
	perl "$(dirname "$0")/relay.pl" "$P" || rc=$?
	for len in 0 1000; do
		"$B/mux-bench-sessions" "$N" "$P" "$D/ctl.sock" \
		    "Maintenance at 22:00 UTC: please save your work and log off" \
		    $len || rc=$?
		"$B/muxctl" -s "$D/ctl.sock" status | grep -E '^messages'
		sleep 1
	done
	echo "mux RSS $(ps -o rss= -p $p) kB, processes $(pgrep -c -P $p) worker sessions"
	kill $p; wait $p 2>/dev/null || true; p=
	sleep 1
done
# The floor: no relay, the handler has the client's socket itself.
printf 'MessageEngine off\n' > "$D/mux.conf"
"$B/mux" -D -m 1 -x 4 --config "$D/mux.conf" -O "$D/ctl.sock" \
    --listen "inet:$P" --exec -- "$B/mux-bench-sesshd" 2>"$D/log" & p=$!
sleep 1
echo "== MessageEngine off (no relay)"
perl "$(dirname "$0")/relay.pl" "$P" || rc=$?
kill $p; wait $p 2>/dev/null || true; p=
exit ${rc:-0}
