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
 * One client's path through a worker session: read its line, hand it to
 * the handler (or the in-process function), relay the reply within the
 * deadlines, and say when the session should retire.  The loop around it,
 * which takes clients and talks to the mux, is ws.c.
 */

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "ws_priv.h"

#define WS_LINE_GRACE_MS 100	/* a client this slow counts as busy */

struct ws_req {
	struct ws	*w;
	int		 fd;
	int		 replied;
	int64_t		 deadline;
};

int
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
		log_rl_info(LOG_RL_KICKED, "worker %d: session kicked", w->idx);
	}
	return (w->kicked);
}

/* A client is ours: number the session, note where it comes from. */
void
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

void
ws_end(struct ws *w)
{
	atomic_store(&w->slot->in_session, 0);
	w->client = -1;
}

/* Write all of buf to a non-blocking socket before the deadline. */
int
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
void
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
	size_t		 len = 0, seen = 0, text;
	ssize_t		 n;
	int		 yielded = 0;

	deadline = slot_now_ms() + (int64_t)w->conf->client_timeout * 1000;
	for (;;) {
		n = read(fd, w->line + len, sizeof(w->line) - 1 - len);
		if (n > 0) {
			len += (size_t)n;
			if (wl_next(w->line, len, &seen, &text) != 0) {
				len = text;
				break;
			}
			if (len >= sizeof(w->line) - 1)
				return (WS_RL_TOOLONG);
			continue;
		}
		if (n == 0) {
			if (len == 0)
				return (WS_RL_EOF);
			len = wl_text(w->line, len);
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
 * accept(2), or given the client over the channel, we could not watch
 * its pipe, so look now; unless the epoll_wait(2) that found this
 * client, whose set holds the pipe, returned a moment ago (under load,
 * nearly always): one system call fewer per request.
 */
static int
ws_handler_stale(struct ws *w)
{
	int64_t	looked = w->looked;
	int	n = 0;

	w->looked = 0;
	if (looked != 0 && slot_now_us() - looked < WS_LOOKED_US)
		return (0);
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
		err = WS_MSG_NORESP;
		code = WS_EXIT_PROTO;
	} else if (writev(w->hd.in, iov, 1) != (ssize_t)len + 1) {
		err = WS_MSG_NORESP;
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
			err = WS_MSG_NORESP;
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
		(void)ws_write_all(w, fd, WS_MSG_NORESP,
		    sizeof(WS_MSG_NORESP) - 1, cdeadline);
	return (0);
}

void
ws_reply(struct ws_req *req, const char *buf, size_t len)
{
	req->replied = 1;
	ws_release(req->w);
	(void)ws_write_all(req->w, req->fd, buf, len, req->deadline);
}

static int64_t
ws_account(struct ws *w, int kind, uint64_t nbusy, int64_t t0us)
{
	struct ws_slot	*s = w->slot;
	int64_t		 now = slot_now_us();
	uint64_t	 us = (uint64_t)(now - t0us);

	slot_lat_add(w->shm, us);
	if (kind < WS_NCMDS) {
		slot_ctr_add(&s->cnt[kind], 1);
		slot_ctr_add(&s->busysum[kind], nbusy);
		slot_ctr_add(&s->ms[kind], us / 1000);
		if (kind == WS_CMD_SCAN)
			slot_ctr_add(&s->nscans, 1);
	}
	atomic_store_explicit(&s->cmd, WS_CMD_NONE, memory_order_relaxed);
	return (now);
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
	log_rl_warnx(LOG_RL_RECIPOK_LIMIT, "Hit per-domain recipok limit (%d) "
	    "for domain %s", w->conf->recipok_limit, dom);
	(void)ws_write_all(w, fd, r, sizeof(r) - 1, deadline);
	return (1);
}

static int
ws_request(struct ws *w, int fd, size_t len, int64_t cdeadline)
{
	struct ws_slot	*s = w->slot;
	int		 kind, nbusy, code;
	int64_t		 t0us = slot_now_us(), t0 = t0us / 1000, now;
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
	now = ws_account(w, kind, (uint64_t)nbusy, t0us);
	if (w->pin.mode == -1)
		pin_after(&w->pin, w->hd.pid, now);
	if (code == 0)
		slot_ctr_add(&s->nserved, 1);
	return (code);
}

int
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
void
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
		log_rl_info(LOG_RL_CLIENT_TIMEOUT,
		    "worker %d: client timed out", w->idx);
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