#!/usr/bin/perl
# RelayAddresses: a handler behind the relay (MessageEngine on) asks its
# stdin for the peer's and its own address, as inetd-mode daemons do, and
# gets the client's and the listener's real ones, not AF_UNIX; TCP
# options it sets on it succeed.  Listener on 127.0.0.2, client bound
# to 127.0.0.3, so neither can be mistaken for the other or a default.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use Socket qw(IPPROTO_TCP TCP_NODELAY);

my $dir = tempdir('mux-peer-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod(0755, $dir);
my $port = free_port();
my $handler = <<'EOP';
use Socket;
sub show {
	my ($what, $a) = @_;
	return "$what error $!" unless defined $a;
	my $f = sockaddr_family($a);
	return "$what family $f" unless $f == AF_INET;
	my ($p, $ip) = unpack_sockaddr_in($a);
	return "$what " . inet_ntoa($ip) . " $p";
}
$| = 1;
print show('peer', getpeername(STDIN)), "\r\n";
print show('local', getsockname(STDIN)), "\r\n";
print setsockopt(STDIN, IPPROTO_TCP, TCP_NODELAY, 1) ? "nodelay ok"
    : "nodelay failed: $!", "\r\n";
print setsockopt(STDIN, IPPROTO_IP, 1, 16) ? "tos ok" : "tos failed: $!",
    "\r\n";
use IO::Socket::INET;
my $d = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.2');
print "data ", $d->sockhost, ($d->sockport > 0 ? " bound" : " unbound"),
    "\r\n";
EOP
write_file("$dir/h.pl", $handler);

sub session {
	my ($conf) = @_;
	my $m = mux_start(args => ['--config', $conf, '--listen',
	    "inet:127.0.0.2:$port", '--exec', '--', $^X, "$dir/h.pl"]);
	my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.2:$port",
	    LocalAddr => '127.0.0.3') or die "connect: $!";
	my $lport = $s->sockport;
	local $/ = "\r\n";
	my @l;
	while (my $l = <$s>) {
		chomp $l;
		push @l, $l;
	}
	is(mux_stop($m), 0, 'clean stop');
	return ($lport, @l);
}

my $on = write_file("$dir/on.conf", "MessageEngine on\n"
    . "MessageQueue $dir/queue\n");
my ($cport, @l) = session($on);
is($l[0], "peer 127.0.0.3 $cport", 'getpeername: the client\'s address and port');
is($l[1], "local 127.0.0.2 $port", 'getsockname: the listener\'s');
is($l[2], 'nodelay ok', 'TCP_NODELAY on it succeeds');
is($l[3], 'tos ok', 'and IP_TOS');
is($l[4], 'data 127.0.0.2 bound',
    'a socket of its own (a PASV listener) is the kernel\'s');

my $off = write_file("$dir/off.conf", "MessageEngine on\n"
    . "MessageQueue $dir/queue\nRelayAddresses off\n");
(undef, @l) = session($off);
like($l[0], qr/^peer family 1$/, 'RelayAddresses off: the UNIX socket pair shows');
like($l[2], qr/^nodelay failed/, 'and TCP options fail on it');
done_testing();
