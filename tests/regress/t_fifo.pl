#!/usr/bin/perl
# A FIFO where MessageLog or MessageQueue should be must not freeze the
# mux: at start it is refused at once, and on a reread (which opens the
# log as the -U user, whom every handler runs as) the old log is kept
# and the mux keeps answering.  Before the fix each open(2) blocked.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use File::Temp qw(tempdir);
use POSIX ();
use Time::HiRes qw(sleep time);

my $MUX = $ENV{MUX} // "$SRC/build/mux";
my $dir = tempdir('mux-fifo-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod(0755, $dir);

# A start that must give up at once: (exit status, output, seconds).
sub start_bounded {
	my ($conf) = @_;
	my $t0 = time;
	my $out = `timeout 10 "$MUX" -D -s $dir/never.sock -f $WORKER --config $conf 2>&1`;
	return ($? >> 8, $out, time - $t0);
}

POSIX::mkfifo("$dir/log.fifo", 0644) or die "mkfifo: $!";
my ($rc, $out, $secs) = start_bounded(write_file("$dir/a.conf",
    "MessageLog $dir/log.fifo\n"));
is($rc, 1, 'a FIFO as MessageLog: exit status 1');
like($out, qr/MessageLog \S+log\.fifo: not a regular file/, "said: $out");
ok($secs < 5, sprintf('at once (%.1f s), not blocked in open', $secs));

POSIX::mkfifo("$dir/q.fifo", 0644) or die "mkfifo: $!";
($rc, $out, $secs) = start_bounded(write_file("$dir/b.conf",
    "MessageEngine on\nMessageQueue $dir/q.fifo\n"));
is($rc, 1, 'a FIFO as MessageQueue: exit status 1');
like($out, qr/MessageQueue \S+q\.fifo: not a regular file/, "said: $out");
ok($secs < 5, sprintf('at once (%.1f s)', $secs));
ok(!-e "$dir/never.sock", 'no socket left behind');

# A reread after a FIFO took the log's place.
my $log = "$dir/msg.log";
write_file($log, '');
my $m = mux_start(args => ['-x', '1', '-m', '1', '--config',
    write_file("$dir/c.conf", "MessageLog $log\n")], wait_idle => 1);
unlink($log) or die;
POSIX::mkfifo($log, 0644) or die "mkfifo: $!";
kill 'HUP', $m->{pid};
ok(wait_for(sub { log_text($m) =~
    /reread: MessageLog \S+: not a regular file; logging to the old MessageLog/ },
    5), 'the reread keeps the old MessageLog');
my $t0 = time;
like(MuxTest::ureq($m, 'status'), qr/^[IBKS]+ /, 'and the mux still answers');
ok(time - $t0 < 3, sprintf('within %.1f s', time - $t0));
is(mux_stop($m, 10), 0, 'clean stop');
done_testing();
