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
 * Options and directives, as conf_opts.h's table says: how each type
 * parses, the defaults, the command line winning over the file, the
 * reread's take, getopt.  The file's grammar is conf_file.c.  Pure: no
 * libevent, no state but the table.
 */

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mux.h"
#include "acl.h"
#include "conf_tab.h"


#define CONF_NOFF(f)	offsetof(struct conf, n##f)
#define CONF_NOFF_INT(f)	0
#define CONF_NOFF_BOOL(f)	0
#define CONF_NOFF_COUNT(f)	0
#define CONF_NOFF_STR(f)	0
#define CONF_NOFF_WORDS(f)	0
#define CONF_NOFF_LIST(f)	CONF_NOFF(f)
#define CONF_NOFF_LISTEN(f)	CONF_NOFF(f)
#define CONF_NOFF_ARGV(f)	0
#define CONF_NOFF_ACL(f)	CONF_NOFF(f)
#define CONF_NOFF_MACL(f)	CONF_NOFF(f)
#define CONF_NOFF_CLASS(f)	0
#define CONF_NOFF_EXEMPT(f)	CONF_NOFF(f)

#define CONF_ROW(n, l, ln, t, f, mi, ma, d, w, mv)			\
	{ #n, l, ln, CT_##t, offsetof(struct conf, f),			\
	    sizeof(((struct conf *)0)->f), CONF_NOFF_##t(f), mi, ma, d,	\
	    CW_##w, mv },
static const struct conf_opt conf_opts[] = { CONF_OPTIONS(CONF_ROW) };
#define CONF_NOPTS	(sizeof(conf_opts) / sizeof(conf_opts[0]))
_Static_assert(CONF_NOPTS <= CONF_SET_MAX, "raise CONF_SET_MAX");

#define CONF_MAX_SPECS	64	/* lines of one repeatable spec */
#define CONF_MAX_ACLS	1024
#define CONF_MAX_EXEMPT	256

static void	conf_free_opt(struct conf *, const struct conf_opt *);

static void *
conf_at(const struct conf *c, size_t off)
{
	return ((char *)c + off);
}

static int
conf_counted(int type)
{
	return (type == CT_LIST || type == CT_LISTEN || type == CT_ACL ||
	    type == CT_MACL || type == CT_EXEMPT);
}

static int
conf_fail(char *err, const char *fmt, const char *a, const char *b)
{
	snprintf(err, CONF_ERR_MAX, fmt, a, b);
	return (-1);
}

/* Was it given on the command line? */
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
	size_t	i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < CONF_NOPTS; i++)
		if (conf_opts[i].type <= CT_COUNT)
			*(int *)conf_at(c, conf_opts[i].off) = conf_opts[i].def;
}

void
conf_free(struct conf *c)
{
	size_t	i;

	for (i = 0; i < CONF_NOPTS; i++)
		conf_free_opt(c, &conf_opts[i]);
}

/* The types' parsers: the words after the directive into c. */

static int
conf_set_int(struct conf *c, const struct conf_opt *o, int ac, char **av,
    char *err)
{
	char	*end, num[16];
	long	 l;

	(void)ac;
	errno = 0;
	l = strtol(av[0], &end, 10);
	if (*av[0] == '\0' || *end != '\0' || errno != 0)
		return (conf_fail(err, "%s: \"%.64s\" is not a number",
		    o->name, av[0]));
	if (l < o->min || l > o->max) {
		snprintf(num, sizeof(num), "%ld", l);
		snprintf(err, CONF_ERR_MAX, "%s: %s is out of range (%d to "
		    "%d)", o->name, num, o->min, o->max);
		return (-1);
	}
	*(int *)conf_at(c, o->off) = (int)l;
	return (0);
}

static int
conf_set_bool(struct conf *c, const struct conf_opt *o, int ac, char **av,
    char *err)
{
	static const char *yes[] = { "on", "yes", "true", "1" };
	static const char *no[] = { "off", "no", "false", "0" };
	size_t	i;

	(void)ac;
	/* A BOOL whose least value is -1 may also be left to mux. */
	if (o->min < 0 && strcasecmp(av[0], "auto") == 0) {
		*(int *)conf_at(c, o->off) = -1;
		return (0);
	}
	for (i = 0; i < 4; i++) {
		if (strcasecmp(av[0], yes[i]) == 0 ||
		    strcasecmp(av[0], no[i]) == 0) {
			*(int *)conf_at(c, o->off) =
			    strcasecmp(av[0], yes[i]) == 0;
			return (0);
		}
	}
	return (conf_fail(err, o->min < 0 ? "%s: expected on, off or auto, "
	    "not \"%.64s\"" : "%s: expected on or off, not \"%.64s\"",
	    o->name, av[0]));
}

static int
conf_set_str(struct conf *c, const struct conf_opt *o, int ac, char **av,
    char *err)
{
	char	**p = conf_at(c, o->off), *s;

	(void)ac;
	if (*av[0] == '\0')
		return (conf_fail(err, "%s: empty value", o->name, NULL));
	if ((s = strdup(av[0])) == NULL)
		return (conf_fail(err, "out of memory", NULL, NULL));
	free(*p);
	*p = s;
	return (0);
}

/* A value of several words: one blank between them. */
static int
conf_set_words(struct conf *c, const struct conf_opt *o, int ac, char **av,
    char *err)
{
	char	 buf[1024], *one[1] = { buf };

	if (ac == 1)
		return (conf_set_str(c, o, ac, av, err));
	if (conf_join(buf, sizeof(buf), ac, av) == -1)
		return (conf_fail(err, "%s: too long", o->name, NULL));
	return (conf_set_str(c, o, 1, one, err));
}

static int
conf_set_list(struct conf *c, const struct conf_opt *o, int ac, char **av,
    char *err)
{
	char	***vp = conf_at(c, o->off), **v;
	int	  *np = conf_at(c, o->noff);

	(void)ac;
	if (*np >= CONF_MAX_SPECS) {
		snprintf(err, CONF_ERR_MAX, "%s: at most %d", o->name,
		    CONF_MAX_SPECS);
		return (-1);
	}
	if ((v = reallocarray(*vp, (size_t)*np + 1, sizeof(*v))) == NULL)
		return (conf_fail(err, "out of memory", NULL, NULL));
	*vp = v;
	if ((v[*np] = strdup(av[0])) == NULL)
		return (conf_fail(err, "out of memory", NULL, NULL));
	(*np)++;
	return (0);
}

/* "Listen SPEC PROTO" is "--listen SPEC,PROTO". */
static int
conf_set_listen(struct conf *c, const struct conf_opt *o, int ac,
    char **av, char *err)
{
	char	 spec[512], *one[1] = { spec };

	if (ac == 1)
		return (conf_set_list(c, o, ac, av, err));
	if (proto_by_name(av[1], strlen(av[1])) == -1)
		return (conf_fail(err, "%s: unknown protocol \"%.32s\"",
		    o->name, av[1]));
	if ((size_t)snprintf(spec, sizeof(spec), "%s,%s", av[0], av[1]) >=
	    sizeof(spec))
		return (conf_fail(err, "%s: too long", o->name, NULL));
	return (conf_set_list(c, o, 1, one, err));
}

/* The handler command: "-- PROG ARGS..." or "Command PROG ARGS...". */
static int
conf_set_argv(struct conf *c, const struct conf_opt *o, int ac, char **av,
    char *err)
{
	char	***vp = conf_at(c, o->off);
	int	  i;

	if (ac < 1)
		return (conf_fail(err, "%s: no program given", o->name, NULL));
	conf_free_opt(c, o);
	if ((*vp = calloc((size_t)ac + 1, sizeof(char *))) == NULL)
		return (conf_fail(err, "out of memory", NULL, NULL));
	for (i = 0; i < ac; i++)
		if (((*vp)[i] = strdup(av[i])) == NULL)
			return (conf_fail(err, "out of memory", NULL, NULL));
	return (0);
}

/* ControlsACLs and MessageControlsACLs lines add up (acl.c). */
static int
conf_set_acl(struct conf *c, const struct conf_opt *o, int ac, char **av,
    char *err)
{
	struct conf_acl	**vp = conf_at(c, o->off), *v;
	int		 *np = conf_at(c, o->noff);
	int		  i, msg = o->type == CT_MACL;
	char		  why[CONF_ERR_MAX];

	if (acl_syntax(msg, ac, av, why, sizeof(why)) == -1)
		return (conf_fail(err, "%s: %.200s", o->name, why));
	if (*np >= CONF_MAX_ACLS || (v = reallocarray(*vp, (size_t)*np + 1,
	    sizeof(*v))) == NULL)
		return (conf_fail(err, "%s: too many lines", o->name, NULL));
	*vp = v;
	v = &v[*np];
	for (i = 0; i < 4; i++)
		if ((v->av[i] = strdup(av[i])) == NULL) {
			while (i-- > 0)
				free(v->av[i]);
			return (conf_fail(err, "out of memory", NULL, NULL));
		}
	(*np)++;
	return (0);
}

static int
conf_set_class(struct conf *c, const struct conf_opt *o, int ac, char **av,
    char *err)
{
	if (ac < 1)
		return (conf_fail(err, "%s: no name given", o->name, NULL));
	return (class_add(conf_at(c, o->off), av[0], ac - 1, av + 1, err,
	    CONF_ERR_MAX));
}

/* BannerExempt [listen=SPEC] NETWORK...: lines add up. */
static int
conf_set_exempt(struct conf *c, const struct conf_opt *o, int ac,
    char **av, char *err)
{
	struct banner_exempt	**vp = conf_at(c, o->off), *v, *e;
	int			 *np = conf_at(c, o->noff);

	if (*np >= CONF_MAX_EXEMPT || (v = reallocarray(*vp, (size_t)*np + 1,
	    sizeof(*v))) == NULL)
		return (conf_fail(err, "%s: too many lines", o->name, NULL));
	*vp = v;
	e = &v[*np];
	memset(e, 0, sizeof(*e));
	if (ac > 0 && strncmp(av[0], "listen=", 7) == 0) {
		if ((e->listen = strdup(av[0] + 7)) == NULL)
			return (conf_fail(err, "out of memory", NULL, NULL));
		ac--;
		av++;
	}
	if (ac == 0 || class_add(&e->nets, "exempt", ac, av, err,
	    CONF_ERR_MAX) == -1) {
		if (ac == 0)
			conf_fail(err, "%s: no network", o->name, NULL);
		free(e->listen);
		class_free(&e->nets);
		return (-1);
	}
	(*np)++;
	return (0);
}

typedef int conf_setter(struct conf *, const struct conf_opt *, int,
    char **, char *);

/* Each type: how many words it takes, and its parser. */
static const struct conf_type {
	int		 nmin;
	int		 nmax;
	conf_setter	*set;
} conf_types[] = {
	[CT_INT] =	{ 1, 1, conf_set_int },
	[CT_BOOL] =	{ 1, 1, conf_set_bool },
	[CT_COUNT] =	{ 1, 1, conf_set_int },
	[CT_STR] =	{ 1, 1, conf_set_str },
	[CT_WORDS] =	{ 1, INT_MAX, conf_set_words },
	[CT_LIST] =	{ 1, 1, conf_set_list },
	[CT_LISTEN] =	{ 1, 2, conf_set_listen },
	[CT_ARGV] =	{ 0, INT_MAX, conf_set_argv },
	[CT_ACL] =	{ 0, INT_MAX, conf_set_acl },
	[CT_MACL] =	{ 0, INT_MAX, conf_set_acl },
	[CT_CLASS] =	{ 0, INT_MAX, conf_set_class },
	[CT_EXEMPT] =	{ 0, INT_MAX, conf_set_exempt },
};

static void
conf_free_opt(struct conf *c, const struct conf_opt *o)
{
	void	*p = conf_at(c, o->off);
	int	*np = conf_at(c, o->noff);
	char	**v;
	int	 i, k;

	switch (o->type) {
	case CT_STR:
	case CT_WORDS:
		free(*(char **)p);
		break;
	case CT_LIST:
	case CT_LISTEN:
	case CT_ARGV:
		v = *(char ***)p;
		for (i = 0; v != NULL && (o->type == CT_ARGV ? v[i] != NULL :
		    i < *np); i++)
			free(v[i]);
		free(v);
		break;
	case CT_ACL:
	case CT_MACL:
		for (i = 0; i < *np; i++)
			for (k = 0; k < 4; k++)
				free((*(struct conf_acl **)p)[i].av[k]);
		free(*(struct conf_acl **)p);
		break;
	case CT_CLASS:
		class_free(p);
		return;
	case CT_EXEMPT:
		for (i = 0; i < *np; i++) {
			free((*(struct banner_exempt **)p)[i].listen);
			class_free(&(*(struct banner_exempt **)p)[i].nets);
		}
		free(*(struct banner_exempt **)p);
		break;
	default:
		return;
	}
	memset(p, 0, o->size);
	if (conf_counted(o->type))
		*np = 0;
}

/*
 * One option or directive: the words after its name.  A directive the
 * command line gave is still checked, then dropped; the command line's
 * first value of a repeatable one replaces what was there.
 */
static int
conf_apply(struct conf *c, const struct conf_opt *o, int ac, char **av,
    int from_cli, char *err)
{
	const struct conf_type	*t = &conf_types[o->type];
	size_t			 bit = (size_t)(o - conf_opts);
	struct conf		 scratch;
	int			 rv;

	if (ac < t->nmin || ac > t->nmax)
		return (conf_fail(err, t->nmax == 1 ? "%s takes one argument" :
		    t->nmax == 2 ? "%s takes one or two arguments" :
		    "%s needs a value", o->name, NULL));
	if (!from_cli && conf_isset(c, bit)) {
		memset(&scratch, 0, sizeof(scratch));
		rv = t->set(&scratch, o, ac, av, err);
		conf_free(&scratch);
		return (rv);
	}
	if (from_cli && !conf_isset(c, bit))
		conf_free_opt(c, o);
	if (t->set(c, o, ac, av, err) == -1)
		return (-1);
	if (from_cli)
		conf_mark(c, bit);
	return (0);
}

/* A line of the file, split into words: av[0] names the directive. */
int
conf_directive(struct conf *c, int ac, char **av, char *err)
{
	size_t	i;

	for (i = 0; i < CONF_NOPTS; i++)
		if (conf_opts[i].when != CW_CLI &&
		    strcasecmp(conf_opts[i].name, av[0]) == 0)
			return (conf_apply(c, &conf_opts[i], ac - 1, av + 1, 0,
			    err));
	return (conf_fail(err, "unknown directive \"%.64s\"", av[0], NULL));
}

static int
conf_same(const struct conf_opt *o, const struct conf *a,
    const struct conf *b)
{
	const char	*sa, *sb, **la, **lb;
	int		 n, i;

	switch (o->type) {
	case CT_INT:
	case CT_BOOL:
	case CT_COUNT:
		return (*(int *)conf_at(a, o->off) == *(int *)conf_at(b, o->off));
	case CT_STR:
	case CT_WORDS:
		sa = *(char **)conf_at(a, o->off);
		sb = *(char **)conf_at(b, o->off);
		return (sa == NULL || sb == NULL ? sa == sb :
		    strcmp(sa, sb) == 0);
	case CT_LIST:
	case CT_LISTEN:
		if ((n = *(int *)conf_at(a, o->noff)) !=
		    *(int *)conf_at(b, o->noff))
			return (0);
		la = *(const char ***)conf_at(a, o->off);
		lb = *(const char ***)conf_at(b, o->off);
		for (i = 0; i < n; i++)
			if (strcmp(la[i], lb[i]) != 0)
				return (0);
		return (1);
	default:
		return (memcmp(conf_at(a, o->off), conf_at(b, o->off),
		    o->size) == 0);
	}
}

static void
conf_swap(void *a, void *b, size_t n)
{
	unsigned char	*x = a, *y = b, t;

	while (n-- > 0) {
		t = *x;
		*x++ = *y;
		*y++ = t;
	}
}

/*
 * Reread: take from nc every LIVE option (swapped, so that conf_free(nc)
 * frees the old values) and name in restart, comma separated, the
 * RESTART ones that would change.
 */
void
conf_take(struct conf *c, struct conf *nc, char *restart, size_t sz)
{
	const struct conf_opt	*o;
	size_t			 i, n;

	*restart = '\0';
	for (i = 0; i < CONF_NOPTS; i++) {
		o = &conf_opts[i];
		if (o->when == CW_RESTART && !conf_same(o, c, nc)) {
			n = strlen(restart);
			snprintf(restart + n, sz - n, "%s%s", n ? ", " : "",
			    o->name);
		}
		if (o->when != CW_LIVE || conf_same(o, c, nc))
			continue;
		conf_swap(conf_at(c, o->off), conf_at(nc, o->off), o->size);
		if (conf_counted(o->type))
			conf_swap(conf_at(c, o->noff), conf_at(nc, o->noff),
			    sizeof(int));
	}
}

/*
 * Row i of the table, or NULL past its end: conf_show.c prints the rows
 * for usage() and "mux --directives".
 */
const struct conf_opt *
conf_row(size_t i)
{
	return (i < CONF_NOPTS ? &conf_opts[i] : NULL);
}

/*
 * getopt_long's option string and long options, from the table, with
 * --help, --version and --directives, which are not configuration.
 */
#define CONF_L_DIRECTIVES	300
static const struct option conf_extra[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'v' },
	{ "directives", no_argument, NULL, CONF_L_DIRECTIVES },
	{ NULL, 0, NULL, 0 }
};
#define CONF_NEXTRA	(sizeof(conf_extra) / sizeof(conf_extra[0]))

static void
conf_getopt_spec(char *optstr, size_t osz, struct option *lopts)
{
	const struct conf_opt	*o;
	size_t			 i, n = 0, nl = 0;
	int			 arg;

	optstr[n++] = '+';
	for (i = 0; i < CONF_NOPTS; i++) {
		o = &conf_opts[i];
		arg = o->type != CT_BOOL && o->type != CT_COUNT;
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
	snprintf(optstr + n, osz - n, "hv");
	memcpy(lopts + nl, conf_extra, sizeof(conf_extra));
}

static const struct conf_opt *
conf_opt_by_letter(int letter, int type)
{
	size_t	i;

	for (i = 0; i < CONF_NOPTS; i++)
		if (letter != 0 ? conf_opts[i].letter == letter :
		    conf_opts[i].type == type)
			return (&conf_opts[i]);
	return (NULL);
}

/* One option: its value as the file would give it. */
static int
conf_option(struct conf *c, const struct conf_opt *o, char *arg, char *err)
{
	char	num[16], on[] = "on", *val = arg;
	int	v;

	if (o->type == CT_BOOL)
		val = on;
	else if (o->type == CT_COUNT) {
		v = conf_isset(c, (size_t)(o - conf_opts)) ?
		    *(int *)conf_at(c, o->off) : 0;
		snprintf(num, sizeof(num), "%d", v < o->max ? v + 1 : v);
		val = num;
	}
	return (conf_apply(c, o, 1, &val, 1, err));
}

/*
 * Parse argv.  Returns 0, 1 for --help, 2 for --version, 3 for
 * --directives, -1 on error.
 */
int
conf_getopt(struct conf *c, int argc, char **argv, char *err)
{
	struct option		 lopts[CONF_NOPTS + CONF_NEXTRA];
	char			 optstr[2 * CONF_NOPTS + 8];
	const struct conf_opt	*o;
	int			 ch;

	conf_getopt_spec(optstr, sizeof(optstr), lopts);
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, optstr, lopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return (1);
		case 'v':
			return (2);
		case CONF_L_DIRECTIVES:
			return (3);
		case '?':
		case ':':
			snprintf(err, CONF_ERR_MAX, "bad or incomplete option "
			    "-%c", optopt ? optopt : '?');
			return (-1);
		}
		if ((o = conf_opt_by_letter(ch, 0)) != NULL &&
		    conf_option(c, o, optarg, err) == -1)
			return (-1);
	}
	if (optind < argc && conf_apply(c, conf_opt_by_letter(0, CT_ARGV),
	    argc - optind, argv + optind, 1, err) == -1)
		return (-1);
	return (0);
}
