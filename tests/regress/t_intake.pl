#!/usr/bin/perl
# Intake of service sessions: tcprules CDB files made by the real
# tcprules (exact IP, prefix, range, default deny, quoted values), the
# banner phase with qmail-banner's semantics (220- framing and CRLF,
# escapes, $VAR/${VAR}, built-ins, DATEFMT, BANNERFILE, sleeps measured
# from the client), early talkers (bytes kept for the handler,
# BANNERRBLSMTPD -> RBLSMTPD), rules reopened on reread, a corrupt file
# refused.  With MUX_BANNER_TCPSERVER set, the same cases run through
# the real tcpserver and mux-banner instead (t_muxbanner.pl).
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use IO::Select;
use POSIX qw(strftime);
use Time::HiRes qw(sleep time);

my $ENVD = "$SRC/tests/regress/envd.pl";
my $BANNER = $ENV{MUX_BANNER} // "$SRC/build/mux-banner";
my $via_tcpserver = $ENV{MUX_BANNER_TCPSERVER};
my $dir = tempdir('mux-intake-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod(0700, $dir);

plan skip_all => 'tcprules is not installed' unless -x '/usr/bin/tcprules';
plan skip_all => 'tcpserver is not installed'
    if $via_tcpserver && !-x '/usr/bin/tcpserver';

sub tcprules {
	my ($name, $text) = @_;
	open(my $fh, '|-', "tcprules $dir/$name $dir/$name.tmp") or die;
	print $fh $text;
	close($fh) or die "tcprules failed: $?";
	return "$dir/$name";
}


open(my $bf, '>', "$dir/banner.txt") or die;
print $bf "from a file, for \$WHO\nsecond line\n";
close($bf);

my $rules_text = <<"EOR";
# one rule per case
127.0.0.1:allow,CLASS="staff",GREETING="hello there",BANNER="Welcome \$GREETING to \${ME}\\nline two \$NOPE \\x41\\101\\tend"
127.0.0.2:deny
127.0.0.3:allow,BANNERPRESLEEP="1",BANNERPOSTSLEEP="1",BANNER="slow banner",BANNERRBLSMTPD="-early talker"
127.0.0.4-6:allow,WHO="range",X=/a,b "c"/
127.0.0.:allow,WHO="prefix",BANNERFILE="$dir/banner.txt"
127.0.2.:allow,BANNER="date \$DATE|\$SECONDS|\$PID|\$RANDOM",DATEFMT="%Y"
127.0.1.:deny
:allow,WHO="default"
EOR
my $rules = tcprules('rules.cdb', $rules_text);
ok(-s $rules, 'tcprules made the CDB file');

my $port = free_port();
my ($m, $ts);
my $me = $via_tcpserver ? `hostname` : 'mx.test';
chomp $me;
if ($via_tcpserver) {
	$ts = fork() // die;
	if ($ts == 0) {
		open(STDERR, '>', "$dir/tcpserver.log");
		exec('tcpserver', '-R', '-H', '-l0', '127.0.0.1', $port,
		    $BANNER, '-x', "$dir/missing.cdb", '-x', $rules, $ENVD);
		exit 111;
	}
	sleep 0.5;
} else {
	open(my $fh, '>', "$dir/mux.conf") or die;
	print $fh "BannerMe mx.test\nRules $dir/missing.cdb\nRules $rules\n";
	close($fh);
	$m = mux_start(args => ['--config', "$dir/mux.conf", '-O',
	    "$dir/ctl.sock", '-x', 8, '--listen', "inet:$port", '--exec',
	    '--', $ENVD]);
}

# Connect from $from; read until the handler's greeting (or EOF).
sub session {
	my ($from, %o) = @_;
	my $t0 = time;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $o{port} // $port, LocalAddr => $from, Timeout => 5)
	    or die "connect from $from: $!";
	syswrite($s, $o{early}) if defined $o{early};
	my $sel = IO::Select->new($s);
	my ($buf, $first, $end) = ('', undef, time + ($o{t} // 6));
	while (time < $end) {
		last if $buf =~ /^220 envd ready\r\n/m && (!$o{early} ||
		    $buf =~ /^250 got /m);
		next unless $sel->can_read(0.05);
		my $n = sysread($s, $buf, 4096, length $buf);
		$first //= time - $t0 if $n;
		last unless $n;
	}
	close($s);
	return { text => $buf, first => $first // -1, all => time - $t0 };
}

my $r = session('127.0.0.1');
is($r->{text}, "220-Welcome hello there to $me\r\n"
    . "220-line two \$NOPE AA\tend\r\n"
    . "220-TCPREMOTEIP=127.0.0.1\r\n"
    . ($via_tcpserver ? '' : "220-MUX_CLASS=staff\r\n")
    . "220-GREETING=hello there\r\n220 envd ready\r\n",
    'exact IP: BANNER with $VAR, ${ME}, an unknown variable, \\x41 \\101 '
    . '\\t, each line 220- and CRLF; rule variables reach the handler'
    . ($via_tcpserver ? '' : '; CLASS sets the class'));

$r = session('127.0.0.2');
is($r->{text}, '', 'deny: closed without a word');

$r = session('127.0.0.5');
like($r->{text}, qr/^220-WHO=range\r\n220-X=a,b "c"\r\n/m,
    'a range 4-6 matched, a /quoted, value/ kept whole');
$r = session('127.0.0.9');
like($r->{text}, qr/\A220-from a file, for prefix\r\n220-second line\r\n220-/,
    'prefix 127.0.0.: BANNERFILE, its $WHO expanded');
$r = session('127.0.1.1');
is($r->{text}, '', 'prefix 127.0.1.: deny');
$r = session('127.0.3.1');
like($r->{text}, qr/^220-WHO=default\r\n/m, 'no other match: the empty key');
$r = session('127.0.2.1');
my $year = strftime('%Y', localtime);
like($r->{text}, qr/\A220-date $year\|\d{10}\|\d+\|\d+\r\n/,
    "DATEFMT=%Y: \$DATE is $year; \$SECONDS, \$PID and \$RANDOM are "
    . "numbers");

# Sleeps, measured from the client: 1 s before the banner, 1 s after.
$r = session('127.0.0.3');
like($r->{text}, qr/\A220-slow banner\r\n/, 'the slow banner');
ok($r->{first} >= 0.95 && $r->{first} < 1.6,
    sprintf('BANNERPRESLEEP=1: the banner came after %.2f s', $r->{first}));
ok($r->{all} >= 1.95 && $r->{all} < 2.8,
    sprintf('BANNERPOSTSLEEP=1: the handler after %.2f s', $r->{all}));
unlike($r->{text}, qr/^220-RBLSMTPD=/m, 'a patient client: no RBLSMTPD');

# An early talker: no banner, RBLSMTPD set, its bytes reach the handler.
$r = session('127.0.0.3', early => "EHLO early\r\n");
unlike($r->{text}, qr/slow banner/, 'early talker: the banner is skipped');
like($r->{text}, qr/^220-RBLSMTPD=-early talker\r\n/m,
    'BANNERRBLSMTPD became RBLSMTPD');
like($r->{text}, qr/^250 got EHLO early\r\n/m,
    'and the bytes it sent early reached the handler');
ok($r->{all} < 0.9, sprintf('at once (%.2f s)', $r->{all}));

if (!$via_tcpserver) {
	# Quiet clients in the banner phase show in status.
	my @q = map { IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $port, LocalAddr => '127.0.0.3') } 1 .. 5;
	ok(wait_for(sub { `"$ENV{MUXCTL}" -s $dir/ctl.sock status` =~
	    /^sessions live=\d+ banner=5 denied=(\d+) impatient=(\d+) /m &&
	    $1 >= 2 }, 5, 'status'), 'status: 5 in the banner phase, the '
	    . 'denials counted');
	close($_) for @q;

	# Flooders in the banner phase: 20 clients send 256 KiB each while
	# the mux sleeps; it reads none of it (MSG_PEEK), its memory stays.
	my $rss = sub {
		open(my $f, '<', "/proc/$m->{pid}/status") or return 0;
		my ($kb) = join('', <$f>) =~ /^VmRSS:\s+(\d+)/m;
		return $kb;
	};
	my $rss0 = $rss->();
	my @c;
	for (1 .. 20) {
		my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
		    PeerPort => $port, LocalAddr => '127.0.0.3') or last;
		$s->blocking(0);
		my $sent = 0;
		for (1 .. 64) {
			my $n = syswrite($s, 'x' x 4096);
			last unless $n;
			$sent += $n;
		}
		push @c, [$s, $sent];
	}
	is(scalar(@c), 20, '20 flooding clients');
	my $rss1 = $rss->();
	ok($rss1 - $rss0 < 1024, "mux RSS $rss0 -> $rss1 kB while they flood "
	    . "($c[0][1] bytes sent by the first)");
	close($_->[0]) for @c;
	ok(wait_for(sub { log_text($m) =~ /early talker: (?:data|end of file) before the banner was done \(tagged\)/ },
	    5, 'early talker logged'), 'the early talkers are logged');
	# A half-close during the pre-sleep is impatience, as for
	# qmail-banner and mux-banner: tagged, and the handler still
	# answers the client, which reads on.
	my $h = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $port, LocalAddr => '127.0.0.3') or die;
	shutdown($h, 1);
	ok(wait_for(sub { log_text($m) =~ /from 127\.0\.0\.3: early talker: end of file before the banner was done \(tagged\)/ },
	    5, 'half-close logged'), 'a client that half-closes during the banner is impatient, tagged');
	$h->blocking(1);
	my $got = '';
	local $SIG{ALRM} = sub { die "timeout\n" };
	alarm(10);
	eval { while (sysread($h, my $b, 4096)) { $got .= $b } };
	alarm(0);
	like($got, qr/\S/, 'and it is served: the handler answers it');

	# Reread: new rules in force; a corrupt file keeps the old ones.
	tcprules('rules.cdb', "127.0.0.1:allow,WHO=\"reread\"\n");
	kill 'INT', $m->{pid};
	ok(wait_for(sub { session('127.0.0.1')->{text} =~ /WHO=reread/ }, 5,
	    'reread'), 'SIGINT: the rules are reopened');
	open(my $fh, '>', "$dir/rules.cdb.tmp") or die;
	print $fh "not a cdb file at all";
	close($fh);
	rename("$dir/rules.cdb.tmp", "$dir/rules.cdb");
	kill 'INT', $m->{pid};
	ok(wait_for(sub { log_text($m) =~ /reread: rules \S+rules\.cdb: (not a CDB file|corrupt CDB file); keeping the rules in force/ },
	    5, 'corrupt'), 'a corrupt file on reread is reported');
	like(session('127.0.0.1')->{text}, qr/WHO=reread/,
	    'and the rules in force stay');
	is(mux_stop($m), 0, 'clean stop');

	# Configuration instead of rule variables; exemptions, drop, a
	# reply for the denied.
	my $port2 = free_port();
	my $r2 = tcprules('r2.cdb', "127.0.0.7:allow\n127.0.0.8:allow\n:deny\n");
	open($fh, '>', "$dir/mux2.conf") or die;
	print $fh "Rules $r2\nRulesDenyReply 554 go away\nBanner hi \$ME\n"
	    . "BannerMe conf.test\nBannerPreSleep 1\nBannerExempt 127.0.0.7\n"
	    . "BannerExempt listen=inet:$port2 127.0.0.8\n"
	    . "BannerImpatientAction drop\n";
	close($fh);
	$m = mux_start(args => ['--config', "$dir/mux2.conf", '-x', 4,
	    '--listen', "inet:$port", '--listen', "inet:$port2", '--exec',
	    '--', $ENVD]);
	$r = session('127.0.0.8');
	like($r->{text}, qr/\A220-hi conf\.test\r\n220-TCPREMOTEIP/,
	    'Banner and BannerMe from the configuration');
	ok($r->{first} >= 0.95, sprintf('BannerPreSleep 1: after %.2f s',
	    $r->{first}));
	$r = session('127.0.0.7');
	like($r->{text}, qr/\A220-TCPREMOTEIP=127\.0\.0\.7\r\n/,
	    'BannerExempt: no banner');
	ok($r->{all} < 0.8, sprintf('and no wait (%.2f s)', $r->{all}));
	$r = session('127.0.0.8', port => $port2);
	like($r->{text}, qr/\A220-TCPREMOTEIP=127\.0\.0\.8\r\n/,
	    'BannerExempt listen=: exempt on that listener only');
	$r = session('127.0.0.8', early => "HELO x\r\n");
	is($r->{text}, '', 'BannerImpatientAction drop: an early talker is '
	    . 'closed');
	# A BANNERFILE over the cap: no banner, a warning.
	open($fh, '>', "$dir/huge.txt") or die;
	print $fh 'x' x 5000;
	close($fh);
	tcprules('r2.cdb', "127.0.0.7:allow\n127.0.0.8:allow\n"
	    . "127.0.0.9:allow,BANNERFILE=\"$dir/huge.txt\"\n:deny\n");
	kill 'INT', $m->{pid};
	ok(wait_for(sub { session('127.0.0.9')->{text} =~
	    /\A220-TCPREMOTEIP=127\.0\.0\.9\r\n/ }, 5, 'huge'),
	    'a BANNERFILE over 4096 bytes: no banner');
	like(log_text($m), qr/BANNERFILE \S+huge\.txt: over 4096 bytes: no banner/,
	    'and a warning');
	$r = session('127.0.0.2');
	is($r->{text}, "554 go away\r\n",
	    'the default rule :deny, with the RulesDenyReply');
	is(mux_stop($m), 0, 'clean stop');
	# RulesReverseDNS: =HOST keys, from a DNS server the test runs.
	my $dport = free_port();
	my $dns = fork() // die;
	if ($dns == 0) {
		$ENV{FAKEDNS_DELAY} = 1;	# for NXDOMAIN answers
		exec('perl', "$SRC/tests/regress/fakedns.pl", $dport,
		    '1.0.0.127.in-addr.arpa', 'mx1.example.org',
		    '2.0.0.127.in-addr.arpa', 'a.b.example.net',
		    '3.0.0.127.in-addr.arpa', 'host.other');
		exit 1;
	}
	open($fh, '>', "$dir/resolv.conf") or die;
	print $fh "nameserver 127.0.0.1:$dport\n";
	close($fh);
	my $r4 = tcprules('r4.cdb', "=mx1.example.org:allow,WHO=\"byname\"\n"
	    . "=.example.net:allow,WHO=\"suffix\"\n=:allow,WHO=\"named\"\n"
	    . ":allow,WHO=\"anonymous\"\n");
	open($fh, '>', "$dir/mux3.conf") or die;
	print $fh "Rules $r4\nRulesReverseDNS on\nResolvConf $dir/resolv.conf\n";
	close($fh);
	sleep 0.3;
	$m = mux_start(args => ['--config', "$dir/mux3.conf", '-x', 4,
	    '-O', "$dir/ctl.sock", '--listen', "inet:$port", '--exec', '--',
	    $ENVD]);
	like(session('127.0.0.1')->{text},
	    qr/^220-TCPREMOTEHOST=mx1\.example\.org\r\n.*^220-WHO=byname\r\n/ms,
	    '=mx1.example.org: the name from a PTR lookup, in TCPREMOTEHOST');
	like(session('127.0.0.2')->{text}, qr/^220-WHO=suffix\r\n/m,
	    '=.example.net: a suffix of a.b.example.net');
	like(session('127.0.0.3')->{text}, qr/^220-WHO=named\r\n/m,
	    '"=": any client with a name');
	$r = session('127.0.0.4');
	like($r->{text}, qr/^220-WHO=anonymous\r\n/m,
	    'no name (NXDOMAIN): the empty key');
	unlike($r->{text}, qr/TCPREMOTEHOST/, 'and no TCPREMOTEHOST');
	# A kick while the name is looked up (1 s) cuts it when the
	# answer comes, before the rules and the handler.
	my $k = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
	    PeerPort => $port, LocalAddr => '127.0.0.5', Timeout => 5) or die;
	my $t0 = time;
	my ($rc, $out) = muxctl("$dir/ctl.sock", qw(kick host 127.0.0.5));
	is($out, "kicked 1 session\n", 'kick while the PTR lookup runs');
	my $got = '';
	my $sel = IO::Select->new($k);
	while ($sel->can_read(5)) {
		last unless sysread($k, $got, 4096, length $got);
	}
	is($got, '', 'no byte reaches it');
	ok(time - $t0 < 3, sprintf('closed after %.2f s', time - $t0));
	ok(status_wait("$dir/ctl.sock", qr/^sessions live=0 /m, 5, 'live=0'),
	    'and its record is gone') or diag(log_text($m));
	unlike(log_text($m), qr/session \d+ of 127\.0\.0\.5 ended/,
	    'no worker had it');
	is(mux_stop($m), 0, 'clean stop');
	kill 'TERM', $dns;
	waitpid($dns, 0);

	$out = `"$ENV{MUX}" -D --listen inet:$port --exec --rules $dir/rules.cdb -- $ENVD 2>&1`;
	is($? >> 8, 1, 'a corrupt file at start-up: exit 1');
	like($out, qr/rules \S+: (not a CDB file|corrupt CDB file)/, $out);
} else {
	kill 'TERM', $ts;
	waitpid($ts, 0);
}
done_testing();
