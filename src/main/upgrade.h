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

/* upgrade.c: a new mux binary takes over from the running one. */

#ifndef MUX_UPGRADE_H
#define MUX_UPGRADE_H

#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#define UPGRADE_ENV	"MUX_UPGRADE_FD"
#define UPGRADE_NAME_MAX 256

/* The old master's side. */
struct upgrade_ops {
	/* Hand every socket, the lock and the helper: upgrade_give each. */
	void	(*give)(void);
	/* The new mux is ready: hand the listeners, then upgrade_finish. */
	void	(*handoff)(void);
	/* It failed: carry on as before. */
	void	(*failed)(const char *);
};

int	 upgrade_start(struct event_base *, const char *, char **,
	    const struct upgrade_ops *, char *, size_t);
int	 upgrade_give(const char *, int);
void	 upgrade_finish(void);
pid_t	 upgrade_pid(void);

/* The new master's side. */
int	 upgrade_inherit(char *, size_t);
int	 upgrade_take(const char *);
int	 upgrade_value(const char *, uint32_t *);
void	 upgrade_ready(struct event_base *,
	    void (*)(const char *, int));

#endif /* MUX_UPGRADE_H */
