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
 * Banners with qmail-banner's semantics (DESIGN §6), pure: backslash
 * escapes (\r \a \n \t \xHH, octal \d \dd \ddd, and \\), then $VAR and
 * ${VAR} (1 to 32 upper-case letters) through a lookup; anything
 * malformed, and an unknown variable, is sent as written.  Each line of
 * the result goes out as "220-line\r\n": the final "220 " line is the
 * handler's own greeting.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mux.h"

struct banner_out {
	char	*p;
	size_t	 len;
	size_t	 cap;		/* without the NUL */
};

static void
banner_put(struct banner_out *o, const char *s, size_t n)
{
	if (n > o->cap - o->len)
		n = o->cap - o->len;	/* cut at the cap, never overrun */
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

/* One escape at s (after the backslash); the bytes it used. */
static size_t
banner_escape(const char *s, size_t len, struct banner_out *o)
{
	static const char	 from[] = "rant\\", to[] = "\r\a\n\t\\";
	const char		*k;
	int			 v = 0, h, l;
	size_t			 i;
	char			 c;

	if (len == 0) {
		banner_put(o, "\\", 1);
		return (0);
	}
	if (s[0] != '\0' && (k = strchr(from, s[0])) != NULL) {
		banner_put(o, &to[k - from], 1);
		return (1);
	}
	if (s[0] == 'x' && len >= 3 && (h = status_hex(s[1])) >= 0 &&
	    (l = status_hex(s[2])) >= 0) {
		c = (char)(h << 4 | l);
		banner_put(o, &c, 1);
		return (3);
	}
	for (i = 0; i < len && i < 3 && s[i] >= '0' && s[i] <= '7'; i++)
		v = v * 8 + (s[i] - '0');
	if (i > 0 && v < 256) {
		c = (char)v;
		banner_put(o, &c, 1);
		return (i);
	}
	banner_put(o, "\\", 1);		/* malformed: as written */
	return (0);
}

/* $VAR or ${VAR} at s (after the '$'); the bytes it used, 0 if none. */
static size_t
banner_var(const char *s, size_t len, struct banner_out *o,
    const char *(*lookup)(const char *, void *), void *arg)
{
	char		 name[BANNER_VAR_MAX + 1];
	const char	*v;
	size_t		 i, n = 0, brace = len > 0 && s[0] == '{';

	for (i = brace; i < len && n <= BANNER_VAR_MAX && s[i] >= 'A' &&
	    s[i] <= 'Z'; i++)
		name[n++] = s[i];
	if (n == 0 || n > BANNER_VAR_MAX)
		return (0);
	if (brace && (i >= len || s[i] != '}'))
		return (0);
	name[n] = '\0';
	if ((v = lookup(name, arg)) == NULL)
		return (0);	/* unknown: left as written */
	banner_put(o, v, strlen(v));
	return (i + brace);
}

/*
 * Expand text into out (outsz bytes, NUL-terminated, cut to fit).
 * Returns the length.
 */
size_t
banner_expand(const char *text, size_t len, char *out, size_t outsz,
    const char *(*lookup)(const char *, void *), void *arg)
{
	struct banner_out	o = { out, 0, outsz ? outsz - 1 : 0 };
	size_t			i = 0, n;

	if (outsz == 0)
		return (0);
	while (i < len && o.len < o.cap) {
		if (text[i] == '\\') {
			n = banner_escape(text + i + 1, len - i - 1, &o);
			i += 1 + n;
		} else if (text[i] == '$' && (n = banner_var(text + i + 1,
		    len - i - 1, &o, lookup, arg)) > 0)
			i += 1 + n;
		else
			banner_put(&o, text + i++, 1);
	}
	out[o.len] = '\0';
	return (o.len);
}

/*
 * qmail-banner's early-talker rule, for the intake and mux-banner: a
 * variable BANNERxxx other than the banner's own controls (BANNER,
 * BANNERFILE, BANNERPRESLEEP, BANNERPOSTSLEEP) is exported as xxx too,
 * so BANNERRBLSMTPD becomes RBLSMTPD.  The length of xxx (at name + 6),
 * or 0 when the name is not such a variable.
 */
size_t
banner_early_name(const char *name, size_t nlen)
{
	static const char	*ctl[] = { "FILE", "PRESLEEP", "POSTSLEEP" };
	size_t			 k;

	if (nlen <= 6 || memcmp(name, "BANNER", 6) != 0)
		return (0);
	for (k = 0; k < sizeof(ctl) / sizeof(ctl[0]); k++)
		if (nlen - 6 == strlen(ctl[k]) &&
		    memcmp(name + 6, ctl[k], nlen - 6) == 0)
			return (0);
	return (nlen - 6);
}

/*
 * Each line of text as "220-line\r\n" into out; a last line without its
 * newline gets one, a CR before a newline is dropped (not doubled).
 * Returns the length; 0 for empty text or when out is too small.
 */
size_t
banner_frame(const char *text, size_t len, char *out, size_t outsz)
{
	size_t		 n = 0, l;
	const char	*nl;

	while (len > 0) {
		nl = memchr(text, '\n', len);
		l = nl ? (size_t)(nl - text) : len;
		if (n + 4 + l + 2 >= outsz)
			return (0);
		memcpy(out + n, "220-", 4);
		memcpy(out + n + 4, text, l);
		if (l > 0 && text[l - 1] == '\r')
			l--;
		memcpy(out + n + 4 + l, "\r\n", 2);
		n += 4 + l + 2;
		if (nl == NULL)
			break;
		len -= (size_t)(nl - text) + 1;
		text = nl + 1;
	}
	if (outsz > 0)
		out[n] = '\0';
	return (n);
}

/*
 * The built-in variables, after the session's own: ME, DATE (RFC 2822,
 * or strftime(3) with datefmt), PID, RANDOM, SECONDS.  buf holds the
 * value returned.
 */
const char *
banner_builtin(const char *name, const char *me, const char *datefmt,
    time_t now, char *buf, size_t sz)
{
	struct tm	tm;

	if (strcmp(name, "ME") == 0)
		snprintf(buf, sz, "%s", me);
	else if (strcmp(name, "DATE") == 0) {
		if (localtime_r(&now, &tm) == NULL ||
		    strftime(buf, sz, datefmt != NULL ? datefmt :
		    "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
			buf[0] = '\0';
	} else if (strcmp(name, "PID") == 0)
		snprintf(buf, sz, "%ld", (long)getpid());
	else if (strcmp(name, "RANDOM") == 0)
		snprintf(buf, sz, "%ld", random());
	else if (strcmp(name, "SECONDS") == 0)
		snprintf(buf, sz, "%lld", (long long)now);
	else
		return (NULL);
	return (buf);
}
