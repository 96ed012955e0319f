#!/usr/bin/perl
# Control actions on listener sockets, through muxctl: replies and exit
# codes, the ACLs (allow, deny, "*", supplementary groups, unknown names)
# as root and as unprivileged users this test creates, and the refusal
# of actions over TCP.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use File::Temp qw(tempdir);
use IO::Socket::INET;
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);

my $MUXCTL = $ENV{MUXCTL} // "$SRC/build/muxctl";
my $TCP = 14500 + $$ % 1000;
my @USERS = qw(muxt_alice muxt_bob muxt_carol muxt_dave);
my $root = $> == 0;

# Users and a group for the ACL cases (root only; removed at the end).
sub cleanup_users {
	system("userdel $_ >/dev/null 2>&1") for @USERS;
	system('groupdel muxt_ops >/dev/null 2>&1');
}
if ($root) {
	cleanup_users();
	system('groupadd muxt_ops') == 0 or BAIL_OUT('groupadd');
	for my $u (@USERS) {
		my @g = $u eq 'muxt_bob' ? ('-G', 'muxt_ops') : ();
		system('useradd', '-M', '-N', '-s', '/usr/sbin/nologin', @g,
		    $u) == 0 or BAIL_OUT("useradd $u");
	}
}
END { cleanup_users() if $root }

my $cdir = tempdir('mux-ctl-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $conf = "$cdir/mux.conf";
open(my $fh, '>', $conf) or die;
print $fh <<'EOF';
# The test's ACLs: every line counts, a deny wins.
ControlsACLs status,who allow user muxt_alice
ControlsACLs reread allow group muxt_ops
ControlsACLs status allow user *
ControlsACLs all deny user muxt_dave
ControlsACLs who allow user muxt_nosuchuser
MessageControlsACLs msg allow group muxt_ops
EOF
close($fh);

my $m = mux_start(args => ['-x', '2', '-m', '2', '--config', $conf,
    '-O', "$cdir/ctl.sock", '-O', "inet:$TCP"], wait_idle => 2);
my $sock = "$cdir/ctl.sock";
ok(-S $sock, 'the UNIX listener socket exists');
is((stat($sock))[2] & 07777, 0700, 'created mode 0700, as mimedefang-multiplexor without -G');

# muxctl as some user: [exit code, stdout, stderr].
sub ctl {
	my ($user, @args) = @_;
	my @pre = ();
	if (defined $user) {
		my @pw = getpwnam($user) or die "no $user";
		@pre = ('setpriv', "--reuid=$pw[2]", "--regid=$pw[3]",
		    '--init-groups');
	}
	my $pid = open(my $out, '-|') // die;
	if ($pid == 0) {
		open(STDERR, '>&', \*STDOUT);
		exec(@pre, $MUXCTL, '-s', $sock, @args) or POSIX::_exit(127);
	}
	local $/;
	my $text = <$out> // '';
	close($out);
	return [$? >> 8, $text];
}

# As root: every action.
my $r = ctl(undef, 'status');
is($r->[0], 0, 'root: status exits 0');
like($r->[1], qr/^pool slots=2 free=\d+ idle=\d+ busy=0 /m,
    'status: the pool line');
like($r->[1], qr/^listeners connected=1 max=1024 accepted=\d+ /m,
    'status: the listener counters');
$r = ctl(undef, 'status', '--json');
is($r->[0], 0, 'root: status --json exits 0');
like($r->[1], qr/^\{"pool":\{"slots":2,"free":\d+,.*"listeners":\{"connected":1,/,
    'status --json is one JSON object per section');
$r = ctl(undef, 'who');
like($r->[1], qr/^slot=0 pid=\d+ state=idle requests=0 /m,
    'who: one line per worker session');
$r = ctl(undef, 'who', '--json');
like($r->[1], qr/^\[\{"slot":0,"pid":\d+,"state":"idle",/, 'who --json');
like($r->[1], qr/^\[\{"slot":0,[^}]*"client":null,"user":null,/,
    'an idle slot\'s client and user: null, not "-"');
$r = ctl(undef, 'help');
like($r->[1], qr/^reread\s+reload/m, 'help lists reread for root');
$r = ctl(undef, 'msg', 'all', 'hello');
is_deeply($r, [1, "muxctl: MessageEngine is off\n"],
    'msg with MessageEngine off: *ERR, exit 1');
$r = ctl(undef, 'bogus');
is_deeply($r, [2, "muxctl: unknown command\n"], 'an unknown action: exit 2');

# -s takes the mux's own socket grammar: relative paths with unix: or a
# slash; a bad spec is a usage error that says why; a failed connect
# names the system's reason.
{
	use Cwd qw(getcwd);
	my $here = getcwd();
	my ($dir, $base) = $sock =~ m{^(.*)/([^/]+)$};
	my $saved = $sock;
	chdir($dir) or die "chdir $dir: $!";
	$sock = "unix:$base";
	is(ctl(undef, 'status')->[0], 0, "-s unix:$base (relative): exit 0");
	$sock = "./$base";
	is(ctl(undef, 'status')->[0], 0, "-s ./$base: exit 0");
	chdir($here) or die;
	$sock = 'tcp:25';
	$r = ctl(undef, 'status');
	is($r->[0], 2, '-s tcp:25: exit 2');
	like($r->[1], qr/^muxctl: unknown socket spec "tcp:25": unix:PATH, /,
	    'the error names the grammar');
	$sock = 'inet:99999';
	like(ctl(undef, 'status')->[1], qr/^muxctl: bad port "99999"/,
	    '-s inet:99999: a bad port, said so');
	$sock = "$dir/none.sock";
	$r = ctl(undef, 'status');
	is_deeply($r, [5, "muxctl: cannot connect to $dir/none.sock: No such "
	    . "file or directory\n"], 'no such socket: exit 5, with the cause');
	$sock = $saved;
}
$r = ctl(undef, 'status', 'now');
is($r->[0], 2, 'bad arguments: exit 2');

# reread from muxctl: R for a watcher, a new generation of workers.
my $w = open(my $wout, '-|', $MUXCTL, '-s', $sock, 'watch', 'R') // die;
sleep(0.5);
$r = ctl(undef, 'reread');
is_deeply($r, [0, "reread\n"], 'root: reread exits 0');
my $line = <$wout>;
like($line // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3} R$/,
    'watch prints the R event with a timestamp');
kill 'INT', $w;
close($wout);
is($? >> 8, 0, 'watch exits 0 on SIGINT');

# Over TCP: subscribing works, acting does not.
$r = [ do {
	my $pid = open(my $o, '-|') // die;
	if ($pid == 0) {
		open(STDERR, '>&', \*STDOUT);
		exec($MUXCTL, '-s', "inet:$TCP", 'status');
	}
	local $/; my $t = <$o>; close($o); ($? >> 8, $t)
} ];
is_deeply($r, [3, "muxctl: access denied\n"],
    'status over TCP: *ERR access denied, exit 3');
{
	my $s = IO::Socket::INET->new("127.0.0.1:$TCP") or die;
	print $s "reread\n?F\n";
	my @l = map { scalar <$s> } 1 .. 3;
	is_deeply(\@l, ["*OK\n", "*ERR access denied\n", "F 2\n"],
	    'over TCP: reread refused, ?F answered on the same connection');
}

# The unknown user in an ACL was warned about at start-up.
like(log_text($m), qr/no such user "muxt_nosuchuser", ignored/,
    'an unknown ACL name is logged at start-up');

SKIP: {
	skip 'ACLs for other users need root to create them', 13 unless $root;
	chmod(0711, $cdir);
	chmod(0666, $sock);	# the socket's mode is the first gate
	# alice: named in "status,who allow user".
	is(ctl('muxt_alice', 'status')->[0], 0, 'alice: status allowed');
	is(ctl('muxt_alice', 'who')->[0], 0, 'alice: who allowed');
	is_deeply(ctl('muxt_alice', 'reread'),
	    [3, "muxctl: access denied\n"], 'alice: reread denied, exit 3');
	# bob: muxt_ops is a supplementary group only.
	is(ctl('muxt_bob', 'reread')->[0], 0,
	    'bob: reread allowed through a supplementary group');
	is_deeply(ctl('muxt_bob', 'msg', 'all', 'hi'),
	    [1, "muxctl: MessageEngine is off\n"],
	    'bob: msg passes MessageControlsACLs (then MessageEngine is off)');
	is(ctl('muxt_bob', 'who')->[0], 3, 'bob: who denied');
	# carol: only "status allow user *".
	is(ctl('muxt_carol', 'status')->[0], 0, 'carol: status through *');
	is(ctl('muxt_carol', 'who')->[0], 3, 'carol: who denied');
	is(ctl('muxt_carol', 'msg', 'all', 'hi')->[0], 3, 'carol: msg denied');
	my $h = ctl('muxt_carol', 'help');
	is($h->[0], 0, 'carol: help is always allowed');
	is(join(',', map { /^(\w+)/ } split /\n/, $h->[1]), 'help,status',
	    'and lists only what carol may run');
	# dave: "all deny" wins over "status allow user *".
	is_deeply(ctl('muxt_dave', 'status'), [3, "muxctl: access denied\n"],
	    'dave: a deny wins over allow user *');
	like(log_text($m), qr/control: uid \d+ may not run status: access denied/,
	    'denials are logged with the uid');
}

# kick: the client's connection ends at once; the request runs to its
# end, so the handler stays in step and serves the next one.
{
	my $b = bg_req($m, 'sleep 3');
	ok(wait_for(sub { ctl(undef, 'who')->[1] =~ /state=busy/ }, 5,
	    'a busy worker'), 'a request is being served');
	like(ctl(undef, 'who')->[1],
	    qr/state=busy .* client=- user=\(none\) class=default cmd=other tag=sleep 3$/m,
	    'who shows the session: no address on a UNIX socket, class default');
	is_deeply(ctl(undef, 'kick', 'user', 'muxt_alice'),
	    [4, "muxctl: no such client connected\n"],
	    'kick user nobody matches: exit 4');
	is_deeply(ctl(undef, 'kick', 'host', '127.0.0.1'),
	    [4, "muxctl: no such client connected\n"],
	    'kick host: a UNIX client has no address');
	is(ctl(undef, 'kick', 'host', 'example.org')->[0], 2,
	    'kick host takes an address: exit 2');
	is_deeply(ctl(undef, 'kick', 'class', 'default'),
	    [0, "kicked 1 session\n"], 'kick class default: exit 0');
	my $r = bg_wait($b);
	ok($r->[1] - $r->[0] < 1.5 && $r->[2] eq '', sprintf('the kicked '
	    . 'client saw the end after %.2f s, with no reply',
	    $r->[1] - $r->[0]));
	ok(wait_for(sub { mux_status($m)->{states} eq 'II' }, 5, 'II'),
	    'the kicked request runs out and its worker is idle again');
	is(req($m, 'scan Q1 /tmp'), "ok\n", 'and requests are served');
	is(log_count($m, qr/event U/), 0, 'a kick is not U');
}

# shutdown -l 1 -d 2: requests still served, then refused, then the
# running session cut; commands answered throughout; cancel undoes it.
{
	ok(wait_for(sub { mux_status($m)->{states} eq 'II' }, 10, 'II'),
	    'two idle workers') or diag(mux_status($m)->{raw});
	my $b = bg_req($m, 'sleep 4');
	sleep(0.3);
	my $t0 = time;
	is_deeply(ctl(undef, 'shutdown', '-l', '1', '-d', '2', 'Back', 'at',
	    '14:00'), [0, "shutdown: refusing requests in 1 s, cutting "
	    . "sessions in 2 s\n"], 'shutdown -l 1 -d 2: exit 0');
	is(req($m, 'scan Q3 /tmp'), "ok\n", 'before -l: still served');
	like(ctl(undef, 'status')->[1],
	    qr/^shutdown refusing=0 refuse_in=[01] cut_in=[12] text=Back at 14:00$/m,
	    'status shows the pending shutdown');
	sleep(1.5 - (time - $t0));
	is(req($m, 'scan Q4 /tmp'), "error: Back at 14:00\n",
	    'after -l: error: TEXT');
	like(req($m, 'status'), qr/^[BIS]{2} /, 'commands are still answered');
	my $r = bg_wait($b);
	ok($r->[1] - $t0 > 1.5 && $r->[1] - $t0 < 3, sprintf('the running '
	    . 'session was cut %.1f s after the shutdown', $r->[1] - $t0));
	is_deeply(ctl(undef, 'shutdown', 'cancel'),
	    [0, "shutdown cancelled\n"], 'shutdown cancel');
	ok(wait_for(sub { req($m, 'scan Q5 /tmp') eq "ok\n" }, 10, 'ok'),
	    'requests are served again');
	is(ctl(undef, 'shutdown', 'cancel')->[0], 1,
	    'cancel with nothing pending: exit 1');
	is(ctl(undef, 'shutdown', '-l', 'x', 'T')->[0], 2,
	    'shutdown with a bad -l: exit 2');
	# The text reaches request clients, listeners and the log: no
	# control bytes (a CR used to reach all three).
	is(ctl(undef, 'shutdown', '-l', '100', "Back\rsoon\x01")->[0], 0,
	    'shutdown with a CR and a ^A in its text: exit 0');
	like(ctl(undef, 'status')->[1], qr/^shutdown .* text=Backsoon$/m,
	    'status shows the text without them');
	is(ctl(undef, 'shutdown', "\x01\x02")->[0], 2,
	    'a text of control bytes only: exit 2');
	like(ctl(undef, 'status')->[1], qr/^shutdown .* text=Backsoon$/m,
	    'and the pending shutdown keeps its text');
	is(ctl(undef, 'shutdown', 'cancel')->[0], 0, 'cancelled');
	unlike(ctl(undef, 'status')->[1], qr/^shutdown/m,
	    'no shutdown line once cancelled');
}

# Every refusal was counted.
my $denied = $root ? 5 : 0;
$r = ctl(undef, 'status');
my ($ad) = $r->[1] =~ /access_denied=(\d+)/;
is($ad, $denied + 2, "status counts every access denied ($denied + 2 TCP)");

is(mux_stop($m), 0, 'SIGTERM: exit status 0');
ok(!-e $sock, 'the listener socket is removed');

# The daemon takes relative UNIX paths from the directory it starts
# in, and removes them at exit though it works elsewhere meanwhile.
{
	use Cwd qw(getcwd);
	my $here = getcwd();
	mkdir("$cdir/sub") or die "mkdir: $!";
	chdir($cdir) or die "chdir $cdir: $!";
	my $t = mux_start(args => ['-x', '1', '-m', '1', '-O', 'unix:rel.sock',
	    '-O', 'sub/rel2.sock', '-z', '/'], wait_idle => 1);
	chdir($here) or die;
	ok(-S "$cdir/rel.sock", '-O unix:rel.sock: bound in the start '
	    . 'directory');
	ok(-S "$cdir/sub/rel2.sock", '-O sub/rel2.sock: a path with a slash');
	my $saved = $sock;
	$sock = "$cdir/rel.sock";
	is(ctl(undef, 'status')->[0], 0, 'and answers');
	$sock = $saved;
	is(mux_stop($t), 0, 'SIGTERM: exit status 0');
	ok(!-e "$cdir/rel.sock" && !-e "$cdir/sub/rel2.sock",
	    'both removed at exit, from the spool directory');
}

# kick host needs a TCP client: a mux with its request socket on TCP.
{
	my $port = 15500 + $$ % 1000;
	my $t = mux_start(tcp => $port, args => ['-x', '1', '-m', '1',
	    '-O', "$cdir/ctl2.sock"], wait_idle => 1);
	$sock = "$cdir/ctl2.sock";
	my $b = bg_req($t, 'sleep 3');
	ok(wait_for(sub { ctl(undef, 'who')->[1] =~ /client=127\.0\.0\.1 / },
	    5, 'the TCP client'), 'who shows the TCP client\'s address');
	is_deeply(ctl(undef, 'kick', 'host', '127.0.0.2'),
	    [4, "muxctl: no such client connected\n"],
	    'kick host of another address: exit 4');
	is_deeply(ctl(undef, 'kick', 'host', '127.0.0.1'),
	    [0, "kicked 1 session\n"], 'kick host 127.0.0.1: exit 0');
	my $r = bg_wait($b);
	ok($r->[1] - $r->[0] < 1.5, sprintf('the TCP client saw the end '
	    . 'after %.2f s', $r->[1] - $r->[0]));
	is(mux_stop($t), 0, 'SIGTERM: exit status 0');
}
done_testing();
