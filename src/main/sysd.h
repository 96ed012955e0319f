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

/* sysd.c: what systemd hands mux and what mux tells it. */

#ifndef MUX_SYSD_H
#define MUX_SYSD_H

#include <sys/types.h>

struct event_base;
struct sock_spec;

int	 sysd_sockets(void);
int	 sysd_take(const struct sock_spec *, const char *);
void	 sysd_sockets_done(void);

void	 sysd_init(struct event_base *, int, int);
void	 sysd_main(void);
void	 sysd_mainpid(pid_t);
void	 sysd_reloading(void);
void	 sysd_reloaded(void);
void	 sysd_stopping(void);
void	 sysd_events(void);

#endif /* MUX_SYSD_H */
