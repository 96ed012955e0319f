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
 * Accepting on the master's listening sockets: at most a burst of
 * connections per wakeup, so one busy socket cannot starve the loop.
 * Running out of descriptors (or of kernel memory) is the process's
 * trouble, not one socket's: every acceptor pauses for a second instead
 * of spinning on a socket that stays readable, then those their owners
 * still want resume.  The owner keeps the socket; acc_free leaves it
 * open.  A listener libevent runs for someone else (evhttp's, for the
 * metrics) is paused with the rest (acc_wrap).
 */

#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "log.h"
#include "acc.h"

#define ACC_BURST	64	/* accepts per wake-up, on any socket */

struct acc {
	struct event		*ev;
	struct evconnlistener	*lev;		/* acc_wrap's, else NULL */
	int			 on;		/* the owner wants it */
	const char		*what;
	acc_fn			 fn;
	void			*arg;
	TAILQ_ENTRY(acc)	 entry;
};

static struct {
	TAILQ_HEAD(, acc)	 all;
	struct event		*pause;
	int			 paused;
	int			 init;
} A;

static void
acc_arm(struct acc *a)
{
	if (a->lev != NULL && a->on && !A.paused)
		(void)evconnlistener_enable(a->lev);
	else if (a->lev != NULL)
		(void)evconnlistener_disable(a->lev);
	else if (a->on && !A.paused)
		event_add(a->ev, NULL);
	else
		event_del(a->ev);
}

static void
acc_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct acc	*a;

	(void)fd;
	(void)what;
	(void)arg;
	A.paused = 0;
	TAILQ_FOREACH(a, &A.all, entry)
		acc_arm(a);
}

static void
acc_error(struct acc *a)
{
	struct timeval	 tv = { 1, 0 };
	struct acc	*b;

	log_rl_warn(LOG_RL_ACCEPT, "%s: accept", a->what);
	if (errno != EMFILE && errno != ENFILE && errno != ENOBUFS &&
	    errno != ENOMEM)
		return;
	if (A.paused)
		return;
	log_warnx("out of descriptors: not accepting for 1 second");
	A.paused = 1;
	TAILQ_FOREACH(b, &A.all, entry)
		acc_arm(b);
	evtimer_add(A.pause, &tv);
}

static void
acc_cb(evutil_socket_t lfd, short what, void *arg)
{
	struct acc		*a = arg;
	struct sockaddr_storage	 ss;
	socklen_t		 len;
	int			 fd, i;

	(void)what;
	for (i = 0; i < ACC_BURST; i++) {
		len = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &len,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				acc_error(a);
			return;
		}
		if (a->fn(fd, (struct sockaddr *)&ss, len, a->arg) == -1)
			return;
	}
}

static struct acc *
acc_alloc(struct event_base *base, const char *what)
{
	struct acc	*a;

	if (!A.init) {
		TAILQ_INIT(&A.all);
		if ((A.pause = evtimer_new(base, acc_resume_cb, NULL)) == NULL)
			fatalx("accept pause");
		A.init = 1;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal("acc_new");
	a->what = what;
	TAILQ_INSERT_TAIL(&A.all, a, entry);
	return (a);
}

/* Accept on lfd, ACC_BURST a round at most, once acc_on says so. */
struct acc *
acc_new(struct event_base *base, int lfd, const char *what, acc_fn fn,
    void *arg)
{
	struct acc	*a = acc_alloc(base, what);

	if ((a->ev = event_new(base, lfd, EV_READ | EV_PERSIST, acc_cb,
	    a)) == NULL)
		fatalx("%s: event_new", what);
	a->fn = fn;
	a->arg = arg;
	return (a);
}

/* libevent's listener says accept(2) failed: errno is still its. */
static void
acc_lev_error_cb(struct evconnlistener *lev, void *arg)
{
	struct acc	*a;

	(void)arg;
	TAILQ_FOREACH(a, &A.all, entry)
		if (a->lev == lev) {
			acc_error(a);
			return;
		}
}

/* A listener libevent accepts on for another (evhttp): paused too. */
struct acc *
acc_wrap(struct event_base *base, struct evconnlistener *lev,
    const char *what)
{
	struct acc	*a = acc_alloc(base, what);

	a->lev = lev;
	a->on = 1;
	evconnlistener_set_error_cb(lev, acc_lev_error_cb);
	return (a);
}

/* Whether the owner wants connections; a pause still holds them off. */
void
acc_on(struct acc *a, int on)
{
	a->on = on;
	acc_arm(a);
}

void
acc_free(struct acc *a)
{
	if (a == NULL)
		return;
	TAILQ_REMOVE(&A.all, a, entry);
	if (a->ev != NULL)
		event_free(a->ev);
	free(a);
}
