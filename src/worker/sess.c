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
 * A service session (--listen, DESIGN §7): one handler process per
 * session, tcpserver style.  With the MessageEngine off the handler gets
 * the client's socket itself and we only wait.  With it on we relay,
 * both ways, through a socketpair (the bytes: relay.c); here are the
 * session's life around it: the handler and its variables, the poll
 * loop, kick, timeouts, pool mode's framing, and the end.
 */

#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sess.h"
#include "vars.h"


void
sess_user(struct sess *s, const char *out, size_t len)
{
	if (len > WS_USER_MAX)
		len = WS_USER_MAX;
	(void)chan_send(s->x->chan, WS_MSG_USER, s->token, out, len, -1, 0);
	/*
	 * With MaxClientsPerUser, the login's reply waits for the mux's
	 * verdict: a refused session must not see "230 logged in" first.
	 */
	if (s->x->conf->user_limit)
		s->hold++;
}

/* fd 3: a tag, or the user (which the protocol watcher then leaves). */
static void
sess_status_line(int kind, const char *out, size_t len, void *arg)
{
	struct sess	*s = arg;

	if (kind == STATUS_TAG) {
		slot_set_tag(s->x->slot, out, len);
		slot_notify(s->x->shm);
		return;
	}
	s->proto.kind = PROTO_NONE;
	sess_user(s, out, len);
}


static void
sess_chan(struct sess *s)
{
	struct ws_msghdr	 h;
	char			 line[WS_LINE_MAX + 1];
	int			 fd, r;
	size_t			 n;

	while ((r = chan_recv(s->x->chan, &h, line, &fd, MSG_DONTWAIT)) > 0) {
		if (fd != -1)
			close(fd);
		switch (h.type) {
		case WS_MSG_RETIRE:
			s->x->retire = 1;
			break;
		case WS_MSG_MQ:
			atomic_store(&s->x->slot->mq_wake, 0);
			sess_mq_drain(s);
			break;
		case WS_MSG_USER:	/* the mux let the user in */
			if (h.arg == s->token && s->hold > 0)
				s->hold--;
			break;
		case WS_MSG_LIMIT:
			if (h.arg != s->token || s->over)
				break;
			log_rl_info(LOG_RL_SESS_REFUSED, "worker %d: session "
			    "refused: %s", s->x->idx, line);
			n = strlen(line);
			if (n + 2 <= sizeof(s->obuf) - s->olen) {
				memcpy(s->obuf + s->olen, line, n);
				memcpy(s->obuf + s->olen + n, "\r\n", 2);
				s->olen += n + 2;
			}
			s->over = 1;
			break;
		}
	}
	if (r == -1)
		s->over = 1;	/* the mux is gone: PDEATHSIG follows */
}

/*
 * kick: a client relayed between two replies is told why in its
 * protocol's goodbye (421, -ERR, * BYE), as ProFTPD's own kick does,
 * then the session ends; otherwise the socket is shut under it.
 */
static void
sess_kick(struct sess *s)
{
	char	why[WS_TAG_MAX + 1], line[WS_TAG_MAX + 16];

	if (s->kicked || s->over || !slot_take_kick(s->x->slot, s->x->sid))
		return;
	/* A shutdown's cut says the shutdown's text. */
	if (atomic_load(&s->x->shm->refusing))
		(void)slot_seq_get(&s->x->shm->refuse_seq,
		    s->x->shm->refuse_msg, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "Disconnected by the "
		    "administrator%s", s->proto.kind == PROTO_FTP ?
		    ": closing control connection" : "");
	if (s->pool == NULL && s->pair != -1 && proto_between(&s->proto) &&
	    proto_bye(&s->proto, line, sizeof(line), why) > 0 &&
	    sess_say(s, line) == 0) {
		s->over = s->bye = 1;
		log_rl_info(LOG_RL_KICKED, "worker %d: session kicked: %.*s "
		    "sent", s->x->idx, (int)strcspn(line, " "), line);
		return;
	}
	s->kicked = 1;
	(void)shutdown(s->client, SHUT_RDWR);
	log_rl_info(LOG_RL_KICKED, "worker %d: session kicked", s->x->idx);
}

/* The per-session idle timeout: a 421, as ProFTPD's TimeoutIdle. */
static int
sess_idle(struct sess *s, int64_t now)
{
	int	t = s->x->conf->session_timeout;
	char	why[64], msg[96];

	if (t <= 0 || s->awaiting || now - s->last_in < (int64_t)t * 1000)
		return (0);
	log_rl_info(LOG_RL_SESS_IDLE, "worker %d: session idle for %d s: "
	    "closing", s->x->idx, t);
	(void)snprintf(why, sizeof(why), "Idle timeout (%d seconds): "
	    "closing connection", t);
	if (proto_bye(&s->proto, msg, sizeof(msg), why) == 0)
		(void)snprintf(msg, sizeof(msg), "421 %s\r\n", why);
	(void)sess_say(s, msg);
	return (1);
}

static int
sess_timeout(struct sess *s, int64_t now)
{
	int	t = s->x->conf->session_timeout;
	int64_t	left;

	if (s->owed_since != 0)
		return (20);	/* the SESS_OWED_MS cap; a wake-up is faster */
	if (t <= 0 || s->client_eof)
		return (1000);
	left = s->last_in + (int64_t)t * 1000 - now;
	return (left < 0 ? 0 : left > 1000 ? 1000 : (int)left);
}

/* One round of poll(2) over the client, the handler, status and chan. */
static void
sess_poll(struct sess *s)
{
	struct pollfd	p[5];
	int		n;

	/* A closed side stays readable: stop watching it, do not spin. */
	p[0].fd = s->client_eof && s->olen == s->ooff ? -1 : s->client;
	p[0].events = (!s->client_eof && s->clen < sizeof(s->cbuf) ?
	    POLLIN : 0) | (s->olen > s->ooff ? POLLOUT : 0);
	p[1].fd = s->hd_eof ? -1 : s->rfd;
	p[1].events = (s->hlen < sizeof(s->hbuf) ? POLLIN : 0) |
	    (s->clen > 0 && s->pool == NULL ? POLLOUT : 0);
	/* Pool mode: the request pipe, while a line waits to go. */
	p[4].fd = s->pool != NULL && !s->awaiting && s->clen > 0 ? s->wfd : -1;
	p[4].events = POLLOUT;
	p[2].fd = s->st_eof ? -1 : s->st;
	p[2].events = POLLIN;
	p[3].fd = s->x->chan;
	p[3].events = POLLIN;
	for (n = 0; n < 5; n++)
		p[n].revents = 0;
	n = poll(p, 5, sess_timeout(s, slot_now_ms()));
	if (n == -1) {
		if (errno == EINTR)
			sess_kick(s);
		return;
	}
	if (p[3].revents)
		sess_chan(s);
	/*
	 * The handler writes "user" on fd 3 before its reply on stdout:
	 * with a user limit, read fd 3 whenever stdout has data, so the
	 * reply cannot overtake the user line.
	 */
	if (!s->st_eof && (p[2].revents || (s->x->conf->user_limit &&
	    p[1].revents)) && status_read(s->st, &s->srd, sess_status_line,
	    s) == -1)
		s->st_eof = 1;
	if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
		sess_read_client(s);
	if ((p[1].revents | p[4].revents) & POLLOUT)
		sess_write_handler(s);
	if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
		sess_read_handler(s);
	sess_parse(s);
	if (s->olen > s->ooff && (p[0].revents & (POLLOUT | POLLERR))) {
		sess_write_client(s);
		/*
		 * The room made may take lines held for it: parsed now, or
		 * the next poll, with a full hbuf and nothing to write,
		 * would sleep until its timeout.
		 */
		if (s->hlen > 0)
			sess_parse(s);
	}
}

/* What is left for the client, within SESS_FLUSH_MS. */
static void
sess_flush(struct sess *s)
{
	struct pollfd	p = { s->client, POLLOUT, 0 };
	int64_t		deadline = slot_now_ms() + SESS_FLUSH_MS;

	while (s->olen > s->ooff && !s->kicked) {
		sess_write_client(s);
		if (s->olen == s->ooff || slot_now_ms() >= deadline)
			break;
		if (poll(&p, 1, 100) == -1 && errno == EINTR)
			sess_kick(s);
	}
}

/*
 * Pool mode: the session ends when the client does (its last request
 * answered, so the handler stays in step for the next session), when
 * the handler ends it, breaks, or is too slow to answer (-b).
 */
static int
sess_pool_done(struct sess *s, int64_t now)
{
	if (s->hd_eof) {
		s->broken = 1;
		return (1);
	}
	if (s->awaiting && now - s->asked >=
	    (int64_t)s->x->conf->busy_timeout * 1000) {
		log_warnx("worker %d: handler did not answer in %d s: "
		    "replacing it", s->x->idx, s->x->conf->busy_timeout);
		sess_say(s, "421 Service not available, handler timed out\r\n");
		s->broken = 2;
		return (1);
	}
	if (!s->awaiting && s->client_eof && s->clen == 0)
		return (1);
	if (!s->awaiting && !s->client_eof &&
	    s->clen == sizeof(s->cbuf) && wl_next(s->cbuf, s->clen, NULL,
	    &(size_t){ 0 }) == 0) {
		log_rl_info(LOG_RL_CLIENT_TOO_LONG, "worker %d: client line "
		    "over %zu bytes", s->x->idx, sizeof(s->cbuf));
		sess_say(s, "421 Line too long\r\n");
		return (1);
	}
	return (sess_idle(s, now));
}

/*
 * Pool mode, the session over with a request out (its user refused by
 * MaxClientsPerUser, the mux gone): read the rest of that reply and
 * drop it, so the handler is in step for the next session.  Messages
 * stay held, to be logged as undelivered.
 */
static void
sess_pool_drain(struct sess *s)
{
	struct pollfd	p = { s->rfd, POLLIN, 0 };
	int64_t		left;

	s->clen = 0;		/* no further request */
	s->hold = 0;
	s->draining = 1;
	while (s->awaiting && !s->broken) {
		s->ooff = s->olen = 0;
		sess_parse(s);
		if (!s->awaiting)
			break;
		if (s->hd_eof) {
			s->broken = 1;
			break;
		}
		left = s->asked + (int64_t)s->x->conf->busy_timeout * 1000 -
		    slot_now_ms();
		if (left <= 0) {
			s->broken = 2;
			break;
		}
		if (poll(&p, 1, left > 1000 ? 1000 : (int)left) > 0)
			sess_read_handler(s);
	}
	s->ooff = s->olen = 0;
}

/* Client gone: the handler reads EOF once it has had every byte. */
static void
sess_relay(struct sess *s)
{
	int	shut = 0;
	int64_t	eof_at = 0, now;

	while (!s->over) {
		sess_poll(s);
		now = slot_now_ms();
		if (s->pool != NULL) {
			if (sess_pool_done(s, now))
				break;
			continue;
		}
		if (s->client_eof && s->clen == 0 && !shut) {
			(void)shutdown(s->pair, SHUT_WR);
			shut = 1;
			eof_at = now;
		}
		if (s->hd_eof && s->hlen == 0)
			break;		/* the handler ended the session */
		if (shut && now - eof_at > SESS_STOP_MS)
			break;
		if (sess_idle(s, now))
			break;
	}
	sess_flush(s);
	if (s->bye)	/* not while the handler takes its time to go */
		(void)shutdown(s->client, SHUT_RDWR);
	if (s->pool != NULL)
		sess_pool_drain(s);
}

/* The handler reaped, or -1 while it runs. */
static int
sess_reaped(struct sess *s)
{
	if (s->hd.pid > 0 && waitpid(s->hd.pid, &s->hd.wstatus, WNOHANG) ==
	    s->hd.pid) {
		s->hd.reaped = 1;
		s->hd.pid = -1;
	}
	return (s->hd.pid <= 0);
}

/*
 * MessageEngine off: the handler has the client's socket.  We watch its
 * status pipe and our channel until it exits; a kick shuts the socket
 * under it.
 */
static void
sess_direct(struct sess *s)
{
	struct pollfd	p[2];
	int		n;

	while (!sess_reaped(s)) {
		p[0].fd = s->st_eof ? -1 : s->st;
		p[0].events = POLLIN;
		p[1].fd = s->x->chan;
		p[1].events = POLLIN;
		p[0].revents = p[1].revents = 0;
		if ((n = poll(p, 2, 1000)) == -1 && errno == EINTR)
			sess_kick(s);
		if (n <= 0)
			continue;
		if (p[0].revents && status_read(s->st, &s->srd,
		    sess_status_line, s) == -1)
			s->st_eof = 1;
		if (p[1].revents)
			sess_chan(s);
		if (s->over) {
			/* Refused (LIMIT): the reply, then the end. */
			(void)write(s->client, s->obuf, s->olen);
			s->olen = 0;
			(void)shutdown(s->client, SHUT_RDWR);
			(void)kill(s->hd.pid, SIGTERM);
			s->over = 0;
		}
	}
}

/*
 * A relayed TCP client: the handler preloads libmux-peer.so, which makes
 * the relay socket (this inode) answer with the addresses in TCPREMOTEIP
 * and the rest (src/shim/peer.c).  v has room for two more.
 */
static void
sess_peer_vars(struct sess *s, int fd, char **v, int n)
{
	static char	 ino[40], pre[PATH_MAX + 16];
	struct stat	 st;
	int		 i, tcp = 0;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], "PROTO=TCP") == 0)
			tcp = 1;
	if (!tcp || s->x->conf->peer_shim == NULL || fstat(fd, &st) == -1)
		return;
	snprintf(ino, sizeof(ino), "MUX_RELAY_INO=%llu",
	    (unsigned long long)st.st_ino);
	snprintf(pre, sizeof(pre), "LD_PRELOAD=%s", s->x->conf->peer_shim);
	v[n++] = ino;
	v[n++] = pre;
	v[n] = NULL;
}

/* MUX_PROTOCOL, the listener's protocol: the user comes from the stream. */
static void
sess_proto_init(struct sess *s, char *const *v, int n)
{
	int	i, p;

	for (i = 0; i < n; i++)
		if (strncmp(v[i], "MUX_PROTOCOL=", 13) == 0 &&
		    (p = proto_by_name(v[i] + 13, strlen(v[i] + 13))) != -1)
			proto_init(&s->proto, p);
}

/* "NAME=VALUE" strings from the NUL-separated block the mux sent. */
static int
sess_vars(char *block, size_t len, char **v, int max)
{
	struct vars_ent	e;
	size_t		off = 0;
	int		n = 0;

	while (n < max && vars_next(block, len, &off, &e))
		v[n++] = block + (e.name - block);
	v[n] = NULL;
	return (n);
}

/*
 * How the handler ended, when the session does: a daemon that gives up
 * at once (on its socket, its configuration) says why only here and on
 * its stderr.  A clean exit, or our own stop, is for -d.
 */
static void
sess_log_exit(struct sess *s, pid_t pid)
{
	int	st = s->hd.wstatus;

	if (!s->hd.reaped)
		return;
	if (WIFEXITED(st) && (WEXITSTATUS(st) == 0 || s->hd.signalled))
		log_debug("worker %d: session %u: handler (pid %ld) exited "
		    "with status %d", s->x->idx, s->token, (long)pid,
		    WEXITSTATUS(st));
	else if (WIFEXITED(st))
		log_rl_info(LOG_RL_HANDLER_EXIT, "worker %d: session %u: "
		    "handler %s (pid %ld) exited with status %d", s->x->idx,
		    s->token, s->x->conf->prog, (long)pid, WEXITSTATUS(st));
	else if (WIFSIGNALED(st) && s->hd.signalled)
		log_debug("worker %d: session %u: handler (pid %ld) stopped "
		    "by signal %d at the session's end", s->x->idx, s->token,
		    (long)pid, WTERMSIG(st));
	else if (WIFSIGNALED(st))
		log_rl_info(LOG_RL_HANDLER_EXIT, "worker %d: session %u: "
		    "handler %s (pid %ld) killed by signal %d (%s)", s->x->idx,
		    s->token, s->x->conf->prog, (long)pid, WTERMSIG(st),
		    strsignal(WTERMSIG(st)));
}

static void
sess_end(struct sess *s)
{
	pid_t	pid;
	char	buf[32];
	int	i, n;

	for (i = 0; i < s->nmsg; i++)
		log_rl_info(LOG_RL_UNDELIVERED, "worker %d: session ended "
		    "before its next reply: message not delivered: %.*s",
		    s->x->idx, (int)s->msg[i].len, s->msg[i].text);
	s->nmsg = 0;
	ws_sess_mq_stale(s->x->slot, s->x->conf, s->x->mq_key);
	if (s->pool == NULL) {
		pid = (pid_t)atomic_load(&s->x->slot->hpid);
		ws_hd_stop(&s->hd, 1, SESS_STOP_MS);
		sess_log_exit(s, pid);
		atomic_store(&s->x->slot->hpid, 0);
	}
	n = snprintf(buf, sizeof(buf), "%d %d", s->delivered, s->dropped);
	(void)chan_send(s->x->chan, WS_MSG_END, s->token, buf, (size_t)n, -1,
	    0);
}

/*
 * Pool mode: the worker's own handler serves the session, one line at a
 * time.  It learns of the session from a first request, "session" and
 * the variables percent-encoded, whose reply is the greeting.
 */
static int
sess_pool_begin(struct sess *s, char *const *v)
{
	char	line[WS_LINE_MAX + 1];
	size_t	n = 0;
	int	i, unread = 0;

	/* Output from before this session would pass for its greeting. */
	if (ioctl(s->rfd, FIONREAD, &unread) == -1 || unread > 0) {
		log_warnx("worker %d: handler wrote %d bytes while idle",
		    s->x->idx, unread);
		return (-1);
	}
	n = (size_t)snprintf(line, sizeof(line), "session");
	for (i = 0; v[i] != NULL && n + 1 < sizeof(line); i++)
		n += status_pct_encode(line + n, sizeof(line) - n, v[i]);
	if (n + 1 >= sizeof(line))
		return (-1);
	line[n++] = '\n';
	if (write(s->wfd, line, n) != (ssize_t)n)
		return (-1);
	s->awaiting = 1;
	s->asked = slot_now_ms();
	return (0);
}

/*
 * Serve a service session to its end.  vars (NUL-separated, len bytes,
 * NUL-terminated) become the handler's environment, or its first
 * request in pool mode (pool: the worker's handler).  Returns 0, or the
 * exit code the worker session must leave with.
 */
int
ws_sess_serve(struct ws_sess_ctx *x, int fd, uint32_t token, char *vars,
    size_t len, struct ws_hd *pool)
{
	static struct sess	 s;	/* big buffers: keep them off the stack */
	char			*v[SESS_VARS_MAX + 3];
	int			 sv[2], relay = x->conf->mqid != -1, nv;

	memset(&s, 0, sizeof(s));
	s.x = x;
	s.client = fd;
	s.token = token;
	s.pair = -1;
	s.at_bol = 1;
	s.last_in = slot_now_ms();
	s.hd.pid = -1;
	s.hd.in = s.hd.out = s.hd.st = -1;
	s.hd.log = x->log;
	s.st = -1;
	nv = sess_vars(vars, len, v, SESS_VARS_MAX);
	sess_proto_init(&s, v, nv);
	if (pool != NULL) {
		s.pool = pool;
		s.wfd = pool->in;
		s.rfd = pool->out;
		s.st = pool->st;
		s.st_eof = s.st == -1;
		if (sess_pool_begin(&s, v) == -1) {
			log_warnx("worker %d: handler cannot take the session; "
			    "replacing it", x->idx);
			(void)write(fd, "421 Service not available\r\n", 27);
			(void)chan_send(x->chan, WS_MSG_END, token, NULL, 0,
			    -1, 0);
			return (WS_EXIT_PROTO);
		}
		(void)fcntl(s.rfd, F_SETFL, O_NONBLOCK);
		sess_relay(&s);
		(void)fcntl(s.rfd, F_SETFL, 0);
		sess_end(&s);
		return (s.broken == 2 ? WS_EXIT_BUSYKILL : s.broken ?
		    WS_EXIT_PROTO : 0);
	}
	if (relay && socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("worker %d: socketpair", x->idx);
		goto fail;
	}
	if (relay)
		sess_peer_vars(&s, sv[1], v, nv);
	if (ws_hd_exec(&s.hd, x->conf, relay ? sv[1] : fd, v) == -1) {
		log_warn("worker %d: cannot run %s", x->idx, x->conf->prog);
		if (relay) {
			close(sv[0]);
			close(sv[1]);
		}
		goto fail;
	}
	s.st = s.hd.st;
	atomic_store(&x->slot->hpid, (int)s.hd.pid);
	if (relay) {
		close(sv[1]);
		s.pair = s.hd.in = s.wfd = s.rfd = sv[0];
		sess_relay(&s);
	} else
		sess_direct(&s);
	sess_end(&s);
	return (0);
fail:
	(void)write(fd, "421 Service not available\r\n", 27);
	(void)chan_send(x->chan, WS_MSG_END, token, NULL, 0, -1, 0);
	return (0);
}
