#!/usr/bin/perl
# --config: one directive per option, flags win, clear errors, and a
# reread picks up the changed file.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use File::Temp qw(tempdir);

my $d = tempdir(CLEANUP => 1);
sub write_conf {
	my ($text) = @_;
	open(my $fh, '>', "$d/mux.conf") or die;
	print $fh $text;
	close($fh);
}
write_conf(<<"EOC");
# mux.conf for the test
MaxWorkers 3
MinWorkers 2     # two at start
WorkerDelay 1
QueueSize 7
Program $WORKER
EOC
my $m = mux_start(args => ['--config', "$d/mux.conf", '-q', '4'],
    wait_idle => 2);
like(mux_status($m)->{raw}, qr/^IIS \d+ \d+ 4 0 \d+$/,
    'MaxWorkers 3, MinWorkers 2 from the file; -q 4 wins over QueueSize 7');
is(req($m, 'scan Q /tmp'), "ok\n", 'Program from the file serves');

# Reread: the new Command is used by the new workers.
write_conf(<<"EOC");
MaxWorkers 3
MinWorkers 2
WorkerDelay 1
Command $WORKER --flag-for-test -server
EOC
kill 'INT', $m->{pid};
ok(wait_for(sub { mux_status($m)->{states} =~ /^(?:.*I){2}/ &&
    `ps -o args= -p @{[ join(',', values %{worker_pids($m)}) ]} 2>/dev/null` ne ''
    && `pgrep -f -- --flag-for-test` ne '' }, 10),
    'after a reread the handlers run the new Command');
unlike(log_text($m), qr/change only on restart/,
    'nothing that needs a restart changed: no warning');

# conf.c's table says what a reread takes: MinWorkers at once; a new
# MaxWorkers or ListenBacklog only on restart, and the warning names them.
write_conf(<<"EOC");
MaxWorkers 5
MinWorkers 3
WorkerDelay 1
ListenBacklog 77
Command $WORKER --flag-for-test -server
EOC
kill 'INT', $m->{pid};
ok(wait_for(sub { log_text($m) =~ /reread: MaxWorkers, ListenBacklog change only on restart/ }, 5),
    'a reread names the directives that need a restart')
    or diag(log_text($m));
ok(wait_for(sub { mux_status($m)->{raw} =~ /^III / }, 10),
    'and takes MinWorkers 3 at once, with 3 slots still');

# A broken file on reread keeps the old configuration.
write_conf("MaxWorkers lots\n");
kill 'INT', $m->{pid};
ok(wait_for(sub { log_text($m) =~ /reread: .*MaxWorkers: "lots" is not a number; keeping the old configuration/ }, 5),
    'a broken file on reread is reported and ignored');
is(req($m, 'scan Q /tmp'), "ok\n", 'still serving');
is(mux_stop($m), 0, 'clean stop');

# Errors at start-up: exit status 1 and one clear line.
my %bad = (
    "Bogus 1\n" => qr/line 1: unknown directive "Bogus"/,
    "MaxWorkers 0\n" => qr/line 1: MaxWorkers: 0 is out of range \(1 to 4096\)/,
    "Foreground maybe\n" => qr/line 1: Foreground: expected on or off/,
    "\n\nMaxWorkers 2 3\n" => qr/line 3: MaxWorkers takes one argument/,
    "Command \"unbalanced\n" => qr/line 1: unbalanced quote/,
);
for my $text (sort keys %bad) {
	write_conf($text);
	my $out = `"$ENV{MUX}" -D --config $d/mux.conf -f $WORKER -s $d/x.sock 2>&1`;
	is($? >> 8, 1, 'bad file: exit status 1');
	chomp(my $o = $out);
	like($out, qr/^mux: \Q$d\E\/mux.conf: $bad{$text}/, "and says so: $o");
}
my $out = `"$ENV{MUX}" -D --config $d/none.conf 2>&1`;
is($? >> 8, 1, 'a missing file: exit status 1');
like($out, qr/none.conf: No such file or directory/, 'and says so');
$out = `"$ENV{MUX}" -x 0 2>&1`;
like($out, qr/^mux: MaxWorkers: 0 is out of range/, '-x 0 is refused');
# -d is a flag, as mimedefang-multiplexor's: repeated, it counts.
$out = `"$ENV{MUX}" -dddd -d -x 0 2>&1`;
like($out, qr/^mux: MaxWorkers: 0 is out of range/,
    '-d takes no argument and counts up to its bound');
$out = `"$ENV{MUX}" -k 2>&1`;
is($? >> 8, 1, 'an unknown option: exit status 1');
like($out, qr/bad or incomplete option -k.*usage: mux/s, 'with the usage');
$out = `"$ENV{MUX}" --version 2>&1`;
like($out, qr/^mux \d+\.\d+\.\d+$/, '--version');
done_testing();
