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
 * Filter ticks (-X, -P), as mimedefang-multiplexor runs them: every -X
 * seconds after the last one ended, "tick K" for each K below -P goes to
 * a free worker, so the filter's filter_tick runs; one of each K at a
 * time, skipped with a log line when no worker is free.  The mux is the
 * client: its end of a socketpair reads the reply, which it ignores.
 */

#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "mux.h"

#define TICK_MAX	30	/* -P, as the real one clamps it */
#define TICK_READ	4096

struct tick {
	int		 k;
	int		 fd;		/* our end while it runs, else -1 */
	struct event	*timer;
	struct event	*rd;
	size_t		 got;		/* reply bytes, bounded */
};

static struct {
	struct event_base	*base;
	int			 every;		/* s; 0: off */
	int			 n;
	int			 limit;		/* s a tick may take */
	struct tick		 t[TICK_MAX];
} K;

static void	tick_run_cb(evutil_socket_t, short, void *);

static void
tick_schedule(struct tick *t)
{
	struct timeval	tv = { K.every, 0 };

	if (K.every > 0)
		evtimer_add(t->timer, &tv);
}

static void
tick_end(struct tick *t)
{
	if (t->rd != NULL)
		event_free(t->rd);
	t->rd = NULL;
	if (t->fd != -1)
		close(t->fd);
	t->fd = -1;
	tick_schedule(t);
}

/* The worker's reply, read to its end (the worker closes), not kept. */
static void
tick_read_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct tick	*t = arg;
	char		 buf[TICK_READ];
	ssize_t		 n;

	if (ev & EV_TIMEOUT) {
		log_warnx("Tick %d: no reply in %d s", t->k, K.limit);
		tick_end(t);
		return;
	}
	n = read(fd, buf, sizeof(buf));
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0 && (t->got += (size_t)n) <= 1024 * 1024)
		return;
	log_debug("tick %d done", t->k);
	tick_end(t);
}

static void
tick_run_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct tick	*t = arg;
	struct timeval	 tv = { K.limit, 0 };
	char		 line[32];
	int		 sv[2], n;

	(void)fd;
	(void)ev;
	if (t->fd != -1)
		return;		/* still running: one of each K at a time */
	if (pool_free() == 0) {
		log_warnx("Tick %d skipped -- no free workers", t->k);
		tick_schedule(t);
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
	    sv) == -1) {
		log_warn("Tick %d skipped: socketpair", t->k);
		tick_schedule(t);
		return;
	}
	t->fd = sv[0];
	t->got = 0;
	t->rd = event_new(K.base, t->fd, EV_READ | EV_PERSIST, tick_read_cb, t);
	if (t->rd == NULL || event_add(t->rd, &tv) == -1) {
		log_warnx("Tick %d skipped: no event", t->k);
		close(sv[1]);
		tick_end(t);
		return;
	}
	n = snprintf(line, sizeof(line), "tick %d", t->k);
	wait_request(sv[1], line, (size_t)n);
}

/* Intervals and counts a reread may change; running ticks finish. */
void
tick_reconf(const struct conf *c)
{
	int	i;

	K.every = c->tick_every > 0 ? c->tick_every : 0;
	K.limit = c->busy_timeout + c->client_timeout + 10;
	for (i = 0; i < TICK_MAX; i++)
		if (K.t[i].timer != NULL)
			evtimer_del(K.t[i].timer);
	K.n = c->tick_parallel < 1 ? 1 : c->tick_parallel > TICK_MAX ?
	    TICK_MAX : c->tick_parallel;
	/* Spread over the interval, so -P ticks do not all want a worker
	   at the same moment; each keeps its phase after its first run. */
	for (i = 0; i < K.n && K.every > 0; i++) {
		int64_t		ms = (int64_t)K.every * 1000 * (i + 1) / K.n;
		struct timeval	tv = { ms / 1000, (ms % 1000) * 1000 };

		if (K.t[i].fd == -1)
			evtimer_add(K.t[i].timer, &tv);
	}
}

/* An upgrade: the new mux ticks; a running tick finishes. */
void
tick_stop(void)
{
	int	i;

	K.every = 0;
	for (i = 0; i < TICK_MAX; i++)
		if (K.t[i].timer != NULL)
			evtimer_del(K.t[i].timer);
}

void
tick_init(struct event_base *base, const struct conf *c)
{
	int	i;

	K.base = base;
	for (i = 0; i < TICK_MAX; i++) {
		K.t[i].k = i;
		K.t[i].fd = -1;
		if ((K.t[i].timer = evtimer_new(base, tick_run_cb,
		    &K.t[i])) == NULL)
			fatalx("tick timer");
	}
	tick_reconf(c);
}
