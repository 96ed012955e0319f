#!/usr/bin/perl
# Z and Y drive a real iptables REJECT rule, inside a network namespace
# this test creates (root): tools/mux-notify-firewall.pl adds the rule on
# Z, flushes it on Y and when the mux goes away; while the pool is
# saturated a new TCP connection to the service port is refused, after Y
# it is accepted.  Nothing here touches the host's own tables.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use Errno qw(ECONNREFUSED);
use File::Temp qw(tempdir);
use IO::Socket::INET;
use IO::Socket::UNIX;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);

my $SVC = 2525;
my $NOTIFY = 4567;
my $CHAIN = 'smtp_connect';

unless ($ENV{MUX_NETNS}) {
	plan skip_all => 'network namespaces unavailable: not root' if $> != 0;
	my $ns = "muxtest$$";
	if (system("ip netns add $ns 2>/dev/null") != 0) {
		plan skip_all => 'network namespaces unavailable: ip netns add failed';
	}
	$ENV{MUX_NETNS} = $ns;
	system('ip', 'netns', 'exec', $ns, $^X, $0);
	my $rc = $?;
	system('ip', 'netns', 'del', $ns);
	exit($rc & 127 ? 1 : $rc >> 8);
}

# From here on we are inside the namespace.
system('ip', 'link', 'set', 'lo', 'up') == 0 or BAIL_OUT('lo up');
for (['-N', $CHAIN],
    ['-A', 'INPUT', '-p', 'tcp', '--dport', $SVC, '--syn', '-j', $CHAIN]) {
	system('iptables', @$_) == 0 or BAIL_OUT("iptables @$_");
}

my $dir = tempdir('mux-netns-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $MUX = $ENV{MUX} // "$SRC/build/mux";

sub spawn {
	my ($out, @cmd) = @_;
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		open(STDOUT, '>', $out) or die;
		open(STDERR, '>&', \*STDOUT) or die;
		exec(@cmd) or die "exec $cmd[0]: $!";
	}
	return $pid;
}

sub slurp { open(my $fh, '<', $_[0]) or return ''; local $/; <$fh> // '' }

sub tcp_req {
	my ($line) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$SVC",
	    Proto => 'tcp', Timeout => 5) or return "CONNECT FAILED: $!";
	print $s "$line\n";
	local $/;
	return <$s> // '';
}

sub status {
	my $s = IO::Socket::UNIX->new(Peer => "$dir/u.sock") or return '';
	print $s "status\n";
	return <$s> // '';
}

# Packet count of the REJECT rule, or undef when there is none.
sub reject_pkts {
	for (`iptables -L $CHAIN -v -n -x`) {
		return $1 if /^\s*(\d+)\s+\d+\s+REJECT/;
	}
	return undef;
}

my $mux = spawn("$dir/mux.log", $MUX, '-D', '-d', '-x', '2', '-m', '2',
    '-q', '0', '-s', "inet:$SVC", '-a', "$dir/u.sock",
    '-O', "inet:$NOTIFY", '-f', $WORKER);
ok(wait_for(sub { status() =~ /^II/ }, 15, 'two idle workers'),
    'mux runs in the namespace with two idle workers');
my $fw = spawn("$dir/fw.out", $^X, "$SRC/tools/mux-notify-firewall.pl",
    '--chain', $CHAIN, "127.0.0.1:$NOTIFY");
ok(wait_for(sub { slurp("$dir/fw.out") =~ /watching/ }, 10,
    'the listener script connects'), 'the listener script got *OK');

is(tcp_req('scan Q1 /tmp'), "ok\n", 'before: the service port serves');
ok(!defined reject_pkts(), 'no REJECT rule while workers are free');

sub hold {
	my ($secs) = @_;
	map {
		my $pid = fork() // die;
		if ($pid == 0) { tcp_req("sleep $secs"); POSIX::_exit(0) }
		$pid;
	} 1 .. 2;
}

my @kids = hold(3);
ok(wait_for(sub { defined reject_pkts() }, 5, 'the REJECT rule'),
    'Z: the listener added the REJECT rule');
my $t0 = time;
# A blocking connect, so the refusal comes back as ECONNREFUSED.
my $c = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$SVC", Proto => 'tcp');
my $err = $! + 0;
ok(!$c && $err == ECONNREFUSED,
    'while saturated a new TCP connection is refused (' .
    ($c ? 'connected' : "$!") . ')');
ok((reject_pkts() // 0) >= 1, 'by the rule: its packet count is ' .
    (reject_pkts() // 'none'));
waitpid($_, 0) for @kids;
ok(wait_for(sub { !defined reject_pkts() }, 5, 'the flush'),
    sprintf('Y: the rule is flushed %.1f s after saturation began',
    time - $t0));
is(tcp_req('scan Q2 /tmp'), "ok\n", 'after Y: the service port serves again');

# The mux goes away while the door is shut: the listener opens it.
@kids = hold(2);
ok(wait_for(sub { defined reject_pkts() }, 5, 'the REJECT rule'),
    'Z again: the rule is back');
kill 'TERM', $mux;
waitpid($mux, 0);
is($?, 0, 'mux exits 0 on SIGTERM');
ok(wait_for(sub { !defined reject_pkts() }, 5, 'the flush at EOF'),
    'EOF: the listener flushes the rule');
ok(wait_for(sub { waitpid($fw, WNOHANG) == $fw }, 5, 'the script exits'),
    'the listener script exits after EOF');
is($? >> 8, 0, 'with status 0');
waitpid($_, 0) for @kids;

my $fwout = slurp("$dir/fw.out");
unlike($fwout, qr/^mux: \*ERR/m, 'the listener got no *ERR');
diag("mux log:\n" . slurp("$dir/mux.log")) unless Test::More->builder->is_passing;
done_testing();
