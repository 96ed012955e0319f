#!/usr/bin/perl
# ProFTPD's own ftpdctl (Debian's proftpd-core, unmodified) against mux's
# control socket, as a ProFTPD admin would type it: msg user and msg all
# into the next reply of live FTP sessions (ftpd.pl behind --listen),
# kick, status, an action the ACLs deny and one mux does not have.  The
# same ftpdctl against a real ProFTPD's control socket, started beside it
# with mod_ctrls_admin, gives the wording and the exit statuses mux must
# match.  Then frames ProFTPD #2036 would have taken (a 2^31 length, 10^6
# arguments): that client is closed and the mux answers others at once.
#
# proftpd-core is unpacked from its .deb, not installed (as t_ftpd.pl).
use strict;
use warnings;
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use IO::Socket::UNIX;
use POSIX ();
use Socket qw(SOCK_STREAM);
use Test::More;
use Time::HiRes qw(sleep time);
use FindBin;
use lib $FindBin::Bin;
use lib "$FindBin::Bin/../regress";
use Interop;
use MuxTest qw(replies);	# the regress tests' FTP reply reader

my $SRC = $ENV{MUX_SRC} // '.';
my $MUX = $ENV{MUX} // "$SRC/build/mux";
my $FTPD = "$SRC/tests/regress/ftpd.pl";

plan skip_all => 'needs root: ProFTPD binds its port and switches users'
    if $> != 0;

my @pids;
my $T = tempdir('mux-ftpdctl-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod(0755, $T);

my $why = apt_install("$T/apt.log", qw(libhiredis0.14 libmemcached11
    libmemcachedutil2 libpcre2-posix3 libwrap0 libcap2 libpam-modules));
BAIL_OUT($why) if $why;
my $root = unpack_deb('proftpd-core', "$T/proftpd-core") or BAIL_OUT($@);
my $FTPDCTL = "$root/usr/bin/ftpdctl";
my $PROFTPD = "$root/usr/sbin/proftpd";
for ($FTPDCTL, $PROFTPD) {
	my $ldd = `ldd $_ 2>&1`;
	BAIL_OUT("$_: libraries missing:\n$ldd") if $ldd =~ /not found/;
}

sub one { my $t = $_[0] // ''; chomp $t; $t =~ s/\n/ | /g; return $t }

# ftpdctl as root, or as nobody: (exit status, output).
sub ftpdctl {
	my ($sock, @args) = @_;
	my $as = ref $args[0] ? shift(@args)->{as} : undef;
	my @cmd = ($FTPDCTL, '-s', $sock, @args);
	unshift @cmd, 'setpriv', '--reuid=nobody', '--regid=nogroup',
	    '--clear-groups', '--' if $as;
	my $pid = open(my $fh, '-|') // die;
	if ($pid == 0) {
		open(STDERR, '>&', \*STDOUT);
		exec(@cmd) or POSIX::_exit(127);
	}
	local $/;
	my $out = <$fh> // '';
	close($fh);
	return ($? >> 8, $out);
}

# --- mux, with live FTP sessions ----------------------------------------

# A resolver that takes 0.5 s to say a name does not exist: msg host
# NAME is answered after the lookup.
my $dport = free_port('127.0.0.1');
my $dns = spawn("$T/dns.log", { FAKEDNS_DELAY => 0.5 }, 'perl',
    "$SRC/tests/regress/fakedns.pl", $dport);
push @pids, $dns;
spew("$T/resolv.conf", "nameserver 127.0.0.1:$dport\n");
my $port = free_port('127.0.0.1');
spew("$T/mux.conf", "MessageEngine on\nMessageQueue $T/queue\n"
    . "MessageLog $T/msg.log\nResolvConf $T/resolv.conf\n"
    . "ControlsACLs status,who allow user nobody\n");
my $mpid = spawn("$T/mux.log", {}, $MUX, '-D', '-d', '--config', "$T/mux.conf",
    '-s', "$T/s.sock", '-O', "$T/ctl.sock", '-x', 4, '--listen',
    "inet:127.0.0.1:$port", '--exec', '--', $FTPD);
push @pids, $mpid;
ok(wait_for(sub { -S "$T/ctl.sock" }, 10), 'mux is up');
chmod(0666, "$T/ctl.sock");	# nobody may connect; the ACLs decide

sub ftp_reply { return replies($_[0], 1) }
sub ftp_cmd { syswrite($_[0], "$_[1]\r\n"); return ftp_reply($_[0]) }
sub login {
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $port, Timeout => 5) or die "connect: $!";
	ftp_reply($s);
	ftp_cmd($s, "USER $_[0]");
	like(ftp_cmd($s, 'PASS secret'), qr/^230 /, "$_[0] logs in");
	return $s;
}
my $dave = login('dave');
my $alice = login('alice');
ok(wait_for(sub { my (undef, $o) = ftpdctl("$T/ctl.sock", 'who');
    $o =~ /user=dave/ && $o =~ /user=alice/ }, 10),
    'ftpdctl who lists both sessions');

my ($rc, $out) = ftpdctl("$T/ctl.sock", qw(msg user dave Dave, you need
    to delete some files));
is($rc, 0, 'ftpdctl msg user dave: exit 0');
is($out, "ftpdctl: message sent to 1 sessions\n", "it prints the reply: " . one($out));
is(ftp_cmd($dave, 'NOOP'), "200-Dave, you need to delete some files\r\n"
    . "200 NOOP command successful\r\n", "the text is in dave's next reply");
is(ftp_cmd($alice, 'NOOP'), "200 NOOP command successful\r\n",
    'and not in alice\'s');

($rc, $out) = ftpdctl("$T/ctl.sock", qw(msg all The server goes down at
    noon));
is($rc, 0, 'ftpdctl msg all: exit 0');
is($out, "ftpdctl: message sent to 2 sessions\n", 'msg all: ' . one($out));
for ([$dave, 'dave'], [$alice, 'alice']) {
	is(ftp_cmd($_->[0], 'NOOP'), "200-The server goes down at noon\r\n"
	    . "200 NOOP command successful\r\n", "$_->[1] has it");
}
like(slurp("$T/msg.log"), qr/uid=0 msg all "The server goes down at noon": sent to 2 sessions$/m,
    'the MessageLog has it, with the uid SO_PEERCRED gave');

($rc, $out) = ftpdctl("$T/ctl.sock", qw(status all));
is($rc, 0, 'ftpdctl status all: exit 0');
like($out, qr/^ftpdctl: pool slots=4 /m, "mux's status, a line each: "
    . (split /\n/, $out)[0]);

($rc, $out) = ftpdctl("$T/ctl.sock", qw(msg user carol hello));
is($out, "ftpdctl: no such client connected\n", 'msg to no one: ' . one($out));

my $t0 = time;
($rc, $out) = ftpdctl("$T/ctl.sock", qw(msg host no-such-host.invalid hi));
my $took = time - $t0;
is($out, "ftpdctl: no such host no-such-host.invalid\n",
    'msg host NAME: ' . one($out));
ok($took >= 0.5, sprintf('answered after the lookup (%.1f s; the '
    . 'resolver waits 0.5 s)', $took));

($rc, $out) = ftpdctl("$T/ctl.sock", qw(kick user alice));
is($rc, 0, 'ftpdctl kick user alice: exit 0');
is($out, "ftpdctl: kicked 1 session\n", 'kick: ' . one($out));
ok(wait_for(sub { my (undef, $o) = ftpdctl("$T/ctl.sock", 'who');
    $o !~ /user=alice/ }, 5), 'alice is gone');

# As nobody: who is allowed it (ControlsACLs), msg and kick are not.
($rc, $out) = ftpdctl("$T/ctl.sock", { as => 'nobody' }, 'who');
is($rc, 0, 'nobody may run who (ControlsACLs status,who allow user nobody)');
my %mux;
for my $a (['kick', qw(kick user dave)], ['msg', qw(msg all hi)],
    ['unknown', qw(frobnicate now)]) {
	my ($name, @args) = @$a;
	$mux{$name} = [ftpdctl("$T/ctl.sock", { as => 'nobody' }, @args)];
}
like($mux{kick}[1], qr/^ftpdctl: access denied\n\z/, 'kick as nobody: access denied');
like($mux{msg}[1], qr/^ftpdctl: access denied\n\z/, 'msg as nobody: access denied');
like(slurp("$T/mux.log"), qr/control: uid 65534 may not run kick: access denied/,
    'the mux logs the denial');
is(ftp_cmd($dave, 'NOOP'), "200 NOOP command successful\r\n",
    'dave got no message from nobody');
like($mux{unknown}[1], qr/^ftpdctl: unsupported action requested\n\z/,
    'an action mux does not have: ' . one($mux{unknown}[1]));

# --- the same ftpdctl against ProFTPD ---------------------------------

my $pport = free_port('127.0.0.1');
spew("$T/proftpd.conf", <<"EOC");
ServerName "ftpdctl interop"
ServerType standalone
DefaultServer on
Port $pport
DefaultAddress 127.0.0.1
SocketBindTight on
UseIPv6 off
User nobody
Group nogroup
WtmpLog off
ScoreboardFile $T/proftpd.scoreboard
PidFile $T/proftpd.pid
TransferLog none
DelayEngine off
UseReverseDNS off
ModulePath $root/usr/lib/proftpd
LoadModule mod_ctrls_admin.c
ControlsEngine on
ControlsSocket $T/proftpd.sock
ControlsInterval 1
ControlsACLs all allow user root
AdminControlsACLs all allow user root
EOC
my $ppid = spawn("$T/proftpd.log", {}, $PROFTPD, '-n', '-c', "$T/proftpd.conf");
push @pids, $ppid;
ok(wait_for(sub { -S "$T/proftpd.sock" }, 15), 'ProFTPD is up')
    or diag(slurp("$T/proftpd.log"));
my %pf;
for my $a (['kick', qw(kick user dave)], ['unknown', qw(frobnicate now)]) {
	my ($name, @args) = @$a;
	$pf{$name} = [ftpdctl("$T/proftpd.sock", { as => 'nobody' }, @args)];
}
is($mux{kick}[1], $pf{kick}[1], "denied: ProFTPD's words (" . one($pf{kick}[1]) . ')');
is($mux{kick}[0], $pf{kick}[0], "and ftpdctl's exit status ($pf{kick}[0])");
is($mux{unknown}[1], $pf{unknown}[1],
    "unknown action: ProFTPD's words (" . one($pf{unknown}[1]) . ')');
is($mux{unknown}[0], $pf{unknown}[0],
    "and ftpdctl's exit status ($pf{unknown}[0])");

# Debian 12's ftpdctl (1.3.8) exits 0 whatever the status (ProFTPD
# #1114 made it exit with the status in 1.3.9), so the statuses are
# read off the wire, ProFTPD's and mux's, with a client of our own.
sub ctrls_raw {
	my ($sock, $as, @args) = @_;
	pipe(my $r, my $w) or die;
	my $pid = fork() // die;
	if ($pid == 0) {
		close($r);
		if ($as) {
			POSIX::setgid(65534);
			POSIX::setuid(65534) or POSIX::_exit(1);
		}
		my $path = "/tmp/ftp.cl-mux-test-$$";
		unlink($path);
		my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM,
		    Local => $path, Peer => $sock) or POSIX::_exit(1);
		unlink($path);
		syswrite($s, pack('lL', 0, scalar @args)
		    . join('', map { pack('L', length) . $_ } @args));
		local $/;
		syswrite($w, <$s> // '');
		POSIX::_exit(0);
	}
	close($w);
	local $/;
	my $buf = <$r> // '';
	waitpid($pid, 0);
	return ('short') if length($buf) < 8;
	my ($st, $n) = unpack('lL', $buf);
	my ($off, @str) = (8);
	for (1 .. $n) {
		my $len = unpack('L', substr($buf, $off, 4));
		push @str, substr($buf, $off + 4, $len);
		$off += 4 + $len;
	}
	return ($st, @str);
}
my @st = ctrls_raw("$T/proftpd.sock", 1, qw(kick user dave));
my @mt = ctrls_raw("$T/ctl.sock", 1, qw(kick user dave));
is("@mt", "-2 access denied", "mux, denied: status -2 (ProFTPD 1.3.8: @st)");
@st = ctrls_raw("$T/proftpd.sock", 0, qw(frobnicate now));
@mt = ctrls_raw("$T/ctl.sock", 0, qw(frobnicate now));
is("@mt", "-7 unsupported action requested",
    "mux, unknown: status -7 (ProFTPD 1.3.8: @st)");
@mt = ctrls_raw("$T/ctl.sock", 0, qw(msg user carol hello));
is("@mt", "-4 no such client connected", 'mux, no such client: status -4');
@mt = ctrls_raw("$T/ctl.sock", 0, qw(kick user));
like("@mt", qr/^-3 bad arguments: kick /, 'mux, bad arguments: status -3');
@mt = ctrls_raw("$T/ctl.sock", 0, qw(restart));
is("@mt", "0 reread", 'restart is a reread: status 0');
like(slurp("$T/mux.log"), qr/control: reread by uid 0/, 'the mux rereads');
my ($prc, $pout) = ftpdctl("$T/proftpd.sock", qw(kick user nosuchuser));
diag("ProFTPD, kick user nosuchuser: exit $prc: " . one($pout));

# --- bad frames ---------------------------------------------------------

# A client bound to a name, as ftpdctl is, sending one frame.
sub bad_frame {
	my ($frame) = @_;
	my $path = "/tmp/ftp.cl-mux-test-$$";
	unlink($path);
	my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $path,
	    Peer => "$T/ctl.sock") or die "connect: $!";
	syswrite($s, $frame);
	my $t0 = time;
	my $sel = IO::Select->new($s);
	my $got = $sel->can_read(5) ? sysread($s, my $buf, 64) : -1;
	unlink($path);
	return ($got, time - $t0);
}
# The line client that must still be answered, and how fast.
sub line_rtt {
	my $c = IO::Socket::UNIX->new(Peer => "$T/ctl.sock") or die;
	my $sel = IO::Select->new($c);
	$sel->can_read(2) and sysread($c, my $hello, 64);
	my $t0 = time;
	syswrite($c, "status\n");
	my $buf = '';
	while ($buf !~ /^\*(OK|ERR)/m && $sel->can_read(2)) {
		sysread($c, $buf, 65536, length $buf) or last;
	}
	return ($buf =~ /^\*OK/m ? 1 : 0, time - $t0);
}
for my $f (["a 2^31 length", pack('lLL', 0, 1, 2**31)],
    ["10^6 arguments", pack('lL', 0, 1_000_000)]) {
	my ($name, $frame) = @$f;
	my ($got, $secs) = bad_frame($frame);
	is($got, 0, sprintf("%s: the client is closed, no reply (%.3f s)",
	    $name, $secs));
	my ($ok, $rtt) = line_rtt();
	ok($ok && $rtt < 0.1, sprintf('another client is answered in %.1f ms',
	    $rtt * 1000));
}
like(slurp("$T/mux.log"), qr/control: a Controls request from uid 0 with an argument longer than 256 bytes: closed/,
    'the 2^31 length is logged');
like(slurp("$T/mux.log"), qr/control: a Controls request from uid 0 with more than 32 arguments: closed/,
    'and the 10^6 arguments');
is(kill(0, $mpid), 1, 'mux is still running');

done_testing();

END { stop_all(@pids) }
