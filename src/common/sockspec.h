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
 * Socket specs, the one grammar of every socket mux, muxctl and the
 * benchmarks name (mux(8)):
 *   unix:PATH, local:PATH, /PATH, or any PATH with a slash in it;
 *   inet:PORT (127.0.0.1), inet:ADDR:PORT, inet_any:PORT;
 *   inet6:PORT (::1), inet6:[ADDR]:PORT, inet6_any:PORT.
 * TCP means loopback unless told otherwise.  Pure, below both sides.
 */

#ifndef MUX_SOCKSPEC_H
#define MUX_SOCKSPEC_H

#include <sys/socket.h>

#include <stddef.h>

struct sock_spec {
	int		 family;	/* AF_UNIX, AF_INET, AF_INET6 */
	char		 path[108];
	char		 addr[64];
	int		 port;
};

int	 sock_parse(const char *, struct sock_spec *, char *, size_t);
int	 sock_parse_client(const char *, struct sock_spec *, char *, size_t);
int	 sock_absolute(struct sock_spec *, const char *);
socklen_t sock_addr(const struct sock_spec *, struct sockaddr_storage *);

#endif
