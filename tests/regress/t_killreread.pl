#!/usr/bin/perl
# Issue 17, item 7, settled: two kill -9 of worker sessions during a
# reread under load had given one U per listener instead of two.  Here,
# round after round, load runs on every worker, a reread is asked for
# and at once two worker sessions that have served are killed.  Every
# unexpected death the mux logs must reach each listener as one U; a
# worker that had served nothing is the crash-loop throttle's: two of
# them killed at once are one pause and one U, as mux.8 says, and that
# is where the single U came from.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use IO::Socket::UNIX;
use IO::Select;
use POSIX ();
use Time::HiRes qw(time sleep);

my $ROUNDS = 6;
my $dir = File::Temp::tempdir('mux-kr-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $ctl = "$dir/ctl.sock";
my $m = mux_start(args => ['-x', 6, '-m', 4, '-w', 1, '-O', $ctl],
    wait_idle => 4);

sub listener {
	my $s = IO::Socket::UNIX->new(Peer => $ctl) // die "listener: $!";
	print $s "?UR\n";
	return $s;
}
my @l = (listener(), listener());

# Load: four clients, each request a short sleep, until told to stop.
my @kids;
for (1 .. 4) {
	my $pid = fork() // die;
	if ($pid == 0) {
		my $end = time + 60;
		req($m, 'sleep 0.2') while time < $end;
		POSIX::_exit(0);
	}
	push @kids, $pid;
}

# Worker sessions that have served (requests >= 2: one ended) and are
# busy or idle: slot => pid of the worker session.
sub served {
	my ($rc, $out) = muxctl($ctl, 'who');
	my %p;
	for (split /\n/, $out) {
		$p{$1} = $2 if /^slot=(\d+) pid=(\d+) state=(busy|idle) requests=(\d+)/
		    && $4 >= 2;
	}
	my $w = worker_pids($m);
	return map { $w->{$_} } grep { defined $w->{$_} } sort keys %p;
}

my $killed = 0;
for my $r (1 .. $ROUNDS) {
	my @ws;
	wait_for(sub { (@ws = served()) >= 2 }, 10);
	muxctl($ctl, 'reread');
	$killed += kill('KILL', @ws[0, 1]);
	sleep 1.5;
}
kill('TERM', @kids);
waitpid($_, 0) for @kids;
sleep 1;
my $died = log_count($m, qr/exited due to signal 9 \(WORKER DIED UNEXPECTEDLY\)/);
my $paused = log_count($m, qr/died before serving anything/);
diag("$killed kill -9 sent, $died unexpected deaths logged, $paused pauses");
ok($died >= $ROUNDS, "$died unexpected deaths in $ROUNDS rounds");
is($paused, 0, 'none of them had served nothing');
for my $i (0, 1) {
	my ($buf, $sel) = ('', IO::Select->new($l[$i]));
	while ($sel->can_read(0.5)) {
		last unless sysread($l[$i], $buf, 65536, length $buf);
	}
	my $u = () = $buf =~ /^U$/mg;
	my $rr = () = $buf =~ /^R$/mg;
	is($u, $died, "listener $i: $u U, one per unexpected death");
	is($rr, $ROUNDS, "listener $i: $rr R, one per reread");
}

# Where the one U came from: two fresh workers, which served nothing,
# killed at once are a crash loop to the throttle: one pause, one U.
muxctl($ctl, 'reread');
my @fresh;
ok(wait_for(sub {
	my ($rc, $out) = muxctl($ctl, 'who');
	my %idle = map { /^slot=(\d+) .*state=idle requests=0 / ? ($1 => 1) : () }
	    split /\n/, $out;
	my $w = worker_pids($m);
	@fresh = map { $w->{$_} } grep { $w->{$_} } sort keys %idle;
	@fresh >= 2 }, 10), 'fresh workers after a reread, idle');
is(kill('KILL', @fresh[0, 1]), 2, 'two of them killed at once');
sleep 1;
is(log_count($m, qr/died before serving anything/), 1, 'one pause');
for my $i (0, 1) {
	my ($buf, $sel) = ('', IO::Select->new($l[$i]));
	while ($sel->can_read(0.5)) {
		last unless sysread($l[$i], $buf, 65536, length $buf);
	}
	is(join(' ', $buf =~ /^([UR])$/mg), 'R U', "listener $i: R, then "
	    . 'one U for the pause');
}
is(mux_stop($m), 0, 'clean stop');
done_testing();
