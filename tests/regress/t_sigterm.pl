#!/usr/bin/perl
# SIGTERM: exit 0, no process left, sockets and pid file removed, busy
# requests completed first.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use Time::HiRes qw(time sleep);
use POSIX ();

my $flag = "/tmp/mux-sigterm-handlers.$$";
unlink $flag;
$ENV{MUX_TEST_START_FLAG} = $flag;
my $pidfile = "/tmp/mux-sigterm.$$.pid";
my $m = mux_start(args => ['-x', '3', '-m', '3', '-w', '1', '-p', $pidfile],
    wait_idle => 3);
ok(-s $pidfile, 'pid file written');
my $workers = worker_pids($m);
is(scalar(keys %$workers), 3, 'three worker sessions');
my $bg = bg_req($m, 'sleep 1');
ok(wait_for(sub { mux_status($m)->{states} =~ /B/ }, 3), 'one busy');
my $t0 = time;
is(mux_stop($m, 30), 0, 'SIGTERM: exit status 0');
my $dt = time - $t0;
ok($dt < 5, sprintf('within %.1fs', $dt));
is(bg_wait($bg)->[2], "ok slept 1\n", 'the busy request was completed');
open(my $fh, '<', $flag);
my @handlers = map { chomp; $_ } <$fh>;
ok(@handlers >= 3, scalar(@handlers) . ' handlers were started');
ok(wait_for(sub { !grep { alive($_) } values(%$workers), @handlers }, 5),
    'no worker session or handler left');
ok(!-e $m->{sock}, 'request socket removed');
ok(!-e $m->{usock}, 'unprivileged socket removed');
ok(!-e $pidfile, 'pid file removed');
unlink $flag;
done_testing();
