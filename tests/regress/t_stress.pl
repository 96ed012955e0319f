#!/usr/bin/perl
# Nothing lost under load: 16 clients on 4 workers with a queue, through
# every hand-over path (workers' own accepts, the mux's queue, early
# release racing reservations).  Every request is answered ok and the
# mux's count equals the client's.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;

my $load = $ENV{MUX_BENCH_LOAD} or BAIL_OUT('MUX_BENCH_LOAD is not set');
for my $run ([16, 64], [8, 4], [4, 0]) {
	my ($conc, $q) = @$run;
	my $m = mux_start(args => ['-x', '4', '-m', '4', '-w', '1', '-q', $q,
	    '-r', '1000000', '-f', $ENV{MUX_BENCH_WORKER}], wait_idle => 4);
	# -d slows the mux; the counters are what this test checks.
	my $out = `$load -c $conc -t 3 $m->{sock}`;
	my ($ok, $err) = $out =~ /ok=(\d+) err=(\d+)/;
	unlike($out, qr/UNANSWERED/, 'every request got an answer');
	ok($ok > 1000, "c=$conc q=$q: $ok requests served");
	my $st;
	ok(wait_for(sub { $st = mux_status($m); $st->{states} eq 'IIII' }, 5),
	    'all four workers idle afterwards (no slot stuck busy)');
	if ($q >= $conc) {
		is($err, 0, 'no refusals while the queue holds every client');
	} else {
		ok(defined $err, "$err refused (queue $q < $conc clients)");
	}
	is($st->{msgs}, $ok, "the mux counted exactly the $ok scans answered ok");
	is($st->{queued}, 0, 'nothing left in the queue');
	is(log_count($m, qr/event [UB]$/m), 0, 'no worker died or timed out');
	is(mux_stop($m), 0, 'clean stop');
}
done_testing();
