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
 * Service sessions a worker serves: their end, kick, and msg through
 * the SysV queue (msgq.c), each message counted in the slot's mq_owed
 * until the worker takes it.
 */

#include <sys/stat.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "pool.h"

static struct {
	struct event	*mq_ev;		/* msgq_retry while messages wait */
	int		 mq_ms;		/* its interval */
	int		 last;		/* pool_by_pid's last slot */
	uint64_t	 seq;		/* of the last message sealed */
} PM;

static void	pool_mq_cb(evutil_socket_t, short, void *);
static void	pool_mq_sent(pid_t);
static int	pool_mq_owed(pid_t);

void
pool_msg_init(void)
{
	if ((PM.mq_ev = evtimer_new(pool.base, pool_mq_cb, NULL)) == NULL)
		fatalx("pool events");
	msgq_on_sent(pool_mq_sent, pool_mq_owed);
}

/*
 * Its session ended: what reached the worker and was not delivered
 * (delivered says how many were), and what still waits for it, is
 * undelivered; purged, it cannot reach the worker's next session.
 */
void
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
	pool.sess_served++;
}

/* Service sessions a worker served to their end. */
uint64_t
pool_sessions_served(void)
{
	return (pool.sess_served);
}

/* A service session's user, or its end (checked against its token). */
void
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

/*
 * What kick and msg see of the session slot i serves, or -1 if none: a
 * service session's record, or a request client's address.
 */
int
pool_sess_info(int i, struct sess_info *si, char *client, size_t csz,
    uint8_t addr[16])
{
	struct pool_slot	*ps = &pool.slot[i];

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
	si->cls = si->addr ? class_of(&pool.conf->classes, addr) : "default";
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

	for (i = 0; i < pool.n && pool.shm != NULL; i++) {
		ps = &pool.slot[i];
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

/*
 * The slot of worker pid.  msgq asks twice per message (owed, then
 * sent), and msg all sends to the slots in turn: the last one found is
 * looked at first.
 */
static struct pool_slot *
pool_by_pid(pid_t pid)
{
	struct pool_slot	*ps;
	int			 i;

	if (PM.last < pool.n && (ps = &pool.slot[PM.last])->pid == pid &&
	    ps->chan != -1)
		return (ps);
	for (i = 0; i < pool.n; i++)
		if ((ps = &pool.slot[i])->pid == pid && ps->chan != -1) {
			PM.last = i;
			return (ps);
		}
	return (NULL);
}

/* A message reached the queue: wake its worker, once until it drains. */
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
		PM.mq_ms = 10;
	else if ((PM.mq_ms *= 2) > 1000)
		PM.mq_ms = 1000;
	msgq_stats(&st);
	tv.tv_sec = PM.mq_ms / 1000;
	tv.tv_usec = (PM.mq_ms % 1000) * 1000;
	if (st.waiting > 0)
		evtimer_add(PM.mq_ev, &tv);
}

/*
 * One message into the queue for the session ps serves, headed by its
 * token so that a worker serving the next session drops it, and sealed
 * (wire.h).  The caller has counted it in mq_owed already: the worker
 * may take it at once.
 */
static int
pool_msg_one(struct pool_slot *ps, const char *text, size_t len)
{
	char			buf[MSGQ_TEXT_MAX];
	struct ws_mq_head	h = { 0 };
	int			rv;

	if (len > INJ_TEXT_MAX)
		len = INJ_TEXT_MAX;
	h.token = ps->sess->token;
	h.pid = (int32_t)ps->pid;
	h.seq = ++PM.seq;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + sizeof(h), text, len);
	len += sizeof(h);
	ws_mq_seal(msgq_key(), buf, len);
	rv = msgq_send(ps->pid, buf, len);
	if (rv == -1 || rv == MSGQ_DROPPED)
		atomic_fetch_sub(&ps->s->mq_owed, 1);
	if (rv == MSGQ_DROPPED) {
		ps->sess->dropped++;
		log_rl_warnx(LOG_RL_MSG_DROPPED, "session %u: more than %d "
		    "messages wait for it: its oldest dropped", ps->sess->token,
		    MSGQ_SESS_WAIT);
	}
	if (rv != MSGQ_SENT && rv != -1 && (!evtimer_pending(PM.mq_ev, NULL) ||
	    PM.mq_ms > 10))
		pool_mq_cb(-1, 0, NULL);	/* a round now, the timer after */
	return (rv == -1 ? -1 : 0);
}

/*
 * Who traces pid (0: nobody), from /proc; -1 if it cannot be told.
 * The mux's own uid owns /proc/PID/environ only while pid is dumpable.
 */
static long
pool_msg_tracer(pid_t pid)
{
	char		path[64], line[128];
	struct stat	st;
	FILE		*f;
	long		tracer = -1;

	snprintf(path, sizeof(path), "/proc/%ld/environ", (long)pid);
	if (stat(path, &st) == -1 || (st.st_uid != 0 && geteuid() != 0))
		return (-1);
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "re")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "TracerPid:", 10) == 0) {
			tracer = strtol(line + 10, NULL, 10);
			break;
		}
	fclose(f);
	return (tracer);
}

/*
 * A worker session made itself non-dumpable and asks for the key that
 * opens its messages.  It gets it unless something had it traced
 * already (strace -f, or a handler that raced for its start): then it
 * gets none, and no message reaches its sessions.
 */
void
pool_msg_key(struct pool_slot *ps)
{
	long	tracer = pool_msg_tracer(ps->pid);

	if (tracer != 0)
		log_warnx("worker %d (pid %ld) is %s: no message will reach "
		    "its sessions", ps->idx, (long)ps->pid, tracer > 0 ?
		    "traced" : "dumpable or gone");
	/* It waits for the answer: without one it would never start. */
	if (chan_send(ps->chan, WS_MSG_KEY, 0, tracer == 0 ?
	    (const char *)msgq_key() : NULL, tracer == 0 ? WS_MQ_KEY_LEN : 0,
	    -1, MSG_DONTWAIT) == -1) {
		log_warn("worker %d: control channel", ps->idx);
		ps->mux_killed = 1;
		(void)kill(ps->pid, SIGTERM);
	}
}

/* The messages a session got before it had a worker (svc_msg). */
void
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
		log_rl_warnx(LOG_RL_MSG_DROPPED, "session %u: the queue took "
		    "no room for %d messages", ps->sess->token, failed);
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

	for (i = 0; i < pool.n && pool.shm != NULL; i++) {
		ps = &pool.slot[i];
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

/* Messages delivered in replies, as the workers count them. */
uint64_t
pool_msg_delivered(void)
{
	uint64_t	n = 0;
	int		i;

	for (i = 0; i < pool.n && pool.shm != NULL; i++)
		n += atomic_load_explicit(&pool.slot[i].s->delivered,
		    memory_order_relaxed);
	return (n);
}
