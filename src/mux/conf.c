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
 * Options and the configuration file.  Every option has a directive of
 * the same meaning ("MaxWorkers 8" is "-x 8"); options given on the
 * command line win over the file.  Pure: no libevent, no globals.
 */

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mux.h"
#include "acl.h"

/* CT_COUNT: a number the file sets and the command line counts (-dd). */
enum { CT_INT, CT_BOOL, CT_STR, CT_COUNT };

/* getopt_long values of the long options that have a directive. */
#define CONF_L_EXEC	256
#define CONF_L_STIMEOUT	257
#define CONF_L_LISTEN	258
#define CONF_L_RULES	259
#define CONF_L_PIN	260

/*
 * What a reread does with a directive: takes it (conf_take), warns
 * that it changes only on restart, or leaves it to the subsystem that
 * owns it (the MessageLog is reopened, and may fail).
 */
enum { CW_LIVE, CW_RESTART, CW_OWNER };

/*
 * The one table of options and directives: the file's parser, getopt's
 * option string and long options, the reread and the man-page check all
 * read it.  A letter of mimedefang-multiplexor(8) keeps its meaning
 * there.
 */
struct conf_opt {
	const char	*name;
	int		 letter;
	const char	*lname;		/* long option, or NULL */
	int		 type;
	size_t		 off;
	int		 min;
	int		 max;
	int		 when;		/* CW_* */
};

#define O(f)	offsetof(struct conf, f)
static const struct conf_opt conf_opts[] = {
	{ "MinWorkers",	'm', NULL, CT_INT, O(min_workers), 0, 4096, CW_LIVE },
	{ "MaxWorkers",	'x', NULL, CT_INT, O(max_workers), 1, 4096,
	    CW_RESTART },
	{ "MaxRequests", 'r', NULL, CT_INT, O(max_requests), 1, INT_MAX,
	    CW_LIVE },
	{ "MaxLifetime", 'V', NULL, CT_INT, O(max_lifetime), INT_MIN, INT_MAX,
	    CW_LIVE },
	{ "IdleTimeout", 'i', NULL, CT_INT, O(idle_timeout), 1, 86400,
	    CW_LIVE },
	{ "BusyTimeout", 'b', NULL, CT_INT, O(busy_timeout), 1, 86400,
	    CW_LIVE },
	{ "ClientTimeout", 'c', NULL, CT_INT, O(client_timeout), 1, 3600,
	    CW_LIVE },
	{ "WorkerDelay", 'w', NULL, CT_INT, O(slew), 1, 3600, CW_LIVE },
	{ "MinWorkerDelay", 'W', NULL, CT_INT, O(min_slew), 0, 3600, CW_LIVE },
	{ "QueueSize",	'q', NULL, CT_INT, O(queue_size), 0, 65536,
	    CW_RESTART },
	{ "QueueTimeout", 'Q', NULL, CT_INT, O(queue_timeout), 1, 600,
	    CW_LIVE },
	{ "ListenBacklog", 'I', NULL, CT_INT, O(backlog), 5, 65535,
	    CW_RESTART },
	{ "Foreground",	'D', NULL, CT_BOOL, O(foreground), 0, 1, CW_RESTART },
	{ "Syslog",	'l', NULL, CT_BOOL, O(syslog), 0, 1, CW_RESTART },
	{ "StatusTags",	'Z', NULL, CT_BOOL, O(status_fd), 0, 1, CW_LIVE },
	{ "Debug",	'd', NULL, CT_COUNT, O(debug), 0, 3, CW_LIVE },
	{ "User",	'U', NULL, CT_STR, O(user), 0, 0, CW_RESTART },
	{ "PidFile",	'p', NULL, CT_STR, O(pidfile), 0, 0, CW_RESTART },
	{ "LockFile",	'o', NULL, CT_STR, O(lockfile), 0, 0, CW_RESTART },
	{ "SpoolDir",	'z', NULL, CT_STR, O(spool_dir), 0, 0, CW_RESTART },
	{ "Socket",	's', NULL, CT_STR, O(sock), 0, 0, CW_RESTART },
	{ "UnprivSocket", 'a', NULL, CT_STR, O(usock), 0, 0, CW_RESTART },
	{ "GroupAccess", 'G', NULL, CT_BOOL, O(group_access), 0, 1,
	    CW_RESTART },
	{ "Program",	'f', NULL, CT_STR, O(prog), 0, 0, CW_LIVE },
	{ "FilterRules", 'F', NULL, CT_STR, O(subfilter), 0, 0, CW_LIVE },
	{ "EmbedPerl",	'E', NULL, CT_BOOL, O(embed_perl), 0, 1, CW_RESTART },
	{ "MaxRSS",	'R', NULL, CT_INT, O(max_rss), 0, INT_MAX, CW_LIVE },
	{ "MaxAS",	'M', NULL, CT_INT, O(max_as), 0, INT_MAX, CW_LIVE },
	{ "SyslogFacility", 'S', NULL, CT_STR, O(facility), 0, 0, CW_RESTART },
	{ "SyslogLabel", 'Y', NULL, CT_STR, O(ident), 0, 0, CW_RESTART },
	{ "LogStatusInterval", 'L', NULL, CT_INT, O(status_every), 0, 86400,
	    CW_LIVE },
	{ "RecipokPerDomainLimit", 'y', NULL, CT_INT, O(recipok_limit),
	    INT_MIN, INT_MAX, CW_LIVE },
	{ "TickInterval", 'X', NULL, CT_INT, O(tick_every), 0, 86400,
	    CW_LIVE },
	{ "TickParallel", 'P', NULL, CT_INT, O(tick_parallel), INT_MIN,
	    INT_MAX, CW_LIVE },
	{ "StatsFile",	't', NULL, CT_STR, O(stats_file), 0, 0, CW_RESTART },
	{ "StatsSyslog", 'T', NULL, CT_BOOL, O(stats_syslog), 0, 1,
	    CW_RESTART },
	{ "StatsFlush",	'u', NULL, CT_BOOL, O(stats_flush), 0, 1, CW_RESTART },
	{ "MapSocket",	'N', NULL, CT_STR, O(map_sock), 0, 0, CW_RESTART },
	{ "MaxListeners", 0, NULL, CT_INT, O(max_listeners), 1, 100000,
	    CW_RESTART },
	{ "MessageEngine", 0, NULL, CT_BOOL, O(msg_engine), 0, 1, CW_RESTART },
	{ "MessageQueue", 0, NULL, CT_STR, O(msg_queue), 0, 0, CW_RESTART },
	{ "MessageLog",	0, NULL, CT_STR, O(msg_log), 0, 0, CW_OWNER },
	{ "AllowLogSymlinks", 0, NULL, CT_BOOL, O(log_symlinks), 0, 1,
	    CW_OWNER },
	{ "RelayAddresses", 0, NULL, CT_BOOL, O(relay_addrs), 0, 1, CW_LIVE },
	{ "MessageSkipCommands", 0, NULL, CT_STR, O(msg_skip), 0, 0, CW_LIVE },
	{ "Exec",	CONF_L_EXEC, "exec", CT_BOOL, O(exec), 0, 1,
	    CW_RESTART },
	{ "PinWorkers",	CONF_L_PIN, "pin-workers", CT_BOOL, O(pin_workers), 0,
	    1, CW_LIVE },
	{ "SessionTimeout", CONF_L_STIMEOUT, "session-timeout", CT_INT,
	    O(session_timeout), 0, 86400, CW_LIVE },
	{ "MaxClientsPerHost", 0, NULL, CT_INT, O(max_per_host), 0, 1000000,
	    CW_LIVE },
	{ "MaxClientsPerUser", 0, NULL, CT_INT, O(max_per_user), 0, 1000000,
	    CW_LIVE },
	{ "BusyReply",	0, NULL, CT_STR, O(busy_reply), 0, 0, CW_LIVE },
	{ "RulesDenyReply", 0, NULL, CT_STR, O(deny_reply), 0, 0, CW_LIVE },
	{ "Banner",	0, NULL, CT_STR, O(banner), 0, 0, CW_LIVE },
	{ "BannerFile",	0, NULL, CT_STR, O(banner_file), 0, 0, CW_LIVE },
	{ "BannerPreSleep", 0, NULL, CT_INT, O(banner_pre), 0, 86400,
	    CW_LIVE },
	{ "BannerPostSleep", 0, NULL, CT_INT, O(banner_post), 0, 86400,
	    CW_LIVE },
	{ "BannerImpatientAction", 0, NULL, CT_STR, O(banner_action), 0, 0,
	    CW_LIVE },
	{ "BannerMe",	0, NULL, CT_STR, O(banner_me), 0, 0, CW_LIVE },
	{ "BannerDateFormat", 0, NULL, CT_STR, O(banner_datefmt), 0, 0,
	    CW_LIVE },
	{ "RulesReverseDNS", 0, NULL, CT_BOOL, O(rules_rdns), 0, 1, CW_LIVE },
	{ "ResolvConf",	0, NULL, CT_STR, O(resolv_conf), 0, 0, CW_RESTART },
};
#undef O
#define CONF_NOPTS	(sizeof(conf_opts) / sizeof(conf_opts[0]))
#define CONF_CMD_BIT	(CONF_NOPTS)
#define CONF_NOTIFY_BIT	(CONF_NOPTS + 1)
#define CONF_LISTEN_BIT	(CONF_NOPTS + 2)
#define CONF_RULES_BIT	(CONF_NOPTS + 3)
_Static_assert(CONF_NOPTS + 4 <= CONF_SET_MAX, "raise CONF_SET_MAX");

/*
 * Reread: take from nc every CW_LIVE directive (strings are swapped,
 * so conf_free(nc) frees the old ones) and name in restart, comma
 * separated, the CW_RESTART ones that would change.
 */
void
conf_take(struct conf *c, struct conf *nc, char *restart, size_t sz)
{
	const struct conf_opt	*o;
	size_t			 i;
	char			*a, *b, *s;
	int			 same;

	*restart = '\0';
	for (i = 0; i < CONF_NOPTS; i++) {
		o = &conf_opts[i];
		a = (char *)c + o->off;
		b = (char *)nc + o->off;
		if (o->type != CT_STR)
			same = *(int *)a == *(int *)b;
		else if (*(char **)a == NULL || *(char **)b == NULL)
			same = *(char **)a == *(char **)b;
		else
			same = strcmp(*(char **)a, *(char **)b) == 0;
		if (o->when == CW_RESTART && !same)
			snprintf(restart + strlen(restart), sz - strlen(restart),
			    "%s%s", *restart ? ", " : "", o->name);
		if (o->when != CW_LIVE || same)
			continue;
		if (o->type != CT_STR)
			*(int *)a = *(int *)b;
		else {
			s = *(char **)a;
			*(char **)a = *(char **)b;
			*(char **)b = s;
		}
	}
}

/* Was this given on the command line? */
static int
conf_isset(const struct conf *c, size_t bit)
{
	return ((c->set[bit / 8] >> (bit % 8)) & 1);
}

static void
conf_mark(struct conf *c, size_t bit)
{
	c->set[bit / 8] |= (uint8_t)(1 << (bit % 8));
}

void
conf_init(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->min_workers = 1;
	c->max_workers = 2;
	c->relay_addrs = 1;
	c->max_requests = 500;
	c->idle_timeout = 300;
	c->busy_timeout = 120;
	c->client_timeout = 10;
	c->slew = 3;
	c->queue_timeout = 30;
	c->backlog = 1024;
	c->max_listeners = 1024;
	c->session_timeout = 600;
	c->tick_parallel = 1;
}

static void
conf_free_cmd(struct conf *c)
{
	char	**p;

	if (c->cmd == NULL)
		return;
	for (p = c->cmd; *p != NULL; p++)
		free(*p);
	free(c->cmd);
	c->cmd = NULL;
}

static void
conf_free_specs(char ***vp, int *np)
{
	int	k;

	for (k = 0; k < *np; k++)
		free((*vp)[k]);
	free(*vp);
	*vp = NULL;
	*np = 0;
}

static void	conf_free_exempt(struct conf *);

void
conf_free(struct conf *c)
{
	size_t	i;
	int	k;

	class_free(&c->classes);
	for (k = 0; k < c->nacls; k++)
		for (i = 0; i < 4; i++)
			free(c->acls[k].av[i]);
	free(c->acls);
	c->acls = NULL;
	c->nacls = 0;
	conf_free_specs(&c->notify, &c->nnotify);
	conf_free_specs(&c->listen, &c->nlisten);
	conf_free_specs(&c->rules, &c->nrules);
	conf_free_exempt(c);
	for (i = 0; i < CONF_NOPTS; i++)
		if (conf_opts[i].type == CT_STR) {
			free(*(char **)((char *)c + conf_opts[i].off));
			*(char **)((char *)c + conf_opts[i].off) = NULL;
		}
	free(c->config);
	c->config = NULL;
	conf_free_cmd(c);
}

static const struct conf_opt *
conf_opt_by_letter(int letter)
{
	size_t	i;

	for (i = 0; i < CONF_NOPTS; i++)
		if (conf_opts[i].letter == letter)
			return (&conf_opts[i]);
	return (NULL);
}


static int
conf_bool(const char *v, int *out)
{
	static const char *yes[] = { "on", "yes", "true", "1" };
	static const char *no[] = { "off", "no", "false", "0" };
	size_t	i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return (*out = 1, 0);
		if (strcasecmp(v, no[i]) == 0)
			return (*out = 0, 0);
	}
	return (-1);
}

static int
conf_int(const struct conf_opt *o, const char *v, int *out, char *err)
{
	char	*end;
	long	 l;

	errno = 0;
	l = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0) {
		snprintf(err, CONF_ERR_MAX, "%s: \"%s\" is not a number",
		    o->name, v);
		return (-1);
	}
	if (l < o->min || l > o->max) {
		snprintf(err, CONF_ERR_MAX, "%s: %ld is out of range "
		    "(%d to %d)", o->name, l, o->min, o->max);
		return (-1);
	}
	*out = (int)l;
	return (0);
}

/*
 * Set a directive by name.  from_cli marks it as given on the command
 * line; the file then leaves it alone.
 */
int
conf_set(struct conf *c, const char *name, const char *val, int from_cli,
    char *err)
{
	const struct conf_opt	*o = NULL;
	size_t			 i;
	void			*p;
	char			*s;
	int			 v, keep;

	for (i = 0; i < CONF_NOPTS; i++)
		if (strcasecmp(conf_opts[i].name, name) == 0) {
			o = &conf_opts[i];
			break;
		}
	if (o == NULL) {
		snprintf(err, CONF_ERR_MAX, "unknown directive \"%.64s\"",
		    name);
		return (-1);
	}
	/* Checked even when the command line overrides it. */
	keep = !from_cli && conf_isset(c, i);
	p = (char *)c + o->off;
	switch (o->type) {
	case CT_INT:
	case CT_COUNT:
		if (conf_int(o, val, &v, err) == -1)
			return (-1);
		if (!keep)
			*(int *)p = v;
		break;
	case CT_BOOL:
		if (conf_bool(val, &v) == -1) {
			snprintf(err, CONF_ERR_MAX, "%s: expected on or off, "
			    "not \"%.64s\"", o->name, val);
			return (-1);
		}
		if (!keep)
			*(int *)p = v;
		break;
	default:
		if (*val == '\0') {
			snprintf(err, CONF_ERR_MAX, "%s: empty value",
			    o->name);
			return (-1);
		}
		if (keep)
			break;
		if ((s = strdup(val)) == NULL) {
			snprintf(err, CONF_ERR_MAX, "out of memory");
			return (-1);
		}
		free(*(char **)p);
		*(char **)p = s;
		break;
	}
	if (from_cli)
		conf_mark(c, i);
	return (0);
}

/* The handler command: "-- PROG ARGS..." or "Command PROG ARGS...". */
int
conf_set_cmd(struct conf *c, char *const *argv, int argc, char *err)
{
	int	i;

	if (argc < 1) {
		snprintf(err, CONF_ERR_MAX, "Command: no program given");
		return (-1);
	}
	conf_free_cmd(c);
	if ((c->cmd = calloc((size_t)argc + 1, sizeof(char *))) == NULL)
		goto oom;
	for (i = 0; i < argc; i++)
		if ((c->cmd[i] = strdup(argv[i])) == NULL)
			goto oom;
	return (0);
oom:
	snprintf(err, CONF_ERR_MAX, "out of memory");
	return (-1);
}

/*
 * -O/NotifySocket and --listen/Listen add up; given on the command line,
 * they replace the file's.
 */
static int
conf_add_spec(char ***vp, int *np, const char *name, const char *spec,
    char *err)
{
	char	**v;

	if (*np >= 64) {
		snprintf(err, CONF_ERR_MAX, "%s: at most 64", name);
		return (-1);
	}
	if ((v = reallocarray(*vp, (size_t)*np + 1, sizeof(*v))) == NULL ||
	    (v[*np] = strdup(spec)) == NULL) {
		if (v != NULL)
			*vp = v;
		snprintf(err, CONF_ERR_MAX, "out of memory");
		return (-1);
	}
	*vp = v;
	(*np)++;
	return (0);
}

static void
conf_free_exempt(struct conf *c)
{
	int	i;

	for (i = 0; i < c->nbex; i++) {
		free(c->bex[i].listen);
		class_free(&c->bex[i].nets);
	}
	free(c->bex);
	c->bex = NULL;
	c->nbex = 0;
}

/* BannerExempt [listen=SPEC] NETWORK...: lines add up. */
static int
conf_add_exempt(struct conf *c, int ac, char **av, char *err)
{
	struct banner_exempt	*v, *e;

	if (c->nbex >= 256 || (v = reallocarray(c->bex, (size_t)c->nbex + 1,
	    sizeof(*v))) == NULL) {
		snprintf(err, CONF_ERR_MAX, "BannerExempt: too many lines");
		return (-1);
	}
	c->bex = v;
	e = &v[c->nbex];
	memset(e, 0, sizeof(*e));
	if (ac > 0 && strncmp(av[0], "listen=", 7) == 0) {
		if ((e->listen = strdup(av[0] + 7)) == NULL) {
			snprintf(err, CONF_ERR_MAX, "out of memory");
			return (-1);
		}
		ac--;
		av++;
	}
	if (ac == 0 || class_add(&e->nets, "exempt", ac, av, err,
	    CONF_ERR_MAX) == -1) {
		if (ac == 0)
			snprintf(err, CONF_ERR_MAX, "BannerExempt: no network");
		free(e->listen);
		class_free(&e->nets);
		return (-1);
	}
	c->nbex++;
	return (0);
}

/* ControlsACLs and MessageControlsACLs lines add up (acl.c). */
static int
conf_add_acl(struct conf *c, int msg, int ac, char **av, char *err)
{
	struct conf_acl	*v;
	int		 i;

	if (acl_syntax(msg, ac, av, err, CONF_ERR_MAX) == -1)
		return (-1);
	if (c->nacls >= 1024 || (v = reallocarray(c->acls,
	    (size_t)c->nacls + 1, sizeof(*v))) == NULL) {
		snprintf(err, CONF_ERR_MAX, "too many ACL lines");
		return (-1);
	}
	c->acls = v;
	v = &c->acls[c->nacls];
	v->msg = msg;
	for (i = 0; i < 4; i++)
		if ((v->av[i] = strdup(av[i])) == NULL) {
			while (i-- > 0)
				free(v->av[i]);
			snprintf(err, CONF_ERR_MAX, "out of memory");
			return (-1);
		}
	c->nacls++;
	return (0);
}

/* Words joined by one blank; -1 if empty or longer than sz allows. */
int
conf_join(char *dst, size_t sz, int ac, char *const *av)
{
	size_t	n = 0, l;
	int	i;

	for (i = 0; i < ac; i++) {
		l = strlen(av[i]);
		if (n + l + (i > 0) >= sz)
			return (-1);
		if (i > 0)
			dst[n++] = ' ';
		memcpy(dst + n, av[i], l);
		n += l;
	}
	dst[n] = '\0';
	return (n > 0 ? 0 : -1);
}

/* A directive whose value is several words: one blank between them. */
static int
conf_set_words(struct conf *c, const char *name, int ac, char **av,
    char *err)
{
	char	buf[1024];

	if (conf_join(buf, sizeof(buf), ac, av) == -1) {
		snprintf(err, CONF_ERR_MAX, "%s: too long", name);
		return (-1);
	}
	return (conf_set(c, name, buf, 0, err));
}

/*
 * Split on blanks into at most max words; the count, or -1.  With
 * quotes, "double quotes" group (directives); control lines take their
 * quotes as text.
 */
int
conf_split(char *s, char **av, int max, int quotes)
{
	int	n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			return (n);
		if (n == max)
			return (-1);
		if (quotes && *s == '"') {
			av[n++] = ++s;
			while (*s != '\0' && *s != '"')
				s++;
			if (*s != '"')
				return (-1);
		} else {
			av[n++] = s;
			while (*s != '\0' && *s != ' ' && *s != '\t')
				s++;
		}
		if (*s == '\0')
			return (n);
		*s++ = '\0';
	}
}

static int
conf_line(struct conf *c, char *line, int lineno, char *err)
{
	char	*av[64], msg[CONF_ERR_MAX], spec[512];
	int	 ac;

	if ((ac = conf_split(line, av, 64, 1)) == -1) {
		snprintf(err, CONF_ERR_MAX, "line %d: unbalanced quote or "
		    "too many arguments", lineno);
		return (-1);
	}
	if (ac == 0)
		return (0);
	if (strcasecmp(av[0], "NotifySocket") == 0 && ac == 2) {
		if (conf_isset(c, CONF_NOTIFY_BIT))
			return (0);
		if (conf_add_spec(&c->notify, &c->nnotify, av[0], av[1],
		    msg) == 0)
			return (0);
	} else if (strcasecmp(av[0], "Listen") == 0 && (ac == 2 || ac == 3)) {
		if (conf_isset(c, CONF_LISTEN_BIT))
			return (0);
		/* "Listen SPEC PROTO" is "--listen SPEC,PROTO". */
		if (ac == 3 && proto_by_name(av[2], strlen(av[2])) == -1)
			snprintf(msg, sizeof(msg), "Listen: unknown protocol "
			    "\"%.32s\"", av[2]);
		else {
			snprintf(spec, sizeof(spec), "%s%s%s", av[1],
			    ac == 3 ? "," : "", ac == 3 ? av[2] : "");
			if (conf_add_spec(&c->listen, &c->nlisten, av[0], spec,
			    msg) == 0)
				return (0);
		}
	} else if (strcasecmp(av[0], "Rules") == 0 && ac == 2) {
		if (conf_isset(c, CONF_RULES_BIT))
			return (0);
		if (conf_add_spec(&c->rules, &c->nrules, av[0], av[1],
		    msg) == 0)
			return (0);
	} else if (strcasecmp(av[0], "BannerExempt") == 0 && ac >= 2) {
		if (conf_add_exempt(c, ac - 1, av + 1, msg) == 0)
			return (0);
	} else if ((strcasecmp(av[0], "BusyReply") == 0 ||
	    strcasecmp(av[0], "Banner") == 0 ||
	    strcasecmp(av[0], "RulesDenyReply") == 0 ||
	    strcasecmp(av[0], "BannerDateFormat") == 0) && ac > 2) {
		if (conf_set_words(c, av[0], ac - 1, av + 1, msg) == 0)
			return (0);
	} else if (strcasecmp(av[0], "ControlsACLs") == 0 ||
	    strcasecmp(av[0], "MessageControlsACLs") == 0) {
		if (conf_add_acl(c, av[0][0] == 'M' || av[0][0] == 'm',
		    ac - 1, av + 1, msg) == 0)
			return (0);
		snprintf(err, CONF_ERR_MAX, "line %d: %s: %.200s", lineno,
		    av[0], msg);
		return (-1);
	} else if (strcasecmp(av[0], "Class") == 0 && ac >= 2) {
		if (class_add(&c->classes, av[1], ac - 2, av + 2, msg,
		    sizeof(msg)) == 0)
			return (0);
	} else if (strcasecmp(av[0], "MessageSkipCommands") == 0 && ac > 2) {
		if (conf_set_words(c, av[0], ac - 1, av + 1, msg) == 0)
			return (0);
	} else if (strcasecmp(av[0], "Command") == 0) {
		if (conf_isset(c, CONF_CMD_BIT))
			return (0);
		if (conf_set_cmd(c, av + 1, ac - 1, msg) == 0)
			return (0);
	} else if (ac != 2)
		snprintf(msg, sizeof(msg), "%s takes one argument", av[0]);
	else if (conf_set(c, av[0], av[1], 0, msg) == 0)
		return (0);
	snprintf(err, CONF_ERR_MAX, "line %d: %.200s", lineno, msg);
	return (-1);
}

/* Parse a whole configuration text: "Directive args", # comments. */
int
conf_parse(struct conf *c, const char *text, size_t len, char *err)
{
	char		 line[4096];
	size_t		 i = 0, n;
	const char	*nl;
	char		*h;
	int		 lineno = 0;

	while (i < len) {
		lineno++;
		nl = memchr(text + i, '\n', len - i);
		n = nl ? (size_t)(nl - (text + i)) : len - i;
		if (n >= sizeof(line)) {
			snprintf(err, CONF_ERR_MAX, "line %d: too long",
			    lineno);
			return (-1);
		}
		memcpy(line, text + i, n);
		line[n] = '\0';
		i += n + 1;
		if (memchr(line, '\0', n) != NULL) {
			snprintf(err, CONF_ERR_MAX, "line %d: NUL byte",
			    lineno);
			return (-1);
		}
		if ((h = strchr(line, '#')) != NULL)
			*h = '\0';
		if ((n = strlen(line)) > 0 && line[n - 1] == '\r')
			line[n - 1] = '\0';
		if (conf_line(c, line, lineno, err) == -1)
			return (-1);
	}
	return (0);
}

int
conf_load(struct conf *c, const char *path, char *err)
{
	char		*buf;
	struct stat	 st;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd, rv;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(err, CONF_ERR_MAX, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	if (st.st_size > 1024 * 1024) {
		snprintf(err, CONF_ERR_MAX, "%s: larger than 1 MiB", path);
		close(fd);
		return (-1);
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		snprintf(err, CONF_ERR_MAX, "out of memory");
		return (-1);
	}
	while (got < (size_t)st.st_size &&
	    (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	rv = conf_parse(c, buf, got, err);
	if (rv == -1) {
		char	tmp[CONF_ERR_MAX];

		snprintf(tmp, sizeof(tmp), "%.40s: %.200s", path, err);
		memcpy(err, tmp, CONF_ERR_MAX);
	}
	free(buf);
	return (rv);
}

/*
 * getopt_long's option string and long options, from the table, with
 * the few options that are not one directive each.
 */
#define CONF_NEXTRA	6
static void
conf_getopt_spec(char *optstr, size_t osz, struct option *lopts)
{
	static const struct option extra[CONF_NEXTRA] = {
		{ "config", required_argument, NULL, 'C' },
		{ "listen", required_argument, NULL, CONF_L_LISTEN },
		{ "rules", required_argument, NULL, CONF_L_RULES },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	size_t	i, n = 0, nl = 0;

	optstr[n++] = '+';
	for (i = 0; i < CONF_NOPTS; i++) {
		const struct conf_opt	*o = &conf_opts[i];
		int			 arg = o->type != CT_BOOL &&
					    o->type != CT_COUNT;

		if (o->lname != NULL)
			lopts[nl++] = (struct option){ o->lname,
			    arg ? required_argument : no_argument, NULL,
			    o->letter };
		else if (o->letter > 0 && o->letter < 128 && n + 3 < osz) {
			optstr[n++] = (char)o->letter;
			if (arg)
				optstr[n++] = ':';
		}
	}
	snprintf(optstr + n, osz - n, "O:hv");
	memcpy(lopts + nl, extra, sizeof(extra));
}

/* Parse argv.  Returns 0, 1 for --help, 2 for --version, -1 on error. */
int
conf_getopt(struct conf *c, int argc, char **argv, char *err)
{
	struct option		 lopts[CONF_NOPTS + CONF_NEXTRA];
	char			 optstr[2 * CONF_NOPTS + 8];
	const struct conf_opt	*o;
	const char		*val;
	char			 num[16];
	int			 ch, v;

	conf_getopt_spec(optstr, sizeof(optstr), lopts);
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, optstr, lopts, NULL)) != -1) {
		switch (ch) {
		case 'C':
			free(c->config);
			c->config = strdup(optarg);
			continue;
		case 'O':
			if (!conf_isset(c, CONF_NOTIFY_BIT))
				conf_free_specs(&c->notify, &c->nnotify);
			if (conf_add_spec(&c->notify, &c->nnotify,
			    "NotifySocket", optarg, err) == -1)
				return (-1);
			conf_mark(c, CONF_NOTIFY_BIT);
			continue;
		case CONF_L_RULES:
			if (!conf_isset(c, CONF_RULES_BIT))
				conf_free_specs(&c->rules, &c->nrules);
			if (conf_add_spec(&c->rules, &c->nrules, "Rules",
			    optarg, err) == -1)
				return (-1);
			conf_mark(c, CONF_RULES_BIT);
			continue;
		case CONF_L_LISTEN:
			if (!conf_isset(c, CONF_LISTEN_BIT))
				conf_free_specs(&c->listen, &c->nlisten);
			if (conf_add_spec(&c->listen, &c->nlisten, "Listen",
			    optarg, err) == -1)
				return (-1);
			conf_mark(c, CONF_LISTEN_BIT);
			continue;
		case 'h':
		case 'v':
			return (ch == 'h' ? 1 : 2);
		case '?':
		case ':':
			snprintf(err, CONF_ERR_MAX, "bad or incomplete option "
			    "-%c", optopt ? optopt : '?');
			return (-1);
		}
		if ((o = conf_opt_by_letter(ch)) == NULL)
			continue;	/* cannot happen: getopt knows ours */
		val = o->type == CT_BOOL ? "on" : optarg;
		if (o->type == CT_COUNT) {
			v = conf_isset(c, (size_t)(o - conf_opts)) ?
			    *(int *)((char *)c + o->off) : 0;
			snprintf(num, sizeof(num), "%d", v < o->max ? v + 1 : v);
			val = num;
		}
		if (conf_set(c, o->name, val, 1, err) == -1)
			return (-1);
	}
	if (optind < argc) {
		if (conf_set_cmd(c, argv + optind, argc - optind, err) == -1)
			return (-1);
		conf_mark(c, CONF_CMD_BIT);
	}
	return (0);
}
