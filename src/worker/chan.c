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
 * The control channel between the mux and a worker session: one
 * SOCK_SEQPACKET message per ws_msghdr, an optional request line after
 * it, an optional descriptor passed with SCM_RIGHTS.  Both sides use
 * these two functions, so the framing lives in one place.
 */

#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "ws.h"

union chan_cmsg {
	struct cmsghdr	hdr;
	char		buf[CMSG_SPACE(sizeof(int))];
};

/* Send one message; fd is passed along unless it is -1.  0 or -1. */
int
chan_send(int sock, int type, uint32_t arg, const char *line, size_t len,
    int fd, int flags)
{
	struct ws_msghdr	h;
	struct iovec		iov[2];
	struct msghdr		m;
	union chan_cmsg		cm;
	ssize_t			n;

	memset(&h, 0, sizeof(h));
	h.version = WS_PROTO_VERSION;
	h.type = (uint8_t)type;
	h.len = (uint16_t)len;
	h.arg = arg;
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	iov[1].iov_base = (void *)(uintptr_t)line;
	iov[1].iov_len = len;
	memset(&m, 0, sizeof(m));
	m.msg_iov = iov;
	m.msg_iovlen = len ? 2 : 1;
	if (fd != -1) {
		memset(&cm, 0, sizeof(cm));
		m.msg_control = cm.buf;
		m.msg_controllen = sizeof(cm.buf);
		CMSG_FIRSTHDR(&m)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&m)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&m)->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&m)), &fd, sizeof(int));
	}
	while ((n = sendmsg(sock, &m, flags | MSG_NOSIGNAL)) == -1 &&
	    errno == EINTR)
		;
	return (n == -1 ? -1 : 0);
}

/*
 * Receive one message into h and line (WS_LINE_MAX + 1 bytes, NUL
 * added); a passed descriptor lands in *fd, else -1.  Returns 1, 0 when
 * nothing waits (EAGAIN), -1 at EOF or on a malformed message (its
 * descriptor closed).
 */
int
chan_recv(int sock, struct ws_msghdr *h, char *line, int *fd, int flags)
{
	struct iovec	 iov[2];
	struct msghdr	 m;
	struct cmsghdr	*c;
	union chan_cmsg	 cm;
	ssize_t		 n;

	*fd = -1;
	iov[0].iov_base = h;
	iov[0].iov_len = sizeof(*h);
	iov[1].iov_base = line;
	iov[1].iov_len = WS_LINE_MAX;
	memset(&m, 0, sizeof(m));
	m.msg_iov = iov;
	m.msg_iovlen = 2;
	m.msg_control = cm.buf;
	m.msg_controllen = sizeof(cm.buf);
	while ((n = recvmsg(sock, &m, flags | MSG_CMSG_CLOEXEC)) == -1 &&
	    errno == EINTR)
		;
	if (n == -1)
		return (errno == EAGAIN ? 0 : -1);
	for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	if (n == 0 || (size_t)n < sizeof(*h) ||
	    h->version != WS_PROTO_VERSION || h->len > WS_LINE_MAX ||
	    (size_t)n != sizeof(*h) + h->len) {
		if (*fd != -1)
			close(*fd);
		*fd = -1;
		return (-1);
	}
	line[h->len] = '\0';
	return (1);
}
