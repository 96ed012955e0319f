#!/usr/bin/perl
# A pool-mode session handler (mux --listen without --exec): started
# once per worker with -server, it gets one request line at a time.  A
# session begins with "session VAR=VALUE..." (percent-encoded), whose
# reply is the greeting; each client line follows as a request.  A
# final 221 ends the session.  Users are named on fd 3.
use strict;
use warnings;
use IO::Handle;

my $status;
open($status, '>&=', 3) and $status->autoflush(1);
STDOUT->autoflush(1);
my ($n, %var, $user) = (0);

sub dec { my $s = shift; $s =~ s/%([0-9A-Fa-f]{2})/chr(hex($1))/ge; $s }

while (defined(my $line = <STDIN>)) {
	chomp $line;
	if ($line =~ /^session( |$)/) {
		%var = map { split /=/, dec($_), 2 } split ' ', substr($line, 8);
		$n++;
		print "220-pool handler $$, session $n\r\n"
		    . "220 ready for $var{TCPREMOTEIP} class $var{MUX_CLASS}\r\n";
		next;
	}
	my ($verb, $arg) = split / /, $line, 2;
	$verb = uc($verb // '');
	if ($line =~ /\r/) {
		print "500 a CR reached the handler\r\n";
	} elsif ($verb eq 'USER') {
		$user = $arg;
		print "331 Password required for $user\r\n";
	} elsif ($verb eq 'PASS') {
		print $status "user $user\n" if $status;
		# "PASS slow": the reply comes well after the user line.
		select(undef, undef, undef, 0.5) if ($arg // '') eq 'slow';
		print "230 User $user logged in\r\n";
	} elsif ($verb eq 'PASV') {
		print "227 Entering Passive Mode (127,0,0,1,4,1).\r\n";
	} elsif ($verb eq 'VAR') {
		print "200 $arg=" . ($var{$arg} // '') . "\r\n";
	} elsif ($verb eq 'SLEEP') {
		sleep($arg);
		print "200 slept $arg\r\n";
	} elsif ($verb eq 'JUNK') {
		# Out of step: a line more than the one reply asked for.
		print "200 JUNK ok\r\njunk past the reply\r\n";
	} elsif ($verb eq 'QUIT') {
		print "221 Goodbye.\r\n";
	} else {
		print "200 $verb ok\r\n";
	}
}
