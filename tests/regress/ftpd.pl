#!/usr/bin/perl
# A small FTP server for exec mode (mux --listen ... --exec), tcpserver
# style: the control connection is stdin/stdout.  It serves the files of
# FTPD_ROOT (read-only) to any USER/PASS, and names the user to mux on
# fd 3 ("user NAME"), as a real FTP daemon would after login.  Enough of
# RFC 959/2428 for curl: USER PASS SYST PWD CWD TYPE FEAT EPSV PASV SIZE
# RETR LIST NLST NOOP QUIT.
use strict;
use warnings;
use IO::Socket::INET;
use IO::Handle;
use Socket qw(sockaddr_family AF_UNIX);
use Time::HiRes qw(sleep);

my $root = $ENV{FTPD_ROOT} // '/nonexistent';
my $status;
open($status, '>&=', 3) and $status->autoflush(1);
STDOUT->autoflush(1);
binmode STDIN;
binmode STDOUT;

my ($user, $logged, $pasv);

sub reply { print STDOUT join('', map { "$_\r\n" } @_) }

sub data_conn {
	return undef unless $pasv;
	my $c = $pasv->accept;
	close $pasv;
	undef $pasv;
	return $c;
}

sub file_of {
	my ($name) = @_;
	$name =~ s{^/+}{};
	return undef if $name =~ m{(^|/)\.\.(/|$)};
	my $p = "$root/$name";
	return -f $p ? $p : undef;
}

sub open_pasv {
	close $pasv if $pasv;
	$pasv = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
	    Listen => 1, Proto => 'tcp', ReuseAddr => 1) or return undef;
	return $pasv->sockport;
}

# "via inet": the client's own socket was handed to us, or mux relays
# (MessageEngine on) and libmux-peer.so makes the relay look like it;
# "via unix": the relay's socket pair as it is (RelayAddresses off).
my $name = getsockname(STDIN);
my $via = !defined($name) ? 'pipe' :
    sockaddr_family($name) == AF_UNIX ? 'unix' : 'inet';
reply("220 ftpd.pl ready for $ENV{TCPREMOTEIP}:$ENV{TCPREMOTEPORT} "
    . "via $via class $ENV{MUX_CLASS}");
while (defined(my $line = <STDIN>)) {
	$line =~ s/\r?\n\z//;
	my ($verb, $arg) = split / /, $line, 2;
	$verb = uc($verb // '');
	$arg //= '';
	if ($verb eq 'USER') {
		$user = $arg;
		reply("331 Password required for $user");
	} elsif ($verb eq 'PASS') {
		$logged = 1;
		print $status "user $user\n" if $status && defined $user;
		# Time for a test to send a message during the login.
		sleep($ENV{FTPD_LOGIN_DELAY}) if $ENV{FTPD_LOGIN_DELAY};
		reply("230 User $user logged in");
	} elsif ($verb eq 'QUIT') {
		reply('221 Goodbye.');
		last;
	} elsif ($verb eq 'NOOP') {
		reply('200 NOOP command successful');
	} elsif (!$logged) {
		reply('530 Please login with USER and PASS');
	} elsif ($verb eq 'SYST') {
		reply('215 UNIX Type: L8');
	} elsif ($verb eq 'FEAT') {
		reply('211-Features:', ' EPSV', ' PASV', ' SIZE', '211 End');
	} elsif ($verb eq 'PWD') {
		reply('257 "/" is the current directory');
	} elsif ($verb eq 'CWD') {
		reply('250 CWD command successful');
	} elsif ($verb eq 'TYPE') {
		reply("200 Type set to $arg");
	} elsif ($verb eq 'EPSV') {
		my $port = open_pasv();
		reply($port ? "229 Entering Extended Passive Mode (|||$port|)"
		    : '425 Cannot open data connection');
	} elsif ($verb eq 'PASV') {
		my $port = open_pasv();
		reply($port ? sprintf('227 Entering Passive Mode '
		    . '(127,0,0,1,%d,%d).', $port >> 8, $port & 255)
		    : '425 Cannot open data connection');
	} elsif ($verb eq 'SIZE') {
		my $p = file_of($arg);
		reply($p ? '213 ' . (-s $p) : "550 $arg: No such file");
	} elsif ($verb eq 'RETR' || $verb eq 'LIST' || $verb eq 'NLST') {
		my @files;
		my $p;
		if ($verb eq 'RETR') {
			$p = file_of($arg);
			unless ($p) {
				reply("550 $arg: No such file");
				next;
			}
		} else {
			opendir(my $d, $root);
			@files = sort grep { -f "$root/$_" } readdir($d);
		}
		reply('150 Opening data connection');
		my $c = data_conn();
		unless ($c) {
			reply("425 Can't open data connection");
			next;
		}
		if ($p) {
			open(my $f, '<', $p);
			binmode $f;
			local $/;
			print $c scalar(<$f>);
		} else {
			print $c map { "$_\r\n" } @files;
		}
		close $c;
		reply('226 Transfer complete');
	} else {
		reply("500 $verb not understood");
	}
}
exit 0;
