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
 * ProFTPD's Controls protocol (mod_ctrls; ftpdctl up to 1.3.8) on the
 * control socket, beside the line protocol: one request and one
 * response per connection, each
 *
 *	int32 status, uint32 argc, argc x (uint32 length, that many bytes)
 *
 * in the host's byte order; a request's first word is its action and
 * its status is 0, so its first byte is NUL, which no line starts with.
 * The actions are the line protocol's (ctl.c), under ProFTPD's names
 * where they differ, and the reply's lines become the response's
 * strings, with ProFTPD's statuses, so that ftpdctl prints the text and
 * exits with its status.  Bounded as ProFTPD bounds it (32 arguments of
 * 256 bytes), where ProFTPD #2036 read an unbounded length: a frame
 * outside that is refused before anything is kept.  The framing is pure
 * (ctrls_parse, ctrls_frame); ctrls_serve is the glue.
 */

#include <stdint.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "ctlerr.h"
#include "notify.h"

/*
 * Parse a request from the n bytes at p.  CTRLS_MORE: not all there
 * yet; CTRLS_BAD: not a request we take (why says what); CTRLS_DONE: r
 * holds it and *used is its length.  Empty arguments are dropped, as
 * ProFTPD drops them.
 */
int
ctrls_parse(const uint8_t *p, size_t n, struct ctrls_req *r, size_t *used,
    const char **why)
{
	uint32_t	argc, len, i;
	size_t		off = 8, k = 0;

	if (n < 8)
		return (CTRLS_MORE);
	memcpy(&argc, p + 4, 4);
	if (argc == 0 || argc > CTRLS_ARGS_MAX) {
		*why = argc == 0 ? "no action" : "more than 32 arguments";
		return (CTRLS_BAD);
	}
	r->argc = 0;
	for (i = 0; i < argc; i++) {
		if (n - off < 4)
			return (CTRLS_MORE);
		memcpy(&len, p + off, 4);
		off += 4;
		if (len > CTRLS_ARG_MAX) {
			*why = "an argument longer than 256 bytes";
			return (CTRLS_BAD);
		}
		if (n - off < len)
			return (CTRLS_MORE);
		if (memchr(p + off, '\0', len) != NULL) {
			*why = "a NUL byte in an argument";
			return (CTRLS_BAD);
		}
		if (len > 0) {
			r->argv[r->argc++] = r->buf + k;
			memcpy(r->buf + k, p + off, len);
			r->buf[k + len] = '\0';
			k += len + 1;
		}
		off += len;
	}
	if (r->argc == 0) {
		*why = "no action";
		return (CTRLS_BAD);
	}
	r->argv[r->argc] = NULL;
	*used = off;
	return (CTRLS_DONE);
}

static void
ctrls_string(struct evbuffer *out, const char *s, size_t len)
{
	uint32_t	n = (uint32_t)len;

	evbuffer_add(out, &n, 4);
	evbuffer_add(out, s, len);
}

/*
 * The status ProFTPD gives what ctl_run_argv() returned (rv) with the
 * reply's last line: 0 done; -2 access denied; -3 bad arguments; -4 no
 * such client or host; -7 an action we do not have; -1 any other error.
 * The *ERR texts are classed as muxctl classes them (ctlerr.c).
 */
static int32_t
ctrls_status(int rv, const char *last, size_t len)
{
	static const int32_t	st[] = { [CTLERR_OTHER] = CTRLS_ST_GENERIC,
	    [CTLERR_DENIED] = CTRLS_ST_DENIED,
	    [CTLERR_BADARGS] = CTRLS_ST_PARAMS,
	    [CTLERR_NOTFOUND] = CTRLS_ST_NOTFOUND };

	if (rv == CTL_R_UNKNOWN)
		return (CTRLS_ST_UNSUPPORTED);
	if (rv == CTL_R_DENIED)
		return (CTRLS_ST_DENIED);
	if (len >= 3 && memcmp(last, "*OK", 3) == 0)
		return (0);
	if (len >= 5 && memcmp(last, "*ERR ", 5) == 0)
		return (st[ctlerr_kind(last + 5, len - 5)]);
	return (CTRLS_ST_GENERIC);
}

/*
 * Frame the reply text (the line protocol's "*-", "*OK", "*ERR" lines)
 * of an action that returned rv as a response: one string per line,
 * without its marker.  An action we do not have is answered in
 * ProFTPD's words.
 */
void
ctrls_frame(struct evbuffer *out, int rv, const char *text, size_t len)
{
	const char	*p, *nl, *last = text;
	size_t		 n, skip, lastlen = 0, cnt = 0;
	int32_t		 st;
	uint32_t	 argc;

	if (rv == CTL_R_UNKNOWN) {
		st = CTRLS_ST_UNSUPPORTED;
		argc = 1;
		evbuffer_add(out, &st, 4);
		evbuffer_add(out, &argc, 4);
		ctrls_string(out, "unsupported action requested", 28);
		return;
	}
	for (p = text; p < text + len; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(text + len - p))) == NULL)
			nl = text + len;
		cnt++;
		last = p;
		lastlen = (size_t)(nl - p);
	}
	st = ctrls_status(rv, last, lastlen);
	argc = (uint32_t)cnt;
	evbuffer_add(out, &st, 4);
	evbuffer_add(out, &argc, 4);
	for (p = text; p < text + len; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(text + len - p))) == NULL)
			nl = text + len;
		n = (size_t)(nl - p);
		skip = n >= 2 && memcmp(p, "*-", 2) == 0 ? 2 :
		    n >= 4 && memcmp(p, "*OK ", 4) == 0 ? 4 :
		    n >= 5 && memcmp(p, "*ERR ", 5) == 0 ? 5 :
		    n >= 1 && p[0] == '*' ? n : 0;
		ctrls_string(out, p + skip, n - skip);
	}
}

/*
 * ProFTPD's names for what mux calls otherwise: restart is a reread
 * (mod_ctrls_admin re-reads its configuration), and "status all" is
 * status.
 */
static void
ctrls_alias(struct ctrls_req *r)
{
	static char	reread[] = "reread";

	if (strcmp(r->argv[0], "restart") == 0 && r->argc == 1)
		r->argv[0] = reread;
	else if (strcmp(r->argv[0], "status") == 0 && r->argc == 2 &&
	    strcmp(r->argv[1], "all") == 0)
		r->argc = 1;
}

/* An answer that came later (msg host NAME): framed, then closed. */
void
ctrls_answer(struct bufferevent *bev, int rv, struct cmd_buf *b)
{
	size_t		 len;
	const char	*text;

	if (b->lost) {
		text = "*ERR out of memory";
		len = strlen(text);
	} else
		text = cmd_buf_data(b, &len);
	ctrls_frame(bufferevent_get_output(bev), rv, text, len);
}

/*
 * Read a request from bev and run it for peer p.  CTRLS_MORE: wait for
 * more; CTRLS_DONE: answered, close once it is written; CTRLS_PENDING:
 * the answer comes to as->done; CTRLS_BAD: close now (logged).
 */
int
ctrls_serve(struct bufferevent *bev, const struct acl_peer *p,
    struct event_base *base, struct ctl_async *as)
{
	struct evbuffer		*in = bufferevent_get_input(bev);
	static struct ctrls_req	 r;	/* one loop, one request at a time */
	struct cmd_buf		 b = CMD_BUF_INIT;
	const char		*why = NULL;
	const uint8_t		*data;
	size_t			 n, used;
	int			 rv;

	n = evbuffer_get_length(in);
	if (n > CTRLS_REQ_MAX)
		n = CTRLS_REQ_MAX;
	if ((data = evbuffer_pullup(in, (ev_ssize_t)n)) == NULL && n > 0)
		return (CTRLS_MORE);
	rv = ctrls_parse(data, n, &r, &used, &why);
	if (rv != CTRLS_DONE) {
		if (rv == CTRLS_BAD)
			log_warnx("control: a Controls request from uid %u "
			    "with %s: closed", p->uid, why);
		return (rv);
	}
	evbuffer_drain(in, used);
	ctrls_alias(&r);
	log_info("control: Controls request %s from uid %u", r.argv[0],
	    p->uid);
	/* The action keeps nothing of r's (msg host copies its words). */
	rv = ctl_run_argv(r.argc, r.argv, p, &b, base, as);
	if (rv == CTL_R_PENDING)
		return (CTRLS_PENDING);
	ctrls_answer(bev, rv, &b);
	cmd_buf_free(&b);
	return (CTRLS_DONE);
}
