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
 * Clients to workers.  Workers accept on the shared socket themselves;
 * the mux takes a client only when no worker would (pool_watch), and
 * then hands it to an idle worker (policy_pick_idle), to one it starts,
 * or to the queue, which keeps its order.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "pool.h"

#define POOL_ACCEPT_GRACE_US	1000	/* nothing idle this long: mux accepts */

static struct {
	struct event		*grace_ev;
	struct event		*wake_ev;
	struct policy_idle	*pick;		/* what the pick weighs */
} PD;

static void	pool_drain(void);
static void	pool_grace_cb(evutil_socket_t, short, void *);
static void	pool_wake_cb(evutil_socket_t, short, void *);

void
pool_dispatch_init(void)
{
	PD.pick = calloc((size_t)pool.n, sizeof(*PD.pick));
	PD.wake_ev = event_new(pool.base, pool.wake[0], EV_READ | EV_PERSIST,
	    pool_wake_cb, NULL);
	PD.grace_ev = evtimer_new(pool.base, pool_grace_cb, NULL);
	if (PD.pick == NULL || PD.wake_ev == NULL || PD.grace_ev == NULL ||
	    event_add(PD.wake_ev, NULL) == -1)
		fatalx("pool dispatch");
}

struct pool_slot *
pool_find_stopped(void)
{
	int	i;

	for (i = 0; i < pool.n; i++)
		if (pool_state(i) == WS_STOPPED && pool.slot[i].pid <= 0)
			return (&pool.slot[i]);
	return (NULL);
}

/* A starting worker nobody waits for yet. */
static struct pool_slot *
pool_find_starting(void)
{
	int	i;

	for (i = 0; i < pool.n; i++)
		if (pool_state(i) == WS_STARTING && pool.slot[i].pending == NULL)
			return (&pool.slot[i]);
	return (NULL);
}

/* States and last changes of every slot, for the policy functions. */
void
pool_snapshot(void)
{
	int	i;

	for (i = 0; i < pool.n; i++) {
		pool.st[i] = pool_state(i);
		pool.ch[i] = atomic_load(&pool.slot[i].s->changed);
	}
}

/*
 * Hand a client to an idle worker: reserve the slot (IDLE -> BUSY, so it
 * is ours to give), count the reservation in handed, then send.  -1 if
 * the worker stopped being idle first.
 */
static int
pool_reserve(struct pool_slot *ps, struct waiter *w)
{
	size_t		 len;
	const char	*line;
	struct svc_sess	*sess;

	if (slot_move(pool.shm, ps->s, WS_IDLE, WS_BUSY) == -1)
		return (-1);
	atomic_store(&ps->s->busy_since, slot_now_ms());
	atomic_fetch_add(&ps->s->handed, 1);
	line = wait_line(w, &len);
	/*
	 * IDLE means the last session is over, but its end may still wait
	 * unread on the channel (the worker goes IDLE after sending it);
	 * once ps->sess is the new session, that end would not match.
	 */
	pool_sess_end(ps, " (seen idle first)", 0);
	if ((sess = wait_take_sess(w)) != NULL) {
		ps->sess = sess;
		sess->slot = ps->idx;
		/* Promised before the client goes: its greeting waits. */
		atomic_fetch_add(&ps->s->mq_owed, sess->nheld);
	}
	pool_ctl(ps, WS_CTL_CHAN, WS_MSG_CLIENT, sess ? sess->token : 0,
	    wait_fd(w), line, len);
	wait_handed(w);
	if (sess != NULL)
		pool_msg_held(ps);
	return (0);
}

/* Reserve the idle worker policy_pick_idle() names and pass it the client. */
static int
pool_hand_idle(struct waiter *w)
{
	int		 i, tries, kind;
	size_t		 len;
	const char	*line;

	line = wait_line(w, &len);
	kind = len > 0 ? slot_cmd_kind(line, len) : WS_CMD_NONE;
	for (tries = 0; tries < 4; tries++) {
		pool_snapshot();
		for (i = 0; i < pool.n; i++) {
			PD.pick[i].state = pool.st[i];
			PD.pick[i].last = atomic_load_explicit(
			    &pool.slot[i].s->last_cmd, memory_order_relaxed);
			PD.pick[i].asleep = atomic_load_explicit(
			    &pool.slot[i].s->asleep, memory_order_relaxed);
			PD.pick[i].reading = atomic_load_explicit(
			    &pool.slot[i].s->reading, memory_order_relaxed);
			PD.pick[i].activated = pool.slot[i].activated;
		}
		if ((i = policy_pick_idle(PD.pick, pool.n, kind)) == -1)
			return (-1);
		if (pool_reserve(&pool.slot[i], w) == 0)
			return (0);
	}
	return (-1);
}

/*
 * Find a worker for a client the mux accepted itself.  Queued clients
 * keep their order: a newcomer never overtakes the queue.
 */
int
pool_dispatch(struct waiter *w, int queued)
{
	struct pool_slot	*ps;
	int			 nospawn = 0;

	if (pool.stopping)
		return (POOL_REFUSED);
	if (!queued && wait_queue_len() > 0) {
		pool_drain();
		if (wait_queue_len() > 0)
			goto queue;
	}
	if (pool_hand_idle(w) == 0)
		return (POOL_HANDED);
	if ((ps = pool_find_starting()) != NULL) {
		ps->pending = w;
		return (POOL_PENDING);
	}
	if ((ps = pool_find_stopped()) != NULL) {
		char		 why[96];
		const char	*l;
		size_t		 n;

		l = wait_line(w, &n);
		if (wait_is_session(w))
			snprintf(why, sizeof(why), "About to serve a session");
		else if (n > 5 && strncmp(l, "scan ", 5) == 0)
			snprintf(why, sizeof(why), "About to perform scan");
		else
			snprintf(why, sizeof(why), "About to execute command "
			    "'%.*s'", (int)(n > 60 ? 60 : n), l);
		if (pool_spawn(ps, why) == 0) {
			ps->pending = w;
			return (POOL_PENDING);
		}
		nospawn = 1;
	}
	if (queued)
		return (POOL_QUEUED);
queue:
	if (pool.conf->queue_size > 0 && wait_queue_len() < pool.conf->queue_size)
		return (POOL_QUEUED);
	return (nospawn ? POOL_NOSPAWN : POOL_REFUSED);
}

/*
 * The queue's length changed: while it holds clients, workers that come
 * free wait for the mux to hand them the oldest (ws_wait_queue), rather
 * than take newcomers off the socket ahead of it.
 */
void
pool_queued(int n)
{
	atomic_store_explicit(&pool.shm->mux_queued, n > 0,
	    memory_order_relaxed);
}

/* Hand queued clients to whatever became usable, in FIFO order. */
static void
pool_drain(void)
{
	struct waiter	*w;
	int		 rv;

	while ((w = wait_queue_head()) != NULL) {
		rv = pool_dispatch(w, 1);
		if (rv == POOL_QUEUED || rv == POOL_REFUSED ||
		    rv == POOL_NOSPAWN)
			break;
		if (rv == POOL_PENDING)
			wait_unqueue(w);
	}
}

/* Is every slot running a worker that is idle or busy? */
static int
pool_all_running(void)
{
	int	i, st;

	for (i = 0; i < pool.n; i++)
		if ((st = pool_state(i)) != WS_IDLE && st != WS_BUSY)
			return (0);
	return (1);
}

/* No worker would take a new client: nothing idle, nothing starting. */
static int
pool_nobody_accepts(void)
{
	return (atomic_load(&pool.shm->nidle) == 0 && pool_find_starting() == NULL);
}

/* The mux takes clients itself or not; the workers' yield asks (ws.c). */
static void
pool_listen(int on)
{
	req_listen(on);
	atomic_store_explicit(&pool.shm->mux_accepts, req_listening(),
	    memory_order_relaxed);
}

/*
 * The mux watches the request socket while clients wait in its queue,
 * and while no worker would accept (nothing idle or starting) for longer
 * than POOL_ACCEPT_GRACE_US: then it queues, refuses, or starts a
 * worker.  The grace keeps clients on the fast path through the moments
 * all workers are busy for a few microseconds; the Z/Y events themselves
 * are reported at once.  Idle edges wake the mux only while some slot is
 * not simply running: in steady state only the free edges do.
 */
static void
pool_watch(void)
{
	struct timeval	tv = { 0, POOL_ACCEPT_GRACE_US };

	if (wait_queue_len() > 0) {
		pool_listen(1);
		return;
	}
	if (!pool_nobody_accepts()) {
		evtimer_del(PD.grace_ev);
		pool_listen(0);
	} else if (!req_listening() && !evtimer_pending(PD.grace_ev, NULL))
		evtimer_add(PD.grace_ev, &tv);
}

static void
pool_grace_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	if (!pool.stopping && pool_nobody_accepts())
		pool_listen(1);
}

void
pool_sync(void)
{
	pool_report_round();
	if (pool.stopping)
		return;
	pool_drain();
	atomic_store(&pool.shm->wake_idle, !pool_all_running());
	if (pool.handoff)
		pool_handoff_step();
	else
		pool_watch();
}

static void
pool_wake_cb(evutil_socket_t fd, short ev, void *arg)
{
	char	buf[256];

	(void)ev;
	(void)arg;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pool_sync();
}

void
pool_ready(struct pool_slot *ps)
{
	struct waiter	*w = ps->pending;

	if (w != NULL) {
		ps->pending = NULL;
		if (pool_reserve(ps, w) == -1)
			wait_dispatch(w);
	}
	if (ps->s->gen != atomic_load(&pool.shm->gen) || pool.stopping)
		pool_retire(ps, "New generation -- forcing reread of filter "
		    "rules");
	pool_sync();
}

/* A session kicked while it waited for this STARTING slot. */
void
pool_unpend(struct waiter *w)
{
	int	i;

	for (i = 0; i < pool.n; i++)
		if (pool.slot[i].pending == w)
			pool.slot[i].pending = NULL;
}
