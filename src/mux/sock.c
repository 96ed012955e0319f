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
 * Listening sockets from socket specs (their grammar: sockspec.c): UNIX
 * sockets with tight modes, a stale one replaced but never a live one;
 * TCP with SO_REUSEADDR, IPv6 only for inet6.
 */

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mux.h"

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
	struct sockaddr_storage	ss;
	struct sockaddr_un	*sun = (struct sockaddr_un *)&ss;
	struct stat		st;
	mode_t			old;
	socklen_t		len;
	int			rv;

	len = sock_addr(sp, &ss);
	if (lstat(sp->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, esz, "%s exists and is not a socket",
			    sp->path);
			return (-1);
		}
		if (!sock_unix_stale(sun)) {
			snprintf(err, esz, "%s is in use by a running "
			    "process", sp->path);
			return (-1);
		}
		(void)unlink(sp->path);
	}
	old = umask(0177);
	rv = bind(fd, (struct sockaddr *)&ss, len);
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
	socklen_t		 len;
	int			 one = 1;

	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sp->family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	len = sock_addr(sp, &ss);
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

/* The file a spec makes: a UNIX socket's path, else NULL. */
const char *
sock_file(const struct sock_spec *sp)
{
	return (sp->family == AF_UNIX && sp->path[0] != '\0' ? sp->path :
	    NULL);
}

void
sock_unlink(const struct sock_spec *sp)
{
	if (sock_file(sp) != NULL)
		(void)unlink(sp->path);
}
