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
 * What the pool shows: the Z/Y edges and F changes of mux-notify(7)
 * (edge.c decides them), S lines of tags and state changes, and the
 * views status and who are made from.
 */

#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "pool.h"

#define POOL_EDGE_BATCH		64	/* Z/Y edges reported per loop round */

static struct {
	struct edge	 edge;		/* Z/Y reported so far */
	struct event	*edge_ev;	/* report the edges left over */
} PR;

static void	pool_edge_cb(evutil_socket_t, short, void *);

void
pool_report_init(void)
{
	edge_init(&PR.edge, pool.n);
	if ((PR.edge_ev = evtimer_new(pool.base, pool_edge_cb, NULL)) == NULL)
		fatalx("pool events");
}

/*
 * "S n StateChange Old -> New" for every change a slot recorded, as the
 * real multiplexor sends them; a change its own names do not tell apart
 * (Starting -> Idle) is not one.  A listener that wants S makes the
 * slots record them (slot_move); past WS_TRANS_RING changes between two
 * looks, the oldest are lost, which only a stalled mux can cause.
 */
/* The mux fell WS_TRANS_RING changes behind a slot: say so, once. */
static void
pool_trans_lost(int i)
{
	static int64_t	last;
	int64_t		now = pool_now();

	if (now == last)
		return;
	last = now;
	log_warnx("worker %d: state changes lost, the mux fell behind", i);
}

static void
pool_report_states(void)
{
	struct pool_slot	*ps;
	char			 text[64];
	const char		*a, *b;
	int			 i, from, to, r;

	for (i = 0; i < pool.n; i++) {
		ps = &pool.slot[i];
		while (ps->trans_seen != atomic_load(&ps->s->trans_seq)) {
			r = slot_trans(ps->s, ps->trans_seen, &from, &to);
			if (r == 0)
				break;		/* being written: next round */
			ps->trans_seen++;
			if (r == -1) {
				pool_trans_lost(i);
				continue;
			}
			/* Retired at the end of a request: the real one
			   makes it idle first, and listeners count requests
			   by Busy -> Idle. */
			if (from == WS_BUSY && to == WS_RETIRING) {
				events_emit(EV_S, i, "StateChange Busy -> Idle");
				from = WS_IDLE;
			}
			a = slot_state_name(from);
			b = slot_state_name(to);
			if (a == b)
				continue;
			snprintf(text, sizeof(text), "StateChange %s -> %s",
			    a, b);
			events_emit(EV_S, i, text);
		}
	}
}

static void
pool_edge_emit(int ev, int n, void *arg)
{
	(void)arg;
	events_emit(ev, n, NULL);
}

/*
 * Report free-count edges and changes exactly (mux-notify(7)).  Workers
 * can make edges faster than the mux reports them to its listeners, so
 * a batch of POOL_EDGE_BATCH goes per loop round and the rest wait for
 * the next one (PR.edge_ev): a listener's command or a client in between
 * is not kept waiting behind thousands of them.  Returns 1 while edges
 * are left.
 */
static int
pool_report(void)
{
	uint64_t	z = atomic_load(&pool.shm->zseq);
	uint64_t	y = atomic_load(&pool.shm->yseq);
	int		i;
	char		tag[WS_TAG_MAX + 1];
	uint32_t	seq;

	if (evtimer_pending(PR.edge_ev, NULL))
		return (1);	/* this round has had its batch */
	if (atomic_load(&pool.shm->want_states))
		pool_report_states();
	if (edge_report(&PR.edge, z, y, atomic_load(&pool.shm->nfree),
	    POOL_EDGE_BATCH, pool_edge_emit, NULL))
		return (1);
	if (!atomic_load(&pool.shm->wake_every))
		return (0);
	for (i = 0; i < pool.n; i++) {
		if (pool.slot[i].pid <= 0)
			continue;
		seq = (uint32_t)slot_get_tag(pool.slot[i].s, tag, sizeof(tag));
		if (seq == pool.slot[i].tag_seen)
			continue;
		pool.slot[i].tag_seen = seq;
		if (tag[0] != '\0')
			events_emit(EV_S, i, tag);
	}
	return (0);
}

/*
 * A round's batch of events, its lines to each listener in one
 * send(2); the rest after the next poll, so that other descriptors
 * get a turn.
 */
void
pool_report_round(void)
{
	struct timeval	now = { 0, 0 };
	int		more;

	events_hold();
	more = pool_report();
	events_release();
	if (more && !evtimer_pending(PR.edge_ev, NULL))
		evtimer_add(PR.edge_ev, &now);
}

static void
pool_edge_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	pool_sync();
}

/* The free count as last reported in an F event: snapshots agree. */
int
pool_reported_free(void)
{
	return (PR.edge.last_free);
}

/* who: the session a slot serves, if any. */
static void
pool_view_sess(int i, struct cmd_worker *w)
{
	struct sess_info	si;
	uint8_t			addr[16];

	w->svc = pool.slot[i].sess != NULL;
	w->verb[0] = '\0';
	if (!w->in_session || pool_sess_info(i, &si, w->client,
	    sizeof(w->client), addr) == -1) {
		snprintf(w->client, sizeof(w->client), "-");
		snprintf(w->user, sizeof(w->user), "-");
		snprintf(w->cls, sizeof(w->cls), "-");
		return;
	}
	if (si.client != w->client)
		snprintf(w->client, sizeof(w->client), "%s", si.client);
	snprintf(w->user, sizeof(w->user), "%s", si.user);
	snprintf(w->cls, sizeof(w->cls), "%s", si.cls);
	if (w->svc) {
		(void)slot_seq_get(&pool.slot[i].s->verb_seq,
		    pool.slot[i].s->verb, w->verb, sizeof(w->verb));
		w->online = (int)(pool_now() - pool.slot[i].sess->start);
	}
}

void
pool_view(struct cmd_view *v, struct cmd_worker *w)
{
	struct pool_slot	*ps;
	int64_t			 now = pool_now(), first;
	int			 i;

	if (pool.shm == NULL) {	/* no pool (the listener fuzzer) */
		memset(v, 0, sizeof(*v));
		v->w = w;
		v->version = MUX_VERSION;
		return;
	}
	pool_sample_all();
	for (i = 0; i < pool.n; i++) {
		ps = &pool.slot[i];
		w[i].state = pool_state(i);
		/* The program's pid, which ps and strace want; else ours. */
		w[i].pid = atomic_load(&ps->s->hpid) > 0 && ps->pid > 0 ?
		    (pid_t)atomic_load(&ps->s->hpid) : ps->pid;
		w[i].cmd = atomic_load(&ps->s->cmd);
		w[i].last_cmd = atomic_load(&ps->s->last_cmd);
		w[i].ago = (int)(now - atomic_load(&ps->s->changed));
		if (atomic_load(&ps->s->changed) == 0)
			w[i].ago = (int)(now - pool.start);
		w[i].age = ps->pid > 0 ? (int)(now - ps->started) : -1;
		first = atomic_load(&ps->s->first_req);
		w[i].first_req_age = first ? (int)(now - first) : -1;
		w[i].nreq = atomic_load(&ps->s->nreq);
		/* Counted when it starts (for -r); shown when done. */
		if (w[i].state == WS_BUSY && w[i].nreq > 0 &&
		    !atomic_load(&ps->s->svc))
			w[i].nreq--;
		w[i].nscans = atomic_load(&ps->s->nscans);
		/* As MIMEDefang, which clears it at every state change: a
		   killed or idle slot shows no tag left from its request. */
		if (w[i].state == WS_BUSY && (atomic_load(&ps->s->svc) ||
		    atomic_load(&ps->s->cmd) != WS_CMD_NONE))
			slot_get_tag(ps->s, w[i].tag, sizeof(w[i].tag));
		else
			w[i].tag[0] = '\0';
		w[i].in_session = ps->pid > 0 &&
		    atomic_load(&ps->s->in_session);
		pool_view_sess(i, &w[i]);
	}
	memset(v, 0, sizeof(*v));
	v->nslots = pool.n;
	v->w = w;
	v->histo = (const uint64_t *)pool.shm->histo;
	v->lat = (const uint64_t *)pool.shm->lat;
	v->lat_sum_us = atomic_load(&pool.shm->lat_sum_us);
	for (i = 0; i < WS_LAT_N; i++)
		v->lat_count += v->lat[i];
	v->stats = &pool.stats;
	v->now = now;
	v->nfree = atomic_load(&pool.shm->nfree);
	v->msgs = pool.msgs;
	v->activations = pool.activations;
	v->queue_size = pool.conf->queue_size;
	v->nqueued = wait_queue_len();
	v->uptime = (int)(now - pool.start);
	v->version = MUX_VERSION;
}
