#!/usr/bin/perl
# Reject new SMTP connections while no worker is free, as the listener of
# mimedefang-notify(7) does: subscribe to Y and Z on a mux listener socket,
# add a REJECT rule on Z, flush it on Y and when the mux goes away.
#
#   iptables -N smtp_connect
#   iptables -A INPUT -p tcp --dport 25 --syn -j smtp_connect
#   mux-notify-firewall.pl [--print] [--chain NAME] [HOST:]PORT | /path
#
# --print prints the iptables commands instead of running them.
use strict;
use warnings;
use IO::Handle;
use IO::Socket::INET;
use IO::Socket::UNIX;

my ($print, $chain) = (0, 'smtp_connect');
while (@ARGV && $ARGV[0] =~ /^--/) {
	my $o = shift @ARGV;
	if ($o eq '--print') { $print = 1 }
	elsif ($o eq '--chain') { $chain = shift @ARGV }
	else { die "unknown option $o\n" }
}
my $where = shift @ARGV // '127.0.0.1:4567';
STDOUT->autoflush(1);

sub iptables {
	my @cmd = ('iptables', @_);
	if ($print) {
		print "@cmd\n";
	} else {
		system(@cmd) == 0 or warn "@cmd: exit status $?\n";
	}
}

my $sock = $where =~ m{^/}
    ? IO::Socket::UNIX->new(Peer => $where)
    : IO::Socket::INET->new(PeerAddr => ($where =~ /:/ ? $where :
      "127.0.0.1:$where"), Proto => 'tcp');
die "cannot connect to $where: $!\n" unless $sock;
$sock->autoflush(1);
print $sock "?YZ\n";
my $rejecting = 0;
while (my $line = <$sock>) {
	if ($line =~ /^\*OK/) {
		print STDERR "mux-notify-firewall: watching $where\n";
	} elsif ($line =~ /^Z/ && !$rejecting) {
		iptables('-A', $chain, '-j', 'REJECT');
		$rejecting = 1;
	} elsif ($line =~ /^Y/ && $rejecting) {
		iptables('-F', $chain);
		$rejecting = 0;
	} elsif ($line =~ /^\*ERR/) {
		print STDERR "mux: $line";
	}
}
# The mux went away: never leave the door shut.
iptables('-F', $chain);
exit 0;
