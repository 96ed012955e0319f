#!/usr/bin/perl
# Service sessions in pool mode (--listen without --exec): the worker's
# one handler (poolftpd.pl, started with -server) serves session after
# session, one request line at a time.  Checked: the "session" request
# and its greeting, lock-step for pipelined lines, CRs stripped,
# messages (PASV skipped), a final 221 ending the session, the handler
# kept in step when a client leaves mid-request, the busy timeout (B
# event, handler replaced).
use strict;
use warnings;
no warnings 'qw';
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use IO::Socket::UNIX;
use IO::Select;
use Time::HiRes qw(sleep time);

my $H = "$SRC/tests/regress/poolftpd.pl";
my $dir = tempdir('mux-pool-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod(0700, $dir);



# Read until n final "NNN " lines have come (or EOF, or t seconds).

sub dial {
	my ($port) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $port, Timeout => 5) or die "connect: $!";
	return $s;
}

my $port = free_port();
open(my $fh, '>', "$dir/mux.conf") or die;
print $fh "MessageEngine on\nMessageQueue $dir/queue\n";
close($fh);
my $m = mux_start(args => ['--config', "$dir/mux.conf", '-O', "$dir/ctl.sock",
    '-m', 1, '-x', 1, '-q', 5, '-b', 2, '--listen', "inet:$port", '--', $H]);
$m->{ctl} = "$dir/ctl.sock";

my $c = dial($port);
my $g = replies($c, 1);
like($g, qr/\A220-pool handler (\d+), session 1\r\n220 ready for 127\.0\.0\.1 class default\r\n\z/,
    'the "session" request, with the variables, is answered by the greeting');
my ($hpid) = $g =~ /handler (\d+)/;
syswrite($c, "USER dave\r\nPASS x\r\nNOOP\r\n");
is(replies($c, 3), "331 Password required for dave\r\n"
    . "230 User dave logged in\r\n200 NOOP ok\r\n",
    'three lines in one write: answered one by one, in order, without CRs');
ok(wait_for(sub { (muxctl($m->{ctl}, 'who'))[1] =~ /user=dave class=default cmd=NOOP/ },
    5, 'who'), 'who shows dave and his last command');
my ($rc, $out) = muxctl($m->{ctl}, qw(msg user dave hello, pool));
is($out, "message sent to 1 sessions\n", 'msg user dave');
syswrite($c, "PASV\r\n");
is(replies($c, 1), "227 Entering Passive Mode (127,0,0,1,4,1).\r\n",
    'PASV: untouched');
syswrite($c, "NOOP\r\n");
is(replies($c, 1), "200-hello, pool\r\n200 NOOP ok\r\n",
    'the message comes with the next reply');
# A second client waits in the queue (-x 1); a msg reaches it too, in
# the greeting, which is the reply to its "session" request.
my $c2 = dial($port);
ok(wait_for(sub { mux_status($m)->{queued} == 1 }, 5, 'queued'),
    'a second client waits in the queue');
($rc, $out) = muxctl($m->{ctl}, qw(msg all for the queue too));
is($out, "message sent to 2 sessions\n", 'msg all: the served and the queued');
syswrite($c, "NOOP\r\n");
is(replies($c, 1), "200-for the queue too\r\n200 NOOP ok\r\n",
    'dave has it on his next reply');
syswrite($c, "QUIT\r\n");
is(replies($c, 1), "221 Goodbye.\r\n", 'QUIT');
is(sysread($c, my $x, 1), 0, 'a final 221 ends the session');

# The same handler serves the next session: the queued one.
$c = $c2;
is(replies($c, 1), "220-pool handler $hpid, session 2\r\n"
    . "220-for the queue too\r\n220 ready for 127.0.0.1 class default\r\n",
    "the next session: the same handler (pid $hpid), session 2, with "
    . 'the message in its greeting');

# A client that leaves with a request out: its reply is read and dropped.
syswrite($c, "SLEEP 1\r\n");
close($c);
sleep(1.3);
$c = dial($port);
like(replies($c, 1), qr/\A220-pool handler $hpid, session 3\r\n/,
    'after a client left mid-request the handler is still in step');
close($c);

# A kick while a request is out: the session ends at once, and its
# reply is drained all the same.
$c = dial($port);
like(replies($c, 1), qr/session 4\r\n/, 'a fourth session');
syswrite($c, "SLEEP 1\r\n");
sleep 0.2;
($rc, $out) = muxctl($m->{ctl}, qw(kick host 127.0.0.1));
is($out, "kicked 1 session\n", 'kicked with a request out');
my $t1 = time;
replies($c, 1, 3);
ok(time - $t1 < 0.5, sprintf('the client sees the end in %.2f s', time - $t1));
close($c);
$c = dial($port);
like(replies($c, 1), qr/\A220-pool handler $hpid, session 5\r\n/,
    'the next session meets the same handler, in step');
close($c);

# A handler that writes past its reply is out of step: the session
# ends, the junk never reaches the client, the handler is replaced.
$c = dial($port);
like(replies($c, 1), qr/\A220-pool handler $hpid, session 6\r\n/,
    'a sixth session');
syswrite($c, "JUNK\r\n");
my $j = replies($c, 2, 3);
unlike($j, qr/junk past/, "the junk is not relayed");
is($j, "200 JUNK ok\r\n", "only the reply is");
ok(wait_for(sub { log_text($m) =~ /handler wrote \d+ bytes (past its reply|unasked)/ },
    5, 'junk logged'), 'the out-of-step handler is logged');
ok(wait_for(sub { !kill(0, $hpid) }, 15, 'junk handler gone'),
    'and replaced');
close($c);
$c = dial($port);
my $g3 = replies($c, 1);
like($g3, qr/\A220-pool handler (\d+), session 1\r\n/,
    'a new handler greets the next session');
($hpid) = $g3 =~ /handler (\d+)/;
close($c);
ok(wait_for(sub { mux_status($m)->{states} =~ /^I/ }, 5, 'idle'), 'idle again');

# Busy timeout (-b 2): the client is told, listeners get B, the
# handler is replaced.
my $lis = IO::Socket::UNIX->new(Peer => $m->{ctl}) or die;
syswrite($lis, "?B\n");
$c = dial($port);
like(replies($c, 1), qr/handler $hpid, session 2/, 'its second session');
my $t0 = time;
syswrite($c, "SLEEP 5\r\n");
is(replies($c, 1, 5), "421 Service not available, handler timed out\r\n",
    sprintf('SLEEP 5 with -b 2: 421 after %.1f s', time - $t0));
my $ev = '';
my $sel = IO::Select->new($lis);
my $end = time + 3;
while (time < $end && $ev !~ /^B$/m) {
	sysread($lis, $ev, 4096, length $ev) if $sel->can_read(0.2);
}
like($ev, qr/^B$/m, 'listeners get B');
ok(wait_for(sub { !kill(0, $hpid) }, 15, 'old handler gone'),
    'the slow handler is stopped');
$c = dial($port);
my $g2 = replies($c, 1);
like($g2, qr/\A220-pool handler (\d+), session 1\r\n/,
    'a new handler serves the next session');
close($c);
is(mux_stop($m), 0, 'clean stop');

# MaxClientsPerUser in pool mode: the refused login's "230" never
# reaches the client, and is drained so its handler stays in step.
open($fh, '>', "$dir/user.conf") or die;
print $fh "MessageEngine on\nMessageQueue $dir/queue\nMaxClientsPerUser 1\n";
close($fh);
$m = mux_start(args => ['--config', "$dir/user.conf", '-m', 2, '-x', 2,
    '--listen', "inet:$port", '--', $H]);
my $e1 = dial($port);
replies($e1, 1);
syswrite($e1, "USER erin\r\nPASS x\r\n");
like(replies($e1, 2), qr/^230 User erin logged in\r\n\z/m, 'erin logs in');
my $e2 = dial($port);
replies($e2, 1);
syswrite($e2, "USER erin\r\nPASS slow\r\n");
is(replies($e2, 2), "331 Password required for erin\r\n"
    . "421 Too many connections for user erin\r\n",
    'a second erin gets 421, never the 230');
close($e1);
close($e2);
for my $k (1, 2) {
	ok(wait_for(sub { mux_status($m)->{states} eq 'II' }, 5, 'idle'),
	    "round $k: both workers idle");
	my @c = map { dial($port) } 1 .. 2;
	like(replies($_, 1), qr/\A220-pool handler \d+, session \d+\r\n220 ready/,
	    "round $k: a greeting, not a stale 230") for @c;
	close($_) for @c;
}
is(mux_stop($m), 0, 'clean stop');
done_testing();
