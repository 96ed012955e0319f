#!/usr/bin/perl
# Bursts of real mail scans through a multiplexor's request socket, as
# Debian's milter (mimedefang) sends them: each message spooled in a
# directory of its own (COMMANDS, HEADERS, INPUTMSG), then one
# "scan QUEUEID DIR" per connection, all of a burst connecting at once.
# Prints messages/s (the burst's messages over the time until its last
# answer), and p50/p99 of each message's time from its connect to its
# answer, over all bursts.  Every answer must be "ok"; mimedefang.pl's
# RESULTS must say the filter ran.
# usage: mdscan.pl SOCKET SPOOLDIR USER BURST BURSTS
use strict;
use warnings;
use IO::Socket::UNIX;
use POSIX qw(_exit);
use Time::HiRes qw(time);

my ($sock, $spool, $user, $burst, $bursts) = @ARGV;
die "usage: mdscan.pl SOCKET SPOOLDIR USER BURST BURSTS\n"
    unless defined $bursts;
my (undef, undef, $uid, $gid) = getpwnam($user) or die "no user $user\n";

# A small message: text and an attachment, so the MIME parser has work.
my $msg = join("\r\n",
    'From: Alice <alice@example.org>', 'To: Bob <bob@example.net>',
    'Subject: quarterly figures', 'Message-ID: <%s@example.org>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b0"', '',
    '--b0', 'Content-Type: text/plain; charset=us-ascii', '',
    ('The figures are attached; see you on Monday.') x 20, '',
    '--b0', 'Content-Type: application/pdf; name="q3.pdf"',
    'Content-Transfer-Encoding: base64',
    'Content-Disposition: attachment; filename="q3.pdf"', '',
    ('SlZCRVJpMHhMalFLSmNPa3c3elR0T0VLTVNBd0lHOWlhZ284UEM5TVpXNW5kR2dn') x 60,
    '', '--b0--', '');

sub spool {	# directory, queue id: the milter's three files
	my ($dir, $qid) = @_;
	mkdir($dir, 0750) or die "mkdir $dir: $!\n";
	my $m = sprintf($msg, $qid);
	my ($hdr) = split /\r\n\r\n/, $m, 2;
	$hdr =~ s/\r\n/\n/g;
	for (['INPUTMSG', $m], ['HEADERS', "$hdr\n"], ['COMMANDS',
	    "S<alice\@example.org>\nR<bob\@example.net> ? ? ?\nQ$qid\n" .
	    "I127.0.0.1\nHlocalhost\nEmail.example.org\nX<$qid\@example.org>\n" .
	    "Uquarterly%20figures\nF\n"]) {
		open(my $fh, '>', "$dir/$_->[0]") or die "$dir/$_->[0]: $!\n";
		print $fh $_->[1];
		close($fh);
		chown($uid, $gid, "$dir/$_->[0]");
	}
	chown($uid, $gid, $dir);
}

my @lat;
my ($msgs, $secs, $bad) = (0, 0, 0);
for my $b (1 .. $bursts) {
	my @dirs;
	for my $i (1 .. $burst) {
		my $qid = sprintf('B%dM%04d%05d', $b, $i, $$ % 100000);
		push @dirs, ["$spool/mdscan-$qid", $qid];
		spool(@{$dirs[-1]});
	}
	# All children wait on one pipe; closing it starts the burst.
	pipe(my $go_r, my $go_w) or die;
	pipe(my $res_r, my $res_w) or die;
	my @kids;
	for my $d (@dirs) {
		my $pid = fork() // die "fork: $!\n";
		if ($pid == 0) {
			close($go_w);
			close($res_r);
			sysread($go_r, my $x, 1);
			my $t0 = time;
			my $s = IO::Socket::UNIX->new(Peer => $sock);
			my $r = '';
			if ($s) {
				print $s "scan $d->[1] $d->[0]\n";
				$r = <$s> // '';
			}
			my $dt = time - $t0;
			chomp $r;
			syswrite($res_w, sprintf("%.6f %.6f %s\n", $dt,
			    $t0 + $dt, $r));
			_exit(0);
		}
		push @kids, $pid;
	}
	close($res_w);
	close($go_r);
	sleep 0.2;	# the children are at their read
	my $t0 = time;
	close($go_w);
	my $last = $t0;
	while (my $l = <$res_r>) {
		my ($dt, $end, $r) = split ' ', $l, 3;
		chomp $r;
		push @lat, $dt;
		$last = $end if $end > $last;
		$bad++, warn "answer: $r\n" unless $r eq 'ok';
	}
	waitpid($_, 0) for @kids;
	for my $d (@dirs) {
		my $res = '';
		if (open(my $fh, '<', "$d->[0]/RESULTS")) {
			local $/;
			$res = <$fh>;
		}
		# filter_end's header: the filter ran for this message.
		$bad++, warn "$d->[0]: no RESULTS from the filter\n"
		    unless $res =~ /X-Mux-Bench/;
		system('rm', '-rf', $d->[0]);
	}
	$msgs += $burst;
	$secs += $last - $t0;
}
@lat = sort { $a <=> $b } @lat;
printf "burst=%d bursts=%d msgs=%d bad=%d msgs/s=%.1f p50=%.1fms p99=%.1fms\n",
    $burst, $bursts, $msgs, $bad, $msgs / $secs,
    1000 * $lat[int(@lat * 0.5)], 1000 * $lat[int(@lat * 0.99)];
exit($bad ? 1 : 0);
