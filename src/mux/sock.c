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


/*
 * Socket specs (DESIGN §2): unix:/path, /path, inet:PORT (127.0.0.1),
 * inet:ADDR:PORT, inet_any:PORT, inet6:PORT (::1), inet6:[ADDR]:PORT,
 * inet6_any:PORT.  TCP binds loopback unless told otherwise.
 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mux.h"

static int
sock_port(const char *s, int *port)
{
	char	*end;
	long	 l;

	errno = 0;
	l = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno || l < 1 || l > 65535)
		return (-1);
	*port = (int)l;
	return (0);
}

static int
sock_copy(char *dst, size_t sz, const char *src, size_t n)
{
	if (n == 0 || n >= sz)
		return (-1);
	memcpy(dst, src, n);
	dst[n] = '\0';
	return (0);
}

static int
sock_parse_inet6(const char *rest, struct sock_spec *sp)
{
	const char	*rb;
	struct in6_addr	 a6;

	sp->family = AF_INET6;
	if (*rest != '[') {
		strcpy(sp->addr, "::1");
		return (sock_port(rest, &sp->port));
	}
	if ((rb = strchr(rest, ']')) == NULL || rb[1] != ':')
		return (-1);
	if (sock_copy(sp->addr, sizeof(sp->addr), rest + 1,
	    (size_t)(rb - rest - 1)) == -1 ||
	    inet_pton(AF_INET6, sp->addr, &a6) != 1)
		return (-1);
	return (sock_port(rb + 2, &sp->port));
}

/* Parse a socket spec; pure. */
int
sock_parse(const char *spec, struct sock_spec *sp)
{
	const char	*colon;
	struct in_addr	 a4;

	memset(sp, 0, sizeof(*sp));
	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0)
		spec = strchr(spec, ':') + 1;
	else if (*spec != '/') {
		if (strncmp(spec, "inet6_any:", 10) == 0) {
			sp->family = AF_INET6;
			strcpy(sp->addr, "::");
			return (sock_port(spec + 10, &sp->port));
		}
		if (strncmp(spec, "inet6:", 6) == 0)
			return (sock_parse_inet6(spec + 6, sp));
		sp->family = AF_INET;
		if (strncmp(spec, "inet_any:", 9) == 0) {
			strcpy(sp->addr, "0.0.0.0");
			return (sock_port(spec + 9, &sp->port));
		}
		if (strncmp(spec, "inet:", 5) != 0)
			return (-1);
		spec += 5;
		if ((colon = strrchr(spec, ':')) == NULL) {
			strcpy(sp->addr, "127.0.0.1");
			return (sock_port(spec, &sp->port));
		}
		if (sock_copy(sp->addr, sizeof(sp->addr), spec,
		    (size_t)(colon - spec)) == -1 ||
		    inet_pton(AF_INET, sp->addr, &a4) != 1)
			return (-1);
		return (sock_port(colon + 1, &sp->port));
	}
	sp->family = AF_UNIX;
	if (*spec != '/')
		return (-1);
	return (sock_copy(sp->path, sizeof(sp->path), spec, strlen(spec)));
}

/* A UNIX socket path that answers belongs to a live daemon. */
static int
sock_unix_stale(const struct sockaddr_un *sun)
{
	int	fd, rv;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (0);
	rv = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == -1 &&
	    errno == ECONNREFUSED;
	close(fd);
	return (rv);
}

static int
sock_bind_unix(int fd, const struct sock_spec *sp, int mode, char *err,
    size_t esz)
{
	struct sockaddr_un	sun;
	struct stat		st;
	mode_t			old;
	int			rv;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, sp->path, strlen(sp->path));
	if (lstat(sp->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, esz, "%s exists and is not a socket",
			    sp->path);
			return (-1);
		}
		if (!sock_unix_stale(&sun)) {
			snprintf(err, esz, "%s is in use by a running "
			    "process", sp->path);
			return (-1);
		}
		(void)unlink(sp->path);
	}
	old = umask(0177);
	rv = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rv == -1 || chmod(sp->path, (mode_t)mode) == -1) {
		snprintf(err, esz, "%s: %s", sp->path, strerror(errno));
		return (-1);
	}
	return (0);
}

static int
sock_bind_inet(int fd, const struct sock_spec *sp, char *err, size_t esz)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 len;
	int			 one = 1;

	memset(&ss, 0, sizeof(ss));
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sp->family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)sp->port);
		inet_pton(AF_INET, sp->addr, &sin->sin_addr);
		len = sizeof(*sin);
	} else {
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)sp->port);
		inet_pton(AF_INET6, sp->addr, &sin6->sin6_addr);
		len = sizeof(*sin6);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) == -1) {
		snprintf(err, esz, "%s port %d: %s", sp->addr, sp->port,
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/* Create a non-blocking listening socket; -1 with a message in err. */
int
sock_listen(const struct sock_spec *sp, int mode, int backlog, char *err,
    size_t esz)
{
	int	fd, rv;

	fd = socket(sp->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1) {
		snprintf(err, esz, "socket: %s", strerror(errno));
		return (-1);
	}
	if (sp->family == AF_UNIX)
		rv = sock_bind_unix(fd, sp, mode, err, esz);
	else
		rv = sock_bind_inet(fd, sp, err, esz);
	if (rv == 0 && listen(fd, backlog) == -1) {
		snprintf(err, esz, "listen: %s", strerror(errno));
		rv = -1;
	}
	if (rv == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

void
sock_unlink(const struct sock_spec *sp)
{
	if (sp->family == AF_UNIX && sp->path[0] != '\0')
		(void)unlink(sp->path);
}
