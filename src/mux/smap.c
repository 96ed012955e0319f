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
 * The socketmap server (-N), as mimedefang-multiplexor serves Sendmail's
 * and Postfix's socketmap clients: each netstring "NAME KEY" becomes the
 * request "map NAME KEY" (both percent-encoded) for a worker, whose
 * filter_map answers "OK value", "NOTFOUND", "TEMP why" or "PERM why";
 * the answer goes back, percent-decoded, as a netstring.  Connections
 * stay open for more lookups, one at a time.  The parser is pure and
 * bounded: a length over SMAP_MAX, a bad digit or a missing comma gets
 * a PERM answer and the connection is closed.
 */

#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "line.h"
#include "mux.h"
#include "acc.h"

#define SMAP_CONNS	256		/* clients at once */
#define SMAP_IDLE	300		/* s a client may stay silent */
#define SMAP_REPLY	(WS_LINE_MAX + 2)

struct smap_conn {
	struct bufferevent	*bev;
	int			 fd;		/* to the worker, or -1 */
	int			 eof;		/* the client has sent all */
	struct event		*rd;
	struct evbuffer		*rbuf;		/* the worker's answer */
	char			 reply[SMAP_REPLY];
	TAILQ_ENTRY(smap_conn)	 entry;
};

static struct {
	struct event_base	*base;
	struct acc		*acc;
	int			 limit;		/* s a lookup may take */
	int			 n;
	TAILQ_HEAD(, smap_conn)	 conns;
} SM = { .conns = TAILQ_HEAD_INITIALIZER(SM.conns) };

/*
 * A netstring "LEN:DATA," at the head of buf: 1 with the data's offset
 * and length, 0 if more bytes are needed, -1 if it cannot be one (no
 * digits, a length over max, no comma).  Pure.
 */
int
smap_parse(const char *buf, size_t len, size_t max, size_t *off,
    size_t *dlen)
{
	size_t	i, n = 0;

	for (i = 0; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
		n = n * 10 + (size_t)(buf[i] - '0');
		if (n > max || i > 9)
			return (-1);
	}
	if (i == len)
		return (i > 10 ? -1 : 0);
	if (i == 0 || buf[i] != ':')
		return (-1);
	if (len < i + 1 + n + 1)
		return (0);
	if (buf[i + 1 + n] != ',')
		return (-1);
	*off = i + 1;
	*dlen = n;
	return (1);
}

/* Percent-encode p[0..n) after dst's n bytes; the new length, or 0. */
static size_t
smap_pct(char *dst, size_t at, size_t sz, const char *p, size_t n)
{
	static const char	hex[] = "0123456789ABCDEF";
	unsigned char		c;
	size_t			i;

	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		if (c <= ' ' || c > '~' || c == '%') {
			if (at + 3 >= sz)
				return (0);
			dst[at++] = '%';
			dst[at++] = hex[c >> 4];
			dst[at++] = hex[c & 15];
		} else {
			if (at + 1 >= sz)
				return (0);
			dst[at++] = (char)c;
		}
	}
	return (at);
}

/*
 * "NAME KEY" to the worker request "map NAME KEY", encoded; its length,
 * or 0 when it has no blank or does not fit.  Pure.
 */
size_t
smap_request(const char *d, size_t n, char *line, size_t sz)
{
	const char	*sp = memchr(d, ' ', n);
	size_t		 at;

	if (sp == NULL || sp == d || sz < 5)
		return (0);
	memcpy(line, "map ", 4);
	if ((at = smap_pct(line, 4, sz, d, (size_t)(sp - d))) == 0 ||
	    at + 1 >= sz)
		return (0);
	line[at++] = ' ';
	sp++;
	if ((at = smap_pct(line, at, sz, sp, (size_t)(d + n - sp))) == 0)
		return (0);
	line[at] = '\0';
	return (at);
}

static void
smap_answer(struct smap_conn *c, const char *text, size_t n)
{
	evbuffer_add_printf(bufferevent_get_output(c->bev), "%zu:", n);
	bufferevent_write(c->bev, text, n);
	bufferevent_write(c->bev, ",", 1);
}

static void
smap_close(struct smap_conn *c)
{
	if (c->rd != NULL)
		event_free(c->rd);
	if (c->fd != -1)
		close(c->fd);
	if (c->rbuf != NULL)
		evbuffer_free(c->rbuf);
	bufferevent_free(c->bev);
	TAILQ_REMOVE(&SM.conns, c, entry);
	SM.n--;
	free(c);
}

/* Close once what we owe the client is written. */
static void
smap_drain_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	smap_close(arg);
}

static void
smap_fail(struct smap_conn *c, const char *why)
{
	log_rl_warnx(LOG_RL_SMAP_ERROR, "socketmap: %s", why);
	smap_answer(c, why, strlen(why));
	bufferevent_disable(c->bev, EV_READ);
	bufferevent_setcb(c->bev, NULL, smap_drain_cb, NULL, c);
}

static void	smap_next(struct smap_conn *);

/* The worker's answer: its first line, percent-decoded as a whole. */
static void
smap_reply_done(struct smap_conn *c, int timed_out)
{
	size_t	 n;

	event_free(c->rd);
	c->rd = NULL;
	close(c->fd);
	c->fd = -1;
	if (timed_out) {
		evbuffer_drain(c->rbuf, evbuffer_get_length(c->rbuf));
		smap_answer(c, "TEMP Busy timeout on worker", 27);
		smap_next(c);
		return;
	}
	if (line_get(c->rbuf, SMAP_REPLY - 1, 1, c->reply, &n) != LINE_OK)
		n = 0;
	evbuffer_drain(c->rbuf, evbuffer_get_length(c->rbuf));
	n = status_pct_decode(c->reply, n);
	/* The mux's own refusals ("error: No free workers") are TEMP. */
	if (n >= 7 && memcmp(c->reply, "error: ", 7) == 0) {
		memcpy(c->reply, "TEMP ", 5);
		memmove(c->reply + 5, c->reply + 7, n - 7);
		n -= 2;
	} else if (n == 0) {
		memcpy(c->reply, "TEMP No answer from worker", 26);
		n = 26;
	}
	smap_answer(c, c->reply, n);
	smap_next(c);
}

/* All the worker writes, until it closes (or the buffer is full). */
static void
smap_read_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct smap_conn	*c = arg;
	ssize_t			 n;

	if (ev & EV_TIMEOUT) {
		smap_reply_done(c, 1);
		return;
	}
	n = line_fill(c->rbuf, fd, SMAP_REPLY - 1);
	if ((n == -1 && (errno == EAGAIN || errno == EINTR)) || n > 0)
		return;
	smap_reply_done(c, 0);
}

/* A client that half-closed: close once it has every answer. */
static void
smap_finish(struct smap_conn *c)
{
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		smap_close(c);
	else
		bufferevent_setcb(c->bev, NULL, smap_drain_cb, NULL, c);
}

/*
 * Hand one lookup to a worker, the mux being its client: 1 while it
 * runs, 0 when it was answered at once.
 */
static int
smap_lookup(struct smap_conn *c, const char *d, size_t n)
{
	struct timeval	 tv = { SM.limit, 0 };
	char		 line[WS_LINE_MAX + 1];
	size_t		 len;
	int		 sv[2];

	if ((len = smap_request(d, n, line, sizeof(line))) == 0) {
		smap_answer(c, "PERM Bad request", 16);
		return (0);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) == -1) {
		smap_answer(c, "TEMP Out of descriptors", 23);
		return (0);
	}
	c->rd = event_new(SM.base, sv[0], EV_READ | EV_PERSIST, smap_read_cb,
	    c);
	if (c->rd == NULL || event_add(c->rd, &tv) == -1) {
		if (c->rd != NULL)
			event_free(c->rd);
		c->rd = NULL;
		close(sv[0]);
		close(sv[1]);
		smap_answer(c, "TEMP Out of memory", 18);
		return (0);
	}
	c->fd = sv[0];
	wait_request(sv[1], line, len);
	return (1);
}

/*
 * Lookups in the order sent, one at a time; a loop, not recursion, so
 * that a stream of bad ones answered at once costs no stack.
 */
static void
smap_next(struct smap_conn *c)
{
	struct evbuffer	*in = bufferevent_get_input(c->bev);
	size_t		 len, off, n;
	unsigned char	*p;
	char		 d[SMAP_MAX];
	int		 r;

	while (c->fd == -1) {
		if ((len = evbuffer_get_length(in)) == 0) {
			if (c->eof)
				smap_finish(c);
			return;
		}
		if (len > SMAP_MAX + 16)
			len = SMAP_MAX + 16;
		p = evbuffer_pullup(in, (ssize_t)len);
		r = smap_parse((const char *)p, len, SMAP_MAX, &off, &n);
		if (r == -1 || (r == 0 && c->eof)) {
			smap_fail(c, r == -1 ? "PERM Bad netstring" :
			    "PERM Incomplete netstring");
			return;
		}
		if (r == 0)
			return;
		memcpy(d, p + off, n);
		evbuffer_drain(in, off + n + 1);
		if (smap_lookup(c, d, n))
			return;
	}
}

static void
smap_conn_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	smap_next(arg);
}

static void
smap_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct smap_conn	*c = arg;

	/* Sent its lookups and shut its side: they are still answered. */
	if ((what & BEV_EVENT_EOF) && !(what & BEV_EVENT_ERROR) && !c->eof) {
		c->eof = 1;
		smap_next(c);
		return;
	}
	(void)bev;
	smap_close(c);		/* an error, or silent too long */
}

static int
smap_accepted(int fd, struct sockaddr *sa, socklen_t salen, void *arg)
{
	struct smap_conn	*c;
	struct timeval		 tv = { SMAP_IDLE, 0 };

	(void)sa;
	(void)salen;
	(void)arg;
	if (SM.n >= SMAP_CONNS || (c = calloc(1, sizeof(*c))) == NULL) {
		log_rl_warnx(LOG_RL_SMAP_FULL, "socketmap: %d clients already, "
		    "refusing one", SM.n);
		close(fd);
		return (0);
	}
	c->fd = -1;
	if ((c->rbuf = evbuffer_new()) == NULL ||
	    (c->bev = bufferevent_socket_new(SM.base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		if (c->rbuf != NULL)
			evbuffer_free(c->rbuf);
		close(fd);
		free(c);
		return (0);
	}
	TAILQ_INSERT_TAIL(&SM.conns, c, entry);
	SM.n++;
	bufferevent_setcb(c->bev, smap_conn_read_cb, NULL, smap_event_cb, c);
	bufferevent_set_timeouts(c->bev, &tv, &tv);
	bufferevent_setwatermark(c->bev, EV_READ, 0, 4 * SMAP_MAX);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	return (0);
}

/* An upgrade: the new mux accepts; our lookups finish. */
void
smap_stop(void)
{
	acc_free(SM.acc);
	SM.acc = NULL;
}

/* Serve the -N socket made by the caller. */
void
smap_init(struct event_base *base, int fd, const struct conf *conf)
{
	SM.base = base;
	SM.limit = conf->busy_timeout + conf->client_timeout + 10;
	SM.acc = acc_new(base, fd, "socketmap socket", smap_accepted,
	    NULL);
	acc_on(SM.acc, 1);
}
