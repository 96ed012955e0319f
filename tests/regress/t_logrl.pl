#!/usr/bin/perl
# Log lines a client can cause are rate-limited (issue 17, item 3): of
# each kind, the first 10 in a 10 s window, then one summary with the
# count, in the master and in worker sessions alike (one budget per kind
# for the whole mux); muxctl status shows the counts.  Before, every
# refused client was a line: 5,597 "no free workers" in 10 s.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use IO::Socket::UNIX;
use File::Temp qw(tempdir);
use Time::HiRes qw(time sleep);

my $n = 300;
my $d = tempdir(CLEANUP => 1);
my $ctl = "$d/ctl.sock";
my $m = mux_start(args => ['-x', '1', '-m', '1', '-c', '1', '-O', $ctl],
    wait_idle => 1);

# The master: the one worker busy, every other request refused.
my $busy = bg_req($m, 'sleep 4');
ok(wait_for(sub { mux_status($m)->{states} =~ /B/ }, 5), 'the worker is busy');
my $refused = 0;
for (1 .. $n) {
	$refused++ if req($m, 'scan Q /tmp') eq "error: No free workers\n";
}
is($refused, $n, "$n requests refused, each with its error reply");
my $logged = log_count($m, qr/^mux: no free workers$/m);
ok($logged >= 10 && $logged <= 20, "$logged of them logged, not $n");
my $summed = 0;
ok(wait_for(sub {
	my $t = log_text($m);
	$summed = 0;
	$summed += $1 while $t =~
	    /no_free_workers: (\d+) more lines not logged \(over 10 in 10 s\)/g;
	$logged + $summed == $n }, 25),
    "the rest summed up: $logged logged + $summed counted = $n");
my ($rc, $st) = muxctl($ctl, 'status');
like($st, qr/^logs lines=\d+ suppressed=\d+ .*\bno_free_workers=@{[$n - $logged]}\b/m,
    'muxctl status counts them') or diag($st);
bg_wait($busy);

is(mux_stop($m), 0, 'clean stop');

# Worker sessions share one budget: each idle one is given a client that
# never sends its line (one every 0.1 s, so that a worker is idle for
# each), and they time out together (-c 2), more than 10 processes.
$m = mux_start(args => ['-x', '12', '-m', '1', '-c', '2', '-q', '16'],
    wait_idle => 1);
saturate($m, 16, 2);	# started for waiting requests, not one a second
my $k = 0;
ok(wait_for(sub { ($k = mux_status($m)->{states} =~ tr/I//) >= 11 }, 10),
    "$k idle workers") or diag(mux_status($m)->{raw});
my @c;
for (1 .. $k) {
	push @c, IO::Socket::UNIX->new(Peer => $m->{sock}) // die;
	sleep 0.1;
}
ok(wait_for(sub { log_count($m, qr/client timed out/) >= 10 }, 10),
    'worker: client timeouts logged');
sleep 2;
is(log_count($m, qr/^mux: worker \d+: client timed out$/m), 10,
    "worker: 10 of $k logged, by $k processes");
is(log_count($m, qr/^mux: request client timed out/m), 0,
    "all $k were the workers' clients");
close($_) for @c;
my $more = $k - 10;
ok(wait_for(sub { log_text($m) =~
    /client_timeout: $more more lines not logged/ }, 5),
    "the other $more summed up by the master");
is(mux_stop($m), 0, 'clean stop');
done_testing();
