#!/bin/sh
# The master's CPU share in starting workers, during t_notify's floods
# (-x 2, MaxRequests 500: a worker is replaced every 500 requests).
# perf samples every process of the test; the master is the "mux"
# process with the most samples.  A sample counts as spawning when its
# call chain passes through pool_spawn, fork or posix_spawn, or is a
# copy-on-write fault (only a fork makes those in the master).
# usage: bench/spawnshare.sh [builddir]
set -eu
B=$(cd "${1:-build}" && pwd)
S=$(cd "$(dirname "$0")/.." && pwd)
command -v perf >/dev/null || { echo "perf: not installed" >&2; exit 1; }
D=$(mktemp -d /tmp/mux-spawnshare.XXXXXX)
trap 'rm -rf "$D"' EXIT
perf record -q -g -F 1999 -o "$D/perf.data" -- env MUX="$B/mux" \
    MUXCTL="$B/muxctl" MUX_BENCH_LOAD="$B/mux-bench-load" MUX_SRC="$S" \
    perl "$S/tests/regress/t_notify.pl" >"$D/test.out" 2>&1 ||
    { cat "$D/test.out"; exit 1; }
perf script -i "$D/perf.data" -F comm,pid,ip,sym 2>/dev/null >"$D/script"
pid=$(awk '/^mux /{ n[$2]++ } END { for (p in n) print n[p], p }' \
    "$D/script" | sort -rn | awk 'NR == 1 { print $2 }')
awk -v pid="$pid" '
function done() { if (mine) { tot++; if (sp) nsp++; else if (cow) ncow++ } }
/^[^ \t]/ { done(); mine = ($1 == "mux" && $2 == pid); sp = cow = 0; next }
/pool_spawn|_Fork|__libc_fork|kernel_clone|copy_process|__spawni|posix_spawn/ { sp = 1 }
/do_wp_page|wp_page_copy/ { cow = 1 }
END { done(); printf "mux (pid %s): %d samples; spawning %d (%.1f%%), later copy-on-write faults %d (%.1f%%); together %.1f%%\n", pid, tot, nsp, 100 * nsp / tot, ncow, 100 * ncow / tot, 100 * (nsp + ncow) / tot }' "$D/script"
grep -E "^ok .*events produced|^not ok" "$D/test.out" || true
