#!/usr/bin/perl
# The listener socket (-O): mimedefang-notify made reliable.
use strict;
use warnings;
# 1,000 listeners need more descriptors than the usual soft limit of 1024.
BEGIN {
	if (!$ENV{MUX_NOFILE_RAISED}) {
		$ENV{MUX_NOFILE_RAISED} = 1;
		exec('sh', '-c', 'ulimit -n 4096 2>/dev/null || ulimit -n ' .
		    '$(ulimit -Hn); exec perl "$0" "$@"', $0, @ARGV);
	}
}
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use IO::Socket::INET;
use Socket ();
use IO::Select;
use Time::HiRes qw(time sleep);
use POSIX ();

my $port = 20000 + ($$ % 20000);
# The plain build keeps the 100 ms bound of the requirement.  The
# sanitizer build's stalls come from AddressSanitizer's 16 MB quarantine
# (MUX_TEST_ENV), which the RSS check below needs: on a PVM guest,
# 2026-12-01, 55-86 ms with it against 16-24 ms with 64 MB or the
# default, when RSS then grows by 25-35 MB a flood.
my $ASAN = `ldd "$ENV{MUX}" 2>/dev/null` =~ /libasan/;
my $BOUND = $ASAN ? 250 : 100;
my $m = mux_start(args => ['-x', '2', '-m', '2', '-w', '1', '-O',
    "inet:$port", '-O', "/tmp/mux-notify-$$.sock"], wait_idle => 2);

sub listener {
	my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
	    Proto => 'tcp') or die "connect: $!";
	$s->autoflush(1);
	return $s;
}
# Lines available within $t seconds (stops early at $until if given).
sub lines {
	my ($s, $t, $until) = @_;
	my $sel = IO::Select->new($s);
	my ($buf, $end) = ('', time + $t);
	while (time < $end && $sel->can_read($end - time)) {
		my $n = sysread($s, $buf, 65536, length $buf);
		last if !$n;
		last if defined $until && $buf =~ $until;
	}
	return [split /\n/, $buf];
}

# Protocol basics.
my $l = listener();
is_deeply(lines($l, 0.5), ['*OK'], 'on connect: *OK, nothing more');
print $l "?FYZ\n?yz\nhello\n\n";
is_deeply(lines($l, 0.5), ['F 2', '*ERR unknown command'],
    'pipelined lines all handled: snapshot F 2, lower case ignored, '
    . 'unknown command refused');
print $l "?YZ\n";
saturate($m, 2, 0.5);
is_deeply(lines($l, 1), ['Z', 'Y'], 'saturated and back: Z then Y, once');
my $full = bg_req($m, 'sleep 1.5');
my $full2 = bg_req($m, 'sleep 1.5');
sleep 0.5;
my $l2 = listener();
print $l2 "?FZ\n";
is_deeply(lines($l2, 0.5), ['*OK', 'F 0', 'Z'],
    'a listener subscribing while nothing is free: F 0 and Z');
bg_wait($_) for $full, $full2;
close($l2);

# The seed's listener, its iptables calls printed: *OK, then Z/Y edges.
my $fw = "$m->{dir}/fw.out";
my $fwpid = fork();
if ($fwpid == 0) {
	open(STDOUT, '>', $fw);
	exec('perl', "$MuxTest::SRC/tools/mux-notify-firewall.pl", '--print',
	    "127.0.0.1:$port");
}
sleep 0.5;
saturate($m, 2, 0.5);
sleep 0.5;

# Bad input: an over-long line, binary junk.
my $b = listener();
lines($b, 0.3);
print $b "?" . ("F" x 5000) . "\n";
is_deeply(lines($b, 1), ['*ERR line too long'], 'a 5001-byte line: *ERR line too long');
my $x = '';
my $rn = sysread($b, $x, 1);
ok(defined $rn && $rn == 0, 'and the listener is closed');
my $j = listener();
lines($j, 0.3);
print $j "\x00\xff\x01junk\n";
is_deeply(lines($j, 0.5), ['*ERR unknown command'], 'binary junk: *ERR unknown command');
close($j);
close($l);	# done with: unread, they would stall too

# A listener that stops reading while events flood: bounded, told.
sub rss_kb { open(my $f, '<', "/proc/$_[0]/status"); my ($r) = grep { /^VmRSS/ } <$f>; $r =~ /(\d+)/; return $1 }
my $slow = listener();
print $slow "?*\n";
# And one that stops reading for 60 s: past the 30 s write stall it is
# closed, and the other listeners never notice.  It is stalled through
# the floods below, so the RSS figures there include it.
my $slow60 = listener();
print $slow60 "?*\n";
my $t60 = time;
# A listener that keeps reading through the floods, in its own process.
my ($fastf, $faststop) = ("$m->{dir}/fast", "$m->{dir}/fast.stop");
my $fastpid = fork();
if ($fastpid == 0) {
	my $s = listener();
	print $s "?YZ\n";
	my $sel = IO::Select->new($s);
	my $buf = '';
	until (-e $faststop) {
		next unless $sel->can_read(0.2);
		my $n = sysread($s, $buf, 65536, length $buf);
		last if !$n;
	}
	while ($sel->can_read(0.5)) {	# what is still on its way
		last if !sysread($s, $buf, 65536, length $buf);
	}
	open(my $fh, '>', $fastf);
	print $fh $buf;
	close($fh);
	POSIX::_exit(0);
}
# A full-speed ?* listener counts event lines; load runs until it has
# seen 100,000 of them (or 60 s pass).  Returns the count and requests.
sub flood {
	my $cf = "$m->{dir}/count";
	unlink $cf;
	my $counter = fork();
	if ($counter == 0) {
		my $c = listener();
		print $c "?*\n";
		my ($n, $buf, $end) = (0, '', time + 60);
		while ($n < 100000 && time < $end) {
			my $r = sysread($c, $buf, 65536);
			last if !$r;
			$n += ($buf =~ tr/\n//);
		}
		open(my $fh, '>', $cf);
		print $fh $n;
		close($fh);
		POSIX::_exit(0);
	}
	# Meanwhile another listener times the mux's answers to its lines:
	# the stalled one must not delay anybody else.
	my ($pf, $stop) = ("$m->{dir}/probe", "$m->{dir}/probe.stop");
	unlink $pf, $stop;
	my $prober = fork();
	if ($prober == 0) {
		my $p = listener();
		lines($p, 0.3);
		my @rtt;
		while (!-e $stop) {
			my $t = time;
			print $p "ping\n";
			my $r = <$p> // last;
			push @rtt, time - $t;
			sleep 0.01;
		}
		@rtt = sort { $::a <=> $::b } @rtt;	# a lexical $b is in scope
		open(my $fh, '>', $pf);
		printf $fh "%d %.1f %.1f", scalar @rtt,
		    1000 * ($rtt[int(@rtt * 0.99)] // 0), 1000 * ($rtt[-1] // 0);
		close($fh);
		POSIX::_exit(0);
	}
	my ($served, $t0) = (0, time);
	while (waitpid($counter, POSIX::WNOHANG()) == 0 && time - $t0 < 60) {
		my $out = `$ENV{MUX_BENCH_LOAD} -c 4 -t 1 $m->{sock}`;
		$served += $1 if $out =~ /ok=(\d+)/;
	}
	waitpid($counter, 0);
	open(my $sfh, '>', $stop);
	close($sfh);
	waitpid($prober, 0);
	open(my $pfh, '<', $pf);
	my ($np, $p99, $max) = split / /, (<$pfh> // '0 0 0');
	open(my $cfh, '<', $cf);
	return ((<$cfh> // 0), $served, $np, $p99, $max);
}
my $rss0 = rss_kb($m->{pid});
my ($produced, $served, $np, $p99, $max) = flood();
ok($produced >= 100000, "$produced events produced while one listener "
    . "did not read ($served requests)");
ok($np > 10 && $max < $BOUND, "another listener's $np lines were answered "
    . "in at most $max ms (p99 $p99 ms, bound $BOUND ms) meanwhile");
my $rss1 = rss_kb($m->{pid});
if (!$ASAN) {
	ok($rss1 - $rss0 < 4096, "mux RSS $rss0 kB before, $rss1 kB after");
} else {
	# AddressSanitizer keeps 16 MB of freed memory in quarantine, and
	# its allocator fills each size class before it reuses: RSS climbs
	# for two floods.  Bounded means a third one adds next to nothing.
	flood();
	my $rss2 = rss_kb($m->{pid});
	($produced) = flood();
	my $rss3 = rss_kb($m->{pid});
	ok($rss3 - $rss2 < 4096, "ASan build: mux RSS $rss0, $rss1, $rss2 kB, "
	    . "then $rss3 kB after $produced more events");
}
open(my $stopfh, '>', $faststop);
close($stopfh);
waitpid($fastpid, 0);
my @f = do { open(my $fh, '<', $fastf); local $/; split /\n/, <$fh> // '' };
shift @f if @f && $f[0] eq '*OK';
my ($odd) = grep { !/^[YZ]$/ } @f;
diag("the reading listener also got: $odd") if defined $odd;
my $edges = join('', map { /^([YZ])$/ ? $1 : '?' } @f);
like($edges, qr/^(ZY)+$/, 'the reading listener got every edge, '
    . 'alternating (' . length($edges) / 2 . ' Z/Y pairs)');
# Reading again: after a long stall TCP only probes the closed window on
# its back-off timer, so allow time for the rest to arrive.
my @s = @{ lines($slow, 20, qr/^(\*SKIPPED \d+\nF \d+\n|\*ERR too slow\n)/m) };
my ($skipped) = grep { /^\*SKIPPED \d+$/ } @s;
my ($err) = grep { /^\*ERR too slow$/ } @s;
ok($skipped || $err, 'the stalled listener is told: ' . ($skipped // $err // 'nothing'))
    or diag(scalar(@s) . " lines: @s[0..5] ... @s[-5..-1]");
if ($skipped) {
	my ($i) = grep { $s[$_] eq $skipped } 0 .. $#s;
	like($s[$i + 1] // '', qr/^F \d+$/, "then a fresh snapshot: $s[$i + 1]");
} else {
	pass('closed as too slow: no snapshot owed');
}
my $nevents = scalar(grep { /^[FSYZ]/ } @s);
ok($nevents < 100000, "it got $nevents event lines, not all of them");
close($slow);

# Every listener gets every edge: 1,000 of them, read through one select.
my @many = map { listener() } 1 .. 1000;
print $_ "?YZ\n" for @many;
sleep 0.5;
saturate($m, 2, 0.5);
my %got;
my $sel = IO::Select->new(@many);
my $end = time + 10;
while (time < $end && $sel->count) {
	for my $s ($sel->can_read(0.5)) {
		my $n = sysread($s, my $buf, 4096);
		$got{$s} .= $buf if $n;
		$sel->remove($s) if !$n || $got{$s} =~ /\nY\n/;
	}
}
my $all = grep { ($got{$_} // '') eq "*OK\nZ\nY\n" } @many;
is($all, 1000, "$all of 1,000 listeners got exactly *OK, Z, Y");
close($_) for @many;

# (Its memory is in the flood figures above: it stalled through them.)
sleep($t60 + 60 - time) if $t60 + 60 > time;
my @s60 = @{ lines($slow60, 10) };
my $eof = sysread($slow60, my $x60, 1);
ok(defined $eof && $eof == 0, sprintf('a listener that read nothing for '
    . '%.0f s was closed (%d lines were on their way)', time - $t60,
    scalar @s60));
is(log_count($m, qr/listener stalled for 30 s: too slow, closed/), 1,
    'the stall is logged once');
like(`"$ENV{MUXCTL}" -s /tmp/mux-notify-$$.sock status`,
    qr/^listeners connected=\d+ .* stalled=1 /m,
    'status counts it: stalled=1');

is(mux_stop($m), 0, 'clean stop');
waitpid($fwpid, 0);
open(my $fh, '<', $fw);
my @fwl = <$fh>;
like(join('', @fwl), qr/\A(iptables -A smtp_connect -j REJECT\niptables -F smtp_connect\n)+iptables -F smtp_connect\n\z/,
    'the firewall listener: REJECT on Z, flush on Y, ' .
    scalar(@fwl) . ' lines, the last a flush at EOF');
done_testing();
