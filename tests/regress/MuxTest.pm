# Helpers for the regress tests: start the real mux on private sockets,
# talk to it like md-mx-ctrl does, wait for conditions with deadlines.
package MuxTest;
use strict;
use warnings;
use Exporter 'import';
use File::Temp qw(tempdir);
use IO::Socket::INET;
use IO::Socket::UNIX;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);
use IO::Select;
use Test::More;

our @EXPORT = qw(mux_start mux_stop req ureq wait_for mux_status
    log_count log_text worker_pids program_pids alive bg_req bg_wait
    saturate $SRC
    $WORKER free_port write_file read_file muxctl status_wait small_disk
    replies);

our $SRC = $ENV{MUX_SRC} // '.';
our $WORKER = "$SRC/tests/regress/worker.pl";
my $MUX = $ENV{MUX} // "$SRC/build/mux";
my @started;

# A TCP port on 127.0.0.1 nobody listens on (free a moment ago).
sub free_port {
	my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
	    Listen => 1, ReuseAddr => 1) or die "listen: $!";
	my $p = $s->sockport;
	close($s);
	return $p;
}

sub write_file {
	my ($path, $text) = @_;
	open(my $fh, '>', $path) or die "$path: $!";
	print $fh $text;
	close($fh) or die "$path: $!";
	return $path;
}

# A whole file (a MessageLog, say); dies if it cannot be read.
sub read_file {
	my ($path) = @_;
	open(my $fh, '<', $path) or die "$path: $!";
	local $/;
	return <$fh> // '';
}

# muxctl on a control socket: (exit status, output with stderr).
sub muxctl {
	my ($sock, @args) = @_;
	my $bin = $ENV{MUXCTL} // "$SRC/build/muxctl";
	my $q = join(' ', map { "'$_'" } @args);
	my $out = `"$bin" -s $sock $q 2>&1`;
	return ($? >> 8, $out);
}

# A 16 kB tmpfs mounted at $dir/disk, unmounted at the end (lazily: a
# mux still holding a file must not keep it); skips the test without
# root or CAP_SYS_ADMIN.
my @mounts;
sub small_disk {
	my ($dir) = @_;
	Test::More::plan(skip_all => 'needs root to mount a tmpfs') if $> != 0;
	mkdir("$dir/disk") or die "mkdir $dir/disk: $!";
	Test::More::plan(skip_all =>
	    'cannot mount a tmpfs here (needs CAP_SYS_ADMIN)')
	    if system('mount', '-t', 'tmpfs', '-o', 'size=16k,mode=0755',
	    'tmpfs', "$dir/disk") != 0;
	push @mounts, "$dir/disk";
	return "$dir/disk";
}
END { system('umount', '-l', $_) for @mounts }

# mux_start(args => [...], wait_idle => N): returns a handle.
sub mux_start {
	my (%o) = @_;
	# dir: the sockets and log of an earlier mux, for a restart.
	my $dir = $o{dir} // tempdir('mux-test-XXXXXX', TMPDIR => 1,
	    CLEANUP => 1);
	my $m = { dir => $dir, sock => "$dir/s.sock", usock => "$dir/u.sock",
	    log => "$dir/log" };
	$m->{tcp} = $o{tcp};	# a TCP request socket on this port
	my @args = ('-D', '-d', '-s',
	    $o{tcp} ? "inet:$o{tcp}" : $m->{sock}, '-a', $m->{usock},
	    @{ $o{args} // [] });
	push @args, '-f', $WORKER unless grep { $_ eq '-f' || $_ eq '--' }
	    @args;
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		open(STDERR, '>', $m->{log}) or die;
		open(STDOUT, '>&', \*STDERR) or die;
		# in_child: what the environment needs our pid for (systemd's).
		$o{in_child}->() if $o{in_child};
		exec($MUX, @args) or die "exec $MUX: $!";
	}
	$m->{pid} = $pid;
	push @started, $m;
	wait_for(sub { -S ($o{tcp} ? $m->{usock} : $m->{sock}) }, 10,
	    'request socket appears')
	    or diag(log_text($m));
	# The request socket is made first; "started" comes once every
	# socket listens (service ports too), so none is connected too soon.
	wait_for(sub {
		return 1 if log_text($m) =~ /started; minWorkers=/;
		# Gone (a test of a failed start): keep its status for mux_stop.
		return 0 if waitpid($pid, WNOHANG) != $pid;
		$m->{status} = $?;
		return 1;
	}, 10, 'mux started');
	if (my $n = $o{wait_idle}) {
		wait_for(sub { (mux_status($m)->{states} =~ tr/I//) >= $n },
		    15, "$n idle workers") or diag(log_text($m));
	}
	return $m;
}

# Stop with SIGTERM; returns the exit status (or undef on timeout).
sub mux_stop {
	my ($m, $timeout) = @_;
	return $m->{status} if defined $m->{status};
	kill 'TERM', $m->{pid};
	my $end = time + ($timeout // 30);
	while (time < $end) {
		my $r = waitpid($m->{pid}, WNOHANG);
		if ($r == $m->{pid}) {
			$m->{status} = $?;
			return $?;
		}
		sleep 0.05;
	}
	return undef;
}

sub _talk {
	my ($path, $line, $timeout) = @_;
	my $s = $path =~ /^\d+$/
	    ? IO::Socket::INET->new(PeerAddr => "127.0.0.1:$path")
	    : IO::Socket::UNIX->new(Peer => $path, Type => SOCK_STREAM);
	return "CONNECT FAILED: $!" unless $s;
	print $s $line;
	my $out = '';
	my $end = time + ($timeout // 10);
	$s->blocking(0);
	while (time < $end) {
		my $n = sysread($s, my $buf, 65536);
		if (defined $n) {
			last if $n == 0;
			$out .= $buf;
			next;
		}
		sleep 0.01;
	}
	return $out;
}

# One request line (LF added), the whole reply until the mux closes.
sub req {
	my ($m, $line, $t) = @_;
	_talk($m->{tcp} // $m->{sock}, "$line\n", $t);
}
sub ureq { my ($m, $line, $t) = @_; _talk($m->{usock}, "$line\n", $t) }

sub wait_for {
	my ($cond, $timeout, $what) = @_;
	my $end = time + $timeout;
	while (time < $end) {
		return 1 if $cond->();
		sleep 0.05;
	}
	diag("timed out after ${timeout}s waiting for: $what") if $what;
	return 0;
}

# Poll the control socket's status until it matches $re; on a time-out
# show the last status, which says what did not happen.
sub status_wait {
	my ($sock, $re, $timeout, $what) = @_;
	my $st = '';
	return 1 if wait_for(sub { $st = (muxctl($sock, 'status'))[1];
	    $st =~ $re }, $timeout, $what);
	diag($st);
	return 0;
}

sub mux_status {
	my ($m) = @_;
	my $r = ureq($m, 'status');
	my ($st, $msgs, $act, $qs, $q, $up) = split ' ', $r;
	return { states => $st // '', msgs => $msgs, activations => $act,
	    qsize => $qs, queued => $q, uptime => $up, raw => $r };
}

sub log_text {
	my ($m) = @_;
	open(my $fh, '<', $m->{log}) or return '';
	local $/;
	return <$fh>;
}

sub log_count {
	my ($m, $re) = @_;
	return scalar(() = log_text($m) =~ /$re/gm);
}

# Worker-session pids by slot, from the "workers" command.
# Slot => the worker session's pid.  workers shows the program's pid,
# as mimedefang-multiplexor does; its parent is the worker session.
sub worker_pids {
	my ($m) = @_;
	my %p;
	for (split /\n/, ureq($m, 'workers')) {
		next unless /^(\d+) [IBK] (\d+)/;
		my ($slot, $pid) = ($1, $2);
		my $ppid = _ppid($pid);
		$p{$slot} = defined $ppid && $ppid != $m->{pid} ? $ppid : $pid;
	}
	return \%p;
}

# Slot => the pid workers shows: the program's.
sub program_pids {
	my ($m) = @_;
	my %p;
	for (split /\n/, ureq($m, 'workers')) {
		$p{$1} = $2 if /^(\d+) [IBK] (\d+)/;
	}
	return \%p;
}

sub _ppid {
	my ($pid) = @_;
	open(my $fh, '<', "/proc/$pid/stat") or return undef;
	my $st = <$fh> // '';
	return $st =~ /\) \S (\d+)/ ? $1 : undef;
}

sub alive { my ($pid) = @_; return kill(0, $pid) }

# Keep n workers busy for secs seconds, n requests at once; returns when
# all are answered.
sub saturate {
	my ($m, $n, $secs) = @_;
	my @kids;
	for (1 .. $n) {
		my $pid = fork() // die "fork: $!";
		if ($pid == 0) { req($m, "sleep $secs"); POSIX::_exit(0) }
		push @kids, $pid;
	}
	waitpid($_, 0) for @kids;
}

# req() in a child; bg_wait() returns [start, end, reply].
sub bg_req {
	my ($m, $line) = @_;
	my $f = "$m->{dir}/bg." . int(rand(1e9));
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		my $t0 = time;
		my $r = req($m, $line, 30);
		open(my $fh, '>', $f) or POSIX::_exit(1);
		printf $fh "%.3f %.3f %s", $t0, time, $r;
		close($fh);
		POSIX::_exit(0);
	}
	return [$pid, $f];
}

sub bg_wait {
	my ($b) = @_;
	waitpid($b->[0], 0);
	open(my $fh, '<', $b->[1]) or return [0, 0, ''];
	local $/;
	my ($t0, $t1, $r) = split / /, <$fh>, 3;
	return [$t0, $t1, $r // ''];
}

# What a client read until n final replies ("NNN text") came, or t
# seconds (5) passed.
sub replies {
	my ($s, $n, $t) = @_;
	my $sel = IO::Select->new($s);
	my ($buf, $end) = ('', time + ($t // 5));
	while (time < $end) {
		last if (() = $buf =~ /^\d\d\d [^\n]*\n/mg) >= $n;
		next unless $sel->can_read(0.1);
		last unless sysread($s, $buf, 4096, length $buf);
	}
	return $buf;
}

END {
	for my $m (@started) {
		next if defined $m->{status};
		kill 'KILL', $m->{pid};
		waitpid($m->{pid}, 0);
	}
}

1;
