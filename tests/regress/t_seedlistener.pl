#!/usr/bin/perl
# The listener script of mimedefang-notify(7), unchanged but for printing
# its iptables commands, against mux -O inet:4567 (the port it has
# hard-wired): a load generator saturates the pool in bursts; the script
# must see exactly the Z and Y edges the mux logged, in order, and undo
# the firewalling at EOF.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use IO::Socket::INET;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);

if (IO::Socket::INET->new(PeerAddr => '127.0.0.1:4567')) {
	plan skip_all => 'something already listens on 127.0.0.1:4567';
}
my $m = mux_start(args => ['-x', '2', '-m', '2', '-O', 'inet:4567'],
    wait_idle => 2);
my $out = "$m->{dir}/seed.out";
my $pid = fork() // die;
if ($pid == 0) {
	open(STDOUT, '>', $out) or die;
	open(STDERR, '>', '/dev/null');
	exec($^X, "$FindBin::Bin/seed-listener.pl") or die;
}
sleep(0.5);	# connected and subscribed

# One plain saturation, then a load generator in bursts.
saturate($m, 2, 0.5);
sleep(0.3);
my $load = `$ENV{MUX_BENCH_LOAD} -c 4 -t 2 -l 'sleep 0.05' -e ok $m->{sock}`;
my ($served) = $load =~ /ok=(\d+)/;
ok(($served // 0) > 10, "the load generator was served ($served requests)");
sleep(0.5);
is(mux_stop($m), 0, 'SIGTERM: exit status 0');
ok(wait_for(sub { waitpid($pid, WNOHANG) == $pid }, 10, 'the script'),
    'the listener script ends at EOF');

my @lines = do { open(my $fh, '<', $out) or die; <$fh> };
my $got = join('', map { /-A smtp_connect -j REJECT/ ? 'Z' :
    /-F smtp_connect/ ? 'Y' : '?' } @lines);
my @ev = log_text($m) =~ /^mux: event ([YZ])$/mg;
my $want = join('', @ev) . 'Y';		# and the flush at EOF
ok(length($want) >= 5, 'the mux logged ' . scalar(@ev) . ' Z/Y events');
is($got, $want, 'the script saw exactly the edges the mux logged, in '
    . 'order, then flushed at EOF');
like($got, qr/^(ZY)+Y$/, 'Z and Y alternate, each edge once');
done_testing();
