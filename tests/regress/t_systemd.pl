#!/usr/bin/perl
# systemd (issue 18), against a NOTIFY_SOCKET and sockets the test
# hands in, as systemd would:
#  1. sd_notify: STATUS= while the pool starts, READY=1 only once it
#     reached -m, STATUS= as slots go busy, WATCHDOG=1 at half of
#     WATCHDOG_USEC, RELOADING=1 with MONOTONIC_USEC then READY=1
#     around a reread, MAINPID= to the new mux of an upgrade, which
#     speaks from then on, and STOPPING=1 at SIGTERM.
#  2. Socket activation by systemd's own systemd-socket-activate: the
#     connection that started mux is served on the socket it passed,
#     taken by address (UNIX and TCP), a passed socket no option names
#     is closed with a warning, and systemd's socket files stay at exit.
#  3. A restart keeps the listening sockets: a client that connects
#     while no mux runs is served by the next one.
#  4. A service listener (--listen) passed too: the FTP handler's
#     greeting comes on it.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use IO::Socket::UNIX;
use IO::Select;
use POSIX qw(WNOHANG);
use Socket qw(SOCK_DGRAM SOCK_STREAM);
use Time::HiRes qw(sleep time clock_gettime CLOCK_MONOTONIC);

my $MUX = $ENV{MUX} // "$SRC/build/mux";
my $dir = tempdir('mux-systemd-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my @pids;	# what the test started outside mux_start
END { kill 'KILL', grep { $_ && kill(0, $_) } @pids }

# Part 1: what mux tells systemd.
my $ns = "$dir/notify";
my $nsock = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $ns)
    or die "notify socket: $!";
my @got;	# every datagram, in order

sub collect {
	my ($secs) = @_;
	my $sel = IO::Select->new($nsock);
	my $end = time + $secs;
	while (time < $end) {
		next unless $sel->can_read(0.05);
		my $b;
		push @got, $b if defined $nsock->recv($b, 4096);
	}
}

# The index of the first datagram from $from on matching $re, or -1.
sub find_msg {
	my ($re, $from, $secs) = @_;
	my $end = time + $secs;
	while (1) {
		for my $i ($from .. $#got) {
			return $i if $got[$i] =~ $re;
		}
		last if time >= $end;
		collect(0.1);
	}
	return -1;
}

# Workers that take a while to start, so "starting" is seen.
write_file("$dir/slow.sh", "#!/bin/sh\nsleep 0.3\nexec perl $WORKER \"\$@\"\n");
chmod(0755, "$dir/slow.sh");
my $m;
{
	local $ENV{NOTIFY_SOCKET} = $ns;
	local $ENV{WATCHDOG_USEC} = 400000;
	# stderr as journald's stream: JOURNAL_STREAM names it.
	$m = mux_start(args => ['-m', 3, '-x', 4, '-f', "$dir/slow.sh"],
	    in_child => sub { $ENV{WATCHDOG_PID} = $$;
	    my @st = stat(STDERR); $ENV{JOURNAL_STREAM} = "$st[0]:$st[1]" });
}
my $r = find_msg(qr/^READY=1/m, 0, 15);
ok($r >= 0, 'READY=1 came') or diag(join("|", @got));
is($got[$r], "READY=1\nSTATUS=0 busy, 3 idle, 0 queued",
    'READY=1 once 3 workers (-m 3) are idle, with STATUS=');
my @before = grep { /STATUS=/ } @got[0 .. $r - 1];
ok(@before >= 1 && !grep({ !/^STATUS=starting: [0-2] of 3 workers up$/ }
    @before), 'before it, only "starting: k of 3" (' . scalar(@before) .
    ' datagrams)') or diag(join("|", @before));
is((mux_status($m)->{states} =~ tr/I//), 3, 'the pool has 3 idle workers');
is(scalar(grep { /READY=1/ } @got), 1, 'READY=1 once');
my @jl = split /\n/, log_text($m);
ok((grep { /^<6>started; minWorkers=3,/ } @jl) &&
    !(grep { !/^<[0-7]>/ } @jl), 'stderr as the journal\'s: "<6>started; '
    . '...", every line with its priority and without "mux: " (' .
    scalar(@jl) . ' lines)');

my $n = @got;
collect(1.0);
my $dogs = grep { $_ eq 'WATCHDOG=1' } @got[$n .. $#got];
ok($dogs >= 3 && $dogs <= 7, "WATCHDOG=1 every 200 ms with WATCHDOG_USEC " .
    "400000 ($dogs in 1 s)");

my $bg = bg_req($m, 'sleep 2');
ok(find_msg(qr/^STATUS=1 busy, 2 idle, 0 queued$/, $n, 5) >= 0,
    'STATUS= follows a busy slot');
bg_wait($bg);
ok(find_msg(qr/^STATUS=0 busy, 3 idle, 0 queued$/, $n + 1, 5) >= 0,
    'and its end');

$n = @got;
my $t0 = clock_gettime(CLOCK_MONOTONIC);
kill 'INT', $m->{pid};
$r = find_msg(qr/^RELOADING=1/, $n, 5);
ok($r >= 0, 'SIGINT (reread): RELOADING=1');
my ($mono) = ($r >= 0 ? $got[$r] : '') =~ /MONOTONIC_USEC=(\d+)/;
ok(defined $mono && abs($mono / 1e6 - $t0) < 2,
    'with MONOTONIC_USEC= of CLOCK_MONOTONIC (' . ($mono // 'none') .
    " against ${t0} s)");
ok(find_msg(qr/^READY=1$/, $r + 1, 5) > $r, 'then READY=1');

# An upgrade: the old mux names the new one systemd's main pid.
$n = @got;
kill 'USR2', $m->{pid};
$r = find_msg(qr/^MAINPID=\d+/, $n, 30);
my ($new) = ($r >= 0 ? $got[$r] : '') =~ /MAINPID=(\d+)/;
push @pids, $new if $new;
ok($new && $new != $m->{pid} && kill(0, $new),
    'SIGUSR2: MAINPID= names the new mux (' . ($new // 'none') . ')');
my $ready = find_msg(qr/^READY=1\nSTATUS=\d+ busy, \d+ idle/, $r + 1, 10);
ok($ready > $r, 'the new mux says READY=1 after it');
ok(wait_for(sub { waitpid($m->{pid}, WNOHANG) == $m->{pid} }, 10,
    'old mux exits'), 'the old mux exits');
$m->{status} = $?;
$n = @got;
collect(0.6);
ok(scalar(grep { $_ eq 'WATCHDOG=1' } @got[$n .. $#got]) >= 2,
    'the new mux pings the watchdog');
$n = @got;
kill 'TERM', $new;
ok(find_msg(qr/^STOPPING=1/, $n, 5) >= 0, 'SIGTERM: STOPPING=1');
ok(wait_for(sub { !kill(0, $new) }, 10, 'new mux exits'),
    'and the mux exits');

# Part 2: systemd-socket-activate passes a UNIX and a TCP socket and
# one no option names; the first connection starts mux.
my $SA = '/usr/bin/systemd-socket-activate';
my $port = MuxTest::free_port();
my $extra = MuxTest::free_port();
my ($sa_sock, $sa_ctl, $sa_log) = ("$dir/sa.sock", "$dir/sa-ctl.sock",
    "$dir/sa.log");
my $sa = fork() // die;
if ($sa == 0) {
	open(STDERR, '>', $sa_log) or die;
	open(STDOUT, '>&', \*STDERR) or die;
	exec($SA, '-l', $sa_sock, '-l', "127.0.0.1:$port", '-l',
	    "127.0.0.1:$extra", '--fdname=request:events:stray', $MUX, '-D',
	    '-d', '-s', $sa_sock, '-O', "inet:127.0.0.1:$port", '-O', $sa_ctl,
	    '-m', 1, '-f', $WORKER) or die;
}
push @pids, $sa;
ok(wait_for(sub { -S $sa_sock }, 10, 'the socket'),
    'systemd-socket-activate made the request socket');
my $ino = (stat $sa_sock)[1];
like(req({ sock => $sa_sock }, 'pid', 15), qr/^ok \d+/,
    'the connection that started mux is answered on the passed socket');
my $ev = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port");
my $line = $ev ? <$ev> : '';
is($line, "*OK\n", 'the passed TCP socket is the -O listener socket');
close($ev) if $ev;
my $log = read_file($sa_log);
like($log, qr/systemd: took socket request for unix:\Q$sa_sock\E\n/,
    'the log names each socket by LISTEN_FDNAMES and what it was taken for');
like($log, qr/systemd: took socket events for inet:127\.0\.0\.1:$port\n/,
    'the TCP one too');
like($log, qr/systemd: socket stray is bound where no option of ours /,
    'one no option names is closed, with a warning');
ok(!IO::Socket::INET->new(PeerAddr => "127.0.0.1:$extra"),
    'and no longer accepts');
ok(-S $sa_ctl, '-O unix:, not passed, is made by mux');
kill 'TERM', $sa;
ok(wait_for(sub { waitpid($sa, WNOHANG) == $sa }, 10, 'mux exits'),
    'SIGTERM: mux exits');
is($? >> 8, 0, 'with 0');
ok(-S $sa_sock && (stat $sa_sock)[1] == $ino,
    "the passed socket's file is systemd's, left in place");
ok(!-e $sa_ctl, 'the one mux made is removed');

# Part 3: the test as the socket unit.  mux exits; a client connects
# with no mux running; the next mux, handed the same socket, serves it.
unlink($sa_sock);
my $lsn = IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $sa_sock,
    Listen => 16) or die "listen: $!";

sub activated {
	my $pid = fork() // die;
	if ($pid == 0) {
		open(STDERR, '>>', $sa_log) or die;
		open(STDOUT, '>&', \*STDERR) or die;
		POSIX::dup2(fileno($lsn), 3) or die;
		@ENV{qw(LISTEN_PID LISTEN_FDS LISTEN_FDNAMES)} = ($$, 1,
		    'request');
		exec($MUX, '-D', '-d', '-s', $sa_sock, '-m', 1, '-f',
		    $WORKER) or die;
	}
	push @pids, $pid;
	return $pid;
}
my $p1 = activated();
like(req({ sock => $sa_sock }, 'pid', 15), qr/^ok \d+/, 'a mux serves the '
    . 'socket the test handed it');
kill 'TERM', $p1;
ok(wait_for(sub { waitpid($p1, WNOHANG) == $p1 }, 10, 'mux exits'),
    'and exits on SIGTERM');
my $c = IO::Socket::UNIX->new(Peer => $sa_sock, Type => SOCK_STREAM);
ok($c, 'with no mux running, a client still connects (the socket is kept)');
print $c "pid\n" if $c;
my $p2 = activated();
my $sel = IO::Select->new($c);
my $got = '';
$got = <$c> // '' if $c && $sel->can_read(15);
like($got, qr/^ok \d+/, 'the next mux answers it');
kill 'TERM', $p2;
ok(wait_for(sub { waitpid($p2, WNOHANG) == $p2 }, 10, 'mux exits'),
    'which exits on SIGTERM');

# Part 4: a service port, as a socket unit would pass it.
my $svc = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
    Listen => 16, ReuseAddr => 1) or die "listen: $!";
my $sport = $svc->sockport;
my $p3 = fork() // die;
if ($p3 == 0) {
	open(STDERR, '>', "$dir/svc.log") or die;
	open(STDOUT, '>&', \*STDERR) or die;
	POSIX::dup2(fileno($svc), 3) or die;
	@ENV{qw(LISTEN_PID LISTEN_FDS LISTEN_FDNAMES FTPD_ROOT)} = ($$, 1, 'ftp',
	    $dir);
	exec($MUX, '-D', '-s', "$dir/p4.sock", '--listen',
	    "inet:127.0.0.1:$sport,ftp", '--exec', '--',
	    "$SRC/tests/regress/ftpd.pl") or die;
}
push @pids, $p3;
ok(wait_for(sub { -e "$dir/svc.log" &&
    read_file("$dir/svc.log") =~ /started; minWorkers/ }, 10,
    'mux starts'), 'a mux with a passed service socket starts');
like(read_file("$dir/svc.log"),
    qr/systemd: took socket ftp for inet:127\.0\.0\.1:$sport\n/,
    'and takes it for --listen');
my $ftp = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$sport");
$sel = IO::Select->new($ftp);
my $greet = $ftp && $sel->can_read(10) ? <$ftp> // '' : '';
like($greet, qr/^220 /, 'the FTP handler greets on it');
close($ftp) if $ftp;
kill 'TERM', $p3;
ok(wait_for(sub { waitpid($p3, WNOHANG) == $p3 }, 10, 'mux exits'),
    'and exits on SIGTERM');
done_testing();
