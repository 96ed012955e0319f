# Helpers the interop tests share: package checks, waiting, files, ports.
package Interop;
use strict;
use warnings;
use Exporter 'import';
use IO::Socket::INET;
use Time::HiRes qw(sleep time);

our @EXPORT = qw(installed wait_for slurp free_port);

# Is this Debian package installed?
sub installed { system("dpkg-query -W -f='\${Status}' $_[0] 2>/dev/null "
    . "| grep -q 'ok installed'") == 0 }

sub wait_for {
	my ($cond, $timeout) = @_;
	my $end = time + $timeout;
	while (time < $end) {
		return 1 if $cond->();
		sleep 0.1;
	}
	return 0;
}

# A whole file, or '' if it cannot be read.
sub slurp {
	my ($path) = @_;
	open(my $fh, '<', $path) or return '';
	local $/;
	return <$fh> // '';
}

# A TCP port free on this address (default 127.0.0.1).
sub free_port {
	my ($addr) = @_;
	my $s = IO::Socket::INET->new(LocalAddr => $addr // '127.0.0.1',
	    LocalPort => 0, Listen => 1, ReuseAddr => 1) or die "listen: $!";
	return $s->sockport;
}

1;
