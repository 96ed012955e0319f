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

/* socks.c: the daemon's listening sockets, made or inherited. */

#ifndef MUX_SOCKS_H
#define MUX_SOCKS_H

#include <sys/types.h>

#include "sockspec.h"

struct conf;

struct socks {
	int			 sfd;		/* -s, or -1 */
	int			 ufd;		/* -a, or -1 */
	int			 mfd;		/* -N, or -1 */
	int			 xfd;		/* --metrics, or -1 */
	int			 gfd;		/* --agent, or -1 */
	int			*nfd;		/* -O, conf's nnotify */
	int			*lfd;		/* --listen, conf's nlisten */
	struct sock_spec	*lspec;
};

int	 socks_open(const struct conf *, uid_t, gid_t, int (*)(const char *),
	    struct socks *);
void	 socks_unlink(void);
void	 socks_cleanup(void);
void	 socks_give(int (*)(const char *, int));

#endif /* MUX_SOCKS_H */
