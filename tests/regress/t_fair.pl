#!/usr/bin/perl
# Fair, lossless messages.  Five sessions whose clients send nothing get
# 300 messages of 1,000 bytes each (1.5 MB for a 16 KiB queue), then a
# message to an active user: it is taken and reaches that user's next
# reply, nothing fails, and every message ends one way (delivered,
# dropped past a bound, undelivered when its session ended), in
# MessageLog per session and in status.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use IO::Socket::UNIX;
use Time::HiRes qw(sleep time);

my $FTPD = "$SRC/tests/regress/ftpd.pl";
my $dir = tempdir('mux-fair-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod(0755, $dir);
my $IDLE = 5;
my $N = 300;

sub reply { return replies($_[0], 1) }

sub cmd { syswrite($_[0], "$_[1]\r\n"); return reply($_[0]) }

sub login {
	my ($port, $user, $from) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
	    LocalAddr => $from) or die "connect: $!";
	reply($s);
	cmd($s, "USER $user");
	cmd($s, 'PASS x');
	return $s;
}

my $port = free_port();
my $c = write_file("$dir/mux.conf", "MessageEngine on\n"
    . "MessageQueue $dir/queue\nMessageLog $dir/msg.log\n");
my $m = mux_start(args => ['--config', $c, '-O', "$dir/ctl.sock", '-x', 8,
    '--listen', "inet:$port", '--exec', '--', $FTPD]);
my $ctl = "$dir/ctl.sock";

my @idle = map { login($port, "idle$_", '127.0.0.2') } 1 .. $IDLE;
my $dave = login($port, 'dave', '127.0.0.1');
sub users { my @u = (muxctl($ctl, 'who'))[1] =~ / user=(idle\d|dave) /g;
    return scalar(@u) }
ok(wait_for(sub { users() == $IDLE + 1 }, 10, 'all logged in'),
    "$IDLE idle sessions and dave are in");

# 300 messages of 1,000 bytes to the idle sessions, on one connection.
my $u = IO::Socket::UNIX->new(Peer => $ctl) or die "$ctl: $!";
my $hello = '';
sysread($u, $hello, 4096, length $hello) until $hello =~ /\n\z/;
is($hello, "*OK\n", 'the control socket greets');
my ($ok, $t0) = (0, time);
for my $i (1 .. $N) {
	syswrite($u, sprintf("msg host 127.0.0.2 %04d %s\n", $i, 'x' x 995));
	my $r = '';
	sysread($u, $r, 4096, length $r) until $r =~ /\n\z/;
	$ok++ if $r eq "*OK message sent to $IDLE sessions\n";
}
is($ok, $N, sprintf("all %d msg host answered *OK, to %d sessions each "
    . "(%.1f s)", $N, $IDLE, time - $t0));
my ($rc, $out) = muxctl($ctl, qw(msg user dave your quota is at 95%));
is("$rc $out", "0 message sent to 1 sessions\n",
    'then msg user dave is taken: the idle sessions block nobody');
is(cmd($dave, 'NOOP'), "200-your quota is at 95%\r\n"
    . "200 NOOP command successful\r\n", 'it reaches his next reply');

# In transit, some wait in mux (4 per session in the queue at a time);
# soon each idle session's worker holds its newest 64, having dropped
# the rest, and nothing waits.
ok(wait_for(sub { (muxctl($ctl, 'status'))[1] =~ /^messages .* waiting=0 /m },
    10, 'nothing waits'), 'soon nothing waits in mux');
($rc, $out) = muxctl($ctl, 'status');
like($out, qr/^messages .* failed=0 /m, 'nothing failed') or diag($out);
my $first = sprintf('%04d', $N - 63);
for my $i (0 .. $#idle) {
	my @got = cmd($idle[$i], 'NOOP') =~ /^200-(\d{4}) x+\r$/mg;
	is(scalar(@got) . " $got[0]", "16 $first", "idle" . ($i + 1)
	    . ": its next reply carries 16, from $first, the oldest of "
	    . 'its newest 64');
}
close($_) for @idle;
close($dave);
ok(wait_for(sub { users() == 0 }, 10, 'sessions end'),
    'the sessions end');

# Every message ended one way; MessageLog says so per session.
my $ml = read_file("$dir/msg.log");
my $dropped = $N - 64;
my @idle_lines = $ml =~ /^.* user=idle\d host=127\.0\.0\.2 ended: $N messages: 16 delivered, 48 undelivered, $dropped dropped$/mg;
is(scalar(@idle_lines), $IDLE, "MessageLog: each idle session: $N = 16 "
    . "delivered + 48 undelivered + $dropped dropped") or diag($ml);
like($ml, qr/ user=dave host=127\.0\.0\.1 ended: 1 messages: 1 delivered, 0 undelivered, 0 dropped$/m,
    'MessageLog: dave\'s one, delivered');
($rc, $out) = muxctl($ctl, 'status');
my ($d, $un, $dr) = $out =~ /delivered=(\d+) undelivered=(\d+) dropped=(\d+)/;
is("$d $un $dr", sprintf('%d %d %d', 16 * $IDLE + 1, 48 * $IDLE,
    $dropped * $IDLE), 'status: delivered, undelivered, dropped');
is($d + $un + $dr, $N * $IDLE + 1, 'to every message taken');
is(mux_stop($m), 0, 'mux exits cleanly');

done_testing();
