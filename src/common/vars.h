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
 * Variable blocks: NAME=VALUE entries, each ended by a NUL, len bytes in
 * all.  A session's environment travels in one (svc.c and intake.c build
 * it, the worker session reads it into the handler's environment); this
 * is the one codec.  Reading never passes len, whatever the bytes.
 */

#ifndef MUX_VARS_H
#define MUX_VARS_H

#include <stddef.h>

struct vars_ent {
	const char	*name;		/* the entry: NAME=VALUE, NUL-ended */
	size_t		 nlen;
	const char	*value;
};

int	 vars_next(const char *, size_t, size_t *, struct vars_ent *);
const char *vars_get(const char *, size_t, const char *);
int	 vars_put(char *, size_t, size_t *, const char *, size_t,
	    const char *);
int	 vars_putf(char *, size_t, size_t *, const char *, const char *, ...)
	    __attribute__((format(printf, 5, 6)));
const char *vars_find(char *const *, int, const char *);

#endif /* MUX_VARS_H */
