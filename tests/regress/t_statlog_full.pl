#!/usr/bin/perl
# The statistics file (-t) on a full disk, as MessageLog (t_msglog_full):
# whole records only, buffered or not (-u), one warning when writing
# starts to fail and one when it works again with the count of records
# lost.  Before, stdio cut records mid-line on a full disk and nothing
# was said.  The disk is a 16 kB tmpfs this test mounts and unmounts.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use File::Temp qw(tempdir);

my $dir = tempdir('mux-sfull-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod(0755, $dir);
small_disk($dir);

my $rec = qr{^\d\d/\d\d/\d{4}:\d\d:\d\d:\d\d \d+\.\d{3} (StartWorker|KillWorker|ReapWorker|StartFilter) worker=\d+ nworkers=\d+ nbusy=\d+( \S.*)?$};

for my $flush (0, 1) {
	my $what = $flush ? '-u' : 'buffered';
	my $stats = "$dir/disk/stats.$flush";
	# Most of the disk taken; what is left fills within the run.
	system('dd', 'if=/dev/zero', "of=$dir/disk/filler", 'bs=4096',
	    'count=2', 'status=none');
	my $m = mux_start(args => ['-x', 2, '-m', 1, '-t', $stats,
	    $flush ? ('-u') : ()], wait_idle => 1);
	my $ok = 0;
	$ok += req($m, 'scan Q /tmp') eq "ok\n" for 1 .. 400;
	is($ok, 400, "$what: 400 requests served, the disk full or not");
	my $log = log_text($m);
	is(scalar(() = $log =~ /statistics file: write: No space left on device; records are lost until it works again/g),
	    1, "$what: one warning for the outage") or diag($log);
	unlink("$dir/disk/filler");
	$ok += req($m, 'scan Q /tmp') eq "ok\n" for 1 .. 60;
	is(mux_stop($m), 0, "$what: clean stop");
	like(log_text($m), qr/statistics file: writing again; \d+ records lost/,
	    "$what: one when it works again, with the count");
	my @bad = grep { !/$rec/ } split /\n/, read_file($stats);
	is(scalar(@bad), 0, "$what: every line a whole record")
	    or diag(join("\n", @bad[0 .. ($#bad < 3 ? $#bad : 3)]));
	like(read_file($stats), qr/\n\z/, "$what: the file ends with one");
	unlink($stats);
}
done_testing();
