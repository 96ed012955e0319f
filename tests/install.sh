#!/bin/sh
# cmake --install into a DESTDIR: the tree is what mux.8 and the README
# say, no more and no less; what is installed runs; systemd-analyze
# verify passes every unit and the MIMEDefang drop-in.
# usage: install.sh SRCDIR BUILDDIR
src=${1:-.}
b=${2:-$src/build}
w=$(mktemp -d /tmp/mux-install.XXXXXX)
trap 'rm -rf "$w"' EXIT
t=$w/root
bad=0
fail() { echo "install: $*"; bad=1; }

DESTDIR=$t cmake --install "$b" >"$w/log" 2>&1 || { cat "$w/log"; exit 1; }
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$b/CMakeCache.txt")
units=$(sed -n 's/^MUX_UNITDIR:PATH=//p' "$b/CMakeCache.txt")
lib=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' "$b/CMakeCache.txt")
p=$t$prefix
# GNUInstallDirs: /etc for the prefix /usr, else under the prefix.
etc=$prefix/etc
[ "$prefix" = /usr ] && etc=/etc
(cd "$t" && find . ! -type d | sed 's/^\.//' | sort) >"$w/got"
sort >"$w/want" <<EOT
$etc/logrotate.d/mux
$etc/mux/mux.conf
$units/mux.service
$units/mux.socket
$prefix/libexec/mux/mimedefang-multiplexor
$prefix/share/doc/mux/examples/mimedefang-multiplexor.service.d/mux.conf
$prefix/bin/mux-banner
$prefix/bin/mux-notify-firewall
$prefix/bin/muxctl
$prefix/$lib/mux/libmux-peer.so
$prefix/sbin/mux
$prefix/share/doc/mux/examples/haproxy.cfg
$prefix/share/doc/mux/examples/mux.conf
$prefix/share/man/man5/mux.conf.5
$prefix/share/man/man7/mux-notify.7
$prefix/share/man/man8/mux-banner.8
$prefix/share/man/man8/mux-notify-firewall.8
$prefix/share/man/man8/mux.8
$prefix/share/man/man8/muxctl.8
EOT
diff "$w/want" "$w/got" || fail "the installed tree (>) is not the expected one (<)"
for f in sbin/mux bin/muxctl bin/mux-banner bin/mux-notify-firewall; do
	[ -x "$p/$f" ] || fail "$f is not executable"
done
"$p/sbin/mux" --version | grep -q '^mux ' || fail "mux --version"
"$p/bin/muxctl" 2>&1 | grep -q '^usage: muxctl' || fail "muxctl's usage"
perl -c "$p/bin/mux-notify-firewall" 2>/dev/null || fail "mux-notify-firewall"
# mux looks for the shim where it installs it.
grep -q "$prefix/$lib/mux" "$p/sbin/mux" ||
    fail "mux does not look for libmux-peer.so in $prefix/$lib/mux"
[ "$(stat -c %a "$p/$lib/mux/libmux-peer.so")" = 644 ] ||
    fail "libmux-peer.so is not mode 0644"
mandoc -Tlint -Wwarning "$p"/share/man/man*/* || fail "man pages"
cmp -s "$t$etc/mux/mux.conf" "$src/etc/mux.conf" ||
    fail "$etc/mux/mux.conf is not etc/mux.conf"
[ "$(readlink -f "$p/libexec/mux/mimedefang-multiplexor")" = \
    "$(readlink -f "$p/sbin/mux")" ] ||
    fail "libexec/mux/mimedefang-multiplexor is not a link to sbin/mux"

# The units as installed, pointed at the DESTDIR's programs (verify
# wants each ExecStart to exist); the drop-in on a copy of Debian's
# mimedefang-multiplexor.service when MIMEDefang is installed, else
# on a stand-in with the same ExecStart shape.
u=$w/units
mkdir -p "$u/mimedefang-multiplexor.service.d"
for f in mux.service mux.socket; do
	sed "s|$prefix/|$p/|g" "$t$units/$f" >"$u/$f"
done
grep -q "^ExecStart=$prefix/sbin/mux " "$t$units/mux.service" ||
    fail "mux.service does not start $prefix/sbin/mux"
sed "s|$prefix/|$p/|g" \
    "$p/share/doc/mux/examples/mimedefang-multiplexor.service.d/mux.conf" \
    >"$u/mimedefang-multiplexor.service.d/mux.conf"
md=/lib/systemd/system/mimedefang-multiplexor.service
if [ -f $md ]; then
	cp $md "$u/"
else
	printf '[Service]\nType=forking\nPIDFile=/run/md.pid\nExecStart=/bin/true\n' \
	    >"$u/mimedefang-multiplexor.service"
fi
(cd "$u" && systemd-analyze verify --man=no mux.service mux.socket \
    mimedefang-multiplexor.service) >"$w/verify" 2>&1 ||
    { cat "$w/verify"; fail "systemd-analyze verify"; }
[ -s "$w/verify" ] && { cat "$w/verify"; fail "systemd-analyze verify said"; }
# The drop-in is read: the same with its ExecStart's shell moved away
# fails verify.
sed -i 's|^ExecStart=/bin/sh |ExecStart=/nonexistent/sh |' \
    "$u/mimedefang-multiplexor.service.d/mux.conf"
(cd "$u" && systemd-analyze verify --man=no mimedefang-multiplexor.service) \
    2>&1 | grep -q 'Command /nonexistent/sh is not executable' ||
    fail "the drop-in is not read"

[ $bad -eq 0 ] && echo "install: $(wc -l <"$w/got") files under" \
    "DESTDIR (prefix $prefix), as expected"
exit $bad
