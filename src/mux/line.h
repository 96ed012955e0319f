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

#ifndef MUX_LINE_H
#define MUX_LINE_H

#include <sys/types.h>

struct evbuffer;

/* line.c: the master's one line reader, over an evbuffer. */
enum line_status {
	LINE_NONE = 0,		/* no whole line yet */
	LINE_OK,		/* a line, without its LF */
	LINE_LONG		/* longer than the limit: refuse it */
};

ssize_t	 line_fill(struct evbuffer *, int, size_t);
int	 line_get(struct evbuffer *, size_t, int, char *, size_t *);

#endif
