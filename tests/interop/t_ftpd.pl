#!/usr/bin/perl
# Real FTP daemons in inetd mode behind mux's service listener with the
# MessageEngine on: Debian's vsftpd (listen=NO) and ProFTPD (ServerType
# inetd), unmodified, as --exec handlers.  The relay must look like the
# client's TCP connection to them (libmux-peer.so): they read the peer's
# and their own address from it, and give the local one out in PASV.
# The listener is on 127.0.0.2 and the client on 127.0.0.1, so a wrong
# PASV address fails.  Net::FTP is the client: a local user the test
# makes and anonymous; LIST, STOR and RETR of 20 MB with equal md5; PASV,
# EPSV and active mode; msg all before the final line of the next reply;
# an upgrade (muxctl upgrade) with a live session, which goes on with
# 20 MB each way on the old mux while a new one logs in to the new mux.
#
# The two packages conflict, so neither is installed: each is unpacked
# from its .deb (apt-get download) into a temporary directory, and only
# the shared libraries they need are installed.  Nothing of the system's
# FTP set-up is touched; the user and the PAM service made here are
# removed at the end.
use strict;
use warnings;
use Digest::MD5;
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use Net::FTP;
use POSIX ();
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use Interop;
use Time::HiRes qw(sleep time);

my $SRC = $ENV{MUX_SRC} // '.';
my $MUX = $ENV{MUX} // "$SRC/build/mux";
my $MUXCTL = $ENV{MUXCTL} // "$SRC/build/muxctl";
my $USER = 'muxftp';
my $ANON = 'muxanon';	# vsftpd's ftp_username: it goes to its home
my $PASS = 'mux-ftp-test-7';
my $PAM = '/etc/pam.d/mux-interop-ftp';

plan skip_all => 'needs root: the daemons switch to the logged-in user'
    if $> != 0;

my (%made, @pids);
my $T = tempdir('mux-ftp-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod(0755, $T);

# --- the daemons, unpacked; their libraries, installed ------------------

my @libs = qw(libhiredis0.14 libmemcached11 libmemcachedutil2
    libpcre2-posix3 libwrap0 libcap2 libpam-modules);
my $why = apt_install("$T/apt.log", @libs);
BAIL_OUT($why) if $why;
my %bin;
for my $pkg (qw(vsftpd proftpd-core)) {
	my $root = unpack_deb($pkg, "$T/$pkg") or BAIL_OUT($@);
	my $b = $pkg eq 'vsftpd' ? "$root/usr/sbin/vsftpd"
	    : "$root/usr/sbin/proftpd";
	my $ldd = `ldd $b 2>&1`;
	BAIL_OUT("$b: libraries missing:\n$ldd") if $ldd =~ /not found/;
	$bin{$pkg eq 'vsftpd' ? 'vsftpd' : 'proftpd'} = $b;
}

# --- a local user, a PAM service for vsftpd, the files -----------------

for ([$USER, "$T/home", '/bin/sh'], [$ANON, "$T/anon", '/usr/sbin/nologin']) {
	my ($u, $home, $shell) = @$_;
	next if getpwnam($u);
	system('useradd', '-M', '-d', $home, '-s', $shell, $u) == 0
	    or die 'useradd';
	$made{"user $u"} = 1;
}
open(my $cp, '|-', 'chpasswd') or die;
print $cp "$USER:$PASS\n";
close($cp) or die 'chpasswd';
my ($uid, $gid) = (getpwnam($USER))[2, 3];
mkdir("$T/home") or die;
chown($uid, $gid, "$T/home");
spew($PAM, "auth required pam_unix.so\naccount required pam_unix.so\n"
    . "session required pam_permit.so\n");
$made{pam} = 1;
mkdir("$T/anon") or die;
spew("$T/anon/welcome.txt", "hello, anonymous\n");
mkdir("$T/empty") or die;

# 20 MB of random bytes.
open(my $r, '<', '/dev/urandom') or die;
open(my $w, '>', "$T/big.bin") or die;
for (1 .. 20) {
	read($r, my $mb, 1 << 20) == 1 << 20 or die;
	print $w $mb;
}
close($w);
close($r);

sub md5 {
	open(my $fh, '<', $_[0]) or return '';
	binmode($fh);
	return Digest::MD5->new->addfile($fh)->hexdigest;
}
my $md5 = md5("$T/big.bin");

my %conf = (vsftpd => <<"EOC", proftpd => <<"EOC");
listen=NO
listen_ipv6=NO
anonymous_enable=YES
anon_root=$T/anon
no_anon_password=YES
ftp_username=$ANON
local_enable=YES
write_enable=YES
local_umask=022
pam_service_name=mux-interop-ftp
secure_chroot_dir=$T/empty
seccomp_sandbox=NO
pasv_enable=YES
port_enable=YES
connect_from_port_20=NO
xferlog_enable=NO
vsftpd_log_file=$T/vsftpd.log
EOC
ServerName "mux interop"
ServerType inetd
DefaultServer on
UseIPv6 off
User nobody
Group nogroup
WtmpLog off
RequireValidShell off
UseFtpUsers off
AuthOrder mod_auth_unix.c
ScoreboardFile $T/proftpd.scoreboard
PidFile $T/proftpd.pid
TransferLog none
DelayEngine off
UseReverseDNS off
<Anonymous $T/anon>
  User nobody
  Group nogroup
  UserAlias anonymous nobody
  RequireValidShell off
  UseFtpUsers off
</Anonymous>
EOC

# --- each daemon behind mux ---------------------------------------------

sub muxctl { my $out = `$MUXCTL -s $T/ctl.sock @_ 2>&1`; return $out }

# mux in front of daemon d (its command line cmd) on port: its pid.
sub mux_for {
	my ($d, $port, @cmd) = @_;
	my $pid = fork() // die;
	if ($pid == 0) {
		open(STDERR, '>>', "$T/mux-$d.log") or die;
		open(STDOUT, '>&', \*STDERR) or die;
		{ exec($MUX, '-D', '-d', '--config', "$T/mux-$d.conf", '-s',
		    "$T/s.sock", '-O', "$T/ctl.sock", '-x', 4, '-p',
		    "$T/mux-$d.pid", '--listen', "inet:127.0.0.2:$port,ftp",
		    "--exec", "--", @cmd) };
		POSIX::_exit(127);	# not through END: the parent cleans up
	}
	push @pids, $pid;
	return $pid;
}

for my $d (qw(vsftpd proftpd)) {
	spew("$T/$d.conf", $conf{$d});
	my $port = free_port('127.0.0.2');
	spew("$T/mux-$d.conf", "MessageEngine on\nMessageQueue $T/queue-$d\n"
	    . "MessageLog $T/msg-$d.log\nClass lan 127.0.0.0/24\n");
	my @cmd = $d eq 'vsftpd' ? ($bin{$d}, "$T/$d.conf")
	    : ($bin{$d}, '-c', "$T/$d.conf");
	my $pid = mux_for($d, $port, @cmd);
	ok(wait_for(sub { IO::Socket::INET->new("127.0.0.2:$port") }, 10),
	    "$d: mux listens on 127.0.0.2");

	# Anonymous, passive.
	my $f = Net::FTP->new('127.0.0.2', Port => $port, Passive => 1,
	    LocalAddr => '127.0.0.1', Timeout => 20);
	ok($f, "$d: the daemon greets through the relay")
	    or diag(slurp("$T/mux-$d.log"));
	next unless $f;
	ok($f->login('anonymous', 'x@example.com'), "$d: anonymous login")
	    or diag($f->message);
	$f->binary;
	ok($f->get('welcome.txt', "$T/welcome.$d"), "$d: anonymous RETR");
	is(slurp("$T/welcome.$d"), "hello, anonymous\n", "$d: the file, intact");
	$f->quit;

	# The local user: 20 MB up and down, passive.
	$f = Net::FTP->new('127.0.0.2', Port => $port, Passive => 1,
	    LocalAddr => '127.0.0.1', Timeout => 30) or die;
	ok($f->login($USER, $PASS), "$d: $USER logs in") or diag($f->message);
	$f->binary;
	# The listener's protocol is ftp: mux learns the user from USER
	# and the 230, and who shows the daemon's pid.
	my $who = muxctl('who');
	like($who, qr/ user=\Q$USER\E /, "$d: who shows the user") or diag($who);
	my ($hpid) = $who =~ /^slot=\d+ pid=(\d+) state=busy .*user=\Q$USER\E/m;
	like(readlink('/proc/' . ($hpid // 0) . '/exe') // '', qr/\/$d$/,
	    "$d: and the daemon's pid");
	like(muxctl('msg', 'user', $USER, 'quota', 'at', '95%'),
	    qr/^message sent to 1 session/, "$d: msg user $USER");
	sleep 0.3;
	$f->quot('NOOP');
	like($f->message, qr/\Aquota at 95%\n/, "$d: it reaches ${USER}'s next reply")
	    or diag($f->message);
	# By the client's address and by its class (127.0.0.1 is in lan).
	like($who, qr/ class=lan /, "$d: who shows its class");
	like(muxctl('msg', 'host', '127.0.0.1', 'host', 'note'),
	    qr/^message sent to 1 session/, "$d: msg host 127.0.0.1");
	like(muxctl('msg', 'class', 'lan', 'class', 'note'),
	    qr/^message sent to 1 session/, "$d: msg class lan");
	sleep 0.3;
	$f->quot('NOOP');
	like($f->message, qr/\Ahost note\nclass note\n[^\n]+\n?\z/,
	    "$d: both before the final line of the next reply")
	    or diag($f->message);
	ok($f->quot('PASV') == 2 && $f->message =~ /\(127,0,0,2,\d+,\d+\)/,
	    "$d: PASV gives the listener's address, 127.0.0.2")
	    or diag($f->message);
	$f->abort;
	my $t0 = time;
	ok($f->put("$T/big.bin", 'big.bin'), "$d: STOR 20 MB (PASV)")
	    or diag($f->message);
	ok($f->get('big.bin', "$T/back.$d"), "$d: RETR 20 MB (PASV)");
	is(md5("$T/back.$d"), $md5, sprintf("$d: the same md5 both ways "
	    . '(%.1f s)', time - $t0));
	is(md5("$T/home/big.bin"), $md5, "$d: and on the server's disk");
	like(join(' ', $f->ls), qr/big\.bin/, "$d: LIST shows it");

	# A message: before the final line of the next reply.
	like(muxctl('msg', 'all', 'server', 'goes', 'down', 'at', 'noon'),
	    qr/^message sent to 1 session/, "$d: msg all");
	sleep 0.3;
	$f->quot('NOOP');
	like($f->message, qr/\Aserver goes down at noon\n.+/,
	    "$d: it comes before the final line of the next reply")
	    or diag($f->message);

	# EPSV: its reply untouched by a pending message; the data
	# connection to the port it names works.
	muxctl('msg', 'all', 'after', 'the', 'listing');
	sleep 0.3;
	ok($f->quot('EPSV') == 2, "$d: EPSV");
	my ($eport) = $f->message =~ /\(\|\|\|(\d+)\|\)/;
	unlike($f->message, qr/after the listing/,
	    "$d: its reply carries no message (MessageSkipCommands)");
	my $ds = IO::Socket::INET->new("127.0.0.2:" . ($eport // 0));
	ok($ds, "$d: the EPSV port is on 127.0.0.2");
	$f->quot('NLST');
	my $names = '';
	while ($ds && sysread($ds, my $b, 4096)) { $names .= $b }
	$f->response;
	like($names, qr/big\.bin/, "$d: NLST over it");
	like($f->message, qr/after the listing/,
	    "$d: the message came on a later reply");

	# Active mode: the daemon connects back to us.
	$f->passive(0);
	ok($f->get('big.bin', "$T/active.$d"), "$d: RETR in active mode")
	    or diag($f->message);
	is(md5("$T/active.$d"), $md5, "$d: active: the same md5");

	# kick: the client is told why, with FTP's 421, then closed.
	like(muxctl('kick', 'user', $USER), qr/^kicked 1 session/,
	    "$d: kick user $USER");
	sleep 0.3;
	is($f->quot('NOOP'), 4, "$d: the next reply is a 421")
	    or diag($f->code . ' ' . $f->message);
	like($f->message, qr/Disconnected by the administrator/,
	    "$d: saying why") or diag($f->message);
	my $eof = IO::Select->new($f)->can_read(5) ? sysread($f, my $b, 1) : -1;
	is($eof, 0, "$d: and the connection is closed");

	# shutdown, as ftpshut: live sessions are warned on their next
	# reply, then told the text with a 421 and closed.
	$f = Net::FTP->new('127.0.0.2', Port => $port, Passive => 1,
	    LocalAddr => '127.0.0.1', Timeout => 20) or die;
	$f->login($USER, $PASS) or die;
	like(muxctl('shutdown', '-l', 0, '-d', 2, 'Maintenance', 'until',
	    '14:00'), qr/^shutdown: refusing requests in 0 s, cutting /,
	    "$d: shutdown -d 2");
	sleep 0.3;
	$f->quot('NOOP');
	like($f->message, qr/\AMaintenance until 14:00 \(this session ends in 2 s\)\n/,
	    "$d: the live session is warned on its next reply")
	    or diag($f->message);
	sleep 2.5;
	is($f->quot('NOOP'), 4, "$d: after 2 s, a 421");
	like($f->message, qr/^Maintenance until 14:00$/m, "$d: with the text")
	    or diag($f->message);
	$eof = IO::Select->new($f)->can_read(5) ? sysread($f, $b, 1) : -1;
	is($eof, 0, "$d: then the end");
	unlink("$T/home/big.bin");

	# Every message ended one way, said once per session in MessageLog:
	# the kicked session's five delivered, the warned one's one.
	my $ml = slurp("$T/msg-$d.log");
	like($ml, qr/ user=\Q$USER\E host=127\.0\.0\.1 ended: 5 messages: 5 delivered, 0 undelivered, 0 dropped$/m,
	    "$d: MessageLog: the kicked session's 5 messages, delivered")
	    or diag($ml);
	like($ml, qr/ user=\Q$USER\E host=127\.0\.0\.1 ended: 1 messages: 1 delivered, 0 undelivered, 0 dropped$/m,
	    "$d: and the warning, delivered");
	like(muxctl('status'), qr/^messages .* delivered=6 undelivered=0 dropped=0$/m,
	    "$d: status counts them");

	kill('TERM', $pid);
	waitpid($pid, 0);
	is($? >> 8, 0, "$d: mux stops cleanly");
	@pids = grep { $_ != $pid } @pids;
	# The probe that only connected, anonymous, the user twice: four
	# ends, each with how the daemon exited (at -d, a clean one too).
	my @ends = slurp("$T/mux-$d.log") =~
	    /session \d+: handler .*\(pid \d+\) exited with status (\d+)$/mg;
	is(scalar(@ends), 4, "$d: every session's end logs the daemon's exit "
	    . 'status (' . join(', ', @ends) . ')')
	    or diag(slurp("$T/mux-$d.log"));

	# An upgrade with a live session: it goes on, 20 MB each way, on
	# the old mux; a new session goes to the new one; the old one exits
	# once the live session has ended.
	$pid = mux_for($d, $port, @cmd);
	wait_for(sub { -s "$T/mux-$d.pid" && IO::Socket::INET->new(
	    "127.0.0.2:$port") }, 10);
	$f = Net::FTP->new('127.0.0.2', Port => $port, Passive => 1,
	    LocalAddr => '127.0.0.1', Timeout => 30) or die;
	$f->login($USER, $PASS) or die;
	$f->binary;
	like(muxctl('upgrade'), qr/^upgrade: started \S+ as pid \d+/,
	    "$d: muxctl upgrade");
	my $new = 0;
	wait_for(sub { ($new = slurp("$T/mux-$d.pid") // 0) =~ s/\s+//g;
	    $new && $new != $pid }, 30);
	ok($new && $new != $pid, "$d: the new mux ($new) took over");
	push @pids, $new if $new;
	my $g = Net::FTP->new('127.0.0.2', Port => $port, Passive => 1,
	    LocalAddr => '127.0.0.1', Timeout => 20);
	ok($g && $g->login($USER, $PASS), "$d: a new session logs in");
	my @mine = muxctl('who') =~ / user=\Q$USER\E /g;
	is(scalar(@mine), 1, "$d: who on the new mux: the new session only");
	$t0 = time;
	ok($f->put("$T/big.bin", 'big2.bin'), "$d: the live session goes on: "
	    . 'STOR 20 MB') or diag($f->message);
	ok($f->get('big2.bin', "$T/back2.$d"), "$d: RETR 20 MB");
	is(md5("$T/back2.$d"), $md5, sprintf("$d: the same md5 (%.1f s)",
	    time - $t0));
	ok(kill(0, $pid), "$d: the old mux waits for its session");
	$f->quit;
	waitpid($pid, 0);
	is($? >> 8, 0, "$d: then exits, 0");
	@pids = grep { $_ != $pid } @pids;
	ok($g->quit, "$d: the new session ends");
	kill('TERM', $new);
	ok(wait_for(sub { !kill(0, $new) }, 20), "$d: the new mux stops");
	@pids = grep { $_ != $new } @pids;
	unlink("$T/home/big2.bin");
}

done_testing();

END {
	my $status = $?;
	kill('TERM', @pids) if @pids;
	waitpid($_, 0) for @pids;
	for my $u ($USER, $ANON) {
		system('userdel', $u) if $made{"user $u"};
	}
	unlink($PAM) if $made{pam};
	$? = $status;
}
