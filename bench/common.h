/* Shared by the benchmark programs: parse a socket argument. */
#ifndef MUX_BENCH_COMMON_H
#define MUX_BENCH_COMMON_H

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockspec.h"

/* The mux's socket grammar (sockspec.c), and PORT or ADDR:PORT alone. */
static int
bench_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sock_spec	sp;
	char			err[256];

	if (sock_parse_client(spec, &sp, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return (-1);
	}
	*len = sock_addr(&sp, ss);
	return (0);
}

#endif
