#!/usr/bin/perl
# MessageEngine messages cannot be forged nor replayed by what runs as
# the handlers' user (issue 17, item 4).  The SysV queue belongs to the
# -U user, so a handler can put into it; before, a message headed by a
# session's token (sequential, and in MUX_SESSION) went into that
# session's next reply.  Now each is sealed with a key only the mux and
# its non-dumpable worker sessions hold: forged ones are dropped, and
# one taken out and put back twice is delivered once.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use IO::Select;
use IPC::SysV qw(IPC_NOWAIT);
use POSIX qw(setuid setgid _exit);
use Time::HiRes qw(sleep time);

plan skip_all => 'needs root, to run the handlers as nobody' if $> != 0;
my ($nuid, $ngid) = (getpwnam('nobody'))[2, 3];
my $H = "$SRC/tests/regress/poolftpd.pl";
my $dir = tempdir('mux-forge-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod(0755, $dir);


# Run code as nobody, the handlers' user; its exit status.
sub as_nobody {
	my ($code) = @_;
	my $pid = fork() // die;
	if ($pid == 0) {
		setgid($ngid);
		$) = "$ngid $ngid";
		setuid($nuid);
		_exit($> == $nuid ? $code->() : 99);
	}
	waitpid($pid, 0);
	return $? >> 8;
}

my $port = free_port();
write_file("$dir/mux.conf",
    "MessageEngine on\nMessageQueue $dir/queue\n");
my $m = mux_start(args => ['--config', "$dir/mux.conf", '-O', "$dir/ctl.sock",
    '-U', 'nobody', '-m', 1, '-x', 1, '--listen', "inet:$port", '--', $H]);
my ($qid) = log_text($m) =~ /MessageEngine: queue (\d+)/;
ok(defined $qid, 'the queue is made');
my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
    Timeout => 5) or die;
like(replies($c, 1), qr/^220 ready/m, 'a session');
syswrite($c, "USER dave\r\nPASS x\r\nVAR MUX_SESSION\r\n");
my ($token) = replies($c, 3) =~ /^200 MUX_SESSION=(\d+)\r$/m;
ok($token, "its token, from MUX_SESSION: " . ($token // '?'));
my $ws = (values %{ worker_pids($m) })[0];
my $hpid = (values %{ program_pids($m) })[0];
isnt($ws, $hpid, "its worker session $ws, its handler $hpid");
my $owner = (stat("/proc/$ws/environ"))[4];
is($owner, 0, 'the worker session is not dumpable (/proc/PID/environ is '
    . 'root\'s)');

# The handlers' user: no ptrace, no /proc/PID/mem of the worker session
# or of the mux, so no key.
is(as_nobody(sub { open(my $f, '<', "/proc/$ws/mem") ? 1 : 0 }), 0,
    'nobody cannot open the worker session\'s memory');
is(as_nobody(sub { open(my $f, '<', "/proc/$m->{pid}/mem") ? 1 : 0 }), 0,
    'nor the mux\'s');

# Forged, as nobody: a message for that session in the old shape (its
# token, then text) and in the new (a head with a made-up seal).
is(as_nobody(sub {
	my $n = 0;
	$n += msgsnd($qid, pack('l! a*', $ws,
	    pack('L', $token) . '200-FORGED old shape'), IPC_NOWAIT) ? 1 : 0;
	$n += msgsnd($qid, pack('l! a*', $ws, pack('L l Q Q', $token, $ws,
	    1 << 40, 1 << 50) . '200-FORGED new shape'),
	    IPC_NOWAIT) ? 1 : 0;
	return $n }), 2, 'nobody can put two forged messages into the queue');
my ($rc, $out) = muxctl("$dir/ctl.sock", qw(msg user dave the real one));
is($out, "message sent to 1 sessions\n", 'and the admin sends a real one');
sleep 0.5;
syswrite($c, "NOOP\r\n");
my $r = replies($c, 1);
is($r, "200-the real one\r\n200 NOOP ok\r\n",
    'the next reply carries the real message only');
ok(wait_for(sub { log_count($m, qr/message in the queue not sealed by the mux, or replayed: dropped/) == 2 }, 5),
    'each forged one is logged and dropped');

# Replayed: the worker session stopped, nobody takes the real message out
# of the queue and puts it back twice.
kill('STOP', $ws);
($rc, $out) = muxctl("$dir/ctl.sock", qw(msg user dave only once));
is($out, "message sent to 1 sessions\n", 'another real message');
is(as_nobody(sub {
	my $buf;
	msgrcv($qid, $buf, 8192, $ws, IPC_NOWAIT) or return 0;
	my $n = 0;
	$n += msgsnd($qid, $buf, IPC_NOWAIT) ? 1 : 0 for 1 .. 2;
	return $n }), 2, 'nobody took it out and put it back twice');
kill('CONT', $ws);
sleep 0.5;
syswrite($c, "NOOP\r\n");
is(replies($c, 1), "200-only once\r\n200 NOOP ok\r\n",
    'it is delivered once');
ok(wait_for(sub { log_count($m, qr/not sealed by the mux, or replayed/) == 3 }, 5),
    'the replay is logged and dropped');
syswrite($c, "QUIT\r\n");
close($c);
is(mux_stop($m), 0, 'clean stop');
done_testing();
