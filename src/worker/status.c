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
 * Lines a handler writes on its status descriptor (fd 3).  "tag TEXT"
 * and "user NAME" are mux's own; any other line is a MIMEDefang -Z tag,
 * percent-encoded.  Tags are made safe to frame into "S n tag" lines:
 * printable ASCII only, no CR/LF, at most WS_TAG_MAX bytes.
 */

#include <string.h>
#include <unistd.h>

#include "ws.h"

/* The value of a hex digit, or -1 (also used by banner.c). */
int
status_hex(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* Decode %XX in place; a malformed escape is kept as written. */
size_t
status_pct_decode(char *s, size_t len)
{
	size_t	i, o = 0;
	int	hi, lo;

	for (i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len &&
		    (hi = status_hex((unsigned char)s[i + 1])) >= 0 &&
		    (lo = status_hex((unsigned char)s[i + 2])) >= 0) {
			s[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			s[o++] = s[i];
	}
	return (o);
}

/* Replace anything unprintable by a space and cut to WS_TAG_MAX. */
size_t
status_sanitize(char *s, size_t len)
{
	size_t	i;

	if (len > WS_TAG_MAX)
		len = WS_TAG_MAX;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < ' ' || (unsigned char)s[i] > '~')
			s[i] = ' ';
	s[len] = '\0';
	return (len);
}

/*
 * Parse one status line (without its LF) into out (size sz > WS_TAG_MAX).
 * Returns STATUS_TAG or STATUS_USER, or 0 for a line to ignore.
 */
int
status_parse(const char *line, size_t len, char *out, size_t sz,
    size_t *outlen)
{
	int	kind = STATUS_TAG, pct = 1;
	size_t	n;

	if (sz <= WS_TAG_MAX)
		return (0);
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len >= 4 && memcmp(line, "tag ", 4) == 0) {
		line += 4;
		len -= 4;
		pct = 0;
	} else if (len >= 5 && memcmp(line, "user ", 5) == 0) {
		line += 5;
		len -= 5;
		kind = STATUS_USER;
		pct = 0;
	}
	n = len < sz - 1 ? len : sz - 1;
	memcpy(out, line, n);
	if (pct)
		n = status_pct_decode(out, n);
	n = status_sanitize(out, n);
	if (kind == STATUS_USER && n == 0)
		return (0);
	*outlen = n;
	return (kind);
}

/*
 * Read what a handler wrote on its status descriptor and pass each
 * complete line, parsed, to cb.  A line longer than the buffer is
 * dropped whole, not cut into a bogus tail.  -1 at EOF.
 */
int
status_read(int fd, struct status_rd *rd,
    void (*cb)(int, const char *, size_t, void *), void *arg)
{
	char	 out[WS_TAG_MAX + 1], *p;
	size_t	 olen, used, text;
	ssize_t	 n;
	int	 kind;

	for (;;) {
		n = read(fd, rd->buf + rd->len, sizeof(rd->buf) - rd->len);
		if (n <= 0)
			return (n == 0 ? -1 : 0);
		rd->len += (size_t)n;
		p = rd->buf;
		while ((used = wl_next(p, rd->len - (size_t)(p - rd->buf),
		    NULL, &text)) != 0) {
			if (!rd->skip && (kind = status_parse(p, text, out,
			    sizeof(out), &olen)) != 0)
				cb(kind, out, olen, arg);
			rd->skip = 0;
			p += used;
		}
		rd->len -= (size_t)(p - rd->buf);
		memmove(rd->buf, p, rd->len);
		if (rd->len == sizeof(rd->buf)) {
			rd->len = 0;
			rd->skip = 1;
		}
	}
}

/*
 * " word", percent-encoded as MIMEDefang encodes request arguments:
 * '%', blanks, control bytes and bytes over 126 become %XX.  Returns
 * the bytes written, 0 when it does not fit (dst is then untouched).
 */
size_t
status_pct_encode(char *dst, size_t sz, const char *word)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*p;
	size_t			 n = 1;

	for (p = (const unsigned char *)word; *p != '\0'; p++)
		n += (*p <= ' ' || *p > '~' || *p == '%') ? 3 : 1;
	if (n >= sz)
		return (0);
	*dst++ = ' ';
	for (p = (const unsigned char *)word; *p != '\0'; p++) {
		if (*p <= ' ' || *p > '~' || *p == '%') {
			*dst++ = '%';
			*dst++ = hex[*p >> 4];
			*dst++ = hex[*p & 15];
		} else
			*dst++ = (char)*p;
	}
	*dst = '\0';
	return (n);
}
