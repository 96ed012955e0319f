#!/usr/bin/perl
# mux-banner under the real tcpserver (Debian ucspi-tcp): the banner and
# rules cases of t_intake.pl, with "tcpserver ... mux-banner -x rules.cdb
# envd.pl" in place of the mux.
use strict;
use warnings;
use FindBin;

$ENV{MUX_BANNER_TCPSERVER} = 1;
do "$FindBin::Bin/t_intake.pl";
die $@ if $@;
