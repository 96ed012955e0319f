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
 * Reply framing of pool handlers (MIMEDefang contract): a reply is one
 * or more lines and ends at the first line that is not an "NNN-"
 * continuation line.  Pure, so it is unit-tested and fuzzed directly.
 */

#include <string.h>

#include "ws.h"

/*
 * The one reading of a reply line's "NNN": its code, with the byte after
 * it in *sep (' ', '-' or any other byte, NUL included); a bare "NNN"
 * is a final line, as "NNN " is, so it reads ' '.  -1 when the line
 * does not start with three digits.
 */
int
reply_code(const char *l, size_t n, int *sep)
{
	if (n < 3 || l[0] < '0' || l[0] > '9' || l[1] < '0' || l[1] > '9' ||
	    l[2] < '0' || l[2] > '9')
		return (-1);
	*sep = n > 3 ? (unsigned char)l[3] : ' ';
	return ((l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0'));
}

/* "NNN-": a continuation line, more of the reply follows. */
int
reply_is_cont(const char *l, size_t n)
{
	int	sep;

	return (reply_code(l, n, &sep) != -1 && sep == '-');
}

/*
 * Scan buf[0..len) for the end of a reply, resuming at *off (bytes
 * already known to be whole continuation lines).  Returns the length of
 * the complete reply, REPLY_MORE (0) when more bytes are needed, or
 * REPLY_TOOLONG when the reply cannot fit in max bytes.
 */
ssize_t
reply_scan(const char *buf, size_t len, size_t max, size_t *off)
{
	size_t	pos = *off, n, text;

	while (pos < len) {
		if ((n = wl_next(buf + pos, len - pos, NULL, &text)) == 0)
			break;
		pos += n;
		if (!reply_is_cont(buf + pos - n, text)) {
			*off = 0;
			return ((ssize_t)pos);
		}
	}
	*off = pos;
	if (len >= max)
		return (REPLY_TOOLONG);
	return (REPLY_MORE);
}
