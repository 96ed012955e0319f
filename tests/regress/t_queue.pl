#!/usr/bin/perl
# -q/-Q: waiting clients are queued in FIFO order, served as soon as a
# slot is usable for any reason, and refused when the wait runs out.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use Time::HiRes qw(time sleep);
use POSIX ();
use File::Temp ();

# No queue: a request that finds no free worker is refused at once.
{
	my $m = mux_start(args => ['-x', '1', '-m', '1'], wait_idle => 1);
	my $b = bg_req($m, 'sleep 1.5');
	sleep 0.3;
	my $t0 = time;
	is(req($m, 'scan Q /tmp'), "error: No free workers\n",
	    'no queue: error: No free workers');
	ok(time - $t0 < 0.5, 'at once');
	is(ureq($m, 'free'), "0\n", 'free is 0 while the worker is busy');
	is(bg_wait($b)->[2], "ok slept 1.5\n", 'the busy request completes');
	is(mux_stop($m), 0, 'clean stop');
}

# Queue of 2: FIFO order, full queue refused, timeout.
{
	my $qd = File::Temp::tempdir('mux-queue-XXXXXX', TMPDIR => 1,
	    CLEANUP => 1);
	my $m = mux_start(args => ['-x', '1', '-m', '1', '-q', '2', '-Q', '4',
	    '-l', '-O', "$qd/ctl.sock"], wait_idle => 1);
	my $busy = bg_req($m, 'sleep 1');
	sleep 0.3;
	my $q1 = bg_req($m, 'pid');
	sleep 0.2;
	my $q2 = bg_req($m, 'pid');
	sleep 0.2;
	like(mux_status($m)->{raw}, qr/^B \d+ \d+ 2 2 \d+$/,
	    'status shows queue size 2 with 2 queued');
	is(req($m, 'echo third'), "error: No free workers\n",
	    'a full queue refuses');
	like(log_text($m), qr/^mux: All workers are busy: Queueing request \(1 queued\)$(?:.*\n)*^mux: All workers are busy: Queueing request \(2 queued\)$/m,
	    'queueing is logged in mimedefang-multiplexor\'s words (-l)');
	like(log_text($m), qr/^mux: Cannot queue request: request queue is full$/m,
	    'and so is the full queue');
	my ($rb, $r1, $r2) = map { bg_wait($_) } $busy, $q1, $q2;
	is($rb->[2], "ok slept 1\n", 'the busy request completes');
	my ($n1) = $r1->[2] =~ /^ok \d+ (\d+)$/;
	my ($n2) = $r2->[2] =~ /^ok \d+ (\d+)$/;
	ok(defined $n1 && defined $n2, 'both queued requests are served');
	is($n2, $n1 + 1, "in FIFO order (handler's requests $n1, $n2)");
	ok($r1->[1] - $rb->[1] < 0.5, sprintf('%.2fs after the slot freed',
	    $r1->[1] - $rb->[1]));

	my $long = bg_req($m, 'sleep 6');
	sleep 0.3;
	my $t0 = time;
	is(req($m, 'echo late', 10), "error: Queued request timed out\n",
	    'a request queued past -Q times out');
	my $dt = time - $t0;
	ok($dt > 3.5 && $dt < 5.5, sprintf('after %.1fs (-Q 4)', $dt));
	is(bg_wait($long)->[2], "ok slept 6\n", 'the long request completes');
	like((muxctl("$qd/ctl.sock", 'status'))[1],
	    qr/^refused busy=0 queue_full=1 queue_timeout=1 no_worker=0 /m,
	    'status counts the full queue and the time-out');
	is(mux_stop($m), 0, 'clean stop');
}

# The queue drains when a slot becomes usable by a reap, not only when a
# request completes: a busy timeout frees the slot.
{
	my $m = mux_start(args => ['-x', '1', '-m', '1', '-q', '4', '-Q', '20',
	    '-b', '1', '-w', '1'], wait_idle => 1);
	my $stuck = bg_req($m, 'silent');
	sleep 0.3;
	my $t0 = time;
	my $q = bg_req($m, 'echo after-reap');
	my $rs = bg_wait($stuck);
	my $rq = bg_wait($q);
	like($rs->[2], qr/^ERR Filter timed out/, 'the stuck request times out');
	is($rq->[2], "after-reap\n", 'the queued one is served by the '
	    . 'replacement worker');
	ok($rq->[1] - $t0 < 5, sprintf('%.1fs after queueing, not -Q 20',
	    $rq->[1] - $t0));
	is(mux_stop($m), 0, 'clean stop');
}

# -m 0: nothing running; the first client starts a worker and is served.
{
	my $m = mux_start(args => ['-x', '2', '-m', '0']);
	ok(wait_for(sub { mux_status($m)->{states} eq 'SS' }, 5),
	    '-m 0: no worker at start');
	is(req($m, 'scan Q /tmp'), "ok\n", 'the first request starts one');
	is(mux_stop($m), 0, 'clean stop');
}

# While clients wait in the queue, a worker that comes free takes the
# oldest of them, not a newcomer.  Four workers whose handler computes
# for 5 ms of CPU a request, so that the mux, which hands out the queue,
# waits for a CPU; sixteen clients that each connect again the moment
# they are answered (mux-bench-load).  Taking the newcomer (the client
# just answered, back at once) served some again and again while the
# queue's oldest waited: p99 1.8 to 3.7 times the p50 (76-158 ms
# against 42), where a FIFO gives about 1.2.
{
	my $load = $ENV{MUX_BENCH_LOAD} // "$SRC/build/mux-bench-load";
	my $worker = $ENV{MUX_BENCH_WORKER} // "$SRC/build/mux-bench-worker";
	local $ENV{MUX_BENCH_SPIN_US} = 5000;
	my $m = mux_start(args => ['-x', '4', '-m', '4', '-q', '64', '-r',
	    '100000000', '-f', $worker], wait_idle => 4);
	chomp(my $out = `$load -c 16 -t 3 $m->{sock}`);
	my ($ok, $err, $p50, $p99) = $out =~
	    /ok=(\d+) err=(\d+) .*p50=(\d+)us p99=(\d+)us/;
	ok(defined $ok && $ok > 100, "served ($out)");
	is($err, 0, 'no request refused or lost');
	ok(defined $p99 && $p99 < 1.6 * $p50,
	    "p99 within 1.6 times the p50 ($p99 against $p50 us)");
	is(mux_stop($m), 0, 'clean stop');
}
done_testing();
