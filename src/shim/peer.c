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
 * libmux-peer.so: preloaded into a session's handler when mux relays
 * its stdin/stdout through a UNIX socket pair (MessageEngine on).  An
 * inetd-mode daemon asks that socket for the peer's and its own address
 * and sets TCP and IP options on it; on a UNIX socket the first give
 * AF_UNIX and the others fail, and ProFTPD or vsftpd give up.  Here the
 * relay socket (known by its inode, MUX_RELAY_INO) answers with the
 * client's and the listener's real addresses (tcpserver's TCPREMOTEIP,
 * TCPREMOTEPORT, TCPLOCALIP, TCPLOCALPORT), and options that only make
 * sense on TCP are accepted and ignored.  Every other socket, the data
 * connections a daemon opens among them, is left to the C library.
 *
 * Nothing of mux is linked in: this runs inside someone else's daemon.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static ino_t			 peer_ino;
static struct sockaddr_storage	 peer_remote, peer_local;
static socklen_t		 peer_rlen, peer_llen;

static int (*peer_real_getpeername)(int, struct sockaddr *, socklen_t *);
static int (*peer_real_getsockname)(int, struct sockaddr *, socklen_t *);
static int (*peer_real_setsockopt)(int, int, int, const void *, socklen_t);
static int (*peer_real_getsockopt)(int, int, int, void *, socklen_t *);

/* An address from tcpserver's variables; 0 if they are not usable. */
static socklen_t
peer_addr(struct sockaddr_storage *ss, const char *ip, const char *port)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	long			 p;

	if (ip == NULL || port == NULL || (p = atol(port)) < 0 || p > 65535)
		return (0);
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)p);
		return (sizeof(*sin));
	}
	if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)p);
		return (sizeof(*sin6));
	}
	return (0);
}

__attribute__((constructor))
static void
peer_init(void)
{
	const char	*ino = getenv("MUX_RELAY_INO");

	peer_real_getpeername = dlsym(RTLD_NEXT, "getpeername");
	peer_real_getsockname = dlsym(RTLD_NEXT, "getsockname");
	peer_real_setsockopt = dlsym(RTLD_NEXT, "setsockopt");
	peer_real_getsockopt = dlsym(RTLD_NEXT, "getsockopt");
	peer_rlen = peer_addr(&peer_remote, getenv("TCPREMOTEIP"),
	    getenv("TCPREMOTEPORT"));
	peer_llen = peer_addr(&peer_local, getenv("TCPLOCALIP"),
	    getenv("TCPLOCALPORT"));
	if (ino != NULL && peer_rlen != 0 && peer_llen != 0)
		peer_ino = (ino_t)strtoull(ino, NULL, 10);
	/*
	 * LD_PRELOAD stays: a wrapper (sh -c 'exec daemon') passes it on
	 * with the relay, and a program the daemon runs is only touched
	 * on the relay socket, if it has it.
	 */
}

static int
peer_is_relay(int fd)
{
	struct stat	st;

	return (peer_ino != 0 && fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_ino == peer_ino);
}

static int
peer_copy(const struct sockaddr_storage *ss, socklen_t len,
    struct sockaddr *addr, socklen_t *alen)
{
	if (addr == NULL || alen == NULL) {
		errno = EFAULT;
		return (-1);
	}
	memcpy(addr, ss, *alen < len ? *alen : len);
	*alen = len;
	return (0);
}

int
getpeername(int fd, struct sockaddr *addr, socklen_t *alen)
{
	if (peer_is_relay(fd))
		return (peer_copy(&peer_remote, peer_rlen, addr, alen));
	return (peer_real_getpeername(fd, addr, alen));
}

int
getsockname(int fd, struct sockaddr *addr, socklen_t *alen)
{
	if (peer_is_relay(fd))
		return (peer_copy(&peer_local, peer_llen, addr, alen));
	return (peer_real_getsockname(fd, addr, alen));
}

/* TCP and IP options mean nothing on the relay: accepted, ignored. */
int
setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	int	r;

	if (!peer_is_relay(fd))
		return (peer_real_setsockopt(fd, level, name, val, len));
	if (level != SOL_SOCKET)
		return (0);
	r = peer_real_setsockopt(fd, level, name, val, len);
	if (r == -1 && (errno == EOPNOTSUPP || errno == ENOPROTOOPT))
		r = 0;
	return (r);
}

int
getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	if (!peer_is_relay(fd))
		return (peer_real_getsockopt(fd, level, name, val, len));
	if (level == SOL_SOCKET && name == SO_DOMAIN && val != NULL &&
	    len != NULL && *len >= sizeof(int)) {
		*(int *)val = peer_local.ss_family;
		*len = sizeof(int);
		return (0);
	}
	if (level != SOL_SOCKET) {
		if (val != NULL && len != NULL)
			memset(val, 0, *len);
		return (0);
	}
	return (peer_real_getsockopt(fd, level, name, val, len));
}
