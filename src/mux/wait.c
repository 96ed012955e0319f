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
 * Clients waiting for a worker: the one owner of a client from the
 * moment the mux decides a worker must serve it (a request line the mux
 * read, a tick or socketmap lookup of its own, a service session out of
 * the intake) until a worker takes it or it is refused.  A waiter is
 * handed to an idle worker, pends on a starting one, queues (-q/-Q, in
 * FIFO order) or is refused; the pool (pool_dispatch.c) decides which
 * and calls back only here.  Refusals are written by req.c, whose
 * clients' last words they are.
 */

#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "mux.h"

struct waiter {
	int			 fd;
	struct svc_sess		*sess;		/* a service session, or NULL */
	int			 queued;
	struct event		*qtimer;
	TAILQ_ENTRY(waiter)	 entry;
	size_t			 llen;
	char			 line[WS_LINE_MAX + 1];	/* or vars */
};

static struct {
	struct event_base	*base;
	struct conf		*conf;
	int			 nq;
	TAILQ_HEAD(, waiter)	 q;
} W = { .q = TAILQ_HEAD_INITIALIZER(W.q) };

static void	wait_cut(void *);

void
wait_init(struct event_base *base, struct conf *conf)
{
	W.base = base;
	W.conf = conf;
}

static void
wait_free(struct waiter *w)
{
	wait_unqueue(w);
	if (w->qtimer != NULL)
		event_free(w->qtimer);
	if (w->fd != -1)
		close(w->fd);
	if (w->sess != NULL)
		svc_end(w->sess);	/* never reached a worker */
	free(w);
}

static struct waiter *
wait_new(int fd, const char *line, size_t len)
{
	struct waiter	*w;

	if (len > WS_LINE_MAX || (w = calloc(1, sizeof(*w))) == NULL) {
		log_rl_warnx(LOG_RL_WAIT_REFUSED, "cannot keep a client "
		    "waiting: %s", len > WS_LINE_MAX ? "line too long" :
		    "out of memory");
		close(fd);
		return (NULL);
	}
	w->fd = fd;
	memcpy(w->line, line, len);
	w->line[len] = '\0';
	w->llen = len;
	return (w);
}

/*
 * Its last words: "error: TEXT" for a request, BusyReply for a session
 * (whose record ends here); req.c writes them and closes.
 */
static void
wait_refuse(struct waiter *w, const char *msg)
{
	char	busy[1100];

	if (w->sess != NULL) {
		snprintf(busy, sizeof(busy), "%s\r\n", W.conf->busy_reply);
		req_last_words(w->fd, busy, 1);
	} else
		req_last_words(w->fd, msg, 0);
	w->fd = -1;
	pool_unpend(w);
	wait_free(w);
}

static void
wait_qtimeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct waiter	*w = arg;

	(void)fd;
	(void)what;
	outcome_count(OUT_QUEUE_TIMEOUT, w->sess != NULL);
	log_rl_warnx(LOG_RL_QUEUE_TIMEOUT, "queued %s timed out after %d s",
	    w->sess != NULL ? "session" : "request", W.conf->queue_timeout);
	wait_refuse(w, "error: Queued request timed out\n");
}

static int
wait_enqueue(struct waiter *w)
{
	struct timeval	tv = { W.conf->queue_timeout, 0 };

	if (w->qtimer == NULL &&
	    (w->qtimer = evtimer_new(W.base, wait_qtimeout_cb, w)) == NULL) {
		wait_refuse(w, "error: Out of memory\n");
		return (-1);
	}
	TAILQ_INSERT_TAIL(&W.q, w, entry);
	w->queued = 1;
	pool_queued(++W.nq);
	evtimer_add(w->qtimer, &tv);
	return (0);
}

/* Give it to a worker, let it pend or queue, or refuse it. */
void
wait_dispatch(struct waiter *w)
{
	switch (pool_dispatch(w, 0)) {
	case POOL_HANDED:
	case POOL_PENDING:
		break;
	case POOL_QUEUED:
		/* Per request: logged, as by the real one, only with -l. */
		if (wait_enqueue(w) == 0 && W.conf->syslog)
			log_rl_info(LOG_RL_QUEUEING, "All workers are busy: "
			    "Queueing request (%d queued)", W.nq);
		break;
	case POOL_NOSPAWN:
		outcome_count(OUT_NO_WORKER, w->sess != NULL);
		log_rl_warnx(LOG_RL_NO_ACTIVATE, "unable to activate a worker");
		wait_refuse(w, "error: Unable to activate worker\n");
		break;
	default:
		outcome_count(W.conf->queue_size > 0 ? OUT_QUEUE_FULL :
		    OUT_BUSY, w->sess != NULL);
		/* mimedefang-multiplexor's words, when there is a queue. */
		if (W.conf->queue_size > 0 && W.conf->syslog)
			log_rl_info(LOG_RL_QUEUE_FULL, "Cannot queue request: "
			    "request queue is full");
		log_rl_warnx(LOG_RL_NO_FREE, "no free workers");
		wait_refuse(w, "error: No free workers\n");
	}
}

/* A request line for a worker (a client's, or one of the mux's own). */
void
wait_request(int fd, const char *line, size_t len)
{
	struct waiter	*w;

	if ((w = wait_new(fd, line, len)) != NULL)
		wait_dispatch(w);
}

/*
 * A service session out of the intake: its variables go with the client
 * to the worker, in place of a request line.
 */
void
wait_session(int fd, struct svc_sess *s, const char *vars, size_t len)
{
	struct waiter	*w;

	if ((w = wait_new(fd, vars, len)) == NULL) {
		svc_end(s);
		return;
	}
	w->sess = s;
	svc_hold(s, "queued", wait_cut, w);
	wait_dispatch(w);
}

/* kick, while the session waits for a worker. */
static void
wait_cut(void *arg)
{
	struct waiter	*w = arg;

	pool_unpend(w);
	wait_free(w);
}

/* The session's record, which goes to the worker's slot (pool.c). */
struct svc_sess *
wait_take_sess(struct waiter *w)
{
	struct svc_sess	*s = w->sess;

	w->sess = NULL;
	if (s != NULL)
		svc_hold(s, NULL, NULL, NULL);
	return (s);
}

/* A worker has the client (its descriptor went on the channel). */
void
wait_handed(struct waiter *w)
{
	wait_free(w);	/* closes our copy */
}

int
wait_fd(const struct waiter *w)
{
	return (w->fd);
}

int
wait_is_session(const struct waiter *w)
{
	return (w->sess != NULL);
}

const char *
wait_line(const struct waiter *w, size_t *len)
{
	*len = w->llen;
	return (w->line);
}

void
wait_unqueue(struct waiter *w)
{
	if (!w->queued)
		return;
	TAILQ_REMOVE(&W.q, w, entry);
	w->queued = 0;
	pool_queued(--W.nq);
	evtimer_del(w->qtimer);
}

struct waiter *
wait_queue_head(void)
{
	return (TAILQ_FIRST(&W.q));
}

int
wait_queue_len(void)
{
	return (W.nq);
}

/* Shutdown: every queued client hears msg (a session, BusyReply). */
void
wait_flush(const char *msg)
{
	struct waiter	*w;

	while ((w = TAILQ_FIRST(&W.q)) != NULL)
		wait_refuse(w, msg);
}
