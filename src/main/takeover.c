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
 * What an upgrade hands over, and what each mux does about it; the
 * channel itself is upgrade.c's.
 * The old mux hands its sockets, the lock, the pid file (kept open, as
 * the new mux runs as -U's user and may not open it), the cleanup
 * helper's pipe, MessageLog, the queue's id, its pid and next session
 * token.  When the new mux is ready, listeners are told R and follow;
 * the old mux takes no more clients and exits when its sessions end.
 * The new mux says it is ready once one of its workers is idle, so a
 * new binary or handler that cannot serve leaves the old mux in place.
 * The queue is shared until one of the two exits; the last removes it.
 */

#include <sys/syscall.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cleanup.h"
#include "mux.h"
#include "notify.h"
#include "socks.h"
#include "sysd.h"
#include "takeover.h"
#include "upgrade.h"

#define TAKEOVER_HAND_WAIT	10	/* s a slow listener may take at exit */
#define TAKEOVER_READY_POLL	50000	/* us between looks at the pool */

static struct {
	const struct takeover	*t;
	int			 handed;	/* to a new mux */
	const char		*refuse;	/* why no upgrade now */
	pid_t			 oldpid;	/* the mux we took over from */
} T;

/* The old side's first batch. */
static void
takeover_give(void)
{
	char	buf[32];

	socks_give(upgrade_give);
	if (T.t->lockfd != -1)
		(void)upgrade_give("lock", T.t->lockfd);
	if (T.t->pidfd != -1)
		(void)upgrade_give("pidfile", T.t->pidfd);
	if (cleanup_fd() != -1)
		(void)upgrade_give("cleanup", cleanup_fd());
	if (msglog_fd() != -1)
		(void)upgrade_give("msglog", msglog_fd());
	snprintf(buf, sizeof(buf), "token %u", svc_tokens());
	(void)upgrade_give(buf, -1);
	snprintf(buf, sizeof(buf), "pid %ld", (long)getpid());
	(void)upgrade_give(buf, -1);
	if (msgq_id() != -1) {
		snprintf(buf, sizeof(buf), "msgq %d", msgq_id());
		(void)upgrade_give(buf, -1);
	}
}

static int
takeover_give_listener(int fd, uint32_t mask)
{
	char	buf[32];

	snprintf(buf, sizeof(buf), "listener %u", mask);
	return (upgrade_give(buf, fd));
}

/*
 * The new mux is ready: listeners are told R and go to it, which sends
 * each a fresh snapshot; we accept nothing more and leave when our
 * sessions have ended.  The sockets, the pid file and the queue are the
 * new mux's now: we remove none of them.
 */
static void
takeover_handoff(void)
{
	T.handed = 1;
	sysd_mainpid(upgrade_pid());
	events_emit(EV_R, 0, NULL);
	notify_handoff(takeover_give_listener, upgrade_finish);
	svc_close();
	smap_stop();
	metrics_stop();
	agent_stop();
	tick_stop();
	msgq_share(1);
	pool_handoff();
}

static void
takeover_failed(const char *why)
{
	(void)why;
	req_hold(0);
}

/* SIGUSR2 and the "upgrade" action: 0, or -1; what happened in msg. */
int
takeover_start(char *msg, size_t sz)
{
	static const struct upgrade_ops	ops = { takeover_give,
					    takeover_handoff,
					    takeover_failed };
	struct ctl_shut_view		sh;

	if (T.handed) {
		snprintf(msg, sz, "this mux has handed over to pid %ld "
		    "already", (long)upgrade_pid());
		return (-1);
	}
	if (T.refuse != NULL) {
		snprintf(msg, sz, "%s", T.refuse);
		return (-1);
	}
	/* The new mux would know nothing of it. */
	if (ctl_shut_view(&sh) == 0) {
		snprintf(msg, sz, "a shutdown is under way (shutdown cancel "
		    "first)");
		return (-1);
	}
	if (T.t->exe[0] == '\0') {
		snprintf(msg, sz, "the path of this mux's binary is unknown");
		return (-1);
	}
	req_hold(1);
	if (upgrade_start(T.t->base, T.t->exe, T.t->argv, &ops, msg,
	    sz) == -1) {
		req_hold(0);
		return (-1);
	}
	snprintf(msg, sz, "started %s as pid %ld", T.t->exe,
	    (long)upgrade_pid());
	return (0);
}

/* From now on no upgrade: our sockets are closing (SIGTERM). */
void
takeover_refuse(const char *why)
{
	T.refuse = why;
}

int
takeover_handed(void)
{
	return (T.handed);
}

/*
 * Our sessions have ended: a listener still reading what we wrote
 * before it goes to the new mux gets up to TAKEOVER_HAND_WAIT s more.
 * The queue is ours alone if the new mux exited first.
 */
void
takeover_exit(void)
{
	struct timeval	tv = { 0, 100000 };
	int		i;

	if (!T.handed)
		return;
	for (i = 0; i < TAKEOVER_HAND_WAIT * 10 && notify_handing() > 0;
	    i++) {
		event_base_loopexit(T.t->base, &tv);
		event_base_dispatch(T.t->base);
	}
	if (kill(upgrade_pid(), 0) == -1 && errno == ESRCH)
		msgq_share(0);
}

/* The old mux is gone: what we shared with it is ours alone now. */
static void
takeover_old_gone_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct event	*self = arg;

	(void)ev;
	log_info("upgrade: the old mux (pid %ld) has exited", (long)T.oldpid);
	msgq_share(0);
	event_free(self);
	close(fd);
}

/* Watch the old mux's end (a pidfd is readable when it exits). */
static void
takeover_watch_old(void)
{
	struct event	*ev;
	uint32_t	 pid;
	int		 fd;

	if (upgrade_value("pid", &pid) == -1 || pid == 0)
		return;
	T.oldpid = (pid_t)pid;
	if ((fd = (int)syscall(SYS_pidfd_open, T.oldpid, 0)) == -1) {
		/* Gone already, or no pidfd: then the queue stays. */
		if (errno == ESRCH)
			msgq_share(0);
		return;
	}
	if ((ev = event_new(T.t->base, fd, EV_READ, takeover_old_gone_cb,
	    event_self_cbarg())) == NULL || event_add(ev, NULL) == -1)
		fatalx("upgrade: watching the old mux");
}

/*
 * A listener the old mux handed over; NULL at the end, when the old mux
 * has made us systemd's main pid too.
 */
static void
takeover_adopt(const char *name, int fd)
{
	unsigned int	mask;

	if (name == NULL)
		sysd_main();
	else if (sscanf(name, "listener %u", &mask) == 1)
		notify_adopt(fd, mask);
	else
		close(fd);
}

/* Ready once a worker session of ours is idle, or at once with -m 0. */
static void
takeover_ready_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct event	*self = arg;
	struct timeval	 tv = { 0, TAKEOVER_READY_POLL };

	(void)fd;
	(void)ev;
	if (T.t->min_workers > 0 && pool_free() == 0) {
		evtimer_add(self, &tv);
		return;
	}
	event_free(self);
	T.t->ready();
	upgrade_ready(T.t->base, takeover_adopt);
}

void
takeover_init(const struct takeover *t)
{
	T.t = t;
}

/* The new side, once every subsystem is on the loop. */
void
takeover_resume(void)
{
	struct event	*ev;
	uint32_t	 token;

	if (upgrade_value("token", &token) == 0)
		svc_tokens_from(token);
	takeover_watch_old();
	if ((ev = evtimer_new(T.t->base, takeover_ready_cb,
	    event_self_cbarg())) == NULL)
		fatalx("upgrade");
	takeover_ready_cb(-1, 0, ev);
}
