#!/usr/bin/perl
# Bytes per second through one session of an exec-mode listener: the
# handler (mux-bench-sesshd) sends N bytes of 64-byte lines (SOURCE),
# then takes N bytes (SINK).  Run by bench/sessions.sh beside its
# session counts, so the relay's modes are measured in one run.
# usage: bench/relay.pl PORT [BYTES]
use strict;
use warnings;
use IO::Socket::INET;
use Time::HiRes qw(time);

my ($port, $n) = (@ARGV, 200_000_000)[0, 1];
my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port")
    or die "connect: $!\n";
my $buf = '';

# Read until a line starting with $code, counting every byte.
sub until_code {
	my ($code) = @_;
	my $got = 0;
	for (;;) {
		if ($buf =~ /(?:^|\n)\Q$code\E [^\n]*\n/) {
			$got += length $buf;
			$buf = '';
			return $got;
		}
		# Keep the tail only: a line may straddle two reads.
		$got += length($buf) - 128 if length $buf > 128;
		$buf = substr($buf, -128) if length $buf > 128;
		my $r = sysread($s, $buf, 1 << 20, length $buf);
		die "EOF\n" unless $r;
	}
}

until_code('220');
my $t0 = time;
syswrite($s, "SOURCE $n\r\n");
my $got = until_code('226');
my $down = time - $t0;
my $blk = ("x" x 62 . "\r\n") x 1024;
$t0 = time;
syswrite($s, "SINK $n\r\n");
for (my $left = $n; $left > 0; ) {
	my $w = syswrite($s, $blk, $left < length $blk ? $left : length $blk);
	die "write: $!\n" unless $w;
	$left -= $w;
}
until_code('226');
my $up = time - $t0;
printf "relay of %d MB: to the client %.0f MB/s (%d bytes), from it %.0f MB/s\n",
    $n / 1e6, $n / 1e6 / $down, $got, $n / 1e6 / $up;
syswrite($s, "QUIT\r\n");
