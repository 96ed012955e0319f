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
 * Intake of service sessions (DESIGN §6): the tcprules verdict, then
 * the banner phase, before a session costs a worker.  A client waiting
 * in the banner phase is one small record and one event in the mux's
 * loop: sleeps are timers, early talk is seen with MSG_PEEK, so its
 * bytes stay in the socket for the handler.
 */

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/dns.h>
#include <event2/event.h>

#include "mux.h"
#include "vars.h"

#define INTAKE_VARS_MAX	WS_LINE_MAX	/* the variables' block */

enum { IN_DNS, IN_PRE, IN_POST };

struct intake_wait {
	struct svc_sess	*s;
	int		 fd;
	int		 phase;
	int		 post;		/* s, BANNERPOSTSLEEP */
	struct event	*ev;
	size_t		 len;
	char		*vars;		/* NAME=VALUE\0..., exactly len */
};

static struct {
	struct event_base	*base;
	struct conf		*conf;
	struct rules		 rules;
	struct intake_stats	 st;
	char			 me[256];
} I;

/* Rules open at start and again on reread; a bad set keeps the old. */
int
intake_rules(const struct conf *c, char *err, size_t sz)
{
	struct rules	nr;

	if (rules_open(&nr, c->rules, c->nrules, err, sz) == -1)
		return (-1);
	rules_close(&I.rules);
	I.rules = nr;
	return (0);
}

void
intake_init(struct event_base *base, struct conf *c)
{
	I.base = base;
	I.conf = c;
	if (gethostname(I.me, sizeof(I.me)) == -1)
		snprintf(I.me, sizeof(I.me), "localhost");
	I.me[sizeof(I.me) - 1] = '\0';
}

void
intake_stats(struct intake_stats *st)
{
	*st = I.st;
	st->denied = outcome_get(OUT_RULES, 1);
	st->impatient = outcome_get(OUT_EARLY_TALKER, 1);
	st->hangups = outcome_get(OUT_BANNER_HANGUP, 1);
}

static int
intake_secs(const char *vars, size_t len, const char *name, int dflt)
{
	const char	*v = vars_get(vars, len, name);
	char		*end;
	long		 n;

	if (v == NULL)
		return (dflt);
	n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || n < 0 || n > 86400)
		return (dflt);
	return ((int)n);
}

struct intake_look {
	const char	*vars;
	size_t		 len;
	char		 buf[256];
};

/* $VAR in a banner: the session's variables, then the built-ins. */
static const char *
intake_lookup(const char *name, void *arg)
{
	struct intake_look	*l = arg;
	const char		*v;

	if ((v = vars_get(l->vars, l->len, name)) != NULL)
		return (v);
	return (banner_builtin(name, I.conf->banner_me ? I.conf->banner_me :
	    I.me, vars_get(l->vars, l->len, "DATEFMT") ?
	    vars_get(l->vars, l->len, "DATEFMT") : I.conf->banner_datefmt,
	    time(NULL), l->buf, sizeof(l->buf)));
}

/* A BANNERFILE, whole, or -1 (missing, unreadable, over the cap). */
static ssize_t
intake_file(const char *path, char *buf, size_t sz)
{
	ssize_t	n;
	size_t	got = 0;
	int	fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		log_warn("BANNERFILE %s", path);
		return (-1);
	}
	while (got < sz && (n = read(fd, buf + got, sz - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (got == sz) {
		log_warnx("BANNERFILE %s: over %zu bytes: no banner", path,
		    sz - 1);
		return (-1);
	}
	return ((ssize_t)got);
}

/* The banner's text (BANNER wins over BANNERFILE), or -1 for none. */
static ssize_t
intake_text(struct intake_wait *w, char *buf, size_t sz)
{
	const char	*t, *f;

	t = vars_get(w->vars, w->len, "BANNER");
	f = vars_get(w->vars, w->len, "BANNERFILE");
	if (t == NULL && f == NULL) {
		t = I.conf->banner;
		f = I.conf->banner_file;
	}
	if (t != NULL) {
		snprintf(buf, sz, "%s", t);
		return ((ssize_t)strlen(buf));
	}
	if (f != NULL)
		return (intake_file(f, buf, sz));
	return (-1);
}

/* Expand, frame and send the banner; what the socket does not take is lost. */
static void
intake_banner(struct intake_wait *w)
{
	struct intake_look	 l = { w->vars, w->len, { 0 } };
	char			 raw[BANNER_MAX + 1], exp[BANNER_MAX + 1];
	char			 out[2 * BANNER_MAX + 64];
	ssize_t			 n;
	size_t			 e, f;

	if ((n = intake_text(w, raw, sizeof(raw))) <= 0)
		return;
	e = banner_expand(raw, (size_t)n, exp, sizeof(exp), intake_lookup, &l);
	if ((f = banner_frame(exp, e, out, sizeof(out))) == 0)
		return;
	if ((n = send(w->fd, out, f, MSG_DONTWAIT | MSG_NOSIGNAL)) !=
	    (ssize_t)f)
		log_rl_info(LOG_RL_BANNER_CUT, "session %u: banner cut at %zd "
		    "of %zu bytes", w->s->token, n, f);
}

/* A client held by the intake: its record and its variables. */
static struct intake_wait *
intake_new(int fd, struct svc_sess *s, const char *vars, size_t len)
{
	struct intake_wait	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->vars = malloc(len)) == NULL) {
		free(w);
		log_warn("intake");
		return (NULL);
	}
	I.st.waiting++;
	w->s = s;
	w->fd = fd;
	w->len = len;
	memcpy(w->vars, vars, len);
	return (w);
}

static void
intake_free(struct intake_wait *w)
{
	if (w->ev != NULL)
		event_free(w->ev);
	free(w->vars);
	free(w);
	I.st.waiting--;
}

/* Done with the banner phase: the session goes to the pool. */
static void
intake_done(struct intake_wait *w)
{
	svc_hold(w->s, "intake", NULL, NULL);
	wait_session(w->fd, w->s, w->vars, w->len);
	w->fd = -1;
	intake_free(w);
}

static void
intake_drop(struct intake_wait *w)
{
	close(w->fd);
	svc_end(w->s);
	intake_free(w);
}

/* kick, in the banner phase. */
static void
intake_cut(void *arg)
{
	intake_drop(arg);
}

/* An early talker: its BANNERxxx exported as xxx (banner_early_name). */
static void
intake_impatient(struct intake_wait *w)
{
	char			 b[INTAKE_VARS_MAX], *nv;
	size_t			 off = 0, len = w->len, x;
	struct vars_ent		 e;

	memcpy(b, w->vars, w->len);
	while (vars_next(w->vars, w->len, &off, &e)) {
		if ((x = banner_early_name(e.name, e.nlen)) == 0)
			continue;
		if (vars_put(b, sizeof(b), &len, e.name + 6, x, e.value) == -1)
			log_rl_warnx(LOG_RL_RULE_VARS, "session %u: no room "
			    "for %.*s", w->s->token, (int)x, e.name + 6);
	}
	if (len != w->len && (nv = realloc(w->vars, len)) != NULL) {
		memcpy(nv, b, len);
		w->vars = nv;
		w->len = len;
	}
}

static void
intake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct intake_wait	*w = arg;
	struct timeval		 tv = { 0, 0 };
	char			 c;
	ssize_t			 n;

	if (what & EV_READ) {
		n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n == -1) {
			outcome_count(OUT_BANNER_HANGUP, 1);
			log_rl_info(LOG_RL_BANNER_RESET, "session %u from %s: "
			    "reset during the banner: %s", w->s->token,
			    w->s->host, strerror(errno));
			intake_drop(w);
			return;
		}
		/*
		 * End of file is impatience too, as qmail-banner and
		 * mux-banner take it: a client that sent its commands and
		 * shut its side down still reads the replies.
		 */
		outcome_count(n == 0 ? OUT_BANNER_HANGUP : OUT_EARLY_TALKER,
		    1);
		log_rl_info(LOG_RL_EARLY_TALKER, "session %u from %s: early "
		    "talker: %s before the banner was done (%s)", w->s->token,
		    w->s->host, n == 0 ? "end of file" : "data",
		    I.conf->banner_drop ? "dropped" : "tagged");
		if (I.conf->banner_drop) {
			intake_drop(w);
			return;
		}
		intake_impatient(w);
		intake_done(w);
		return;
	}
	if (w->phase == IN_PRE) {
		intake_banner(w);
		w->phase = IN_POST;
		if (w->post > 0) {
			tv.tv_sec = w->post;
			event_add(w->ev, &tv);
			return;
		}
	}
	intake_done(w);
}

/* Whether this client skips the banner phase (BannerExempt). */
static int
intake_exempt(const struct svc_sess *s)
{
	const struct banner_exempt	*e;
	int				 i;

	for (i = 0; i < I.conf->nbex; i++) {
		e = &I.conf->bex[i];
		if (e->listen != NULL && (s->listener >= I.conf->nlisten ||
		    strcmp(e->listen, I.conf->listen[s->listener]) != 0))
			continue;
		if (strcmp(class_of(&e->nets, s->addr), "default") != 0)
			return (1);
	}
	return (0);
}

/*
 * Rules (host: the client's name, or NULL), then the banner phase or
 * straight to the pool.  vars holds the session's variables so far (len
 * bytes, in a buffer of INTAKE_VARS_MAX).
 */
static void
intake_continue(int fd, struct svc_sess *s, const char *host, char *vars,
    size_t len)
{
	struct rules_res	*r;
	struct intake_wait	*w;
	struct timeval		 tv = { 0, 0 };
	const char		*cls, *eq;
	int			 i, pre;

	if (host != NULL)
		(void)vars_put(vars, INTAKE_VARS_MAX, &len, "TCPREMOTEHOST",
		    13, host);
	if (I.rules.n > 0 && (r = calloc(1, sizeof(*r))) != NULL) {
		rules_lookup(&I.rules, s->host, host, r);
		if (r->matched && r->deny) {
			outcome_count(OUT_RULES, 1);
			log_rl_info(LOG_RL_RULE_DENIED, "session from %s "
			    "denied by rule \"%s\"", s->host, r->key);
			if (I.conf->deny_reply != NULL) {
				(void)dprintf(fd, "%s\r\n", I.conf->deny_reply);
				(void)shutdown(fd, SHUT_WR);
			}
			close(fd);
			svc_end(s);
			free(r);
			return;
		}
		if ((cls = rules_var(r, "CLASS")) != NULL && *cls != '\0')
			snprintf(s->cls, sizeof(s->cls), "%s", cls);
		for (i = 0; i < r->nvars; i++)
			if ((eq = strchr(r->vars[i], '=')) != NULL &&
			    vars_put(vars, INTAKE_VARS_MAX, &len, r->vars[i],
			    (size_t)(eq - r->vars[i]), eq + 1) == -1)
				log_rl_warnx(LOG_RL_RULE_VARS, "session from "
				    "%s: rule variables over %d bytes", s->host,
				    INTAKE_VARS_MAX);
		free(r);
	}
	(void)vars_put(vars, INTAKE_VARS_MAX, &len, "MUX_CLASS", 9, s->cls);
	pre = intake_secs(vars, len, "BANNERPRESLEEP", I.conf->banner_pre);
	if (intake_exempt(s) || (pre == 0 && vars_get(vars, len,
	    "BANNER") == NULL && vars_get(vars, len, "BANNERFILE") == NULL &&
	    I.conf->banner == NULL && I.conf->banner_file == NULL &&
	    intake_secs(vars, len, "BANNERPOSTSLEEP",
	    I.conf->banner_post) == 0)) {
		wait_session(fd, s, vars, len);	/* no banner phase */
		return;
	}
	if ((w = intake_new(fd, s, vars, len)) == NULL) {
		wait_session(fd, s, vars, len);
		return;
	}
	w->post = intake_secs(vars, len, "BANNERPOSTSLEEP",
	    I.conf->banner_post);
	w->ev = event_new(I.base, fd, EV_READ | EV_PERSIST, intake_cb, w);
	if (w->ev == NULL) {
		intake_done(w);
		return;
	}
	w->phase = IN_PRE;
	tv.tv_sec = pre;	/* 0: the banner at the next loop round */
	event_add(w->ev, &tv);
	svc_hold(s, "banner", intake_cut, w);
}

/* The client's name came (or not): on with the rules. */
static void
intake_ptr_cb(int rv, char type, int count, int ttl, void *addrs,
    void *arg)
{
	struct intake_wait	*w = arg;
	char			 vars[INTAKE_VARS_MAX];
	const char		*host = NULL;
	size_t			 len = w->len;
	int			 fd = w->fd;
	struct svc_sess		*s = w->s;
	char			 name[256];

	(void)ttl;
	if (rv == DNS_ERR_NONE && type == DNS_PTR && count > 0 &&
	    ((char **)addrs)[0] != NULL) {
		snprintf(name, sizeof(name), "%s", ((char **)addrs)[0]);
		host = name;
	} else if (rv != DNS_ERR_NOTEXIST)
		log_rl_info(LOG_RL_NO_HOSTNAME, "session from %s: no host "
		    "name: %s", s->host, evdns_err_to_string(rv));
	memcpy(vars, w->vars, len);
	w->fd = -1;
	intake_free(w);
	if (s->kicked) {
		close(fd);
		svc_end(s);
		return;
	}
	intake_continue(fd, s, host, vars, len);
}

/*
 * A new session from svc.c.  With RulesReverseDNS a TCP client's name is
 * looked up first (asynchronously, for =HOST keys and TCPREMOTEHOST).
 */
void
intake_start(int fd, struct svc_sess *s, int family, char *vars,
    size_t len)
{
	struct intake_wait	*w;
	struct evdns_base	*dns;
	struct in_addr		 in4;
	struct in6_addr		 in6;
	struct evdns_request	*rq = NULL;
	static const uint8_t	 v4[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	if (I.rules.n == 0 || !I.conf->rules_rdns || family == AF_UNIX ||
	    (dns = dns_base()) == NULL ||
	    (w = intake_new(fd, s, vars, len)) == NULL) {
		intake_continue(fd, s, NULL, vars, len);
		return;
	}
	w->phase = IN_DNS;
	svc_hold(s, "lookup", NULL, NULL);
	if (memcmp(s->addr, v4, 12) == 0) {
		memcpy(&in4, s->addr + 12, 4);
		rq = evdns_base_resolve_reverse(dns, &in4, 0, intake_ptr_cb, w);
	} else {
		memcpy(&in6, s->addr, 16);
		rq = evdns_base_resolve_reverse_ipv6(dns, &in6, 0,
		    intake_ptr_cb, w);
	}
	if (rq == NULL) {
		w->fd = -1;
		intake_free(w);
		intake_continue(fd, s, NULL, vars, len);
	}
}
