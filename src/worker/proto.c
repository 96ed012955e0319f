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
 * A service listener's protocol ("Listen inet:21 ftp"), and the user a
 * relayed session logs in as, learnt from the stream as the daemon
 * accepts the login: no real daemon writes "user NAME" on fd 3.  FTP:
 * USER, then a final 230 to it or to the PASS after it.  Pure: the relay
 * feeds it the client's lines and the daemon's final reply codes.
 */

#include <string.h>
#include <strings.h>

#include "ws.h"

static const char *const proto_names[] = {
	[PROTO_NONE] = "none",
	[PROTO_FTP] = "ftp",
};

const char *
proto_name(int p)
{
	return (p > PROTO_NONE && p < PROTO_MAX ? proto_names[p] : "none");
}

int
proto_by_name(const char *name, size_t len)
{
	int	p;

	for (p = 0; p < PROTO_MAX; p++)
		if (strlen(proto_names[p]) == len &&
		    strncasecmp(name, proto_names[p], len) == 0)
			return (p);
	return (-1);
}

/*
 * "SPEC,PROTO": the protocol, and in *len the length of the socket spec
 * before it.  A spec without a known protocol after its last comma is
 * all socket spec (a path may hold commas).
 */
int
proto_split(const char *spec, size_t *len)
{
	const char	*c = strrchr(spec, ',');
	int		 p;

	*len = strlen(spec);
	if (c == NULL || (p = proto_by_name(c + 1, strlen(c + 1))) == -1)
		return (PROTO_NONE);
	*len = (size_t)(c - spec);
	return (p);
}

void
proto_init(struct proto *pr, int kind)
{
	memset(pr, 0, sizeof(*pr));
	pr->kind = kind;
}

/* Is the line "VERB" or "VERB ARG..." (case does not matter)? */
static int
proto_verb(const char *l, size_t len, const char *verb)
{
	size_t	n = strlen(verb);

	return (len >= n && strncasecmp(l, verb, n) == 0 &&
	    (len == n || l[n] == ' '));
}

/* A name who and MessageLog can show: printable, no blanks, not too long. */
static int
proto_name_ok(const char *p, size_t n)
{
	size_t	i;

	if (n == 0 || n > WS_USER_MAX)
		return (0);
	for (i = 0; i < n; i++)
		if (p[i] <= ' ' || p[i] > '~')
			return (0);
	return (1);
}

/* A command line from the client, without its line end. */
void
proto_client(struct proto *pr, const char *l, size_t len)
{
	if (pr->kind != PROTO_FTP)
		return;
	if (proto_verb(l, len, "USER")) {
		pr->state = 0;
		if (len > 5 && proto_name_ok(l + 5, len - 5)) {
			memcpy(pr->pending, l + 5, len - 5);
			pr->pending[len - 5] = '\0';
			pr->state = PROTO_ASKED;
		}
	} else if (proto_verb(l, len, "PASS") && pr->state == PROTO_WAIT)
		pr->state = PROTO_ASKED;
	else if (pr->state != PROTO_WAIT)
		pr->state = 0;
}

/*
 * A final reply with this code: the user now logged in, or NULL.  The
 * reply answers the last command sent (FTP clients do not pipeline
 * their login).
 */
const char *
proto_reply(struct proto *pr, int code)
{
	if (pr->kind != PROTO_FTP || pr->state != PROTO_ASKED)
		return (NULL);
	if (code == 230) {
		pr->state = 0;
		return (pr->pending);
	}
	pr->state = code == 331 || code == 332 ? PROTO_WAIT : 0;
	return (NULL);
}
