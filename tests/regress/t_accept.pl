#!/usr/bin/perl
# Out of descriptors: the mux stops accepting for a second instead of
# spinning on a socket that stays readable (acc.c), keeps serving the
# clients it has, and takes the waiting ones once descriptors are free.
# The limit is lowered on the running mux with prlimit(1), so only the
# listener socket's clients can run it out.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use IO::Socket::INET;
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);
use IO::Select;
use Time::HiRes qw(time sleep);
use POSIX ();
use File::Temp ();

my $port = free_port();
my $mport = free_port();
my $map = File::Temp::tempdir('mux-accept-XXXXXX', TMPDIR => 1,
    CLEANUP => 1) . '/map.sock';
my $m = mux_start(args => ['-x', '1', '-m', '1', '-w', '1',
    '-O', "inet:$port", '-N', "unix:$map", '--metrics', "inet:$mport"],
    wait_idle => 1);

sub nfds { my @f = glob("/proc/$m->{pid}/fd/*"); return scalar(@f) }
sub cpu_ticks {
	my @f = split ' ', (read_file("/proc/$m->{pid}/stat") =~ /\) (.*)/)[0];
	return $f[11] + $f[12];		# utime + stime
}
# How many of the clients got their *OK within secs, waiting at most
# that long for them all.  Each counts once.
my %greeted;
sub greeted {
	my ($socks, $secs) = @_;
	my $end = time + $secs;
	while (time < $end) {
		my @wait = grep { !$greeted{$_} } @$socks;
		last unless @wait;
		for my $s (IO::Select->new(@wait)->can_read(0.1)) {
			my $l = <$s>;
			$greeted{$s} = 1 if defined $l && $l eq "*OK\n";
		}
	}
	return scalar(grep { $greeted{$_} } @$socks);
}
sub line_of {
	my ($s, $timeout) = @_;
	return IO::Select->new($s)->can_read($timeout) ? scalar(<$s>) : undef;
}

my $watch = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port")
    or die "connect: $!";
is(line_of($watch, 5), "*OK\n", 'a listener is served');

# Room for 4 more descriptors, then 12 clients.
my $room = nfds() + 4;
# Only the soft limit: raising it back needs no privilege.
my ($soft) = read_file("/proc/$m->{pid}/limits") =~ /^Max open files\s+(\d+)/m;
system('prlimit', "--pid=$m->{pid}", "--nofile=$room:") == 0
    or BAIL_OUT('prlimit failed');
my @c = map { IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port")
    or die "connect: $!" } 1 .. 12;
my $served = greeted(\@c, 2);
# Socketmap clients wait in their socket's queue too: without the pause
# for every socket, that one would spin.
my @maps = map { IO::Socket::UNIX->new(Peer => $map,
    Type => SOCK_STREAM) or die "socketmap connect: $!" } 1 .. 3;
# And evhttp's, for the metrics: libevent's own listener, paused too.
my @scrapes = map { IO::Socket::INET->new(PeerAddr => "127.0.0.1:$mport")
    or die "metrics connect: $!" } 1 .. 3;
print $_ "GET /metrics HTTP/1.0\r\n\r\n" for @scrapes;
ok($served >= 1 && $served < 12, "$served of 12 served within the limit");
ok(wait_for(sub { log_text($m) =~
    /out of descriptors: not accepting for 1 second/ }, 5),
    'the pause is logged');
like(log_text($m), qr/listener socket: accept: Too many open files/,
    'with the cause');

# Not spinning: the clients left stay readable on the socket, so a
# loop without the pause would burn the whole 3 s.
my $t0 = cpu_ticks();
sleep 3;
my $used = (cpu_ticks() - $t0) / POSIX::sysconf(POSIX::_SC_CLK_TCK());
ok($used < 0.6, sprintf('the mux used %.2f s of CPU in 3 s', $used));

# Clients it has are still served meanwhile.
print $watch "?FYZ\n";
like(line_of($watch, 5), qr/^\*OK|^[FYZ]/, 'a connected listener is answered');

# Free the descriptors: the waiting clients are taken.
system('prlimit', "--pid=$m->{pid}", "--nofile=$soft:") == 0
    or BAIL_OUT('prlimit failed');
is(greeted(\@c, 5), 12, 'the waiting clients are all served after the pause');
my $scraped = grep { IO::Select->new($_)->can_read(5) &&
    (<$_> // '') =~ m{^HTTP/1\.[01] 200 } } @scrapes;
is($scraped, 3, 'and the waiting scrapes answered');
close($_) for @c, @maps, @scrapes;
is(mux_stop($m), 0, 'clean stop');
done_testing();
