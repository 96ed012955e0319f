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

FTP=$DIR/ftp
CONF=$DIR/mux.conf
mkdir -p "$FTP"
echo "hello from mux" > "$FTP/hello.txt"
cat > "$CONF" <<EOC
# the demo's configuration (mux.conf(5))
MessageEngine on
MessageQueue $DIR/queue
MessageLog $DIR/msg.log
Class staff 127.0.0.2
MaxClientsPerHost 10
Banner "Welcome to the mux demo on \$ME, \$DATE"
EOC

cat <<EOM

mux demo: an FTP service on 127.0.0.1:2121, served by up to 4 worker
sessions, each session running $SRC/tests/regress/ftpd.pl
(--exec, tcpserver style), with messages into live sessions.

  service port         127.0.0.1:2121 (FTP; any user, any password)
  notify socket        inet:127.0.0.1:4567 (mux-notify(7))
  control socket       $CSOCK (actions: muxctl(8))
  request socket       $SOCK   (md-mx-ctrl-style: status, workers, ...)
  configuration        $CONF

Watch the pool, in another terminal:
  $BUILD/muxctl -s $CSOCK top         # full screen; q quits
  $BUILD/muxctl -s inet:4567 watch FYZBURSM
  socat - TCP:127.0.0.1:4567          # then type ?*  (or ?FYZ)
  perl $SRC/tools/mux-notify-firewall.pl --print 127.0.0.1:4567

Try, in a third one:
  curl ftp://carol:pw@127.0.0.1:2121/hello.txt
  socat - TCP:127.0.0.1:2121,crlf     # then: USER dave / PASS x / NOOP
  $BUILD/muxctl -s $CSOCK who         # dave, his class, his last command
  $BUILD/muxctl -s $CSOCK msg user dave Dave, you need to delete some files
                                      # ...on dave's next reply (NOOP again)
  $BUILD/muxctl -s $CSOCK msg all The server goes down at noon
  $BUILD/muxctl -s $CSOCK upgrade     # the binary again takes over the
                                      # ports; dave's session goes on
  $BUILD/muxctl -s $CSOCK kick user dave
  $BUILD/muxctl -s $CSOCK status      # pool, listener and message counters
  echo status | socat - UNIX-CONNECT:$SOCK   # one letter per slot
  cat $DIR/msg.log                    # every msg, who sent it, the outcome

Clients are greeted first by mux itself (the Banner line of $CONF,
qmail-banner style), then by the FTP daemon; tcprules files (Rules) and
delays (BannerPreSleep) go there too: see mux.conf(5).
The same events are logged below ("mux: event ...").  Ctrl-C stops mux.

EOM
FTPD_ROOT=$FTP setsid "$MUX" -D -d -x 4 -m 1 -q 16 --config "$CONF" \
    -s "$SOCK" -a "$USOCK" -O inet:4567 -O "$CSOCK" -p "$DIR/mux.pid" \
    --listen inet:2121 --exec -- "$SRC/tests/regress/ftpd.pl" &
pid=$!
# After an upgrade the pid file names the mux that took over.
trap 'kill -TERM $(cat "$DIR/mux.pid" 2>/dev/null || echo $pid) 2>/dev/null' \
    INT TERM
wait $pid || true
while p=$(cat "$DIR/mux.pid" 2>/dev/null) && kill -0 "$p" 2>/dev/null; do
	sleep 1
done
trap - INT TERM
