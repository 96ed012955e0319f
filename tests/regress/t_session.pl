#!/usr/bin/perl
# Service listeners (--listen) with exec-mode handlers, and messages into
# their sessions (ProFTPD mod_msg): a small FTP daemon (ftpd.pl) runs
# once per session; two users log in; msg user/host/class/all reach the
# right sessions on their next eligible reply, PASV replies are left
# alone, multi-line replies keep their final line, a session that ends
# first logs what it missed.  Then the limits (MaxClientsPerHost,
# MaxClientsPerUser, BusyReply, SessionTimeout), kick, and the
# MessageEngine-off mode where the handler gets the client's socket.
use strict;
use warnings;
no warnings 'qw';	# msg texts have commas
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(sleep time);

my $MUXCTL = $ENV{MUXCTL} // "$SRC/build/muxctl";
my $FTPD = "$SRC/tests/regress/ftpd.pl";
my $dir = tempdir('mux-sess-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod(0755, $dir);




# One FTP control connection; reads whole replies (up to "NNN ").
sub ftp_open {
	my ($port, %o) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $port, LocalAddr => $o{from} // '127.0.0.1',
	    Timeout => 5) or die "connect: $!";
	return { s => $s, greeting => ftp_reply({ s => $s }) };
}

sub ftp_reply {
	my ($c, $t) = @_;
	my $sel = IO::Select->new($c->{s});
	my ($buf, $end) = ('', time + ($t // 5));
	while (time < $end) {
		last if $buf =~ /(?:^|\n)\d\d\d [^\n]*\n\z/;
		next unless $sel->can_read(0.1);
		my $n = sysread($c->{s}, $buf, 4096, length $buf);
		last unless $n;
	}
	return $buf;
}

sub ftp_cmd {
	my ($c, $line) = @_;
	syswrite($c->{s}, "$line\r\n");
	return ftp_reply($c);
}

sub login {
	my ($port, $user, %o) = @_;
	my $c = ftp_open($port, %o);
	ftp_cmd($c, "USER $user");
	$c->{login} = ftp_cmd($c, 'PASS secret');
	return $c;
}

sub who_has {
	my ($m, $re) = @_;
	return wait_for(sub { (muxctl($m->{ctl}, 'who'))[1] =~ $re }, 10, "who: $re");
}

my $t0;
my $port = free_port();

# A resolver that takes 1 s to say a name does not exist.
my $dport = free_port();
my $dns = fork() // die;
if ($dns == 0) {
	$ENV{FAKEDNS_DELAY} = 1;
	exec('perl', "$SRC/tests/regress/fakedns.pl", $dport);
	exit 1;
}
END { kill 'TERM', $dns if $dns }
write_file("$dir/resolv.conf", "nameserver 127.0.0.1:$dport\n");
my $c = write_file("$dir/mux.conf", "MessageEngine on\nMessageQueue $dir/queue\n"
    . "MessageLog $dir/msg.log\nClass staff 127.0.0.2\n"
    . "ResolvConf $dir/resolv.conf\n");
my $m = mux_start(args => ['--config', $c, '-O', "$dir/ctl.sock", '-x', 6,
    '--listen', "inet:$port", '--exec', '--', $FTPD]);
$m->{ctl} = "$dir/ctl.sock";

# A listener subscribed to M.
my $lis = IO::Socket::UNIX->new(Peer => $m->{ctl}) or die;
syswrite($lis, "?M\n");

my $dave = login($port, 'dave');
like($dave->{greeting}, qr/^220 ftpd\.pl ready for 127\.0\.0\.1:\d+ via inet class default\r\n\z/,
    'the handler gets the tcpserver variables and MUX_CLASS, through the relay that looks like TCP');
is($dave->{login}, "230 User dave logged in\r\n", 'dave logs in');
my $alice = login($port, 'alice', from => '127.0.0.2');
like($alice->{greeting}, qr/class staff/, 'alice, from 127.0.0.2, is of class staff');
who_has($m, qr/client=127\.0\.0\.1 user=dave class=default cmd=PASS/);
who_has($m, qr/client=127\.0\.0\.2 user=alice class=staff cmd=PASS/);

my ($rc, $out) = muxctl($m->{ctl}, qw(msg user dave Dave, you need to delete some files));
is($rc, 0, 'msg user dave: exit 0');
is($out, "message sent to 1 sessions\n", "msg user dave: $out");
my $pasv = ftp_cmd($dave, 'PASV');
like($pasv, qr/^227 Entering Passive Mode \(127,0,0,1,\d+,\d+\)\.\r\n\z/,
    'the PASV reply is left untouched');
is(ftp_cmd($dave, 'NOOP'),
    "200-Dave, you need to delete some files\r\n200 NOOP command successful\r\n",
    'the next reply carries the message before its final line');
is(ftp_cmd($dave, 'NOOP'), "200 NOOP command successful\r\n", 'once');
is(ftp_cmd($alice, 'NOOP'), "200 NOOP command successful\r\n",
    'alice got nothing');

($rc, $out) = muxctl($m->{ctl}, qw(msg all The server goes down at noon));
is($out, "message sent to 2 sessions\n", 'msg all: 2 sessions');
is(ftp_cmd($dave, 'noop'),
    "200-The server goes down at noon\r\n200 NOOP command successful\r\n",
    'msg all reaches dave');
is(ftp_cmd($alice, 'FEAT'),
    "211-Features:\r\n EPSV\r\n PASV\r\n SIZE\r\n"
    . "211-The server goes down at noon\r\n211 End\r\n",
    'and alice, inside a multi-line reply, before its final line');

($rc, $out) = muxctl($m->{ctl}, qw(msg class staff staff only));
is($out, "message sent to 1 sessions\n", 'msg class staff: 1 session');
is(ftp_cmd($alice, 'NOOP'), "200-staff only\r\n200 NOOP command successful\r\n",
    'it reaches alice');
($rc, $out) = muxctl($m->{ctl}, qw(msg host 127.0.0.1 from loopback one));
is($out, "message sent to 1 sessions\n", 'msg host 127.0.0.1: 1 session');
is(ftp_cmd($dave, 'NOOP'),
    "200-from loopback one\r\n200 NOOP command successful\r\n",
    'it reaches dave');
is(ftp_cmd($alice, 'NOOP'), "200 NOOP command successful\r\n", 'not alice');

# A host by name, resolved without blocking the mux (evdns, /etc/hosts).
($rc, $out) = muxctl($m->{ctl}, qw(msg host localhost to whoever is on localhost));
is($out, "message sent to 1 sessions\n", "msg host localhost: $out");
is(ftp_cmd($dave, 'NOOP'),
    "200-to whoever is on localhost\r\n200 NOOP command successful\r\n",
    'it reaches dave, from 127.0.0.1');
# A name that is echoed and logged must be short and printable.
($rc, $out) = muxctl($m->{ctl}, 'msg', 'host', "evil\rname", 'x');
is("$rc $out", "1 muxctl: bad name: up to 253 printable characters\n",
    'msg host with a CR in the name: refused');
($rc, $out) = muxctl($m->{ctl}, 'msg', 'user', 'u' x 254, 'x');
is("$rc $out", "1 muxctl: bad name: up to 253 printable characters\n",
    'a name of 254 bytes: refused');
{
	# A name that does not resolve: the answer waits for the resolver,
	# the mux serves others meanwhile.
	my $t1 = time;
	my $pid = open(my $slow, '-|', "\"$MUXCTL\" -s $m->{ctl} msg host "
	    . "no-such-host.invalid hello 2>&1; echo rc=\$?") or die;
	sleep 0.05;
	my $t = time;
	my ($src) = muxctl($m->{ctl}, 'status');
	my $dt = time - $t;
	is($src, 0, sprintf('status answered in %.3f s meanwhile', $dt));
	ok($dt < 0.5, 'quickly');
	my $res = do { local $/; <$slow> };
	close($slow);
	my $took = time - $t1;
	is($res, "muxctl: no such host no-such-host.invalid\nrc=4\n",
	    sprintf('an unknown name: no such host, exit 4, after %.2f s',
	    $took));
	ok($took >= 0.9, 'the answer waited for the slow resolver, while '
	    . 'status was served');
	# A listener that leaves while its lookup runs does not take its
	# msg back: the lookup ends, then the msg and the lines it sent
	# after it are carried out; only the answers are lost.
	for my $i (1, 2) {
		my $l = IO::Socket::UNIX->new(Peer => $m->{ctl}) or die;
		syswrite($l, "msg host no-such-host.invalid bye $i\n"
		    . "msg user dave after $i\n");
		sleep 0.05;
		close($l);
	}
	my $ml;
	ok(wait_for(sub {
		$ml = read_file("$dir/msg.log");
		$ml =~ /after 2/ }, 15, 'both done'),
	    'two listeners that left mid-lookup: their lines were carried out');
	like($ml, qr/msg host no-such-host\.invalid "bye 1": no such host\n.*msg user dave "after 1": sent to 1 sessions\n.*"bye 2": no such host\n.*"after 2": sent to 1 sessions$/s,
	    'in order, each in the MessageLog');
	is(ftp_cmd($dave, 'NOOP'),
	    "200-after 1\r\n200-after 2\r\n200 NOOP command successful\r\n",
	    'dave has both');
	my ($rc2) = muxctl($m->{ctl}, 'status');
	is($rc2, 0, 'the mux serves on');
	# A listener dropped by the mux during its lookup (here the mux
	# stops): its msg is logged as not sent.
	my $c2 = write_file("$dir/drop.conf", "MessageEngine on\n"
	    . "MessageQueue $dir/queue2\nMessageLog $dir/drop.log\n"
	    . "ResolvConf $dir/resolv.conf\n");
	my $m2 = mux_start(args => ['--config', $c2, '-O', "$dir/ctl2.sock",
	    '--listen', 'inet:' . free_port(), '--exec', '--', $FTPD]);
	my $l = IO::Socket::UNIX->new(Peer => "$dir/ctl2.sock") or die;
	syswrite($l, "msg host no-such-host.invalid bye\n");
	sleep 0.3;
	is(mux_stop($m2), 0, 'a mux stopped during a lookup stops cleanly');
	like(log_text($m2), qr/msg host no-such-host\.invalid: dropped with its listener during the lookup: not sent/,
	    'the dropped msg is logged');
	my $dl = read_file("$dir/drop.log");
	like($dl, qr/msg host no-such-host\.invalid "bye": not sent: dropped with its listener during the lookup$/m,
	    'and written to the MessageLog');
}

# Two messages wait through EPSV and a 3xx, then arrive together.
muxctl($m->{ctl}, qw(msg user dave first));
muxctl($m->{ctl}, qw(msg user dave second));
like(ftp_cmd($dave, 'EPSV'), qr/^229 [^\n]*\n\z/, 'EPSV: untouched');
is(ftp_cmd($dave, 'USER dave'), "331 Password required for dave\r\n",
    'a 3xx reply: untouched');
is(ftp_cmd($dave, 'PASS x'),
    "230-first\r\n230-second\r\n230 User dave logged in\r\n",
    'both arrive in order on the next eligible reply');

# A full queue: dave's worker is stopped, so 30 messages of 900 bytes
# overflow the kernel's 16 KiB; the rest wait in the mux, which answers
# every msg at once all the same.  Nothing is lost: at most 16 go into
# one reply, the rest into the next.
# who shows the handler's pid; its parent is the worker session.
my ($hpid) = (muxctl($m->{ctl}, 'who'))[1] =~ /pid=(\d+) state=busy [^\n]*user=dave/;
my ($dpid) = (read_file("/proc/$hpid/stat") =~ /\) \S (\d+)/);
ok($dpid && $dpid != $m->{pid}, "dave's handler is pid $hpid, its worker session $dpid");
kill 'STOP', $dpid;
my @big = map { sprintf("%02d ", $_) . ('x' x 897) } 1 .. 30;
$t0 = time;
my $sent = 0;
for my $t (@big) {
	$sent++ if (muxctl($m->{ctl}, 'msg', 'user', 'dave', $t))[1] eq "message sent to 1 sessions\n";
}
my $took = time - $t0;
is($sent, 30, sprintf('30 msgs answered in %.2f s with the queue full', $took));
my $st = (muxctl($m->{ctl}, 'status'))[1];
my ($waiting, $full) = $st =~ /^messages .* waiting=(\d+) queue_full=(\d+)/m;
ok($waiting > 0 && $full > 0, "messages wait in the mux: waiting=$waiting queue_full=$full");
kill 'CONT', $dpid;
my $r1 = ftp_cmd($dave, 'NOOP');
my $r2 = ftp_cmd($dave, 'NOOP');
my @got = map { /^200-(.*)\r$/ ? $1 : () } split /\n/, $r1 . $r2;
is(scalar(@got), 30, '30 messages arrived over two replies (' .
    (() = $r1 =~ /^200-/mg) . ' + ' . (() = $r2 =~ /^200-/mg) . ')');
is_deeply(\@got, \@big, 'all of them, in order, byte for byte');
like($r1, qr/\r\n200 NOOP command successful\r\n\z/, 'the final line stays last');
like((muxctl($m->{ctl}, 'status'))[1], qr/^messages .* waiting=0 /m, 'nothing waits any more');

($rc, $out) = muxctl($m->{ctl}, qw(msg user nobody hello));
is($rc, 4, 'msg user nobody: exit 4');
is($out, "muxctl: no such client connected\n", $out);

# The M events.
my $ev = '';
my $sel = IO::Select->new($lis);
my $end = time + 3;
while (time < $end && ($ev =~ tr/\n//) < 7) {
	sysread($lis, $ev, 4096, length $ev) if $sel->can_read(0.2);
}
like($ev, qr/^\*OK\n/, 'the listener is greeted');
like($ev, qr/^M 1 user dave\nM 2 all\nM 1 class staff\nM 1 host 127\.0\.0\.1\nM 1 host localhost\n/m,
    "M events: " . join('|', split /\n/, $ev));

# A session that ends before its next reply logs what it missed.
muxctl($m->{ctl}, qw(msg user alice you will never see this));
close($alice->{s});
ok(wait_for(sub { log_text($m) =~ /session ended before its next reply: message not delivered: you will never see this/ },
    5, 'undelivered message logged'), 'a session that ends first logs its message');
who_has($m, qr/\A(?!.*user=alice)/s);

# kick cuts a service session.
($rc, $out) = muxctl($m->{ctl}, qw(kick user dave));
is($out, "kicked 1 session\n", 'kick user dave');
$t0 = time;
my $rest = ftp_reply($dave, 3);
ok(time - $t0 < 2, sprintf('dave sees the end in %.2f s', time - $t0));
is(sysread($dave->{s}, my $x, 1), 0, 'EOF');

my $log = read_file("$dir/msg.log");
like($log, qr/uid=0 msg user dave "Dave, you need to delete some files": sent to 1 sessions$/m,
    'the MessageLog has each msg');
like($log, qr/uid=0 msg user nobody "hello": no such client connected$/m,
    'and the ones that reached nobody');

# A real client: curl fetches a file while a message goes into its
# session during the login.
{
	# make test installs curl (Makefile DEBS): no skipping this.
	ok(-x '/usr/bin/curl', 'curl is installed') or BAIL_OUT('no curl');
	is(mux_stop($m), 0, 'clean stop');
	mkdir("$dir/root");
	open(my $fh, '>', "$dir/root/hello.txt") or die;
	print $fh "hello from mux\n";
	close($fh);
	$ENV{FTPD_ROOT} = "$dir/root";
	$ENV{FTPD_LOGIN_DELAY} = 1;
	$m = mux_start(args => ['--config', $c, '-O', "$dir/ctl.sock",
	    '--listen', "inet:$port", '--exec', '--', $FTPD]);
	$m->{ctl} = "$dir/ctl.sock";
	my $pid = open(my $curl, '-|',
	    "curl -sS -v ftp://carol:pw\@127.0.0.1:$port/hello.txt 2>&1")
	    or die;
	who_has($m, qr/user=carol/);
	($rc, $out) = muxctl($m->{ctl}, qw(msg user carol Carol, disk quota at 95%));
	is($out, "message sent to 1 sessions\n", 'msg user carol');
	my $trace = do { local $/; <$curl> };
	close($curl);
	is($?, 0, 'curl succeeds');
	like($trace, qr/^< 230-Carol, disk quota at 95%\r?\n< 230 User carol logged in/m,
	    'curl shows the injected line before the final 230');
	like($trace, qr/^hello from mux$/m, 'and got the file');
	diag(join("\n", grep { /^[<>] / } split /\n/, $trace));
	delete $ENV{FTPD_LOGIN_DELAY};
}
is(mux_stop($m), 0, 'clean stop');

# Limits: MaxClientsPerHost, MaxClientsPerUser, BusyReply, SessionTimeout.
$c = write_file("$dir/limits.conf", "MessageEngine on\nMessageQueue $dir/queue\n"
    . "MaxClientsPerHost 2\nMaxClientsPerUser 1\nSessionTimeout 2\n"
    . "BusyReply 421 Try again later\n");
$m = mux_start(args => ['--config', $c, '-O', "$dir/ctl.sock", '-x', 3,
    '--listen', "inet:$port", '--exec', '--', $FTPD]);
$m->{ctl} = "$dir/ctl.sock";
my $a1 = login($port, 'erin');
my $a2 = ftp_open($port);
my $a3 = ftp_open($port);
is($a3->{greeting}, "421 Too many connections from your host\r\n",
    'MaxClientsPerHost 2: the third from 127.0.0.1 is refused');
my $b1 = ftp_open($port, from => '127.0.0.3');
like($b1->{greeting}, qr/^220 /, 'a third session, from 127.0.0.3');
my $b2 = ftp_open($port, from => '127.0.0.4');
is($b2->{greeting}, "421 Try again later\r\n",
    'all 3 workers busy, no queue: BusyReply');
ftp_cmd($a2, 'USER erin');
is(ftp_cmd($a2, 'PASS x'), "421 Too many connections for user erin\r\n",
    'MaxClientsPerUser 1: erin\'s second login is refused');
is(sysread($a2->{s}, $x, 1), 0, 'and closed');
my $want = 'refused busy=1 queue_full=0 queue_timeout=0 no_worker=0 '
    . 'shutdown=0 per_host=1 per_user=1 rules=0 early_talker=0 banner_hangup=0';
like((muxctl($m->{ctl}, 'status'))[1], qr/^\Q$want\E$/m,
    'status counts each refusal by its reason: busy=1 per_host=1 per_user=1');
like((muxctl($m->{ctl}, 'status', '--json'))[1],
    qr/"refused":\{"busy":1,"queue_full":0,"queue_timeout":0,"no_worker":0,/,
    'and status --json');
$t0 = time;
is(ftp_reply($a1, 5), "421 Idle timeout (2 seconds): closing connection\r\n",
    'SessionTimeout 2: an idle session is told, then closed');
ok(time - $t0 < 3.5, sprintf('after %.1f s more', time - $t0));
is(mux_stop($m), 0, 'clean stop');

# A reread takes BusyReply at once, and MessageSkipCommands for the
# sessions that start after it; it reopens the MessageLog, so logrotate
# can move it.  Sessions already running keep what they started with.
$c = write_file("$dir/rr.conf", "MessageEngine on\nMessageQueue $dir/queue\n"
    . "MessageLog $dir/rr.log\nBusyReply 421 first\n");
$m = mux_start(args => ['--config', $c, '-O', "$dir/ctl.sock", '-x', 2,
    '--listen', "inet:$port", '--exec', '--', $FTPD]);
$m->{ctl} = "$dir/ctl.sock";
my $r1 = login($port, 'frank');
my $r2 = login($port, 'gina');
is(ftp_open($port)->{greeting}, "421 first\r\n", 'BusyReply before the reread');
($rc, $out) = muxctl($m->{ctl}, qw(msg user frank before));
is(ftp_cmd($r1, 'NOOP'), "200-before\r\n200 NOOP command successful\r\n",
    'NOOP carries a message before the reread');
rename("$dir/rr.log", "$dir/rr.log.1") or die;
write_file($c, "MessageEngine on\nMessageQueue $dir/queue\n"
    . "MessageLog $dir/rr.log\nBusyReply 421 second\n"
    . "MessageSkipCommands NOOP\n");
($rc, $out) = muxctl($m->{ctl}, 'reread');
is($rc, 0, 'reread');
is(ftp_open($port)->{greeting}, "421 second\r\n", 'the new BusyReply at once');
like(ftp_cmd($r2, 'QUIT'), qr/^221 /, 'gina quits');
ok(status_wait($m->{ctl}, qr/^sessions live=1 /m, 5, 'one session left'),
    'gina\'s session is gone');
my $r3 = login($port, 'hank');
is($r3->{login}, "230 User hank logged in\r\n", 'hank logs in after the reread');
who_has($m, qr/user=hank/);
($rc, $out) = muxctl($m->{ctl}, qw(msg all after));
is($out, "message sent to 2 sessions\n", 'msg all after the reread');
is(ftp_cmd($r3, 'NOOP'), "200 NOOP command successful\r\n",
    'hank\'s session skips NOOP, as the new configuration says');
is(ftp_cmd($r3, 'SYST'), "215-after\r\n215 UNIX Type: L8\r\n",
    'and has the message on SYST');
is(ftp_cmd($r1, 'NOOP'), "200-after\r\n200 NOOP command successful\r\n",
    'frank\'s session, older than the reread, keeps its list');
my $old = read_file("$dir/rr.log.1");
my $new = read_file("$dir/rr.log");
like($old, qr/msg user frank "before": sent to 1 sessions$/m,
    'the moved MessageLog has the msg before the reread');
unlike($old, qr/after/, 'and nothing after it');
like($new, qr/msg all "after": sent to 2 sessions$/m,
    'the reopened MessageLog has the msg after it');
# SIGHUP, logrotate's signal, reopens it too, and ends no session.
rename("$dir/rr.log", "$dir/rr.log.2") or die;
kill 'HUP', $m->{pid};
ok(wait_for(sub { -e "$dir/rr.log" }, 5), 'SIGHUP: MessageLog made again');
($rc, $out) = muxctl($m->{ctl}, qw(msg all hup));
is($out, "message sent to 2 sessions\n", 'both sessions live after SIGHUP');
like(read_file("$dir/rr.log"), qr/msg all "hup": sent to 2 sessions$/m,
    'the new MessageLog has the msg after SIGHUP');
unlike(read_file("$dir/rr.log.2"), qr/hup/, 'the moved one does not');
is(mux_stop($m), 0, 'clean stop');

# kick and msg reach sessions no worker has yet: in the banner phase
# and in the queue.  One worker, held by an exempt client.
$c = write_file("$dir/early.conf", "MessageEngine on\nMessageQueue $dir/queue\n"
    . "Banner held\nBannerPreSleep 2\nBannerExempt 127.0.0.1\n");
$m = mux_start(args => ['--config', $c, '-O', "$dir/ctl.sock", '-x', 1,
    '-q', 4, '--listen', "inet:$port", '--exec', '--', $FTPD]);
$m->{ctl} = "$dir/ctl.sock";
my $ea = login($port, 'ivan');
is($ea->{login}, "230 User ivan logged in\r\n", 'ivan holds the one worker');
my %early;
for my $h (2 .. 4) {
	$early{$h} = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $port, LocalAddr => "127.0.0.$h", Timeout => 5) or die;
}
ok(status_wait($m->{ctl}, qr/^sessions live=4 banner=3 /m, 5,
    'three in the banner phase'), 'three sessions in the banner phase');
($rc, $out) = muxctl($m->{ctl}, 'who');
like($out, qr/^slot=- pid=- state=banner requests=0 age=\d+ idle=0 online=\d+ client=127\.0\.0\.2 user=\(none\) class=default cmd=- tag=$/m,
    'who shows the sessions in the banner phase');
{
	my $w = IO::Socket::UNIX->new(Peer => $m->{ctl}) or die;
	syswrite($w, "who\n");
	my $all = '';
	while ($all !~ /^\*(OK \d|ERR)[^\n]*\n/m) {
		last unless sysread($w, $all, 4096, length $all);
	}
	like($all, qr/^\*OK 1 worker session, 3 waiting$/m,
	    'the listener protocol counts them apart');
}
($rc, $out) = muxctl($m->{ctl}, 'who', '--json');
like($out, qr/\{"slot":null,"pid":null,"state":"banner",/, 'who --json too, '
    . 'no slot or pid yet being null');
($rc, $out) = muxctl($m->{ctl}, qw(msg host 127.0.0.2 early bird));
is($out, "message sent to 1 sessions\n", 'msg to a session in the banner phase');
($rc, $out) = muxctl($m->{ctl}, qw(kick host 127.0.0.3));
is($out, "kicked 1 session\n", 'kick of a session in the banner phase');
$t0 = time;
is(ftp_reply({ s => $early{3} }, 3), '', 'it gets no byte');
ok(time - $t0 < 1, sprintf('and the end after %.2f s, before its banner', time - $t0));
my $took = 0;
for my $i (1 .. 16) {
	($rc) = muxctl($m->{ctl}, 'msg', 'host', '127.0.0.4', "fill $i");
	$took++ if $rc == 0;
}
is($took, 16, 'a session without a worker holds 16 messages');
($rc, $out) = muxctl($m->{ctl}, qw(msg host 127.0.0.4 one too many));
is("$rc $out", "1 muxctl: too many messages waiting\n", 'the 17th is refused, exit 1');
ok(status_wait($m->{ctl}, qr/queued=2 /m, 5, 'two queued'),
    'after the banner, the two others wait in the queue');
like((muxctl($m->{ctl}, 'who'))[1], qr/^slot=- .*state=queued .*client=127\.0\.0\.4 /m,
    'who shows them as queued');
($rc, $out) = muxctl($m->{ctl}, qw(kick host 127.0.0.4));
is($out, "kicked 1 session\n", 'kick of a queued session');
$t0 = time;
my $sel = IO::Select->new($early{4});
my $got = '';
while ($sel->can_read(3)) {
	last unless sysread($early{4}, $got, 4096, length $got);
}
is($got, "220-held\r\n", 'it had its banner, then the end');
like(log_text($m), qr/session \d+ from 127\.0\.0\.4 ended before a worker had it: 16 messages not delivered/,
    'its 16 messages are logged as not delivered');
ok(time - $t0 < 1, sprintf('after %.2f s', time - $t0));
ok(status_wait($m->{ctl}, qr/queued=1 /m, 5, 'one queued'),
    'one left in the queue');
($rc, $out) = muxctl($m->{ctl}, qw(msg all to everyone));
is($out, "message sent to 2 sessions\n",
    'msg all: the session with a worker and the queued one');
is(ftp_cmd($ea, 'NOOP'), "200-to everyone\r\n200 NOOP command successful\r\n",
    'ivan has it on his next reply');
like(ftp_cmd($ea, 'QUIT'), qr/^221 /, 'ivan quits: the worker is free');
like(ftp_reply({ s => $early{2} }, 5),
    qr/^220-held\r\n220-early bird\r\n220-to everyone\r\n220 ftpd\.pl ready /,
    'the queued session has both messages in its greeting, in order');
is(mux_stop($m), 0, 'clean stop');

# MessageEngine off: the handler gets the client's socket itself.
$c = write_file("$dir/off.conf", "MessageEngine off\n");
$m = mux_start(args => ['--config', $c, '-O', "$dir/ctl.sock",
    '--listen', "inet:$port", '--exec', '--', $FTPD]);
$m->{ctl} = "$dir/ctl.sock";
my $d = login($port, 'dave');
like($d->{greeting}, qr/via inet class default/,
    'MessageEngine off: the handler\'s stdin is the client\'s TCP socket');
who_has($m, qr/user=dave/);
($rc, $out) = muxctl($m->{ctl}, qw(msg all hello));
is($rc, 1, 'msg: exit 1');
is($out, "muxctl: MessageEngine is off\n", $out);
($rc, $out) = muxctl($m->{ctl}, qw(kick user dave));
is($out, "kicked 1 session\n", 'kick works on a handed socket too');
$t0 = time;
ftp_reply($d, 3);
is(sysread($d->{s}, $x, 1), 0, sprintf('EOF after %.2f s', time - $t0));
is(mux_stop($m), 0, 'clean stop');

# One worker, sessions back to back: the worker goes idle right after it
# reports a session's end, so the mux may see it idle and hand it the
# next client before reading that report.  Every record must still end
# (a leaked one counted against MaxClientsPerHost for ever).
$m = mux_start(args => ['-O', "$dir/ctl.sock", '-m', 1, '-x', 1,
    '--listen', "inet:$port", '--exec', '--', $FTPD]);
my %seen;
for (1 .. 300) {
	my $r = ftp_open($port)->{greeting};
	$seen{$r =~ /^220 ftpd\.pl ready/ ? 'served'
	    : $r eq "421 Service not available, all workers busy\r\n" ? 'busy'
	    : 'other'}++;
}
is($seen{other} // 0, 0, sprintf('300 sessions on one worker: %d served, '
    . '%d told busy, none cut', $seen{served} // 0, $seen{busy} // 0));
ok(status_wait("$dir/ctl.sock", qr/^sessions live=0 /m, 5, 'live=0'),
    'and no session record is left once they are gone');
is(mux_stop($m), 0, 'clean stop');

# A handler that gives up at once: its exit status or signal is logged
# when the session ends, whether it had the socket or a relay.
for my $h (['exit 3', qr/session \d+: handler \/bin\/sh \(pid \d+\) exited with status 3$/m],
    ['kill -SEGV $$', qr/session \d+: handler \/bin\/sh \(pid \d+\) killed by signal 11 \(Segmentation fault\)$/m]) {
	for my $conf ("$dir/mux.conf", "$dir/off.conf") {
		$m = mux_start(args => ['--config', $conf, '-O',
		    "$dir/ctl.sock", '--listen', "inet:$port", '--exec', '--',
		    '/bin/sh', '-c', $h->[0]]);
		my $s = IO::Socket::INET->new("127.0.0.1:$port") or die;
		sysread($s, $x, 100);
		ok(wait_for(sub { log_text($m) =~ $h->[1] }, 5),
		    "'$h->[0]' is logged (" . ($conf =~ /off/ ?
		    'its own socket' : 'relay') . ')') or diag(log_text($m));
		is(mux_stop($m), 0, 'clean stop');
	}
}
done_testing();
