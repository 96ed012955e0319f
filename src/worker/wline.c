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
 * The worker side's one line framing.  The master reads lines out of
 * evbuffers (mux/line.c); a worker session keeps fixed buffers and plain
 * read(2), for measured reasons (ws.c), so its readers (the request line,
 * pool replies, status lines, a relayed session's lines) frame them here,
 * over the caller's bytes.  Pure.
 */

#include <string.h>

#include "ws.h"

/*
 * The line that starts at buf, within len bytes: the bytes it spans with
 * its LF, or 0 when its LF has not come.  *seen (may be NULL) carries
 * over how many bytes are known to hold no LF, so a caller that reads a
 * line in pieces looks at each byte once.  *text: the line's length
 * without its LF and a CR before it.
 */
size_t
wl_next(const char *buf, size_t len, size_t *seen, size_t *text)
{
	const char	*nl;
	size_t		 from = seen != NULL && *seen < len ? *seen : 0;

	if ((nl = memchr(buf + from, '\n', len - from)) == NULL) {
		if (seen != NULL)
			*seen = len;
		return (0);
	}
	if (seen != NULL)
		*seen = 0;
	*text = wl_text(buf, (size_t)(nl - buf));
	return ((size_t)(nl - buf) + 1);
}

/* A line's length without a CR at its end (a last line has no LF). */
size_t
wl_text(const char *l, size_t len)
{
	return (len > 0 && l[len - 1] == '\r' ? len - 1 : len);
}
