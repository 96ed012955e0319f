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
 * Service listeners (--listen): the mux accepts long sessions itself,
 * gives each its attributes (addresses, class, user), enforces the
 * per-host and per-user limits, and hands it to a worker session
 * through the pool, once for the whole session (DESIGN §1).  The mux
 * keeps a record of every live session: msg, kick and who read it.
 */

#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "mux.h"
#include "acc.h"
#include "vars.h"


struct svc_listener {
	int		 fd;
	int		 family;
	int		 proto;		/* PROTO_*, from "SPEC,PROTO" */
	struct acc	*acc;
};

static struct {
	struct event_base	*base;
	struct conf		*conf;
	struct svc_listener	*l;
	int			 nl;
	uint32_t		 next_token;
	int			 nsess;
	uint64_t		 undelivered, lost;	/* messages */
	TAILQ_HEAD(, svc_sess)	 sess;
} S = { .sess = TAILQ_HEAD_INITIALIZER(S.sess) };

static void
svc_refuse(int fd, const char *text)
{
	char	buf[WS_TAG_MAX + 8];
	int	n;

	n = snprintf(buf, sizeof(buf), "%s\r\n", text);
	if (n > 0 && (size_t)n < sizeof(buf))
		(void)write(fd, buf, (size_t)n);
	close(fd);
}

/*
 * Sessions per client address, for MaxClientsPerHost: a small hash, so
 * an accept costs the same with 10 sessions or 10,000.
 */
#define SVC_HOSTS	1024

struct svc_host {
	uint8_t			 addr[16];
	int			 n;
	LIST_ENTRY(svc_host)	 entry;
};

static LIST_HEAD(, svc_host)	svc_hosts[SVC_HOSTS];

static struct svc_host *
svc_host_find(const uint8_t addr[16], int create)
{
	struct svc_host	*h;
	uint32_t	 k = 2166136261u;
	int		 i;

	for (i = 0; i < 16; i++)
		k = (k ^ addr[i]) * 16777619u;	/* FNV-1a */
	LIST_FOREACH(h, &svc_hosts[k % SVC_HOSTS], entry)
		if (memcmp(h->addr, addr, 16) == 0)
			return (h);
	if (!create || (h = calloc(1, sizeof(*h))) == NULL)
		return (NULL);
	memcpy(h->addr, addr, 16);
	LIST_INSERT_HEAD(&svc_hosts[k % SVC_HOSTS], h, entry);
	return (h);
}

/* Sessions from this address (kept and queued ones too). */
static int
svc_per_host(const uint8_t addr[16])
{
	struct svc_host	*h = svc_host_find(addr, 0);

	return (h != NULL ? h->n : 0);
}

static void
svc_host_count(const uint8_t addr[16], int delta)
{
	struct svc_host	*h;

	if ((h = svc_host_find(addr, delta > 0)) == NULL)
		return;
	if ((h->n += delta) <= 0) {
		LIST_REMOVE(h, entry);
		free(h);
	}
}

static void
svc_ntop(const struct sockaddr_storage *ss, char *host, size_t hsz,
    int *port)
{
	const struct sockaddr_in	*sin = (const void *)ss;
	const struct sockaddr_in6	*sin6 = (const void *)ss;

	*port = 0;
	snprintf(host, hsz, "-");
	if (ss->ss_family == AF_INET) {
		(void)inet_ntop(AF_INET, &sin->sin_addr, host, (socklen_t)hsz);
		*port = ntohs(sin->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		/* An IPv4 client of an IPv6 socket is shown, and ruled, as IPv4. */
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			(void)inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12],
			    host, (socklen_t)hsz);
		else
			(void)inet_ntop(AF_INET6, &sin6->sin6_addr, host,
			    (socklen_t)hsz);
		*port = ntohs(sin6->sin6_port);
	}
}

/*
 * The handler's environment, tcpserver's names (PROTO, TCPREMOTEIP...,
 * or for UNIX clients ucspi-unix's UNIXREMOTEEUID...), plus the class.
 */
size_t
svc_env(struct svc_sess *s, int fd, int family, char *b, size_t sz)
{
	struct sockaddr_storage	ls;
	socklen_t		llen = sizeof(ls);
	struct ucred		cr;
	socklen_t		crlen = sizeof(cr);
	char			lhost[64];
	int			lport;
	size_t			len = 0;

	if (family == AF_UNIX) {
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) == 0)
			(void)(vars_putf(b, sz, &len, "PROTO", "UNIX") ||
			    vars_putf(b, sz, &len, "UNIXREMOTEEUID", "%u",
			    (unsigned)cr.uid) ||
			    vars_putf(b, sz, &len, "UNIXREMOTEEGID", "%u",
			    (unsigned)cr.gid) ||
			    vars_putf(b, sz, &len, "UNIXREMOTEPID", "%ld",
			    (long)cr.pid));
	} else {
		if (getsockname(fd, (struct sockaddr *)&ls, &llen) == -1)
			ls.ss_family = AF_UNSPEC;
		svc_ntop(&ls, lhost, sizeof(lhost), &lport);
		(void)(vars_putf(b, sz, &len, "PROTO", "TCP") ||
		    vars_putf(b, sz, &len, "TCPREMOTEIP", "%s", s->host) ||
		    vars_putf(b, sz, &len, "TCPREMOTEPORT", "%d", s->port) ||
		    vars_putf(b, sz, &len, "TCPLOCALIP", "%s", lhost) ||
		    vars_putf(b, sz, &len, "TCPLOCALPORT", "%d", lport));
	}
	(void)vars_putf(b, sz, &len, "MUX_SESSION", "%u", s->token);
	if (S.l[s->listener].proto != PROTO_NONE)
		(void)vars_putf(b, sz, &len, "MUX_PROTOCOL", "%s",
		    proto_name(S.l[s->listener].proto));
	return (len);	/* MUX_CLASS comes after the rules (intake.c) */
}

/* SO_PEERCRED's user for a UNIX client, as DESIGN §5 says. */
static void
svc_unix_user(struct svc_sess *s, int fd)
{
	struct ucred	 cr;
	socklen_t	 len = sizeof(cr);
	struct passwd	*pw;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1)
		return;
	if ((pw = getpwuid(cr.uid)) != NULL)
		snprintf(s->user, sizeof(s->user), "%s", pw->pw_name);
	else
		snprintf(s->user, sizeof(s->user), "%u", (unsigned)cr.uid);
}

/*
 * An upgrade: the new mux's tokens start past ours, with room for the
 * sessions we still start while it sets up, so no two sessions of the
 * two muxes share a number in the logs.
 */
#define SVC_TOKEN_ROOM	65536
uint32_t
svc_tokens(void)
{
	return (S.next_token);
}

void
svc_tokens_from(uint32_t old)
{
	S.next_token = old + SVC_TOKEN_ROOM;
}

static struct svc_sess *
svc_new(int fd, int li, const struct sockaddr_storage *ss)
{
	struct svc_sess	*s;
	struct timespec	 ts;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		log_warn("calloc");
		return (NULL);
	}
	if (++S.next_token == 0)
		S.next_token = 1;	/* 0 says "not a service session" */
	s->token = S.next_token;
	s->listener = li;
	s->slot = -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	s->start = ts.tv_sec;
	snprintf(s->user, sizeof(s->user), "(none)");
	STAILQ_INIT(&s->held);
	s->wait = "intake";
	svc_ntop(ss, s->host, sizeof(s->host), &s->port);
	if (class_sockaddr((const struct sockaddr *)ss, s->addr) == -1)
		memset(s->addr, 0, sizeof(s->addr));
	if (S.l[li].family == AF_UNIX) {
		snprintf(s->host, sizeof(s->host), "local");
		svc_unix_user(s, fd);
	}
	snprintf(s->cls, sizeof(s->cls), "%s",
	    class_of(&S.conf->classes, s->addr));
	TAILQ_INSERT_TAIL(&S.sess, s, entry);
	svc_host_count(s->addr, 1);
	S.nsess++;
	return (s);
}

/* A new client on listener li: vet it, then give it to the pool. */
static void
svc_client(int fd, int li, const struct sockaddr_storage *ss)
{
	struct svc_sess	*s;
	char		 refusal[WS_TAG_MAX + 1], vars[WS_LINE_MAX];
	char		 msg[WS_TAG_MAX + 8];
	uint8_t		 a[16];
	size_t		 len;

	if (pool_refusing(refusal, sizeof(refusal)) != NULL) {
		outcome_count(OUT_SHUTDOWN, 1);
		snprintf(msg, sizeof(msg), "421 %s", refusal);
		svc_refuse(fd, msg);
		return;
	}
	if (S.conf->max_per_host > 0 && S.l[li].family != AF_UNIX &&
	    class_sockaddr((const struct sockaddr *)ss, a) == 0 &&
	    svc_per_host(a) >= S.conf->max_per_host) {
		outcome_count(OUT_PER_HOST, 1);
		log_rl_info(LOG_RL_PER_HOST, "session refused: "
		    "MaxClientsPerHost %d reached", S.conf->max_per_host);
		svc_refuse(fd, "421 Too many connections from your host");
		return;
	}
	if ((s = svc_new(fd, li, ss)) == NULL) {
		svc_refuse(fd, "421 Out of memory");
		return;
	}
	len = svc_env(s, fd, S.l[li].family, vars, sizeof(vars));
	log_debug("session %u from %s:%d", s->token, s->host, s->port);
	intake_start(fd, s, S.l[li].family, vars, len);
}

static int
svc_accepted(int fd, struct sockaddr *sa, socklen_t len, void *arg)
{
	(void)len;
	svc_client(fd, (int)(intptr_t)arg, (struct sockaddr_storage *)sa);
	return (0);
}

void
svc_init(struct event_base *base, struct conf *conf, const int *fds,
    const struct sock_spec *specs, int n)
{
	size_t	len;
	int	i;

	S.base = base;
	S.conf = conf;
	S.nl = n;
	if (n == 0)
		return;
	if ((S.l = calloc((size_t)n, sizeof(*S.l))) == NULL)
		fatalx("svc_init");
	for (i = 0; i < n; i++) {
		S.l[i].fd = fds[i];
		S.l[i].family = specs[i].family;
		S.l[i].proto = proto_split(conf->listen[i], &len);
		S.l[i].acc = acc_new(base, fds[i], "service listener",
		    svc_accepted, (void *)(intptr_t)i);
		acc_on(S.l[i].acc, 1);
	}
}

/* SIGTERM: no new sessions. */
void
svc_close(void)
{
	int	i;

	for (i = 0; i < S.nl; i++) {
		acc_free(S.l[i].acc);
		S.l[i].acc = NULL;
		if (S.l[i].fd != -1)
			close(S.l[i].fd);
		S.l[i].fd = -1;
	}
	S.nl = 0;
}

/*
 * Every message taken for a session ends one way: delivered in a reply
 * (its worker counted them), dropped past a bound, or undelivered when
 * the session ended first.  MessageLog says which, once per session.
 */
void
svc_end_msgs(struct svc_sess *s, int delivered, const char *why)
{
	int	undelivered;

	if (s->msgs == 0)
		return;
	if (delivered > s->msgs - s->dropped)
		delivered = s->msgs - s->dropped;
	undelivered = s->msgs - s->dropped - delivered;
	S.undelivered += (uint64_t)undelivered;
	S.lost += (uint64_t)s->dropped;
	if (undelivered > 0)
		log_rl_info(LOG_RL_SESS_UNDELIVERED, "session %u from %s "
		    "ended%s: %d messages not delivered", s->token, s->host,
		    why, undelivered);
	msglog_write(0, "session %u user=%s host=%s ended%s: %d messages: "
	    "%d delivered, %d undelivered, %d dropped", s->token,
	    s->user[0] ? s->user : "(none)", s->host, why, s->msgs,
	    delivered, undelivered, s->dropped);
	s->msgs = 0;
}

void
svc_msg_stats(uint64_t *undelivered, uint64_t *lost)
{
	*undelivered = S.undelivered;
	*lost = S.lost;
}

/* The session is over (or never started): forget it. */
void
svc_end(struct svc_sess *s)
{
	struct svc_text	*t;

	if (s->slot == -1)
		svc_end_msgs(s, 0, " before a worker had it");
	while ((t = svc_held_next(s)) != NULL)
		svc_text_free(t);
	TAILQ_REMOVE(&S.sess, s, entry);
	svc_host_count(s->addr, -1);
	S.nsess--;
	free(s);
}

/*
 * The handler named the session's user.  Over MaxClientsPerUser, the
 * reply that refuses the session; else NULL.
 */
const char *
svc_user(struct svc_sess *s, const char *user, char *buf, size_t sz)
{
	struct svc_sess	*o;
	int		 n = 0;

	snprintf(s->user, sizeof(s->user), "%s", user);
	if (S.conf->max_per_user <= 0)
		return (NULL);
	TAILQ_FOREACH(o, &S.sess, entry)
		if (strcmp(o->user, s->user) == 0)
			n++;
	if (n <= S.conf->max_per_user)
		return (NULL);
	outcome_count(OUT_PER_USER, 1);
	log_rl_info(LOG_RL_PER_USER, "session %u refused: MaxClientsPerUser %d "
	    "reached by %s", s->token, S.conf->max_per_user, s->user);
	snprintf(buf, sz, "421 Too many connections for user %s", s->user);
	return (buf);
}

int
svc_count(void)
{
	return (S.nsess);
}

int
svc_listeners(void)
{
	return (S.nl);
}

/*
 * Whoever holds a session before a worker has it (the banner phase, the
 * queue) says how to cut it there; NULL when it lets go.
 */
void
svc_hold(struct svc_sess *s, const char *wait, void (*cut)(void *),
    void *arg)
{
	s->wait = wait;
	s->cut = cut;
	s->cut_arg = arg;
}

/* What kick and msg match a session by (pool.c's, with a worker, too). */
void
svc_info(const struct svc_sess *s, struct sess_info *si)
{
	si->client = s->host;
	si->addr = s->addr;
	si->user = s->user;
	si->cls = s->cls;
}

/*
 * kick, for the sessions no worker has yet: each is closed where it
 * waits, without a reply, as a worker cuts its client.  One waiting for
 * its host name is cut when the answer comes.  Returns how many.
 */
int
svc_kick(int (*match)(const struct sess_info *, void *), void *arg)
{
	struct svc_sess	*s, *next;
	struct sess_info si;
	int		 n = 0;

	for (s = TAILQ_FIRST(&S.sess); s != NULL; s = next) {
		next = TAILQ_NEXT(s, entry);
		svc_info(s, &si);
		if (s->slot != -1 || s->kicked || !match(&si, arg))
			continue;
		log_rl_info(LOG_RL_KICKED_WAITING, "session %u from %s: kicked "
		    "before a worker had it", s->token, s->host);
		n++;
		s->kicked = 1;
		if (s->cut != NULL)
			s->cut(s->cut_arg);	/* frees s */
	}
	return (n);
}

void
svc_text_free(struct svc_text *t)
{
	if (t != NULL && --t->refs == 0)
		free(t);
}

/*
 * msg, for the sessions no worker has yet: the text waits in the
 * session, shared by all, and goes to the queue with the session
 * (svc_held_next), for its first reply.  Returns how many took it;
 * full says how many matched but hold SVC_HELD_MAX already.
 */
int
svc_msg(int (*match)(const struct sess_info *, void *), void *arg,
    const char *text, size_t len, int *full)
{
	struct svc_sess	*s;
	struct sess_info si;
	struct svc_text	*t = NULL;
	struct svc_held	*h;
	int		 n = 0;

	*full = 0;
	TAILQ_FOREACH(s, &S.sess, entry) {
		svc_info(s, &si);
		if (s->slot != -1 || s->kicked || !match(&si, arg))
			continue;
		if (s->nheld >= SVC_HELD_MAX) {
			(*full)++;
			continue;
		}
		if (t == NULL) {
			if ((t = malloc(sizeof(*t) + len)) == NULL)
				break;
			t->refs = 1;	/* ours, until the loop is done */
			t->len = len;
			memcpy(t->text, text, len);
		}
		if ((h = malloc(sizeof(*h))) == NULL)
			break;
		h->t = t;
		t->refs++;
		STAILQ_INSERT_TAIL(&s->held, h, entry);
		s->nheld++;
		s->msgs++;
		n++;
	}
	if (s != NULL)
		log_warn("msg: sessions without a worker");
	if (*full > 0)
		log_warnx("msg: %d sessions without a worker hold %d messages "
		    "already: not sent to them", *full, SVC_HELD_MAX);
	svc_text_free(t);
	return (n);
}

/* The next message held for the session (the caller frees it), or NULL. */
struct svc_text *
svc_held_next(struct svc_sess *s)
{
	struct svc_held	*h;
	struct svc_text	*t;

	if ((h = STAILQ_FIRST(&s->held)) == NULL)
		return (NULL);
	STAILQ_REMOVE_HEAD(&s->held, entry);
	s->nheld--;
	t = h->t;
	free(h);
	return (t);
}

/* The sessions without a worker, for who; now is realtime seconds. */
int
svc_waiting(struct cmd_waiting *out, int max, int64_t now)
{
	struct svc_sess	*s;
	int		 n = 0;

	TAILQ_FOREACH(s, &S.sess, entry) {
		if (s->slot != -1 || s->kicked || s->wait == NULL)
			continue;
		if (n == max)
			break;
		out[n].state = s->wait;
		out[n].online = (int)(now - s->start);
		out[n].client = s->host;
		out[n].user = s->user;
		out[n].cls = s->cls;
		n++;
	}
	return (n);
}
