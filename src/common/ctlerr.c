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

#include <string.h>

#include "ctlerr.h"

static int
ctlerr_starts(const char *text, size_t len, const char *word)
{
	size_t	n = strlen(word);

	return (len >= n && memcmp(text, word, n) == 0);
}

/* The kind of the len bytes of text after "*ERR ". */
int
ctlerr_kind(const char *text, size_t len)
{
	if (ctlerr_starts(text, len, "access denied"))
		return (CTLERR_DENIED);
	if (ctlerr_starts(text, len, "bad arguments") ||
	    ctlerr_starts(text, len, "unknown command"))
		return (CTLERR_BADARGS);
	if (ctlerr_starts(text, len, "no such"))
		return (CTLERR_NOTFOUND);
	return (CTLERR_OTHER);
}
