#!/usr/bin/perl
# Real mail daemons in inetd mode behind mux's service listener with the
# MessageEngine on, unmodified, as --exec handlers:
#  - SMTP: msmtpd --inetd (Debian's msmtp-mta) with AUTH PLAIN, driven by
#    swaks.  A message pending during EHLO leaves the capability list
#    alone and arrives on the next eligible reply (AUTH's 235); the user
#    comes from AUTH; the DATA verdict carries nothing, QUIT's 221 does.
#  - POP3: popa3d (Debian's), a local user the test makes, its mailbox
#    in /var/mail.  USER/PASS names the user; LIST, STAT and RETR stay
#    as the daemon wrote them; a message rides on NOOP's +OK text; kick
#    ends the session with -ERR.
#  - IMAP: GNU imap4d --inetd (Debian's mailutils-imap4d), the same way.
#    LOGIN and AUTHENTICATE PLAIN name the user; a message is an
#    untagged ALERT before the tagged reply, never inside a literal
#    (the mail holds a line like a tagged reply); kick says * BYE.
# The listeners are on 127.0.0.2 and the clients on 127.0.0.1.  Both
# daemons are unpacked from their .debs (msmtp-mta would replace the
# machine's MTA); the libraries they need, and swaks, are installed.
# What the test makes (users, PAM service, mailbox, popa3d's chroot) it
# removes.
use strict;
use warnings;
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use POSIX ();
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use Interop;
use Time::HiRes qw(sleep time);

my $SRC = $ENV{MUX_SRC} // '.';
my $MUX = $ENV{MUX} // "$SRC/build/mux";
my $MUXCTL = $ENV{MUXCTL} // "$SRC/build/muxctl";
my $SMTPUSER = 'muxmail';
my $SMTPPASS = 'mux-smtp-test-5';
my $POPUSER = 'muxpop';
my $POPPASS = 'mux-pop-test-3';
my $IMAPUSER = 'muximap';
my $IMAPPASS = 'mux-imap-test-9';

plan skip_all => 'needs root: popa3d switches to the logged-in user'
    if $> != 0;

my (%made, @pids);
my $T = tempdir('mux-mail-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod(0755, $T);

# --- the daemons, unpacked; swaks and the libraries, installed ----------

my $why = apt_install("$T/apt.log", qw(swaks libsecret-1-0 libpam-modules
    libmailutils9 mailutils-common libgsasl18 libwrap0));
BAIL_OUT($why) if $why;
my %bin;
for ([msmtpd => 'msmtp-mta', 'usr/bin/msmtpd'],
    [popa3d => 'popa3d', 'usr/sbin/popa3d'],
    [imap4d => 'mailutils-imap4d', 'usr/sbin/imap4d']) {
	my ($name, $pkg, $path) = @$_;
	my $root = unpack_deb($pkg, "$T/$pkg") or BAIL_OUT($@);
	my $ldd = `ldd $root/$path 2>&1`;
	BAIL_OUT("$pkg: libraries missing:\n$ldd") if $ldd =~ /not found/;
	$bin{$name} = "$root/$path";
}

sub muxctl {
	my ($ctl, @args) = @_;
	return scalar `$MUXCTL -s $ctl @args 2>&1`;
}

# mux in the foreground on 127.0.0.2:port with this protocol and handler.
sub start_mux {
	my ($name, $proto, @cmd) = @_;
	my $port = free_port('127.0.0.2');
	spew("$T/mux-$name.conf", "MessageEngine on\nMessageQueue $T/q-$name\n"
	    . "MessageLog $T/msg-$name.log\n");
	my $pid = fork() // die;
	if ($pid == 0) {
		open(STDERR, '>', "$T/mux-$name.log") or die;
		open(STDOUT, '>&', \*STDERR) or die;
		{ exec($MUX, '-D', '-d', '--config', "$T/mux-$name.conf",
		    '-O', "$T/$name.sock", '-x', 4, '--listen',
		    "inet:127.0.0.2:$port,$proto", '--exec', '--', @cmd) };
		POSIX::_exit(127);	# not through END: the parent cleans up
	}
	push @pids, $pid;
	ok(wait_for(sub { IO::Socket::INET->new("127.0.0.2:$port") }, 10),
	    "$name: mux listens on 127.0.0.2 ($proto)")
	    or diag(slurp("$T/mux-$name.log"));
	return ($pid, $port, "$T/$name.sock");
}

sub stop_mux {
	my ($name, $pid) = @_;
	kill('TERM', $pid);
	waitpid($pid, 0);
	is($? >> 8, 0, "$name: mux stops cleanly");
	@pids = grep { $_ != $pid } @pids;
}

# --- SMTP: msmtpd behind mux, swaks as the client -----------------------

# The mail is delivered to a file, slowly: the DATA verdict waits 2 s,
# time for who and a msg while the session is live.
spew("$T/deliver.sh", "#!/bin/sh\nsleep 2\ncat >> $T/mbox\n", 0755);
spew("$T/pw.sh", "#!/bin/sh\necho $SMTPPASS\n", 0755);
my ($mpid, $sport, $sctl) = start_mux('smtp', 'smtp', $bin{msmtpd},
    '--inetd', "--auth=$SMTPUSER,$T/pw.sh", "--command=$T/deliver.sh");

# swaks through a pipe that holds its first line (EHLO) until told to
# go: the message goes out while the session waits for its EHLO.
spew("$T/hold.pl", <<"EOF");
use IO::Socket::INET;
use IO::Select;
my \$s = IO::Socket::INET->new(PeerAddr => '127.0.0.2:$sport',
    LocalAddr => '127.0.0.1') or die "connect: \$!";
my (\$held, \$in) = (1, '');
my \$sel = IO::Select->new(\$s, \\*STDIN);
\$| = 1;
for (;;) {
	for my \$fh (\$sel->can_read(0.1)) {
		my \$n = sysread(\$fh, my \$b, 65536);
		exit 0 unless \$n;
		if (\$fh == \$s) {
			syswrite(STDOUT, \$b);
			open(my \$up, '>', '$T/greeted');	# the test may go on
		} else {
			\$in .= \$b;
		}
	}
	\$held = 0 if \$held && -e '$T/go';
	if (!\$held && length \$in) { syswrite(\$s, \$in); \$in = '' }
}
EOF
my $swaks = open(my $sw, '-|', 'swaks', '--pipe', "perl $T/hold.pl",
    '--from', 'sender@example.org', '--to', 'rcpt@example.org',
    '--auth', 'PLAIN', '--auth-user', $SMTPUSER, '--auth-password',
    $SMTPPASS, '--timeout', '30');
ok($swaks, 'swaks runs') or diag($!);
ok(wait_for(sub { -e "$T/greeted" }, 10),
    'smtp: swaks is greeted; its EHLO is held');
like(muxctl($sctl, 'msg', 'all', 'maintenance', 'at', 'noon'),
    qr/^message sent to 1 session/, 'smtp: msg all');
sleep 0.3;
spew("$T/go", '');
# The session's DATA verdict takes 2 s: who, and a message then.
ok(wait_for(sub { muxctl($sctl, 'who') =~ / user=\Q$SMTPUSER\E / }, 10),
    'smtp: who shows the user AUTH PLAIN named');
like(muxctl($sctl, 'msg', 'user', $SMTPUSER, 'second', 'note'),
    qr/^message sent to 1 session/, "smtp: msg user $SMTPUSER");
my $out = join('', <$sw>);
close($sw);
is($? >> 8, 0, 'swaks: the transaction succeeds') or diag($out);
my ($ehlo) = $out =~ /^ -> EHLO [^\n]*\n((?:<-  250[- ][^\n]*\n)+)/m;
ok(defined $ehlo && $ehlo =~ /^<-  250 AUTH PLAIN$/m,
    'smtp: EHLO capabilities as msmtpd wrote them') or diag($out);
unlike($ehlo // '', qr/maintenance/,
    'smtp: the pending message is not among them');
like($out, qr/^ -> AUTH PLAIN [^\n]*\n<-  235-maintenance at noon\n<-  235 /m,
    'smtp: it arrives on the next eligible reply, AUTH\'s 235');
like($out, qr/^ -> \.\n<-  250 [^\n]*\n -> QUIT/m,
    'smtp: the DATA verdict carries nothing');
like($out, qr/^ -> QUIT\n<-  221-second note\n<-  221 /m,
    'smtp: the message sent during DATA comes on QUIT\'s 221');
like(slurp("$T/mbox"), qr/^Subject: test /m, 'smtp: the mail was delivered');

# kick: a 421 between replies, then the end.
my $c = IO::Socket::INET->new(PeerAddr => "127.0.0.2:$sport",
    LocalAddr => '127.0.0.1') or die;
my $sel = IO::Select->new($c);
sub lines {
	my ($fh, $until) = @_;
	my $got = '';
	while ($got !~ $until && IO::Select->new($fh)->can_read(5)) {
		last unless sysread($fh, $got, 4096, length $got);
	}
	return $got;
}
like(lines($c, qr/^220 .*\n/m), qr/^220 /, 'smtp: a second client greeted');
syswrite($c, "EHLO client\r\n");
lines($c, qr/^250 .*\n/m);
like(muxctl($sctl, 'kick', 'host', '127.0.0.1'), qr/^kicked 1 session/,
    'smtp: kick host 127.0.0.1');
is(lines($c, qr/\n/), "421 Disconnected by the administrator\r\n",
    'smtp: the client gets 421 and why');
is($sel->can_read(5) ? sysread($c, my $b, 1) : -1, 0, 'smtp: then the end');
like(slurp("$T/msg-smtp.log"), qr/ user=\Q$SMTPUSER\E host=127\.0\.0\.1 ended: 2 messages: 2 delivered, 0 undelivered, 0 dropped$/m,
    'smtp: MessageLog: both messages delivered');
stop_mux('smtp', $mpid);

# --- POP3: popa3d behind mux --------------------------------------------

unless (getpwnam('popa3d')) {
	system('useradd', '-r', '-M', '-d', '/var/lib/popa3d', '-s',
	    '/usr/sbin/nologin', 'popa3d') == 0 or die 'useradd popa3d';
	$made{'user popa3d'} = 1;
}
unless (-d '/var/lib/popa3d') {
	mkdir('/var/lib/popa3d', 0755) or die;
	$made{chroot} = 1;
}
unless (-e '/etc/pam.d/popa3d') {
	spew('/etc/pam.d/popa3d', "auth required pam_unix.so\n"
	    . "account required pam_unix.so\n");
	$made{pam} = 1;
}
# A local user with a mailbox in /var/mail; the mail has a line that
# looks like a reply of each protocol.
my $mail = "From sender\@example.org Sat Dec  5 10:00:00 2026\n"
    . "Subject: one\n\nhello\n+OK not a reply\na9 OK not a reply\n\n";
for ([$POPUSER, $POPPASS], [$IMAPUSER, $IMAPPASS]) {
	my ($u, $pw) = @$_;
	unless (getpwnam($u)) {
		system('useradd', '-M', '-d', $T, '-s', '/bin/sh', $u) == 0
		    or die 'useradd';
		$made{"user $u"} = 1;
	}
	open(my $cp, '|-', 'chpasswd') or die;
	print $cp "$u:$pw\n";
	close($cp) or die 'chpasswd';
	die "/var/mail/$u exists\n" if -e "/var/mail/$u";
	spew("/var/mail/$u", $mail, 0600);
	$made{"mailbox $u"} = 1;
	chown((getpwnam($u))[2], (getgrnam('mail'))[2] // 0, "/var/mail/$u");
}

my ($ppid, $pport, $pctl) = start_mux('pop3', 'pop3', $bin{popa3d});
$c = IO::Socket::INET->new(PeerAddr => "127.0.0.2:$pport",
    LocalAddr => '127.0.0.1') or die;
sub cmd {
	my ($fh, $line, $until) = @_;
	syswrite($fh, "$line\r\n");
	return lines($fh, $until // qr/\n/);
}
like(lines($c, qr/\n/), qr/^\+OK/, 'pop3: popa3d greets through the relay');
like(cmd($c, "USER $POPUSER"), qr/^\+OK/, 'pop3: USER');
like(cmd($c, "PASS $POPPASS"), qr/^\+OK/, 'pop3: PASS');
like(muxctl($pctl, 'who'), qr/ user=\Q$POPUSER\E /,
    'pop3: who shows the user USER/PASS named');
like(muxctl($pctl, 'msg', 'user', $POPUSER, 'mailbox', 'moves', 'tonight'),
    qr/^message sent to 1 session/, "pop3: msg user $POPUSER");
sleep 0.3;
my $list = cmd($c, 'LIST', qr/^\.\r\n/m);
like($list, qr/\A\+OK[^\n]*\r\n1 \d+\r\n\.\r\n\z/,
    'pop3: LIST as popa3d wrote it');
unlike($list, qr/mailbox/, 'pop3: no message in it');
like(cmd($c, 'STAT'), qr/\A\+OK 1 \d+\r\n\z/, 'pop3: STAT untouched');
my $retr = cmd($c, 'RETR 1', qr/^\.\r\n/m);
like($retr, qr/^hello\r\n\+OK not a reply\r\na9 OK not a reply\r\n/m,
    'pop3: RETR: the mail, a line like a reply in it too');
unlike($retr, qr/mailbox moves/, 'pop3: no message in it');
is(cmd($c, 'NOOP'), "+OK [mailbox moves tonight]\r\n",
    'pop3: the message rides on NOOP\'s +OK');
like(muxctl($pctl, 'kick', 'user', $POPUSER), qr/^kicked 1 session/,
    "pop3: kick user $POPUSER");
is(lines($c, qr/\n/), "-ERR Disconnected by the administrator\r\n",
    'pop3: the client gets -ERR and why');
$sel = IO::Select->new($c);
is($sel->can_read(5) ? sysread($c, $b, 1) : -1, 0, 'pop3: then the end');
like(muxctl($pctl, 'status'),
    qr/^messages .* delivered=1 undelivered=0 dropped=0$/m,
    'pop3: status counts the delivered message');
stop_mux('pop3', $ppid);

# --- IMAP: imap4d behind mux --------------------------------------------

my ($ipid, $iport, $ictl) = start_mux('imap', 'imap', $bin{imap4d},
    '--inetd', '--no-site-config');
$c = IO::Socket::INET->new(PeerAddr => "127.0.0.2:$iport",
    LocalAddr => '127.0.0.1') or die;
like(lines($c, qr/\n/), qr/^\* OK /, 'imap: imap4d greets through the relay');
like(cmd($c, "a1 LOGIN $IMAPUSER \"$IMAPPASS\"", qr/^a1 /m), qr/^a1 OK /m,
    'imap: LOGIN');
like(muxctl($ictl, 'who'), qr/ user=\Q$IMAPUSER\E /,
    'imap: who shows the user LOGIN named');
like(muxctl($ictl, 'msg', 'user', $IMAPUSER, 'server', 'moves', 'at', 'noon'),
    qr/^message sent to 1 session/, "imap: msg user $IMAPUSER");
sleep 0.3;
my $sel_r = cmd($c, 'a2 SELECT INBOX', qr/^a2 /m);
like($sel_r, qr/^\* 1 EXISTS\r\n.*\r\n\* OK \[ALERT\] server moves at noon\r\na2 OK [^\r\n]*\r\n\z/s,
    'imap: the message is an ALERT just before the tagged reply')
    or diag($sel_r);
is(() = $sel_r =~ /ALERT/g, 1, 'imap: once');
like(muxctl($ictl, 'msg', 'all', 'second', 'note'),
    qr/^message sent to 1 session/, 'imap: msg all');
sleep 0.3;
my $fetch = cmd($c, 'a3 FETCH 1 BODY[]', qr/^a3 /m);
my ($n, $lit) = $fetch =~ /BODY\[\] \{(\d+)\}\r\n(.*)\z/s;
like(substr($lit // '', 0, $n // 0), qr/\A[^\0]*\r\nhello\r\n\+OK not a reply\r\na9 OK not a reply\r\n\z/,
    'imap: the literal is the mail, its line like a tagged reply too')
    or diag($fetch);
unlike(substr($lit // '', 0, $n // 0), qr/ALERT/, 'imap: no message in it');
like(substr($lit // '', $n // 0), qr/\A\)\r\n\* OK \[ALERT\] second note\r\na3 OK /,
    'imap: the message comes after it, before the tagged reply');
like(muxctl($ictl, 'kick', 'user', $IMAPUSER), qr/^kicked 1 session/,
    "imap: kick user $IMAPUSER");
is(lines($c, qr/\n/), "* BYE Disconnected by the administrator\r\n",
    'imap: the client gets * BYE and why');
$sel = IO::Select->new($c);
is($sel->can_read(5) ? sysread($c, $b, 1) : -1, 0, 'imap: then the end');

# AUTHENTICATE PLAIN, its response after the server's "+".
$c = IO::Socket::INET->new(PeerAddr => "127.0.0.2:$iport",
    LocalAddr => '127.0.0.1') or die;
lines($c, qr/\n/);
like(cmd($c, 'b1 AUTHENTICATE PLAIN', qr/^\+/m), qr/^\+/, 'imap: AUTHENTICATE PLAIN');
require MIME::Base64;
like(cmd($c, MIME::Base64::encode_base64("\0$IMAPUSER\0$IMAPPASS", ''),
    qr/^b1 /m), qr/^b1 OK /m, 'imap: its response accepted');
like(muxctl($ictl, 'who'), qr/ user=\Q$IMAPUSER\E /,
    'imap: who shows the user AUTHENTICATE named');
like(cmd($c, 'b2 LOGOUT', qr/^b2 /m), qr/^\* BYE .*\r\nb2 OK /m, 'imap: LOGOUT');
stop_mux('imap', $ipid);
like(slurp("$T/msg-imap.log"), qr/ user=\Q$IMAPUSER\E host=127\.0\.0\.1 ended: 2 messages: 2 delivered, 0 undelivered, 0 dropped$/m,
    'imap: MessageLog: both delivered');

done_testing();

END {
	my $status = $?;
	kill('TERM', @pids) if @pids;
	waitpid($_, 0) for @pids;
	for my $u ($POPUSER, $IMAPUSER, 'popa3d') {
		unlink("/var/mail/$u") if $made{"mailbox $u"};
		system('userdel', $u) if $made{"user $u"};
	}
	rmdir('/var/lib/popa3d') if $made{chroot};
	unlink('/etc/pam.d/popa3d') if $made{pam};
	$? = $status;
}
