#!/usr/bin/perl -w
# The listener of mimedefang-notify(7), as shared/seeds/mimedefang-notify.txt
# prints it: the closing braces the page lost restored, the call of main()
# added, its iptables commands printed instead of run, and PeerAddr ''
# (which today's IO::Socket::INET refuses: "Bad hostname ''") given as
# '0.0.0.0', the local host it meant.
# On Linux, prepare to use this script like this:
#     /sbin/iptables -N smtp_connect
#     /sbin/iptables -A INPUT --proto tcp --dport 25 --syn -j smtp_connect
# Then run the script as root.

use IO::Socket::INET;

sub no_free_workers {
    print STDERR "No free workers!\n";
    print "/sbin/iptables -A smtp_connect -j REJECT\n";
}

sub some_free_workers {
    print STDERR "Some free workers.\n";
    print "/sbin/iptables -F smtp_connect\n";
}

sub main {
    my $sock;

    $sock = IO::Socket::INET->new(PeerAddr => '0.0.0.0',
                                  PeerPort => '4567',
                                  Proto => 'tcp');
    # We are only interested in Y and Z messages
    print $sock "?YZ\n";
    while(<$sock>) {
        if (/^Z/) {
            no_free_workers();
        }
        if (/^Y/) {
            some_free_workers();
        }
    }

    # EOF from multiplexor?? Better undo firewalling
    print "/sbin/iptables -F smtp_connect\n";
}

main();
