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

/* takeover.c: what an upgrade hands over, on both sides. */

#ifndef MUX_TAKEOVER_H
#define MUX_TAKEOVER_H

#include <stddef.h>

struct event_base;

/* The daemon's, read when an upgrade needs them. */
struct takeover {
	struct event_base	*base;
	const char		*exe;		/* our binary */
	char			**argv;		/* our arguments, as given */
	int			 lockfd;
	int			 pidfd;		/* the pid file, kept open */
	int			 min_workers;
	void			(*ready)(void);	/* the new mux's, when ready */
};

void	 takeover_init(const struct takeover *);
int	 takeover_start(char *, size_t);
int	 takeover_handed(void);
void	 takeover_refuse(const char *);
void	 takeover_exit(void);
void	 takeover_resume(void);

#endif /* MUX_TAKEOVER_H */
