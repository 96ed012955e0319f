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
 * Control actions on listener sockets (mux-notify(7)): one line in;
 * "*-..." lines and then "*OK text" or "*ERR text" out, written whole so
 * they never interleave with events.  Only peers on a UNIX socket may
 * act, identified by SO_PEERCRED and checked against the ACLs; a TCP
 * peer may only subscribe.  The formatting is pure (ctl_format_*); the
 * rest is glue to the pool.
 */

#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "mux.h"

#define CTL_ARGS_MAX	(NP_LINE_MAX / 2 + 1)	/* a word and a blank each */
#define CTL_SECS_MAX	86400

static struct acl	 ctl_acl;
static int		 ctl_engine;	/* MessageEngine */

/* shutdown: refuse from refuse_at, cut sessions at cut_at (0: never). */
static struct {
	int		 pending;
	int64_t		 refuse_at;	/* ms, monotonic */
	int64_t		 cut_at;	/* ms; 0: never */
	char		 text[WS_TAG_MAX + 1];
	struct event	*refuse_ev;
	struct event	*cut_ev;
} ctl_shut;

static const char *
ctl_state(int st)
{
	switch (st) {
	case WS_STOPPED:
		return ("stopped");
	case WS_STARTING:
		return ("starting");
	case WS_IDLE:
		return ("idle");
	case WS_BUSY:
		return ("busy");
	case WS_RETIRING:
		return ("retiring");
	default:
		return ("killed");
	}
}

void
ctl_format_status(struct cmd_buf *b, const struct cmd_view *v,
    const struct notify_stats *ns, const struct ctl_shut_view *sh,
    const struct msgq_stats *mq, const struct intake_stats *in)
{
	int	i, n[WS_NSTATES] = { 0 };

	for (i = 0; i < v->nslots; i++)
		if (v->w[i].state >= 0 && v->w[i].state < WS_NSTATES)
			n[v->w[i].state]++;
	cmd_printf(b, "*-pool slots=%d free=%d idle=%d busy=%d starting=%d "
	    "retiring=%d killed=%d stopped=%d queued=%d queue_size=%d\n",
	    v->nslots, v->nfree, n[WS_IDLE], n[WS_BUSY], n[WS_STARTING],
	    n[WS_RETIRING], n[WS_KILLED], n[WS_STOPPED], v->nqueued,
	    v->queue_size);
	cmd_printf(b, "*-requests scans=%llu activations=%llu uptime=%d "
	    "version=%s\n", (unsigned long long)v->msgs,
	    (unsigned long long)v->activations, v->uptime, v->version);
	cmd_printf(b, "*-listeners connected=%d max=%d accepted=%llu "
	    "refused=%llu too_slow=%llu stalled=%llu line_too_long=%llu "
	    "unknown_command=%llu access_denied=%llu skipped_events=%llu\n",
	    ns->connected, ns->max, (unsigned long long)ns->accepted,
	    (unsigned long long)ns->refused, (unsigned long long)ns->too_slow,
	    (unsigned long long)ns->stalled,
	    (unsigned long long)ns->line_too_long,
	    (unsigned long long)ns->unknown_command,
	    (unsigned long long)ns->access_denied,
	    (unsigned long long)ns->skipped_events);
	if (in != NULL)
		cmd_printf(b, "*-sessions live=%d banner=%d denied=%llu "
		    "impatient=%llu hangups=%llu\n", in->live, in->waiting,
		    (unsigned long long)in->denied,
		    (unsigned long long)in->impatient,
		    (unsigned long long)in->hangups);
	if (mq != NULL)
		cmd_printf(b, "*-messages queue_bytes=%llu sent=%llu "
		    "waiting=%d queue_full=%llu purged=%llu failed=%llu "
		    "delivered=%llu undelivered=%llu dropped=%llu\n",
		    (unsigned long long)mq->qbytes,
		    (unsigned long long)mq->sent, mq->waiting,
		    (unsigned long long)mq->queued_full,
		    (unsigned long long)mq->purged,
		    (unsigned long long)mq->failed,
		    (unsigned long long)mq->delivered,
		    (unsigned long long)mq->undelivered,
		    (unsigned long long)mq->lost);
	if (sh != NULL)
		cmd_printf(b, "*-shutdown refusing=%d refuse_in=%d cut_in=%d "
		    "text=%s\n", sh->refusing, sh->refuse_in, sh->cut_in,
		    sh->text);
	cmd_printf(b, "*OK status\n");
}

/* ftpwho for worker sessions: the tag comes last, it may hold blanks. */
void
ctl_format_who(struct cmd_buf *b, const struct cmd_view *v)
{
	const struct cmd_worker	*w;
	char			 online[16];
	int			 i, n = 0;

	for (i = 0; i < v->nslots; i++) {
		w = &v->w[i];
		if (w->state == WS_STOPPED)
			continue;
		n++;
		if (w->svc)
			snprintf(online, sizeof(online), "%d", w->online);
		else
			snprintf(online, sizeof(online), "-");
		cmd_printf(b, "*-slot=%d pid=%ld state=%s requests=%llu "
		    "age=%d idle=%d online=%s client=%s user=%s class=%s "
		    "cmd=%s tag=%s\n", i, (long)w->pid, ctl_state(w->state),
		    (unsigned long long)w->nreq, w->age,
		    w->state == WS_IDLE ? w->ago : 0, online,
		    w->client, w->user, w->cls, w->svc ? (w->verb[0] ?
		    w->verb : "-") : w->state == WS_BUSY ?
		    cmd_kind_name(w->cmd) : "-", w->tag);
	}
	/* Sessions no worker has yet: what kick and msg reach there. */
	for (i = 0; i < v->nwait; i++)
		cmd_printf(b, "*-slot=- pid=- state=%s requests=0 age=%d "
		    "idle=0 online=%d client=%s user=%s class=%s cmd=- tag=\n",
		    v->wait[i].state, v->wait[i].online, v->wait[i].online,
		    v->wait[i].client, v->wait[i].user, v->wait[i].cls);
	if (v->nwait > 0)
		cmd_printf(b, "*OK %d worker session%s, %d waiting\n", n,
		    n == 1 ? "" : "s", v->nwait);
	else
		cmd_printf(b, "*OK %d worker session%s\n", n,
		    n == 1 ? "" : "s");
}

static const struct {
	int		 action;
	const char	*usage;
	const char	*what;
} ctl_help_tab[] = {
	{ CTL_HELP, "help", "the actions you may run" },
	{ CTL_STATUS, "status", "pool, request and listener counters" },
	{ CTL_WHO, "who", "one line per running worker session" },
	{ CTL_REREAD, "reread", "reload the configuration, renew workers" },
	{ CTL_KICK, "kick user|host|class NAME", "cut matching sessions" },
	{ CTL_SHUTDOWN, "shutdown [-l secs] [-d secs] TEXT",
	    "refuse requests with TEXT, then cut sessions" },
	{ CTL_SHUTDOWN, "shutdown cancel", "accept requests again" },
	{ CTL_MSG, "msg user|host|class NAME TEXT | msg all TEXT",
	    "a message into sessions' next replies" },
};

void
ctl_format_help(struct cmd_buf *b, const struct acl *acl,
    const struct acl_peer *p, uint32_t self)
{
	size_t	i;

	for (i = 0; i < sizeof(ctl_help_tab) / sizeof(ctl_help_tab[0]); i++)
		if (acl_check(acl, ctl_help_tab[i].action, p, self))
			cmd_printf(b, "*-%-45s %s\n", ctl_help_tab[i].usage,
			    ctl_help_tab[i].what);
	cmd_printf(b, "*OK help\n");
}

static int
ctl_resolve(int group, const char *name, uint32_t *id, void *arg)
{
	struct passwd	*pw;
	struct group	*gr;

	(void)arg;
	if (group && (gr = getgrnam(name)) != NULL) {
		*id = (uint32_t)gr->gr_gid;
		return (0);
	}
	if (!group && (pw = getpwnam(name)) != NULL) {
		*id = (uint32_t)pw->pw_uid;
		return (0);
	}
	log_warnx("%s ACL: no such %s \"%s\", ignored", group ? "group" :
	    "user", group ? "group" : "user", name);
	return (-1);
}

/* Build the ACLs from the configuration (start-up and reread). */
void
ctl_configure(const struct conf *c)
{
	char	err[CONF_ERR_MAX];
	int	i;

	ctl_engine = c->msg_engine;
	acl_free(&ctl_acl);
	for (i = 0; i < c->nacls; i++)
		if (acl_add(&ctl_acl, c->acls[i].msg, 4, c->acls[i].av,
		    ctl_resolve, NULL, err, sizeof(err)) == -1)
			log_warnx("ACL line %d: %s", i + 1, err);
}

static void
ctl_denied(struct cmd_buf *b, const struct acl_peer *p, const char *what)
{
	if (p != NULL)
		log_warnx("control: uid %u may not run %s: access denied",
		    p->uid, what);
	else
		log_warnx("control: %s over TCP: access denied", what);
	cmd_printf(b, "*ERR access denied\n");
}

#define CTL_ADDRS_MAX	32		/* addresses of one host name */

struct ctl_match {
	int		 kind;		/* 'u'ser, 'h'ost, 'c'lass, 'a'll */
	const char	*name;
	uint8_t		 addr[CTL_ADDRS_MAX][16];	/* v4-mapped */
	int		 naddr;
};

/* Which sessions a kick or a msg reaches. */
static int
ctl_match(const struct sess_info *si, void *arg)
{
	struct ctl_match	*k = arg;
	int			 i;

	switch (k->kind) {
	case 'a':
		return (1);
	case 'c':
		return (strcmp(k->name, si->cls) == 0);
	case 'u':
		return (strcmp(k->name, si->user) == 0);
	case 'h':
		for (i = 0; si->addr != NULL && i < k->naddr; i++)
			if (memcmp(si->addr, k->addr[i], 16) == 0)
				return (1);
		return (0);
	default:
		return (0);
	}
}

/* Send, answer, log: the end of every msg, now or after a lookup. */
static void
ctl_msg_send(struct cmd_buf *b, struct ctl_match *k, const char *who,
    const char *text, size_t len, uint32_t uid)
{
	const char	*why;
	int		 n, held, full;

	/* Sessions still in the intake or the queue take it too. */
	n = pool_msg(ctl_match, k, text, len);
	if ((held = svc_msg(ctl_match, k, text, len, &full)) > 0)
		n = n == -1 ? held : n + held;
	if (n <= 0) {
		why = n == -1 ? "message queue failed" : full > 0 ?
		    "too many messages waiting" : "no such client connected";
		msglog_write(uid, "msg %s \"%s\": %s", who, text, why);
		log_info("control: msg %s: %s", who, why);
		cmd_printf(b, "*ERR %s\n", why);
		return;
	}
	if (full > 0)
		msglog_write(uid, "msg %s \"%s\": sent to %d sessions; not to "
		    "%d that hold %d waiting already", who, text, n, full,
		    SVC_HELD_MAX);
	else
		msglog_write(uid, "msg %s \"%s\": sent to %d sessions", who,
		    text, n);
	log_info("control: msg %s: sent to %d sessions", who, n);
	events_emit(EV_M, n, who);
	cmd_printf(b, "*OK message sent to %d sessions\n", n);
}

/* msg host NAME: resolved with evdns, never blocking the mux. */
struct ctl_pending {
	struct ctl_async	*as;	/* NULL once cancelled */
	struct evdns_getaddrinfo_request *req;
	int			 sync;	/* inside evdns_getaddrinfo() */
	int			 fired;
	uint32_t		 uid;
	size_t			 len;
	struct cmd_buf		 b;
	char			 name[256];
	char			 text[INJ_TEXT_MAX + 1];
};

static void
ctl_resolved(int rv, struct evutil_addrinfo *res, void *arg)
{
	struct ctl_pending	*pd = arg;
	struct ctl_match	*k;
	struct evutil_addrinfo	*ai;
	struct ctl_async	*as;
	char			 who[300];

	if (rv == EVUTIL_EAI_CANCEL || pd->as == NULL ||
	    (k = calloc(1, sizeof(*k))) == NULL) {
		if (res != NULL)
			evutil_freeaddrinfo(res);
		if (!pd->sync)
			free(pd);
		return;
	}
	k->kind = 'h';
	for (ai = res; ai != NULL && k->naddr < CTL_ADDRS_MAX; ai = ai->ai_next)
		if (class_sockaddr(ai->ai_addr, k->addr[k->naddr]) == 0)
			k->naddr++;
	if (res != NULL)
		evutil_freeaddrinfo(res);
	snprintf(who, sizeof(who), "host %s", pd->name);
	if (k->naddr == 0) {
		log_info("control: msg %s: cannot resolve: %s", who,
		    evutil_gai_strerror(rv));
		msglog_write(pd->uid, "msg %s \"%s\": no such host", who,
		    pd->text);
		cmd_printf(&pd->b, "*ERR no such host %s\n", pd->name);
	} else
		ctl_msg_send(&pd->b, k, who, pd->text, pd->len, pd->uid);
	free(k);
	if (pd->sync) {
		pd->fired = 1;	/* ctl_msg_host() takes it from here */
		return;
	}
	as = pd->as;
	as->pending = NULL;
	as->done(as, &pd->b);
	cmd_buf_free(&pd->b);
	free(pd);
}

static int
ctl_msg_host(struct cmd_buf *b, const char *name, const char *text,
    size_t len, uint32_t uid, struct ctl_async *as)
{
	struct evutil_addrinfo	 hints;
	struct ctl_pending	*pd;
	struct evdns_base	*dns;

	if (as == NULL || as->pending != NULL ||
	    (dns = dns_base()) == NULL || strlen(name) >= sizeof(pd->name) ||
	    (pd = calloc(1, sizeof(*pd))) == NULL) {
		cmd_printf(b, "*ERR cannot resolve host names here\n");
		return (CTL_R_OK);
	}
	pd->as = as;
	pd->uid = uid;
	pd->len = len;
	memcpy(pd->text, text, len);
	snprintf(pd->name, sizeof(pd->name), "%s", name);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	pd->sync = 1;
	pd->req = evdns_getaddrinfo(dns, name, NULL, &hints, ctl_resolved, pd);
	pd->sync = 0;
	if (pd->fired || pd->req == NULL) {
		/* Answered at once (/etc/hosts), or failed at once. */
		if (!pd->fired)
			cmd_printf(b, "*ERR no such host %s\n", name);
		else
			cmd_printf(b, "%.*s", (int)pd->b.len, pd->b.p);
		cmd_buf_free(&pd->b);
		free(pd);
		return (CTL_R_OK);
	}
	as->pending = pd;
	return (CTL_R_PENDING);
}

/* A listener went away: its lookup's answer goes nowhere. */
void
ctl_cancel(struct ctl_async *as)
{
	struct ctl_pending	*pd = as->pending;

	if (pd == NULL)
		return;
	/* Its listener is gone (stalled, or the mux stops): say so. */
	log_info("control: msg host %s: dropped with its listener during "
	    "the lookup: not sent", pd->name);
	msglog_write(pd->uid, "msg host %s \"%s\": not sent: dropped with "
	    "its listener during the lookup", pd->name, pd->text);
	as->pending = NULL;
	pd->as = NULL;
	evdns_getaddrinfo_cancel(pd->req);	/* frees pd, via the callback */
}

static int
ctl_name_ok(const char *s)
{
	size_t	n;

	for (n = 0; s[n] != '\0'; n++)
		if (s[n] < 0x21 || s[n] > 0x7e || n == CTL_NAME_MAX)
			return (0);
	return (1);
}

/*
 * msg user|host|class NAME TEXT... | msg all TEXT...: the text, cleaned
 * of control bytes, goes into the next reply of each matching service
 * session.  Every msg is written to the MessageLog, and one that
 * reached sessions makes an M event.  A host given by name is looked up
 * first; the answer then comes later (CTL_R_PENDING).
 */
static int
ctl_msg(struct cmd_buf *b, int ac, char **av, const struct acl_peer *p,
    struct ctl_async *as)
{
	struct ctl_match *k;
	char	 raw[NP_LINE_MAX + 1], text[INJ_TEXT_MAX + 1], who[160];
	int	 all = ac >= 2 && strcmp(av[1], "all") == 0, first;
	size_t	 len;

	if (!ctl_engine) {
		cmd_printf(b, "*ERR MessageEngine is off\n");
		return (CTL_R_OK);
	}
	first = all ? 2 : 3;
	if (ac <= first || (!all && strcmp(av[1], "user") != 0 &&
	    strcmp(av[1], "host") != 0 && strcmp(av[1], "class") != 0) ||
	    conf_join(raw, sizeof(raw), ac - first, av + first) == -1 ||
	    (len = inj_sanitize(text, sizeof(text), raw, strlen(raw))) == 0) {
		cmd_printf(b, "*ERR bad arguments: msg user|host|class NAME "
		    "TEXT... | msg all TEXT...\n");
		return (CTL_R_OK);
	}
	/* The name is echoed and logged: short and printable. */
	if (!all && !ctl_name_ok(av[2])) {
		cmd_printf(b, "*ERR bad name: up to %d printable "
		    "characters\n", CTL_NAME_MAX);
		return (CTL_R_OK);
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		cmd_printf(b, "*ERR out of memory\n");
		return (CTL_R_OK);
	}
	k->kind = all ? 'a' : av[1][0];
	k->name = all ? NULL : av[2];
	k->naddr = 1;
	if (k->kind == 'h' && class_addr(av[2], k->addr[0]) == -1) {
		free(k);
		return (ctl_msg_host(b, av[2], text, len, p->uid, as));
	}
	if (all)
		snprintf(who, sizeof(who), "all");
	else
		snprintf(who, sizeof(who), "%s %.128s", av[1], av[2]);
	ctl_msg_send(b, k, who, text, len, p->uid);
	free(k);
	return (CTL_R_OK);
}

static void
ctl_kick(struct cmd_buf *b, int ac, char **av)
{
	struct ctl_match k;
	int		n;

	if (ac != 3 || (strcmp(av[1], "user") != 0 &&
	    strcmp(av[1], "host") != 0 && strcmp(av[1], "class") != 0)) {
		cmd_printf(b, "*ERR bad arguments: kick user|host|class "
		    "NAME\n");
		return;
	}
	memset(&k, 0, sizeof(k));
	k.kind = av[1][0];
	k.name = av[2];
	k.naddr = 1;
	if (k.kind == 'h' && class_addr(av[2], k.addr[0]) == -1) {
		cmd_printf(b, "*ERR bad arguments: kick host takes an IPv4 "
		    "or IPv6 address\n");
		return;
	}
	if ((n = pool_kick(ctl_match, &k) + svc_kick(ctl_match, &k)) == 0)
		cmd_printf(b, "*ERR no such client connected\n");
	else
		cmd_printf(b, "*OK kicked %d session%s\n", n,
		    n == 1 ? "" : "s");
}

static void
ctl_shut_refuse_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	log_info("shutdown: refusing requests: %s", ctl_shut.text);
	pool_refuse(ctl_shut.text);
}

static void
ctl_shut_cut_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct ctl_match k;

	memset(&k, 0, sizeof(k));
	k.kind = 'a';
	(void)fd;
	(void)ev;
	(void)arg;
	log_info("shutdown: cut %d sessions", pool_kick(ctl_match, &k) +
	    svc_kick(ctl_match, &k));
}

static int
ctl_secs(const char *s, int *out)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < 0 ||
	    v > CTL_SECS_MAX)
		return (-1);
	*out = (int)v;
	return (0);
}

static void
ctl_shut_cancel(void)
{
	if (ctl_shut.refuse_ev != NULL)
		evtimer_del(ctl_shut.refuse_ev);
	if (ctl_shut.cut_ev != NULL)
		evtimer_del(ctl_shut.cut_ev);
	pool_refuse(NULL);
	ctl_shut.pending = 0;
}

/*
 * As ftpshut: the live sessions are told before they are cut, through
 * the message path (so on their next reply), when the MessageEngine is
 * on.
 */
static void
ctl_shut_warn(int d)
{
	struct ctl_match	k;
	char			text[INJ_TEXT_MAX + 1];
	int			n, held, full;

	memset(&k, 0, sizeof(k));
	k.kind = 'a';
	snprintf(text, sizeof(text), "%s (this session ends in %d s)",
	    ctl_shut.text, d);
	n = pool_msg(ctl_match, &k, text, strlen(text));
	if ((held = svc_msg(ctl_match, &k, text, strlen(text), &full)) > 0)
		n = n == -1 ? held : n + held;
	if (n > 0) {
		msglog_write(0, "shutdown warning \"%s\": sent to %d "
		    "sessions", text, n);
		log_info("shutdown: warned %d sessions", n);
	}
}

/*
 * shutdown [-l secs] [-d secs] TEXT: ftpshut for the pool.  After -l
 * seconds (default now) requests get "error: TEXT"; after -d seconds
 * the sessions still running are cut.  The mux keeps running; commands
 * are still answered; "shutdown cancel" undoes it.
 */
static void
ctl_shutdown(struct cmd_buf *b, int ac, char **av, struct event_base *base)
{
	struct timeval	tv = { 0, 0 };
	int		i = 1, l = 0, d = -1;
	int64_t		now = slot_now_ms();
	char		raw[sizeof(ctl_shut.text)], text[sizeof(ctl_shut.text)];

	if (ac == 2 && strcmp(av[1], "cancel") == 0) {
		if (!ctl_shut.pending) {
			cmd_printf(b, "*ERR no shutdown pending\n");
			return;
		}
		ctl_shut_cancel();
		log_info("shutdown cancelled");
		cmd_printf(b, "*OK shutdown cancelled\n");
		return;
	}
	for (; i + 1 < ac && av[i][0] == '-'; i += 2)
		if ((strcmp(av[i], "-l") != 0 && strcmp(av[i], "-d") != 0) ||
		    ctl_secs(av[i + 1], av[i][1] == 'l' ? &l : &d) == -1)
			break;
	/*
	 * The text goes to request clients, listeners (status) and the
	 * log: without control bytes, as a msg text.  A pending shutdown
	 * keeps its own text when this one is refused.
	 */
	if (i >= ac || av[i][0] == '-' ||
	    conf_join(raw, sizeof(raw), ac - i, av + i) == -1 ||
	    inj_sanitize(text, sizeof(text), raw, strlen(raw)) == 0) {
		cmd_printf(b, "*ERR bad arguments: shutdown [-l secs] "
		    "[-d secs] TEXT | shutdown cancel\n");
		return;
	}
	ctl_shut_cancel();
	memcpy(ctl_shut.text, text, sizeof(text));
	if (ctl_shut.refuse_ev == NULL) {
		ctl_shut.refuse_ev = evtimer_new(base, ctl_shut_refuse_cb, NULL);
		ctl_shut.cut_ev = evtimer_new(base, ctl_shut_cut_cb, NULL);
		if (ctl_shut.refuse_ev == NULL || ctl_shut.cut_ev == NULL)
			fatalx("shutdown timers");
	}
	ctl_shut.pending = 1;
	ctl_shut.refuse_at = now + (int64_t)l * 1000;
	ctl_shut.cut_at = d >= 0 ? now + (int64_t)d * 1000 : 0;
	tv.tv_sec = l;
	evtimer_add(ctl_shut.refuse_ev, &tv);
	if (d >= 0) {
		tv.tv_sec = d;
		evtimer_add(ctl_shut.cut_ev, &tv);
	}
	if (d >= 0)
		ctl_shut_warn(d);
	if (d >= 0)
		log_info("shutdown: refusing requests in %d s, cutting "
		    "sessions in %d s: %s", l, d, ctl_shut.text);
	else
		log_info("shutdown: refusing requests in %d s: %s", l,
		    ctl_shut.text);
	if (d >= 0)
		cmd_printf(b, "*OK shutdown: refusing requests in %d s, "
		    "cutting sessions in %d s\n", l, d);
	else
		cmd_printf(b, "*OK shutdown: refusing requests in %d s\n", l);
}

static int
ctl_shut_view(struct ctl_shut_view *sh)
{
	int64_t	now = slot_now_ms();
	char	buf[WS_TAG_MAX + 1];

	if (!ctl_shut.pending)
		return (-1);
	/* Whole seconds left, rounded up: 0 only once it is due. */
	sh->refusing = pool_refusing(buf, sizeof(buf)) != NULL;
	sh->refuse_in = sh->refusing || ctl_shut.refuse_at <= now ? 0 :
	    (int)((ctl_shut.refuse_at - now + 999) / 1000);
	sh->cut_in = ctl_shut.cut_at == 0 ? -1 : ctl_shut.cut_at <= now ? 0 :
	    (int)((ctl_shut.cut_at - now + 999) / 1000);
	sh->text = ctl_shut.text;
	return (0);
}

/*
 * Run one action line for a peer (NULL: a TCP peer).  The reply goes to
 * b; returns CTL_R_OK, CTL_R_UNKNOWN or CTL_R_DENIED for the counters.
 */
/* who: the worker sessions, then the sessions waiting for one. */
static void
ctl_who(struct cmd_buf *b, struct cmd_view *v)
{
	struct cmd_waiting	*wait;
	struct timespec		 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	v->wait = NULL;
	v->nwait = 0;
	if ((wait = calloc((size_t)svc_count() + 1, sizeof(*wait))) != NULL) {
		v->wait = wait;
		v->nwait = svc_waiting(wait, svc_count(), ts.tv_sec);
	}
	ctl_format_who(b, v);
	free(wait);
}

int
ctl_run(const char *line, size_t len, const struct acl_peer *p,
    struct cmd_buf *b, struct event_base *base, struct ctl_async *as)
{
	struct cmd_view		 v;
	struct cmd_worker	*w;
	struct notify_stats	 ns;
	struct ctl_shut_view	 sh;
	struct msgq_stats	 mq;
	struct intake_stats	 in;
	char			 buf[NP_LINE_MAX + 1], *av[CTL_ARGS_MAX];
	int			 ac, a;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	memcpy(buf, line, len);
	buf[len] = '\0';
	if ((ac = conf_split(buf, av, CTL_ARGS_MAX, 0)) <= 0 ||
	    (a = ctl_action_lookup(av[0])) == -1) {
		cmd_printf(b, "*ERR unknown command\n");
		return (CTL_R_UNKNOWN);
	}
	if (p == NULL || !acl_check(&ctl_acl, a, p, (uint32_t)geteuid())) {
		ctl_denied(b, p, av[0]);
		return (CTL_R_DENIED);
	}
	if (a == CTL_MSG)
		return (ctl_msg(b, ac, av, p, as));
	if (a == CTL_KICK || a == CTL_SHUTDOWN) {
		log_info("control: %s by uid %u", av[0], p->uid);
		if (a == CTL_KICK)
			ctl_kick(b, ac, av);
		else
			ctl_shutdown(b, ac, av, base);
		return (CTL_R_OK);
	}
	if (ac != 1) {
		cmd_printf(b, "*ERR bad arguments: %s takes none\n", av[0]);
		return (CTL_R_OK);
	}
	if (a == CTL_HELP) {
		ctl_format_help(b, &ctl_acl, p, (uint32_t)geteuid());
		return (CTL_R_OK);
	}
	if (a == CTL_REREAD) {
		log_info("control: reread by uid %u", p->uid);
		mux_reread();
		cmd_printf(b, "*OK reread\n");
		return (CTL_R_OK);
	}
	if ((w = calloc((size_t)pool_nslots() + 1, sizeof(*w))) == NULL) {
		cmd_printf(b, "*ERR out of memory\n");
		return (CTL_R_OK);
	}
	pool_view(&v, w);
	if (a == CTL_STATUS) {
		notify_stats(&ns);
		msgq_stats(&mq);
		mq.delivered = pool_msg_delivered();
		svc_msg_stats(&mq.undelivered, &mq.lost);
		intake_stats(&in);
		in.live = svc_count();
		ctl_format_status(b, &v, &ns, ctl_shut_view(&sh) == 0 ? &sh :
		    NULL, ctl_engine ? &mq : NULL, svc_listeners() ? &in : NULL);
	} else
		ctl_who(b, &v);
	free(w);
	return (CTL_R_OK);
}
