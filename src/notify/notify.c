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
 * Listener sockets (-O): mimedefang-notify made reliable.  *OK on
 * connect, "?LETTERS" subscriptions (every pipelined line handled) with
 * a snapshot after each, events fanned out through the output policy of
 * nproto.c.  A listener that stops reading costs at most NOTIFY_HARD
 * bytes and is told what it missed; one that stalls is closed.  Any
 * other line is a control action (ctl.c), for peers on a UNIX socket.
 * A peer whose socket has a name (ftpdctl binds /tmp/ftp.clPID) gets no
 * *OK until it has spoken: a first NUL byte makes it a Controls client
 * (ctrls.c), anything else a listener.
 */

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "acc.h"
#include "line.h"
#include "notify.h"

#define NOTIFY_SOFT	(64 * 1024)	/* backlog that starts coalescing */
#define NOTIFY_LOW	(16 * 1024)	/* backlog that resumes events */
#define NOTIFY_HARD	(256 * 1024)	/* backlog that closes the listener */
#define NOTIFY_STALL	30		/* s without write progress */
#define NOTIFY_SNDBUF	(32 * 1024)	/* keep the kernel's share small too */

struct nl {
	struct bufferevent	*bev;
	uint32_t		 mask;
	struct np_out		 out;
	int			 closing;
	int			 handing;	/* to the new mux, once flushed */
	int			 local;		/* UNIX peer: may act */
	int			 ctrls;		/* 1 Controls; -1 not known yet */
	struct acl_peer		 peer;
	uint32_t		*groups;
	struct ctl_async	 as;		/* an action's answer pending */
	TAILQ_ENTRY(nl)		 entry;
};

struct nsock {
	int			 fd;
	struct acc		*acc;
	TAILQ_ENTRY(nsock)	 entry;
};

static struct {
	struct event_base	*base;
	TAILQ_HEAD(, nl)	 nls;
	TAILQ_HEAD(, nsock)	 socks;
	int			 n;
	int			 max;
	int			 init;
	struct notify_stats	 st;
	int			(*give)(int, uint32_t);	/* an upgrade's */
	void			(*given)(void);
	int			 handing;
} N;

static void	notify_sink(const struct mux_ev *, int, void *);

static void	nl_handed(struct nl *);

static void
nl_free(struct nl *l)
{
	if (l->handing)
		nl_handed(l);
	TAILQ_REMOVE(&N.nls, l, entry);
	N.n--;
	ctl_cancel(&l->as);
	bufferevent_free(l->bev);
	free(l->groups);
	free(l);
	notify_watch();
}

static void	nl_fail(struct nl *, const char *);

static void
nl_too_slow(struct nl *l)
{
	N.st.too_slow++;
	nl_fail(l, "*ERR too slow\n");
}

/* Say why, stop reading, close once the words are out (or stalled). */
static void
nl_fail(struct nl *l, const char *msg)
{
	struct timeval	tv = { 5, 0 };

	if (l->closing)
		return;
	log_info("listener: %.*s", (int)strlen(msg) - 1, msg);
	l->closing = 1;
	bufferevent_disable(l->bev, EV_READ);
	bufferevent_write(l->bev, msg, strlen(msg));
	bufferevent_set_timeouts(l->bev, NULL, &tv);
}

/* A control action: the whole reply at once, never between events. */
static void
nl_answer(struct nl *l, struct cmd_buf *b)
{
	if (evbuffer_get_length(bufferevent_get_output(l->bev)) > NOTIFY_HARD)
		nl_too_slow(l);
	else if (b->lost) {
		/* Never a cut answer as if it were whole. */
		log_warnx("listener: answer lost: out of memory");
		bufferevent_write(l->bev, "*ERR out of memory\n", 19);
	} else if (cmd_buf_len(b) > 0)
		bufferevent_write_buffer(l->bev, b->eb);
}

static void	nl_read_cb(struct bufferevent *, void *);

/* A pending answer came: send it, then read on, lines kept in order. */
static void
nl_answer_later(struct ctl_async *as, struct cmd_buf *b)
{
	struct nl	*l = (struct nl *)(void *)((char *)as -
	    offsetof(struct nl, as));

	nl_answer(l, b);
	if (l->closing)
		return;
	bufferevent_enable(l->bev, EV_READ);
	nl_read_cb(l->bev, l);
}

static void
nl_action(struct nl *l, const char *line, size_t len)
{
	struct cmd_buf	b = CMD_BUF_INIT;

	switch (ctl_run(line, len, l->local ? &l->peer : NULL, &b, N.base,
	    &l->as)) {
	case CTL_R_UNKNOWN:
		N.st.unknown_command++;
		break;
	case CTL_R_DENIED:
		N.st.access_denied++;
		break;
	case CTL_R_PENDING:
		/* Nothing more from this listener until it is answered. */
		bufferevent_disable(l->bev, EV_READ);
		return;
	}
	nl_answer(l, &b);
	cmd_buf_free(&b);
}

static void
nl_line(struct nl *l, const char *line, size_t len)
{
	char		buf[64];
	size_t		n;
	uint32_t	mask;

	switch (np_parse(line, len, &mask)) {
	case NP_SUBSCRIBE:
		l->mask = mask;
		memset(&l->out, 0, sizeof(l->out));
		n = np_snapshot(mask, pool_reported_free(), buf, sizeof(buf));
		if (n > 0)
			bufferevent_write(l->bev, buf, n);
		notify_watch();
		break;
	case NP_ACTION:
		nl_action(l, line, len);
		break;
	}
}

/* A Controls request answered: close once the response is out. */
static void
nl_ctrls_close(struct nl *l)
{
	l->closing = 1;
	bufferevent_disable(l->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(l->bev)) == 0)
		nl_free(l);
}

static void
nl_ctrls_later(struct ctl_async *as, struct cmd_buf *b)
{
	struct nl	*l = (struct nl *)(void *)((char *)as -
	    offsetof(struct nl, as));

	ctrls_answer(l->bev, CTL_R_OK, b);
	nl_ctrls_close(l);
}

/*
 * A named peer's first byte: NUL starts a Controls request, anything
 * else a listener's line, which gets its *OK now.  -1: nothing yet.
 */
static int
nl_sniff(struct nl *l)
{
	unsigned char	c;

	if (evbuffer_copyout(bufferevent_get_input(l->bev), &c, 1) != 1)
		return (-1);
	l->ctrls = c == '\0';
	if (l->ctrls) {
		l->as.done = nl_ctrls_later;
		bufferevent_setwatermark(l->bev, EV_READ, 0, CTRLS_REQ_MAX);
	} else
		bufferevent_write(l->bev, "*OK\n", 4);
	return (0);
}

static void
nl_ctrls(struct nl *l)
{
	int	rv;

	if (l->closing || l->as.pending != NULL)
		return;
	if ((rv = ctrls_serve(l->bev, &l->peer, N.base, &l->as)) == CTRLS_BAD)
		nl_free(l);
	else if (rv == CTRLS_DONE)
		nl_ctrls_close(l);
	else if (rv == CTRLS_PENDING)
		bufferevent_disable(l->bev, EV_READ);
}

static void
nl_read_cb(struct bufferevent *bev, void *arg)
{
	struct nl	*l = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	char		 line[NP_LINE_MAX + 1];
	size_t		 len;
	int		 rv;

	if (l->ctrls == -1 && nl_sniff(l) == -1)
		return;
	if (l->ctrls == 1) {
		nl_ctrls(l);
		return;
	}
	while (!l->closing && l->as.pending == NULL &&
	    (rv = line_get(in, NP_LINE_MAX, 0, line, &len)) != LINE_NONE) {
		/* No LF within the limit: refuse, and stop reading (no spin). */
		if (rv == LINE_LONG) {
			N.st.line_too_long++;
			nl_fail(l, "*ERR line too long\n");
		} else
			nl_line(l, line, len);
	}
	if (l->closing)
		evbuffer_drain(in, evbuffer_get_length(in));
}

/*
 * S is a state per worker: after a gap, each running worker's current
 * tag, so dropped S lines coalesce to their latest value.
 */
static void
nl_tags(struct nl *l)
{
	struct cmd_view		 v;
	struct cmd_worker	*w;
	char			 buf[WS_TAG_MAX + 32];
	size_t			 n;
	int			 i;

	if ((w = calloc((size_t)pool_nslots() + 1, sizeof(*w))) == NULL)
		return;
	pool_view(&v, w);
	for (i = 0; i < v.nslots; i++)
		if (w[i].state != WS_STOPPED && w[i].tag[0] != '\0' &&
		    (n = events_format(buf, sizeof(buf), &(struct mux_ev){
		    EV_S, i, w[i].tag })) > 0)
			bufferevent_write(l->bev, buf, n);
	free(w);
}

static void	nl_hand(struct nl *);

static void
nl_write_cb(struct bufferevent *bev, void *arg)
{
	struct nl	*l = arg;
	char		 buf[128];
	size_t		 n;
	int		 gap = l->out.skipped > 0;

	if (l->handing) {
		nl_hand(l);
		return;
	}
	if (l->closing) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			nl_free(l);
		return;
	}
	N.st.skipped_events += l->out.skipped;
	n = np_refill(&l->out, l->mask, pool_reported_free(), buf,
	    sizeof(buf));
	if (n > 0)
		bufferevent_write(bev, buf, n);
	if (gap && np_wants(l->mask, 'S'))
		nl_tags(l);
}

static void
nl_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct nl	*l = arg;

	(void)bev;
	if ((what & BEV_EVENT_TIMEOUT) && !l->closing) {
		N.st.stalled++;
		log_warnx("listener stalled for %d s: too slow, closed",
		    NOTIFY_STALL);
	}
	nl_free(l);
}

/* Serve a connected listener: hello (*OK) unless NULL, then its lines. */
static void
nl_start(struct nl *l, const char *hello)
{
	struct timeval	 tv = { NOTIFY_STALL, 0 };

	N.st.accepted++;
	l->as.done = nl_answer_later;
	TAILQ_INSERT_TAIL(&N.nls, l, entry);
	N.n++;
	bufferevent_setcb(l->bev, nl_read_cb, nl_write_cb, nl_event_cb, l);
	bufferevent_setwatermark(l->bev, EV_READ, 0, NP_LINE_MAX + 2);
	bufferevent_setwatermark(l->bev, EV_WRITE, NOTIFY_LOW, 0);
	bufferevent_set_timeouts(l->bev, NULL, &tv);
	bufferevent_enable(l->bev, EV_READ | EV_WRITE);
	if (hello != NULL)
		bufferevent_write(l->bev, hello, strlen(hello));
}

/* A listener on fd, or NULL (fd closed, logged). */
static struct nl *
nl_new(int fd, int family)
{
	struct nl	*l;

	if (N.n >= N.max) {
		N.st.refused++;
		(void)send(fd, "*ERR too many listeners\n", 24,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		close(fd);
		log_warnx("listener refused: %d listeners already", N.n);
		return (NULL);
	}
	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (l->bev = bufferevent_socket_new(N.base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		log_warn("listener");
		free(l);
		close(fd);
		return (NULL);
	}
	if (family == AF_UNIX && ctl_peer(fd, &l->peer, &l->groups) == -1) {
		bufferevent_free(l->bev);
		free(l);
		return (NULL);
	}
	l->local = family == AF_UNIX;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &(int){ NOTIFY_SNDBUF },
	    sizeof(int));
	return (l);
}

static int
notify_accepted(int fd, struct sockaddr *sa, socklen_t salen, void *arg)
{
	struct nl	*l;

	(void)arg;
	if ((l = nl_new(fd, sa->sa_family)) == NULL)
		return (0);
	if (sa->sa_family == AF_UNIX &&
	    salen > (socklen_t)offsetof(struct sockaddr_un, sun_path) &&
	    ((struct sockaddr_un *)(void *)sa)->sun_path[0] != '\0') {
		l->ctrls = -1;	/* ftpdctl speaks first */
		nl_start(l, NULL);
	} else
		nl_start(l, "*OK\n");
	return (0);
}

/*
 * A listener the old mux handed over in an upgrade, subscribed to mask:
 * no *OK (it had one), our snapshot instead, after the old mux's R.
 */
void
notify_adopt(int fd, uint32_t mask)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof(ss);
	struct nl		*l;
	char			 buf[64];
	size_t			 n;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1) {
		log_warn("upgrade: a listener handed over");
		close(fd);
		return;
	}
	if ((l = nl_new(fd, ss.ss_family)) == NULL)
		return;
	nl_start(l, NULL);
	N.st.accepted--;	/* counted by the old mux */
	l->mask = mask;
	n = np_snapshot(mask, pool_reported_free(), buf, sizeof(buf));
	if (n > 0)
		bufferevent_write(l->bev, buf, n);
	notify_watch();
}

/* A listener handed over, or lost on the way: one fewer to wait for. */
static void
nl_handed(struct nl *l)
{
	l->handing = 0;
	if (--N.handing == 0 && N.given != NULL) {
		N.given();
		N.given = NULL;
	}
}

/* Hand l to the new mux once its lines are out: ours end with R. */
static void
nl_hand(struct nl *l)
{
	struct evbuffer	*out = bufferevent_get_output(l->bev);
	int		 fd = bufferevent_getfd(l->bev);

	while (evbuffer_get_length(out) > 0 && evbuffer_write(out, fd) > 0)
		;
	if (evbuffer_get_length(out) > 0)
		return;		/* the rest from nl_write_cb */
	if (N.give(fd, l->mask) == -1)
		log_warnx("upgrade: a listener could not be handed over");
	nl_free(l);
}

/* Listeners still to hand over (the last of them once it has read). */
int
notify_handing(void)
{
	return (N.handing);
}

/*
 * An upgrade: every listener goes to the new mux (give), which sends
 * it a fresh snapshot; one that is behind goes once it has read what
 * we wrote, and hears nothing more from us meanwhile.  One answering
 * an action or with a line unread stays, to be closed when we exit, as
 * does an ftpdctl (or a named peer that has not spoken yet).
 * given runs when all are handed.  Our listening sockets close.
 */
void
notify_handoff(int (*give)(int, uint32_t), void (*given)(void))
{
	struct nl	*l, *next;

	N.give = give;
	N.given = given;
	N.handing++;		/* none must end the handing before the last */
	TAILQ_FOREACH(l, &N.nls, entry)
		if (!l->closing && l->as.pending == NULL && l->ctrls == 0 &&
		    evbuffer_get_length(bufferevent_get_input(l->bev)) == 0) {
			l->handing = 1;
			N.handing++;
			bufferevent_disable(l->bev, EV_READ);
		}
	for (l = TAILQ_FIRST(&N.nls); l != NULL; l = next) {
		next = TAILQ_NEXT(l, entry);
		if (l->handing)
			nl_hand(l);
	}
	notify_close_all();
	if (--N.handing == 0 && N.given != NULL) {
		N.given();
		N.given = NULL;
	}
}

/*
 * A listener on a bufferevent the caller made (the fuzzer's pair): a
 * local peer with these credentials, or a TCP one when peer is NULL.
 */
int
notify_attach(struct bufferevent *bev, const struct acl_peer *peer)
{
	struct nl	*l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return (-1);
	l->bev = bev;
	if (peer != NULL) {
		l->local = 1;
		l->peer = *peer;
		l->peer.groups = NULL;
		l->peer.ngroups = 0;
	}
	nl_start(l, "*OK\n");
	return (0);
}

/* Close every listener now (at exit; the fuzzer, between inputs). */
void
notify_drop_all(void)
{
	struct nl	*l;

	while ((l = TAILQ_FIRST(&N.nls)) != NULL)
		nl_free(l);
}

/*
 * With nothing queued, write the lines at once: through the bufferevent
 * it would wait for the next loop round and cost two epoll_ctl calls per
 * listener (measured by bench/fanout.sh).  What the socket does not take
 * is queued behind, in order.
 */
static void
nl_send(struct nl *l, const char *line, size_t len, size_t backlog)
{
	ssize_t	n = 0;

	if (backlog == 0 && (n = send(bufferevent_getfd(l->bev), line, len,
	    MSG_DONTWAIT | MSG_NOSIGNAL)) == (ssize_t)len)
		return;
	if (n < 0)
		n = 0;	/* errors surface through the bufferevent */
	bufferevent_write(l->bev, line + n, len - (size_t)n);
}

/* A batch of events, each formatted once for every listener. */
static struct {
	char	 text[EVENTS_MAX * EVENTS_LINE_MAX];
	size_t	 off[EVENTS_MAX + 1];
} B;

/*
 * The lines of the batch this listener is to get, in order, through the
 * output policy: under the soft limit all it wants.
 */
static size_t
nl_pick(struct nl *l, const struct mux_ev *ev, int nev, size_t backlog,
    char *out)
{
	size_t	n = 0, len;
	int	i;

	for (i = 0; i < nev; i++) {
		if (!np_wants(l->mask, ev[i].type) || np_offer(&l->out,
		    ev[i].type, ev[i].type == EV_F ? ev[i].n : 0, backlog + n,
		    NOTIFY_SOFT) != NP_SEND)
			continue;
		len = B.off[i + 1] - B.off[i];
		memcpy(out + n, B.text + B.off[i], len);
		n += len;
	}
	return (n);
}

/* Fan a batch of events (one, or a hold's) out to every listener. */
static void
notify_sink(const struct mux_ev *ev, int nev, void *arg)
{
	static char	 out[sizeof(B.text)];
	struct nl	*l, *next;
	size_t		 backlog, n;
	int		 i;

	(void)arg;
	if (nev > EVENTS_MAX || TAILQ_EMPTY(&N.nls))
		return;		/* too many: events.c never makes it */
	B.off[0] = 0;
	for (i = 0; i < nev; i++)
		B.off[i + 1] = B.off[i] + events_format(B.text + B.off[i],
		    EVENTS_LINE_MAX, &ev[i]);
	for (l = TAILQ_FIRST(&N.nls); l != NULL; l = next) {
		next = TAILQ_NEXT(l, entry);
		if (l->closing || l->handing || l->mask == 0)
			continue;
		backlog = evbuffer_get_length(bufferevent_get_output(l->bev));
		if (backlog > NOTIFY_HARD) {
			nl_too_slow(l);
			continue;
		}
		if ((n = nl_pick(l, ev, nev, backlog, out)) > 0)
			nl_send(l, out, n, backlog);
	}
}

void
notify_stats(struct notify_stats *st)
{
	*st = N.st;
	st->connected = N.n;
	st->max = N.max;
}

/* Some listener wants F or S: then every slot change wakes the mux. */
void
notify_watch(void)
{
	struct nl	*l;
	uint32_t	 fs = (1u << ('F' - 'A')) | (1u << ('S' - 'A'));
	int		 every = 0, states = 0;

	TAILQ_FOREACH(l, &N.nls, entry) {
		if (l->mask & fs)
			every = 1;
		if (l->mask & (1u << ('S' - 'A')))
			states = 1;
	}
	pool_want_states(states);
	pool_watch_every(every);
}

void
notify_init(struct event_base *base, int max)
{
	if (!N.init) {
		TAILQ_INIT(&N.nls);
		TAILQ_INIT(&N.socks);
		N.base = base;
		events_set_sink(notify_sink, NULL);
		N.init = 1;
	}
	N.max = max;
}

/* Serve a listening socket made by sock_listen(). */
void
notify_add(struct event_base *base, int fd, int max)
{
	struct nsock	*s;

	notify_init(base, max);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("listener socket");
	s->fd = fd;
	s->acc = acc_new(base, fd, "listener socket", notify_accepted,
	    NULL);
	acc_on(s->acc, 1);
	TAILQ_INSERT_TAIL(&N.socks, s, entry);
}

/* Stop accepting listeners; connected ones see EOF when the mux exits. */
void
notify_close_all(void)
{
	struct nsock	*s;

	if (!N.init)
		return;
	while ((s = TAILQ_FIRST(&N.socks)) != NULL) {
		TAILQ_REMOVE(&N.socks, s, entry);
		acc_free(s->acc);
		close(s->fd);
		free(s);
	}
}
