/*
 * Copyright (c) 2026 The mux authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */


/* Socket specs: the grammar sockspec.h states, and their addresses. */

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockspec.h"

#define SOCK_FORMS	"unix:PATH, /PATH, inet:PORT, inet:ADDR:PORT, " \
			"inet_any:PORT, inet6:PORT, inet6:[ADDR]:PORT or " \
			"inet6_any:PORT"

static int
sock_fail(char *err, size_t esz, const char *fmt, const char *what)
{
	if (err != NULL && esz > 0)
		snprintf(err, esz, fmt, what);
	return (-1);
}

static int
sock_port(const char *s, struct sock_spec *sp, char *err, size_t esz)
{
	char	*end;
	long	 l;

	errno = 0;
	l = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno || l < 1 || l > 65535)
		return (sock_fail(err, esz, "bad port \"%s\": 1 to 65535", s));
	sp->port = (int)l;
	return (0);
}

/* The address before the port's colon, checked as family af. */
static int
sock_host(const char *s, size_t n, int af, struct sock_spec *sp, char *err,
    size_t esz)
{
	struct in6_addr	a;

	if (n == 0 || n >= sizeof(sp->addr))
		return (sock_fail(err, esz, "bad address in \"%s\"", s));
	memcpy(sp->addr, s, n);
	sp->addr[n] = '\0';
	if (inet_pton(af, sp->addr, &a) != 1)
		return (sock_fail(err, esz, af == AF_INET ? "bad IPv4 address "
		    "\"%s\"" : "bad IPv6 address \"%s\"", sp->addr));
	return (0);
}

/* After "inet:": PORT or ADDR:PORT. */
static int
sock_inet(const char *s, struct sock_spec *sp, char *err, size_t esz)
{
	const char	*colon;

	sp->family = AF_INET;
	if ((colon = strrchr(s, ':')) == NULL) {
		strcpy(sp->addr, "127.0.0.1");
		return (sock_port(s, sp, err, esz));
	}
	if (sock_host(s, (size_t)(colon - s), AF_INET, sp, err, esz) == -1)
		return (-1);
	return (sock_port(colon + 1, sp, err, esz));
}

/* After "inet6:": PORT or [ADDR]:PORT. */
static int
sock_inet6(const char *s, struct sock_spec *sp, char *err, size_t esz)
{
	const char	*rb;

	sp->family = AF_INET6;
	if (*s != '[') {
		strcpy(sp->addr, "::1");
		return (sock_port(s, sp, err, esz));
	}
	if ((rb = strchr(s, ']')) == NULL || rb[1] != ':')
		return (sock_fail(err, esz, "bad IPv6 spec \"%s\": "
		    "[ADDR]:PORT", s));
	if (sock_host(s + 1, (size_t)(rb - s - 1), AF_INET6, sp, err,
	    esz) == -1)
		return (-1);
	return (sock_port(rb + 2, sp, err, esz));
}

static int
sock_unix(const char *s, struct sock_spec *sp, char *err, size_t esz)
{
	size_t	n = strlen(s);

	sp->family = AF_UNIX;
	if (n == 0)
		return (sock_fail(err, esz, "%s", "empty socket path"));
	if (n >= sizeof(sp->path))
		return (sock_fail(err, esz, "socket path too long (at most "
		    "107 bytes): %s", s));
	memcpy(sp->path, s, n + 1);
	return (0);
}

/* Parse a socket spec; -1 with the reason in err (if not NULL). */
int
sock_parse(const char *spec, struct sock_spec *sp, char *err, size_t esz)
{
	memset(sp, 0, sizeof(*sp));
	if (strncmp(spec, "unix:", 5) == 0)
		return (sock_unix(spec + 5, sp, err, esz));
	if (strncmp(spec, "local:", 6) == 0)
		return (sock_unix(spec + 6, sp, err, esz));
	if (strncmp(spec, "inet:", 5) == 0)
		return (sock_inet(spec + 5, sp, err, esz));
	if (strncmp(spec, "inet_any:", 9) == 0) {
		sp->family = AF_INET;
		strcpy(sp->addr, "0.0.0.0");
		return (sock_port(spec + 9, sp, err, esz));
	}
	if (strncmp(spec, "inet6:", 6) == 0)
		return (sock_inet6(spec + 6, sp, err, esz));
	if (strncmp(spec, "inet6_any:", 10) == 0) {
		sp->family = AF_INET6;
		strcpy(sp->addr, "::");
		return (sock_port(spec + 10, sp, err, esz));
	}
	if (strchr(spec, '/') != NULL)
		return (sock_unix(spec, sp, err, esz));
	return (sock_fail(err, esz, "unknown socket spec \"%s\": "
	    SOCK_FORMS, spec));
}

/*
 * A client's spec (muxctl, the benchmarks): also PORT and ADDR:PORT
 * alone, as after "inet:". Only a digit starts them, so that a typo
 * such as "tcp:25" is reported as an unknown spec.
 */
int
sock_parse_client(const char *spec, struct sock_spec *sp, char *err,
    size_t esz)
{
	if (*spec >= '0' && *spec <= '9' && strchr(spec, '/') == NULL) {
		memset(sp, 0, sizeof(*sp));
		return (sock_inet(spec, sp, err, esz));
	}
	return (sock_parse(spec, sp, err, esz));
}

/*
 * A relative UNIX path made absolute against dir, so that a daemon that
 * changes directory later still unlinks what it bound.
 */
int
sock_absolute(struct sock_spec *sp, const char *dir)
{
	char	buf[sizeof(sp->path)];
	int	n;

	if (sp->family != AF_UNIX || sp->path[0] == '/')
		return (0);
	n = snprintf(buf, sizeof(buf), "%s/%s", dir, sp->path);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return (-1);
	memcpy(sp->path, buf, (size_t)n + 1);
	return (0);
}

/* The address to bind or connect to; its length. */
socklen_t
sock_addr(const struct sock_spec *sp, struct sockaddr_storage *ss)
{
	struct sockaddr_un	*sun = (struct sockaddr_un *)ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	switch (sp->family) {
	case AF_UNIX:
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, sp->path, strlen(sp->path));
		return (sizeof(*sun));
	case AF_INET:
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)sp->port);
		(void)inet_pton(AF_INET, sp->addr, &sin->sin_addr);
		return (sizeof(*sin));
	default:
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)sp->port);
		(void)inet_pton(AF_INET6, sp->addr, &sin6->sin6_addr);
		return (sizeof(*sin6));
	}
}
