#!/usr/bin/perl
# MessageEngine's queue and MessageLog: refused set-ups exit 1 with a
# clear message; the queue is 0600 and goes away with the mux; a queue
# left by a killed mux is cleaned at the next start; msg actions are
# logged.  (Delivery into sessions comes with service listeners.)
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use File::Temp qw(tempdir);
use IPC::SysV qw(IPC_NOWAIT IPC_STAT);
use POSIX qw(:sys_wait_h);
use Time::HiRes qw(sleep time);

my $MUX = $ENV{MUX} // "$SRC/build/mux";
my $MUXCTL = $ENV{MUXCTL} // "$SRC/build/muxctl";
my $dir = tempdir('mux-msg-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod(0755, $dir);

sub conf {
	my ($name, $text) = @_;
	open(my $fh, '>', "$dir/$name") or die;
	print $fh $text;
	close($fh);
	return "$dir/$name";
}

sub refused {
	my ($text, $want, $what) = @_;
	my $c = conf('bad.conf', $text);
	my $out = `"$MUX" -D -s $dir/never.sock -f $WORKER --config $c 2>&1`;
	is($? >> 8, 1, "$what: exit status 1");
	like($out, $want, "$what: $out");
	ok(!-e "$dir/never.sock", "$what: no socket left behind");
}

refused("MessageEngine on\n", qr/MessageEngine on needs a MessageQueue path/,
    'MessageEngine without MessageQueue');
mkdir("$dir/open", 0777);
chmod(01777, "$dir/open");
refused("MessageLog $dir/open/msg.log\n",
    qr/\Q$dir\E\/open is a world-writable directory/,
    'MessageLog in a world-writable directory');
symlink("$dir/elsewhere.log", "$dir/link.log");
refused("MessageLog $dir/link.log\n",
    qr/link\.log: is a symbolic link \(AllowLogSymlinks is off\)/,
    'MessageLog through a symbolic link');
refused("MessageLog relative.log\n", qr/not an absolute path/,
    'a relative MessageLog');

# AllowLogSymlinks on: the link is followed.
{
	my $c = conf('link.conf', "MessageLog $dir/link.log\n"
	    . "AllowLogSymlinks on\n");
	my $m = mux_start(args => ['--config', $c], wait_idle => 1);
	ok(-f "$dir/elsewhere.log", 'AllowLogSymlinks on: the link is used');
	is(mux_stop($m), 0, 'clean stop');
}

my $c = conf('mux.conf', "MessageEngine on\nMessageQueue $dir/queue\n"
    . "MessageLog $dir/msg.log\n");
my $m = mux_start(args => ['--config', $c, '-O', "$dir/ctl.sock"],
    wait_idle => 1);
my ($qid) = log_text($m) =~ /MessageEngine: queue (\d+) of (\d+) bytes/;
ok(defined $qid, "the queue is made (id " . ($qid // '?') . ')');
my $ipcs = `ipcs -q -i $qid 2>&1`;
like($ipcs, qr/mode=0?600\b/, 'it is 0600');
like($ipcs, qr/uid=$>\b/, 'and ours');
is((stat("$dir/queue"))[2] & 07777, 0600, 'the MessageQueue file is 0600');
like(`"$MUXCTL" -s $dir/ctl.sock status`,
    qr/^messages queue_bytes=\d+ sent=0 waiting=0 /m,
    'status shows the queue');

# msg: logged, answered (no service session exists to take it).
my $out = `"$MUXCTL" -s $dir/ctl.sock msg all "Dave, please" 2>&1`;
is($? >> 8, 4, 'msg all with no session: exit 4');
is($out, "muxctl: no such client connected\n", 'no such client connected');
$out = `"$MUXCTL" -s $dir/ctl.sock msg user dave 'ctl\x01here' 2>&1`;
is($? >> 8, 4, 'msg user dave: exit 4');
my $long = join(' ', map { "word$_" } 1 .. 40);
$out = `"$MUXCTL" -s $dir/ctl.sock msg class default $long 2>&1`;
is($? >> 8, 4, 'a msg of 40 words is taken (no such client: exit 4)');
$out = `"$MUXCTL" -s $dir/ctl.sock msg user dave 2>&1`;
is($? >> 8, 2, 'msg user without text: exit 2');
$out = `"$MUXCTL" -s $dir/ctl.sock msg nobody x y 2>&1`;
is($? >> 8, 2, 'msg to an unknown kind of target: exit 2');
my $log = read_file("$dir/msg.log");
like($log, qr/^\S+ uid=0 msg all "Dave, please": no such client connected$/m,
    'the MessageLog has the msg all');
like($log, qr/^\S+ uid=0 msg user dave "ctlhere": no such client connected$/m,
    'and the msg user, its text without control bytes');
like($log, qr/^\S+ uid=0 msg class default "\Q$long\E": no such client connected$/m,
    'all 40 words of it are logged');
is(scalar(() = $log =~ /\n/g), 3, 'refused requests are not logged');

# SIGTERM removes the queue.
is(mux_stop($m), 0, 'SIGTERM: exit status 0');
ok(!msgctl($qid, IPC_STAT, my $ds), "the queue is gone ($!)");

# A mux killed outright leaves it; the next start cleans it out.
$m = mux_start(args => ['--config', $c], wait_idle => 1);
($qid) = log_text($m) =~ /MessageEngine: queue (\d+)/;
kill 'KILL', $m->{pid};
waitpid($m->{pid}, 0);
$m->{status} = 0;
ok(msgsnd($qid, pack('l! a*', 99999, 'stale'), IPC_NOWAIT),
    'a message for a pid long gone sits in the left-over queue');
sleep(0.5);	# the workers follow their mux
$m = mux_start(args => ['--config', $c], wait_idle => 1);
like(log_text($m), qr/MessageEngine: queue \d+ of \d+ bytes from \S+ \(stale messages dropped\)/,
    'the next start drops it');
my ($qid2) = log_text($m) =~ /MessageEngine: queue (\d+)/;
ok(!msgrcv($qid2, my $buf, 100, 0, IPC_NOWAIT), "the queue is empty ($!)");
is(mux_stop($m), 0, 'SIGTERM: exit status 0');
done_testing();
