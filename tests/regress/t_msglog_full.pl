#!/usr/bin/perl
# MessageLog on a full disk (issue 17, item 5): a record goes in whole
# or not at all, so the next one never joins a cut one; one warning
# when writing starts to fail, with the real cause, and one when it
# works again, with the count of records lost.  The disk is a 16 kB
# tmpfs this test mounts and unmounts.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use File::Temp qw(tempdir);

my $MUXCTL = $ENV{MUXCTL} // "$SRC/build/muxctl";
my $dir = tempdir('mux-full-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod(0755, $dir);
small_disk($dir);

my $log = "$dir/disk/msg.log";
my $m = mux_start(args => ['-x', '1', '-m', '1', '-O', "$dir/ctl.sock",
    '--config', write_file("$dir/c.conf", "MessageEngine on\n"
    . "MessageQueue $dir/queue\nMessageLog $log\n")], wait_idle => 1);
sub msg { `"$MUXCTL" -s $dir/ctl.sock msg all "$_[0]" 2>&1` }

msg('before');
like(read_file($log), qr/msg all "before"/, 'a record is written');
# tmpfs gives whole 4 kB pages: pad the log's page to 150 bytes short of
# full, then fill every other page, so one record of about 100 bytes
# fits, the next fits in part, and none after.
open(my $lf, '>>', $log) or die;
print $lf '#' x (4096 - 150 - (-s $log) - 1), "\n";
close($lf);
open(my $f, '>', "$dir/disk/filler") or die;
1 while syswrite($f, 'x' x 4096);
1 while syswrite($f, 'x');
close($f);
msg("full $_ " . ('y' x 40)) for 1 .. 20;
my $text = read_file($log);
unlike($text, qr/[^\n]\z/, 'the log still ends with a whole line');

my @w = log_text($m) =~ /^mux: MessageLog: write: (.*)$/mg;
is(scalar(@w), 1, 'one warning for the outage, not one per record');
like($w[0] // '', qr/^No space left on device; records are lost/,
    'naming the real cause');
my $kept = () = $text =~ /msg all "full/g;

unlink("$dir/disk/filler") or die;
msg('after');
like(read_file($log), qr/msg all "after": [^\n]*\n\z/, 'writing works again');
my @bad = grep { !/^#+$/ && !/^\S+ uid=\d+ msg all "[^"]*": no such client connected$/ }
    split /\n/, read_file($log);
is(scalar(@bad), 0, 'every line is a whole record: none cut, none joined')
    or diag(join("\n", @bad));
my ($lost) = log_text($m) =~ /MessageLog: writing again; (\d+) records lost/;
is($lost, 20 - $kept, "and says how many were lost ($kept of 20 kept)");
is(mux_stop($m), 0, 'clean stop');
done_testing();
