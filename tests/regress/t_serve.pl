#!/usr/bin/perl
# Requests reach a real -server worker and come back; bad input from
# clients and from workers costs only the offender.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use Time::HiRes qw(time sleep);
use IO::Socket::UNIX;

my $m = mux_start(args => ['-x', '2', '-m', '1', '-c', '2'],
    wait_idle => 1);

is(req($m, 'scan Q1 /tmp'), "ok\n", 'a scan is served');
is(req($m, "relayok 1.2.3.4 host 25 127.0.0.1 25 Q"), "ok\n",
    'relayok is served');
is(req($m, 'multi'), "250-first\n250-second\n250 last\n",
    'a multi-line reply ends at the first line without NNN-');
is(req($m, 'nosuch'), "error: Unknown command\n",
    "an unknown line goes to the worker, which answers it");
is(req($m, "echo crlf\r"), "crlf\n", 'a trailing CR is stripped');

# Over-long request lines.
is(req($m, "x" x 4096), "error: Unknown command\n",
    'a 4096-byte line is accepted');
is(req($m, 'scan ' . ('y' x 4092)), "error: Command too long\n",
    'a 4097-byte line gets error: Command too long');
is(req($m, 'z' x 100000), "error: Command too long\n",
    'a 100 kB line gets the same error');

# A client that sends nothing is closed after -c seconds.
{
	my $s = IO::Socket::UNIX->new(Peer => $m->{sock});
	my $t0 = time;
	my $n = sysread($s, my $buf, 100);
	my $dt = time - $t0;
	ok(defined $n && $n == 0 && $dt >= 1.5 && $dt < 5,
	    sprintf('a silent client is closed after -c (%.1fs)', $dt));
}
is(req($m, 'scan Q2 /tmp'), "ok\n", 'still serving after the silent client');

# Workers that misbehave: reply plus garbage, too much, death.
my $before = worker_pids($m);
is(req($m, 'extra'), "ok\n", 'a reply followed by garbage: the reply');
ok(wait_for(sub { log_count($m, qr/wrote \d+ bytes past its reply/) == 1 },
    5), 'the out-of-step worker is logged and replaced');
is(req($m, 'big 70000'), "ERR Worker reply too long\n",
    'a 70 kB reply line is refused to that client only');
is(req($m, 'die'), "ERR No response from worker\n",
    'a handler dying mid-request: ERR No response from worker');
ok(wait_for(sub { log_count($m, qr/^mux: event U$/m) == 1 }, 5),
    'U is emitted once for the death');
ok(wait_for(sub { req($m, 'scan Q3 /tmp') eq "ok\n" }, 10),
    'a replacement worker serves the next request');
is(log_count($m, qr/event U/), 1, 'garbage and overflow were not U');

# Binary junk with a NUL reaches the worker as it is, costs nothing else.
is(req($m, "echo a\0b"), "a\0b\n", 'NUL bytes pass through');
is(req($m, 'scan Q4 /tmp'), "ok\n", 'and the pool is fine');

diag(log_text($m)) if $ENV{SHOWLOG};
is(mux_stop($m), 0, "SIGTERM: exit status 0");

# A handler that writes while its worker is idle (blocked in accept):
# the stray output never passes for the next client's answer.
$m = mux_start(args => ['-x', '1', '-m', '1'], wait_idle => 1);
is(req($m, 'late'), "ok\n", 'a reply, then output nobody asked for');
sleep(0.8);
my $r = req($m, 'scan Q5 /tmp');
isnt($r, "late\n", 'the stray line is not the next answer');
like($r, qr/^(ok|ERR No response from worker)\n$/,
    "the next client gets ok or a clear error ($r)");
ok(wait_for(sub { log_count($m, qr/handler wrote.* while idle/) == 1 }, 5),
    'the out-of-step handler is logged');
ok(wait_for(sub { req($m, 'scan Q6 /tmp') eq "ok\n" }, 10),
    'its replacement serves');
is(mux_stop($m), 0, "SIGTERM: exit status 0");

# A missing or non-executable program is refused at start-up.
for my $prog ('/nonexistent/worker', "$SRC/README.md") {
	my $out = `"$ENV{MUX}" -D -s /tmp/mux-never.sock -f $prog 2>&1`;
	my $rc = $? >> 8;
	is($rc, 1, "worker program $prog: exit status 1");
	like($out, qr/^mux: worker program \Q$prog\E: /,
	    'with a clear message');
	ok(!-e '/tmp/mux-never.sock', 'and no socket left behind');
}
done_testing();
