#!/usr/bin/perl
# Upgrades (issue 17): SIGUSR2 or "muxctl upgrade" starts the mux's own
# binary again, which takes over the listening sockets; the old mux
# stops accepting and exits when its sessions end.
#  0. A new mux that fails at its start changes nothing.
#  1. Under load from mux-bench-load, two upgrades in a row (a signal,
#     then the action against the new mux): no request refused or
#     failed, the pid file names each new mux, the old ones exit, a
#     listener sees R and then the new mux's F snapshot and events, and
#     the last mux removes the sockets, the pid file and the queue.
#  2. A live session (the pool-mode FTP-like handler, MessageEngine on,
#     -U nobody when root) goes on through an upgrade to its end, while
#     new sessions go to the new mux, whose messages reach them (the
#     queue was kept, not purged); the old mux exits when it ends.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use IO::Socket::UNIX;
use IO::Select;
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

my $LOAD = $ENV{MUX_BENCH_LOAD} // "$SRC/build/mux-bench-load";
my $BW = $ENV{MUX_BENCH_WORKER} // "$SRC/build/mux-bench-worker";
my $dir = tempdir('mux-upgrade-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod(0755, $dir);
my @muxes;	# pids the test did not start itself
my $drain = sub { };	# keeps part 1's listener read while we wait
END { kill 'KILL', grep { $_ && kill(0, $_) } @muxes }

sub pidfile {
	my ($f) = @_;
	open(my $fh, '<', $f) or return 0;
	my $p = <$fh> // 0;
	chomp $p;
	return $p;
}

sub gone {
	my ($pid, $secs) = @_;
	local $?;
	return wait_for(sub { $drain->(); waitpid($pid, WNOHANG);
	    !kill(0, $pid) }, $secs, "pid $pid exits");
}

# The new mux named in the pid file once it took over from old.
sub new_mux {
	my ($pidf, $old) = @_;
	my $new;
	wait_for(sub { $drain->(); $new = pidfile($pidf);
	    $new && $new != $old }, 30, 'the pid file names the new mux');
	push @muxes, $new;
	return $new;
}

# Lines a listener got so far.
sub lines {
	my ($s, $buf) = @_;
	my $sel = IO::Select->new($s);
	my $end = time + 0.2;
	while (time < $end && $sel->can_read(0.05)) {
		last unless sysread($s, $$buf, 65536, length $$buf);
	}
	return split /\n/, $$buf;
}

# Part 1: load through two upgrades.
my $ctl = "$dir/ctl.sock";
my $pidf = "$dir/mux.pid";
write_file("$dir/mq.conf", "MessageEngine on\nMessageQueue $dir/queue\n");
my $m = mux_start(args => ['-x', 4, '-m', 2, '-w', 1, '-q', 64, '-O', $ctl,
    '-p', $pidf, '--config', "$dir/mq.conf", '-f', $BW], wait_idle => 2);
my $old = $m->{pid};
is(pidfile($pidf), $old, "the pid file names the first mux ($old)");
my ($qid) = log_text($m) =~ /MessageEngine: queue (\d+)/;

# A new mux that cannot start (its configuration is now wrong): the old
# one says so and carries on, files and all.
write_file("$dir/mq.conf", "MessageEngine on\nMessageQueue $dir/queue\n"
    . "NoSuchDirective 1\n");
kill 'USR2', $old;
ok(wait_for(sub { log_text($m) =~ /upgrade failed: the new mux exited; this mux carries on/ },
    15), 'a failed upgrade is said') or diag(log_text($m));
write_file("$dir/mq.conf", "MessageEngine on\nMessageQueue $dir/queue\n");
is(pidfile($pidf), $old, 'the pid file still names the first mux');
ok(-S $m->{sock} && -S $ctl, 'its sockets are still there');
my ($one) = `$LOAD -c 2 -t 1 $m->{sock}` =~ /ok=(\d+) err=0 /;
ok($one, 'and it serves: ' . ($one // 'nothing'));

# Not while a shutdown is under way: the new mux would not know of it.
muxctl($ctl, 'shutdown', '-l', 600, 'later');
my ($rc, $out) = muxctl($ctl, 'upgrade');
like($out, qr/upgrade: a shutdown is under way/, "refused: $out");
muxctl($ctl, 'shutdown', 'cancel');

my $l = IO::Socket::UNIX->new(Peer => $ctl) // die "listener: $!";
print $l "?FR\n";
my $lbuf = '';
$drain = sub { lines($l, \$lbuf) };

my $loadpid = open(my $loadfh, '-|', $LOAD, '-c', 4, '-t', 9, $m->{sock})
    // die "$LOAD: $!";
wait_for($drain, 2);
kill 'USR2', $old;
my $new = new_mux($pidf, $old);
ok(gone($old, 20), "the first mux ($old) exits once its workers are done");
$m->{status} = 0;	# reaped here
my @before = lines($l, \$lbuf);
my ($r) = grep { $before[$_] eq 'R' } 0 .. $#before;
ok(defined $r, 'the listener was told R');
like($before[$r + 1] // '', qr/^F \d+$/,
    'then the new mux\'s snapshot: ' . ($before[$r + 1] // 'nothing'));

wait_for($drain, 1);
($rc, $out) = muxctl($ctl, 'upgrade');
is($rc, 0, 'muxctl upgrade, to the new mux');
like($out, qr/^upgrade: started \S+ as pid \d+/m, "it says: $out");
my $third = new_mux($pidf, $new);
ok(gone($new, 20), "the second mux ($new) exits");

wait_for(sub { $drain->(); waitpid($loadpid, WNOHANG) == $loadpid }, 20);
my $res = do { local $/; <$loadfh> } // '';
close($loadfh);
my ($ok, $err, $retry) = $res =~ /ok=(\d+) err=(\d+) connretry=(\d+)/;
ok(defined $ok && $ok > 1000, "load served: " . ($ok // $res));
is($err, 0, 'no request failed or was refused through two upgrades');
is($retry, 0, 'no connection had to be retried');

my @after = lines($l, \$lbuf);
is(scalar(grep { $_ eq 'R' } @after), 2, 'R once per upgrade');
ok(scalar(grep { /^F \d+$/ } @after[$#before + 1 .. $#after]) > 0,
    'the same listener has F lines from the third mux');
($rc, $out) = muxctl($ctl, 'status');
like($out, qr/^pool slots=4 /m, 'the control socket answers (third mux)');
like(log_text($m), qr/upgrade: our sessions have ended: exiting/,
    'the old muxes say why they exit');

# The last one stops: its files go, the queue too.
kill 'TERM', $third;
ok(gone($third, 30), 'the third mux stops on SIGTERM');
ok(!-e $m->{sock} && !-e $ctl && !-e $pidf,
    'the sockets and the pid file are removed');
ok(defined $qid && `ipcs -q` !~ /\s$qid\s/, "the queue ($qid) is removed");

# Part 2: a live session through an upgrade.
my $H = "$SRC/tests/regress/poolftpd.pl";
my $port = free_port();
my $ctl2 = "$dir/ctl2.sock";
my $pid2 = "$dir/mux2.pid";
my @user = $> == 0 ? ('-U', 'nobody') : ();
my ($mport, $aport) = (free_port(), free_port());
my $m2 = mux_start(args => ['--config', "$dir/mq.conf", '-O', $ctl2, @user,
    '-p', $pid2, '-m', 1, '-x', 3, '--listen', "inet:$port", '--metrics',
    "inet:$mport", '--agent', "inet:$aport", '--', $H]);
my $old2 = $m2->{pid};

sub session {
	my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $port, Timeout => 5) or die "connect: $!";
	return $c;
}


my $c = session();
like(replies($c, 1), qr/^220 /m, 'a live session');
syswrite($c, "USER dave\r\nPASS x\r\n");
like(replies($c, 2), qr/^230 /m, 'dave logged in');
($rc, $out) = muxctl($ctl2, 'upgrade');
like($out, qr/^upgrade: started/m, "muxctl upgrade: $out");
my $new2 = new_mux($pid2, $old2);
syswrite($c, "VAR MUX_SESSION\r\n");
like(replies($c, 1), qr/^200 MUX_SESSION=\d+/m,
    'the live session goes on after the upgrade');
ok(kill(0, $old2), 'the old mux waits for it');
# The agent and the metrics are the new mux's: the old one, which would
# say "drain" as it hands over, answers neither any more.
my @agent = map { my $a = IO::Socket::INET->new(PeerAddr =>
    "127.0.0.1:$aport"); $a ? scalar(<$a>) // '' : '' } 1 .. 10;
is(scalar(grep { /^ready up \d+%$/ } @agent), 10,
    '10 agent checks after the upgrade: all "ready up", from the new mux');
my @scrape = map { scalar `curl -s -m 5 http://127.0.0.1:$mport/metrics` }
    1 .. 5;
is(scalar(grep { /^mux_build_info\{/m } @scrape), 5,
    '5 scrapes after the upgrade: all answered');

my $c2 = session();
like(replies($c2, 1), qr/^220 /m, 'a new session');
syswrite($c2, "USER erin\r\nPASS x\r\n");
like(replies($c2, 2), qr/^230 /m, 'erin logged in');
($rc, $out) = muxctl($ctl2, 'who');
like($out, qr/user=erin/, 'the new mux has the new session');
unlike($out, qr/user=dave/, 'not the old one');
($rc, $out) = muxctl($ctl2, 'msg', 'user', 'erin', 'maintenance at noon');
like($out, qr/^message sent to 1 session/m, "msg user erin: $out");
syswrite($c2, "VAR X\r\n");
like(replies($c2, 1), qr/^200-maintenance at noon/m,
    'the message reaches it through the kept queue');

syswrite($c, "VAR MUX_SESSION\r\n");
like(replies($c, 1), qr/^200 /m, 'the old session still answers');
syswrite($c, "QUIT\r\n");
like(replies($c, 1), qr/^221 /m, 'and ends');
close($c);
ok(gone($old2, 20), 'the old mux exits when its session has ended');
$m2->{status} = 0;
syswrite($c2, "QUIT\r\n");
like(replies($c2, 1), qr/^221 /m, 'the new session ends too');
close($c2);
kill 'TERM', $new2;
ok(gone($new2, 30), 'the new mux stops');
ok(wait_for(sub { !-e $ctl2 && !-e $pid2 }, 5, 'files removed'),
    'its sockets and pid file are removed' .
    (@user ? ' (by the helper of the first, as root)' : ''));
done_testing();
