#!/usr/bin/perl
# A session handler for the intake tests: greets with the variables the
# tests look at ("220-NAME=value"), then "220 envd ready", then answers
# each line with "250 got LINE" (so early bytes can be seen to arrive).
use strict;
use warnings;
$| = 1;
for my $v (qw(TCPREMOTEIP TCPREMOTEHOST MUX_CLASS WHO GREETING X RBLSMTPD
    BANNERRBLSMTPD EXTRA)) {
	print "220-$v=$ENV{$v}\r\n" if defined $ENV{$v};
}
print "220 envd ready\r\n";
while (my $l = <STDIN>) {
	$l =~ s/\r?\n\z//;
	print "250 got $l\r\n";
	last if $l eq 'QUIT';
}
