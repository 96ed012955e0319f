#!/usr/bin/perl
# mimedefang-multiplexor's options as Debian's unit passes them, and
# what they mean: sockets and the lock file owned by -U's user with its
# modes, -G, -o, -E, -F, -L, -M/-R, -S, -Y, -y, -z.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use File::Temp qw(tempdir);
use Time::HiRes qw(sleep time);

my $MUX = $ENV{MUX} // "$SRC/build/mux";
my $root = $> == 0;
my $dir = tempdir('mux-mdc-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod(0711, $dir);

# A start that must fail: (exit status, what it printed).
sub refused {
	my (@args) = @_;
	my $out = `"$MUX" -D -s $dir/never.sock -f $WORKER @args 2>&1`;
	return ($? >> 8, $out);
}

# Debian's defaults add -E and -y 0; both are accepted.
my $m = mux_start(args => ['-E', '-y', '0', '-m', '2', '-x', '3', '-L', '1',
    '-F', "$dir/rules-file", '-M', '800000', '-R', '900000'], wait_idle => 2);
is(req($m, 'args'), "ok $WORKER -f $dir/rules-file -server\n",
    '-F: the program runs as PROG -f RULES -server');
like(log_text($m), qr/-E: workers run \S+ as a program; this build has no embedded Perl/,
    '-E: one line says what it means');
ok(wait_for(sub { log_text($m) =~
    /Worker status: Stopped=1 Idle=2 Busy=0 Killed=0 Queued=0 Msgs=0 Activations=2/ },
    8), '-L 1: the status line, at least every 5 s');
my $h = (split ' ', req($m, 'pid'))[1];
my $limits = read_file("/proc/$h/limits");
like($limits, qr/^Max address space\s+819200000\s+819200000 /m,
    '-M 800000: the program\'s address space is limited');
like($limits, qr/^Max data size\s+819200000\s+819200000 /m,
    'and its data size');
like($limits, qr/^Max resident set\s+921600000\s+921600000 /m,
    '-R 900000: its resident set too');
my $w = worker_pids($m)->{0};
unlike(read_file("/proc/$w/limits"), qr/^Max address space\s+819200000/m,
    'the worker session itself is not limited');
is(mux_stop($m), 0, 'clean stop');

# Worker stderr is logged line by line, as the real one does with -l.
$m = mux_start(args => ['-x', 2, '-m', 1], wait_idle => 1);
is(req($m, 'warn Use of uninitialized value at filter line 12.'),
    "ok warned\n", 'a program writes a warning to stderr');
ok(wait_for(sub { log_text($m) =~
    /^mux: Worker 0 stderr: Use of uninitialized value at filter line 12\.$/m },
    5), 'it is logged as "Worker N stderr: TEXT"');
like(req($m, 'lastwords bad MIME'), qr/^ERR No response from worker/,
    'a program that dies');
ok(wait_for(sub { log_text($m) =~
    /^mux: Worker 0 stderr: filter died: bad MIME$/m }, 5),
    'has its dying words logged');
like(log_text($m), qr/stderr: filter died: bad MIME\n(?:.*\n)*?.*Reap: worker 0/,
    'before its reap');
# A flood: bounded in the log, never blocking the program or the mux.
my $t0 = time;
is(req($m, 'flood 20000'), "ok flooded\n", '20,000 stderr lines: served');
is(req($m, 'scan Q /tmp'), "ok\n", 'and the next request too');
ok(wait_for(sub { log_text($m) =~ /flood line 20000|more lines not logged/ ||
    log_count($m, qr/stderr: flood line/) >= 100 }, 5), 'lines logged');
sleep(0.5);
my $nflood = log_count($m, qr/stderr: flood line/);
ok($nflood >= 100 && $nflood <= 200, "at most 100 a window ($nflood logged)");
is(mux_stop($m), 0, 'clean stop');
like(log_text($m), qr/^mux: Worker \d stderr: (\d+) more lines not logged \(over 100 in 10 s\)$/m,
    'the rest are counted in one line');
my ($dropped) = log_text($m) =~ /stderr: (\d+) more lines not logged/;
is($nflood + ($dropped // 0), 20000, 'logged and counted add up to 20,000');

# -X 1 -P 2: "tick 0" and "tick 1" reach the program every second, one
# of each at a time; skipped when no worker is free.
$ENV{MUX_TEST_TICK_FILE} = "$dir/ticks";
$m = mux_start(args => ['-x', 1, '-m', 1, '-X', 1, '-P', 2], wait_idle => 1);
ok(wait_for(sub { my $t = eval { read_file("$dir/ticks") } // '';
    (() = $t =~ /^tick 0$/mg) >= 2 && (() = $t =~ /^tick 1$/mg) >= 2 }, 8),
    '-X 1 -P 2: tick 0 and tick 1, each at least twice');
unlike(read_file("$dir/ticks"), qr/^tick [^01]/m, 'no other tick number');

is(req($m, 'tick'), "error: External agents may not invoke 'tick'\n",
    'a client may not send "tick"');
is(req($m, 'tick 7'), "tock 7\n",
    'but "tick 7" is a request like any other, as in the real one');
my $bg = bg_req($m, 'sleep 2.5');
ok(wait_for(sub { log_text($m) =~ /Tick \d skipped -- no free workers/ }, 4),
    'with the one worker busy, ticks are skipped and logged');
is(bg_wait($bg)->[2], "ok slept 2.5\n", 'the busy request is not disturbed');
my $n0 = () = read_file("$dir/ticks") =~ /^tick/mg;
ok(wait_for(sub { (() = read_file("$dir/ticks") =~ /^tick/mg) > $n0 }, 4),
    'and they resume once it is free');
is(mux_stop($m), 0, 'clean stop');
delete $ENV{MUX_TEST_TICK_FILE};

# -t -u: the statistics log in the real one's format; SIGHUP reopens it.
# And the log lines admins match, in the real one's words.
my $stats = "$dir/stats";
$m = mux_start(args => ['-x', 2, '-m', 1, '-t', $stats, '-u'], wait_idle => 1);
my $ts = qr{\d\d/\d\d/\d{4}:\d\d:\d\d:\d\d \d+\.\d{3}};
ok(wait_for(sub { read_file($stats) =~ /^$ts StartWorker worker=0 nworkers=1 nbusy=0 reason="Bringing workers up to minWorkers \(1\)"$/m },
    5), '-t: StartWorker, as the real one writes it');
like(log_text($m), qr/^mux: Starting worker 0 \(pid \d+\) \(1 running\): Bringing workers up to minWorkers \(1\)$/m,
    'and the log line in its words');
is(req($m, 'scan Q1 /tmp'), "ok\n", 'a scan');
ok(wait_for(sub { read_file($stats) =~ /^$ts StartFilter worker=0 nworkers=1 nbusy=1$/m },
    5), 'StartFilter for it');
is(req($m, 'relayok 1.2.3.4 x'), "ok\n", 'a relayok');
is(() = read_file($stats) =~ /StartFilter/g, 1, 'which is no filter run');
rename($stats, "$stats.1") or die;
kill 'HUP', $m->{pid};
ok(wait_for(sub { -e $stats }, 5), 'SIGHUP: the file is made again');
is(req($m, 'reread'), "Forced reread of filter rules\n", 'a reread');
ok(wait_for(sub { read_file($stats) =~ /^$ts KillWorker worker=0 nworkers=1 nbusy=0 req=2 age=\d+ reason="Forcing reread of filter rules"$/m &&
    read_file($stats) =~ /^$ts ReapWorker worker=0 nworkers=0 nbusy=0$/m }, 5),
    'KillWorker and ReapWorker go to the new file');
unlike(read_file("$stats.1"), qr/KillWorker/, 'not to the moved one');
like(log_text($m), qr/^mux: Killing idle worker 0 \(pid \d+\) req=2 age=\d+ req_age=\d+: Forcing reread of filter rules$/m,
    'the kill is logged in the real one\'s words');
like(log_text($m), qr/^mux: Reap: worker 0 \(pid \d+\) exited normally with status 0$/m,
    'and so is the reap');
is(mux_stop($m), 0, 'clean stop');
like(log_text($m), qr/^mux: Received SIGTERM: Stopping workers and terminating$/m,
    'SIGTERM in its words');
system('mkfifo', "$dir/fifo") == 0 or die;
my ($rc, $out) = refused('-t', "$dir/fifo");
ok($rc == 1 && $out =~ /statistics file \S+fifo: not a regular file/,
    'a FIFO as the statistics file stops the start at once') or diag($out);

# -y 2: at most two recipok requests of one domain at a time, as the
# real one; out of range (0, or -x or more) is no limit.
$m = mux_start(args => ['-x', 4, '-m', 4, '-y', 2], wait_idle => 4);
my @slow = map { bg_req($m, "recipok %3Cu$_\@slow.example%3E %3Cs\@x%3E 1.2.3.4 h 1 helo /tmp Q$_") } 1 .. 2;
ok(wait_for(sub { mux_status($m)->{states} =~ /^(?:[^B]*B){2}/ }, 3),
    'two recipok for slow.example are running');
is(req($m, 'recipok %3Cu3@SLOW.example%3E %3Cs@x%3E 1.2.3.4 h 1 helo /tmp Q3'),
    "ok -1 Per-domain%20recipok%20limit%20hit;%20please%20try%20again%20later\n",
    'a third for the same domain (any case) gets the real one\'s answer');
is(req($m, 'recipok %3Cu4@fast.example%3E %3Cs@x%3E 1.2.3.4 h 1 helo /tmp Q4'),
    "ok\n", 'another domain is served meanwhile');
is(req($m, 'recipok nodomain %3Cs@x%3E 1.2.3.4 h 1 helo /tmp Q5'), "ok\n",
    'and a recipient without a domain');
is_deeply([map { bg_wait($_)->[2] } @slow], ["ok\n", "ok\n"],
    'the two running ones complete');
like(log_text($m), qr/^mux: Hit per-domain recipok limit \(2\) for domain SLOW\.example%3E$/m,
    'the refusal is logged in the real one\'s words (its domain, raw)');
is(req($m, 'recipok %3Cu6@slow.example%3E %3Cs@x%3E 1.2.3.4 h 1 helo /tmp Q6'),
    "ok\n", 'once they are done, the domain is served again');
is(mux_stop($m), 0, 'clean stop');
$m = mux_start(args => ['-x', 2, '-y', 5]);
is(req($m, 'scan Q /tmp'), "ok\n", '-y 5 with -x 2 is out of range: no limit');
is(mux_stop($m), 0, 'clean stop');

($rc, $out) = refused('-S', 'nosuchfacility');
is($rc, 1, '-S with an unknown facility: refused');
like($out, qr/SyslogFacility: unknown facility "nosuchfacility"/,
    'and named');
$m = mux_start(args => ['-S', 'LOG_LOCAL3', '-Y', 'md-test-label']);
ok(wait_for(sub { log_text($m) =~ /^md-test-label: started; minWorkers=/m },
    5), '-Y: the label heads the log lines');
is(mux_stop($m), 0, 'clean stop');

# -z: the default socket lives in the spool directory, and the mux works
# there (the program inherits it).
my $spool = "$dir/spool";
mkdir($spool) or die;
my $pid = fork() // die;
if ($pid == 0) {
	open(STDERR, '>', "$dir/z.log") or die;
	exec($MUX, '-D', '-z', $spool, '-f', $WORKER) or die;
}
ok(wait_for(sub { -S "$spool/mimedefang-multiplexor.sock" }, 10),
    '-z: the request socket is made in the spool directory');
my $zm = { sock => "$spool/mimedefang-multiplexor.sock", pid => $pid,
    log => "$dir/z.log" };
$h = (split ' ', req($zm, 'pid'))[1];
is(readlink("/proc/$h/cwd"), $spool, 'and the program works there');
is(mux_stop($zm), 0, 'clean stop');

SKIP: {
	skip 'ownership needs root', 18 unless $root;
	my ($uid, $gid) = (getpwnam('nobody'))[2, 3];
	my $ctl = "$dir/ctl.sock";
	$m = mux_start(args => ['-U', 'nobody', '-p', "$dir/mx.pid",
	    '-O', $ctl, '-x', 2, '-m', 1], wait_idle => 1);
	chmod(0711, $m->{dir});
	for my $s ([$m->{sock}, 0700, 'request socket'],
	    [$m->{usock}, 0777, 'unprivileged socket'],
	    [$ctl, 0700, 'control socket']) {
		my @st = stat($s->[0]);
		is(sprintf('%o %d:%d', $st[2] & 07777, $st[4], $st[5]),
		    sprintf('%o %d:%d', $s->[1], $uid, $gid),
		    "-U nobody: the $s->[2] is nobody's, mode "
		    . sprintf('%o', $s->[1]));
	}
	my @st = stat("$dir/mx.pid.lock");
	is(sprintf('%o %d', $st[2] & 07777, $st[4]), sprintf('600 %d', $uid),
	    'the lock file is nobody\'s, mode 600');
	@st = stat("$dir/mx.pid");
	is(sprintf('%o %d', $st[2] & 07777, $st[4]), '644 0',
	    'the pid file is root\'s, mode 644, as the real one\'s');
	# The -U user talks to every socket, as the milter and muxctl do.
	my $r = `su -s /bin/sh nobody -c "perl -MIO::Socket::UNIX -e '
	    my \\\$s = IO::Socket::UNIX->new(Peer => shift) or die \\\$!;
	    print \\\$s qq{scan Q /tmp\\\\n}; print <\\\$s>' $m->{sock}" 2>&1`;
	is($r, "ok\n", 'the -U user is served on the request socket');
	my $ctlbin = $ENV{MUXCTL} // "$SRC/build/muxctl";
	$r = `su -s /bin/sh nobody -c "$ctlbin -s $ctl status" 2>&1`;
	is($? >> 8, 0, 'muxctl as the -U user: status works');
	like($r, qr/^pool slots=2 free=2 /m, 'and prints the status');
	$r = `su -s /bin/sh daemon -c "$ctlbin -s $ctl status" 2>&1`;
	isnt($? >> 8, 0, 'another user cannot use the control socket');

	# A second copy on the same lock file refuses to start.
	($rc, $out) = refused('-p', "$dir/mx.pid", '-s', "$dir/other.sock");
	is($rc, 1, 'a second copy with the same pid file: exit 1');
	like($out, qr/lock file \S+mx\.pid\.lock: held by another copy/,
	    'it names the lock file');
	my @left = ($m->{sock}, $m->{usock}, $ctl, "$dir/mx.pid");
	ok(scalar(grep { -e } @left) == 4, 'sockets and pid file in place');
	# Made as root in root's directories, removed at the exit anyway
	# (issue 17, item 6): the -U user could not, a root helper does.
	my $helper = `pgrep -P $m->{pid} -x mux-cleanup`;
	like($helper, qr/^\d+$/, 'the mux has its root helper');
	chomp($helper);
	is(mux_stop($m), 0, 'clean stop');
	ok(wait_for(sub { !grep { -e } @left }, 5),
	    'the sockets and the pid file are gone')
	    or diag(join(' ', grep { -e } @left));
	ok(wait_for(sub { !kill(0, $helper) }, 5), 'and so is the helper');

	$m = mux_start(args => ['-U', 'nobody', '-G', '-O', $ctl]);
	is(sprintf('%o', (stat($m->{sock}))[2] & 07777), '770',
	    '-G: the request socket is 0770');
	is(sprintf('%o', (stat($ctl))[2] & 07777), '770',
	    'and the control socket');
	is(mux_stop($m), 0, 'clean stop');
}
done_testing();
