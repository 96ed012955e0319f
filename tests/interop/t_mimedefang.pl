#!/usr/bin/perl
# mux in place of mimedefang-multiplexor on a Debian MIMEDefang host, run
# by Debian's own unit line with Debian's defaults: the real milter
# (mimedefang), mimedefang.pl with a small filter, a private Postfix on
# loopback, swaks as the SMTP client.  Then md-mx-ctrl, run as the -U
# user, against mux and against the real multiplexor started beside it.
# An upgrade (SIGUSR2) of the daemonized mux during a burst of mail.
# Then mux's own drop-in for that unit (Type=notify, the same
# /etc/default/mimedefang): READY=1, the pid file, the milter served.
# Installs mimedefang, postfix and swaks when missing (root only);
# removes everything it starts or makes.
use strict;
use warnings;
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use IO::Socket::UNIX;
use Socket qw(SOCK_DGRAM);
use POSIX qw(:sys_wait_h);
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use Interop;
use Time::HiRes qw(sleep time);

my $SRC = $ENV{MUX_SRC} // '.';
my $MUX = $ENV{MUX} // "$SRC/build/mux";
my $UNIT = '/lib/systemd/system/mimedefang-multiplexor.service';
my $MUNIT = '/lib/systemd/system/mimedefang.service';
my $USER = 'muxmt';	# the mailbox owner, made and removed here

plan skip_all => 'needs root: it runs daemons as defang and postfix'
    if $> != 0;

my (%made, @pids);
my $T = tempdir('mux-interop-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod(0711, $T);

# --- set-up: packages, a user, a spool ---------------------------------

# Installing must not start the system's own daemons.
my $err = apt_install_quiet("$T/apt.log", qw(mimedefang postfix swaks tmux));
BAIL_OUT($err) if $err;
if (!getpwnam($USER)) {
	system('useradd', '-r', '-M', '-d', '/nonexistent', '-s',
	    '/usr/sbin/nologin', $USER) == 0 or die "useradd";
	$made{user} = 1;
}




my $spool = "$T/spool";
mkdir($spool) or die;
my ($duid, $dgid) = (getpwnam('defang'))[2, 3];
chown($duid, $dgid, $spool);
chmod(0750, $spool);
mkdir("$T/bin") or die;
# What dpkg-divert would do: the unit's path runs mux.
symlink($MUX, "$T/bin/mimedefang-multiplexor") or die;
system('cp', "$SRC/tests/interop/mimedefang-filter", "$T/filter") == 0
    or die;
chmod(0644, "$T/filter");

# --- Debian's unit, read as systemd would -------------------------------

# Environment=, EnvironmentFile= and the Exec lines of a unit.
sub unit {
	my ($path) = @_;
	my $text = slurp($path) or die "$path: $!";
	$text =~ s/\\\n/ /g;
	my (%env, %exec);
	for my $l (split /\n/, $text) {
		if ($l =~ /^Environment=(.*)/) {
			%env = (%env, map { /^(\w+)=(.*)$/ } split ' ', $1);
		} elsif ($l =~ /^EnvironmentFile=-?(.*)/) {
			for (split /\n/, slurp($1)) {
				next unless /^\s*(\w+)=(.*?)\s*$/;
				my ($k, $v) = ($1, $2);
				$v =~ s/^"(.*)"$/$1/;
				$env{$k} = $v;
			}
		} elsif ($l =~ /^(ExecStartPre|ExecStart)=(.*)/) {
			push @{ $exec{$1} }, $2;
		}
	}
	return (\%env, \%exec);
}

# Run an Exec line through sh with the unit's environment, as systemd
# hands it to /bin/sh -c in these units.
sub run_exec {
	my ($line, $env, $log) = @_;
	local %ENV = (PATH => '/usr/sbin:/usr/bin:/sbin:/bin', %$env);
	return system('/bin/sh', '-c', "$line >>$log 2>&1");
}

my $mport = free_port();
my $sport = free_port();
my ($xenv, $xexec) = unit($UNIT);
# Debian's defaults, and only what the test needs on top: its own spool,
# its filter, a queue for the burst, and time for it on a slow machine.
my %mxenv = (%$xenv, SPOOLDIR => $spool,
    MX_SOCKET => "$spool/mimedefang-multiplexor.sock",
    SUBFILTER => "$T/filter", MX_QUEUE_SIZE => 60,
    MX_QUEUE_TIMEOUT => 120);
ok($mxenv{MX_EMBED_PERL} eq 'yes' && $mxenv{MX_USER} eq 'defang',
    'Debian\'s defaults: MX_EMBED_PERL=yes (-E), MX_USER=defang');
my $start = $xexec->{ExecStart}[0];
like($start, qr{/usr/bin/mimedefang-multiplexor}, 'the unit\'s ExecStart');
$start =~ s{/usr/bin/mimedefang-multiplexor}{$T/bin/mimedefang-multiplexor};
run_exec($_, \%mxenv, "$T/start.log") for @{ $xexec->{ExecStartPre} };
my $rc = run_exec($start, \%mxenv, "$T/start.log");
is($rc, 0, 'Debian\'s ExecStart line starts mux (Type=forking: it returns)')
    or diag(slurp("$T/start.log"));
my $pidfile = '/run/mimedefang/mimedefang-multiplexor.pid';
ok(wait_for(sub { -S $mxenv{MX_SOCKET} && -s $pidfile }, 10),
    'the socket and the pid file are there');
my $mxpid = (slurp($pidfile) =~ /(\d+)/)[0] // 0;
push @pids, $mxpid if $mxpid;
like(slurp("/proc/$mxpid/cmdline"), qr/-E\0.*-y\x000\0/s,
    'it runs with -E and -y 0 from Debian\'s defaults');
my @st = stat($mxenv{MX_SOCKET});
is(sprintf('%d:%d %o', $st[4], $st[5], $st[2] & 0777), "$duid:$dgid 700",
    'the request socket is defang\'s, mode 0700, with no chown or chmod');
# The pid file is written before the privileges go.
ok(wait_for(sub { ((stat("/proc/$mxpid"))[4] // -1) == $duid }, 10),
    'mux runs as defang');

# --- the real milter, by its own unit -----------------------------------

my ($menv, $mexec) = unit($MUNIT);
my %milenv = (%$menv, SPOOLDIR => $spool,
    MX_SOCKET => $mxenv{MX_SOCKET}, SOCKET => "inet:$mport\@127.0.0.1",
    MX_SENDER_CHECK => 'yes', ALLOW_NEW_CONNECTIONS_TO_QUEUE => 'yes');
run_exec($_, \%milenv, "$T/milter.log") for @{ $mexec->{ExecStartPre} };
is(run_exec($mexec->{ExecStart}[0], \%milenv, "$T/milter.log"), 0,
    'Debian\'s milter starts with its unit line')
    or diag(slurp("$T/milter.log"));
ok(wait_for(sub { IO::Socket::INET->new("127.0.0.1:$mport") }, 10),
    'the milter listens');
my $milpid = (slurp('/run/mimedefang/mimedefang.pid') =~ /(\d+)/)[0];
push @pids, $milpid if $milpid;
like(slurp('/proc/' . ($milpid // 0) . '/cmdline'), qr/\0-q\0/,
    'the milter lets new connections queue (-q), for MX_QUEUE_SIZE');

# --- a private Postfix on loopback --------------------------------------

my $pf = "$T/pf";
mkdir($_) or die for $pf, "$T/pfq", "$T/pfd", "$T/mail";
chown((getpwnam('postfix'))[2], -1, "$T/pfd");
chmod(01777, "$T/mail");
open(my $fh, '>', "$pf/main.cf") or die;
print $fh <<"EOF";
compatibility_level = 3.6
queue_directory = $T/pfq
data_directory = $T/pfd
myhostname = mux-interop.localdomain
mydestination = localhost, \$myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps = unix:passwd.byname
mail_spool_directory = $T/mail
maillog_file_prefixes = $T
maillog_file = $T/maillog
smtputf8_enable = no
biff = no
message_size_limit = 20480000
smtpd_milters = inet:127.0.0.1:$mport
milter_default_action = tempfail
milter_command_timeout = 120s
EOF
close($fh);
open($fh, '>', "$pf/master.cf") or die;
print $fh "127.0.0.1:$sport inet n - n - - smtpd\n";
print $fh "$_\n" for (
    'pickup unix n - n 60 1 pickup', 'cleanup unix n - n - 0 cleanup',
    'qmgr unix n - n 300 1 qmgr', 'rewrite unix - - n - - trivial-rewrite',
    'bounce unix - - n - 0 bounce', 'defer unix - - n - 0 bounce',
    'trace unix - - n - 0 bounce', 'verify unix - - n - 1 verify',
    'flush unix n - n 1000? 0 flush', 'proxymap unix - - n - - proxymap',
    'smtp unix - - n - - smtp', 'showq unix n - n - - showq',
    'error unix - - n - - error', 'retry unix - - n - - error',
    'discard unix - - n - - discard', 'local unix - n n - - local',
    'anvil unix - - n - 1 anvil', 'scache unix - - n - 1 scache',
    'postlog unix-dgram n - n - 1 postlogd');
close($fh);
is(system("postfix -c $pf start >$T/pf.log 2>&1"), 0, 'Postfix starts')
    or diag(slurp("$T/pf.log") . slurp("$T/maillog"));
$made{postfix} = 1;
ok(wait_for(sub { IO::Socket::INET->new("127.0.0.1:$sport") }, 10),
    'Postfix listens');

# --- mail through Postfix, the milter and mux ---------------------------

sub swaks {
	my (@args) = @_;
	my $q = join(' ', map { "'$_'" } @args);
	my $out = `swaks --server 127.0.0.1:$sport --to $USER\@localhost --timeout 60 $q 2>&1`;
	return ($? >> 8, $out);
}

# The messages in the mailbox, each as text.
sub mailbox {
	my $box = slurp("$T/mail/$USER");
	return grep { length } split /^(?=From \S+ )/m, $box;
}

# The delivered message with this subject, or ''.
sub subject {
	my ($subj) = @_;
	return (grep { /^Subject: \Q$subj\E$/m } mailbox())[0] // '';
}

sub delivered {
	my ($n) = @_;
	return wait_for(sub { mailbox() >= $n }, 60);
}

my ($code, $out) = swaks('--from', 'alice@example.com',
    '--header', 'Subject: clean', '--body', 'nothing to see');
is($code, 0, 'a clean mail is accepted') or diag($out);
ok(delivered(1), 'and delivered') or diag(slurp("$T/maillog"));
my @msg = mailbox();
like($msg[-1] // '', qr/^X-Scanned-By: MIMEDefang /m,
    'with the milter\'s X-Scanned-By');
like($msg[-1] // '', qr/^X-Mux-Interop: worker \d+$/m,
    'and the filter\'s header: mimedefang.pl ran under mux');

($code, $out) = swaks('--from', 'bob@example.com', '--header',
    'Subject: program', '--attach-type', 'application/octet-stream',
    '--attach-name', 'setup.exe', '--attach', 'MZ not really a program');
is($code, 0, 'a mail with an .exe part is accepted');
ok(delivered(2), 'and delivered');
my $prog = subject('program');
like($prog, qr/Removed: setup\.exe, a program\./,
    'the .exe part was replaced by the warning');
ok($prog ne '' && $prog !~ /name="?setup\.exe/, 'and is gone');

($code, $out) = swaks('--from', 'reject@example.com');
like($out, qr/^<\*\* +554 .*Sender refused by the interop filter/m,
    'a refused sender gets the filter\'s 554');
($code, $out) = swaks('--from', 'tempfail@example.com');
like($out, qr/^<\*\* +451 .*Sender put off by the interop filter/m,
    'a put-off sender gets the filter\'s 451');

# 1 MB of random bytes, intact through the filter.
open($fh, '<', '/dev/urandom') or die;
read($fh, my $blob, 1 << 20) == 1 << 20 or die;
close($fh);
open($fh, '>', "$T/blob.bin") or die;
print $fh $blob;
close($fh);
my $md5 = (split ' ', `md5sum $T/blob.bin`)[0];
($code, $out) = swaks('--from', 'carol@example.com', '--header',
    'Subject: big', '--attach-type', 'application/octet-stream',
    '--attach-name', 'blob.bin', '--attach', "\@$T/blob.bin");
is($code, 0, 'a 1 MB attachment is accepted') or diag($out);
ok(delivered(3), 'and delivered');
{
	require MIME::Parser;
	my $p = MIME::Parser->new;
	$p->output_to_core(1);
	my $text = subject('big');
	$text =~ s/^From [^\n]*\n//;
	$text =~ s/^>From /From /mg;
	my $e = $p->parse_data($text);
	my ($part) = grep { ($_->head->recommended_filename // '') eq
	    'blob.bin' } $e->parts_DFS;
	my $got = $part ? $part->bodyhandle->as_string : '';
	open(my $o, '>', "$T/got.bin") or die;
	print $o $got;
	close($o);
	is((split ' ', `md5sum $T/got.bin`)[0], $md5,
	    'the 1 MB attachment arrives intact (same md5)');
}

# A burst of 50 at once: -x 10 workers, MX_QUEUE_SIZE=60, and 120 s of
# queue timeout and of Postfix's milter_command_timeout.  The milter
# runs with ALLOW_NEW_CONNECTIONS_TO_QUEUE=yes (-q), as it must beside
# MX_QUEUE_SIZE: without it the milter asks "free" at every connect and
# tempfails it when all 10 are busy, before the queue is ever used (a
# CI machine lost 5 of 50 that way, at CONNECT, within 5 s).
# n mails at once, "Subject: WORD i": their pids.  A failed one prints
# swaks's transcript.
sub burst {
	my ($word, $n) = @_;
	my @kids;
	for my $i (1 .. $n) {
		my $pid = fork() // die;
		if ($pid == 0) {
			my ($c, $o) = swaks('--from', "$word$i\@example.com",
			    '--header', "Subject: $word $i", '--body', "$word $i");
			print STDERR "# $word $i: exit $c\n",
			    map({ "#   $_\n" } grep { /^ *(<-|<\*\*|\*\*\*)/ }
			    split /\n/, $o) if $c != 0;
			POSIX::_exit($c);
		}
		push @kids, $pid;
	}
	return @kids;
}

# How many of these mails were accepted.
sub accepted {
	my $ok = 0;
	for (@_) {
		waitpid($_, 0);
		$ok++ if $? == 0;
	}
	return $ok;
}

# These mails (their swaks pids) all accepted, then the box holds total,
# every one scanned by the filter.
sub all_through {
	my ($what, $total, @kids) = @_;
	is(accepted(@kids), scalar(@kids), "$what: all accepted")
	    or diag(join("\n", grep { /milter|warning|reject/ }
	    split /\n/, slurp("$T/maillog")));
	ok(delivered($total), 'and all delivered')
	    or diag(scalar(mailbox()) . ' in the box');
	is(scalar(grep { /^X-Scanned-By: MIMEDefang /m } mailbox()), $total,
	    "every one scanned ($total in the box)");
}

all_through('a burst of 50', 53, burst('burst', 50));

# --- md-mx-ctrl as the -U user ------------------------------------------

my $ctl = `su -s /bin/sh defang -c 'md-mx-ctrl -s $mxenv{MX_SOCKET} status'`;
is($? >> 8, 0, 'md-mx-ctrl status as defang: exit 0');
like($ctl, qr/\AMax workers: 10\nWorker 0: \w+\n/, 'and the status');
$ctl = `su -s /bin/sh defang -c 'md-mx-ctrl -s $mxenv{MX_SOCKET} msgs'`;
is($ctl, "53\n", 'msgs: the 53 scans');

# --- an upgrade during a burst ------------------------------------------

# SIGUSR2, as an admin would after installing a new mux, while 20 mails
# go through the milter: every one accepted and scanned.  The new mux is
# daemonized as the unit's was, runs as defang, and the pid file (root
# made it) names it; the old one exits once its workers are done.
my @up = burst('upgrade', 20);
sleep 0.5;
kill('USR2', $mxpid);
my $newpid = 0;
ok(wait_for(sub { $newpid = (slurp($pidfile) =~ /(\d+)/)[0] // 0;
    $newpid && $newpid != $mxpid }, 60),
    "SIGUSR2: the pid file names the new mux ($newpid)")
    or diag(`tail -20 /var/log/syslog 2>/dev/null`);
push @pids, $newpid if $newpid;
ok(wait_for(sub { !kill(0, $mxpid) }, 60), "the old mux ($mxpid) exits");
ok(wait_for(sub { ((stat("/proc/$newpid"))[4] // -1) == $duid }, 10),
    'the new mux runs as defang');
all_through('a burst of 20 through the upgrade', 73, @up);
$ctl = `su -s /bin/sh defang -c 'md-mx-ctrl -s $mxenv{MX_SOCKET} status'`;
like($ctl, qr/\AMax workers: 10\n/, 'md-mx-ctrl status reaches the new mux');

# --- mux's drop-in for Debian's unit -----------------------------------

# The unit with etc/systemd/mimedefang-multiplexor.service.d/mux.conf as
# built: Type=notify, PIDFile= cleared, its ExecStart in place of the
# unit's, run as systemd would with NOTIFY_SOCKET, the same environment.
kill('TERM', $newpid);
ok(wait_for(sub { !kill(0, $newpid) }, 60), 'the mux of the unit line stops');
(my $BUILD = $MUX) =~ s{/[^/]+$}{};
my $dropin = "$BUILD/systemd/mimedefang-multiplexor.service.d/mux.conf";
my (undef, $dexec) = unit($dropin);
my $dtext = slurp($dropin);
ok($dtext =~ /^Type=notify$/m && $dtext =~ /^PIDFile=$/m &&
    $dexec->{ExecStart}[0] eq '', 'the drop-in: Type=notify, no PIDFile=, '
    . 'ExecStart= emptied first');
my $dline = $dexec->{ExecStart}[1] // '';
like($dline, qr{exec \S+/libexec/mux/mimedefang-multiplexor -D },
    'then mux, as mimedefang-multiplexor, in the foreground');
$dline =~ s{\S+/libexec/mux/mimedefang-multiplexor}{$T/bin/mimedefang-multiplexor};
my $ns = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => "$T/notify")
    or die "notify: $!";
chmod(0777, "$T/notify");
my $dpid = fork() // die;
if ($dpid == 0) {
	%ENV = (PATH => '/usr/sbin:/usr/bin:/sbin:/bin', %mxenv,
	    NOTIFY_SOCKET => "$T/notify");
	open(STDERR, '>>', "$T/dropin.log") or die;
	open(STDOUT, '>&', \*STDERR) or die;
	# systemd runs /bin/sh -c SCRIPT itself: sh then execs mux.
	my ($script) = $dline =~ m{^/bin/sh -c '(.*)'$}s or POSIX::_exit(126);
	exec('/bin/sh', '-c', $script) or POSIX::_exit(127);
}
push @pids, $dpid;
my $ready = '';
my $nsel = IO::Select->new($ns);
wait_for(sub { $nsel->can_read(0.1) and $ns->recv(my $b, 4096);
    $ready = $b if defined $b && $b =~ /READY=1/; $ready }, 30);
like($ready, qr/^READY=1\nSTATUS=0 busy, [2-9] idle, 0 queued$/,
    'READY=1 once MX_MINIMUM workers are up') or diag(slurp("$T/dropin.log"));
ok(wait_for(sub { ((slurp($pidfile) =~ /(\d+)/)[0] // 0) == $dpid }, 10),
    "the pid file names it (pid $dpid: sh execs it, systemd's main pid)");
is(slurp("/proc/$dpid/comm"), "mimedefang-mult\n",
    'its process name is mimedefang-multiplexor\'s (killall finds it)');
ok(wait_for(sub { ((stat("/proc/$dpid"))[4] // -1) == $duid }, 10),
    'it runs as defang (MX_USER)');
all_through('3 mails from the milter through it', 76, burst('dropin', 3));
kill('TERM', $dpid);
ok(wait_for(sub { waitpid($dpid, WNOHANG) == $dpid }, 30), 'SIGTERM: it exits');
my @said;
while ($nsel->can_read(0.5)) { $ns->recv(my $b, 4096); push @said, $b }
ok((grep { /^STOPPING=1/ } @said), 'after STOPPING=1');

# --- md-mx-ctrl against mux and the real multiplexor, side by side -----

# Both fresh, same options, as defang; the real one is the oracle.
my @same = ('-D', '-U', 'defang', '-m', 2, '-x', 4, '-w', 1, '-F', "$T/filter",
    '-z', $spool);
my %sbs = (real => '/usr/bin/mimedefang-multiplexor', mux => $MUX);
my $rport = free_port();	# the real one's -O, for muxctl top
for my $k (sort keys %sbs) {
	my $pid = fork() // die;
	if ($pid == 0) {
		open(STDERR, '>', "$T/$k.log") or die;
		open(STDOUT, '>&', \*STDERR) or die;
		exec($sbs{$k}, @same, '-s', "$spool/$k.sock", '-a',
		    "$spool/$k.usock", '-t',
		    "$spool/$k.stats", '-u', '-N', "$spool/$k.map",
		    $k eq 'real' ? ('-O', "inet:$rport") : ()) or die;
	}
	push @pids, $pid;
}
sub ctl {
	my ($k, @cmd) = @_;
	return scalar `su -s /bin/sh defang -c 'md-mx-ctrl -s $spool/$k.sock @cmd' 2>&1`;
}
# The -a socket, as a user who is not defang.
sub uctl {
	my ($k, @cmd) = @_;
	return scalar `su -s /bin/sh nobody -c 'md-mx-ctrl -s $spool/$k.usock @cmd' 2>&1`;
}
ok(wait_for(sub { ctl('real', 'rawstatus') =~ /^IISS / &&
    ctl('mux', 'rawstatus') =~ /^IISS / }, 15),
    'side by side: both have their 2 workers') or diag(ctl('mux', 'rawstatus'));

# What may differ: pids, and seconds that depend on when each started.
sub norm {
	my ($cmd, $t) = @_;
	$t =~ s/^PID \d+$/PID P/mg;
	$t =~ s/^(\d+ [A-Z]) \d+/$1 P/mg;
	$t =~ s/ago=\d+/ago=T/g;
	$t =~ s/^((?:First|LastStateChange)?(?:Req)?Age) \d+$/$1 T/mg;
	$t =~ s/ \d+$/ U/ if $cmd =~ /^(?:rawload(-\w+)?|rawstatus)$/;	# uptime
	$t =~ s/^((?:\S+ ){20})\d+/$1U/ if $cmd =~ /^rawload1 /;
	return $t;
}
# jsonstatus comes last: md-mx-ctrl sends it on, and a worker answers.
my @cmds = ('status', 'rawstatus', 'barstatus', 'free', 'msgs',
    'histo', 'load', 'rawload', 'load-relayok', 'rawload-relayok',
    'load-senderok', 'rawload-senderok', 'load-recipok', 'rawload-recipok',
    'load1 60', 'rawload1 60', 'load1 5', 'rawload1 5', 'hload', 'rawhload',
    'hload-relayok', 'rawhload-relayok', 'hload-senderok',
    'rawhload-senderok', 'hload-recipok', 'rawhload-recipok', 'workers',
    'busyworkers', 'workerinfo 0', 'workerinfo 3', 'workerinfo 9',
    'help');
for my $c (@cmds) {
	is(norm($c, ctl('mux', $c)), norm($c, ctl('real', $c)),
	    "md-mx-ctrl $c: as the real one's");
}
# The unprivileged socket (-a): its own help, and what it may not do.
for my $c ('help', 'status', 'free', 'msgs', 'load', 'histo', 'workers',
    'rawstatus', 'barstatus', 'reread', 'scan /tmp') {
	is(norm($c, uctl('mux', $c)), norm($c, uctl('real', $c)),
	    "md-mx-ctrl $c on the -a socket: as the real one's");
}
# A worker busy with its first request, on both.
my @slow;
for my $k (sort keys %sbs) {
	my $pid = fork() // die;
	if ($pid == 0) {
		ctl($k, 'relayok', '127.0.0.1', 'slow.example');
		POSIX::_exit(0);
	}
	push @slow, $pid;
}
# The same slot takes it: the first started of those that last ran a
# relayok or nothing yet.
my %busy;
ok(wait_for(sub { %busy = map { my ($k) = $_;
    ($k => (ctl($k, 'rawstatus') =~ /^([^ ]*)/)[0] =~ /B/ ? $-[0] : undef) }
    sort keys %sbs; defined $busy{real} && defined $busy{mux} }, 5),
    'both have a worker busy with it');
is($busy{mux}, $busy{real}, 'the same worker, as the real one picks it');
for my $c ('busyworkers', 'workerinfo') {
	my %o = map { $_ => norm($c, ctl($_, $c eq 'workerinfo' ?
	    ('workerinfo', $busy{$_}) : $c)) } sort keys %sbs;
	is($o{mux}, $o{real}, "busy: md-mx-ctrl $c of the busy slot as the "
	    . 'real one\'s');
}
like(ctl('mux', 'busyworkers'), qr/^\d+ B \d+ relayok last=relayok ago=\d+ \(relayok 127\.0\.0\.1\)$/m,
    'the busy line names the command, last= and the tag');
is(ctl('mux', 'free'), ctl('real', 'free'), 'busy: free as the real one\'s');
for my $k (sort keys %sbs) {
	my ($pid) = ctl($k, 'busyworkers') =~ /^\d+ B (\d+)/m;
	like(slurp("/proc/" . ($pid // 0) . "/cmdline"), qr/mimedefang\.pl/,
	    "$k: the pid workers shows is mimedefang.pl's");
}
waitpid($_, 0) for @slow;

# The same requests to both: the counts and states that follow.
for my $k (sort keys %sbs) {
	ctl($k, 'relayok', '127.0.0.1', 'localhost') for 1 .. 3;
}
# Milliseconds, and the seconds between first and last request (which
# each counts when its requests end), depend on timing: not compared.
for my $c ('status', 'rawstatus', 'free', 'histo', 'rawhload-relayok',
    'jsonstatus') {
	my ($m, $r) = (norm($c, ctl('mux', $c)), norm($c, ctl('real', $c)));
	($m, $r) = map { s/(\d+\.\d{6} ){4}\d+ \d+ \d+ \d+$/MS SECS/r }
	    $m, $r if $c eq 'rawhload-relayok';
	is($m, $r, "after 3 relayok: md-mx-ctrl $c as the real one's");
}

# Mixed kinds one after another: each goes to the worker that last ran
# its kind, or to an unused one, as the real one's "sticky" choice does,
# though on mux the kernel hands the client to a worker before anyone
# has read its command.
my @mixed = (['senderok', '<a@example.com>', '127.0.0.1', 'localhost',
    'helo', 'q1'], ['relayok', '127.0.0.1', 'localhost'],
    ['recipok', '<b@example.com>', '<a@example.com>', '127.0.0.1',
    'localhost', 'first', 'helo', 'q1'], ['senderok', '<c@example.com>',
    '127.0.0.1', 'localhost', 'helo', 'q2'], ['relayok', '127.0.0.1',
    'localhost']);
for my $k (sort keys %sbs) {
	ctl($k, @$_) for @mixed, @mixed;
}
for my $c ('workers', map { "workerinfo $_" } 0 .. 3) {
	is(norm($c, ctl('mux', $c)), norm($c, ctl('real', $c)),
	    "mixed kinds: md-mx-ctrl $c as the real one's");
}

# -N: Postfix's own socketmap client, against both.
for my $q (['alice', 'mux'], ['two words', 'mux'], ['bob', 'other']) {
	my %o = map { my $k = $_; ($k => scalar `postmap -q '$q->[0]' socketmap:unix:$spool/$k.map:$q->[1] 2>&1; echo "exit \$?"`) }
	    sort keys %sbs;
	is($o{mux}, $o{real}, "postmap -q '$q->[0]' socketmap:...:$q->[1]: "
	    . 'as from the real one') or diag("real: $o{real}");
}
like(scalar `postmap -q alice socketmap:unix:$spool/mux.map:mux`,
    qr/^mapped alice$/, 'the lookup went through mimedefang.pl\'s filter_map');

# The statistics log (-t -u): the same events, reasons and counts.
sub stats_lines {
	my ($k) = @_;
	return join('', map { s{^\d\d/\d\d/\d{4}:\d\d:\d\d:\d\d \d+\.\d{3} }{}r }
	    grep { /^\d/ } split /^/m, slurp("$spool/$k.stats"));
}
my $sl = stats_lines('real');
like($sl, qr/^StartWorker worker=0 nworkers=1 nbusy=0 reason="Bringing workers up to minWorkers \(2\)"$/m,
    'the real one\'s statistics log, as expected');
is(stats_lines('mux'), $sl, 'mux\'s statistics log, line for line the same');

# muxctl top on the real multiplexor's -O socket, in tmux: the listener
# protocol is all it needs.
(my $CTL = $MUX) =~ s{mux$}{muxctl};
my @tmux = ('tmux', '-S', "$T/tmux.sock");
system(@tmux, 'new-session', '-d', '-s', 'top', '-x', 100, '-y', 30,
    "$CTL -s inet:$rport top") == 0 or die 'tmux';
$made{tmux} = 1;
sub top_screen { scalar `@tmux capture-pane -p -t top 2>&1` }

# Last, as they change the workers: a command mimedefang.pl does not know
# (a worker answers it), and a reread.
for my $c ('nosuchcommand', 'reread') {
	is(ctl('mux', $c), ctl('real', $c), "md-mx-ctrl $c: as the real one's");
}
my $scr = '';
ok(wait_for(sub { $scr = top_screen(); $scr =~ /^slots \[[SIBK.]*[IB][SIBK.]*\]$/m &&
    $scr =~ /^ \d\d:\d\d:\d\d\.\d{3} R$/m }, 15),
    'muxctl top on the real mimedefang-multiplexor\'s -O socket: its slots '
    . 'from StateChange, its reread (R)') or diag($scr);
like($scr, qr/^free \d+ .* queue \? \(not on this socket\)$/m,
    'its free count; no queue there');
system(@tmux, 'send-keys', '-t', 'top', 'q');
ok(wait_for(sub { system("@tmux has-session -t top 2>/dev/null") != 0 }, 5),
    'q quits');

done_testing();

END {
	my $status = $?;
	system("postfix -c $pf stop >/dev/null 2>&1") if $made{postfix};
	kill('TERM', $_) for grep { $_ } @pids;
	for my $p (grep { $_ } @pids) {
		wait_for(sub { !kill(0, $p) }, 15) or kill('KILL', $p);
	}
	unlink(map { ("/run/mimedefang/$_.pid", "/run/mimedefang/$_.pid.lock") }
	    'mimedefang', 'mimedefang-multiplexor');
	system('userdel', $USER) if $made{user};
	system("tmux -S $T/tmux.sock kill-server 2>/dev/null") if $made{tmux};
	$? = $status;
}
