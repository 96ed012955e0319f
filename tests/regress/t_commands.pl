#!/usr/bin/perl
# Every command the mux answers itself, field for field in
# mimedefang-multiplexor's formats (shared/research §3.1).
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use Time::HiRes qw(sleep);
use POSIX ();


# An alias answers as its command.  Ages are whole seconds, and two
# requests may straddle a second boundary: allow a few tries.
sub alias_is {
	my ($m, $alias, $cmd, $name) = @_;
	my ($a, $c);
	for (1 .. 5) {
		($a, $c) = (req($m, $alias), req($m, $cmd));
		last if $a eq $c;
	}
	is($a, $c, $name);
}

my $m = mux_start(args => ['-x', '3', '-m', '2', '-w', '1', '-q', '5', '-Z'],
    wait_idle => 2);
my $F = qr/-?\d+\.\d{6}/;	# %f
my $stopped_info = ureq($m, 'workerinfo 2');	# before any load: stopped
my $scan_hour = int(time() / 3600);
is(req($m, 'scan Q1 /tmp'), "ok\n", 'one scan');
# The hour turned during the scan: its bucket could be either.
$scan_hour = -1 if int(time() / 3600) != $scan_hour;
is(req($m, 'relayok 1.2.3.4 h 25 127.0.0.1 25 Q1'), "ok\n", 'one relayok');
is(req($m, 'recipok <a@b> <c@d> 1.2.3.4 h x h /tmp Q m h a'), "ok\n",
    'one recipok');

is(req($m, 'free'), "3\n", 'free: %d of idle + stopped slots');
is(ureq($m, 'free'), "3\n", 'free on the unprivileged socket');
is(req($m, 'msgs'), "1\n", 'msgs: scans since start');
like(req($m, 'version'), qr/^\d+\.\d+\.\d+\z/, 'version: no newline');
like(req($m, 'status'), qr/^IIS 1 2 5 0 \d+\n\z/,
    'status: states, msgs, activations, queue size, queued, uptime');
like(req($m, 'workers'),
    qr/^0 I \d+ last=(scan|relayok|recipok) ago=\d+\n1 I \d+( last=\w+)? ago=\d+\n2 S ago=\d+\n\z/,
    'workers: N C pid last=cmd ago=S');
alias_is($m, 'slaves', 'workers', 'slaves is workers');
is(req($m, 'busyworkers'), '', 'busyworkers: empty when none is busy');
my $kid = fork();
if ($kid == 0) { req($m, 'tag hello%20world 1'); POSIX::_exit(0) }
ok(wait_for(sub { ureq($m, 'busyworkers') =~ /\(hello world 1\)/ }, 3),
    'a -Z status tag shows up');
like(ureq($m, 'busyworkers'), qr/^\d B \d+( last=\w+)? ago=\d+ \(hello world 1\)\n\z/,
    'busyworkers: only busy workers, with (tag)');
alias_is($m, 'busyslaves', 'busyworkers', 'busyslaves alias');
waitpid($kid, 0);

like(req($m, 'workerinfo 0'), qr/\AWorker 0\nState (Idle|Busy)\nPID \d+\nNumRequests \d+\nNumScans [01]\nAge \d+\nFirstReqAge -?\d+\nLastStateChangeAge \d+\nStatusTag .*\n\z/,
    'workerinfo 0');
like($stopped_info, qr/\AWorker 2\nState Stopped\nPID -1\nNumRequests 0\nNumScans 0\nAge -1\nFirstReqAge -1\nLastStateChangeAge \d+\nStatusTag \n\z/,
    'workerinfo of a stopped slot');
alias_is($m, 'slaveinfo 1', 'workerinfo 1', 'slaveinfo alias');
is(req($m, 'workerinfo x'), "error: Invalid worker number\n",
    'workerinfo: invalid number');
is(req($m, 'workerinfo 3'), "error: Worker number out of range\n",
    'workerinfo: out of range');
is(req($m, 'workerinfo -1'), "error: Worker number out of range\n",
    'workerinfo: negative');

# Slot counts as status shows them, to check load and load1 against.
sub counts {
	my $st = mux_status($m);
	my $s = $st->{states};
	return (join(' ', ($s =~ tr/B//), ($s =~ tr/I//), ($s =~ tr/S//),
	    ($s =~ tr/K//)), $st->{activations});
}
my ($cnt, $act) = counts();
my @l = split ' ', ureq($m, 'load');
is(scalar(@l), 29, 'load: 29 numbers');
is("@l[0..3]", '1 1 1 1', 'load: one scan in each window');
like("@l[4..11]", qr/^($F ){7}$F$/, 'load: averages as %f');
is($l[11] > 0 || $l[11] == 0, 1, 'load: ms average is a number');
like("@l[12..15]", qr/^\d+ \d+ \d+ \d+$/, 'load: activations');
is($l[15], $act, "load: $act activations in 10 min");
is("@l[20..23]", $cnt, 'load: busy idle stopped killed');
is("@l[24..27]", "1 $act 5 0", 'load: msgs, activations, queue size, queued');
@l = split ' ', req($m, 'load-relayok');
is(scalar(@l), 29, 'load-relayok: 29 numbers');
is("@l[0..3]", '1 1 1 1', 'load-relayok counts the relayok');
is("@l[12..19]", '0 0 0 0 0 0 0 0', 'activations only with scans');
@l = split ' ', req($m, 'load-senderok');
is("@l[0..3]", '0 0 0 0', 'load-senderok: none');
is("@l[4..7]", '1.000000 1.000000 1.000000 1.000000',
    'load: average busy is 1.0 without requests');
@l = split ' ', req($m, 'load-recipok');
is($l[0], 1, 'load-recipok counts the recipok');

($cnt, $act) = counts();
@l = split ' ', ureq($m, 'load1 60');
is(scalar(@l), 26, 'load1: 26 numbers');
is("@l[0,3,6,9]", '1 1 0 1', 'load1: scan relayok senderok recipok');
like("@l[1,2,4,5]", qr/^($F ){3}$F$/, 'load1: averages as %f');
is("@l[12..15]", $cnt, 'load1: busy idle stopped killed');
is("@l[16..19]", "1 $act 5 0", 'load1: msgs activations qsize queued');
is($l[21], 60, 'load1: back');
is("@l[22..25]", '0 0 0 0', 'load1: busy per command');
is(req($m, 'load1 9'), "error: Invalid 'back' amount (must be 10-600)\n",
    'load1 9 refused');
is(req($m, 'load1 601'), "error: Invalid 'back' amount (must be 10-600)\n",
    'load1 601 refused');

@l = split ' ', req($m, 'hload');
is(scalar(@l), 16, 'hload: 16 numbers');
# Hourly buckets: the 1-hour window is the current hour's, so a scan
# made before the hour turned is only in the longer ones (CI ran this
# at 09:00).
my $h = int(time() / 3600);
like("@l[0..3]", $scan_hour == -1 ? qr/^[01] 1 1 1$/ :
    $h == $scan_hour ? qr/^1 1 1 1$/ : qr/^0 1 1 1$/,
    'hload: the scan in every window that holds its hour');
like("@l[4..11]", qr/^($F ){7}$F$/, 'hload: averages as %f');
like("@l[12..15]", qr/^\d+ \d+ \d+ \d+$/, 'hload: seconds covered');
is(scalar(split(' ', req($m, "hload-$_"))), 16, "hload-$_: 16 numbers")
    for qw(relayok senderok recipok);

like(req($m, 'histo'), qr/\A   1 \d+\n   2 \d+\n   3 \d+\n\z/,
    'histo: "%4d %u" per worker count');
my ($h1) = req($m, 'histo') =~ /^   1 (\d+)/;
ok($h1 >= 4, "histo: $h1 dispatches with one worker busy");

is(req($m, 'tick'), "error: External agents may not invoke 'tick'\n",
    'tick refused');
is(req($m, 'foo_no_such_command'), "error: Unknown command\n",
    'foo_no_such_command answered by the mux');
like(req($m, 'help'), qr/^free .*\nreread /ms, 'help lists reread');
unlike(ureq($m, 'help'), qr/^reread/m, 'unprivileged help does not');
for my $c ('reread', 'scan Q /tmp', 'anything') {
	is(ureq($m, $c), "error: Attempt to use privileged command on " .
	    "unprivileged socket\n", "'$c' refused on the unprivileged socket");
}
for my $c (qw(free status workers busyworkers load hload histo msgs)) {
	is(ureq($m, $c), req($m, $c), "'$c' is the same on both sockets")
	    unless $c eq 'status' || $c eq 'workers' || $c eq 'load' ||
	    $c eq 'hload';
}
is(mux_stop($m), 0, 'clean stop');

# mimedefang asks "free" on every SMTP connection and tempfails when it
# is too low: asking must not itself occupy the only worker.
$m = mux_start(args => ['-x', '1', '-m', '1'], wait_idle => 1);
my @free = map { req($m, 'free') } 1 .. 50;
is(scalar(grep { $_ eq "1\n" } @free), 50,
    'with -x 1, free on the request socket answers 1, 50 times of 50');
is(mux_status($m)->{states}, 'I', 'and the worker stays idle');
is(mux_stop($m), 0, 'clean stop');
done_testing();
