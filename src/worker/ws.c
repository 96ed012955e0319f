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
 * A worker session: the data plane.  It accepts on the shared request
 * socket itself (Postfix master style), reads one request line, hands it
 * to its handler, relays the reply and closes.  The mux only hears from
 * it through the shared slot table, and through the control channel for
 * the rare things: readiness, busy kills, lines the mux must answer.
 */

#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "ws_priv.h"

/* Set when the handler exits; SIGUSR1 only interrupts a blocking call. */
static volatile sig_atomic_t ws_chld;

static void
ws_sig(int sig)
{
	if (sig == SIGCHLD)
		ws_chld = 1;
}

/*
 * We start with every signal at its default and none blocked (the
 * master's posix_spawn attributes); only our own are set here.
 */
static void
ws_signals(void)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
	/* No SA_RESTART: the signal must end a blocking accept or read. */
	sa.sa_handler = ws_sig;
	(void)sigaction(SIGCHLD, &sa, NULL);
	(void)sigaction(SIGUSR1, &sa, NULL);
}

static int
ws_fdcmp(const void *a, const void *b)
{
	return (*(const int *)a - *(const int *)b);
}

/* Close every descriptor inherited from the mux but the ones we use. */
static void
ws_closefrom_except(int *keep, size_t n)
{
	unsigned int	lo = 3;
	size_t		i;

	qsort(keep, n, sizeof(*keep), ws_fdcmp);
	for (i = 0; i < n; i++) {
		if (keep[i] < 0)
			continue;	/* none: no request socket, say */
		if ((unsigned int)keep[i] > lo)
			(void)close_range(lo, (unsigned int)keep[i] - 1, 0);
		if ((unsigned int)keep[i] >= lo)
			lo = (unsigned int)keep[i] + 1;
	}
	(void)close_range(lo, ~0U, 0);
}

/*
 * Reservations: the mux moves an idle slot to BUSY, counts it in
 * handed, then sends the client.  The slot is ours to serve it with;
 * handed != received says a client is owed, whatever happened between.
 */
int
ws_pending(struct ws *w)
{
	return (atomic_load(&w->slot->handed) != w->received);
}

/*
 * A service session (--listen): the slot stays BUSY to its end, and the
 * mux hears of its user and of its end on the channel.
 */
static void
ws_service(struct ws *w, int fd, uint32_t token, char *vars, size_t len)
{
	struct ws_sess_ctx	x;
	struct sockaddr_storage	ss;
	socklen_t		salen = sizeof(ss);
	int			code;

	if (getpeername(fd, (struct sockaddr *)&ss, &salen) == -1)
		ss.ss_family = AF_UNSPEC;
	ws_begin(w, fd, (struct sockaddr *)&ss);
	atomic_store(&w->slot->svc, 1);
	slot_ctr_add(&w->slot->nreq, 1);	/* -r counts sessions too */
	memset(&x, 0, sizeof(x));
	x.shm = w->shm;
	x.slot = w->slot;
	x.idx = w->idx;
	x.chan = w->chan;
	x.conf = w->conf;
	x.sid = w->sid;
	x.log = w->log;
	x.mq_key = w->mq_key;
	vars[len] = '\0';
	code = ws_sess_serve(&x, fd, token, vars, len,
	    w->conf->exec ? NULL : &w->hd);
	close(fd);
	slot_seq_set(&w->slot->verb_seq, w->slot->verb, WS_VERB_MAX, "", 0);
	atomic_store(&w->slot->svc, 0);
	ws_end(w);
	if (x.retire)
		w->retire = 1;
	if (code != 0) {
		/* The pool handler broke or stalled: a new worker. */
		(void)slot_move(w->shm, w->slot, WS_BUSY, WS_KILLED);
		if (code == WS_EXIT_BUSYKILL)
			(void)ws_send(w, WS_MSG_BUSYKILL, NULL, 0, -1);
		ws_exit(w, code);
	}
	slot_ctr_add(&w->slot->nserved, 1);
	if (w->conf->exec)
		ws_chld = 0;	/* that was the session's handler */
}

#define WS_TOOK_NONE	0
#define WS_TOOK_CLIENT	1
#define WS_TOOK_OTHER	2

/* Take one message from the mux; a client is served at once. */
static int
ws_take(struct ws *w, int flags)
{
	struct ws_msghdr	h;
	struct sockaddr_storage	ss;
	socklen_t		salen;
	char			line[WS_LINE_MAX + 1];
	int			fd, r;

	if ((r = chan_recv(w->chan, &h, line, &fd, flags)) <= 0) {
		if (r == -1)
			ws_exit(w, WS_EXIT_MUX);
		return (WS_TOOK_NONE);
	}
	if (h.type == WS_MSG_CLIENT && fd != -1 && h.arg != 0) {
		w->received++;
		w->released = 0;
		ws_unmark(w);
		ws_service(w, fd, h.arg, line, h.len);
		return (WS_TOOK_CLIENT);
	}
	if (h.type == WS_MSG_CLIENT && fd != -1) {
		w->received++;
		/* The reservation made the slot ours, BUSY. */
		w->released = 0;
		ws_unmark(w);
		salen = sizeof(ss);
		if (getpeername(fd, (struct sockaddr *)&ss, &salen) == -1)
			ss.ss_family = AF_UNSPEC;
		ws_serve(w, fd, h.len ? line : NULL, h.len,
		    (struct sockaddr *)&ss);
		return (WS_TOOK_CLIENT);
	}
	if (h.type == WS_MSG_RETIRE)
		w->retire = 1;
	else if (h.type == WS_MSG_KEY) {
		if (h.len == WS_MQ_KEY_LEN) {
			memcpy(w->mq_keybuf, line, WS_MQ_KEY_LEN);
			w->mq_key = w->mq_keybuf;
		}
		w->keyed = 1;
	}
	else if (h.type == WS_MSG_MQ) {
		atomic_store(&w->slot->mq_wake, 0);
		ws_sess_mq_stale(w->slot, w->conf, w->mq_key);
	}
	else if (fd != -1)
		close(fd);
	return (WS_TOOK_OTHER);
}

/*
 * After serving: take the clients reserved for us meanwhile, then go
 * idle or retire.  A slot released early is idle (or reserved again:
 * the main loop sees that).
 */
static void
ws_finish(struct ws *w)
{
	while (ws_pending(w)) {
		/* Two requests in one busy spell: listeners count requests
		   by their state changes, so they see the pair between. */
		if (w->doubled) {
			slot_note(w->shm, w->slot, WS_BUSY, WS_IDLE);
			slot_note(w->shm, w->slot, WS_IDLE, WS_BUSY);
		}
		w->doubled = 0;
		(void)ws_take(w, 0);
	}
	w->doubled = 0;
	if (w->released || w->unmarked) {
		w->released = 0;
		ws_unmark(w);
		return;
	}
	if (ws_should_retire(w)) {
		(void)slot_move(w->shm, w->slot, WS_BUSY, WS_RETIRING);
		ws_exit(w, WS_EXIT_OK);
	}
	(void)slot_move(w->shm, w->slot, WS_BUSY, WS_IDLE);
}

/* An idle worker: retirement requests and reserved clients. */
static void
ws_ctl(struct ws *w)
{
	if (atomic_exchange(&w->slot->ctl, 0) & WS_CTL_RETIRE)
		w->retire = 1;
	for (;;) {
		switch (ws_take(w, MSG_DONTWAIT)) {
		case WS_TOOK_CLIENT:
			ws_finish(w);
			break;
		case WS_TOOK_OTHER:
			break;
		default:
			return;
		}
	}
}

/*
 * Clients the mux reserved us for while we were on our way out (a
 * handler that died just as one was handed over): answer each, as
 * MIMEDefang answers for a dead worker, rather than close it unanswered.
 * reserved: the mux took our idle slot, so a client is on its way even
 * if handed does not show it yet.  Wait for it a moment, not for ever.
 */
static void
ws_drop_pending(struct ws *w, int reserved)
{
	struct ws_msghdr	 h;
	struct pollfd		 pfd = { w->chan, POLLIN, 0 };
	char			 line[WS_LINE_MAX + 1];
	int			 fd;

	while ((reserved || ws_pending(w)) && poll(&pfd, 1, 1000) > 0 &&
	    chan_recv(w->chan, &h, line, &fd, MSG_DONTWAIT) > 0) {
		if (fd == -1)
			continue;
		if (h.type == WS_MSG_CLIENT) {
			w->received++;
			reserved = 0;
			log_warnx("worker %d: exiting with a client handed "
			    "over: answered", w->idx);
			(void)ws_write_all(w, fd, WS_MSG_NORESP,
			    sizeof(WS_MSG_NORESP) - 1, slot_now_ms() + 1000);
		}
		close(fd);
	}
}

void
ws_exit(struct ws *w, int code)
{
	int	reserved = 0;

	/*
	 * Leave IDLE first, so the mux cannot hand us a client from now
	 * on (RETIRING is still free: no F/Z for an exit).  If it just
	 * did, the slot is BUSY and its client is on its way.
	 */
	if (atomic_load(&w->slot->state) == WS_IDLE &&
	    slot_move(w->shm, w->slot, WS_IDLE, WS_RETIRING) == -1)
		reserved = atomic_load(&w->slot->state) == WS_BUSY;
	ws_drop_pending(w, reserved);
	if (w->conf->inproc == NULL && !w->conf->exec)
		ws_hd_stop(&w->hd, code == WS_EXIT_OK, WS_GRACE_MS);
	_exit(code);
}

/* What epoll_wait(2) returned for an idle worker; the socket is not ours. */
static void
ws_events(struct ws *w, const struct epoll_event *ev, int n)
{
	char	c;
	int	i;

	for (i = 0; i < n; i++) {
		if (ev[i].data.fd == w->chan)
			ws_ctl(w);
		else if (ev[i].data.fd == w->hd.out) {
			/* Output or EOF from an idle handler: out of step. */
			if (read(w->hd.out, &c, 1) == 0) {
				log_warnx("worker %d: handler exited",
				    w->idx);
				ws_exit(w, WS_EXIT_HANDLER);
			}
			log_warnx("worker %d: handler wrote while idle",
			    w->idx);
			ws_exit(w, WS_EXIT_PROTO);
		}
	}
}

/*
 * Clients wait in the mux's queue: a worker that comes free takes the
 * oldest from the mux, over the channel, rather than a newcomer from
 * the shared socket, which under a steady load would be served first
 * again and again while the queue's oldest waited (p99 at 5 ms
 * handlers, c=16: 158 ms against the reference's 46).  The mux
 * clears mux_queued when its queue empties; we look again within
 * WS_QUEUE_WAIT_MS, so a worker never waits on a queue that is gone.
 */
static void
ws_wait_queue(struct ws *w)
{
	struct epoll_event	ev[4];
	int			n;

	atomic_store_explicit(&w->slot->asleep, 1, memory_order_relaxed);
	n = epoll_wait(w->epq, ev, 4, WS_QUEUE_WAIT_MS);
	atomic_store_explicit(&w->slot->asleep, 0, memory_order_relaxed);
	ws_events(w, ev, n);
}

static void
ws_wait(struct ws *w)
{
	struct epoll_event	ev[4];
	int			n;

	atomic_store_explicit(&w->slot->asleep, 1, memory_order_relaxed);
	n = epoll_wait(w->ep, ev, 4, -1);
	atomic_store_explicit(&w->slot->asleep, 0, memory_order_relaxed);
	ws_events(w, ev, n);
}

/*
 * 1: a client waits on the shared socket; 0: nothing within timeout;
 * -1: a signal, or the channel or the handler, handled here.
 */
static int
ws_client_ready(struct ws *w, int timeout)
{
	struct epoll_event	ev[4];
	int			n, i;

	if (timeout != 0)
		atomic_store_explicit(&w->slot->asleep, 1,
		    memory_order_relaxed);
	n = epoll_wait(w->ep, ev, 4, timeout);
	if (timeout != 0)
		atomic_store_explicit(&w->slot->asleep, 0,
		    memory_order_relaxed);
	for (i = 0; i < n; i++)
		if (ev[i].data.fd != w->lfd) {
			atomic_store(&w->slot->waiting, 0);
			ws_events(w, ev, n);
			return (-1);
		}
	/* The handler's pipe is in this epoll: it was empty just now. */
	if (n > 0)
		w->looked = slot_now_us();
	return (n > 0 ? 1 : n);
}

/*
 * Wait for a client in epoll_wait(2), then take it with accept(2).  The
 * kernel wakes sleepers in accept(2) in turn, so each request went to
 * another process, with cold caches (in-process c=1: 7% slower than one
 * worker taking them all).  A readable socket goes to the first of its
 * EPOLLEXCLUSIVE waiters in the order they registered: the oldest idle
 * worker takes the client, the others stay cold, and idle reaping can
 * retire them, which is what DESIGN §3's LIFO dispatch is for.
 *
 * The socket is blocking while some worker is idle; one that loses the
 * race for a client sleeps in accept(2) for the next.  The mux sets
 * O_NONBLOCK while it accepts itself, and we then go straight to
 * accept(2), get EAGAIN and wait in epoll for the channel too.  Asleep,
 * we cannot see the control bits, so the mux sends SIGUSR1 after setting
 * one if we say we are waiting: with both sides' store-then-load
 * sequentially consistent, either we see its bit or it sees our flag.  A
 * signal that lands just before we sleep is lost; the mux sends it again
 * until the bit is taken (pool_resignal_cb).
 */
static int
ws_accept(struct ws *w, struct sockaddr_storage *ss)
{
	socklen_t	len = sizeof(*ss);
	int		fd, ready = 1;

	/*
	 * Under load the next client usually connects just after a reply:
	 * yield once, and take it without sleeping and being woken, the
	 * dearest step of a request in a VM.  Not with a client pending
	 * (take it now), nor while the mux accepts (clients then come over
	 * the channel).  One epoll_wait and one yield per request: never a
	 * spin.
	 */
	if (!atomic_load_explicit(&w->shm->mux_accepts,
	    memory_order_relaxed) && (ready = ws_client_ready(w, 0)) == 0)
		(void)sched_yield();
	if (ready == -1)
		goto intr;
	atomic_store(&w->slot->waiting, 1);
	if (atomic_load(&w->slot->ctl) != 0 || ws_pending(w) || ws_chld ||
	    (ready == 0 && ws_client_ready(w, -1) != 1)) {
		atomic_store(&w->slot->waiting, 0);
		goto intr;
	}
	fd = accept4(w->lfd, (struct sockaddr *)ss, &len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	atomic_store_explicit(&w->slot->waiting, 0, memory_order_relaxed);
	return (fd);
intr:
	errno = EINTR;
	return (-1);
}

/* SIGCHLD came: an idle handler that exited replaces this worker. */
static void
ws_check_handler(struct ws *w)
{
	if (!ws_chld)
		return;
	ws_chld = 0;
	if (w->hd.pid > 0 && waitpid(w->hd.pid, NULL, WNOHANG) == w->hd.pid) {
		w->hd.pid = -1;
		log_warnx("worker %d: handler exited", w->idx);
		ws_exit(w, WS_EXIT_HANDLER);
	}
}

static void
ws_epoll_add(struct ws *w, int fd, uint32_t events)
{
	struct epoll_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.fd = fd;
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) == -1 ||
	    (w->lfd != -1 && epoll_ctl(w->epq, EPOLL_CTL_ADD, fd, &ev) == -1))
		_exit(WS_EXIT_MUX);
}

/*
 * MessageEngine: ask for the key that opens our messages, now that we
 * are non-dumpable, and wait for it (a retire meanwhile is kept).
 */
static void
ws_mq_key(struct ws *w)
{
	if (ws_send(w, WS_MSG_KEY, NULL, 0, -1) == -1)
		ws_exit(w, WS_EXIT_MUX);
	while (!w->keyed)
		(void)ws_take(w, 0);
}

static void
ws_setup(struct ws *w)
{
	int	keep[5] = { w->lfd, w->chan, w->shm->wake_fd, w->log, w->ep };

	ws_signals();
	/* Before the queue's key: a handler of our uid must not read it. */
	if (w->conf->mqid != -1)
		(void)prctl(PR_SET_DUMPABLE, 0);
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	/* ps and pkill -x tell the mux from its worker sessions. */
	(void)prctl(PR_SET_NAME, "mux-worker");
	ws_closefrom_except(keep, 5);
	w->hd.pid = -1;
	w->hd.in = w->hd.out = w->hd.st = -1;
	w->hd.log = w->log;
	/* Before the handler: it inherits.  Auto pairs only with one. */
	pin_init(&w->pin, w->idx, w->conf->pin == -1 && (w->conf->exec ||
	    w->conf->inproc != NULL) ? 0 : w->conf->pin);
	if (w->conf->exec)
		;	/* a handler per session, not one per worker */
	else if (w->conf->inproc != NULL) {
		if (w->conf->inproc->on_session != NULL &&
		    w->conf->inproc->on_session(w->conf->inproc->arg) == -1)
			_exit(WS_EXIT_EXEC);
	} else if (ws_hd_start(&w->hd, w->conf) == -1) {
		log_warn("worker %d: cannot run %s", w->idx,
		    w->conf->prog);
		_exit(WS_EXIT_EXEC);
	} else	/* workers and workerinfo show it, as MIMEDefang's */
		atomic_store(&w->slot->hpid, (int)w->hd.pid);
	/* The shared socket is in the master's epoll (ws_boot_epoll). */
	if (w->ep == -1 && (w->ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		_exit(WS_EXIT_MUX);
	/* The same without the shared socket: for ws_wait_queue(). */
	if (w->lfd != -1 && (w->epq = epoll_create1(EPOLL_CLOEXEC)) == -1)
		_exit(WS_EXIT_MUX);
	ws_epoll_add(w, w->chan, EPOLLIN);
	if (w->hd.out != -1)
		ws_epoll_add(w, w->hd.out, EPOLLIN);
}

void
ws_main(struct ws_shm *shm, const struct ws_boot *b, int chan,
    const struct ws_conf *conf)
{
	static struct ws	 w;	/* big buffers: keep them off the stack */
	struct sockaddr_storage	 ss;
	int			 fd;

	w.shm = shm;
	w.slot = &shm->slots[b->idx];
	w.idx = b->idx;
	w.lfd = b->lfd;
	w.ep = b->lfd != -1 ? b->ep : -1;
	w.epq = -1;
	w.chan = chan;
	w.log = b->log;
	w.conf = conf;
	w.client = -1;
	ws_setup(&w);
	if (getppid() == 1)
		_exit(WS_EXIT_MUX);
	if (conf->mqid != -1)
		ws_mq_key(&w);
	if (slot_move(shm, w.slot, WS_STARTING, WS_IDLE) == -1)
		_exit(WS_EXIT_MUX);
	(void)ws_send(&w, WS_MSG_READY, NULL, 0, -1);
	for (;;) {
		ws_check_handler(&w);
		if (atomic_load_explicit(&w.slot->ctl, memory_order_acquire) ||
		    ws_pending(&w))
			ws_ctl(&w);
		if (w.retire) {
			if (slot_move(shm, w.slot, WS_IDLE, WS_RETIRING) == 0)
				ws_exit(&w, WS_EXIT_OK);
			ws_finish(&w);	/* reserved first: serve, then retire */
			continue;
		}
		if (w.lfd == -1) {
			ws_wait(&w);
			continue;
		}
		if (atomic_load_explicit(&shm->mux_queued,
		    memory_order_relaxed)) {
			ws_wait_queue(&w);
			continue;
		}
		fd = ws_accept(&w, &ss);
		if (fd == -1 && errno == EAGAIN) {
			ws_wait(&w);	/* the mux accepts meanwhile */
			continue;
		}
		if (fd != -1) {
			w.unmarked = 1;
			atomic_store_explicit(&w.slot->reading, 1,
			    memory_order_relaxed);
			ws_serve(&w, fd, NULL, 0, (struct sockaddr *)&ss);
			ws_finish(&w);
			continue;
		}
		if (errno == EMFILE || errno == ENFILE ||
		    errno == ENOBUFS || errno == ENOMEM) {
			/* Out of descriptors: back off, do not spin. */
			log_warn("worker %d: accept", w.idx);
			poll(NULL, 0, 100);
		}
	}
}
