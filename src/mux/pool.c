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
 * The worker pool: slots, spawning and reaping, timers, generations,
 * and the events of mux-notify(7).  Worker sessions keep the per-request
 * books themselves in shared memory; the mux wakes only on the edges it
 * must act on or report (free 0<->1, idle 0<->1), on channel messages,
 * and once a second for housekeeping.
 */

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "mux.h"

#define POOL_BACKOFF_CAP	60	/* s, crash-loop pause */
#define POOL_KILL_GRACE		10	/* s, SIGTERM before SIGKILL */
#define POOL_ACCEPT_GRACE_US	1000	/* nothing idle this long: mux accepts */
#define POOL_RESIGNAL_US	10000	/* a lost wake-up costs at most this */
#define POOL_EDGE_BATCH		64	/* Z/Y edges reported per loop round */

struct pool_slot {
	struct ws_slot		*s;
	int			 idx;
	pid_t			 pid;
	int			 chan;
	struct event		*chan_ev;
	int64_t			 started;	/* realtime s */
	uint64_t		 activated;	/* P.activations then */
	int64_t			 term_at;	/* ms the mux sent SIGTERM */
	int			 mux_killed;
	int			 kill_logged;	/* "Killing ... worker" said */
	struct req		*pending;	/* waits for this STARTING slot */
	struct svc_sess		*sess;		/* the service session it serves */
	uint64_t		 seen_cnt[WS_NCMDS];
	uint64_t		 seen_busy[WS_NCMDS];
	uint64_t		 seen_ms[WS_NCMDS];
	uint32_t		 tag_seen;
	uint32_t		 trans_seen;	/* state changes reported */
	struct errlog		 err;		/* its programs' stderr */
};

static struct pool {
	struct event_base	*base;
	struct conf		*conf;
	struct ws_conf		 wsc;
	struct ws_shm		*shm;
	struct pool_slot	*slot;
	int			 n;
	int			*st;		/* scratch: states, */
	int64_t			*ch;		/* last changes, */
	struct policy_idle	*pick;		/* what the pick weighs, */
	int			*out;		/* slots to retire */
	int			 lfd;
	int			 wake[2];
	struct event		*wake_ev;
	struct event		*tick_ev;
	struct event		*resig_ev;	/* pool_nudge again */
	struct event		*topup_ev;
	struct event		*chld_ev;
	struct event		*grace_ev;
	struct event		*mq_ev;		/* msgq_retry while messages wait */
	int			 mq_ms;		/* its interval */
	struct event		*edge_ev;	/* report the edges left over */
	struct stats		 stats;
	uint64_t		 msgs;
	uint64_t		 activations;
	int64_t			 last_act;	/* ms */
	int			 backoff;	/* s */
	int64_t			 throttle_until; /* ms */
	struct edge		 edge;		/* Z/Y reported so far */
	int			 stopping;
	int			 watched;	/* a listener wants F or S */
	int64_t			 stop_at;	/* ms */
	int64_t			 start;
	int64_t			 status_at;	/* -L: last status line, s */
} P;

static int64_t
pool_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (ts.tv_sec);
}

/* Interrupt the worker, and look again in POOL_RESIGNAL_US. */
static void
pool_signal(struct pool_slot *ps)
{
	struct timeval	tv = { 0, POOL_RESIGNAL_US };

	(void)kill(ps->pid, SIGUSR1);
	if (!evtimer_pending(P.resig_ev, NULL))
		evtimer_add(P.resig_ev, &tv);
}

/*
 * A worker blocked in accept(2) does not see its channel: interrupt it.
 * The signal can land just before the worker's accept(2) and be lost,
 * so it is sent again every POOL_RESIGNAL_US until the control bits are
 * taken (ws.c, ws_accept).
 */
static void
pool_nudge(struct pool_slot *ps)
{
	if (ps->pid > 0 && atomic_load(&ps->s->waiting))
		pool_signal(ps);
}

/* A kick the worker has not taken yet (it zeroes kick when it does). */
static int
pool_kick_pending(struct pool_slot *ps)
{
	uint32_t	k = atomic_load(&ps->s->kick);

	return (ps->pid > 0 && k != 0 && atomic_load(&ps->s->in_session) &&
	    k == atomic_load(&ps->s->session));
}

static void
pool_resignal_cb(evutil_socket_t fd, short ev, void *arg)
{
	int	i;

	(void)fd;
	(void)ev;
	(void)arg;
	for (i = 0; i < P.n; i++)
		if (atomic_load(&P.slot[i].s->ctl) != 0)
			pool_nudge(&P.slot[i]);
		else if (pool_kick_pending(&P.slot[i]))
			pool_signal(&P.slot[i]);
}

/* Set a control bit, then send the message that wakes the worker. */
static void
pool_ctl(struct pool_slot *ps, int bit, int type, uint32_t arg, int fd,
    const char *line, size_t len)
{
	atomic_fetch_or(&ps->s->ctl, bit);
	if (ps->chan != -1 && chan_send(ps->chan, type, arg, line, len, fd,
	    MSG_DONTWAIT) == -1)
		log_warn("worker %d: control channel", ps->idx);
	pool_nudge(ps);
}

static int	pool_running(void);
static int	pool_state(int);

static const char *
pool_topup_why(void)
{
	static char	why[64];

	snprintf(why, sizeof(why), "Bringing workers up to minWorkers (%d)",
	    P.conf->min_workers);
	return (why);
}

static const char *
pool_lifetime_why(void)
{
	static char	why[80];

	snprintf(why, sizeof(why), "Worker has exceeded maximum lifetime of "
	    "%d seconds", P.conf->max_lifetime);
	return (why);
}

/*
 * The line log watchers know from mimedefang-multiplexor, and the
 * statistics log's KillWorker; once per worker.
 */
static void
pool_log_kill(struct pool_slot *ps, const char *why)
{
	int64_t		now = pool_now(), first = atomic_load(&ps->s->first_req);
	uint64_t	nreq = atomic_load(&ps->s->nreq);
	int		age = (int)(now - ps->started);
	int		st = pool_state(ps->idx);

	if (ps->kill_logged)
		return;
	ps->kill_logged = 1;
	log_info("Killing %s worker %d (pid %ld) req=%llu age=%d req_age=%d: "
	    "%s", st == WS_BUSY ? "busy" : "idle", ps->idx, (long)ps->pid,
	    (unsigned long long)nreq, age, first ? (int)(now - first) : 0, why);
	statlog_event("KillWorker", ps->idx, pool_running(),
	    atomic_load(&P.shm->nbusy), "req=%llu age=%d reason=\"%s\"",
	    (unsigned long long)nreq, age, why);
}

static void
pool_retire(struct pool_slot *ps, const char *why)
{
	if (ps->pid <= 0)
		return;
	pool_log_kill(ps, why);
	pool_ctl(ps, WS_CTL_RETIRE, WS_MSG_RETIRE, 0, -1, NULL, 0);
}

/* Fold a worker's counters into the load history. */
static void
pool_sample(struct pool_slot *ps, int64_t now)
{
	uint64_t	c, b, m;
	int		k;

	for (k = 0; k < WS_NCMDS; k++) {
		c = atomic_load_explicit(&ps->s->cnt[k], memory_order_relaxed);
		if (c == ps->seen_cnt[k])
			continue;
		b = atomic_load_explicit(&ps->s->busysum[k],
		    memory_order_relaxed);
		m = atomic_load_explicit(&ps->s->ms[k], memory_order_relaxed);
		stats_add(&P.stats, now, k, c - ps->seen_cnt[k],
		    b - ps->seen_busy[k], m - ps->seen_ms[k]);
		if (k == WS_CMD_SCAN)
			P.msgs += c - ps->seen_cnt[k];
		ps->seen_cnt[k] = c;
		ps->seen_busy[k] = b;
		ps->seen_ms[k] = m;
	}
}

static void
pool_sample_all(void)
{
	int64_t	now = pool_now();
	int	i;

	for (i = 0; i < P.n; i++)
		if (P.slot[i].pid > 0)
			pool_sample(&P.slot[i], now);
}

static int
pool_state(int i)
{
	return (atomic_load(&P.slot[i].s->state));
}

/* A state as mimedefang-multiplexor names it in StateChange lines. */
static const char *
pool_state_word(int st)
{
	switch (st) {
	case WS_STOPPED:
		return ("Stopped");
	case WS_STARTING:	/* it has no such state: Idle at fork */
	case WS_IDLE:
		return ("Idle");
	case WS_BUSY:
		return ("Busy");
	default:		/* retiring or killed: waiting to be reaped */
		return ("Killed");
	}
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

	for (i = 0; i < P.n; i++) {
		ps = &P.slot[i];
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
			a = pool_state_word(from);
			b = pool_state_word(to);
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
 * the next one (P.edge_ev): a listener's command or a client in between
 * is not kept waiting behind thousands of them.  Returns 1 while edges
 * are left.
 */
static int
pool_report(void)
{
	uint64_t	z = atomic_load(&P.shm->zseq);
	uint64_t	y = atomic_load(&P.shm->yseq);
	int		i;
	char		tag[WS_TAG_MAX + 1];
	uint32_t	seq;

	if (evtimer_pending(P.edge_ev, NULL))
		return (1);	/* this round has had its batch */
	if (atomic_load(&P.shm->want_states))
		pool_report_states();
	if (edge_report(&P.edge, z, y, atomic_load(&P.shm->nfree),
	    POOL_EDGE_BATCH, pool_edge_emit, NULL))
		return (1);
	if (!atomic_load(&P.shm->wake_every))
		return (0);
	for (i = 0; i < P.n; i++) {
		if (P.slot[i].pid <= 0)
			continue;
		seq = (uint32_t)slot_get_tag(P.slot[i].s, tag, sizeof(tag));
		if (seq == P.slot[i].tag_seen)
			continue;
		P.slot[i].tag_seen = seq;
		if (tag[0] != '\0')
			events_emit(EV_S, i, tag);
	}
	return (0);
}

/* The lines of a round go to each listener in one send(2). */
static int
pool_events(void)
{
	int	more;

	events_hold();
	more = pool_report();
	events_release();
	return (more);
}

static int
pool_running(void)
{
	int	i, n = 0;

	for (i = 0; i < P.n; i++)
		if (P.slot[i].pid > 0)
			n++;
	return (n);
}

static int
pool_alive(void)
{
	int	i, n = 0, st;

	for (i = 0; i < P.n; i++) {
		st = pool_state(i);
		if (st == WS_STARTING || st == WS_IDLE || st == WS_BUSY)
			n++;
	}
	return (n);
}

static void	pool_chan_cb(evutil_socket_t, short, void *);
static void	pool_drain(void);
static void	pool_mq_cb(evutil_socket_t, short, void *);
static void	pool_msg_held(struct pool_slot *);
static void	pool_mq_sent(pid_t);
static int	pool_mq_owed(pid_t);
static int	pool_sess_info(int, struct sess_info *, char *, size_t,
		    uint8_t [16]);

static void
pool_reset_slot(struct pool_slot *ps)
{
	struct ws_slot	*s = ps->s;
	int		 k;

	atomic_store(&s->ctl, 0);
	atomic_store(&s->handed, 0);
	atomic_store(&s->waiting, 0);
	atomic_store(&s->asleep, 0);
	atomic_store(&s->reading, 0);
	atomic_store(&s->in_session, 0);
	atomic_store(&s->kick, 0);
	atomic_store(&s->mq_wake, 0);
	atomic_store(&s->mq_owed, 0);
	atomic_store(&s->svc, 0);
	atomic_store(&s->peer_family, AF_UNSPEC);
	atomic_store(&s->hpid, 0);
	s->gen = atomic_load(&P.shm->gen);
	s->max_req = policy_jitter(P.conf->max_requests, (uint32_t)random());
	atomic_store(&s->cmd, WS_CMD_NONE);
	atomic_store(&s->last_cmd, WS_CMD_NONE);
	atomic_store(&s->busy_since, 0);
	atomic_store(&s->first_req, 0);
	atomic_store(&s->nreq, 0);
	atomic_store(&s->nscans, 0);
	for (k = 0; k < WS_NCMDS; k++) {
		atomic_store(&s->cnt[k], 0);
		atomic_store(&s->busysum[k], 0);
		atomic_store(&s->ms[k], 0);
		ps->seen_cnt[k] = ps->seen_busy[k] = ps->seen_ms[k] = 0;
	}
	slot_set_tag(s, "", 0);
	ps->tag_seen = atomic_load(&s->tag_seq);
	ps->mux_killed = 0;
	ps->kill_logged = 0;
	ps->term_at = 0;
}

/* Can a worker be started now (-W spacing, crash-loop pause)? */
static int
pool_may_spawn(void)
{
	int64_t	now = slot_now_ms();

	if (P.stopping || now < P.throttle_until)
		return (0);
	if (P.conf->min_slew > 0 && P.activations > 0 &&
	    now - P.last_act < (int64_t)P.conf->min_slew * 1000)
		return (0);
	return (1);
}

static int
pool_spawn(struct pool_slot *ps, const char *why)
{
	int		sp[2], logw;
	pid_t		pid;
	sigset_t	all, old;

	if (!pool_may_spawn())
		return (-1);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("socketpair");
		return (-1);
	}
	logw = errlog_open(&ps->err, P.base, ps->idx);
	pool_reset_slot(ps);
	if (slot_move(P.shm, ps->s, WS_STOPPED, WS_STARTING) == -1)
		fatalx("worker %d: spawn from state %d", ps->idx,
		    pool_state(ps->idx));
	/* No signal may reach libevent's handlers in the child. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0) {
		close(sp[0]);
		ws_main(P.shm, ps->idx, P.lfd, sp[1], logw, &P.wsc);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(sp[1]);
	if (logw != -1)
		close(logw);
	if (pid == -1) {
		log_warn("fork");
		close(sp[0]);
		errlog_close(&ps->err);
		(void)slot_move(P.shm, ps->s, WS_STARTING, WS_STOPPED);
		return (-1);
	}
	ps->pid = pid;
	ps->chan = sp[0];
	(void)fcntl(ps->chan, F_SETFL, O_NONBLOCK);
	ps->chan_ev = event_new(P.base, ps->chan, EV_READ | EV_PERSIST,
	    pool_chan_cb, ps);
	if (ps->chan_ev == NULL || event_add(ps->chan_ev, NULL) == -1)
		fatalx("event_add");
	ps->started = pool_now();
	ps->activated = ++P.activations;
	P.last_act = slot_now_ms();
	stats_activation(&P.stats, ps->started);
	log_info("Starting worker %d (pid %ld) (%d running): %s", ps->idx,
	    (long)pid, pool_running(), why);
	statlog_event("StartWorker", ps->idx, pool_running(),
	    atomic_load(&P.shm->nbusy), "reason=\"%s\"", why);
	return (0);
}

static struct pool_slot *
pool_find_stopped(void)
{
	int	i;

	for (i = 0; i < P.n; i++)
		if (pool_state(i) == WS_STOPPED && P.slot[i].pid <= 0)
			return (&P.slot[i]);
	return (NULL);
}

/* A starting worker nobody waits for yet. */
static struct pool_slot *
pool_find_starting(void)
{
	int	i;

	for (i = 0; i < P.n; i++)
		if (pool_state(i) == WS_STARTING && P.slot[i].pending == NULL)
			return (&P.slot[i]);
	return (NULL);
}

/* States and last changes of every slot, for the policy functions. */
static void
pool_snapshot(void)
{
	int	i;

	for (i = 0; i < P.n; i++) {
		P.st[i] = pool_state(i);
		P.ch[i] = atomic_load(&P.slot[i].s->changed);
	}
}

/*
 * Its session ended: what reached the worker and was not delivered
 * (delivered says how many were), and what still waits for it, is
 * undelivered; purged, it cannot reach the worker's next session.
 */
static void
pool_sess_end(struct pool_slot *ps, const char *why, int delivered)
{
	if (ps->sess == NULL)
		return;
	log_debug("worker %d: session %u of %s ended%s", ps->idx,
	    ps->sess->token, ps->sess->host, why);
	if (ps->sess->msgs > 0) {
		(void)msgq_purge(ps->pid);
		atomic_store(&ps->s->mq_owed, 0);
	}
	svc_end_msgs(ps->sess, delivered, why);
	svc_end(ps->sess);
	ps->sess = NULL;
}

/*
 * Hand a client to an idle worker: reserve the slot (IDLE -> BUSY, so it
 * is ours to give), count the reservation in handed, then send.  -1 if
 * the worker stopped being idle first.
 */
static int
pool_reserve(struct pool_slot *ps, struct req *r)
{
	size_t		 len;
	const char	*line;
	struct svc_sess	*sess;

	if (slot_move(P.shm, ps->s, WS_IDLE, WS_BUSY) == -1)
		return (-1);
	atomic_store(&ps->s->busy_since, slot_now_ms());
	atomic_fetch_add(&ps->s->handed, 1);
	line = req_line(r, &len);
	/*
	 * IDLE means the last session is over, but its end may still wait
	 * unread on the channel (the worker goes IDLE after sending it);
	 * once ps->sess is the new session, that end would not match.
	 */
	pool_sess_end(ps, " (seen idle first)", 0);
	if ((sess = req_take_sess(r)) != NULL) {
		ps->sess = sess;
		sess->slot = ps->idx;
		/* Promised before the client goes: its greeting waits. */
		atomic_fetch_add(&ps->s->mq_owed, sess->nheld);
	}
	pool_ctl(ps, WS_CTL_CHAN, WS_MSG_CLIENT, sess ? sess->token : 0,
	    req_fd(r), line, len);
	req_handed(r);
	if (sess != NULL)
		pool_msg_held(ps);
	return (0);
}

/* Reserve the idle worker policy_pick_idle() names and pass it the client. */
static int
pool_hand_idle(struct req *r)
{
	int		 i, tries, kind;
	size_t		 len;
	const char	*line;

	line = req_line(r, &len);
	kind = len > 0 ? slot_cmd_kind(line, len) : WS_CMD_NONE;
	for (tries = 0; tries < 4; tries++) {
		pool_snapshot();
		for (i = 0; i < P.n; i++) {
			P.pick[i].state = P.st[i];
			P.pick[i].last = atomic_load_explicit(
			    &P.slot[i].s->last_cmd, memory_order_relaxed);
			P.pick[i].asleep = atomic_load_explicit(
			    &P.slot[i].s->asleep, memory_order_relaxed);
			P.pick[i].reading = atomic_load_explicit(
			    &P.slot[i].s->reading, memory_order_relaxed);
			P.pick[i].activated = P.slot[i].activated;
		}
		if ((i = policy_pick_idle(P.pick, P.n, kind)) == -1)
			return (-1);
		if (pool_reserve(&P.slot[i], r) == 0)
			return (0);
	}
	return (-1);
}

/*
 * Find a worker for a client the mux accepted itself.  Queued clients
 * keep their order: a newcomer never overtakes the queue.
 */
int
pool_dispatch(struct req *r, int queued)
{
	struct pool_slot	*ps;
	int			 nospawn = 0;

	if (P.stopping)
		return (POOL_REFUSED);
	if (!queued && req_queue_len() > 0) {
		pool_drain();
		if (req_queue_len() > 0)
			goto queue;
	}
	if (pool_hand_idle(r) == 0)
		return (POOL_HANDED);
	if ((ps = pool_find_starting()) != NULL) {
		ps->pending = r;
		return (POOL_PENDING);
	}
	if ((ps = pool_find_stopped()) != NULL) {
		char		 why[96];
		const char	*l;
		size_t		 n;

		l = req_line(r, &n);
		if (req_has_sess(r))
			snprintf(why, sizeof(why), "About to serve a session");
		else if (n > 5 && strncmp(l, "scan ", 5) == 0)
			snprintf(why, sizeof(why), "About to perform scan");
		else
			snprintf(why, sizeof(why), "About to execute command "
			    "'%.*s'", (int)(n > 60 ? 60 : n), l);
		if (pool_spawn(ps, why) == 0) {
			ps->pending = r;
			return (POOL_PENDING);
		}
		nospawn = 1;
	}
	if (queued)
		return (POOL_QUEUED);
queue:
	if (P.conf->queue_size > 0 && req_queue_len() < P.conf->queue_size)
		return (POOL_QUEUED);
	return (nospawn ? POOL_NOSPAWN : POOL_REFUSED);
}

/* Hand queued clients to whatever became usable, in FIFO order. */
static void
pool_drain(void)
{
	struct req	*r;
	int		 rv;

	while ((r = req_queue_head()) != NULL) {
		rv = pool_dispatch(r, 1);
		if (rv == POOL_QUEUED || rv == POOL_REFUSED ||
		    rv == POOL_NOSPAWN)
			break;
		if (rv == POOL_PENDING)
			req_unqueue(r);
	}
}

/* Is every slot running a worker that is idle or busy? */
static int
pool_all_running(void)
{
	int	i, st;

	for (i = 0; i < P.n; i++)
		if ((st = pool_state(i)) != WS_IDLE && st != WS_BUSY)
			return (0);
	return (1);
}

/* No worker would take a new client: nothing idle, nothing starting. */
static int
pool_nobody_accepts(void)
{
	return (atomic_load(&P.shm->nidle) == 0 && pool_find_starting() == NULL);
}

/* The mux takes clients itself or not; the workers' yield asks (ws.c). */
static void
pool_listen(int on)
{
	req_listen(on);
	atomic_store_explicit(&P.shm->mux_accepts, req_listening(),
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

	if (req_queue_len() > 0) {
		pool_listen(1);
		return;
	}
	if (!pool_nobody_accepts()) {
		evtimer_del(P.grace_ev);
		pool_listen(0);
	} else if (!req_listening() && !evtimer_pending(P.grace_ev, NULL))
		evtimer_add(P.grace_ev, &tv);
}

static void
pool_grace_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	if (!P.stopping && pool_nobody_accepts())
		pool_listen(1);
}

static void
pool_sync(void)
{
	struct timeval	now = { 0, 0 };

	/* The rest after the next poll: other descriptors get a turn. */
	if (pool_events() && !evtimer_pending(P.edge_ev, NULL))
		evtimer_add(P.edge_ev, &now);
	if (P.stopping)
		return;
	pool_drain();
	atomic_store(&P.shm->wake_idle, !pool_all_running());
	pool_watch();
}

static void
pool_edge_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	pool_sync();
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

static void
pool_ready(struct pool_slot *ps)
{
	struct req	*r = ps->pending;

	if (r != NULL) {
		ps->pending = NULL;
		if (pool_reserve(ps, r) == -1)
			req_dispatch(r);
	}
	if (ps->s->gen != atomic_load(&P.shm->gen) || P.stopping)
		pool_retire(ps, "New generation -- forcing reread of filter "
		    "rules");
	pool_sync();
}

/* A service session's user, or its end (checked against its token). */
static void
pool_sess_msg(struct pool_slot *ps, const struct ws_msghdr *h,
    const char *line)
{
	char		 buf[WS_TAG_MAX + 1];
	const char	*refusal;
	int		 delivered, dropped;

	if (ps->sess == NULL || h->arg != ps->sess->token)
		return;
	if (h->type == WS_MSG_END) {
		/* Its text: the messages it delivered, and dropped. */
		if (sscanf(line, "%d %d", &delivered, &dropped) != 2)
			delivered = dropped = 0;
		if (dropped > 0)
			ps->sess->dropped += dropped;
		pool_sess_end(ps, "", delivered);
		return;
	}
	/* Answered either way: the worker may hold the login's reply. */
	refusal = svc_user(ps->sess, line, buf, sizeof(buf));
	if (chan_send(ps->chan, refusal ? WS_MSG_LIMIT : WS_MSG_USER, h->arg,
	    refusal, refusal ? strlen(refusal) : 0, -1, MSG_DONTWAIT) == -1)
		log_warn("worker %d: control channel", ps->idx);
}

static void
pool_chan_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct pool_slot	*ps = arg;
	struct ws_msghdr	 h;
	char			 line[WS_LINE_MAX + 1];
	int			 cfd, r;

	(void)ev;
	while ((r = chan_recv(fd, &h, line, &cfd, MSG_DONTWAIT)) != 0) {
		if (r == -1) {
			/* Gone, or talking nonsense: the reap cleans up. */
			event_del(ps->chan_ev);
			return;
		}
		switch (h.type) {
		case WS_MSG_READY:
			pool_ready(ps);
			break;
		case WS_MSG_CMD:
			if (cfd != -1)
				req_adopt(cfd, line, h.len);
			cfd = -1;
			break;
		case WS_MSG_BUSYKILL:
			pool_log_kill(ps, "Busy timeout");
			events_emit(EV_B, 0, NULL);
			break;
		case WS_MSG_SCAN:
			statlog_event("StartFilter", ps->idx, pool_running(),
			    (int)h.arg, NULL);
			break;
		case WS_MSG_USER:
		case WS_MSG_END:
			pool_sess_msg(ps, &h, line);
			break;
		}
		if (cfd != -1)
			close(cfd);
	}
}

/* A worker that retired by itself: why, as the real one would say. */
static void
pool_log_self_kill(struct pool_slot *ps)
{
	char		why[96];
	uint64_t	nreq = atomic_load(&ps->s->nreq);

	if (ps->s->max_req > 0 && nreq >= ps->s->max_req)
		snprintf(why, sizeof(why), "Worker has processed %llu requests",
		    (unsigned long long)nreq);
	else if (ps->s->gen != atomic_load(&P.shm->gen))
		snprintf(why, sizeof(why), "New generation -- forcing reread "
		    "of filter rules");
	else if (P.conf->max_lifetime > 0)
		snprintf(why, sizeof(why), "Worker has exceeded maximum "
		    "lifetime of %d seconds", P.conf->max_lifetime);
	else
		snprintf(why, sizeof(why), "Worker retired");
	pool_log_kill(ps, why);
}

/* The Reap lines of mimedefang-multiplexor, which log watchers match. */
static void
pool_log_reap(struct pool_slot *ps, int status, int unexpected)
{
	const char	*extra = unexpected ? " (WORKER DIED UNEXPECTEDLY)" : "";

	if (WIFSIGNALED(status) && !unexpected &&
	    (WTERMSIG(status) == SIGTERM || WTERMSIG(status) == SIGKILL))
		log_info("Reap: worker %d (pid %ld) exited due to "
		    "SIGTERM/SIGKILL as expected.", ps->idx, (long)ps->pid);
	else if (WIFSIGNALED(status))
		(unexpected ? log_warnx : log_info)("Reap: worker %d (pid %ld) "
		    "exited due to signal %d%s", ps->idx, (long)ps->pid,
		    WTERMSIG(status), extra);
	else
		(unexpected ? log_warnx : log_info)("Reap: worker %d (pid %ld) "
		    "exited normally with status %d%s", ps->idx, (long)ps->pid,
		    WEXITSTATUS(status), extra);
}

/* Crash-loop throttle: a worker that served nothing pauses spawning. */
static void
pool_throttle(struct pool_slot *ps)
{
	int64_t	now = slot_now_ms();

	if (now < P.throttle_until)
		return;		/* already paused: one U per pause */
	P.backoff = policy_backoff(P.backoff, POOL_BACKOFF_CAP);
	P.throttle_until = now + (int64_t)P.backoff * 1000;
	log_warnx("worker %d died before serving anything: pausing worker "
	    "starts for %d s", ps->idx, P.backoff);
	events_emit(EV_U, 0, NULL);
}

static void
pool_reaped(struct pool_slot *ps, int status)
{
	int		 code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	int		 unexpected, st, n;
	uint64_t	 nreq = atomic_load(&ps->s->nreq);
	struct req	*r;

	pool_sample(ps, pool_now());
	errlog_close(&ps->err);		/* its last words first */
	pool_sess_end(ps, " with its worker", 0);
	atomic_store(&ps->s->mq_wake, 0);
	atomic_store(&ps->s->svc, 0);
	if ((n = msgq_purge(ps->pid)) > 0)
		log_info("worker %d (pid %ld): %d undelivered messages "
		    "dropped", ps->idx, (long)ps->pid, n);
	unexpected = !ps->mux_killed && !P.stopping && code != WS_EXIT_OK &&
	    code != WS_EXIT_BUSYKILL && code != WS_EXIT_PROTO;
	if (code == WS_EXIT_OK && !P.stopping)
		pool_log_self_kill(ps);
	pool_log_reap(ps, status, unexpected);
	if (unexpected && nreq == 0)
		pool_throttle(ps);
	else if (unexpected)
		events_emit(EV_U, 0, NULL);
	if (nreq > 0)
		P.backoff = 0;
	if (ps->chan_ev != NULL)
		event_free(ps->chan_ev);
	ps->chan_ev = NULL;
	if (ps->chan != -1)
		close(ps->chan);
	ps->chan = -1;
	ps->pid = 0;
	while ((st = pool_state(ps->idx)) != WS_STOPPED)
		(void)slot_move(P.shm, ps->s, st, WS_STOPPED);
	stats_reap(&P.stats, pool_now());
	statlog_event("ReapWorker", ps->idx, pool_running(),
	    atomic_load(&P.shm->nbusy), NULL);
	if ((r = ps->pending) != NULL) {
		ps->pending = NULL;
		req_dispatch(r);
	}
}

static void	pool_topup(void);

static void
pool_chld_cb(evutil_socket_t sig, short ev, void *arg)
{
	pid_t	pid;
	int	status, i;

	(void)sig;
	(void)ev;
	(void)arg;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < P.n; i++)
			if (P.slot[i].pid == pid) {
				pool_reaped(&P.slot[i], status);
				break;
			}
	}
	if (P.stopping && pool_running() == 0) {
		event_base_loopbreak(P.base);
		return;
	}
	pool_topup();
	pool_sync();
}

static void
pool_topup_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct pool_slot	*ps;

	(void)fd;
	(void)ev;
	(void)arg;
	if (P.stopping || pool_alive() >= P.conf->min_workers)
		return;
	if ((ps = pool_find_stopped()) != NULL)
		(void)pool_spawn(ps, pool_topup_why());
	pool_topup();
}

/* Start workers up to -m, one every -w seconds (MIMEDefang's slew). */
static void
pool_topup(void)
{
	struct timeval	tv = { P.conf->slew, 0 };
	int64_t		wait;

	if (P.stopping || pool_alive() >= P.conf->min_workers ||
	    evtimer_pending(P.topup_ev, NULL))
		return;
	wait = P.throttle_until - slot_now_ms();
	if (wait > (int64_t)tv.tv_sec * 1000) {
		tv.tv_sec = wait / 1000 + 1;
	}
	evtimer_add(P.topup_ev, &tv);
}

/* Busy workers past every deadline, and killed ones that linger. */
static void
pool_backstop(struct pool_slot *ps, int64_t now, int64_t now_ms)
{
	int	 st = pool_state(ps->idx);
	int64_t	 since, limit;

	if (ps->term_at != 0) {
		if (now_ms - ps->term_at > POOL_KILL_GRACE * 1000)
			(void)kill(ps->pid, SIGKILL);
		return;
	}
	/* A service session is busy for its whole life, by design. */
	since = ps->sess != NULL ? 0 : atomic_load(&ps->s->busy_since);
	/* The worker reads its handler's reply blocking: time it out. */
	if (st == WS_BUSY && since > 0 && P.wsc.inproc == NULL &&
	    now_ms - since >= (int64_t)P.conf->busy_timeout * 1000)
		(void)kill(ps->pid, SIGUSR1);
	limit = ((int64_t)P.conf->busy_timeout + P.conf->client_timeout +
	    POOL_KILL_GRACE) * 1000;
	if (st == WS_BUSY && since > 0 && now_ms - since > limit &&
	    slot_move(P.shm, ps->s, WS_BUSY, WS_KILLED) == 0) {
		log_warnx("worker %d (pid %ld): stuck past the busy timeout",
		    ps->idx, (long)ps->pid);
		pool_log_kill(ps, "Busy timeout");
		events_emit(EV_B, 0, NULL);
	} else if (!(st == WS_KILLED && now - atomic_load(&ps->s->changed) >
	    3 * POOL_KILL_GRACE))
		return;
	/* The worker kills its own handler; this is only the backstop. */
	ps->mux_killed = 1;
	ps->term_at = now_ms;
	(void)kill(ps->pid, SIGTERM);
}

/* -L: the periodic line mimedefang-multiplexor(8) documents. */
static void
pool_log_status(int64_t now)
{
	int	n[WS_NSTATES] = { 0 }, i;

	if (P.conf->status_every <= 0 ||
	    now - P.status_at < P.conf->status_every)
		return;
	P.status_at = now;
	for (i = 0; i < P.n; i++)
		n[P.st[i]]++;
	log_info("Worker status: Stopped=%d Idle=%d Busy=%d Killed=%d "
	    "Queued=%d Msgs=%llu Activations=%llu", n[WS_STOPPED],
	    n[WS_IDLE] + n[WS_STARTING], n[WS_BUSY],
	    n[WS_KILLED] + n[WS_RETIRING], req_queue_len(),
	    (unsigned long long)P.msgs, (unsigned long long)P.activations);
}

static void
pool_housekeep(void)
{
	int64_t	 now = pool_now(), first, now_ms = slot_now_ms();
	int	 i, n;

	pool_snapshot();
	pool_log_status(now);
	for (i = 0; i < P.n; i++) {
		if (P.slot[i].pid <= 0)
			continue;
		pool_backstop(&P.slot[i], now, now_ms);
		first = atomic_load(&P.slot[i].s->first_req);
		if (P.st[i] == WS_IDLE && P.conf->max_lifetime > 0 &&
		    first != 0 && now - first >= P.conf->max_lifetime)
			pool_retire(&P.slot[i], pool_lifetime_why());
	}
	/* Asked to retire already: leaving, whatever it shows yet. */
	for (i = 0; i < P.n; i++)
		if (P.st[i] == WS_IDLE &&
		    (atomic_load(&P.slot[i].s->ctl) & WS_CTL_RETIRE))
			P.st[i] = WS_RETIRING;
	n = policy_reap_idle(P.st, P.ch, P.n, P.conf->min_workers, now,
	    P.conf->idle_timeout, P.out);
	for (i = 0; i < n; i++)
		pool_retire(&P.slot[P.out[i]], "Idle timeout");
}

static void
pool_tick_cb(evutil_socket_t fd, short ev, void *arg)
{
	int	i;

	(void)fd;
	(void)ev;
	(void)arg;
	pool_sample_all();
	if (P.stopping) {
		if (slot_now_ms() > P.stop_at)
			for (i = 0; i < P.n; i++)
				if (P.slot[i].pid > 0 &&
				    P.slot[i].term_at == 0) {
					P.slot[i].term_at = slot_now_ms();
					(void)kill(P.slot[i].pid, SIGTERM);
				}
		for (i = 0; i < P.n; i++)
			if (P.slot[i].pid > 0 && P.slot[i].term_at != 0 &&
			    slot_now_ms() - P.slot[i].term_at >
			    POOL_KILL_GRACE * 1000)
				(void)kill(P.slot[i].pid, SIGKILL);
		return;
	}
	pool_housekeep();
	pool_topup();
	pool_sync();
}

static void
pool_shm_init(int n)
{
	size_t	 sz;
	char	*p;

	sz = sizeof(struct ws_shm) + 64 + sizeof(_Atomic uint64_t) *
	    ((size_t)n + 1) + 64 + sizeof(struct ws_slot) * (size_t)n;
	p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		fatal("mmap");
	P.shm = (struct ws_shm *)(void *)p;
	P.shm->version = WS_PROTO_VERSION;
	P.shm->nslots = (uint32_t)n;
	P.shm->histo = (_Atomic uint64_t *)(void *)(p +
	    ((sizeof(struct ws_shm) + 63) & ~(size_t)63));
	P.shm->slots = (struct ws_slot *)(void *)((char *)P.shm->histo +
	    ((sizeof(_Atomic uint64_t) * ((size_t)n + 1) + 63) &
	    ~(size_t)63));
	atomic_store(&P.shm->nfree, n);
	P.shm->wake_fd = P.wake[1];
}

void
pool_init(struct event_base *base, struct conf *conf,
    const struct ws_handler *inproc, int lfd)
{
	struct timeval	tv = { 1, 0 };
	int		i;

	memset(&P, 0, sizeof(P));
	P.base = base;
	P.conf = conf;
	P.n = conf->max_workers;
	P.lfd = conf->exec ? -1 : lfd;	/* exec: the mux answers -s alone */
	edge_init(&P.edge, P.n);
	P.start = pool_now();
	srandom((unsigned int)(getpid() ^ P.start));
	stats_init(&P.stats, P.start);
	if (pipe2(P.wake, O_NONBLOCK | O_CLOEXEC) == -1)
		fatal("pipe2");
	pool_shm_init(P.n);
	if ((P.slot = calloc((size_t)P.n, sizeof(*P.slot))) == NULL ||
	    (P.st = calloc((size_t)P.n, sizeof(*P.st))) == NULL ||
	    (P.ch = calloc((size_t)P.n, sizeof(*P.ch))) == NULL ||
	    (P.pick = calloc((size_t)P.n, sizeof(*P.pick))) == NULL ||
	    (P.out = calloc((size_t)P.n, sizeof(*P.out))) == NULL)
		fatal("calloc");
	for (i = 0; i < P.n; i++) {
		P.slot[i].s = &P.shm->slots[i];
		P.slot[i].idx = i;
		P.slot[i].chan = -1;
		atomic_store(&P.slot[i].s->cmd, WS_CMD_NONE);
		atomic_store(&P.slot[i].s->last_cmd, WS_CMD_NONE);
	}
	pool_reconf(conf);
	P.wsc.inproc = inproc;
	P.wake_ev = event_new(base, P.wake[0], EV_READ | EV_PERSIST,
	    pool_wake_cb, NULL);
	P.tick_ev = event_new(base, -1, EV_PERSIST, pool_tick_cb, NULL);
	P.topup_ev = evtimer_new(base, pool_topup_cb, NULL);
	P.chld_ev = evsignal_new(base, SIGCHLD, pool_chld_cb, NULL);
	P.grace_ev = evtimer_new(base, pool_grace_cb, NULL);
	P.resig_ev = evtimer_new(base, pool_resignal_cb, NULL);
	P.mq_ev = evtimer_new(base, pool_mq_cb, NULL);
	P.edge_ev = evtimer_new(base, pool_edge_cb, NULL);
	msgq_on_sent(pool_mq_sent, pool_mq_owed);
	if (P.wake_ev == NULL || P.tick_ev == NULL || P.topup_ev == NULL ||
	    P.chld_ev == NULL || P.grace_ev == NULL || P.resig_ev == NULL ||
	    P.mq_ev == NULL || P.edge_ev == NULL ||
	    event_add(P.wake_ev, NULL) == -1 ||
	    event_add(P.tick_ev, &tv) == -1 || event_add(P.chld_ev, NULL) == -1)
		fatalx("pool events");
	for (i = 0; i < conf->min_workers && i < 1; i++)
		(void)pool_spawn(&P.slot[i], pool_topup_why());
	pool_topup();
	pool_sync();
}

/* Parameters that a reread may change. */
/*
 * libmux-peer.so, found beside the mux binary once: relayed handlers
 * preload it to see the real addresses (src/shim/peer.c).  NULL, and
 * said once, if it is not there.
 */
static const char *
pool_peer_shim(void)
{
	static char	 path[PATH_MAX];
	static int	 looked;
	ssize_t		 n;
	char		*slash;

	if (looked++)
		return (*path != '\0' ? path : NULL);
	n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (n > 0) {
		path[n] = '\0';
		if ((slash = strrchr(path, '/')) != NULL &&
		    (size_t)(slash - path) + 17 < sizeof(path)) {
			strcpy(slash + 1, "libmux-peer.so");
			if (access(path, R_OK) == 0)
				return (path);
		}
	}
	log_warnx("libmux-peer.so is not beside mux: relayed handlers see "
	    "a UNIX socket, not the client's address");
	*path = '\0';
	return (NULL);
}

void
pool_reconf(const struct conf *conf)
{
	P.wsc.prog = conf->cmd ? conf->cmd[0] : NULL;
	P.wsc.argv = conf->cmd;
	/* Pool handlers of service sessions report users on fd 3. */
	P.wsc.status_fd = conf->status_fd || (conf->nlisten > 0 && !conf->exec);
	P.wsc.busy_timeout = conf->busy_timeout;
	P.wsc.client_timeout = conf->client_timeout;
	P.wsc.exec = conf->exec;
	P.wsc.session_timeout = conf->session_timeout;
	P.wsc.msg_skip = conf->msg_skip;
	P.wsc.peer_shim = conf->relay_addrs && conf->nlisten > 0 &&
	    conf->exec ? pool_peer_shim() : NULL;
	P.wsc.mqid = msgq_id();
	P.wsc.user_limit = conf->max_per_user > 0;
	P.wsc.max_lifetime = conf->max_lifetime;
	P.wsc.pin = conf->pin_workers;
	P.wsc.max_rss = conf->max_rss;
	P.wsc.max_as = conf->max_as;
	P.wsc.stats = statlog_enabled();
	P.wsc.recipok_limit = conf->recipok_limit;
	P.wsc.mux_cmd = cmd_is_mux;
	if (P.shm != NULL)
		atomic_store(&P.shm->wake_every, conf->debug > 0 || P.watched);
}

/* A listener wants S: slots record their state changes from now on. */
void
pool_want_states(int on)
{
	int	i;

	if (P.shm == NULL || atomic_load(&P.shm->want_states) == on)
		return;
	for (i = 0; i < P.n; i++)
		P.slot[i].trans_seen = atomic_load(&P.slot[i].s->trans_seq);
	atomic_store(&P.shm->want_states, on);
}

/* Listeners want every F or S change: wake on every slot change. */
void
pool_watch_every(int on)
{
	P.watched = on;
	if (P.shm == NULL)
		return;
	atomic_store(&P.shm->wake_every, P.conf->debug > 0 || on);
	if (on)
		pool_sync();	/* report what changed while unwatched */
}

/* Free slots now. */
int
pool_free(void)
{
	return (P.shm != NULL ? atomic_load(&P.shm->nfree) : 0);
}

/* The free count as last reported in an F event: snapshots agree. */
int
pool_reported_free(void)
{
	return (P.edge.last_free);
}

/* New generation: idle workers retire now, busy ones after their request. */
void
pool_reread(void)
{
	int	i;

	if (P.shm == NULL)
		return;
	atomic_fetch_add(&P.shm->gen, 1);
	log_info("reread: generation %u", atomic_load(&P.shm->gen));
	for (i = 0; i < P.n; i++)
		if (pool_state(i) == WS_IDLE)
			pool_retire(&P.slot[i], "Forcing reread of filter rules");
	events_emit(EV_R, 0, NULL);
	pool_topup();
}

void
pool_shutdown(void)
{
	int	i;

	if (P.stopping)
		return;
	log_info("shutting down: retiring %d workers", pool_running());
	P.stopping = 1;
	P.stop_at = slot_now_ms() + POOL_KILL_GRACE * 1000;
	req_close_listeners();
	req_flush_queue("error: No free workers\n");
	for (i = 0; i < P.n; i++)
		pool_retire(&P.slot[i], "Received SIGTERM");
	if (pool_running() == 0)
		event_base_loopbreak(P.base);
}

/* who: the session a slot serves, if any. */
static void
pool_view_sess(int i, struct cmd_worker *w)
{
	struct sess_info	si;
	uint8_t			addr[16];

	w->svc = P.slot[i].sess != NULL;
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
		(void)slot_seq_get(&P.slot[i].s->verb_seq,
		    P.slot[i].s->verb, w->verb, sizeof(w->verb));
		w->online = (int)(pool_now() - P.slot[i].sess->start);
	}
}

void
pool_view(struct cmd_view *v, struct cmd_worker *w)
{
	struct pool_slot	*ps;
	int64_t			 now = pool_now(), first;
	int			 i;

	if (P.shm == NULL) {	/* no pool (the listener fuzzer) */
		memset(v, 0, sizeof(*v));
		v->w = w;
		v->version = MUX_VERSION;
		return;
	}
	pool_sample_all();
	for (i = 0; i < P.n; i++) {
		ps = &P.slot[i];
		w[i].state = pool_state(i);
		/* The program's pid, which ps and strace want; else ours. */
		w[i].pid = atomic_load(&ps->s->hpid) > 0 && ps->pid > 0 ?
		    (pid_t)atomic_load(&ps->s->hpid) : ps->pid;
		w[i].cmd = atomic_load(&ps->s->cmd);
		w[i].last_cmd = atomic_load(&ps->s->last_cmd);
		w[i].ago = (int)(now - atomic_load(&ps->s->changed));
		if (atomic_load(&ps->s->changed) == 0)
			w[i].ago = (int)(now - P.start);
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
	v->nslots = P.n;
	v->w = w;
	v->histo = (const uint64_t *)P.shm->histo;
	v->stats = &P.stats;
	v->now = now;
	v->nfree = atomic_load(&P.shm->nfree);
	v->msgs = P.msgs;
	v->activations = P.activations;
	v->queue_size = P.conf->queue_size;
	v->nqueued = req_queue_len();
	v->uptime = (int)(now - P.start);
	v->version = MUX_VERSION;
}

/*
 * What kick and msg see of the session slot i serves, or -1 if none: a
 * service session's record, or a request client's address.
 */
static int
pool_sess_info(int i, struct sess_info *si, char *client, size_t csz,
    uint8_t addr[16])
{
	struct pool_slot	*ps = &P.slot[i];

	if (ps->pid <= 0 || !atomic_load(&ps->s->in_session))
		return (-1);
	if (ps->sess != NULL) {
		svc_info(ps->sess, si);
		return (0);
	}
	(void)slot_get_peer(ps->s, client, csz);
	si->client = client;
	si->addr = class_addr(client, addr) == 0 ? addr : NULL;
	si->user = "(none)";
	si->cls = si->addr ? class_of(&P.conf->classes, addr) : "default";
	return (0);
}

/*
 * Cut the sessions match() picks (kick, shutdown -d): the worker shuts
 * the client's socket and lets its request finish.  Returns how many.
 */
int
pool_kick(int (*match)(const struct sess_info *, void *), void *arg)
{
	struct pool_slot	*ps;
	struct sess_info	 si;
	char			 client[64];
	uint8_t			 addr[16];
	uint32_t		 sid;
	int			 i, n = 0;

	for (i = 0; i < P.n && P.shm != NULL; i++) {
		ps = &P.slot[i];
		sid = atomic_load(&ps->s->session);
		if (pool_sess_info(i, &si, client, sizeof(client), addr) == -1 ||
		    !match(&si, arg))
			continue;
		log_info("worker %d (pid %ld): kicking the session of %s",
		    ps->idx, (long)ps->pid, si.client);
		atomic_store(&ps->s->kick, sid);
		pool_signal(ps);
		n++;
	}
	return (n);
}

/* A session kicked while it waited for this STARTING slot. */
void
pool_unpend(struct req *r)
{
	int	i;

	for (i = 0; i < P.n; i++)
		if (P.slot[i].pending == r)
			P.slot[i].pending = NULL;
}

/* A message reached the queue: wake its worker, once until it drains. */
static int	pool_mq_hint = -1;	/* the slot pool_msg sends to */

/* The slot of worker pid; pool_mq_hint first, as pool_msg sends to it. */
static struct pool_slot *
pool_by_pid(pid_t pid)
{
	struct pool_slot	*ps;
	int			 i, k;

	for (k = 0; k <= P.n; k++) {
		/* First the hint: no scan of 1,000 slots per message. */
		i = k == 0 ? pool_mq_hint : k - 1;
		if (i >= 0 && (ps = &P.slot[i])->pid == pid && ps->chan != -1)
			return (ps);
	}
	return (NULL);
}

static void
pool_mq_sent(pid_t pid)
{
	struct pool_slot	*ps;

	if ((ps = pool_by_pid(pid)) == NULL)
		return;
	if (atomic_exchange(&ps->s->mq_wake, 1) == 0 &&
	    chan_send(ps->chan, WS_MSG_MQ, 0, NULL, 0, -1,
	    MSG_DONTWAIT) == -1) {
		atomic_store(&ps->s->mq_wake, 0);
		log_warn("worker %d: control channel", ps->idx);
	}
}

/* Messages its worker has not taken yet: in the queue, or waiting here. */
static int
pool_mq_owed(pid_t pid)
{
	struct pool_slot	*ps;

	return ((ps = pool_by_pid(pid)) != NULL ?
	    atomic_load(&ps->s->mq_owed) : 0);
}

/* Messages wait in the mux for room in the queue: try again soon. */
static void
pool_mq_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct msgq_stats	st;
	struct timeval		tv;

	(void)fd;
	(void)arg;
	/*
	 * Each round that moves nothing (the sessions' workers hold their
	 * share and take no more) waits twice as long, up to a second.
	 */
	if (msgq_retry() > 0 || ev == 0)
		P.mq_ms = 10;
	else if ((P.mq_ms *= 2) > 1000)
		P.mq_ms = 1000;
	msgq_stats(&st);
	tv.tv_sec = P.mq_ms / 1000;
	tv.tv_usec = (P.mq_ms % 1000) * 1000;
	if (st.waiting > 0)
		evtimer_add(P.mq_ev, &tv);
}

/*
 * One message into the queue for the session ps serves, headed by its
 * token so that a worker serving the next session drops it.  The
 * caller has counted it in mq_owed already: the worker may take it at
 * once.
 */
static int
pool_msg_one(struct pool_slot *ps, const char *text, size_t len)
{
	char	buf[MSGQ_TEXT_MAX];
	int	rv;

	if (len > INJ_TEXT_MAX)
		len = INJ_TEXT_MAX;
	memcpy(buf, &ps->sess->token, 4);
	memcpy(buf + 4, text, len);
	pool_mq_hint = ps->idx;
	rv = msgq_send(ps->pid, buf, len + 4);
	pool_mq_hint = -1;
	if (rv == -1 || rv == MSGQ_DROPPED)
		atomic_fetch_sub(&ps->s->mq_owed, 1);
	if (rv == MSGQ_DROPPED) {
		ps->sess->dropped++;
		log_warnx("session %u: more than %d messages wait for it: "
		    "its oldest dropped", ps->sess->token, MSGQ_SESS_WAIT);
	}
	if (rv != MSGQ_SENT && rv != -1 && (!evtimer_pending(P.mq_ev, NULL) ||
	    P.mq_ms > 10))
		pool_mq_cb(-1, 0, NULL);	/* a round now, the timer after */
	return (rv == -1 ? -1 : 0);
}

/* The messages a session got before it had a worker (svc_msg). */
static void
pool_msg_held(struct pool_slot *ps)
{
	struct svc_text	*t;
	int		 failed = 0;

	while ((t = svc_held_next(ps->sess)) != NULL) {
		if (pool_msg_one(ps, t->text, t->len) == -1) {
			failed++;
			ps->sess->dropped++;
		}
		svc_text_free(t);
	}
	if (failed > 0)
		log_warnx("session %u: the queue took no room for %d "
		    "messages", ps->sess->token, failed);
}

/*
 * One message for each service session match() picks that a worker
 * serves.  Returns how many sessions it went to (sent, or waiting for
 * room), -1 if the queue failed for some.
 */
int
pool_msg(int (*match)(const struct sess_info *, void *), void *arg,
    const char *text, size_t len)
{
	struct pool_slot	*ps;
	struct sess_info	 si;
	char			 client[64];
	uint8_t			 addr[16];
	int			 i, n = 0, failed = 0;

	for (i = 0; i < P.n && P.shm != NULL; i++) {
		ps = &P.slot[i];
		if (ps->sess == NULL || pool_sess_info(i, &si, client,
		    sizeof(client), addr) == -1 || !match(&si, arg))
			continue;
		atomic_fetch_add(&ps->s->mq_owed, 1);
		if (pool_msg_one(ps, text, len) == -1)
			failed++;
		else {
			ps->sess->msgs++;
			n++;
		}
	}
	if (failed > 0)
		log_warnx("msg: the queue took no message for %d sessions",
		    failed);
	return (failed > 0 && n == 0 ? -1 : n);
}

/* shutdown: requests get "error: TEXT" (NULL: accept them again). */
void
pool_refuse(const char *text)
{
	if (P.shm == NULL)
		return;
	if (text != NULL)
		slot_seq_set(&P.shm->refuse_seq, P.shm->refuse_msg,
		    WS_TAG_MAX, text, strlen(text));
	atomic_store(&P.shm->refusing, text != NULL);
}

/* The refusal text while refusing, else NULL. */
const char *
pool_refusing(char *buf, size_t sz)
{
	if (P.shm == NULL || !atomic_load(&P.shm->refusing))
		return (NULL);
	(void)slot_seq_get(&P.shm->refuse_seq, P.shm->refuse_msg, buf, sz);
	return (buf);
}

/* Messages delivered in replies, as the workers count them. */
uint64_t
pool_msg_delivered(void)
{
	uint64_t	n = 0;
	int		i;

	for (i = 0; i < P.n && P.shm != NULL; i++)
		n += atomic_load_explicit(&P.slot[i].s->delivered,
		    memory_order_relaxed);
	return (n);
}

int
pool_nslots(void)
{
	return (P.n);
}
