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
#include <sys/uio.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "ws.h"

#define WS_GRACE_MS	10000	/* between EOF/SIGTERM and SIGKILL */
#define WS_LINE_GRACE_MS 100	/* a client this slow counts as busy */

struct ws;
struct ws_req {
	struct ws	*w;
	int		 fd;
	int		 replied;
	int64_t		 deadline;
};

struct ws {
	struct ws_shm		*shm;
	struct ws_slot		*slot;
	int			 idx;
	int			 lfd;
	int			 chan;
	int			 log;		/* handlers' stderr, or -1 */
	int			 ep;
	int			 retire;
	uint32_t		 received;	/* reserved clients taken */
	int			 released;	/* idle again, still replying */
	int			 unmarked;	/* accepted, not yet counted busy */
	int			 doubled;	/* reserved while serving our own */
	int			 client;	/* the client's fd, or -1 */
	uint32_t		 sid;		/* its session number */
	int			 kicked;
	const struct ws_conf	*conf;
	struct ws_hd		 hd;
	size_t			 rlen;		/* bytes in rbuf */
	struct status_rd	 st;
	char			 line[WS_LINE_MAX + 3];
	char			 rbuf[WS_REPLY_MAX];
};

static const char *ws_msg_noresp = "ERR No response from worker\n";

static void ws_exit(struct ws *, int) __attribute__((noreturn));
static int ws_should_retire(struct ws *);
static int ws_pending(struct ws *);

/* Set when the handler exits; SIGUSR1 only interrupts a blocking call. */
static volatile sig_atomic_t ws_chld;

static void
ws_sig(int sig)
{
	if (sig == SIGCHLD)
		ws_chld = 1;
}

static void
ws_signals(void)
{
	static const int	 sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR2,
	    SIGALRM };
	struct sigaction	 sa;
	sigset_t		 set;
	size_t			 i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		(void)sigaction(sigs[i], &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
	/* No SA_RESTART: the signal must end a blocking accept or read. */
	sa.sa_handler = ws_sig;
	(void)sigaction(SIGCHLD, &sa, NULL);
	(void)sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&set);
	(void)sigprocmask(SIG_SETMASK, &set, NULL);
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

static int
ws_send(struct ws *w, int type, const char *line, size_t len, int fd)
{
	return (chan_send(w->chan, type, 0, line, len, fd, 0));
}

/*
 * The mux asked to cut this session (kick, shutdown -d): it set kick to
 * our session number and interrupted us.  Shut the client's socket so it
 * sees the end at once; the request itself runs to its end, so the
 * handler stays in step.
 */
static int
ws_kicked(struct ws *w)
{
	if (!w->kicked && w->client != -1 &&
	    slot_take_kick(w->slot, w->sid)) {
		w->kicked = 1;
		(void)shutdown(w->client, SHUT_RDWR);
		log_info("worker %d: session kicked", w->idx);
	}
	return (w->kicked);
}

/* A client is ours: number the session, note where it comes from. */
static void
ws_begin(struct ws *w, int fd, const struct sockaddr *sa)
{
	w->client = fd;
	w->kicked = 0;
	w->sid = atomic_load_explicit(&w->slot->session,
	    memory_order_relaxed) + 1;
	if (w->sid == 0)
		w->sid = 1;	/* 0 means "kick nobody" */
	slot_set_peer(w->slot, sa);
	atomic_store_explicit(&w->slot->session, w->sid, memory_order_relaxed);
	atomic_store(&w->slot->in_session, 1);
}

static void
ws_end(struct ws *w)
{
	atomic_store(&w->slot->in_session, 0);
	w->client = -1;
}

/* Write all of buf to a non-blocking socket before the deadline. */
static int
ws_write_all(struct ws *w, int fd, const char *buf, size_t len,
    int64_t deadline)
{
	struct pollfd	pfd = { fd, POLLOUT, 0 };
	ssize_t		n;
	int64_t		left;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno != EAGAIN)
			return (-1);
		left = deadline - slot_now_ms();
		if (left <= 0)
			return (-1);
		if ((n = poll(&pfd, 1, (int)left)) == 0 ||
		    (n == -1 && errno != EINTR) || ws_kicked(w))
			return (-1);
	}
	return (0);
}

/*
 * Close a client we are refusing: shut our side, then discard what it
 * still sends for a moment so the kernel does not reset the connection
 * before it has read our reply.
 */
static void
ws_close_lingering(int fd)
{
	struct pollfd	pfd = { fd, POLLIN, 0 };
	char		buf[4096];
	size_t		total = 0;
	ssize_t		n;

	(void)shutdown(fd, SHUT_WR);
	while (total < 1024 * 1024) {
		if ((n = poll(&pfd, 1, 200)) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		total += (size_t)n;
	}
	close(fd);
}

/*
 * Not reading an accepted client's line any more: the mux and the
 * other workers may count on us again (policy_pick_idle, ws_elsewhere).
 */
static void
ws_unmark(struct ws *w)
{
	w->unmarked = 0;
	atomic_store_explicit(&w->slot->reading, 0, memory_order_relaxed);
}

/*
 * An accepted client counts as busy once it goes to the handler, or
 * once its line is WS_LINE_GRACE_MS late: a command line sent with the
 * connection goes to the mux without the slot ever leaving idle, so
 * "free" stays exact for mimedefang, which asks it on every SMTP
 * connection, and polling it makes no F events.
 */
static void
ws_mark_busy(struct ws *w)
{
	if (!w->unmarked)
		return;
	ws_unmark(w);
	/* Fails if the mux reserved us meanwhile: BUSY either way, and
	   its Idle -> Busy stands for this client, not the reserved one. */
	if (slot_move(w->shm, w->slot, WS_IDLE, WS_BUSY) == -1)
		w->doubled = 1;
	atomic_store_explicit(&w->slot->busy_since, slot_now_ms(),
	    memory_order_relaxed);
}

#define WS_RL_EOF	-1
#define WS_RL_TIMEOUT	-2
#define WS_RL_TOOLONG	-3

/* Read one request line into w->line; returns its length or WS_RL_*. */
static ssize_t
ws_readline(struct ws *w, int fd)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	int64_t		 deadline, left;
	size_t		 len = 0;
	ssize_t		 n;
	char		*nl;
	int		 yielded = 0;

	deadline = slot_now_ms() + (int64_t)w->conf->client_timeout * 1000;
	for (;;) {
		n = read(fd, w->line + len, sizeof(w->line) - 1 - len);
		if (n > 0) {
			nl = memchr(w->line + len, '\n', (size_t)n);
			len += (size_t)n;
			if (nl != NULL) {
				len = (size_t)(nl - w->line);
				break;
			}
			if (len >= sizeof(w->line) - 1)
				return (WS_RL_TOOLONG);
			continue;
		}
		if (n == 0) {
			if (len == 0)
				return (WS_RL_EOF);
			break;		/* a last line without LF */
		}
		if (ws_kicked(w))
			return (WS_RL_EOF);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return (WS_RL_EOF);
		/*
		 * The line of a client that has just connected is on its
		 * way: the milter writes it right after connect(2).  Yield
		 * once to let the client run, rather than sleep in poll(2)
		 * and cost it a wake-up (bench/README.md).
		 */
		if (len == 0 && !yielded) {
			yielded = 1;
			(void)sched_yield();
			continue;
		}
		left = deadline - slot_now_ms();
		if (left <= 0)
			return (WS_RL_TIMEOUT);
		/* A line that comes soon after the connection costs nothing. */
		if (w->unmarked && left > WS_LINE_GRACE_MS) {
			if (poll(&pfd, 1, WS_LINE_GRACE_MS) == 0)
				ws_mark_busy(w);
			continue;
		}
		if (poll(&pfd, 1, (int)left) == 0)
			return (WS_RL_TIMEOUT);
	}
	if (len > 0 && w->line[len - 1] == '\r')
		len--;
	if (len > WS_LINE_MAX)
		return (WS_RL_TOOLONG);
	w->line[len] = '\0';
	return ((ssize_t)len);
}

/* The command-derived tag: its first two words, decoded and made safe. */
static void
ws_tag_from_line(struct ws *w, const char *l, size_t len)
{
	char	 tag[WS_TAG_MAX + 1];
	size_t	 n = 0, words = 0;

	while (n < len && n < WS_TAG_MAX) {
		if (l[n] == ' ' && ++words == 2)
			break;
		tag[n] = l[n];
		n++;
	}
	n = status_pct_decode(tag, n);
	n = status_sanitize(tag, n);
	slot_set_tag(w->slot, tag, n);
	slot_notify(w->shm);
}

static void
ws_status_line(int kind, const char *out, size_t len, void *arg)
{
	struct ws	*w = arg;

	if (kind != STATUS_TAG)
		return;
	slot_set_tag(w->slot, out, len);
	slot_notify(w->shm);
}

/* Read what the handler wrote on fd 3; the last complete line wins. */
static void
ws_read_status(struct ws *w)
{
	status_read(w->hd.st, &w->st, ws_status_line, w);
}

#define WS_HR_EOF	-1
#define WS_HR_TIMEOUT	-2
#define WS_HR_TOOLONG	-3

/*
 * Read what the handler wrote.  Without a status pipe this is a plain
 * blocking read(2), one syscall where poll(2) and read(2) were two: the
 * mux's tick sends SIGUSR1 once the busy timeout has passed, and again
 * each second until we notice.  With -Z both pipes are polled.
 */
static ssize_t
ws_handler_read(struct ws *w, int64_t deadline)
{
	struct pollfd	pfd[2];
	ssize_t		n;
	int		left;

	for (;;) {
		if (w->hd.st != -1) {
			if ((left = (int)(deadline - slot_now_ms())) <= 0)
				return (WS_HR_TIMEOUT);
			pfd[0].fd = w->hd.out;
			pfd[0].events = POLLIN;
			pfd[1].fd = w->hd.st;
			pfd[1].events = POLLIN;
			n = poll(pfd, 2, left);
			if (n == -1 && errno == EINTR) {
				(void)ws_kicked(w);
				continue;
			}
			if (n <= 0)
				return (n == 0 ? WS_HR_TIMEOUT : WS_HR_EOF);
			if (pfd[1].revents)
				ws_read_status(w);
			if (pfd[0].revents == 0)
				continue;
		}
		n = read(w->hd.out, w->rbuf + w->rlen,
		    sizeof(w->rbuf) - w->rlen);
		if (n > 0)
			return (n);
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			return (WS_HR_EOF);
		(void)ws_kicked(w);
		if (slot_now_ms() >= deadline)
			return (WS_HR_TIMEOUT);
	}
}

/* Wait for the handler's whole reply; returns its length or WS_HR_*. */
static ssize_t
ws_handler_reply(struct ws *w, int64_t deadline)
{
	size_t		off = 0;
	ssize_t		n, r;

	w->rlen = 0;
	for (;;) {
		if ((n = ws_handler_read(w, deadline)) < 0)
			return (n);
		w->rlen += (size_t)n;
		r = reply_scan(w->rbuf, w->rlen, sizeof(w->rbuf), &off);
		if (r > 0)
			return (r);
		if (r == REPLY_TOOLONG)
			return (WS_HR_TOOLONG);
	}
}

static void
ws_busy_kill(struct ws *w, int fd, int64_t deadline)
{
	const char	*msg;

	if (atomic_load(&w->shm->nbusy) > 3)
		msg = "ERR Filter timed out - system may be overloaded "
		    "(consider increasing busy timeout)\n";
	else
		msg = "ERR Filter timed out - check filter rules or system "
		    "load\n";
	(void)ws_write_all(w, fd, msg, strlen(msg), deadline);
	close(fd);
	(void)slot_move(w->shm, w->slot, WS_BUSY, WS_KILLED);
	(void)ws_send(w, WS_MSG_BUSYKILL, NULL, 0, -1);
	ws_hd_stop(&w->hd, 0, WS_GRACE_MS);
	_exit(WS_EXIT_BUSYKILL);
}

/*
 * The handler has answered: the slot is free again before the reply is
 * written, as in MIMEDefang where the worker is free once its answer is
 * read.  A client arriving now finds an idle worker instead of a
 * refusal.  Not when the worker is about to retire.
 */
static void
ws_release(struct ws *w)
{
	if (w->released || ws_pending(w) || ws_should_retire(w))
		return;
	if (slot_move(w->shm, w->slot, WS_BUSY, WS_IDLE) == 0)
		w->released = 1;
}

/*
 * Output from the handler before it was asked: it is out of step, and
 * that output would pass for the answer to this request.  Blocked in
 * accept(2) we could not watch its pipe, so look now.
 */
static int
ws_handler_stale(struct ws *w)
{
	int	n = 0;

	if (ioctl(w->hd.out, FIONREAD, &n) == -1 || n == 0)
		return (0);
	log_warnx("worker %d: handler wrote %d bytes while idle; "
	    "replacing it", w->idx, n);
	return (1);
}

/* Serve one request with the external handler; 0 if the worker may go on. */
static int
ws_request_pool(struct ws *w, int fd, size_t len, int64_t cdeadline)
{
	struct iovec	 iov[2];
	ssize_t		 r;
	int		 code = 0;
	const char	*err = NULL;

	w->line[len] = '\n';
	iov[0].iov_base = w->line;
	iov[0].iov_len = len + 1;
	if (ws_handler_stale(w)) {
		err = ws_msg_noresp;
		code = WS_EXIT_PROTO;
	} else if (writev(w->hd.in, iov, 1) != (ssize_t)len + 1) {
		err = ws_msg_noresp;
		code = WS_EXIT_HANDLER;
	} else {
		/* From busy_since, as the mux's tick that signals us. */
		r = ws_handler_reply(w, atomic_load(&w->slot->busy_since) +
		    (int64_t)w->conf->busy_timeout * 1000);
		if (r == WS_HR_TIMEOUT)
			ws_busy_kill(w, fd, cdeadline);
		if (r == WS_HR_EOF) {
			log_warnx("worker %d: handler died prematurely",
			    w->idx);
			err = ws_msg_noresp;
			code = WS_EXIT_HANDLER;
		} else if (r == WS_HR_TOOLONG) {
			log_warnx("worker %d: handler reply longer "
			    "than %d bytes", w->idx, WS_REPLY_MAX);
			err = "ERR Worker reply too long\n";
			code = WS_EXIT_PROTO;
		} else {
			if ((size_t)r == w->rlen)
				ws_release(w);
			(void)ws_write_all(w, fd, w->rbuf, (size_t)r, cdeadline);
			if ((size_t)r != w->rlen) {
				log_warnx("worker %d: handler wrote %zu "
				    "bytes past its reply; replacing it",
				    w->idx, w->rlen - (size_t)r);
				code = WS_EXIT_PROTO;
			}
		}
	}
	if (err != NULL)
		(void)ws_write_all(w, fd, err, strlen(err), cdeadline);
	return (code);
}

static int
ws_request_inproc(struct ws *w, int fd, size_t len, int64_t cdeadline)
{
	struct ws_req	req = { w, fd, 0, cdeadline };

	w->conf->inproc->on_line(&req, w->line, len, w->conf->inproc->arg);
	if (!req.replied)
		(void)ws_write_all(w, fd, ws_msg_noresp, strlen(ws_msg_noresp),
		    cdeadline);
	return (0);
}

void
ws_reply(struct ws_req *req, const char *buf, size_t len)
{
	req->replied = 1;
	ws_release(req->w);
	(void)ws_write_all(req->w, req->fd, buf, len, req->deadline);
}

static void
ws_account(struct ws *w, int kind, uint64_t nbusy, int64_t t0)
{
	struct ws_slot	*s = w->slot;

	if (kind < WS_NCMDS) {
		slot_ctr_add(&s->cnt[kind], 1);
		slot_ctr_add(&s->busysum[kind], nbusy);
		slot_ctr_add(&s->ms[kind], (uint64_t)(slot_now_ms() - t0));
		if (kind == WS_CMD_SCAN)
			slot_ctr_add(&s->nscans, 1);
	}
	atomic_store_explicit(&s->cmd, WS_CMD_NONE, memory_order_relaxed);
}

/* -y: refuse a recipok whose domain has its limit of them running. */
static int
ws_recipok_refused(struct ws *w, int fd, size_t len, int64_t deadline)
{
	static const char	 r[] = "ok -1 Per-domain%20recipok%20limit%20"
	    "hit;%20please%20try%20again%20later\n";
	char			 dom[WS_DOMAIN_MAX + 1];
	size_t			 n;

	if ((n = rcpt_domain(w->line, len, dom, sizeof(dom))) == 0 ||
	    !rcpt_over_limit(w->shm, w->idx, dom, n, w->conf->recipok_limit))
		return (0);
	log_warnx("Hit per-domain recipok limit (%d) for domain %s",
	    w->conf->recipok_limit, dom);
	(void)ws_write_all(w, fd, r, sizeof(r) - 1, deadline);
	return (1);
}

static int
ws_request(struct ws *w, int fd, size_t len, int64_t cdeadline)
{
	struct ws_slot	*s = w->slot;
	int		 kind, nbusy, code;
	int64_t		 t0 = slot_now_ms();
	struct timespec	 ts;

	kind = slot_cmd_kind(w->line, len);
	if (kind == WS_CMD_RECIPOK && w->conf->recipok_limit > 0 &&
	    ws_recipok_refused(w, fd, len, cdeadline))
		return (0);	/* no worker's work: not a request */
	/* Counted now, so the retirement check at release sees it. */
	slot_ctr_add(&s->nreq, 1);
	atomic_store_explicit(&s->cmd, kind, memory_order_relaxed);
	/* As MIMEDefang: a busy worker's last= is the command it runs. */
	if (kind < WS_NCMDS)
		atomic_store_explicit(&s->last_cmd, kind,
		    memory_order_relaxed);
	atomic_store_explicit(&s->busy_since, t0, memory_order_relaxed);
	ws_tag_from_line(w, w->line, len);
	nbusy = atomic_load_explicit(&w->shm->nbusy, memory_order_relaxed);
	/* The busy count now: by the time the mux reads it, it may not be. */
	if (kind == WS_CMD_SCAN && w->conf->stats)
		(void)chan_send(w->chan, WS_MSG_SCAN, (uint32_t)nbusy, NULL, 0,
		    -1, 0);
	if (nbusy >= 1 && (uint32_t)nbusy <= w->shm->nslots)
		atomic_fetch_add_explicit(&w->shm->histo[nbusy - 1], 1,
		    memory_order_relaxed);
	if (atomic_load_explicit(&s->first_req, memory_order_relaxed) == 0) {
		clock_gettime(CLOCK_REALTIME_COARSE, &ts);
		atomic_store_explicit(&s->first_req, ts.tv_sec,
		    memory_order_relaxed);
	}
	if (w->conf->inproc != NULL)
		code = ws_request_inproc(w, fd, len, cdeadline);
	else
		code = ws_request_pool(w, fd, len, cdeadline);
	ws_account(w, kind, (uint64_t)nbusy, t0);
	return (code);
}

static int
ws_should_retire(struct ws *w)
{
	struct ws_slot	*s = w->slot;
	struct timespec	 ts;
	int64_t		 first;

	if (w->retire || (atomic_load(&s->ctl) & WS_CTL_RETIRE))
		return (1);
	if (s->max_req > 0 && atomic_load_explicit(&s->nreq,
	    memory_order_relaxed) >= s->max_req)
		return (1);
	if (s->gen != atomic_load_explicit(&w->shm->gen,
	    memory_order_relaxed))
		return (1);
	first = atomic_load_explicit(&s->first_req, memory_order_relaxed);
	if (w->conf->max_lifetime > 0 && first != 0) {
		clock_gettime(CLOCK_REALTIME_COARSE, &ts);
		if (ts.tv_sec - first >= w->conf->max_lifetime)
			return (1);
	}
	return (0);
}

/* shutdown (muxctl): requests get "error: TEXT", commands still work. */
static void
ws_refuse(struct ws *w, int fd, int64_t deadline)
{
	char	msg[WS_TAG_MAX + 16];
	size_t	n;

	memcpy(msg, "error: ", 7);
	(void)slot_seq_get(&w->shm->refuse_seq, w->shm->refuse_msg, msg + 7,
	    sizeof(msg) - 8);
	n = strlen(msg);
	msg[n++] = '\n';
	(void)ws_write_all(w, fd, msg, n, deadline);
	ws_close_lingering(fd);
}

/*
 * A client we accepted whose command another idle worker fits and we
 * do not (ws_cmd_fits): the kernel chose us before the line was read,
 * so the mux chooses again.  A client the mux handed us stays.
 */
static int
ws_elsewhere(struct ws *w, size_t len)
{
	int		kind, i, n = (int)w->shm->nslots;
	struct ws_slot	*s;

	if (!w->unmarked)
		return (0);
	kind = slot_cmd_kind(w->line, len);
	if (ws_cmd_fits(atomic_load_explicit(&w->slot->last_cmd,
	    memory_order_relaxed), kind))
		return (0);
	for (i = 0; i < n; i++) {
		s = &w->shm->slots[i];
		if (i != w->idx && atomic_load_explicit(&s->state,
		    memory_order_relaxed) == WS_IDLE &&
		    !atomic_load_explicit(&s->reading, memory_order_relaxed) &&
		    ws_cmd_fits(atomic_load_explicit(&s->last_cmd,
		    memory_order_relaxed), kind))
			return (1);
	}
	return (0);
}

/*
 * Serve one client: accepted by us (w->unmarked: the slot is still
 * idle), or handed over by the mux with its line (the slot is BUSY).
 */
static void
ws_serve(struct ws *w, int fd, const char *line, size_t len,
    const struct sockaddr *sa)
{
	int64_t		cdeadline;
	ssize_t		n;
	int		code = 0;

	ws_begin(w, fd, sa);
	if (line != NULL) {
		atomic_store_explicit(&w->slot->busy_since, slot_now_ms(),
		    memory_order_relaxed);
		memcpy(w->line, line, len);
		w->line[len] = '\0';
		n = (ssize_t)len;
	} else
		n = ws_readline(w, fd);
	cdeadline = slot_now_ms() + (int64_t)w->conf->client_timeout * 1000;
	if (n >= 0 && ((w->conf->mux_cmd != NULL &&
	    w->conf->mux_cmd(w->line, (size_t)n)) ||
	    ws_elsewhere(w, (size_t)n))) {
		ws_release(w);	/* busy only if the line was slow */
		(void)ws_send(w, WS_MSG_CMD, w->line, (size_t)n, fd);
		close(fd);
		ws_end(w);
		return;
	}
	if (n >= 0 && atomic_load_explicit(&w->shm->refusing,
	    memory_order_relaxed)) {
		ws_release(w);
		ws_refuse(w, fd, cdeadline);
		ws_end(w);
		return;
	}
	ws_mark_busy(w);
	if (n == WS_RL_TOOLONG) {
		(void)ws_write_all(w, fd, "error: Command too long\n", 24,
		    cdeadline);
		ws_close_lingering(fd);
		fd = -1;
	} else if (n == WS_RL_TIMEOUT)
		log_info("worker %d: client timed out", w->idx);
	else if (n >= 0)
		code = ws_request(w, fd, (size_t)n, cdeadline);
	if (fd != -1)
		close(fd);
	ws_end(w);
	/* The tag stays: the mux may not have reported it yet, and shows
	   tags of busy slots only. */
	if (code != 0) {
		if (slot_move(w->shm, w->slot, WS_BUSY, WS_KILLED) == -1)
			(void)slot_move(w->shm, w->slot, WS_IDLE, WS_KILLED);
		ws_exit(w, code);
	}
}

/*
 * Reservations: the mux moves an idle slot to BUSY, counts it in
 * handed, then sends the client.  The slot is ours to serve it with;
 * handed != received says a client is owed, whatever happened between.
 */
static int
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
	else if (h.type == WS_MSG_MQ) {
		atomic_store(&w->slot->mq_wake, 0);
		ws_sess_mq_stale(w->slot, w->conf);
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
			(void)ws_write_all(w, fd, ws_msg_noresp,
			    strlen(ws_msg_noresp), slot_now_ms() + 1000);
		}
		close(fd);
	}
}

static void
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
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) == -1)
		_exit(WS_EXIT_MUX);
}

static void
ws_setup(struct ws *w)
{
	int	keep[4] = { w->lfd, w->chan, w->shm->wake_fd, w->log };

	ws_signals();
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	/* ps and pkill -x tell the mux from its worker sessions. */
	(void)prctl(PR_SET_NAME, "mux-worker");
	ws_closefrom_except(keep, 4);
	w->hd.pid = -1;
	w->hd.in = w->hd.out = w->hd.st = -1;
	w->hd.log = w->log;
	if (w->conf->pin)
		pin_self(w->idx);	/* before the handler: it inherits */
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
	if ((w->ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		_exit(WS_EXIT_MUX);
	if (w->lfd != -1)
		ws_epoll_add(w, w->lfd, EPOLLIN | EPOLLEXCLUSIVE);
	ws_epoll_add(w, w->chan, EPOLLIN);
	if (w->hd.out != -1)
		ws_epoll_add(w, w->hd.out, EPOLLIN);
}

void
ws_main(struct ws_shm *shm, int idx, int lfd, int chan, int log,
    const struct ws_conf *conf)
{
	static struct ws	 w;	/* big buffers: keep them off the stack */
	struct sockaddr_storage	 ss;
	int			 fd;

	w.shm = shm;
	w.slot = &shm->slots[idx];
	w.idx = idx;
	w.lfd = lfd;
	w.chan = chan;
	w.log = log;
	w.conf = conf;
	w.client = -1;
	ws_setup(&w);
	if (getppid() == 1)
		_exit(WS_EXIT_MUX);
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
		if (lfd == -1) {
			ws_wait(&w);
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
