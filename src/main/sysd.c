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
 * systemd, both ways (mux.8 SYSTEMD).  In: the sockets a socket unit
 * passes (LISTEN_FDS), each taken for the option whose address it is
 * bound to, so mux.conf and the unit name the same place and a restart
 * keeps them listening.  Out (NOTIFY_SOCKET): READY=1 once the pool
 * reached -m, STATUS= as it changes, RELOADING=1 around a reread,
 * STOPPING=1, WATCHDOG=1 from the loop itself.  In an upgrade the old
 * mux hands MAINPID= to the new one, which speaks from then on.
 * Without NOTIFY_SOCKET or LISTEN_FDS, or built without libsystemd,
 * none of this costs anything.
 */

#include <sys/socket.h>
#include <sys/un.h>

#include <syslog.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#ifdef MUX_SYSTEMD
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#endif

#include "mux.h"
#include "sysd.h"

#define SYSD_POLL_US	100000	/* between looks at the pool, starting */
#define SYSD_STATUS_S	1	/* between STATUS= updates, once ready */
#define SYSD_MAX	256	/* one notification */

static struct {
	int			*fd;		/* passed, -1 once taken */
	char			**names;	/* LISTEN_FDNAMES */
	char			**as;		/* what each was taken for */
	int			 n;
	struct event_base	*base;
	struct event		*tick;
	struct event		*dog;
	int			 on;		/* NOTIFY_SOCKET is set */
	int			 main;		/* systemd's main pid is ours */
	int			 ready;
	int			 min_workers;
	char			 status[128];
} S;

#ifdef MUX_SYSTEMD
static int
sysd_sd_notify(const char *msg)
{
	return (sd_notify(0, msg));
}
#else
static int
sysd_sd_notify(const char *msg)
{
	(void)msg;
	return (0);
}
#endif

static void
sysd_notify(const char *fmt, ...)
{
	static int	warned;	/* once: the watchdog would say it often */
	char		buf[SYSD_MAX];
	va_list		ap;

	if (!S.on || !S.main)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (sysd_sd_notify(buf) < 0 && !warned++)
		log_warnx("systemd: cannot notify %s", getenv("NOTIFY_SOCKET"));
}

/*
 * The sockets systemd passed us, if any: LISTEN_FDS is unset so that
 * neither the workers nor a new mux take them for theirs.
 */
int
sysd_sockets(void)
{
#ifdef MUX_SYSTEMD
	int	i, n;

	if ((n = sd_listen_fds_with_names(1, &S.names)) < 0) {
		errno = -n;
		return (-1);
	}
	if (n == 0)
		return (0);
	if ((S.fd = calloc((size_t)n, sizeof(int))) == NULL ||
	    (S.as = calloc((size_t)n, sizeof(char *))) == NULL)
		return (-1);
	for (i = 0; i < n; i++)
		S.fd[i] = SD_LISTEN_FDS_START + i;
	S.n = n;
	return (n);
#else
	return (0);
#endif
}

static int
sysd_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_un	*ua = (const void *)a, *ub = (const void *)b;
	const struct sockaddr_in	*ia = (const void *)a, *ib = (const void *)b;
	const struct sockaddr_in6	*sa = (const void *)a, *sb = (const void *)b;

	if (a->ss_family != b->ss_family)
		return (0);
	if (a->ss_family == AF_UNIX)
		return (strncmp(ua->sun_path, ub->sun_path,
		    sizeof(ua->sun_path)) == 0);
	if (a->ss_family == AF_INET)
		return (ia->sin_port == ib->sin_port &&
		    ia->sin_addr.s_addr == ib->sin_addr.s_addr);
	return (sa->sin6_port == sb->sin6_port &&
	    memcmp(&sa->sin6_addr, &sb->sin6_addr, sizeof(sa->sin6_addr)) == 0);
}

/* The passed socket bound where sp names, taken for what; else -1. */
int
sysd_take(const struct sock_spec *sp, const char *what)
{
	struct sockaddr_storage	want, have;
	socklen_t		len;
	int			i, fd;

	memset(&want, 0, sizeof(want));
	if (S.n == 0 || sock_addr(sp, &want) == 0)
		return (-1);
	for (i = 0; i < S.n; i++) {
		len = sizeof(have);
		memset(&have, 0, sizeof(have));
		if (S.fd[i] == -1 || getsockname(S.fd[i],
		    (struct sockaddr *)&have, &len) == -1 ||
		    !sysd_same(&want, &have))
			continue;
		fd = S.fd[i];
		S.fd[i] = -1;
		S.as[i] = strdup(what);
		return (fd);
	}
	return (-1);
}

/* Once logging is set up: a passed socket no option names is closed. */
void
sysd_sockets_done(void)
{
	int	i;

	for (i = 0; i < S.n; i++) {
		if (S.fd[i] == -1)
			log_info("systemd: took socket %s for %s", S.names[i],
			    S.as[i] != NULL ? S.as[i] : "?");
		else {
			log_warnx("systemd: socket %s is bound where no "
			    "option of ours listens: closed", S.names[i]);
			close(S.fd[i]);
		}
		free(S.names[i]);
		free(S.as[i]);
	}
	free(S.names);
	free(S.fd);
	free(S.as);
	S.names = S.as = NULL;
	S.fd = NULL;
	S.n = 0;
}

/* STATUS=, when it changed; READY=1 the first time the pool is up. */
static void
sysd_tick_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct timeval	tv = { SYSD_STATUS_S, 0 };
	char		buf[sizeof(S.status)];
	int		n[WS_NSTATES], up;

	(void)fd;
	(void)ev;
	(void)arg;
	pool_tally(n);
	up = n[WS_IDLE] + n[WS_BUSY];
	if (!S.ready && up < S.min_workers) {
		snprintf(buf, sizeof(buf), "starting: %d of %d workers up",
		    up, S.min_workers);
		tv = (struct timeval){ 0, SYSD_POLL_US };
	} else
		snprintf(buf, sizeof(buf), "%d busy, %d idle, %d queued",
		    n[WS_BUSY], n[WS_IDLE], wait_queue_len());
	if (S.main && strcmp(buf, S.status) != 0) {
		sysd_notify("%sSTATUS=%s", !S.ready && tv.tv_sec > 0 ?
		    "READY=1\n" : "", buf);
		memcpy(S.status, buf, sizeof(S.status));
	}
	if (S.main && tv.tv_sec > 0)
		S.ready = 1;
	evtimer_add(S.tick, &tv);
}

static void
sysd_dog_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	sysd_notify("WATCHDOG=1");
}

/*
 * WatchdogSec=: pinged at half the interval.  A new mux is not the pid
 * systemd named in WATCHDOG_PID, but it is the main pid once handed it.
 */
static void
sysd_watchdog(int upgraded)
{
	struct timeval	 tv;
	uint64_t	 us = 0;
	const char	*v;

#ifdef MUX_SYSTEMD
	if (sd_watchdog_enabled(0, &us) <= 0)
		us = 0;
#endif
	if (us == 0 && upgraded && (v = getenv("WATCHDOG_USEC")) != NULL)
		us = strtoull(v, NULL, 10);
	if (us == 0)
		return;
	tv.tv_sec = (time_t)(us / 2 / 1000000);
	tv.tv_usec = (suseconds_t)(us / 2 % 1000000);
	if ((S.dog = event_new(S.base, -1, EV_PERSIST, sysd_dog_cb,
	    NULL)) == NULL || event_add(S.dog, &tv) == -1)
		fatalx("systemd watchdog");
	log_info("systemd: watchdog every %llu ms",
	    (unsigned long long)(us / 2000));
}

/*
 * With NOTIFY_SOCKET, once every subsystem is on the loop.  An upgrade's
 * new mux is quiet until the old one hands it the main pid (sysd_main).
 */
void
sysd_init(struct event_base *base, int min_workers, int upgraded)
{
	if (getenv("NOTIFY_SOCKET") == NULL)
		return;
	S.on = 1;
	S.base = base;
	S.main = !upgraded;
	S.min_workers = min_workers;
	if ((S.tick = evtimer_new(base, sysd_tick_cb, NULL)) == NULL)
		fatalx("systemd status");
	sysd_tick_cb(-1, 0, NULL);
	sysd_watchdog(upgraded);
}

#ifdef MUX_SYSTEMD
/*
 * An event for the journal, with fields a central journal can select
 * on (journalctl MUX_EVENT=Z), at a priority that says how much it
 * matters: none free, a busy kill, a death are warnings.
 */
static void
sysd_event_cb(const struct mux_ev *ev)
{
	const char	*ident;
	char		 line[EVENTS_LINE_MAX];
	size_t		 n = events_format(line, sizeof(line), ev);
	int		 fg, sl, v, fac, pri;

	pri = ev->type == EV_Z || ev->type == EV_B || ev->type == EV_U ?
	    LOG_WARNING : LOG_INFO;
	log_params(&fg, &sl, &v, &ident, &fac);
	if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = '\0';
	(void)sd_journal_send("MESSAGE=event %s", line, "PRIORITY=%d", pri,
	    "SYSLOG_IDENTIFIER=%s", ident, "MUX_EVENT=%c", ev->type,
	    "MUX_N=%d", ev->n, "MUX_TEXT=%s", ev->text != NULL ? ev->text : "",
	    NULL);
}
#endif

/* Under journald (JOURNAL_STREAM), the rare events go to the journal. */
void
sysd_events(void)
{
#ifdef MUX_SYSTEMD
	if (getenv("JOURNAL_STREAM") != NULL)
		events_set_tap(sysd_event_cb);
#endif
}

/* The new mux of an upgrade: the old one has named us the main pid. */
void
sysd_main(void)
{
	S.main = 1;
	S.ready = 0;	/* READY=1 and a fresh STATUS= at the next tick */
	S.status[0] = '\0';
}

/* The old mux: the new one is systemd's main pid now; we say no more. */
void
sysd_mainpid(pid_t pid)
{
	sysd_notify("MAINPID=%ld\nSTATUS=handed over to pid %ld",
	    (long)pid, (long)pid);
	S.main = 0;
}

/* A reread: from RELOADING=1 to READY=1 (systemd.service(5)). */
void
sysd_reloading(void)
{
	struct timespec	ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	sysd_notify("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading",
	    (unsigned long long)ts.tv_sec * 1000000 +
	    (unsigned long long)ts.tv_nsec / 1000);
}

void
sysd_reloaded(void)
{
	S.status[0] = '\0';
	sysd_notify("READY=1");
}

void
sysd_stopping(void)
{
	sysd_notify("STOPPING=1\nSTATUS=stopping: finishing the sessions");
	/* The watchdog goes on: the loop still runs, and may hang. */
	if (S.tick != NULL)
		evtimer_del(S.tick);
}
