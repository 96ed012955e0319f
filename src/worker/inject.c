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
 * Messages into the next reply of a session, as ProFTPD's mod_msg does
 * it, made safe (DESIGN §5): each message becomes a continuation line
 * "NNN-text" placed before the final "NNN " line of the next eligible
 * reply, and the final line goes out byte for byte as the handler wrote
 * it.  Not eligible: 1xx and 3xx replies, replies to the skipped
 * commands (MessageSkipCommands), and anything that is not a reply.
 * Message text loses CR, LF and every other control byte.  Pure: the
 * worker session feeds it lines.
 */

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ws.h"

/* Copy src without control bytes; returns the length written. */
size_t
inj_sanitize(char *dst, size_t dsz, const char *src, size_t len)
{
	size_t		i, n = 0;
	unsigned char	c;

	if (dsz == 0)
		return (0);
	for (i = 0; i < len && n + 1 < dsz; i++) {
		c = (unsigned char)src[i];
		if (c < 0x20 || c == 0x7f)
			continue;
		dst[n++] = (char)c;
	}
	dst[n] = '\0';
	return (n);
}

/*
 * Classify one line of a handler's output (without its line end).
 * Tracks multi-line replies: "NNN-" opens one, which ends at the first
 * line that starts with the same "NNN ".  Returns the reply code when
 * the line ends a reply, 0 for any other line.
 */
int
inj_line(struct inj_state *st, const char *l, size_t len)
{
	int	code, sep;

	if ((code = reply_code(l, len, &sep)) < 100 || code > 599)
		return (0);	/* text inside a multi-line reply, or junk */
	if (st->multi) {
		if (code == st->multi && sep == ' ') {
			st->multi = 0;
			return (code);
		}
		return (0);
	}
	if (sep == '-') {
		st->multi = code;
		return (0);
	}
	if (sep == ' ')
		return (code);
	return (0);
}

/*
 * Is the command line's verb one of the skipped commands?  The list is
 * blank-separated, compared without regard to case.
 */
int
inj_skipped(const char *cmd, size_t len, const char *list)
{
	size_t		 n = 0, w;
	const char	*p = list;

	while (n < len && n < 16 && isalpha((unsigned char)cmd[n]))
		n++;
	if (n == 0)
		return (0);
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		for (w = 0; p[w] != '\0' && p[w] != ' '; w++)
			;
		if (w == n && strncasecmp(p, cmd, n) == 0)
			return (1);
		p += w;
	}
	return (0);
}

/* May messages go into a reply with this code to this command? */
int
inj_eligible(int code, const char *cmd, size_t len, const char *skip)
{
	if (code < 200 || code >= 600 || (code >= 300 && code < 400))
		return (0);
	return (!inj_skipped(cmd, len, skip));
}

/*
 * One continuation line: "NNN-" + the sanitised text + eol.  Returns
 * its length, 0 when it does not fit.
 */
size_t
inj_format(char *dst, size_t dsz, int code, const char *text, size_t len,
    const char *eol)
{
	size_t	n, e = strlen(eol);

	if (dsz < 4 + e + 1 || code < 100 || code > 599)
		return (0);
	snprintf(dst, dsz, "%03d-", code);
	n = 4 + inj_sanitize(dst + 4, dsz - 4 - e, text, len);
	memcpy(dst + n, eol, e + 1);
	return (n + e);
}
