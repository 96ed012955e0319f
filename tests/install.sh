#!/bin/sh
# cmake --install into a DESTDIR: the tree is what mux.8 and the README
# say, no more and no less; what is installed runs.
# usage: install.sh SRCDIR BUILDDIR
src=${1:-.}
b=${2:-$src/build}
t=$(mktemp -d /tmp/mux-install.XXXXXX)
trap 'rm -rf "$t"' EXIT
bad=0
fail() { echo "install: $*"; bad=1; }

DESTDIR=$t cmake --install "$b" >"$t.log" 2>&1 ||
    { cat "$t.log"; rm -f "$t.log"; exit 1; }
rm -f "$t.log"
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$b/CMakeCache.txt")
p=$t$prefix
(cd "$p" && find . -type f | sort) >"$t/got"
cat >"$t/want" <<EOT
./bin/mux-banner
./bin/mux-notify-firewall
./bin/muxctl
./libexec/mux/libmux-peer.so
./sbin/mux
./share/man/man5/mux.conf.5
./share/man/man7/mux-notify.7
./share/man/man8/mux-banner.8
./share/man/man8/mux.8
./share/man/man8/muxctl.8
EOT
diff "$t/want" "$t/got" || fail "the installed tree (>) is not the expected one (<)"
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
[ $bad -eq 0 ] && echo "install: $(wc -l <"$t/got") files under" \
    "DESTDIR$prefix, as expected"
exit $bad
