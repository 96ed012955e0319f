#!/bin/sh
# cmake --install into a DESTDIR: the tree is what mux.8 and the README
# say, no more and no less; what is installed runs.
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
p=$t$prefix
# GNUInstallDirs: /etc for the prefix /usr, else under the prefix.
etc=$prefix/etc
[ "$prefix" = /usr ] && etc=/etc
(cd "$t" && find . -type f | sed 's/^\.//' | sort) >"$w/got"
sort >"$w/want" <<EOT
$etc/mux/mux.conf
$prefix/bin/mux-banner
$prefix/bin/mux-notify-firewall
$prefix/bin/muxctl
$prefix/libexec/mux/libmux-peer.so
$prefix/sbin/mux
$prefix/share/doc/mux/examples/mux.conf
$prefix/share/man/man5/mux.conf.5
$prefix/share/man/man7/mux-notify.7
$prefix/share/man/man8/mux-banner.8
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
grep -q "$prefix/libexec/mux" "$p/sbin/mux" ||
    fail "mux does not look for libmux-peer.so in $prefix/libexec/mux"
mandoc -Tlint -Wwarning "$p"/share/man/man*/* || fail "man pages"
cmp -s "$t$etc/mux/mux.conf" "$src/etc/mux.conf" ||
    fail "$etc/mux/mux.conf is not etc/mux.conf"
[ $bad -eq 0 ] && echo "install: $(wc -l <"$w/got") files under" \
    "DESTDIR (prefix $prefix), as expected"
exit $bad
