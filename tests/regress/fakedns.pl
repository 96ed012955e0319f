#!/usr/bin/perl
# A DNS server for tests, on 127.0.0.1:PORT (UDP): answers PTR queries
# for the names given (fakedns.pl PORT 1.0.0.127.in-addr.arpa NAME ...),
# NXDOMAIN for anything else, after FAKEDNS_DELAY seconds if set (a slow
# resolver).  The question is echoed as asked (evdns randomises its case).
use strict;
use warnings;
use IO::Socket::INET;
use Time::HiRes qw(sleep);

my ($port, %ptr) = @ARGV;
my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
    Proto => 'udp') or die "udp $port: $!";
while (1) {
	defined($s->recv(my $pkt, 512)) or next;
	next if length $pkt < 17;
	my ($id) = unpack('n', $pkt);
	my ($off, @l) = (12);
	while ($off < length $pkt && (my $n = ord(substr($pkt, $off, 1)))) {
		push @l, substr($pkt, $off + 1, $n);
		$off += $n + 1;
	}
	$off++;
	my ($qtype) = unpack('n', substr($pkt, $off, 2));
	my $q = substr($pkt, 12, $off + 4 - 12);
	my $name = lc join('.', @l);
	if ($qtype == 12 && exists $ptr{$name}) {
		my $rd = join('', map { chr(length $_) . $_ }
		    split /\./, $ptr{$name}) . "\0";
		$s->send(pack('n6', $id, 0x8180, 1, 1, 0, 0) . $q
		    . pack('nnnNn', 0xC00C, 12, 1, 60, length $rd) . $rd);
	} else {
		sleep($ENV{FAKEDNS_DELAY}) if $ENV{FAKEDNS_DELAY};
		$s->send(pack('n6', $id, 0x8183, 1, 0, 0, 0) . $q);
	}
}
