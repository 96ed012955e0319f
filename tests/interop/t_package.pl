#!/usr/bin/perl
# The Debian package (issue 18), as an admin gets it:
#  1. dpkg-buildpackage -b -us -uc builds mux_VERSION_ARCH.deb from a
#     copy of the tree; lintian says no error and no warning.
#  2. dpkg -i installs it: the file list, the conffiles, the mux system
#     user from postinst, both units enabled by policy.
#  3. mux runs from the installed paths as the installed units say:
#     the socket unit's ListenStream= sockets handed in by systemd's
#     systemd-socket-activate, mux.service's ExecStart run as its
#     User=, under a NOTIFY_SOCKET; it says READY=1, serves a request
#     on the passed request socket with the packaged configuration's
#     handler, muxctl answers on the control socket, and logrotate
#     accepts the packaged file.
#  4. On a fresh Debian 12 (debootstrap) booted by systemd in
#     systemd-nspawn, with no network but its own loopback:
#     apt-get install ./mux_*.deb, and then the enabled units run it:
#     active with STATUS=, as mux with no capability but
#     CAP_NET_BIND_SERVICE and NoNewPrivs, answering; systemctl reload;
#     an upgrade hands systemd the new main pid; a stopped mux.service
#     is started again by a client of the socket, which is answered;
#     logrotate -f rotates the statistics log and mux reopens it.
# Then the package is purged and the user removed, if the test made it;
# the container is powered off and its tree removed.
use strict;
use warnings;
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use IO::Socket::UNIX;
use POSIX qw(:sys_wait_h);
use Socket qw(SOCK_DGRAM SOCK_STREAM);
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use Interop;
use Time::HiRes qw(sleep time);

my $SRC = $ENV{MUX_SRC} // '.';

plan skip_all => 'needs root: it installs a package and adds a user'
    if $> != 0;

my $T = tempdir('mux-package-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod(0711, $T);
my (%made, @pids);
my $had_pkg = installed('mux');
my $had_user = defined getpwnam('mux');
END {
	kill 'KILL', grep { $_ && kill(0, $_) } @pids;
	if ($made{installed} && !$had_pkg) {
		system("dpkg --purge mux >$T/purge.log 2>&1") == 0 or
		    print STDERR "dpkg --purge mux failed\n";
	}
	system('deluser --system --quiet mux >/dev/null 2>&1')
	    if !$had_user && getpwnam('mux');
}

my $err = apt_install("$T/apt.log", qw(debhelper lintian dpkg-dev cmake
    pkgconf libevent-dev libcdb-dev libsystemd-dev systemd logrotate));
BAIL_OUT($err) if $err;

# 1. Build from a copy of the tree (tracked files and new ones, no
# build directories), as from a source tarball.
mkdir("$T/src/") or die;
my $src = "$T/src/mux";
mkdir($src) or die;
system("cd $SRC && git ls-files -co --exclude-standard -z | "
    . "xargs -0 tar -cf - | tar -C $src -xf -") == 0 or die "copy";
my $t0 = time;
my $rc = system("cd $src && DEB_BUILD_OPTIONS=parallel=2 dpkg-buildpackage "
    . "-b -us -uc >$T/build.log 2>&1");
is($rc, 0, sprintf('dpkg-buildpackage -b -us -uc (%.0f s)', time - $t0))
    or diag(`tail -30 $T/build.log`);
my ($deb) = glob("$T/src/mux_*_*.deb");
my ($changes) = glob("$T/src/mux_*_*.changes");
ok($deb && $deb =~ m{/mux_[\d.]+_[a-z0-9]+\.deb$}, 'it made ' .
    ($deb // 'nothing') =~ s{.*/}{}r);
my $lint = `lintian --pedantic -I $changes 2>&1`;
my @lint = grep { /^[A-Z]: / } split /\n/, $lint;
diag("lintian --pedantic -I: " . (@lint ? join("; ", @lint) : 'nothing'));
is_deeply([grep { /^[EW]: / } @lint], [], 'lintian: no error, no warning');

# 2. Install it.
system("dpkg -i $deb >$T/dpkg.log 2>&1") == 0 or diag(slurp("$T/dpkg.log"));
$made{installed} = 1;
ok(installed('mux'), 'dpkg -i installs it');
my @files = sort grep { !-d $_ } split /\n/, `dpkg -L mux`;
diag("installed files:\n" . join("\n", @files));
my @want = qw(/etc/logrotate.d/mux /etc/mux/mux.conf
    /lib/systemd/system/mux.service /lib/systemd/system/mux.socket
    /usr/bin/mux-banner /usr/bin/mux-notify-firewall /usr/bin/muxctl
    /usr/libexec/mux/mimedefang-multiplexor /usr/sbin/mux
    /usr/share/doc/mux/examples/haproxy.cfg);
for my $f (@want) {
	ok((grep { $_ eq $f } @files) && -e $f, "installs $f");
}
ok((grep { m{^/usr/lib/[^/]+/mux/libmux-peer\.so$} } @files),
    'installs libmux-peer.so in the library directory');
my $conff = `dpkg-query -W -f='\${Conffiles}' mux`;
like($conff, qr{/etc/mux/mux\.conf .*\n.*/etc/logrotate\.d/mux|/etc/logrotate\.d/mux .*\n.*/etc/mux/mux\.conf}s,
    'both files in /etc are conffiles');
my @pw = getpwnam('mux');
ok(@pw && $pw[2] < 1000 && $pw[8] =~ /nologin|false/,
    'postinst made the mux system user' . (@pw ? " (uid $pw[2], $pw[8])" :
    ''));
ok(-l '/etc/systemd/system/multi-user.target.wants/mux.service' &&
    -l '/etc/systemd/system/sockets.target.wants/mux.socket',
    'mux.service and mux.socket are enabled');
like(`logrotate -d /etc/logrotate.d/mux 2>&1`, qr/rotating pattern: \/var\/log\/mux/,
    'logrotate reads the packaged file');

# 3. Run it as the installed units say, in a scratch /run/mux and on a
# free port in place of 4567.
sub unit_lines {
	my ($file, $key) = @_;
	my $text = slurp($file) =~ s/\\\n\s*/ /gr;
	return map { /^\Q$key\E=(.*)$/ ? $1 : () } split /\n/, $text;
}
my $port = free_port();
mkdir("$T/run") or die;
my $fix = sub { $_[0] =~ s{/run/mux/}{$T/run/}gr =~ s/\b4567\b/$port/r };
my @listen = map { $fix->($_) } unit_lines('/lib/systemd/system/mux.socket',
    'ListenStream');
my ($exec) = map { $fix->($_) } unit_lines('/lib/systemd/system/mux.service',
    'ExecStart');
my ($user) = unit_lines('/lib/systemd/system/mux.service', 'User');
is(scalar(@listen), 3, 'mux.socket has 3 sockets: ' . join(' ', @listen));
like($exec, qr{^/usr/sbin/mux -D --config /etc/mux/mux\.conf }, "ExecStart: $exec");
is($user, 'mux', 'mux.service runs as mux');

my $nsock = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => "$T/notify")
    or die "notify: $!";
chmod(0777, "$T/notify");
my $pid = fork() // die;
if ($pid == 0) {
	open(STDERR, '>', "$T/mux.log") or die;
	open(STDOUT, '>&', \*STDERR) or die;
	exec('systemd-socket-activate', (map { ('-l', $_) } @listen),
	    '--fdname=mux:mux:mux', '-E', "NOTIFY_SOCKET=$T/notify",
	    'setpriv', "--reuid=$user", "--regid=$user", '--init-groups',
	    split(' ', $exec)) or POSIX::_exit(127);
}
push @pids, $pid;
ok(wait_for(sub { -S "$T/run/mux.sock" }, 10), 'the sockets are made');
# The first connection starts mux, which answers it: cat echoes.
my $c = IO::Socket::UNIX->new(Peer => "$T/run/mux.sock", Type => SOCK_STREAM);
print $c "scan hello from the package\n" if $c;
my $sel = IO::Select->new($c);
my $got = $c && $sel->can_read(20) ? <$c> // '' : '';
is($got, "scan hello from the package\n",
    'the request socket answers with the packaged handler (cat)')
    or diag(slurp("$T/mux.log"));
my $ready = '';
my $nsel = IO::Select->new($nsock);
wait_for(sub { $nsel->can_read(0.1) and $nsock->recv(my $b, 4096);
    $ready = $b if defined $b && $b =~ /READY=1/; $ready }, 10);
like($ready, qr/^READY=1\nSTATUS=\d+ busy, \d+ idle, 0 queued$/,
    'READY=1 to the NOTIFY_SOCKET');
my $muxpid = $pid;	# systemd-socket-activate and setpriv exec
my ($uid) = slurp("/proc/$muxpid/status") =~ /^Uid:\s+(\d+)/m;
is($uid, $pw[2], 'mux runs as mux');
like(`/usr/bin/muxctl -s $T/run/control.sock status 2>&1`,
    qr/^pool slots=2 /m, 'muxctl status on the passed control socket');
my $l = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port");
is($l ? scalar(<$l>) : '', "*OK\n", 'the TCP listener socket says *OK');
like(slurp("$T/mux.log"), qr/systemd: took socket mux.*\n.*took socket mux.*\n.*took socket mux/,
    'mux took all three from systemd');
kill 'TERM', $muxpid;
ok(wait_for(sub { waitpid($muxpid, WNOHANG) == $muxpid }, 15),
    'SIGTERM: mux exits');
is($?, 0, 'with 0');
ok(-S "$T/run/mux.sock", "the request socket stays (the socket unit's)");

# 4. A fresh machine, booted.
$err = apt_install("$T/apt.log", qw(debootstrap systemd-container));
BAIL_OUT($err) if $err;
my $root = "$T/root";
$t0 = time;
$rc = system("timeout 600 debootstrap --variant=minbase "
    . "--include=systemd,systemd-sysv,dbus bookworm $root "
    . "http://deb.debian.org/debian >$T/debootstrap.log 2>&1");
is($rc, 0, sprintf('debootstrap bookworm (%.0f s)', time - $t0))
    or diag(`tail -20 $T/debootstrap.log`);
(my $debname = $deb) =~ s{.*/}{};
system('cp', $deb, "$root/root/") == 0 or die;
my @NS = qw(systemd-nspawn -q --register=no --keep-unit);
$rc = system("@NS -D $root --pipe sh -c 'apt-get update -qq && "
    . "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
    . "./root/$debname logrotate' >$T/ct-apt.log 2>&1");
is($rc, 0, "apt-get install ./$debname there") or diag(slurp("$T/ct-apt.log"));
my $boot = fork() // die;
if ($boot == 0) {
	open(STDIN, '<', '/dev/null');
	open(STDOUT, '>', "$T/boot.log") or die;
	open(STDERR, '>&', \*STDOUT) or die;
	exec(@NS, '--private-network', '-D', $root, '-b') or POSIX::_exit(127);
}
push @pids, $boot;
my $init;
ok(wait_for(sub { ($init) = grep { slurp("/proc/$_/comm") eq "systemd\n" }
    split ' ', `pgrep -P $boot`; $init }, 30), 'systemd boots in it')
    or diag(slurp("$T/boot.log"));
$made{boot} = $init;

# A shell command in the container, its output.
sub ct {
	my ($cmd) = @_;
	open(my $fh, '-|', 'nsenter', '-t', $init, '-a', 'sh', '-c',
	    "$cmd 2>&1") or return '';
	local $/;
	return <$fh> // '';
}
my $ask = q{perl -MIO::Socket::UNIX -e '$s = IO::Socket::UNIX->new(Peer =>
    "/run/mux/mux.sock") or die "connect: $!\n"; print $s "scan $ARGV[0]\n";
    print scalar(<$s>)'};
ok(wait_for(sub { ct('systemctl is-system-running') =~ /^(running|degraded)/ },
    60), 'the system is up') or diag(ct('systemctl --failed --no-pager'));
is(ct('systemctl is-active mux.socket mux.service'), "active\nactive\n",
    'mux.socket and mux.service are active') or
    diag(ct('journalctl -u mux --no-pager | tail -20'));
like(ct('systemctl show -p StatusText --value mux'),
    qr/^\d+ busy, \d+ idle, 0 queued$/, 'with STATUS= from mux');
my $main = ct('systemctl show -p MainPID --value mux') =~ s/\s+//gr;
my $ps = ct("grep -E '^(Uid|NoNewPrivs|CapBnd):' /proc/$main/status");
my $ctuid = (split /:/, ct('getent passwd mux'))[2];
like($ps, qr/^Uid:\s+$ctuid\s/m, "its main pid runs as mux (uid $ctuid)");
like($ps, qr/^NoNewPrivs:\s+1$/m, 'with NoNewPrivs');
like($ps, qr/^CapBnd:\s+0+400$/m, 'no capability but CAP_NET_BIND_SERVICE');
is(ct("$ask fresh"), "scan fresh\n", 'it answers on /run/mux/mux.sock');
like(ct('muxctl -s /run/mux/control.sock status'), qr/^pool slots=2 /,
    'muxctl on /run/mux/control.sock');
my $jo = ct('journalctl -u mux --no-pager -o cat');
ok($jo =~ /^started; minWorkers=1,/m && $jo !~ /^mux: /m,
    'the journal has mux\'s lines, not headed "mux: " twice');
unlike(ct('journalctl -u mux --no-pager -o cat -p warning'), qr/started;/,
    'each at its priority ("started" is not a warning)');
my $sec = ct('systemd-analyze security mux.service | tail -1');
diag("systemd-analyze security: $sec");
like($sec, qr/exposure level for mux\.service: [0-4]\.\d (OK|SAFE)/,
    'systemd-analyze security: exposure under 5');
is(ct('systemctl reload mux && echo reloaded'), "reloaded\n",
    'systemctl reload (SIGINT, RELOADING=1, READY=1)');
ok(wait_for(sub { ct('journalctl -u mux --no-pager') =~ /reread: generation 1/
    }, 10), 'mux reread');
ok(wait_for(sub { ct('journalctl --no-pager -o cat MUX_EVENT=R') =~
    /^event R$/m }, 10), 'the event is in the journal with its fields '
    . '(journalctl MUX_EVENT=R)');
ct('muxctl -s /run/mux/control.sock upgrade');
my $new = 0;
ok(wait_for(sub { $new = ct('systemctl show -p MainPID --value mux') =~ s/\s+//gr;
    $new && $new ne $main }, 20), "an upgrade: systemd's main pid is the new "
    . "mux ($main, then $new)");
ok(wait_for(sub { ct("test -d /proc/$main || echo gone") eq "gone\n" }, 20),
    'the old mux exits');
is(ct('systemctl is-active mux.service'), "active\n", 'the unit stays active');
is(ct("$ask upgraded"), "scan upgraded\n", 'the new mux answers');
ct('systemctl stop mux.service');
is(ct('systemctl is-active mux.socket mux.service'), "active\ninactive\n",
    'systemctl stop mux.service after the upgrade: stopped, not failed; '
    . 'the sockets stay');
like(ct('journalctl -u mux --no-pager -o cat | tail -3'),
    qr/^all workers gone: exiting\n/m, 'mux stopped by itself, not killed');
is(ct("$ask stopped"), "scan stopped\n",
    'a client of the stopped mux starts it, and is answered');
ok(wait_for(sub { ct('systemctl is-active mux.service') eq "active\n" }, 20),
    'mux.service is active again');
# The packaged logrotate file: the statistics log rotated, mux told by
# SIGHUP to its main pid, and writing to the new file.
ct('printf "StatsFile /var/log/mux/stats\\nStatsFlush yes\\n" >>/etc/mux/mux.conf && '
    . 'systemctl restart mux.service');
ok(wait_for(sub { ct('cat /var/log/mux/stats') =~ /StartWorker/ }, 20),
    'StatsFile /var/log/mux/stats is written (LogsDirectory=mux)');
ct('logrotate -f /etc/logrotate.d/mux');
ok(wait_for(sub { ct('journalctl -u mux --no-pager -o cat') =~
    /^received SIGHUP: reopening the log files$/m }, 10),
    'logrotate -f: mux got SIGHUP and reopened its files');
like(ct('cat /var/log/mux/stats.1'), qr/StartWorker/, 'the old lines are in stats.1');
ct('systemctl reload mux');
ok(wait_for(sub { ct('cat /var/log/mux/stats') =~ /StartWorker/ }, 20),
    'new lines go to the new stats') or diag(ct('ls -l /var/log/mux'));
ct('systemctl poweroff');
ok(wait_for(sub { waitpid($boot, WNOHANG) == $boot }, 60),
    'the container powers off');
done_testing();
