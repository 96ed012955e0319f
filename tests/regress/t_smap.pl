#!/usr/bin/perl
# -N, the socketmap server: netstring lookups become "map NAME KEY" for a
# worker and its answer comes back, as mimedefang-multiplexor serves
# Sendmail's and Postfix's socketmap clients; bad input costs only its
# own connection.
use strict;
use warnings;
use FindBin;
use lib $FindBin::Bin;
use MuxTest;
use Test::More;
use IO::Socket::UNIX;
use Time::HiRes qw(time sleep);

use File::Temp ();
my $dir = File::Temp::tempdir('mux-smap-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $map = "$dir/map.sock";
my $m = mux_start(args => ['-x', 1, '-m', 1, '-N', $map], wait_idle => 1);
ok(-S $map, 'the socketmap socket exists');
is(sprintf('%o', (stat($map))[2] & 07777), '700', 'mode 0700, as the request socket');

# Send bytes, optionally shut our side, read everything until EOF or t.
sub talk {
	my ($bytes, %o) = @_;
	my $s = IO::Socket::UNIX->new(Peer => $map) or return "CONNECT: $!";
	print $s $bytes;
	$s->shutdown(1) if $o{half};
	$s->blocking(0);
	my ($out, $end) = ('', time + ($o{t} // 3));
	while (time < $end) {
		my $n = sysread($s, my $b, 65536);
		last if defined $n && $n == 0;
		$out .= $b if $n;
		last if $o{want} && length($out) >= $o{want};
		sleep 0.02;
	}
	return $out;
}
sub ns { my ($t) = @_; return length($t) . ":$t," }

is(talk(ns('mux alice'), want => length(ns('OK mapped [alice] in mux'))),
    ns('OK mapped [alice] in mux'), 'a lookup, answered as a netstring');
is(talk(ns('virtual two words'), want => 37),
    ns('OK mapped [two words] in virtual'), 'a key with a blank');
is(talk(ns("mux caf\xc3\xa9 %"), want => 30),
    ns("OK mapped [caf\xc3\xa9 %] in mux"), '8-bit bytes and % both ways');
is(talk(ns('mux missing'), want => 11), ns('NOTFOUND'), 'NOTFOUND');
is(talk(ns('mux a') . ns('mux b') . ns('nokey') . ns('mux c'), half => 1),
    ns('OK mapped [a] in mux') . ns('OK mapped [b] in mux')
    . ns('PERM Bad request') . ns('OK mapped [c] in mux'),
    'pipelined and half-closed: all answered in order, then closed');
is(talk('5:mux a;', half => 1), ns('PERM Bad netstring'),
    'a missing comma: PERM, closed');
is(talk('99999:x', half => 1), ns('PERM Bad netstring'),
    'a length over the bound: PERM, at once');
is(talk('9:mux', half => 1), ns('PERM Incomplete netstring'),
    'cut short: PERM');
is(talk("\x00\xff junk", half => 1), ns('PERM Bad netstring'),
    'binary junk: PERM');
# A slow flood of bad connections does not disturb a lookup.
talk('x:', half => 1) for 1 .. 50;
is(talk(ns('mux after'), want => 25), ns('OK mapped [after] in mux'),
    'after 50 bad clients, lookups are served');
# The one worker busy: TEMP, as the real one's "TEMP No free workers".
my $bg = bg_req($m, 'sleep 1');
sleep 0.3;
is(talk(ns('mux busy'), want => 10), ns('TEMP No free workers'),
    'no free worker: TEMP No free workers');
bg_wait($bg);
like(log_text($m), qr/socketmap: PERM Bad netstring/, 'bad ones are logged');
is(mux_stop($m), 0, 'clean stop');
ok(!-e $map, 'the socket is removed at exit');
done_testing();
