#!/usr/bin/perl
# Many hosts behind Debian's HAProxy (issue 19): three muxes, each with
# a service port (the FTP-like exec handler, 8 workers) and --agent, one
# HAProxy frontend on loopback balancing them by leastconn with
# agent-check.  Shown with numbers (sessions per backend from HAProxy's
# stats socket):
#  1. sessions spread over the three; the agents' weights are the free
#     shares ("ready up N%");
#  2. saturating one (its workers all taken by clients of its own) puts
#     it in DRAIN within one agent interval, and new sessions go to the
#     two others; freed, it is READY again;
#  3. a "shutdown -l" on one drains it at once and, once it refuses,
#     puts it in MAINT: clients through HAProxy meanwhile are all
#     served (0 refused), none by it.
# Installs haproxy when missing, without starting Debian's own; stops
# what it starts.
use strict;
use warnings;
use File::Temp qw(tempdir);
use IO::Select;
use IO::Socket::INET;
use IO::Socket::UNIX;
use POSIX qw(:sys_wait_h);
use Socket qw(SOCK_STREAM);
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use Interop;
use Time::HiRes qw(sleep time);

my $SRC = $ENV{MUX_SRC} // '.';
my $MUX = $ENV{MUX} // "$SRC/build/mux";
(my $CTL = $MUX) =~ s{mux$}{muxctl};
my $FTPD = "$SRC/tests/regress/ftpd.pl";
my $INTER = 500;	# ms between agent checks

plan skip_all => 'needs root: it installs haproxy' if $> != 0;

my $T = tempdir('mux-haproxy-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my (@pids, @keep);
END { stop_all(@pids) }

my $err = apt_install_quiet("$T/apt.log", 'haproxy');
BAIL_OUT($err) if $err;
is(system("haproxy -c -q -f $SRC/etc/haproxy.cfg"), 0,
    'the example haproxy.cfg is valid');

sub start { my $pid = spawn(@_); push @pids, $pid; return $pid }

# Three muxes.
my (@port, @agent, @ctl, @mux);
for my $i (0 .. 2) {
	($port[$i], $agent[$i]) = (free_port(), free_port());
	$ctl[$i] = "$T/ctl$i.sock";
	$mux[$i] = start("$T/mux$i.log", { FTPD_ROOT => $T }, $MUX, '-D',
	    '-x', 8, '-m', 0, '-O', $ctl[$i], '--listen',
	    "inet:127.0.0.1:$port[$i],ftp", '--agent',
	    "inet:127.0.0.1:$agent[$i]", '--exec', '--', $FTPD);
}
ok(wait_for(sub { !grep { slurp("$T/mux$_.log") !~ /started; minWorkers/ }
    0 .. 2 }, 15), 'three muxes, each with a service port and --agent');

# The agent by hand, as HAProxy reads it.
my $a = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$agent[0]");
is($a ? scalar(<$a>) : '', "ready up 100%\n", 'an idle mux\'s agent: '
    . 'ready up 100%');

my $front = free_port();
my $stats = "$T/haproxy.sock";
# weight 100: "up 50%" is half of it (of the default 1, it would be 0).
my $servers = join('', map { "    server m$_ 127.0.0.1:$port[$_] weight 100 "
    . "agent-check agent-port $agent[$_] agent-inter ${INTER}ms\n" } 0 .. 2);
spew("$T/haproxy.cfg", <<"EOF");
global
    stats socket $stats mode 600 level admin
defaults
    mode tcp
    timeout connect 2s
    timeout client 60s
    timeout server 60s
frontend ftp
    bind 127.0.0.1:$front
    default_backend mux
backend mux
    balance leastconn
$servers
EOF
start("$T/haproxy.log", {}, 'haproxy', '-db', '-f', "$T/haproxy.cfg");
ok(wait_for(sub { -S $stats }, 10), 'haproxy runs') or
    diag(slurp("$T/haproxy.log"));

sub stats_cmd {
	my ($cmd) = @_;
	my $s = IO::Socket::UNIX->new(Peer => $stats, Type => SOCK_STREAM)
	    or return '';
	print $s "$cmd\n";
	local $/;
	return <$s> // '';
}

# Per server: [current sessions, status, weight], from "show stat".
sub servers {
	my %r;
	my @l = split /\n/, stats_cmd('show stat');
	my @h = split /,/, (shift(@l) =~ s/^# //r);
	for (@l) {
		my %f;
		@f{@h} = split /,/;
		next unless $f{pxname} eq 'mux' && $f{svname} =~ /^m(\d)$/;
		$r{$1} = [$f{scur}, $f{status}, $f{weight}];
	}
	return \%r;
}
sub scur { my $s = servers(); [map { $s->{$_}[0] // -1 } 0 .. 2] }
# With the agent alone, a server taking sessions shows as "no check".
sub status_of { my ($i) = @_; servers()->{$i}[1] // '' }
sub ready { status_of($_[0]) =~ /^(UP|no check)$/ }

ok(wait_for(sub { 3 == grep { ready($_) } 0 .. 2 }, 10),
    'all three servers ready') or diag(stats_cmd('show stat'));

# A session through HAProxy: its greeting, or '' if refused or silent.
sub session {
	my ($port) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port")
	    or return (undef, '');
	my $g = IO::Select->new($s)->can_read(5) ? <$s> // '' : '';
	push @keep, $s;
	return ($s, $g);
}

# 1. Six sessions: spread, and the weights follow the free shares.
my $ok = grep { (session($front))[1] =~ /^220 / } 1 .. 6;
is($ok, 6, '6 sessions through HAProxy, all greeted');
my $before = scur();
diag("sessions per backend (m0 m1 m2): @$before");
is(scalar(grep { $_ == 2 } @$before), 3, 'leastconn spreads them 2/2/2');
ok(wait_for(sub { my $s = servers(); 3 == grep { ($s->{$_}[2] // 0) == 75 }
    0 .. 2 }, 5), 'each server\'s weight is 75 of 100 (6 of 8 free: ready up '
    . '75%)')
    or diag(stats_cmd('show stat'));

# 2. Saturate m0 with clients of its own.
my @own = map { (session($port[0]))[0] } 1 .. 6;
my $t0 = time;
ok(wait_for(sub { status_of(0) =~ /DRAIN/ }, 5), 'm0 saturated: DRAIN')
    or diag(stats_cmd('show stat'));
my $dt = time - $t0;
ok($dt < 2 * $INTER / 1000 + 0.5, sprintf('within %.2f s (agent-inter %d ms)',
    $dt, $INTER));
$ok = grep { (session($front))[1] =~ /^220 / } 1 .. 6;
my $after = scur();
diag("after 6 more (m0 m1 m2): @$after");
is($ok, 6, '6 more sessions through HAProxy, all greeted');
is($after->[0], $before->[0], 'none of them went to the saturated m0');
is($after->[1] + $after->[2], $before->[1] + $before->[2] + 6,
    'all 6 went to m1 and m2');
close($_) for @own, @keep;
@keep = ();
ok(wait_for(sub { ready(0) }, 5), 'freed, m0 is ready again');

# 3. shutdown -l 3 on m2: drained at once, refusing after 3 s, and no
# client through HAProxy is refused meanwhile.
my ($rc, $out) = (system("$CTL -s $ctl[2] shutdown -l 3 going down "
    . ">$T/shut.out 2>&1") >> 8, slurp("$T/shut.out"));
is($rc, 0, "muxctl shutdown -l 3 on m2: $out" =~ s/\n//r);
ok(wait_for(sub { status_of(2) =~ /DRAIN/ }, 5), 'm2: DRAIN at once');
my $m2 = scur()->[2];
my ($sent, $greeted) = (0, 0);
my $end = time + 4.5;
while (time < $end) {
	$sent++;
	$greeted++ if (session($front))[1] =~ /^220 /;
	$_->close for splice(@keep, 0, @keep > 6 ? @keep - 6 : 0);
	sleep 0.2;
}
is($greeted, $sent, "$sent sessions through HAProxy during the shutdown: "
    . "$greeted greeted, 0 refused");
ok(scur()->[2] <= $m2, 'none of them went to m2');
ok(wait_for(sub { status_of(2) =~ /MAINT/ }, 5), 'm2 refuses now: MAINT')
    or diag(stats_cmd('show stat'));
like(IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port[2]")->getline // '',
    qr/^421 /, 'and m2 itself refuses a direct client with 421');
done_testing();
