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
 * mux-banner: mux's banner engine as a drop-in for qmail-banner, in a
 * tcpserver chain: "tcpserver ... mux-banner [-x file.cdb]... prog".
 * It applies the rules for $TCPREMOTEIP, sleeps BANNERPRESLEEP, writes
 * the banner as 220- lines, sleeps BANNERPOSTSLEEP, and execs prog.  A
 * client that talks or leaves before that is impatient: every BANNERxxx
 * variable but the four controls is exported as xxx, and prog runs at
 * once, its early bytes still unread.
 */

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mux.h"

#define EXIT_DENY	100	/* as tcpserver for a D rule */
#define EXIT_TEMP	111	/* qmail's temporary failure */

extern char	**environ;

static char	me[256];

static void
usage(void)
{
	fprintf(stderr, "usage: mux-banner [-x file.cdb] ... prog [arg ...]\n");
	exit(EXIT_TEMP);
}

static int
secs(const char *name)
{
	const char	*v = getenv(name);
	char		*end;
	long		 n;

	if (v == NULL)
		return (0);
	n = strtol(v, &end, 10);
	return (*v == '\0' || *end != '\0' || n < 0 || n > 86400 ? 0 : (int)n);
}

/* Sleep s seconds unless the client talks or leaves: 1 if it did. */
static int
wait_quiet(int s)
{
	struct pollfd	p = { 0, POLLIN, 0 };
	struct timespec	t0, t;
	long		left = (long)s * 1000;
	int		n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (left > 0) {
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return (1);
		if (n == -1 && errno != EINTR)
			return (0);
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = (long)s * 1000 - ((t.tv_sec - t0.tv_sec) * 1000 +
		    (t.tv_nsec - t0.tv_nsec) / 1000000);
	}
	return (0);
}

static const char *
lookup(const char *name, void *arg)
{
	const char	*v;

	if ((v = getenv(name)) != NULL)
		return (v);
	return (banner_builtin(name, me, getenv("DATEFMT"), time(NULL), arg,
	    256));
}

/* ME: control/me as qmail-banner, else the host name. */
static void
set_me(void)
{
	ssize_t	n = -1;
	int	fd;

	if ((fd = open("/var/qmail/control/me", O_RDONLY | O_CLOEXEC)) != -1) {
		n = read(fd, me, sizeof(me) - 1);
		close(fd);
	}
	if (n > 0) {
		me[n] = '\0';
		me[strcspn(me, "\r\n")] = '\0';
	} else if (gethostname(me, sizeof(me)) == -1)
		snprintf(me, sizeof(me), "localhost");
	me[sizeof(me) - 1] = '\0';
}

static ssize_t
banner_text(char *buf, size_t sz)
{
	const char	*t = getenv("BANNER"), *f = getenv("BANNERFILE");
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd;

	if (t != NULL) {
		snprintf(buf, sz, "%s", t);
		return ((ssize_t)strlen(buf));
	}
	if (f == NULL)
		return (-1);
	if ((fd = open(f, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "mux-banner: BANNERFILE %s: %s\n", f,
		    strerror(errno));
		return (-1);
	}
	while (got < sz && (n = read(fd, buf + got, sz - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (got == sz) {
		fprintf(stderr, "mux-banner: BANNERFILE %s: over %zu bytes: "
		    "no banner\n", f, sz - 1);
		return (-1);
	}
	return ((ssize_t)got);
}

static void
send_banner(void)
{
	char	raw[BANNER_MAX + 1], exp[BANNER_MAX + 1], buf[256];
	char	out[2 * BANNER_MAX + 64];
	ssize_t	n, w;
	size_t	e, f, off = 0;

	if ((n = banner_text(raw, sizeof(raw))) <= 0)
		return;
	e = banner_expand(raw, (size_t)n, exp, sizeof(exp), lookup, buf);
	f = banner_frame(exp, e, out, sizeof(out));
	while (off < f && ((w = write(1, out + off, f - off)) > 0 ||
	    (w == -1 && errno == EINTR)))
		if (w > 0)
			off += (size_t)w;
}

/* Early talker: its BANNERxxx exported as xxx (banner_early_name). */
static void
impatient(void)
{
	char			**e, *name, *eq;
	size_t			 k, n = 0, x;
	char			*v[256][2];

	for (e = environ; *e != NULL && n < 256; e++) {
		if ((eq = strchr(*e, '=')) == NULL ||
		    (x = banner_early_name(*e, (size_t)(eq - *e))) == 0 ||
		    (name = strndup(*e + 6, x)) == NULL)
			continue;
		v[n][0] = name;
		v[n++][1] = eq + 1;
	}
	for (k = 0; k < n; k++)		/* not while walking environ */
		(void)setenv(v[k][0], v[k][1], 1);
}

static void
apply_rules(char **files, int nfiles)
{
	struct rules		 rs;
	struct rules_res	*r;
	const char		*ip = getenv("TCPREMOTEIP");
	char			 err[256], *eq;
	int			 i;

	if (nfiles == 0 || ip == NULL)
		return;
	if (rules_open(&rs, files, nfiles, err, sizeof(err)) == -1) {
		fprintf(stderr, "mux-banner: %s\n", err);
		exit(EXIT_TEMP);
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		exit(EXIT_TEMP);
	/* TCPREMOTEHOST: set by tcpserver when it looked the name up. */
	rules_lookup(&rs, ip, getenv("TCPREMOTEHOST"), r);
	if (r->matched && r->deny)
		exit(EXIT_DENY);
	for (i = 0; i < r->nvars; i++) {
		eq = strchr(r->vars[i], '=');
		*eq = '\0';
		(void)setenv(r->vars[i], eq + 1, 1);
	}
	free(r);
	rules_close(&rs);
}

int
main(int argc, char **argv)
{
	char	*files[RULES_FILES_MAX];
	int	 ch, nfiles = 0, early;

	while ((ch = getopt(argc, argv, "+x:")) != -1) {
		if (ch != 'x' || nfiles == RULES_FILES_MAX)
			usage();
		files[nfiles++] = optarg;
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	apply_rules(files, nfiles);
	set_me();
	srandom((unsigned int)(getpid() ^ time(NULL)));
	early = wait_quiet(secs("BANNERPRESLEEP"));
	if (!early) {
		send_banner();
		early = wait_quiet(secs("BANNERPOSTSLEEP"));
	}
	if (early)
		impatient();
	execvp(argv[0], argv);
	fprintf(stderr, "mux-banner: %s: %s\n", argv[0], strerror(errno));
	return (EXIT_TEMP);
}
