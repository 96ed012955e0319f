#!/usr/bin/perl
# A MIMEDefang-style pool worker for the regress tests: "PROG -server"
# reads one request line at a time on stdin and answers one reply.
use strict;
use warnings;
use IO::Handle;
use Time::HiRes qw(sleep);

die "usage: worker.pl -server|-serveru\n"
    unless @ARGV && $ARGV[-1] =~ /^-serveru?$/;
my $status;
$status = IO::Handle->new_from_fd(3, 'w') if $ARGV[-1] eq '-serveru';
$status->autoflush(1) if $status;
STDOUT->autoflush(1);
$SIG{TERM} = sub { exit 0 };
if (my $f = $ENV{MUX_TEST_START_FLAG}) {
	if (open(my $fh, '>>', $f)) {
		print $fh "$$\n";
		close($fh);
	}
}
my $n = 0;
while (my $line = <STDIN>) {
	chomp $line;
	$n++;
	my ($cmd, @a) = split / /, $line;
	$cmd //= '';
	if ($cmd eq 'scan' or $cmd eq 'relayok' or $cmd eq 'senderok' or
	    $cmd eq 'recipok') {
		# A recipient check against a slow server.
		sleep(1.5) if $cmd eq 'recipok' && ($a[0] // '') =~ /slow/;
		print "ok\n";
	} elsif ($cmd eq 'map') {
		# mimedefang-protocol(7): percent-encoded words in and out.
		my ($name, $key) = map { s/%([0-9A-Fa-f]{2})/chr(hex($1))/ger } @a;
		if ($key eq 'missing') {
			print "NOTFOUND\n";
		} else {
			my $v = "OK mapped [$key] in $name";
			print $v =~ s/([^!-~]|%)/sprintf('%%%02X', ord($1))/ger, "\n";
		}
	} elsif ($cmd eq 'tick') {
		if (my $f = $ENV{MUX_TEST_TICK_FILE}) {
			open(my $fh, '>>', $f) or die;
			print $fh "tick $a[0]\n";
			close($fh);
		}
		print "tock $a[0]\n";
	} elsif ($cmd eq 'args') {
		print "ok $0 @ARGV\n";
	} elsif ($cmd eq 'pid') {
		print "ok $$ $n\n";
	} elsif ($cmd eq 'sleep') {
		sleep($a[0]);
		print "ok slept $a[0]\n";
	} elsif ($cmd eq 'spin') {
		# Compute, not sleep, for this many seconds of CPU.
		my $cpu = sub { Time::HiRes::clock_gettime(
		    Time::HiRes::CLOCK_PROCESS_CPUTIME_ID()) };
		my $end = $cpu->() + $a[0];
		1 while $cpu->() < $end;
		print "ok spun\n";
	} elsif ($cmd eq 'die') {
		exit 3;
	} elsif ($cmd eq 'silent') {
		sleep(3600);
	} elsif ($cmd eq 'ignoreterm') {
		$SIG{TERM} = 'IGNORE';
		sleep(3600);
	} elsif ($cmd eq 'extra') {
		print "ok\nunasked\n";
	} elsif ($cmd eq 'late') {
		print "ok\n";
		select(undef, undef, undef, 0.3);
		print "late\n";
	} elsif ($cmd eq 'multi') {
		print "250-first\n250-second\n250 last\n";
	} elsif ($cmd eq 'big') {
		print 'x' x $a[0], "\n";
	} elsif ($cmd eq 'tag') {
		print $status join(' ', @a), "\n" if $status;
		sleep($a[-1]) if $a[-1] =~ /^[\d.]+$/;
		print "ok tagged\n";
	} elsif ($cmd eq 'warn') {
		print STDERR join(' ', @a), "\n";
		print "ok warned\n";
	} elsif ($cmd eq 'flood') {
		print STDERR "flood line $_\n" for 1 .. $a[0];
		print "ok flooded\n";
	} elsif ($cmd eq 'lastwords') {
		print STDERR "filter died: ", join(' ', @a), "\n";
		exit 3;
	} elsif ($cmd eq 'echo') {
		print join(' ', @a), "\n";
	} else {
		print "error: Unknown command\n";
	}
}
exit 0;
