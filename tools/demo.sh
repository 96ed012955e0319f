#!/bin/sh
# make run: a working demo of mux in the foreground.  Ctrl-C stops it
# (mux itself treats SIGINT as "reread", like mimedefang-multiplexor, so
# the demo turns Ctrl-C into SIGTERM).
set -eu
BUILD=${1:-build}
DIR=${2:-/tmp/mux-demo}
SRC=$(cd "$(dirname "$0")/.." && pwd)
MUX=$BUILD/mux
mkdir -p "$DIR"
chmod 0755 "$DIR"
SOCK=$DIR/mux.sock
USOCK=$DIR/status.sock
CSOCK=$DIR/control.sock

cat <<EOM

mux demo: 4 worker slots (2 started), each running the Perl worker
$SRC/tests/regress/worker.pl -serveru (MIMEDefang's -server contract).

  request socket       $SOCK   (md-mx-ctrl -s $SOCK ...)
  status socket        $USOCK (read-only commands)
  notify socket        inet:127.0.0.1:4567 (mux-notify(7))
  control socket       $CSOCK (mux-notify(7) and actions, muxctl(8))

Watch the pool, in another terminal:
  $BUILD/muxctl -s inet:4567 watch FYZBURS
  socat - TCP:127.0.0.1:4567          # then type ?*  (or ?FYZ)
  perl $SRC/tools/mux-notify-firewall.pl --print 127.0.0.1:4567

Try, in a third one:
  echo 'scan Q1 /tmp' | socat - UNIX-CONNECT:$SOCK      # served by a worker
  echo status         | socat - UNIX-CONNECT:$USOCK     # one letter per slot
  echo workers        | socat - UNIX-CONNECT:$USOCK
  echo 'tag hello 3'  | socat - UNIX-CONNECT:$SOCK &    # a busy worker with a tag
  echo busyworkers    | socat - UNIX-CONNECT:$USOCK
  echo reread         | socat - UNIX-CONNECT:$SOCK      # fresh workers, event R
  $BUILD/mux-bench-load -c 4 -t 3 $SOCK                  # load: watch Z/Y below
  $BUILD/muxctl -s $CSOCK status       # pool and listener counters
  $BUILD/muxctl -s $CSOCK who --json   # the worker sessions, for scripts
  $BUILD/muxctl -s $CSOCK reread

The same events are logged below ("mux: event ...").  Service ports
(--listen), messages (msg) and intake rules are not built yet: see the
open issues.  Ctrl-C stops mux.

EOM
setsid "$MUX" -D -d 1 -x 4 -m 2 -w 1 -q 16 -Z -s "$SOCK" -a "$USOCK" \
    -O inet:4567 -O "$CSOCK" \
    -f "$SRC/tests/regress/worker.pl" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null' INT TERM
wait $pid || true
trap - INT TERM
wait $pid 2>/dev/null || true
