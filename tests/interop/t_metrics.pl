#!/usr/bin/perl
# --metrics (issue 19) against Debian's Prometheus: the text format
# passes "promtool check metrics" (parse and lint), and a real
# Prometheus on loopback scrapes the OpenMetrics exposition it asks for:
# the target is up with no scrape error, and the counters it stores are
# the ones mux counted (requests, a refusal by reason, the latency
# histogram, the build info).  Installs prometheus when missing, without
# starting Debian's own; stops what it starts.
use strict;
use warnings;
use File::Temp qw(tempdir);
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
my $WORKER = "$SRC/tests/regress/worker.pl";

plan skip_all => 'needs root: it installs prometheus' if $> != 0;

my $T = tempdir('mux-metrics-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my @pids;
END { stop_all(@pids) }

my $err = apt_install_quiet("$T/apt.log", 'prometheus');
BAIL_OUT($err) if $err;

sub start { my $pid = spawn(@_); push @pids, $pid; return $pid }

sub http_get {
	my ($url, @hdr) = @_;
	return scalar `curl -s -m 10 @{[map { "-H '$_'" } @hdr]} '$url'`;
}

sub req {
	my ($line) = @_;
	my $s = IO::Socket::UNIX->new(Peer => "$T/mux.sock", Type => SOCK_STREAM)
	    or return '';
	print $s "$line\n";
	local $/;
	return <$s> // '';
}

# mux: 1 worker, no queue, metrics on a loopback port.
my $mport = free_port();
my $mux = start("$T/mux.log", {}, $MUX, '-D', '-s', "$T/mux.sock", '-m', 1,
    '-x', 1, '--metrics', "inet:$mport", '-f', $WORKER);
ok(wait_for(sub { http_get("http://127.0.0.1:$mport/metrics") =~
    /^mux_slots\{state="idle"\} 1$/m }, 15),
    'mux starts, with --metrics inet:PORT: its worker is idle')
    or diag(slurp("$T/mux.log"));
like(req('pid'), qr/^ok /, 'and serves');
req("scan $_") for 1 .. 5;
# One refused: the only worker busy, no queue.
my $kid = fork() // die;
if ($kid == 0) { req('sleep 1.5'); POSIX::_exit(0) }
sleep 0.4;
is(req('scan busy'), "error: No free workers\n", 'a request refused: busy');
waitpid($kid, 0);

my $text = http_get("http://127.0.0.1:$mport/metrics");
spew("$T/metrics.txt", $text);
like($text, qr/^mux_requests_total\{outcome="busy"\} 1$/m,
    'the text format counts the refusal');
like($text, qr/^mux_requests_total\{outcome="served"\} 7$/m,
    'and the 7 requests served');
like($text, qr/^mux_scans_total 5$/m, 'and the 5 scans');
my $lint = `promtool check metrics <$T/metrics.txt 2>&1`;
is($? >> 8, 0, 'promtool check metrics: exit 0');
is($lint, '', 'and nothing to say (no lint problem)');
my $om = http_get("http://127.0.0.1:$mport/metrics",
    'Accept: application/openmetrics-text; version=1.0.0');
like($om, qr/^# TYPE mux_requests counter\n(?:mux_requests_total\{.*\n)+/m,
    'asked for OpenMetrics: a counter family without _total');
like($om, qr/\n# EOF\n\z/, 'ending with # EOF');
is(`curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$mport/`, '404',
    'another path: 404');

# Prometheus, scraping it every second.
my $pport = free_port();
spew("$T/prometheus.yml", <<"EOF");
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: mux
    static_configs:
      - targets: ['127.0.0.1:$mport']
EOF
start("$T/prometheus.log", {}, 'prometheus', "--config.file=$T/prometheus.yml",
    "--storage.tsdb.path=$T/data", "--web.listen-address=127.0.0.1:$pport");
my $api = "http://127.0.0.1:$pport/api/v1";
my $targets = '';
ok(wait_for(sub { $targets = http_get("$api/targets");
    $targets =~ /"health":"up"/ }, 30), 'Prometheus scrapes mux: the target '
    . 'is up') or diag($targets, slurp("$T/prometheus.log"));
like($targets, qr/"lastError":""/, 'with no scrape error (OpenMetrics parsed)');
sub query {
	my ($q) = @_;
	my $r = http_get("$api/query?query=$q");
	return $r =~ /"value":\[[\d.]+,"([^"]+)"\]/ ? $1 : "none: $r";
}
my $busy;
ok(wait_for(sub { ($busy = query('mux_requests_total%7Boutcome%3D%22busy%22%7D'))
    eq '1' }, 10), "Prometheus has mux_requests_total{outcome=\"busy\"} 1 "
    . "($busy)");
is(query('mux_scans_total'), '5', 'and mux_scans_total 5');
is(query('mux_request_duration_seconds_count'), '7',
    'the latency histogram counted the 7 requests a worker served');
like(http_get("$api/query?query=mux_build_info"), qr/"version":"[\d.]+"/,
    'mux_build_info has the version');
# Only OpenMetrics has the info type: the scrape was OpenMetrics.
like(http_get("$api/metadata?metric=mux_build"), qr/"type":"info"/,
    'Prometheus took mux_build as an info family: it parsed OpenMetrics');
done_testing();
