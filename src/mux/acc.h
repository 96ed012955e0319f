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
 * acc.c: the one accept loop of the master's listening sockets (the
 * request socket, the service ports, the listener sockets), and the
 * pause of evhttp's (the metrics) when descriptors run out.
 */

#ifndef MUX_ACC_H
#define MUX_ACC_H

#include <sys/socket.h>

struct event_base;
struct evconnlistener;
struct acc;

/*
 * A new connection (non-blocking, close-on-exec) and its peer.  Return 0
 * to go on accepting in this round, -1 to stop it.
 */
typedef int	(*acc_fn)(int, struct sockaddr *, socklen_t, void *);

struct acc	*acc_new(struct event_base *, int, const char *, acc_fn, void *);
struct acc	*acc_wrap(struct event_base *, struct evconnlistener *,
		    const char *);
void		 acc_on(struct acc *, int);
void		 acc_free(struct acc *);

#endif /* MUX_ACC_H */
