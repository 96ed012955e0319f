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
 * The worker pool: slots, their signals, the second's housekeeping
 * (busy backstops, lifetimes, idle reaping, -L), generations and
 * shutdown.  Worker sessions keep the per-request books themselves in
 * shared memory; the mux wakes only on the edges it must act on or
 * report (free 0<->1, idle 0<->1), on channel messages, and once a
 * second for housekeeping.  pool.h says which file does the rest.
 */

#include <sys/mman.h>
#include <sys/socket.h>

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

#include "pool.h"

#define POOL_RESIGNAL_US	10000	/* a lost wake-up costs at most this */

struct pool	pool;

int64_t
pool_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (ts.tv_sec);
}

/* Interrupt the worker, and look again in POOL_RESIGNAL_US. */
void
pool_signal(struct pool_slot *ps)
{
	struct timeval	tv = { 0, POOL_RESIGNAL_US };

	(void)kill(ps->pid, SIGUSR1);
	if (!evtimer_pending(pool.resig_ev, NULL))
		evtimer_add(pool.resig_ev, &tv);
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
	for (i = 0; i < pool.n; i++)
		if (atomic_load(&pool.slot[i].s->ctl) != 0)
			pool_nudge(&pool.slot[i]);
		else if (pool_kick_pending(&pool.slot[i]))
			pool_signal(&pool.slot[i]);
}

/* Set a control bit, then send the message that wakes the worker. */
void
pool_ctl(struct pool_slot *ps, int bit, int type, uint32_t arg, int fd,
    const char *line, size_t len)
{
	atomic_fetch_or(&ps->s->ctl, bit);
	if (ps->chan != -1 && chan_send(ps->chan, type, arg, line, len, fd,
	    MSG_DONTWAIT) == -1)
		log_warn("worker %d: control channel", ps->idx);
	pool_nudge(ps);
}

int
pool_state(int i)
{
	return (atomic_load(&pool.slot[i].s->state));
}

/* Slots by state, as they are now (systemd's STATUS=). */
void
pool_tally(int n[WS_NSTATES])
{
	int	i;

	memset(n, 0, WS_NSTATES * sizeof(int));
	for (i = 0; i < pool.n; i++)
		n[pool_state(i)]++;
}

/* SIGTERM, or an upgrade's old mux: no new client will be served. */
int
pool_stopping(void)
{
	return (pool.stopping || pool.handoff);
}

int
pool_running(void)
{
	int	i, n = 0;

	for (i = 0; i < pool.n; i++)
		if (pool.slot[i].pid > 0)
			n++;
	return (n);
}

/* Fold a worker's counters into the load history. */
void
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
		stats_add(&pool.stats, now, k, c - ps->seen_cnt[k],
		    b - ps->seen_busy[k], m - ps->seen_ms[k]);
		if (k == WS_CMD_SCAN)
			pool.msgs += c - ps->seen_cnt[k];
		ps->seen_cnt[k] = c;
		ps->seen_busy[k] = b;
		ps->seen_ms[k] = m;
	}
}

void
pool_sample_all(void)
{
	int64_t	now = pool_now();
	int	i;

	for (i = 0; i < pool.n; i++)
		if (pool.slot[i].pid > 0)
			pool_sample(&pool.slot[i], now);
}

static const char *
pool_lifetime_why(void)
{
	static char	why[80];

	snprintf(why, sizeof(why), "Worker has exceeded maximum lifetime of "
	    "%d seconds", pool.conf->max_lifetime);
	return (why);
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
	if (st == WS_BUSY && since > 0 && pool.wsc.inproc == NULL &&
	    now_ms - since >= (int64_t)pool.conf->busy_timeout * 1000)
		(void)kill(ps->pid, SIGUSR1);
	limit = ((int64_t)pool.conf->busy_timeout + pool.conf->client_timeout +
	    POOL_KILL_GRACE) * 1000;
	if (st == WS_BUSY && since > 0 && now_ms - since > limit &&
	    slot_move(pool.shm, ps->s, WS_BUSY, WS_KILLED) == 0) {
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

	if (pool.conf->status_every <= 0 ||
	    now - pool.status_at < pool.conf->status_every)
		return;
	pool.status_at = now;
	for (i = 0; i < pool.n; i++)
		n[pool.st[i]]++;
	log_info("Worker status: Stopped=%d Idle=%d Busy=%d Killed=%d "
	    "Queued=%d Msgs=%llu Activations=%llu", n[WS_STOPPED],
	    n[WS_IDLE] + n[WS_STARTING], n[WS_BUSY],
	    n[WS_KILLED] + n[WS_RETIRING], wait_queue_len(),
	    (unsigned long long)pool.msgs, (unsigned long long)pool.activations);
}

static void
pool_housekeep(void)
{
	int64_t	 now = pool_now(), first, now_ms = slot_now_ms();
	int	 i, n;

	pool_snapshot();
	pool_log_status(now);
	for (i = 0; i < pool.n; i++) {
		if (pool.slot[i].pid <= 0)
			continue;
		pool_backstop(&pool.slot[i], now, now_ms);
		first = atomic_load(&pool.slot[i].s->first_req);
		if (pool.st[i] == WS_IDLE && pool.conf->max_lifetime > 0 &&
		    first != 0 && now - first >= pool.conf->max_lifetime)
			pool_retire(&pool.slot[i], pool_lifetime_why());
	}
	/* Asked to retire already: leaving, whatever it shows yet. */
	for (i = 0; i < pool.n; i++)
		if (pool.st[i] == WS_IDLE &&
		    (atomic_load(&pool.slot[i].s->ctl) & WS_CTL_RETIRE))
			pool.st[i] = WS_RETIRING;
	n = policy_reap_idle(pool.st, pool.ch, pool.n, pool.conf->min_workers, now,
	    pool.conf->idle_timeout, pool.out);
	for (i = 0; i < n; i++)
		pool_retire(&pool.slot[pool.out[i]], "Idle timeout");
}

static void
pool_tick_cb(evutil_socket_t fd, short ev, void *arg)
{
	int	i;

	(void)fd;
	(void)ev;
	(void)arg;
	pool_sample_all();
	log_rl_flush(0);
	if (pool.stopping) {
		if (slot_now_ms() > pool.stop_at)
			for (i = 0; i < pool.n; i++)
				if (pool.slot[i].pid > 0 &&
				    pool.slot[i].term_at == 0) {
					pool.slot[i].term_at = slot_now_ms();
					(void)kill(pool.slot[i].pid, SIGTERM);
				}
		for (i = 0; i < pool.n; i++)
			if (pool.slot[i].pid > 0 && pool.slot[i].term_at != 0 &&
			    slot_now_ms() - pool.slot[i].term_at >
			    POOL_KILL_GRACE * 1000)
				(void)kill(pool.slot[i].pid, SIGKILL);
		return;
	}
	pool_housekeep();
	pool_topup();
	pool_sync();
}

/*
 * The slot table lives in a memfd: each worker session, a program of its
 * own, maps it from the descriptor it is given.
 */
static void
pool_shm_init(int n)
{
	size_t	 sz;
	void	*p;

	sz = sizeof(struct ws_shm) + sizeof(struct ws_slot) * (size_t)n;
	if ((pool.shm_fd = memfd_create("mux-slots", MFD_CLOEXEC)) == -1 ||
	    ftruncate(pool.shm_fd, (off_t)sz) == -1)
		fatal("slot table");
	p = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, pool.shm_fd, 0);
	if (p == MAP_FAILED)
		fatal("mmap");
	pool.shm = p;
	pool.shm_size = sz;
	pool.shm->version = WS_PROTO_VERSION;
	pool.shm->nslots = (uint32_t)n;
	atomic_store(&pool.shm->nfree, n);
	pool.shm->wake_fd = pool.wake[1];
	log_rl_table(pool.shm->logrl);
}

void
pool_init(struct event_base *base, struct conf *conf,
    const struct ws_handler *inproc, int lfd)
{
	struct timeval	tv = { 1, 0 };
	int		i;

	memset(&pool, 0, sizeof(pool));
	pool.base = base;
	pool.conf = conf;
	pool.n = conf->max_workers;
	pool.lfd = conf->exec ? -1 : lfd;	/* exec: the mux answers -s alone */
	pool.start = pool_now();
	srandom((unsigned int)(getpid() ^ pool.start));
	stats_init(&pool.stats, pool.start);
	if (pipe2(pool.wake, O_NONBLOCK | O_CLOEXEC) == -1)
		fatal("pipe2");
	pool_shm_init(pool.n);
	if ((pool.slot = calloc((size_t)pool.n, sizeof(*pool.slot))) == NULL ||
	    (pool.st = calloc((size_t)pool.n, sizeof(*pool.st))) == NULL ||
	    (pool.ch = calloc((size_t)pool.n, sizeof(*pool.ch))) == NULL ||
	    (pool.out = calloc((size_t)pool.n, sizeof(*pool.out))) == NULL)
		fatal("calloc");
	for (i = 0; i < pool.n; i++) {
		pool.slot[i].s = &pool.shm->slots[i];
		pool.slot[i].idx = i;
		pool.slot[i].chan = -1;
		atomic_store(&pool.slot[i].s->cmd, WS_CMD_NONE);
		atomic_store(&pool.slot[i].s->last_cmd, WS_CMD_NONE);
	}
	pool_reconf(conf);
	pool.wsc.inproc = inproc;
	pool.tick_ev = event_new(base, -1, EV_PERSIST, pool_tick_cb, NULL);
	pool.resig_ev = evtimer_new(base, pool_resignal_cb, NULL);
	if (pool.tick_ev == NULL || pool.resig_ev == NULL ||
	    event_add(pool.tick_ev, &tv) == -1)
		fatalx("pool events");
	pool_proc_init();
	pool_dispatch_init();
	pool_report_init();
	pool_msg_init();
	for (i = 0; i < conf->min_workers && i < 1; i++)
		(void)pool_spawn(&pool.slot[i], pool_topup_why());
	pool_topup();
	pool_sync();
}

/*
 * libmux-peer.so, looked for once beside the mux binary (a build tree),
 * then where it is installed: relayed handlers preload it to see the
 * real addresses (src/shim/peer.c).  NULL, and said once, if neither.
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
	snprintf(path, sizeof(path), "%s/libmux-peer.so", MUX_PKGLIBDIR);
	if (access(path, R_OK) == 0)
		return (path);
	log_warnx("libmux-peer.so is neither beside mux nor in %s: relayed "
	    "handlers see a UNIX socket, not the client's address",
	    MUX_PKGLIBDIR);
	*path = '\0';
	return (NULL);
}

/* Parameters that a reread may change. */
void
pool_reconf(const struct conf *conf)
{
	pool.wsc.prog = conf->cmd ? conf->cmd[0] : NULL;
	pool.wsc.argv = conf->cmd;
	/* Pool handlers of service sessions report users on fd 3. */
	pool.wsc.status_fd = conf->status_fd || (conf->nlisten > 0 && !conf->exec);
	pool.wsc.busy_timeout = conf->busy_timeout;
	pool.wsc.client_timeout = conf->client_timeout;
	pool.wsc.exec = conf->exec;
	pool.wsc.session_timeout = conf->session_timeout;
	pool.wsc.msg_skip = conf->msg_skip;
	pool.wsc.peer_shim = conf->relay_addrs && conf->nlisten > 0 &&
	    conf->exec ? pool_peer_shim() : NULL;
	pool.wsc.mqid = msgq_id();
	pool.wsc.user_limit = conf->max_per_user > 0;
	pool.wsc.max_lifetime = conf->max_lifetime;
	pool.wsc.pin = conf->pin_workers;
	pool.wsc.max_rss = conf->max_rss;
	pool.wsc.max_as = conf->max_as;
	pool.wsc.stats = statlog_enabled();
	pool.wsc.recipok_limit = conf->recipok_limit;
	pool.wsc.mux_cmd = cmd_is_mux;
	if (pool.shm != NULL)
		atomic_store(&pool.shm->wake_every, conf->debug > 0 || pool.watched);
}

/* A listener wants S: slots record their state changes from now on. */
void
pool_want_states(int on)
{
	int	i;

	if (pool.shm == NULL || atomic_load(&pool.shm->want_states) == on)
		return;
	for (i = 0; i < pool.n; i++)
		pool.slot[i].trans_seen = atomic_load(&pool.slot[i].s->trans_seq);
	atomic_store(&pool.shm->want_states, on);
}

/* Listeners want every F or S change: wake on every slot change. */
void
pool_watch_every(int on)
{
	pool.watched = on;
	if (pool.shm == NULL)
		return;
	atomic_store(&pool.shm->wake_every, pool.conf->debug > 0 || on);
	if (on)
		pool_sync();	/* report what changed while unwatched */
}

/* Free slots now. */
int
pool_free(void)
{
	return (pool.shm != NULL ? atomic_load(&pool.shm->nfree) : 0);
}

/* New generation: idle workers retire now, busy ones after their request. */
void
pool_reread(void)
{
	int	i;

	if (pool.shm == NULL)
		return;
	atomic_fetch_add(&pool.shm->gen, 1);
	log_info("reread: generation %u", atomic_load(&pool.shm->gen));
	for (i = 0; i < pool.n; i++)
		if (pool_state(i) == WS_IDLE)
			pool_retire(&pool.slot[i], "Forcing reread of filter rules");
	events_emit(EV_R, 0, NULL);
	pool_topup();
}

void
pool_shutdown(void)
{
	int	i;

	if (pool.stopping)
		return;
	log_info("shutting down: retiring %d workers", pool_running());
	pool.stopping = 1;
	pool.stop_at = slot_now_ms() + POOL_KILL_GRACE * 1000;
	req_close_listeners();
	wait_flush("error: No free workers\n");
	for (i = 0; i < pool.n; i++)
		pool_retire(&pool.slot[i], "Received SIGTERM");
	if (pool_running() == 0)
		event_base_loopbreak(pool.base);
}

/*
 * An upgrade: the new mux has our sockets.  Take no more clients; a new
 * generation, so busy workers leave after their request and idle ones
 * now (or once no client waits here for one); live sessions end as they
 * will.  The loop ends when all is gone (pool_handoff_step).
 */
void
pool_handoff(void)
{
	if (pool.handoff || pool.stopping)
		return;
	log_info("upgrade: retiring %d workers as they finish",
	    pool_running());
	pool.handoff = 1;
	req_close_listeners();
	atomic_fetch_add(&pool.shm->gen, 1);
	pool_sync();
}

void
pool_handoff_step(void)
{
	int	i;

	if (wait_queue_len() == 0)
		for (i = 0; i < pool.n; i++)
			if (pool.slot[i].pid > 0 && pool_state(i) == WS_IDLE &&
			    !(atomic_load(&pool.slot[i].s->ctl) &
			    WS_CTL_RETIRE))
				pool_retire(&pool.slot[i], "Upgrade");
	if (pool_running() == 0 && wait_queue_len() == 0 && svc_count() == 0)
		event_base_loopbreak(pool.base);
}

/* shutdown: requests get "error: TEXT" (NULL: accept them again). */
void
pool_refuse(const char *text)
{
	if (pool.shm == NULL)
		return;
	if (text != NULL)
		slot_seq_set(&pool.shm->refuse_seq, pool.shm->refuse_msg,
		    WS_TAG_MAX, text, strlen(text));
	atomic_store(&pool.shm->refusing, text != NULL);
}

/* The refusal text while refusing, else NULL. */
const char *
pool_refusing(char *buf, size_t sz)
{
	if (pool.shm == NULL || !atomic_load(&pool.shm->refusing))
		return (NULL);
	(void)slot_seq_get(&pool.shm->refuse_seq, pool.shm->refuse_msg, buf, sz);
	return (buf);
}

int
pool_nslots(void)
{
	return (pool.n);
}
