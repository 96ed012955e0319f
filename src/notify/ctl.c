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
#include <sys/socket.h>

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

#include "notify.h"

#define CTL_ARGS_MAX	(NP_LINE_MAX / 2 + 1)	/* a word and a blank each */

static struct acl	 ctl_acl;
static int		 ctl_engine;	/* MessageEngine */
static void		(*ctl_reread)(void);	/* the daemon's reread */
static int		(*ctl_upgrade)(char *, size_t);	/* its upgrade */

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

/* What reread and upgrade run: the daemon's own, as on SIGINT, SIGUSR2. */
void
ctl_init(void (*reread)(void), int (*upgrade)(char *, size_t))
{
	ctl_reread = reread;
	ctl_upgrade = upgrade;
}

/*
 * Build the ACLs from the configuration (start-up and reread): whether
 * MessageEngine is on, the ControlsACLs and MessageControlsACLs lines.
 */
void
ctl_configure(int engine, const struct conf_acl *acls, int nacls,
    const struct conf_acl *macls, int nmacls)
{
	char	err[256];
	int	i;

	ctl_engine = engine;
	acl_free(&ctl_acl);
	for (i = 0; i < nacls; i++)
		if (acl_add(&ctl_acl, 0, 4, acls[i].av, ctl_resolve, NULL,
		    err, sizeof(err)) == -1)
			log_warnx("ControlsACLs line %d: %s", i + 1, err);
	for (i = 0; i < nmacls; i++)
		if (acl_add(&ctl_acl, 1, 4, macls[i].av, ctl_resolve, NULL,
		    err, sizeof(err)) == -1)
			log_warnx("MessageControlsACLs line %d: %s", i + 1, err);
}

_Static_assert(sizeof(gid_t) == sizeof(uint32_t), "gid_t is 32 bits");

/*
 * Who is on the other end of a UNIX socket, for the ACLs: uid and gid
 * from SO_PEERCRED, supplementary groups from SO_PEERGROUPS (no name
 * service lookup in the event loop) into *groups, for free().  -1: a
 * peer we cannot identify, to be refused.
 */
int
ctl_peer(int fd, struct acl_peer *p, uint32_t **groups)
{
	struct ucred	 uc;
	socklen_t	 len = sizeof(uc);
	gid_t		*g = NULL;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1) {
		log_warn("listener: SO_PEERCRED");
		return (-1);
	}
	len = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, NULL, &len) == -1 &&
	    errno == ERANGE && len > 0) {
		if ((g = malloc(len)) == NULL ||
		    getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) == -1) {
			log_warn("listener: SO_PEERGROUPS");
			free(g);
			return (-1);
		}
	} else
		len = 0;
	*groups = (uint32_t *)g;
	p->uid = (uint32_t)uc.uid;
	p->gid = (uint32_t)uc.gid;
	p->groups = *groups;
	p->ngroups = len / sizeof(gid_t);
	return (0);
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
			cmd_buf_move(b, &pd->b);
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

/*
 * Run one action line for a peer (NULL: a TCP peer).  The reply goes to
 * b; returns CTL_R_OK, CTL_R_UNKNOWN or CTL_R_DENIED for the counters.
 */
int
ctl_run(const char *line, size_t len, const struct acl_peer *p,
    struct cmd_buf *b, struct event_base *base, struct ctl_async *as)
{
	char	buf[NP_LINE_MAX + 1], *av[CTL_ARGS_MAX];
	int	ac;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	memcpy(buf, line, len);
	buf[len] = '\0';
	if ((ac = conf_split(buf, av, CTL_ARGS_MAX, 0)) <= 0) {
		cmd_printf(b, "*ERR unknown command\n");
		return (CTL_R_UNKNOWN);
	}
	return (ctl_run_argv(ac, av, p, b, base, as));
}

/* The same, split already: ProFTPD's Controls requests (ctrls.c). */
int
ctl_run_argv(int ac, char **av, const struct acl_peer *p, struct cmd_buf *b,
    struct event_base *base, struct ctl_async *as)
{
	struct ctl_status	 st;
	char			 out[NP_LINE_MAX + 1];
	int			 a;

	if ((a = ctl_action_lookup(av[0])) == -1) {
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
		ctl_reread();
		cmd_printf(b, "*OK reread\n");
		return (CTL_R_OK);
	}
	if (a == CTL_UPGRADE) {
		log_info("control: upgrade by uid %u", p->uid);
		if (ctl_upgrade == NULL)
			cmd_printf(b, "*ERR upgrade: not in this program\n");
		else if (ctl_upgrade(out, sizeof(out)) == -1)
			cmd_printf(b, "*ERR upgrade: %s\n", out);
		else
			cmd_printf(b, "*OK upgrade: %s\n", out);
		return (CTL_R_OK);
	}
	if (ctl_status_gather(&st) == -1) {
		cmd_printf(b, "*ERR out of memory\n");
		return (CTL_R_OK);
	}
	if (a == CTL_STATUS)
		ctl_format_status(b, &st);
	else
		ctl_who(b, &st.v);
	ctl_status_free(&st);
	return (CTL_R_OK);
}

/*
 * What status shows, gathered once for status and the metrics; -1 when
 * out of memory.  ctl_status_free() frees the slots' view.
 */
int
ctl_status_gather(struct ctl_status *st)
{
	struct cmd_worker	*w;
	int			 k;

	memset(st, 0, sizeof(*st));
	if ((w = calloc((size_t)pool_nslots() + 1, sizeof(*w))) == NULL)
		return (-1);
	pool_view(&st->v, w);
	st->w_ = w;
	notify_stats(&st->ns);
	if (ctl_shut_view(&st->sh_) == 0)
		st->sh = &st->sh_;
	if (ctl_engine) {
		msgq_stats(&st->mq_);
		st->mq_.delivered = pool_msg_delivered();
		svc_msg_stats(&st->mq_.undelivered, &st->mq_.lost);
		st->mq = &st->mq_;
	}
	if (svc_listeners()) {
		intake_stats(&st->in_);
		st->in_.live = svc_count();
		st->in = &st->in_;
	}
	st->rl = log_rl_all();
	for (k = 0; k < OUT_N; k++) {
		st->refused_req[k] = outcome_get(k, 0);
		st->refused_sess[k] = outcome_get(k, 1);
	}
	st->sessions_served = pool_sessions_served();
	return (0);
}

void
ctl_status_free(struct ctl_status *st)
{
	free(st->w_);
	st->w_ = NULL;
	st->v.w = NULL;
}
