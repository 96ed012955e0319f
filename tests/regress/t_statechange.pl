#!/usr/bin/perl
# "S n StateChange Old -> New" to listeners that want S, as
# mimedefang-multiplexor sends them: every change, in order, per slot,
# with its four state names; and the last tag of a request not lost.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use POSIX ();

my $port = free_port();
my $m = mux_start(args => ['-x', 4, '-m', 0, '-w', 1, '-b', 1, '-Z',
    '-O', "inet:$port"]);
my $l = IO::Socket::INET->new("127.0.0.1:$port") or die "listener: $!";
$l->blocking(0);
my $buf = '';

# The lines received so far (all of them, from the start).
sub lines {
	my $end = time + 0.3;
	while (time < $end) {
		my $n = sysread($l, my $b, 65536);
		$buf .= $b if $n;
		sleep 0.02;
	}
	return split /\n/, $buf;
}

sub states { my ($slot) = @_; map { /^S $slot StateChange (.*)$/ ? $1 : () } lines() }

print $l "?S\n";
sleep 0.2;
is(req($m, 'scan Q1 /tmp'), "ok\n", 'a request, no worker running yet');
is(join(', ', states(0)), 'Stopped -> Idle, Idle -> Busy, Busy -> Idle',
    'a lazy start, then busy and idle again');
my @all = lines();
my ($ib) = grep { $all[$_] eq 'S 0 StateChange Idle -> Busy' } 0 .. $#all;
is($all[$ib + 1], 'S 0 scan Q1', 'the tag comes after Idle -> Busy');

# The last tag a request sets is sent even though the worker is idle
# again before the mux looks.
is(req($m, 'tag final-words 0'), "ok tagged\n", 'a tag set just before the reply');
ok(grep({ $_ eq 'S 0 final-words 0' } lines()), 'it reaches the listener')
    or diag(join("\n", grep { /^S 0 / } lines()));

# Load on four workers: per slot, the changes strictly alternate.
my @kids;
for my $k (1 .. 4) {
	my $pid = fork() // die;
	if ($pid == 0) {
		my $bad = 0;
		for (1 .. 150) {
			my $r = req($m, 'scan Q /tmp');
			next if $r eq "ok\n";
			diag("kid $k: $r") if $bad++ < 3;
		}
		POSIX::_exit($bad ? 1 : 0);
	}
	push @kids, $pid;
}
# Read as a listener should, while the load runs: a listener that does
# not read is sent *SKIPPED past its bound, which is another test's.
my %left = map { $_ => 1 } @kids;
while (%left) {
	my $n = sysread($l, my $b, 65536);
	$buf .= $b if $n;
	delete $left{$_} for grep { waitpid($_, POSIX::WNOHANG()) > 0 } keys %left;
	sleep 0.01 unless $n;
}
sleep 0.5;
unlike(join("\n", lines()), qr/^\*SKIPPED/m, 'the listener kept up: nothing skipped');
# Each line must start from the state the last one left the slot in.
my ($bad, $n) = (0, 0);
for my $slot (0 .. 3) {
	my $cur = 'Stopped';
	for my $c (states($slot)) {
		my ($from, $to) = $c =~ /^(\w+) -> (\w+)$/ or ($bad++, next);
		if ($from ne $cur) {
			diag("slot $slot: $c while $cur") if $bad++ < 5;
		}
		$cur = $to;
		$n++ if $c eq 'Idle -> Busy';
	}
}
is($bad, 0, "under load, each slot's changes chain up ($n requests seen)")
    or diag(join("\n", grep { !/event|starting/ } split /\n/, log_text($m)));
is($n, 602, 'one Idle -> Busy per request (2 + 4 x 150), none lost');
unlike(log_text($m), qr/state changes lost/, 'and the mux never fell behind');

# A busy timeout: Busy -> Killed, then Killed -> Stopped at the reap.
my $before = scalar(lines());
like(req($m, 'silent'), qr/^ERR Filter timed out/, 'a request past -b 1');
ok(wait_for(sub { my @l = (lines())[$before .. $#{[lines()]}];
    my $t = join("\n", @l);
    $t =~ /StateChange Busy -> Killed\n(?:.*\n)*?S \d StateChange Killed -> Stopped/ }, 20),
    'Busy -> Killed, then Killed -> Stopped');

# A reread: idle workers go Idle -> Killed -> Stopped.
# One must be idle: -r may retire a worker after any request.
ok(wait_for(sub { req($m, 'scan Q3 /tmp');
    req($m, 'status') =~ /^[^ ]*I/ }, 10), 'a worker idle for the reread');
$before = scalar(lines());
is(req($m, 'reread'), "Forced reread of filter rules\n", 'reread');
ok(wait_for(sub { my $t = join("\n", (lines())[$before .. $#{[lines()]}]);
    $t =~ /Idle -> Killed/ && $t =~ /Killed -> Stopped/ }, 10),
    'reread: Idle -> Killed -> Stopped')
    or diag(join("\n", (lines())[$before .. $#{[lines()]}]) . "\n--\n" .
    join("\n", grep { !/event/ } split /\n/, log_text($m)));

# Nothing of the kind for a listener that does not want S.
my $l2 = IO::Socket::INET->new("127.0.0.1:$port") or die;
print $l2 "?FYZ\n";
sleep 0.2;
req($m, 'scan Q2 /tmp');
sleep 0.3;
$l2->blocking(0);
my $got = '';
sysread($l2, $got, 65536);
unlike($got, qr/StateChange/, '?FYZ: no StateChange lines');
is(mux_stop($m), 0, 'clean stop');
done_testing();
