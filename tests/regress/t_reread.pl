#!/usr/bin/perl
# reread (command, SIGINT): idle workers retire at once, busy ones only
# after their request, which completes normally; R is emitted.  SIGHUP,
# as mimedefang-multiplexor's, only reopens the log files.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use Time::HiRes qw(time sleep);
use POSIX ();

my $m = mux_start(args => ['-x', '2', '-m', '2', '-w', '1'], wait_idle => 2);
my $p0 = worker_pids($m);
my $bg = bg_req($m, 'sleep 2');
ok(wait_for(sub { mux_status($m)->{states} =~ /B/ }, 3), 'one worker busy');
my $busy = (grep { ureq($m, "workerinfo $_") =~ /State Busy/ } 0, 1)[0];
my $idle = 1 - $busy;
is(req($m, 'reread'), "Forced reread of filter rules\n",
    'reread: MIMEDefang reply');
is(ureq($m, 'reread'),
    "error: Attempt to use privileged command on unprivileged socket\n",
    'reread is refused on the unprivileged socket');
ok(wait_for(sub { !alive($p0->{$idle}) }, 2),
    'the idle worker retired at once');
ok(alive($p0->{$busy}), 'the busy worker was not killed');
is(bg_wait($bg)->[2], "ok slept 2\n", 'the busy request completed normally');
ok(wait_for(sub { !alive($p0->{$busy}) }, 3),
    'the busy worker retired after its request');
ok(wait_for(sub { mux_status($m)->{states} eq 'II' }, 10),
    'two fresh workers');
my $p1 = worker_pids($m);
ok($p1->{0} != $p0->{0} && $p1->{1} != $p0->{1}, 'both are new processes');
is(log_count($m, qr/^mux: event R$/m), 1, 'R emitted once');
is(log_count($m, qr/event U/), 0, 'no U');
is(log_count($m, qr/event B/), 0, 'no B');

# SIGINT rereads, as Debian's ExecReload sends it.
my $before = worker_pids($m);
kill 'INT', $m->{pid};
ok(wait_for(sub { !alive($before->{0}) && !alive($before->{1}) }, 5),
    'SIGINT retires the idle workers');
ok(wait_for(sub { mux_status($m)->{states} eq 'II' }, 10),
    'and they are replaced');
is(log_count($m, qr/^mux: event R$/m), 2, 'R once per reread');

# SIGHUP (logrotate's) reopens the logs: no worker restarts, no R.
$before = worker_pids($m);
kill 'HUP', $m->{pid};
ok(wait_for(sub { log_text($m) =~ /received SIGHUP: reopening the log files/ },
    5), 'SIGHUP is logged as a reopen');
sleep(0.5);
is_deeply(worker_pids($m), $before, 'SIGHUP: the same worker processes');
ok(alive($before->{0}) && alive($before->{1}), 'both still alive');
is(log_count($m, qr/^mux: event R$/m), 2, 'SIGHUP: no R');
is(mux_stop($m), 0, 'clean stop');
done_testing();
