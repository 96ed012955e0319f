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

/* "/path" or "unix:/path" or "PORT" or "ADDR:PORT" (IPv4). */
static int
bench_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_un	*sun = (struct sockaddr_un *)ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	const char		*colon;

	memset(ss, 0, sizeof(*ss));
	if (strncmp(spec, "unix:", 5) == 0)
		spec += 5;
	if (spec[0] == '/') {
		sun->sun_family = AF_UNIX;
		snprintf(sun->sun_path, sizeof(sun->sun_path), "%s", spec);
		*len = sizeof(*sun);
		return (0);
	}
	if (strncmp(spec, "inet:", 5) == 0)
		spec += 5;
	sin->sin_family = AF_INET;
	colon = strrchr(spec, ':');
	if (colon == NULL) {
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin->sin_port = htons((uint16_t)atoi(spec));
	} else {
		char	host[64];

		snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return (-1);
		sin->sin_port = htons((uint16_t)atoi(colon + 1));
	}
	*len = sizeof(*sin);
	return (0);
}

#endif
