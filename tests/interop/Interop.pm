# Helpers the interop tests share: package checks, waiting, files, ports.
package Interop;
use strict;
use warnings;
use Exporter 'import';
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(sleep time);

our @EXPORT = qw(installed apt_install apt_install_quiet unpack_deb wait_for
    slurp spew free_port spawn stop_all);

# Is this Debian package installed?
sub installed { system("dpkg-query -W -f='\${Status}' $_[0] 2>/dev/null "
    . "| grep -q 'ok installed'") == 0 }

# Install the packages of these that are missing (apt-get update once if
# the first try fails); '' when done, else the reason.
sub apt_install {
	my ($log, @pkgs) = @_;
	my @missing = grep { !installed($_) } @pkgs;
	return '' unless @missing;
	my $apt = "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
	    . "@missing >>$log 2>&1";
	return '' if system($apt) == 0 ||
	    system("apt-get update -qq >>$log 2>&1 && $apt") == 0;
	return "apt-get install @missing failed:\n" . `tail -20 $log`;
}

# apt_install, without starting the daemons the packages bring (a
# policy-rc.d for the time of it, if the machine has none).
sub apt_install_quiet {
	my ($log, @pkgs) = @_;
	my $made = 0;
	return '' unless grep { !installed($_) } @pkgs;
	if (!-e '/usr/sbin/policy-rc.d') {
		spew('/usr/sbin/policy-rc.d', "#!/bin/sh\nexit 101\n", 0755);
		$made = 1;
	}
	my $err = apt_install($log, @pkgs);
	unlink('/usr/sbin/policy-rc.d') if $made;
	return $err;
}

# A command in the background, its output to log, with env's variables
# added; its pid.
sub spawn {
	my ($log, $env, @cmd) = @_;
	my $pid = fork() // die "fork: $!";
	if ($pid == 0) {
		@ENV{keys %$env} = values %$env;
		open(STDIN, '<', '/dev/null');
		open(STDOUT, '>', $log) or die;
		open(STDERR, '>&', \*STDOUT) or die;
		exec(@cmd) or POSIX::_exit(127);
	}
	return $pid;
}

# SIGTERM to each, SIGKILL to one still there after 10 s; $? is kept.
sub stop_all {
	local $?;
	kill 'TERM', grep { $_ && kill(0, $_) } @_;
	for my $p (grep { $_ } @_) {
		wait_for(sub { waitpid($p, POSIX::WNOHANG()) != 0 }, 10) or
		    kill('KILL', $p);
	}
}

# Unpack a package's .deb (apt-get download) into dir/root, without
# installing it: for daemons that conflict with each other or with the
# machine's MTA.  The root, or undef with the reason in $@.
sub unpack_deb {
	my ($pkg, $dir) = @_;
	mkdir($dir) or do { $@ = "mkdir $dir: $!"; return undef };
	my $dl = "cd $dir && apt-get download $pkg >$dir/dl.log 2>&1";
	if (system($dl) != 0 && system("apt-get update -qq >>$dir/dl.log 2>&1 "
	    . "&& $dl") != 0) {
		$@ = "apt-get download $pkg failed:\n" . slurp("$dir/dl.log");
		return undef;
	}
	if (system("dpkg -x $dir/*.deb $dir/root") != 0) {
		$@ = "dpkg -x $pkg failed";
		return undef;
	}
	return "$dir/root";
}

sub wait_for {
	my ($cond, $timeout) = @_;
	my $end = time + $timeout;
	while (time < $end) {
		return 1 if $cond->();
		sleep 0.1;
	}
	return 0;
}

# A whole file, or '' if it cannot be read.
sub slurp {
	my ($path) = @_;
	open(my $fh, '<', $path) or return '';
	local $/;
	return <$fh> // '';
}

# Write a whole file, with this mode if given.
sub spew {
	my ($path, $text, $mode) = @_;
	open(my $fh, '>', $path) or die "$path: $!";
	print $fh $text;
	close($fh) or die "$path: $!";
	chmod($mode, $path) if defined $mode;
}

# A TCP port free on this address (default 127.0.0.1).
sub free_port {
	my ($addr) = @_;
	my $s = IO::Socket::INET->new(LocalAddr => $addr // '127.0.0.1',
	    LocalPort => 0, Listen => 1, ReuseAddr => 1) or die "listen: $!";
	return $s->sockport;
}

1;
