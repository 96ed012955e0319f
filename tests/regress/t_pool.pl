#!/usr/bin/perl
# Pool semantics with a real Perl worker: -r recycling, -i idle reaping
# down to -m, busy timeout, SIGKILLed workers respawned.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use Time::HiRes qw(time sleep);
use POSIX ();

sub handler_pid { my ($m) = @_; my $r = req($m, 'pid'); $r =~ /^ok (\d+) (\d+)/; return ($1, $2) }

# Three clients 0.2 s apart, each busy for 1 s: three workers.
sub three_busy {
	my ($m) = @_;
	my @kids;
	for (1 .. 3) {
		my $pid = fork();
		if ($pid == 0) { req($m, 'sleep 1'); POSIX::_exit(0) }
		push @kids, $pid;
		sleep 0.2;
	}
	ok(wait_for(sub { mux_status($m)->{states} eq 'BBB' }, 5),
	    'three workers busy at once');
	waitpid($_, 0) for @kids;
}

# -r 3: a worker serves exactly three requests (jitter of 10% of 3 is 0).
{
	my $m = mux_start(args => ['-x', '1', '-m', '1', '-r', '3', '-w', '1'],
	    wait_idle => 1);
	my @seen = map { [handler_pid($m)] } 1 .. 3;
	is_deeply([map { $_->[1] } @seen], [1, 2, 3],
	    'one handler serves requests 1, 2, 3');
	is(scalar(keys %{{ map { $_->[0] => 1 } @seen }}), 1,
	    'all three in the same process');
	my ($p4, $n4);
	ok(wait_for(sub { ($p4, $n4) = handler_pid($m); defined $p4 }, 10),
	    'the fourth request is served');
	isnt($p4, $seen[0][0], 'by a new handler after -r 3');
	is($n4, 1, 'whose first request it is');
	ok(!alive($seen[0][0]), 'the recycled handler has exited');
	like(log_text($m), qr/Reap: worker 0 \(pid \d+\) exited normally with status 0$/m,
	    'the recycled worker exited normally');
	is(log_count($m, qr/event U/), 0, 'recycling is not U');
	is(mux_stop($m), 0, 'clean stop');
}

# -i 1 -m 1: three busy workers, then idle reaping back to one.
{
	my $m = mux_start(args => ['-x', '3', '-m', '1', '-i', '1', '-w', '1'],
	    wait_idle => 1);
	three_busy($m);
	my $t0 = time;
	ok(wait_for(sub { (mux_status($m)->{states} =~ tr/I//) == 1 &&
	    (mux_status($m)->{states} =~ tr/S//) == 2 }, 10),
	    'idle reaping brings the pool back to -m 1');
	my $dt = time - $t0;
	ok($dt < 5, sprintf('within %.1fs of going idle', $dt));
	my $st = mux_status($m);
	is($st->{activations}, 3, 'three activations in all');
	is(log_count($m, qr/: Idle timeout$/m), 2,
	    'two workers retired for the idle timeout');
	is(log_count($m, qr/event U/), 0, 'no U');
	is(mux_stop($m), 0, 'clean stop');
}

# DESIGN §3: dispatch keeps the hot workers hot and lets idle reaping
# retire the cold ones (MIMEDefang: the oldest idle worker serves).
# Three idle workers, -i 1, and a request every 0.25 s: taken in turn,
# each would be idle 0.75 s at most and none would be reaped; and a
# spare started whenever the one idle worker goes busy would be reaped
# and started again, over and over.
{
	my $m = mux_start(args => ['-x', '3', '-m', '1', '-i', '1', '-w', '1'],
	    wait_idle => 1);
	three_busy($m);
	ok(wait_for(sub { mux_status($m)->{states} eq 'III' }, 5),
	    'three idle workers');
	my (@pids, $reaped);
	my $t0 = time;
	while (time - $t0 < 8) {
		my ($p) = handler_pid($m);
		push @pids, $p // 'none';
		my $st = mux_status($m)->{states};
		$reaped //= sprintf('%.1f', time - $t0)
		    if ($st =~ tr/S//) == 2;
		last if defined $reaped && @pids >= 16;
		sleep 0.25;
	}
	ok(defined $reaped, 'a request every 0.25 s, and the pool still ' .
	    'shrinks to -m 1' . (defined $reaped ? " (after $reaped s)" :
	    ': ' . mux_status($m)->{states}));
	my %last = map { $_ => 1 } @pids[-8 .. -1];
	is(join(' ', keys %last), $pids[-1],
	    'the last 8 requests were served by one handler') or
	    diag("handlers: @pids");
	is(log_count($m, qr/: Idle timeout$/m), 2,
	    'two workers retired for the idle timeout');
	is(log_count($m, qr/Starting worker/), 3,
	    'and none started in their place') or diag(log_text($m));
	is(mux_stop($m), 0, 'clean stop');
}

# Busy timeout: error reply, B, handler and worker killed, slot reused.
{
	my $m = mux_start(args => ['-x', '1', '-m', '1', '-b', '1', '-w', '1'],
	    wait_idle => 1);
	my ($hp) = handler_pid($m);
	my $t0 = time;
	is(req($m, 'sleep 30'),
	    "ERR Filter timed out - check filter rules or system load\n",
	    'a request past -b gets the timeout error');
	my $dt = time - $t0;
	ok($dt >= 0.9 && $dt < 3, sprintf('after %.1fs', $dt));
	ok(wait_for(sub { log_count($m, qr/^mux: event B$/m) == 1 }, 3),
	    'B is emitted once');
	ok(wait_for(sub { !alive($hp) }, 5), 'the handler is gone');
	my ($hp2);
	ok(wait_for(sub { ($hp2) = handler_pid($m); defined $hp2 }, 10),
	    'the slot serves again');
	isnt($hp2, $hp, 'with a new handler');
	is(log_count($m, qr/event U/), 0, 'a busy kill is not U');

	# A handler that ignores SIGTERM is SIGKILLed 10 s later.
	($hp) = handler_pid($m);
	is(req($m, 'ignoreterm'), "ERR Filter timed out - check filter " .
	    "rules or system load\n", 'ignoreterm times out too');
	ok(alive($hp), 'the handler ignores SIGTERM at first');
	ok(wait_for(sub { !alive($hp) }, 15), 'and is SIGKILLed later');
	is(mux_stop($m), 0, 'clean stop');
}

# SIGKILL of a worker session, idle or busy, and of a handler.
{
	my $m = mux_start(args => ['-x', '2', '-m', '2', '-w', '1'],
	    wait_idle => 2);
	my $pids = worker_pids($m);
	kill 'KILL', $pids->{0};
	ok(wait_for(sub { log_count($m, qr/^mux: event U$/m) == 1 }, 5),
	    'an idle worker killed with SIGKILL: U');
	ok(wait_for(sub { my $p = worker_pids($m); defined $p->{0} &&
	    $p->{0} != $pids->{0} && mux_status($m)->{states} eq 'II' }, 10),
	    'and respawned (-m 2)');
	my ($hp) = handler_pid($m);
	my $pid = fork();
	if ($pid == 0) {
		sleep 0.5;
		kill 'KILL', $hp;
		POSIX::_exit(0);
	}
	# The same handler may not get the sleep; retry until it is ours.
	my $r = req($m, 'sleep 3');
	waitpid($pid, 0);
	ok($r eq "ERR No response from worker\n" || $r eq "ok slept 3\n",
	    "reply while a handler is SIGKILLed: $r");
	ok(wait_for(sub { !alive($hp) && log_count($m, qr/event U/) == 2 }, 5),
	    'the killed handler counts as U');
	ok(wait_for(sub { mux_status($m)->{states} eq 'II' }, 10),
	    'two idle workers again');
	is(mux_stop($m), 0, 'clean stop');
}
# -V 2: a worker retires 2 s after its first request, busy or idle.
{
	my $m = mux_start(args => ['-x', '1', '-m', '1', '-V', '2', '-w', '1'],
	    wait_idle => 1);
	my ($hp) = handler_pid($m);
	ok(wait_for(sub { !alive($hp) }, 5),
	    'the handler is gone 2 s after its first request (-V 2)');
	like(log_text($m), qr/: Worker has exceeded maximum lifetime of \d+ seconds$/m,
	    'retired for its lifetime');
	my ($hp2);
	ok(wait_for(sub { ($hp2) = handler_pid($m); defined $hp2 }, 10),
	    'a new worker serves');
	isnt($hp2, $hp, 'in a new process');
	is(log_count($m, qr/event U/), 0, 'no U');
	is(mux_stop($m), 0, 'clean stop');
}

# -W 5: worker starts at least 5 s apart; a start needed sooner is
# refused with MIMEDefang's error.
{
	my $m = mux_start(args => ['-x', '2', '-m', '1', '-W', '5', '-w', '1'],
	    wait_idle => 1);
	my $kid = fork();
	if ($kid == 0) { req($m, 'sleep 1.5'); POSIX::_exit(0) }
	ok(wait_for(sub { mux_status($m)->{states} =~ /^B/ }, 3),
	    'the one worker is busy');
	is(req($m, 'scan Q /tmp'), "error: Unable to activate worker\n",
	    'a second start within -W is refused');
	waitpid($kid, 0);
	is(log_count($m, qr/Starting worker/), 1, 'only one start');
	is(mux_stop($m), 0, 'clean stop');
}

# --pin-workers: each worker session and its handler on one CPU, slots
# spread in turn over the CPUs the mux may use.  PinWorkers off: nothing
# is bound.  By default (auto), a pair is bound once its handler is seen
# computing little per request, and freed when it computes much.
sub cpus_of {
	my ($pid) = @_;
	my ($l) = read_file("/proc/$pid/status") =~ /^Cpus_allowed_list:\s*(\S+)/m;
	return [map { /^(\d+)-(\d+)$/ ? ($1 .. $2) : $_ } split /,/, $l // ''];
}
# The handler a worker session runs; undef if that worker is gone (a
# reread retires it while we look).
sub handler_of {
	my ($ws) = @_;
	open(my $fh, '<', "/proc/$ws/task/$ws/children") or return undef;
	my ($h) = split ' ', (<$fh> // '');
	return $h;
}
# status shows a starting session as I, as MIMEDefang does; it binds
# itself before it starts its handler, so wait for n handlers.
sub sessions_ready {
	my ($m, $n) = @_;
	my $ws;
	wait_for(sub { $ws = worker_pids($m);
	    (grep { defined handler_of($_) } values %$ws) == $n }, 15);
	return $ws;
}
{
	my $m = mux_start(args => ['-x', '3', '-m', '3', '-w', '1',
	    '--pin-workers'], wait_idle => 3);
	# The mux inherits this test's CPUs, and the option leaves it so.
	my $all = cpus_of($$);
	ok(@$all >= 1, "this test may use CPUs @$all");
	is_deeply(cpus_of($m->{pid}), $all, 'the mux itself is not bound');
	my $ws = sessions_ready($m, 3);
	is(scalar(keys %$ws), 3, 'three worker sessions');
	for my $slot (sort keys %$ws) {
		my $want = [$all->[$slot % @$all]];
		is_deeply(cpus_of($ws->{$slot}), $want,
		    "worker $slot is bound to CPU $want->[0]");
		my $h = handler_of($ws->{$slot});
		ok(defined $h, "worker $slot has its handler") and
		    is_deeply(cpus_of($h), $want, "and so is its handler");
	}
	my ($p) = handler_pid($m);
	ok(defined $p, 'a request is served');
	is(mux_stop($m), 0, 'clean stop');

	# Off, then on by a reread: the next generation is bound.
	my $conf = "$m->{dir}/pin.conf";
	write_file($conf, "PinWorkers off\n");
	$m = mux_start(args => ['-x', '1', '-m', '1', '-w', '1',
	    '--config', $conf], wait_idle => 1);
	$ws = sessions_ready($m, 1);
	is_deeply(cpus_of($ws->{0}), $all, 'without it the worker is free');
	is_deeply(cpus_of(handler_of($ws->{0})), $all, 'and its handler');
	write_file($conf, "PinWorkers on\n");
	is(req($m, 'reread'), "Forced reread of filter rules\n", 'reread');
	my $new;
	ok(wait_for(sub { $new = worker_pids($m)->{0};
	    defined $new && $new != $ws->{0} && handler_of($new) }, 10),
	    'a worker of the new generation is up');
	is_deeply(cpus_of($new), [$all->[0]], 'it is bound after the reread');
	is_deeply(cpus_of(handler_of($new)), [$all->[0]], 'with its handler');
	is(mux_stop($m), 0, 'clean stop');

	# Auto: free at the start, bound after quick requests (the handler's
	# CPU time is read every 16), freed after requests that compute for
	# 3 ms each.
	$m = mux_start(args => ['-x', '1', '-m', '1', '-w', '1'],
	    wait_idle => 1);
	$ws = sessions_ready($m, 1);
	my $h = handler_of($ws->{0});
	is_deeply(cpus_of($ws->{0}), $all, 'auto: the worker starts free');
	is_deeply(cpus_of($h), $all, 'and so does its handler');
	my $n = 0;
	ok(wait_for(sub { $n++; req($m, 'pid') =~ /^ok $h /
	    && @{cpus_of($ws->{0})} == 1 }, 10),
	    "quick requests bind it ($n requests)");
	ok($n >= 17 && $n <= 33, 'at the first or second reading of its CPU time');
	is_deeply(cpus_of($ws->{0}), [$all->[0]], 'to its slot\'s CPU');
	is_deeply(cpus_of($h), [$all->[0]], 'with its handler');
	$n = 0;
	ok(wait_for(sub { $n++; req($m, 'spin 0.003') eq "ok spun\n"
	    && "@{cpus_of($ws->{0})}" eq "@$all" }, 10),
	    "requests computing for 3 ms free it ($n requests)");
	ok($n <= 33, 'within two readings');
	is_deeply(cpus_of($h), $all, 'and its handler');
	is(worker_pids($m)->{0}, $ws->{0}, 'the same worker session all along');
	like(log_text($m), qr/worker 0: bound to CPU $all->[0] with its handler \(\d+ us of CPU a request\)/,
	    '-d logs the binding');
	like(log_text($m), qr/worker 0: freed from CPU $all->[0] \((\d{4,}) us of CPU a request\)/,
	    'and the freeing, with what the handler computed');
	is(mux_stop($m), 0, 'clean stop');
}
done_testing();
