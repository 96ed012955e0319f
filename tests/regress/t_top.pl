#!/usr/bin/perl
# muxctl top (issue 19), run in tmux as an admin would, read back with
# capture-pane: the slots as a bar, the free count and Z, the queue (on
# a socket that takes control actions), each slot's tag, the latest
# events; on a TCP listener socket the queue is unknown and the rest is
# the same; 'q' quits and gives the terminal back.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use File::Temp qw(tempdir);
use Time::HiRes qw(sleep time);

my $CTL = $ENV{MUXCTL} // "$SRC/build/muxctl";
system('tmux -V >/dev/null 2>&1') == 0 or BAIL_OUT('tmux is missing');
my $dir = tempdir('mux-top-XXXXXX', TMPDIR => 1, CLEANUP => 1);
# A tmux server of the test's own.
my @tmux = ('tmux', '-S', "$dir/tmux.sock");
END { local $?; system("@tmux kill-server 2>/dev/null") if defined $dir }

my $port = free_port();
my $m = mux_start(args => ['-m', 2, '-x', 4, '-q', 4, '-O', "$dir/ctl.sock",
    '-O', "inet:$port"], wait_idle => 2);

sub screen {
	my ($name) = @_;
	return scalar `@tmux capture-pane -p -t $name 2>&1`;
}

# top on the screen named name, until its text matches re.
sub top_until {
	my ($name, $re, $what) = @_;
	my $s = '';
	ok(wait_for(sub { $s = screen($name); $s =~ $re }, 10, $what), $what)
	    or diag($s);
	return $s;
}

system(@tmux, 'new-session', '-d', '-s', 'unix', '-x', 100, '-y', 30,
    "$CTL -s $dir/ctl.sock top") == 0 or die 'tmux';
top_until('unix', qr/^slots \[[SI.]{4}\]$/m,
    'top on the control socket: a bar of the 4 slots (-x 4, from status)');
# All four busy and one more waiting.
my @bg = map { bg_req($m, 'tag busy-' . $_ . ' 3') } 1 .. 4;
sleep 0.3;
push @bg, bg_req($m, 'pid');
my $s = top_until('unix', qr/^slots \[BBBB\]$/m, 'the bar: BBBB');
top_until('unix', qr/^free 0 +NONE FREE \(Z\) +queue 1$/m,
    'free 0, Z, and the queue from status: 1');
$s = screen('unix');
like($s, qr/^ +[0-3] B  tag busy-1$/m, 'each slot\'s tag (its request)');
like($s, qr/^ \d\d:\d\d:\d\d\.\d{3} Z$/m, 'Z among the latest events');
bg_wait($_) for @bg;
top_until('unix', qr/^free [1-4] +workers free \(Y\) +queue 0$/m,
    'then free again (Y), the queue empty');

# The TCP listener socket takes no control action: no queue there.
system(@tmux, 'new-session', '-d', '-s', 'tcp', '-x', 100, '-y', 30,
    "$CTL -s inet:$port top") == 0 or die 'tmux';
top_until('tcp', qr/^free \d +workers free \(Y\) +queue \? \(not on this socket\)$/m,
    'top on the TCP listener socket: free, the queue unknown');
my $b = bg_req($m, 'tag tcp-seen 1');
top_until('tcp', qr/^ +\d [BI]  tag tcp-seen$/m,
    'and the slots from StateChange and their tags');
bg_wait($b);

# q quits: tmux's pane (and session) end with it.
system(@tmux, 'send-keys', '-t', 'unix', 'q');
ok(wait_for(sub { system("@tmux has-session -t unix 2>/dev/null") != 0 },
    5, 'top exits'), 'q quits top');
system(@tmux, 'send-keys', '-t', 'tcp', 'q');
ok(wait_for(sub { system("@tmux has-session -t tcp 2>/dev/null") != 0 },
    5, 'top exits'), 'on either socket');
is(mux_stop($m), 0, 'clean stop');
done_testing();
