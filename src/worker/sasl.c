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
 * SASL responses (RFC 4422), as far as the relay needs them: the
 * identity a client logs in as, from the mechanisms that carry it in
 * the clear.  PLAIN (RFC 4616): the authorization identity when given,
 * else the authentication one; LOGIN: its first response; CRAM-MD5
 * (RFC 2195): the name before the digest.  Other mechanisms name no one
 * here.  Pure.
 */

#include <string.h>
#include <strings.h>

#include "ws.h"

/* RFC 4648 base64; (size_t)-1 when it is not, or does not fit. */
size_t
sasl_b64(char *dst, size_t dsz, const char *src, size_t len)
{
	static const char	 al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const char		*c;
	unsigned		 acc = 0, bits = 0;
	size_t			 i, n = 0;

	for (i = 0; i < len && src[i] != '='; i++) {
		if ((c = memchr(al, src[i], 64)) == NULL)
			return ((size_t)-1);
		acc = (acc << 6) | (unsigned)(c - al);
		if ((bits += 6) >= 8) {
			bits -= 8;
			if (n == dsz)
				return ((size_t)-1);
			dst[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	return (n);
}

int
sasl_mech(const char *m, size_t n)
{
	if (n == 5 && strncasecmp(m, "PLAIN", 5) == 0)
		return (SASL_PLAIN);
	if (n == 5 && strncasecmp(m, "LOGIN", 5) == 0)
		return (SASL_LOGIN);
	if (n == 8 && strncasecmp(m, "CRAM-MD5", 8) == 0)
		return (SASL_CRAM);
	return (SASL_OTHER);
}

/*
 * The identity in a base64 response of mech, decoded into buf: 1 with
 * *id and *len set (not checked for what who can show), else 0.
 */
int
sasl_identity(int mech, const char *resp, size_t rlen, char *buf,
    size_t bufsz, const char **id, size_t *len)
{
	const char	*sp;
	size_t		 n, a;

	if (mech == SASL_NONE || mech == SASL_OTHER ||
	    (n = sasl_b64(buf, bufsz, resp, rlen)) == (size_t)-1)
		return (0);
	*id = buf;
	*len = n;
	if (mech == SASL_PLAIN) {
		if ((a = strnlen(buf, n)) == n)
			return (0);	/* no NUL: not PLAIN */
		if (a > 0)
			*len = a;
		else {
			*id = buf + 1;
			*len = strnlen(buf + 1, n - 1);
		}
	} else if (mech == SASL_CRAM && (sp = memchr(buf, ' ', n)) != NULL)
		*len = (size_t)(sp - buf);
	return (1);
}
