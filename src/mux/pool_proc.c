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
 * Worker processes: the fork, the control channel's messages, the reap
 * with the lines log watchers know from mimedefang-multiplexor, the
 * crash-loop throttle, and the top-up to minWorkers.
 */

#include <sys/socket.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "pool.h"
#include "proc.h"

extern char **environ;

#define POOL_BACKOFF_CAP	60	/* s, crash-loop pause */

static struct {
	struct event	*topup_ev;
	struct event	*chld_ev;
	int64_t		 last_act;	/* ms, the last spawn */
	int		 backoff;	/* s */
	int64_t		 throttle_until; /* ms */
} PP;

static void	pool_chan_cb(evutil_socket_t, short, void *);
static void	pool_chld_cb(evutil_socket_t, short, void *);
static void	pool_topup_cb(evutil_socket_t, short, void *);

void
pool_proc_init(void)
{
	PP.topup_ev = evtimer_new(pool.base, pool_topup_cb, NULL);
	PP.chld_ev = evsignal_new(pool.base, SIGCHLD, pool_chld_cb, NULL);
	if (PP.topup_ev == NULL || PP.chld_ev == NULL ||
	    event_add(PP.chld_ev, NULL) == -1)
		fatalx("pool events");
}

const char *
pool_topup_why(void)
{
	static char	why[64];

	snprintf(why, sizeof(why), "Bringing workers up to minWorkers (%d)",
	    pool.conf->min_workers);
	return (why);
}

/*
 * The line log watchers know from mimedefang-multiplexor, and the
 * statistics log's KillWorker; once per worker.
 */
void
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
	    atomic_load(&pool.shm->nbusy), "req=%llu age=%d reason=\"%s\"",
	    (unsigned long long)nreq, age, why);
}

void
pool_retire(struct pool_slot *ps, const char *why)
{
	if (ps->pid <= 0)
		return;
	pool_log_kill(ps, why);
	pool_ctl(ps, WS_CTL_RETIRE, WS_MSG_RETIRE, 0, -1, NULL, 0);
}

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
	s->gen = atomic_load(&pool.shm->gen);
	s->max_req = policy_jitter(pool.conf->max_requests, (uint32_t)random());
	atomic_store(&s->cmd, WS_CMD_NONE);
	atomic_store(&s->last_cmd, WS_CMD_NONE);
	atomic_store(&s->busy_since, 0);
	atomic_store(&s->first_req, 0);
	atomic_store(&s->nreq, 0);
	atomic_store(&s->nserved, 0);
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

	if (pool.stopping || now < PP.throttle_until)
		return (0);
	if (pool.conf->min_slew > 0 && pool.activations > 0 &&
	    now - PP.last_act < (int64_t)pool.conf->min_slew * 1000)
		return (0);
	return (1);
}

/* Descriptors a worker session is given keep their numbers across exec. */
static void
pool_cloexec(const int *fds, size_t n, int on)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (fds[i] != -1)
			(void)fcntl(fds[i], F_SETFD, on ? FD_CLOEXEC : 0);
}

/*
 * Start slot ps's worker session as our own binary again (ws_boot.c):
 * posix_spawn copies no page tables and the session inherits nothing of
 * the loop.  Its start message waits in the channel.  The pid, or -1.
 */
static pid_t
pool_exec(struct pool_slot *ps, int chan, int peer, int logw, int ep)
{
	static char		 buf[WS_BOOT_MAX];
	char			 arg[16], name[] = "mux-worker";
	char			 opt[] = WS_BOOT_ARG;
	char			*argv[] = { name, opt, arg, NULL };
	int			 fds[] = { peer, logw, pool.lfd, pool.shm_fd,
				    pool.wake[1], ep };
	struct ws_boot		 b;
	size_t			 len;
	pid_t			 pid;
	int			 rv;

	b.idx = ps->idx;
	b.lfd = pool.lfd;
	b.ep = ep;
	b.log = logw;
	b.shm = pool.shm_fd;
	b.shm_size = pool.shm_size;
	log_params(&b.log_fg, &b.log_syslog, &b.log_verbose, &b.log_ident,
	    &b.log_facility);
	if ((len = ws_boot_pack(&b, &pool.wsc, buf, sizeof(buf))) == 0) {
		log_warnx("worker %d: its start message passes %d bytes",
		    ps->idx, WS_BOOT_MAX);
		return (-1);
	}
	if (send(chan, buf, len, MSG_NOSIGNAL) == -1) {
		log_warn("worker %d: start message", ps->idx);
		return (-1);
	}
	(void)snprintf(arg, sizeof(arg), "%d", peer);
	pool_cloexec(fds, sizeof(fds) / sizeof(fds[0]), 0);
	rv = proc_spawn(&pid, "/proc/self/exe", argv, environ);
	pool_cloexec(fds, sizeof(fds) / sizeof(fds[0]), 1);
	if (rv != 0) {
		errno = rv;
		log_warn("worker %d: posix_spawn", ps->idx);
		return (-1);
	}
	return (pid);
}

int
pool_spawn(struct pool_slot *ps, const char *why)
{
	int	sp[2], logw, ep = -1;
	pid_t	pid;

	if (!pool_may_spawn())
		return (-1);
	if (pool.lfd != -1 && (ep = ws_boot_epoll(pool.lfd)) == -1) {
		log_warn("worker %d: epoll", ps->idx);
		return (-1);
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("socketpair");
		if (ep != -1)
			close(ep);
		return (-1);
	}
	logw = errlog_open(&ps->err, pool.base, ps->idx);
	pool_reset_slot(ps);
	if (slot_move(pool.shm, ps->s, WS_STOPPED, WS_STARTING) == -1)
		fatalx("worker %d: spawn from state %d", ps->idx,
		    pool_state(ps->idx));
	pid = pool_exec(ps, sp[0], sp[1], logw, ep);
	close(sp[1]);
	if (ep != -1)
		close(ep);
	if (logw != -1)
		close(logw);
	if (pid == -1) {
		close(sp[0]);
		errlog_close(&ps->err);
		(void)slot_move(pool.shm, ps->s, WS_STARTING, WS_STOPPED);
		return (-1);
	}
	ps->pid = pid;
	ps->chan = sp[0];
	(void)fcntl(ps->chan, F_SETFL, O_NONBLOCK);
	ps->chan_ev = event_new(pool.base, ps->chan, EV_READ | EV_PERSIST,
	    pool_chan_cb, ps);
	if (ps->chan_ev == NULL || event_add(ps->chan_ev, NULL) == -1)
		fatalx("event_add");
	ps->started = pool_now();
	ps->activated = ++pool.activations;
	PP.last_act = slot_now_ms();
	stats_activation(&pool.stats, ps->started);
	log_info("Starting worker %d (pid %ld) (%d running): %s", ps->idx,
	    (long)pid, pool_running(), why);
	statlog_event("StartWorker", ps->idx, pool_running(),
	    atomic_load(&pool.shm->nbusy), "reason=\"%s\"", why);
	return (0);
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
		case WS_MSG_KEY:
			pool_msg_key(ps);
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
	else if (ps->s->gen != atomic_load(&pool.shm->gen))
		snprintf(why, sizeof(why), "New generation -- forcing reread "
		    "of filter rules");
	else if (pool.conf->max_lifetime > 0)
		snprintf(why, sizeof(why), "Worker has exceeded maximum "
		    "lifetime of %d seconds", pool.conf->max_lifetime);
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

	if (now < PP.throttle_until)
		return;		/* already paused: one U per pause */
	PP.backoff = policy_backoff(PP.backoff, POOL_BACKOFF_CAP);
	PP.throttle_until = now + (int64_t)PP.backoff * 1000;
	log_warnx("worker %d died before serving anything: pausing worker "
	    "starts for %d s", ps->idx, PP.backoff);
	events_emit(EV_U, 0, NULL);
}

static void
pool_reaped(struct pool_slot *ps, int status)
{
	int		 code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	int		 unexpected, st, n;
	uint64_t	 served = atomic_load(&ps->s->nserved);
	struct waiter	*w;

	pool_sample(ps, pool_now());
	errlog_close(&ps->err);		/* its last words first */
	pool_sess_end(ps, " with its worker", 0);
	atomic_store(&ps->s->mq_wake, 0);
	atomic_store(&ps->s->svc, 0);
	if ((n = msgq_purge(ps->pid)) > 0)
		log_info("worker %d (pid %ld): %d undelivered messages "
		    "dropped", ps->idx, (long)ps->pid, n);
	unexpected = !ps->mux_killed && !pool.stopping && code != WS_EXIT_OK &&
	    code != WS_EXIT_BUSYKILL && code != WS_EXIT_PROTO;
	if (code == WS_EXIT_OK && !pool.stopping)
		pool_log_self_kill(ps);
	pool_log_reap(ps, status, unexpected);
	/*
	 * Served: a request answered, or a session ended, with the worker
	 * whole.  A request begun does not count: a handler that dies at
	 * once takes the client it was started for down with it, and that
	 * reset the back-off at every death.
	 */
	if (unexpected && served == 0)
		pool_throttle(ps);
	else if (unexpected)
		events_emit(EV_U, 0, NULL);
	if (served > 0)
		PP.backoff = 0;
	if (ps->chan_ev != NULL)
		event_free(ps->chan_ev);
	ps->chan_ev = NULL;
	if (ps->chan != -1)
		close(ps->chan);
	ps->chan = -1;
	ps->pid = 0;
	while ((st = pool_state(ps->idx)) != WS_STOPPED)
		(void)slot_move(pool.shm, ps->s, st, WS_STOPPED);
	stats_reap(&pool.stats, pool_now());
	statlog_event("ReapWorker", ps->idx, pool_running(),
	    atomic_load(&pool.shm->nbusy), NULL);
	if ((w = ps->pending) != NULL) {
		ps->pending = NULL;
		wait_dispatch(w);
	}
}

static void
pool_chld_cb(evutil_socket_t sig, short ev, void *arg)
{
	pid_t	pid;
	int	status, i;

	(void)sig;
	(void)ev;
	(void)arg;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < pool.n; i++)
			if (pool.slot[i].pid == pid) {
				pool_reaped(&pool.slot[i], status);
				break;
			}
	}
	if (pool.stopping && pool_running() == 0) {
		event_base_loopbreak(pool.base);
		return;
	}
	pool_topup();
	pool_sync();
}

static int
pool_alive(void)
{
	int	i, n = 0, st;

	for (i = 0; i < pool.n; i++) {
		st = pool_state(i);
		if (st == WS_STARTING || st == WS_IDLE || st == WS_BUSY)
			n++;
	}
	return (n);
}

static void
pool_topup_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct pool_slot	*ps;

	(void)fd;
	(void)ev;
	(void)arg;
	if (pool.stopping || pool.handoff ||
	    pool_alive() >= pool.conf->min_workers)
		return;
	if ((ps = pool_find_stopped()) != NULL)
		(void)pool_spawn(ps, pool_topup_why());
	pool_topup();
}

/* Start workers up to -m, one every -w seconds (MIMEDefang's slew). */
void
pool_topup(void)
{
	struct timeval	tv = { pool.conf->slew, 0 };
	int64_t		wait;

	if (pool.stopping || pool.handoff ||
	    pool_alive() >= pool.conf->min_workers ||
	    evtimer_pending(PP.topup_ev, NULL))
		return;
	wait = PP.throttle_until - slot_now_ms();
	if (wait > (int64_t)tv.tv_sec * 1000) {
		tv.tv_sec = wait / 1000 + 1;
	}
	evtimer_add(PP.topup_ev, &tv);
}
