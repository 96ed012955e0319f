#!/usr/bin/perl
# S events of a listener that fell behind coalesce: it is told how many
# lines it missed, then gets each busy worker's tag as it is now.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use IO::Select;
use IO::Socket::UNIX;
use Socket qw(SOL_SOCKET SO_RCVBUF SOCK_STREAM);
use Time::HiRes qw(sleep time);

my $m = mux_start(args => ['-x', '1', '-m', '1', '-Z', '-O',
    "/tmp/mux-tags-$$.sock"], wait_idle => 1);
# A small receive buffer, so its backlog builds up in the mux soon.
my $l = IO::Socket::UNIX->new(Type => SOCK_STREAM,
    Peer => "/tmp/mux-tags-$$.sock") or die "connect: $!";
setsockopt($l, SOL_SOCKET, SO_RCVBUF, 4096);
print $l "?S\n";
$l->flush;
sleep(0.3);

# Many tag changes while the listener reads nothing: enough to fill the
# socket (about 7,600 lines here) many times over whatever the speed of
# the machine and the build, so the backlog builds up in the mux.
my ($served, $t0) = (0, time);
while ($served < 20000 && time - $t0 < 60) {
	my $out = `$ENV{MUX_BENCH_LOAD} -c 1 -t 2 -l 'tag t' -e ok $m->{sock}`;
	my ($n) = $out =~ /ok=(\d+)/;
	last unless $n;
	$served += $n;
}
ok($served >= 20000, "$served requests, each a tag change");
# A worker that is busy with a tag of its own when the listener catches up.
my $b = bg_req($m, 'tag final 3');
sleep(0.5);

my ($buf, $sel, $end) = ('', IO::Select->new($l), time + 20);
while (time < $end && $buf !~ /\nS 0 final 3\n/) {
	last unless $sel->can_read($end - time);
	last unless sysread($l, $buf, 65536, length $buf);
}
my @lines = split /\n/, $buf;
my ($i) = grep { $lines[$_] =~ /^\*SKIPPED \d+$/ } 0 .. $#lines;
ok(defined $i, 'the listener is told it missed lines: ' .
    (defined $i ? $lines[$i] : 'nothing'));
is($lines[$i + 1] // '', 'S 0 final 3',
    'then the busy worker\'s current tag, at once');
my $after = grep { /^S / } @lines[$i + 1 .. $#lines];
ok($after <= 3, "and not the backlog of old tags ($after S lines after it)");
my $nS = grep { /^S / } @lines;
ok($nS < 2 * $served, "$nS S lines delivered for about " . 2 * $served
    . ' tag changes');
bg_wait($b);
is(mux_stop($m), 0, 'clean stop');
unlink("/tmp/mux-tags-$$.sock");
done_testing();
