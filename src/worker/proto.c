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
 * A service listener's protocol ("Listen inet:21 ftp") and what the
 * relay learns from it.  No real daemon writes "user NAME" on fd 3, so
 * the user comes from the stream, once the server accepts the login:
 * FTP USER (and PASS) then 230, SMTP AUTH then 235, POP3 USER/PASS,
 * APOP or AUTH then +OK, IMAP LOGIN or AUTHENTICATE then its tagged OK.
 * Commands wait in a queue for their replies, because SMTP and POP3
 * clients pipeline; IMAP replies name their command by tag.  The same
 * watch says which replies may carry messages (never an EHLO's
 * capabilities, a DATA reply, POP3 data or a TLS start), how a message
 * is written, and when the stream turns to TLS and stops being text.
 * Pure: the relay feeds it the client's bytes and the server's lines.
 */

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ws.h"

enum { Q_OTHER, Q_QUIET, Q_USER, Q_LOGIN, Q_DATA, Q_TLS, Q_MULTI };

static const char *const proto_names[] = {
	[PROTO_NONE] = "none",
	[PROTO_FTP] = "ftp",
	[PROTO_SMTP] = "smtp",
	[PROTO_POP3] = "pop3",
	[PROTO_IMAP] = "imap",
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

/* The argument after the verb (or after n words), and its length. */
static const char *
proto_arg(const char *l, size_t len, int words, size_t *alen)
{
	size_t	i = 0, e;

	while (words-- > 0) {
		while (i < len && l[i] != ' ')
			i++;
		while (i < len && l[i] == ' ')
			i++;
	}
	for (e = i; e < len && l[e] != ' '; e++)
		;
	*alen = e - i;
	return (l + i);
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

static void
proto_pend(struct proto *pr, const char *p, size_t n)
{
	pr->pending[0] = '\0';
	if (proto_name_ok(p, n)) {
		memcpy(pr->pending, p, n);
		pr->pending[n] = '\0';
	}
}

static void
proto_push(struct proto *pr, int k)
{
	if (pr->nq == PROTO_QMAX || pr->over > 0) {
		pr->over++;	/* past the bound: known to be there, not what */
		return;
	}
	pr->q[(pr->qhead + pr->nq++) % PROTO_QMAX] = (unsigned char)k;
}

/* The command a final reply answers; the greeting answers none. */
static int
proto_pop(struct proto *pr, int none)
{
	int	k;

	if (pr->nq == 0) {
		if (pr->over == 0)
			return (none);
		pr->over--;
		return (Q_QUIET);
	}
	k = pr->q[pr->qhead];
	pr->qhead = (pr->qhead + 1) % PROTO_QMAX;
	pr->nq--;
	return (k);
}

static int
proto_head(const struct proto *pr)
{
	return (pr->nq > 0 ? pr->q[pr->qhead] : Q_OTHER);
}

/* A SASL response: the identity it names becomes the pending user. */
static void
proto_sasl(struct proto *pr, const char *l, size_t len)
{
	char		 d[PROTO_LINE_MAX];
	const char	*id;
	size_t		 n;

	if (!sasl_identity(pr->mech, l, len, d, sizeof(d), &id, &n))
		return;
	proto_pend(pr, id, n);
	pr->mech = SASL_NONE;	/* LOGIN's next response is the password */
}

/* "AUTH MECH [RESPONSE]" in SMTP and POP3, "AUTHENTICATE ..." in IMAP. */
static void
proto_auth(struct proto *pr, const char *l, size_t len, int words)
{
	const char	*m, *ir;
	size_t		 mn, irn;

	m = proto_arg(l, len, words, &mn);
	pr->mech = sasl_mech(m, mn);
	pr->pending[0] = '\0';
	ir = proto_arg(l, len, words + 1, &irn);
	if (irn > 0)
		proto_sasl(pr, ir, irn);
}

static void
proto_ftp_cmd(struct proto *pr, const char *l, size_t len)
{
	const char	*a;
	size_t		 n;

	if (proto_verb(l, len, "USER")) {
		proto_pend(pr, l + 5 < l + len ? l + 5 : l + len,
		    len > 5 ? len - 5 : 0);
		proto_push(pr, Q_USER);
	} else if (proto_verb(l, len, "PASS") || proto_verb(l, len, "ACCT"))
		proto_push(pr, Q_LOGIN);
	else if (proto_verb(l, len, "AUTH")) {
		a = proto_arg(l, len, 1, &n);
		proto_push(pr, (n == 3 && strncasecmp(a, "TLS", 3) == 0) ||
		    (n == 3 && strncasecmp(a, "SSL", 3) == 0) ||
		    (n == 5 && strncasecmp(a, "TLS-", 4) == 0) ?
		    Q_TLS : Q_OTHER);
	} else
		proto_push(pr, Q_OTHER);
}

static void
proto_smtp_cmd(struct proto *pr, const char *l, size_t len)
{
	const char	*a;
	size_t		 n, i, sz = 0;

	if (proto_verb(l, len, "EHLO") || proto_verb(l, len, "HELO") ||
	    proto_verb(l, len, "LHLO"))
		proto_push(pr, Q_QUIET);
	else if (proto_verb(l, len, "DATA"))
		proto_push(pr, Q_DATA);
	else if (proto_verb(l, len, "BDAT")) {
		a = proto_arg(l, len, 1, &n);
		for (i = 0; i < n && i < 12 && a[i] >= '0' && a[i] <= '9'; i++)
			sz = sz * 10 + (size_t)(a[i] - '0');
		pr->cskip = sz;	/* the chunk is not commands */
		proto_push(pr, Q_QUIET);
	} else if (proto_verb(l, len, "STARTTLS"))
		proto_push(pr, Q_TLS);
	else if (proto_verb(l, len, "AUTH")) {
		proto_auth(pr, l, len, 1);
		proto_push(pr, Q_LOGIN);
	} else
		proto_push(pr, Q_OTHER);
}

static void
proto_pop3_cmd(struct proto *pr, const char *l, size_t len)
{
	const char	*a;
	size_t		 n;

	a = proto_arg(l, len, 1, &n);
	if (proto_verb(l, len, "USER")) {
		proto_pend(pr, a, n);
		proto_push(pr, Q_USER);
	} else if (proto_verb(l, len, "PASS"))
		proto_push(pr, Q_LOGIN);
	else if (proto_verb(l, len, "APOP")) {
		proto_pend(pr, a, n);
		proto_push(pr, Q_LOGIN);
	} else if (proto_verb(l, len, "AUTH") && n > 0) {
		proto_auth(pr, l, len, 1);
		proto_push(pr, Q_LOGIN);
	} else if (proto_verb(l, len, "STLS"))
		proto_push(pr, Q_TLS);
	else if (proto_verb(l, len, "CAPA") || proto_verb(l, len, "AUTH") ||
	    proto_verb(l, len, "RETR") || proto_verb(l, len, "TOP") ||
	    ((proto_verb(l, len, "LIST") || proto_verb(l, len, "UIDL")) &&
	    n == 0))
		proto_push(pr, Q_MULTI);
	else if (proto_verb(l, len, "NOOP") || proto_verb(l, len, "RSET") ||
	    proto_verb(l, len, "DELE") || proto_verb(l, len, "QUIT"))
		proto_push(pr, Q_OTHER);	/* their reply text is free */
	else
		proto_push(pr, Q_QUIET);
}

/* An IMAP astring that is an atom or a quoted string (not a literal). */
static void
proto_astring(struct proto *pr, const char *a, size_t n, size_t rest)
{
	const char	*q;

	pr->pending[0] = '\0';
	if (n > 0 && a[0] == '"') {
		if ((q = memchr(a + 1, '"', rest - 1)) != NULL &&
		    memchr(a + 1, '\\', (size_t)(q - a - 1)) == NULL)
			proto_pend(pr, a + 1, (size_t)(q - a - 1));
	} else if (n > 0 && a[0] != '{')
		proto_pend(pr, a, n);
}

static void
proto_tag(char *dst, const char *t, size_t n)
{
	if (n > PROTO_TAG_MAX)
		n = 0;	/* no tag that long matches */
	memcpy(dst, t, n);
	dst[n] = '\0';
}

static void
proto_imap_cmd(struct proto *pr, const char *l, size_t len)
{
	const char	*v, *a;
	size_t		 tn, vn, an;

	(void)proto_arg(l, len, 0, &tn);
	v = proto_arg(l, len, 1, &vn);
	a = proto_arg(l, len, 2, &an);
	if (vn == 5 && strncasecmp(v, "LOGIN", 5) == 0) {
		proto_tag(pr->ltag, l, tn);
		proto_astring(pr, a, an, (size_t)(l + len - a));
	} else if (vn == 12 && strncasecmp(v, "AUTHENTICATE", 12) == 0) {
		proto_tag(pr->ltag, l, tn);
		proto_auth(pr, l, len, 2);
		pr->authn = 1;
	} else if (vn == 8 && strncasecmp(v, "STARTTLS", 8) == 0)
		proto_tag(pr->ttag, l, tn);
}

/* One whole line from the client, without its line end. */
static void
proto_cline(struct proto *pr, const char *l, size_t len)
{
	if (pr->cont) {		/* the rest of a line after a literal */
		pr->cont = 0;
		return;
	}
	if (pr->sasl) {		/* a response, not a command */
		pr->sasl = 0;
		if (len != 1 || l[0] != '*')
			proto_sasl(pr, l, len);
		return;
	}
	if (pr->body) {
		if (len == 1 && l[0] == '.') {
			pr->body = 0;
			proto_push(pr, Q_QUIET);	/* the DATA's verdict */
		}
		return;
	}
	switch (pr->kind) {
	case PROTO_FTP:
		proto_ftp_cmd(pr, l, len);
		break;
	case PROTO_SMTP:
		proto_smtp_cmd(pr, l, len);
		break;
	case PROTO_POP3:
		proto_pop3_cmd(pr, l, len);
		break;
	case PROTO_IMAP:
		proto_imap_cmd(pr, l, len);
		break;
	}
}

/* "{N}" or "{N+}" ending an IMAP line: the bytes of the literal, or 0. */
static size_t
proto_literal(const char *l, size_t len)
{
	size_t	i, n = 0, m = 1;

	if (len < 3 || l[len - 1] != '}')
		return (0);
	i = len - 1;
	if (l[i - 1] == '+')
		i--;
	while (i > 0 && l[i - 1] >= '0' && l[i - 1] <= '9' && m < 1000000000) {
		n += (size_t)(l[i - 1] - '0') * m;
		m *= 10;
		i--;
	}
	return (i > 0 && l[i - 1] == '{' && i < len - 1 ? n : 0);
}

/* The client's bytes, as they pass to the server. */
void
proto_client(struct proto *pr, const char *p, size_t n)
{
	const char	*e = p + n;
	size_t		 k, len, used, text;

	if (pr->kind == PROTO_NONE)
		return;
	while (p < e && !pr->opaque) {
		if (pr->cskip > 0) {
			k = (size_t)(e - p) < pr->cskip ? (size_t)(e - p) :
			    pr->cskip;
			pr->cskip -= k;
			p += k;
			continue;
		}
		/* A line may come in pieces: gathered in pr->line. */
		used = wl_next(p, (size_t)(e - p), NULL, &text);
		k = used != 0 ? used - 1 : (size_t)(e - p);
		if (pr->llen < sizeof(pr->line))
			memcpy(pr->line + pr->llen, p, k < sizeof(pr->line) -
			    pr->llen ? k : sizeof(pr->line) - pr->llen);
		pr->llen += k;
		if (used == 0)
			return;
		p += used;
		len = wl_text(pr->line, pr->llen < sizeof(pr->line) ?
		    pr->llen : sizeof(pr->line));
		pr->llen = 0;
		proto_cline(pr, pr->line, len);
		if (pr->kind == PROTO_IMAP &&
		    (pr->cskip = proto_literal(pr->line, len)) > 0)
			pr->cont = 1;
	}
}

static int
proto_code_ok(int code)
{
	return ((code >= 200 && code < 300) || (code >= 400 && code < 600));
}

static void
proto_accept(struct proto *pr, struct proto_ev *ev)
{
	if (pr->pending[0] == '\0')
		return;
	memcpy(pr->user, pr->pending, sizeof(pr->user));
	pr->pending[0] = '\0';
	ev->user = pr->user;
}

/* FTP and SMTP: a final NNN line. */
static void
proto_nnn(struct proto *pr, int code, struct proto_ev *ev)
{
	int	k;

	if (code < 200)
		return;		/* FTP's 1xx: the command goes on */
	if (pr->kind == PROTO_SMTP && code == 334) {
		if (proto_head(pr) == Q_LOGIN)
			pr->sasl = 1;
		return;
	}
	k = proto_pop(pr, Q_OTHER);
	if (k == Q_DATA && code == 354)
		pr->body = 1;
	else if (k == Q_TLS && (code == 220 || code == 234))
		pr->opaque = 1;
	else if ((k == Q_USER && code == 230) || (k == Q_LOGIN &&
	    (code == 230 || code == 202 || code == 235)))
		proto_accept(pr, ev);
	else if (k == Q_LOGIN || (k == Q_USER && code != 331 && code != 332))
		pr->pending[0] = '\0';
	ev->eligible = proto_code_ok(code) &&
	    (k == Q_OTHER || k == Q_USER || k == Q_LOGIN);
}

static void
proto_pop3(struct proto *pr, const char *l, size_t len, struct proto_ev *ev)
{
	int	k, ok;

	if (pr->pdata) {
		if (len == 1 && l[0] == '.')
			pr->pdata = 0;
		return;
	}
	ok = len >= 3 && strncmp(l, "+OK", 3) == 0;
	if (!ok && !(len >= 4 && strncmp(l, "-ERR", 4) == 0)) {
		if (len >= 1 && l[0] == '+' && proto_head(pr) == Q_LOGIN)
			pr->sasl = 1;	/* a SASL challenge */
		return;
	}
	ev->code = ok ? 200 : 500;
	k = proto_pop(pr, Q_QUIET);	/* the greeting: APOP's stamp */
	if (ok && k == Q_MULTI)
		pr->pdata = 1;
	else if (ok && k == Q_TLS)
		pr->opaque = 1;
	else if (ok && k == Q_LOGIN)
		proto_accept(pr, ev);
	else if (!ok && (k == Q_USER || k == Q_LOGIN))
		pr->pending[0] = '\0';
	ev->eligible = k == Q_OTHER || k == Q_USER || k == Q_LOGIN;
}

static void
proto_imap(struct proto *pr, const char *l, size_t len, struct proto_ev *ev)
{
	const char	*st;
	size_t		 tn, sn;

	if (len >= 1 && l[0] == '+') {
		if (pr->ltag[0] != '\0' && pr->authn)
			pr->sasl = 1;	/* a SASL challenge */
		return;
	}
	if (len >= 1 && l[0] == '*')
		return;		/* untagged */
	(void)proto_arg(l, len, 0, &tn);
	st = proto_arg(l, len, 1, &sn);
	if (sn == 2 && strncasecmp(st, "OK", 2) == 0)
		ev->code = 200;
	else if (sn == 2 && strncasecmp(st, "NO", 2) == 0)
		ev->code = 450;
	else if (sn == 3 && strncasecmp(st, "BAD", 3) == 0)
		ev->code = 500;
	else
		return;
	ev->eligible = 1;
	if (tn > 0 && strlen(pr->ttag) == tn && strncmp(l, pr->ttag, tn) == 0) {
		pr->ttag[0] = '\0';
		ev->eligible = 0;
		pr->opaque = ev->code == 200;
	} else if (tn > 0 && strlen(pr->ltag) == tn &&
	    strncmp(l, pr->ltag, tn) == 0) {
		pr->ltag[0] = '\0';
		pr->mech = SASL_NONE;
		pr->sasl = pr->authn = 0;
		if (ev->code == 200)
			proto_accept(pr, ev);
		pr->pending[0] = '\0';
	}
}

/*
 * A chunk of the server's output: a whole line with its line end, or
 * part of a line too long to hold.  Only whole lines end replies.
 */
void
proto_server(struct proto *pr, const char *p, size_t n, struct proto_ev *ev)
{
	int	start = !pr->smid, code;
	size_t	k, len;

	memset(ev, 0, sizeof(*ev));
	if (pr->opaque)
		return;
	if (pr->sskip > 0) {
		k = n < pr->sskip ? n : pr->sskip;
		pr->sskip -= k;
		p += k;
		n -= k;
		start = 0;
		pr->smid = 1;
		if (n == 0)
			return;
	}
	pr->smid = p[n - 1] != '\n';
	len = pr->smid ? n : n - 1;
	if (len > 0 && p[len - 1] == '\r')
		len--;
	if (pr->kind == PROTO_IMAP && !pr->smid)
		pr->sskip = proto_literal(p, len);
	if (!start || pr->smid)
		return;
	switch (pr->kind) {
	case PROTO_POP3:
		proto_pop3(pr, p, len, ev);
		return;
	case PROTO_IMAP:
		if (pr->sskip == 0)
			proto_imap(pr, p, len, ev);
		return;
	}
	if ((code = inj_line(&pr->inj, p, len)) == 0)
		return;
	ev->code = code;
	if (pr->kind == PROTO_NONE)
		ev->eligible = inj_eligible(code, "", 0, "");
	else
		proto_nnn(pr, code, ev);
}

/*
 * One message, as this protocol carries it: a continuation line before
 * the final one (FTP, SMTP), an untagged ALERT before the tagged reply
 * (IMAP, RFC 9051 §7.1), or text added to the status line (POP3 has no
 * other way).  Returns its length, 0 when it does not fit.
 */
size_t
proto_format(const struct proto *pr, char *dst, size_t dsz, int code,
    const char *text, size_t len, const char *eol)
{
	size_t	n, e = strlen(eol);

	switch (pr->kind) {
	case PROTO_IMAP:
		if (dsz < 13 + e + 1)
			return (0);
		memcpy(dst, "* OK [ALERT] ", 13);
		n = 13 + inj_sanitize(dst + 13, dsz - 13 - e, text, len);
		memcpy(dst + n, eol, e + 1);
		return (n + e);
	case PROTO_POP3:
		if (dsz < 4)
			return (0);
		memcpy(dst, " [", 2);
		n = 2 + inj_sanitize(dst + 2, dsz - 3, text, len);
		if (n == 2)
			return (0);
		memcpy(dst + n, "]", 2);
		return (n + 1);
	default:
		return (inj_format(dst, dsz, code, text, len, eol));
	}
}

/* The goodbye of a kick or a shutdown, with its line end; 0 for none. */
size_t
proto_bye(const struct proto *pr, char *dst, size_t dsz, const char *why)
{
	static const char *const pre[] = {
		[PROTO_FTP] = "421 ", [PROTO_SMTP] = "421 ",
		[PROTO_POP3] = "-ERR ", [PROTO_IMAP] = "* BYE ",
	};
	size_t	n;

	if (pr->kind <= PROTO_NONE || pr->kind >= PROTO_MAX || dsz < 9)
		return (0);
	n = strlen(pre[pr->kind]);
	memcpy(dst, pre[pr->kind], n);
	n += inj_sanitize(dst + n, dsz - n - 2, why, strlen(why));
	memcpy(dst + n, "\r\n", 3);
	return (n + 2);
}

/* Between two replies: a line of ours would not split one. */
int
proto_between(const struct proto *pr)
{
	return (pr->kind != PROTO_NONE && !pr->opaque && !pr->smid &&
	    pr->inj.multi == 0 && !pr->pdata && pr->sskip == 0);
}
