#!/bin/sh
# N clients (default 10,000) held in a 30 s BANNERPRESLEEP: by mux's
# banner phase (timers in one process), then by tcpserver + mux-banner
# (one process per client).  Prints the server side's processes and
# memory with the clients held.  Root, or enough RLIMIT_NPROC.
# usage: bench/banner.sh [builddir] [N] [N for tcpserver]
set -eu
B=${1:-build}
# The benchmark programs build apart from mux (make bench); a tree from
# before that built them with mux and has no such target.
cmake --build "$B" --target benches -- --no-print-directory >/dev/null 2>&1 ||
    true
N=${2:-10000}
NT=${3:-$N}
D=$(mktemp -d /tmp/mux-banner.XXXXXX)
chmod 700 "$D"
trap 'kill $p 2>/dev/null || true; sleep 1; rm -rf "$D"' EXIT
ulimit -n $((N + NT + 200)) 2>/dev/null || true
P=$(( 20000 + $$ % 20000 ))
printf '#!/bin/sh\necho "220 ready"\n' > "$D/greet"
chmod +x "$D/greet"

printf 'BannerPreSleep 30\nBanner held by a timer\nListenBacklog 4096\n' \
    > "$D/mux.conf"
"$B/mux" -D -m 1 -x 4 --config "$D/mux.conf" --listen "inet:$P" --exec \
    -- "$D/greet" 2>"$D/log" & p=$!
sleep 1
echo "mux, banner phase, $N clients:"
"$B/mux-bench-hold" "$N" "$P" 5 $p || true
kill $p; wait $p 2>/dev/null || true

[ "$NT" -gt 0 ] || exit 0
P=$((P + 1))
BANNERPRESLEEP=30 BANNER="held by a process" tcpserver -c "$NT" -b 4096 \
    -R -H -l0 127.0.0.1 "$P" "$B/mux-banner" "$D/greet" 2>"$D/tlog" & p=$!
sleep 1
echo "tcpserver + mux-banner, $NT clients:"
"$B/mux-bench-hold" "$NT" "$P" 10 $p || true
grep -v "^$" "$D/tlog" | sort | uniq -c | sort -rn | head -3
kill $p; wait $p 2>/dev/null || true
