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
 * Request-socket clients the mux handles itself: those it accepts while
 * no worker is idle (to answer its own commands, or to pass the line to
 * wait.c, which finds them a worker), those on the unprivileged socket,
 * and command lines workers pass back.  Also the last words of any
 * client the mux gives up on.
 */

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "line.h"
#include "mux.h"
#include "acc.h"

#define REQ_UNPRIV_MAX	64	/* concurrent clients on -a */

struct req {
	int			 fd;
	int			 priv;
	int			 linger;	/* refusal: linger after writing */
	int			 lingering;
	struct evbuffer		*in;		/* bytes read */
	size_t			 llen;		/* the line, once complete */
	struct event		*ev;
	struct cmd_buf		 out;		/* the reply */
	char			 line[WS_LINE_MAX + 3];
};

static struct {
	struct event_base	*base;
	struct conf		*conf;
	int			 lfd;
	int			 ufd;
	struct acc		*lacc;		/* -s */
	struct acc		*uacc;		/* -a */
	int			 watching;
	int			 always;	/* watch -s whatever the pool says */
	int			 held;		/* an upgrade: the new mux's */
	int			 nunpriv;
	void			(*reread)(void);	/* the reread command */
} R;

static void	req_read_cb(evutil_socket_t, short, void *);
static void	req_line_done(struct req *);
static void	req_refuse(struct req *, const char *);

static void
req_free(struct req *r)
{
	if (r->ev != NULL)
		event_free(r->ev);
	if (r->fd != -1)
		close(r->fd);
	if (!r->priv)
		R.nunpriv--;
	if (r->in != NULL)
		evbuffer_free(r->in);
	cmd_buf_free(&r->out);
	free(r);
}

static struct req *
req_new(int fd, int priv)
{
	struct req	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		log_warn("calloc");
		close(fd);
		return (NULL);
	}
	r->fd = fd;
	r->priv = priv;
	if (!priv)
		R.nunpriv++;
	return (r);
}

static void
req_timeout(struct timeval *tv)
{
	tv->tv_sec = R.conf->client_timeout;
	tv->tv_usec = 0;
}

static void
req_read_start(struct req *r)
{
	struct timeval	tv;

	req_timeout(&tv);
	r->in = evbuffer_new();
	r->ev = event_new(R.base, r->fd, EV_READ | EV_PERSIST, req_read_cb, r);
	if (r->in == NULL || r->ev == NULL || event_add(r->ev, &tv) == -1) {
		log_warnx("req: event_add");
		req_free(r);
	}
}

/* Write the pending reply; close when done (or after lingering). */
static void
req_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct req	*r = arg;
	ssize_t		 n;
	char		 buf[4096];

	if (what & EV_TIMEOUT) {
		req_free(r);
		return;
	}
	if (r->lingering) {
		/* Discard input until EOF or the timeout. */
		n = read(fd, buf, sizeof(buf));
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
			req_free(r);
		return;
	}
	if (r->out.lost) {
		/* Never a cut reply as if it were whole. */
		log_rl_warnx(LOG_RL_REQ_NOMEM,
		    "request: reply lost: out of memory");
		(void)write(fd, "error: Out of memory\n", 21);
		req_free(r);
		return;
	}
	n = evbuffer_write(r->out.eb, fd);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		req_free(r);
		return;
	}
	if (cmd_buf_len(&r->out) > 0)
		return;
	if (!r->linger) {
		req_free(r);
		return;
	}
	(void)shutdown(fd, SHUT_WR);
	r->lingering = 1;
	event_free(r->ev);
	r->ev = event_new(R.base, fd, EV_READ | EV_PERSIST, req_write_cb, r);
	if (r->ev == NULL || event_add(r->ev, &(struct timeval){ 1, 0 }) == -1)
		req_free(r);
}

/* Send r->out, then close (or linger first, for a refusal). */
static void
req_reply(struct req *r)
{
	struct timeval	tv;

	if (r->ev != NULL) {
		event_free(r->ev);
		r->ev = NULL;
	}
	req_timeout(&tv);
	r->ev = event_new(R.base, r->fd, EV_WRITE | EV_PERSIST, req_write_cb,
	    r);
	if (r->ev == NULL || event_add(r->ev, &tv) == -1 ||
	    (cmd_buf_len(&r->out) == 0 && !r->out.lost)) {
		req_free(r);
		return;
	}
	req_write_cb(r->fd, EV_WRITE, r);
}

static void
req_refuse(struct req *r, const char *msg)
{
	cmd_printf(&r->out, "%s", msg);
	req_reply(r);
}

static void
req_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct req	*r = arg;
	ssize_t		 n;
	int		 rv;

	if (what & EV_TIMEOUT) {
		log_rl_info(LOG_RL_REQ_TIMEOUT, "request client timed out "
		    "after %d s", R.conf->client_timeout);
		req_free(r);
		return;
	}
	/* Room for the line, its CR and its LF, and no more. */
	n = line_fill(r->in, fd, WS_LINE_MAX + 2);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 && evbuffer_get_length(r->in) == 0) {
		req_free(r);
		return;
	}
	/* EOF ends a last line. */
	rv = line_get(r->in, WS_LINE_MAX + 1, n <= 0, r->line, &r->llen);
	if (rv == LINE_NONE)
		return;
	if (rv == LINE_OK && r->llen > 0 && r->line[r->llen - 1] == '\r')
		r->line[--r->llen] = '\0';
	if (rv == LINE_LONG || r->llen > WS_LINE_MAX) {
		log_rl_info(LOG_RL_REQ_TOO_LONG, "request line longer than %d "
		    "bytes", WS_LINE_MAX);
		r->linger = 1;
		req_refuse(r, "error: Command too long\n");
		return;
	}
	event_del(r->ev);
	req_line_done(r);
}

static void
req_line_done(struct req *r)
{
	struct cmd_view		 v;
	struct cmd_worker	*w;
	char			 refusal[WS_TAG_MAX + 1];
	char			 msg[WS_TAG_MAX + 16];
	int			 rv;

	if ((w = calloc((size_t)pool_nslots(), sizeof(*w))) == NULL) {
		req_free(r);
		return;
	}
	pool_view(&v, w);
	rv = cmd_answer(r->line, r->llen, r->priv, &v, &r->out);
	free(w);
	if (rv == CMD_WORKER && R.conf->exec) {
		req_refuse(r, "error: No request handler: mux runs --exec "
		    "handlers for its service listeners\n");
		return;
	}
	if (rv == CMD_WORKER && pool_refusing(refusal, sizeof(refusal))) {
		outcome_count(OUT_SHUTDOWN, 0);
		(void)snprintf(msg, sizeof(msg), "error: %s\n", refusal);
		req_refuse(r, msg);
		return;
	}
	if (rv == CMD_WORKER) {
		wait_request(r->fd, r->line, r->llen);
		r->fd = -1;	/* wait.c's now */
		req_free(r);
		return;
	}
	if (rv == CMD_REREAD) {
		R.reread();
		req_refuse(r, "Forced reread of filter rules\n");
		return;
	}
	req_reply(r);	/* may be empty: busyworkers */
}

/*
 * The last words of a client the mux gives up on (wait.c's refusals): a
 * reply, then close; with linger, wait a second for the client to close
 * first, so a reply to a pipelining client is not lost to a reset.
 */
void
req_last_words(int fd, const char *msg, int linger)
{
	struct req	*r;

	if ((r = req_new(fd, 1)) == NULL)
		return;
	r->linger = linger;
	req_refuse(r, msg);
}

/* A command line a worker read and passes to us to answer. */
void
req_adopt(int fd, const char *line, size_t len)
{
	struct req	*r;

	if ((r = req_new(fd, 1)) == NULL)
		return;
	memcpy(r->line, line, len);
	r->line[len] = '\0';
	r->llen = len;
	req_line_done(r);
}


/* A client of -s (arg set) or -a; stop when -s is a worker's again. */
static int
req_accepted(int fd, struct sockaddr *sa, socklen_t len, void *arg)
{
	struct req	*r;
	int		 priv = arg != NULL;

	(void)sa;
	(void)len;
	if (!priv && R.nunpriv >= REQ_UNPRIV_MAX) {
		(void)write(fd, "error: Too many connections\n", 28);
		close(fd);
		return (0);
	}
	if ((r = req_new(fd, priv)) != NULL)
		req_read_start(r);
	return (priv && !R.watching ? -1 : 0);
}

/*
 * The request socket's O_NONBLOCK is shared with the worker sessions,
 * which block in accept(2) on it while idle; set it only while we accept
 * too, so the mux never blocks and a worker that comes free meanwhile
 * waits in epoll instead.
 */
static void
req_nonblock(int on)
{
	int	fl;

	if ((fl = fcntl(R.lfd, F_GETFL)) == -1 ||
	    fcntl(R.lfd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) == -1)
		fatal("request socket flags");
}

/* Watch the request socket only while no worker is idle to accept. */
void
req_listen(int on)
{
	if (R.lacc == NULL || R.held || on == R.watching ||
	    (R.always && !on))
		return;
	R.watching = on;
	if (on) {
		req_nonblock(1);
		acc_on(R.lacc, 1);
	} else {
		acc_on(R.lacc, 0);
		req_nonblock(0);
	}
}

int
req_listening(void)
{
	return (R.watching);
}

/*
 * An upgrade under way: the new mux will accept on the request socket,
 * the same open file as ours, whose O_NONBLOCK it sets as its pool
 * needs; two muxes setting it would leave one in a blocking accept(2).
 * So we stop taking clients there now, before it starts (clients wait
 * for our workers or its), and go on if the upgrade fails.
 */
void
req_hold(int on)
{
	if (R.lacc == NULL || on == R.held)
		return;
	if (on) {
		acc_on(R.lacc, 0);
		if (R.watching && !R.always)
			req_nonblock(0);
		R.watching = 0;
		R.held = 1;
		return;
	}
	R.held = 0;
	if (R.always)
		req_listen(1);
}

void
req_close_listeners(void)
{
	R.always = 0;
	req_listen(0);
	acc_free(R.lacc);
	acc_free(R.uacc);
	R.lacc = R.uacc = NULL;
	if (R.ufd != -1)
		close(R.ufd);
	R.ufd = -1;
}

void
req_init(struct event_base *base, struct conf *conf, int lfd, int ufd,
    void (*reread)(void))
{
	memset(&R, 0, sizeof(R));
	R.base = base;
	R.conf = conf;
	R.lfd = lfd;
	R.ufd = ufd;
	R.reread = reread;
	if (lfd != -1) {
		R.lacc = acc_new(base, lfd, "request socket", req_accepted,
		    &R);
		req_nonblock(0);
	}
	/* exec mode: no worker accepts requests, the mux always does. */
	if (conf->exec && R.lacc != NULL) {
		req_listen(1);
		R.always = 1;
	}
	if (ufd != -1) {
		R.uacc = acc_new(base, ufd, "unprivileged socket",
		    req_accepted, NULL);
		acc_on(R.uacc, 1);
	}
}
