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
 * An upgrade, nginx-style (SIGUSR2 or the "upgrade" action): the
 * running mux starts the binary it was started from, with its own
 * arguments, and hands it over a SOCK_SEQPACKET channel what must not
 * be made again: its listening sockets (the same open sockets, so no
 * client meets a closed port), the lock, the -U cleanup helper's pipe,
 * the next session token.  One packet a thing: a name, and a
 * descriptor when it has one; "end" closes a batch.
 *
 *   old -> new	sock SPEC, lock, cleanup, token N ... end
 *   new -> old	ready PID	(its sockets and pool are set up)
 *   old -> new	listener MASK ... end	(connected listeners, after R)
 *
 * Only then does the old mux stop accepting; it lets its workers and
 * live sessions finish and exits.  If the new one fails or says nothing
 * for UPGRADE_TIMEOUT seconds, the old one carries on as before.
 */

#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "proc.h"
#include "upgrade.h"

#define UPGRADE_TIMEOUT	60	/* s for the new mux to say it is ready */
#define UPGRADE_MAX	1024	/* things in the first batch */

extern char	**environ;

struct upgrade_item {
	char	*name;
	int	 fd;
};

static struct {
	/* Both sides: the channel. */
	int				 fd;
	struct event			*ev;
	/* The old side. */
	struct event			*timer;
	const struct upgrade_ops	*ops;
	pid_t				 pid;
	int				 handing;	/* it said ready */
	/* The new side: the first batch, and who adopts the second. */
	struct upgrade_item		 it[UPGRADE_MAX];
	int				 n;
	void				(*adopt)(const char *, int);
} U = { .fd = -1 };

/* One packet: a name and maybe a descriptor; -1 if the peer is gone. */
static int
upgrade_send(int ch, const char *name, int fd)
{
	struct msghdr	 m;
	struct iovec	 iov;
	struct cmsghdr	*c;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;

	memset(&m, 0, sizeof(m));
	iov.iov_base = (void *)(uintptr_t)name;
	iov.iov_len = strlen(name);
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (fd != -1) {
		memset(&cm, 0, sizeof(cm));
		m.msg_control = cm.buf;
		m.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	while (sendmsg(ch, &m, MSG_NOSIGNAL) == -1)
		if (errno != EINTR)
			return (-1);
	return (0);
}

/*
 * One packet into name (NUL-ended) and *fd (-1 without one).  1, or 0
 * at the end of the channel, or -1 on an error or a malformed packet.
 */
static int
upgrade_recv(int ch, char *name, size_t sz, int *fd)
{
	struct msghdr	 m;
	struct iovec	 iov;
	struct cmsghdr	*c;
	ssize_t		 n;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cm;

	*fd = -1;
	memset(&m, 0, sizeof(m));
	iov.iov_base = name;
	iov.iov_len = sz - 1;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = cm.buf;
	m.msg_controllen = sizeof(cm.buf);
	while ((n = recvmsg(ch, &m, MSG_CMSG_CLOEXEC)) == -1)
		if (errno == ECONNRESET)	/* gone with our words unread */
			return (0);
		else if (errno != EINTR)
			return (-1);
	if ((c = CMSG_FIRSTHDR(&m)) != NULL && c->cmsg_level == SOL_SOCKET &&
	    c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(fd, CMSG_DATA(c), sizeof(int));
	if (n == 0)
		return (0);
	name[n] = '\0';
	if ((m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    memchr(name, '\0', (size_t)n) != NULL) {
		if (*fd != -1)
			close(*fd);
		return (-1);
	}
	return (1);
}

static void	upgrade_give_done(void);

static void
upgrade_close(void)
{
	if (U.ev != NULL)
		event_free(U.ev);
	if (U.timer != NULL)
		event_free(U.timer);
	U.ev = U.timer = NULL;
	if (U.fd != -1)
		close(U.fd);
	U.fd = -1;
}

/* The environment with our channel's number in it: NULL on ENOMEM. */
static char **
upgrade_env(int fd)
{
	static char	 var[64];
	char		**env;
	size_t		 n, i, k = 0;

	for (n = 0; environ[n] != NULL; n++)
		;
	if ((env = calloc(n + 2, sizeof(*env))) == NULL)
		return (NULL);
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], UPGRADE_ENV "=",
		    sizeof(UPGRADE_ENV)) != 0)
			env[k++] = environ[i];
	snprintf(var, sizeof(var), "%s=%d", UPGRADE_ENV, fd);
	env[k] = var;
	return (env);
}

/* The new mux, the channel its only descriptor of ours: pid or -1. */
static pid_t
upgrade_spawn(const char *exe, char **argv, int fd)
{
	char	**env;
	pid_t	  pid;
	int	  rv;

	if ((env = upgrade_env(fd)) == NULL)
		return (-1);
	(void)fcntl(fd, F_SETFD, 0);
	rv = proc_spawn(&pid, exe, argv, env);
	free(env);
	if (rv != 0) {
		errno = rv;
		return (-1);
	}
	return (pid);
}

static void
upgrade_fail(const char *why)
{
	const struct upgrade_ops	*ops = U.ops;

	log_warnx("upgrade failed: %s; this mux carries on", why);
	upgrade_close();
	if (U.pid > 0)
		(void)kill(U.pid, SIGTERM);
	U.pid = 0;
	ops->failed(why);
}

static void
upgrade_timeout_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	upgrade_fail("the new mux was not ready in time");
}

/* The new mux's word: ready, or a failure (its end says it too). */
static void
upgrade_answer_cb(evutil_socket_t ch, short ev, void *arg)
{
	char		 name[UPGRADE_NAME_MAX], why[UPGRADE_NAME_MAX + 32];
	long		 pid;
	int		 fd, rv;

	(void)ev;
	(void)arg;
	rv = upgrade_recv(ch, name, sizeof(name), &fd);
	if (U.handing) {
		/* Handed over: too late to go back, listeners left stay. */
		if (fd != -1)
			close(fd);
		log_warnx("upgrade: the new mux left before it had every "
		    "listener");
		upgrade_close();
		return;
	}
	if (rv <= 0) {
		upgrade_fail(rv == 0 ? "the new mux exited" :
		    "a bad answer from the new mux");
		return;
	}
	if (fd != -1)
		close(fd);
	if (sscanf(name, "ready %ld", &pid) != 1 || pid <= 0) {
		snprintf(why, sizeof(why), "the new mux said: %s", name);
		upgrade_fail(why);
		return;
	}
	log_info("upgrade: the new mux (pid %ld) is ready; this one stops "
	    "accepting and exits when its sessions end", pid);
	U.pid = (pid_t)pid;
	U.handing = 1;
	event_free(U.timer);
	U.timer = NULL;
	U.ops->handoff();	/* upgrade_finish() when all is handed */
}

/*
 * Start exe with argv as our successor and hand it the first batch; 0,
 * or -1 with err (nothing changed then).
 */
int
upgrade_start(struct event_base *base, const char *exe, char **argv,
    const struct upgrade_ops *ops, char *err, size_t errlen)
{
	struct timeval	tv = { UPGRADE_TIMEOUT, 0 };
	int		sp[2];

	if (U.fd != -1) {
		snprintf(err, errlen, "an upgrade is already under way");
		return (-1);
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return (-1);
	}
	if ((U.pid = upgrade_spawn(exe, argv, sp[1])) == -1) {
		snprintf(err, errlen, "cannot start %s: %s", exe,
		    strerror(errno));
		close(sp[0]);
		close(sp[1]);
		U.pid = 0;
		return (-1);
	}
	close(sp[1]);
	U.fd = sp[0];
	U.ops = ops;
	log_info("upgrade: started %s (pid %ld)", exe, (long)U.pid);
	U.ev = event_new(base, U.fd, EV_READ | EV_PERSIST, upgrade_answer_cb,
	    NULL);
	U.timer = evtimer_new(base, upgrade_timeout_cb, NULL);
	if (U.ev == NULL || U.timer == NULL || event_add(U.ev, NULL) == -1 ||
	    evtimer_add(U.timer, &tv) == -1) {
		upgrade_fail("out of memory");
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	ops->give();
	upgrade_give_done();
	return (0);
}

/* One thing to the new mux (fd -1: a name only); -1 if it is gone. */
int
upgrade_give(const char *name, int fd)
{
	if (U.fd == -1 || upgrade_send(U.fd, name, fd) == -1)
		return (-1);
	return (0);
}

static void
upgrade_give_done(void)
{
	(void)upgrade_give("end", -1);
}

/* The old side's last word: the listeners are all handed. */
void
upgrade_finish(void)
{
	upgrade_give_done();
	upgrade_close();
}

/* The new mux's pid once it said it is ready, else 0. */
pid_t
upgrade_pid(void)
{
	return (U.pid);
}

/*
 * The new side, at start: 1 and the first batch read if the old mux
 * started us, 0 if nobody did, -1 with err.
 */
int
upgrade_inherit(char *err, size_t errlen)
{
	char		 name[UPGRADE_NAME_MAX], *end;
	const char	*v;
	long		 n;
	int		 fd, rv;

	if ((v = getenv(UPGRADE_ENV)) == NULL)
		return (0);
	n = strtol(v, &end, 10);
	(void)unsetenv(UPGRADE_ENV);	/* not for our workers */
	if (*v == '\0' || *end != '\0' || n < 3 || n > 65535 ||
	    fcntl((int)n, F_SETFD, FD_CLOEXEC) == -1) {
		snprintf(err, errlen, "%s: not our channel", UPGRADE_ENV);
		return (-1);
	}
	U.fd = (int)n;
	while ((rv = upgrade_recv(U.fd, name, sizeof(name), &fd)) == 1 &&
	    strcmp(name, "end") != 0) {
		if (U.n == UPGRADE_MAX ||
		    (U.it[U.n].name = strdup(name)) == NULL) {
			rv = -1;
			break;
		}
		U.it[U.n++].fd = fd;
	}
	if (rv != 1) {
		snprintf(err, errlen, "upgrade: the old mux's handover was "
		    "cut");
		return (-1);
	}
	return (1);
}

/* The descriptor handed as name, once; -1 if none. */
int
upgrade_take(const char *name)
{
	int	i, fd;

	for (i = 0; i < U.n; i++)
		if (U.it[i].fd != -1 && strcmp(U.it[i].name, name) == 0) {
			fd = U.it[i].fd;
			U.it[i].fd = -1;
			return (fd);
		}
	return (-1);
}

/* The number handed as "name N"; -1 if none. */
int
upgrade_value(const char *name, uint32_t *v)
{
	size_t		len = strlen(name);
	unsigned long	n;
	char		*end;
	int		i;

	for (i = 0; i < U.n; i++)
		if (strncmp(U.it[i].name, name, len) == 0 &&
		    U.it[i].name[len] == ' ') {
			n = strtoul(U.it[i].name + len + 1, &end, 10);
			if (*end != '\0' || n > UINT32_MAX)
				return (-1);
			*v = (uint32_t)n;
			return (0);
		}
	return (-1);
}

/* The second batch: each listener to adopt, until "end". */
static void
upgrade_adopt_cb(evutil_socket_t ch, short ev, void *arg)
{
	char	name[UPGRADE_NAME_MAX];
	int	fd, rv;

	(void)ev;
	(void)arg;
	if ((rv = upgrade_recv(ch, name, sizeof(name), &fd)) == 1 &&
	    strcmp(name, "end") != 0) {
		if (fd != -1)
			U.adopt(name, fd);
		return;
	}
	if (rv == -1)
		log_warnx("upgrade: a bad packet from the old mux");
	else if (rv == 1)
		U.adopt(NULL, -1);	/* the end: all handed */
	upgrade_close();
}

/*
 * Set up: what the old mux handed and we did not take is closed (a
 * socket no longer configured), the old mux is told, and the listeners
 * it hands then go to adopt.
 */
void
upgrade_ready(struct event_base *base, void (*adopt)(const char *, int))
{
	char	buf[64];
	int	i;

	for (i = 0; i < U.n; i++) {
		if (U.it[i].fd != -1) {
			log_info("upgrade: %s is not ours any more: closed",
			    U.it[i].name);
			close(U.it[i].fd);
		}
		free(U.it[i].name);
	}
	U.n = 0;
	snprintf(buf, sizeof(buf), "ready %ld", (long)getpid());
	U.adopt = adopt;
	if (upgrade_send(U.fd, buf, -1) == -1 ||
	    (U.ev = event_new(base, U.fd, EV_READ | EV_PERSIST,
	    upgrade_adopt_cb, NULL)) == NULL || event_add(U.ev, NULL) == -1) {
		log_warn("upgrade: cannot tell the old mux");
		upgrade_close();
	}
}
