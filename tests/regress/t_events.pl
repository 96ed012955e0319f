#!/usr/bin/perl
# Pool events (DESIGN §4) as the mux logs them with -d: Y and Z strictly
# on edges, F consistent with them, no F flapping on idle reaping or
# reread, status tags sanitised so a worker cannot forge a line.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use Time::HiRes qw(time sleep);
use POSIX ();

sub events {
	my ($m, $from) = @_;
	my @e = log_text($m) =~ /^mux: event (.*)$/mg;
	return @e[($from // 0) .. $#e];
}
sub nevents { my ($m) = @_; my @e = events($m); return scalar(@e) }

my $m = mux_start(args => ['-x', '2', '-m', '2', '-w', '1', '-i', '1', '-Z'],
    wait_idle => 2);

# Saturate both workers: one Z, then one Y.
saturate($m, 2, 0.5);
ok(wait_for(sub { grep { $_ eq 'Y' } events($m) }, 3), 'Y after the load');
my @e = grep { /^[YZ]$/ } events($m);
is("@e", 'Z Y', 'exactly one Z and one Y');

# A burst from 6 clients on 2 workers: many edges, all alternating.
my $n0 = nevents($m);
my @kids;
for my $k (1 .. 6) {
	my $pid = fork();
	if ($pid == 0) {
		req($m, 'scan Q /tmp') for 1 .. 100;
		POSIX::_exit(0);
	}
	push @kids, $pid;
}
waitpid($_, 0) for @kids;
sleep 0.5;
my @burst = events($m, $n0);
my @yz = grep { /^[YZ]$/ } @burst;
ok(@yz >= 2, scalar(@yz) . ' edges during the burst');
my $alt = join('', @yz) =~ /^(ZY)*$/;
ok($alt, 'Z and Y strictly alternate, starting with Z, ending with Y');
my $ok = 1;
for my $i (0 .. $#burst) {
	$ok = 0 if $burst[$i] eq 'Z' && ($i == 0 || $burst[$i - 1] ne 'F 0');
	$ok = 0 if $burst[$i] eq 'Y' && ($i == 0 || $burst[$i - 1] ne 'F 1');
}
ok($ok, 'every Z follows F 0 and every Y follows F 1');
my @f = map { /^F (\d+)$/ ? $1 : () } @burst;
my $nodup = 1;
for my $i (1 .. $#f) { $nodup = 0 if $f[$i] == $f[$i - 1] }
ok($nodup, 'F only reports changes (' . scalar(@f) . ' F lines)');
is($f[-1], 2, 'F ends at 2');

# Polling free or status on the request socket moves nothing.
my $n3 = nevents($m);
req($m, 'free') for 1 .. 20;
req($m, 'status') for 1 .. 5;
is(join(' ', events($m, $n3)), '', 'free and status polls emit no event');

# Tags: framing injection through the -Z status descriptor.
is(req($m, 'tag fake%0AR 0.3'), "ok tagged\n", 'a worker sends a tag with %0A');
ok(wait_for(sub { grep { /^S \d fake R 0\.3$/ } events($m) }, 2),
    'the tag is sanitised: S n fake R 0.3');
is(scalar(grep { $_ eq 'R' } events($m)), 0, 'no forged R');
is(req($m, 'tag ' . ('x' x 300) . ' 0.2'), "ok tagged\n", 'a 300-byte tag');
ok(wait_for(sub { grep { /^S \d x{200}$/ } events($m) }, 2),
    'cut to 200 bytes');

# Reread and idle reaping: no F, Y or Z at all, unlike MIMEDefang.
my $n1 = nevents($m);
kill 'INT', $m->{pid};
ok(wait_for(sub { log_count($m, qr/Starting worker/) >= 4 &&
    mux_status($m)->{states} eq 'II' }, 10), 'workers replaced');
my @rr = grep { !/^S / } events($m, $n1);
is("@rr", 'R', 'a reread emits R and nothing else');
is(mux_stop($m), 0, 'clean stop');

# Idle reaping from 3 to 1 worker: F never moves.  Workers beyond -m
# start only when a client finds none idle, so the last starts about
# 0.3 s in; -i 2 keeps the first from being reaped before it is idle.
$m = mux_start(args => ['-x', '3', '-m', '1', '-w', '1', '-i', '2'],
    wait_idle => 1);
@kids = ();
for (1 .. 3) {
	my $pid = fork();
	if ($pid == 0) { req($m, 'sleep 0.6'); POSIX::_exit(0) }
	push @kids, $pid;
	sleep 0.15;
}
waitpid($_, 0) for @kids;
ok(wait_for(sub { mux_status($m)->{states} eq 'III' }, 3),
    'three idle workers after the load');
my $n2 = nevents($m);
ok(wait_for(sub { log_count($m, qr/: Idle timeout$/m) == 2 &&
    mux_status($m)->{states} =~ /^[IS]{3}$/ &&
    (mux_status($m)->{states} =~ tr/S//) == 2 }, 10),
    'two workers reaped for idleness')
    or diag(mux_status($m)->{raw} . log_text($m));
my @reap = grep { /^[FYZ]/ } events($m, $n2);
is("@reap", '', 'no F, Y or Z while reaping');
is(mux_stop($m), 0, 'clean stop');
done_testing();
