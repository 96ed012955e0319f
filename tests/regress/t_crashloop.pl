#!/usr/bin/perl
# A handler that dies before serving anything pauses worker starts with
# exponential back-off and emits U once per pause, not once per death.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use File::Temp qw(tempdir);
use Time::HiRes qw(time sleep);

my $d = tempdir(CLEANUP => 1);
open(my $fh, '>', "$d/crash") or die;
print $fh "#!/bin/sh\nexit 1\n";
close($fh);
chmod 0755, "$d/crash";
my $m = mux_start(args => ['-x', '2', '-m', '2', '-w', '1', '--', "$d/crash"]);
sleep 8;
my $starts = log_count($m, qr/Starting worker/);
my $u = log_count($m, qr/^mux: event U$/m);
ok($starts >= 3 && $starts <= 6, "$starts starts in 8 s, not hundreds");
is($u, scalar(() = log_text($m) =~ /pausing worker starts/g),
    "U once per pause ($u)");
like(log_text($m), qr/pausing worker starts for 1 s.*for 2 s.*for 4 s/s,
    'the pause doubles');
my $t0 = time;
like(req($m, 'scan Q /tmp'), qr/^(error: Unable to activate worker|ERR No response from worker|error: No free workers)\n\z/,
    'a request during the crash loop gets an error reply');
ok(time - $t0 < 1, 'at once');
is(mux_stop($m), 0, 'clean stop');

# The same handler under light load: a request every 0.5 s.  A worker
# started for a waiting request takes it and dies with it; a request
# begun is not one served, so the back-off still doubles (it was reset
# at every death: 16 starts and 16 U in 8 s).
$m = mux_start(args => ['-x', '1', '-m', '0', '--', "$d/crash"]);
my ($n, $errs) = (0, 0);
for ($t0 = time; time - $t0 < 8; sleep 0.5) {
	$n++;
	$errs++ if req($m, 'scan Q /tmp') =~ /^(error:|ERR) /;
}
$starts = log_count($m, qr/Starting worker/);
$u = log_count($m, qr/^mux: event U$/m);
is($errs, $n, "$n requests, each an error reply");
ok($starts >= 3 && $starts <= 5, "$starts starts in 8 s at 2 requests/s");
is($u, scalar(() = log_text($m) =~ /pausing worker starts/g),
    "U once per pause ($u)");
like(log_text($m), qr/pausing worker starts for 1 s.*for 2 s.*for 4 s/s,
    'the pause doubles under load too');
is(mux_stop($m), 0, 'clean stop');
done_testing();
