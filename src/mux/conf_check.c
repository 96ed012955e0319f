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
 * The configuration once parsed: cross-checks, derived values, and the
 * pool handler checked before the mux starts.  Pure but for the file
 * system lookups.
 */

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mux.h"

/* Resolve a program name like execvp(3) would, for an early check. */
static char *
conf_which(const char *prog)
{
	const char	*path = getenv("PATH"), *p, *e;
	char		 buf[PATH_MAX];

	if (strchr(prog, '/') != NULL)
		return (strdup(prog));
	if (path == NULL)
		path = "/usr/bin:/bin";
	for (p = path; *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)(e - p), p, prog);
		if (access(buf, X_OK) == 0)
			return (strdup(buf));
	}
	return (strdup(prog));
}

/* Cross-checks and derived values, once everything is parsed. */
int
conf_check(struct conf *c, char *err)
{
	if (c->min_workers > c->max_workers)
		c->min_workers = c->max_workers;
	if (c->max_lifetime < 0)
		c->max_lifetime = 0;
	/* With service listeners, a request socket only when asked for. */
	if (c->sock == NULL && c->nlisten == 0) {
		char	buf[PATH_MAX];

		snprintf(buf, sizeof(buf), "%s/mimedefang-multiplexor.sock",
		    c->spool_dir ? c->spool_dir : CONF_SPOOL_DIR);
		if ((c->sock = strdup(buf)) == NULL)
			return (snprintf(err, CONF_ERR_MAX, "out of memory"),
			    -1);
	}
	if (c->lockfile == NULL && c->pidfile != NULL) {
		char	buf[PATH_MAX];

		snprintf(buf, sizeof(buf), "%s.lock", c->pidfile);
		if ((c->lockfile = strdup(buf)) == NULL)
			return (snprintf(err, CONF_ERR_MAX, "out of memory"),
			    -1);
	}
	if (c->facility != NULL && log_facility(c->facility) == -1)
		return (snprintf(err, CONF_ERR_MAX, "SyslogFacility: unknown "
		    "facility \"%.64s\"", c->facility), -1);
	/* As mimedefang-multiplexor: out of range means no limit. */
	if (c->recipok_limit < 0 || c->recipok_limit >= c->max_workers)
		c->recipok_limit = 0;
	if (c->stats_file != NULL && c->stats_file[0] != '/')
		return (snprintf(err, CONF_ERR_MAX, "StatsFile %s: not an "
		    "absolute path", c->stats_file), -1);
	if (c->status_every > 0 && c->status_every < 5)
		c->status_every = 5;
	if (c->busy_reply == NULL && (c->busy_reply = strdup(
	    "421 Service not available, all workers busy")) == NULL)
		return (snprintf(err, CONF_ERR_MAX, "out of memory"), -1);
	if (c->banner_action != NULL && strcmp(c->banner_action, "drop") != 0 &&
	    strcmp(c->banner_action, "tag") != 0)
		return (snprintf(err, CONF_ERR_MAX, "BannerImpatientAction: "
		    "drop or tag, not \"%.64s\"", c->banner_action), -1);
	c->banner_drop = c->banner_action != NULL &&
	    strcmp(c->banner_action, "drop") == 0;
	if (c->exec && c->nlisten == 0)
		return (snprintf(err, CONF_ERR_MAX, "Exec serves the sessions "
		    "of service listeners: give a Listen socket"), -1);

	if (c->msg_skip == NULL && (c->msg_skip = strdup(INJ_SKIP_DEFAULT))
	    == NULL)
		return (snprintf(err, CONF_ERR_MAX, "out of memory"), -1);
	if (c->msg_engine && c->msg_queue == NULL)
		return (snprintf(err, CONF_ERR_MAX, "MessageEngine on needs "
		    "a MessageQueue path"), -1);
	if (c->msg_queue != NULL && c->msg_queue[0] != '/')
		return (snprintf(err, CONF_ERR_MAX, "MessageQueue %s: not an "
		    "absolute path", c->msg_queue), -1);
	if (c->msg_log != NULL && strcmp(c->msg_log, "none") != 0 &&
	    c->msg_log[0] != '/')
		return (snprintf(err, CONF_ERR_MAX, "MessageLog %s: not an "
		    "absolute path", c->msg_log), -1);
	return (0);
}

/* The pool handler must exist and be executable: refuse to start else. */
int
conf_check_prog(struct conf *c, char *err)
{
	struct stat	 st;
	const char	*prog;
	char		*real;

	if (c->cmd == NULL && c->exec && c->prog == NULL)
		return (snprintf(err, CONF_ERR_MAX, "Exec needs a handler: "
		    "-f PROG, or -- PROG ARGS..."), -1);
	if (c->cmd == NULL) {
		char	*av[5];
		int	 ac = 0;

		/* exec mode runs PROG as tcpserver would: no -server. */
		av[ac++] = "Command";
		av[ac++] = c->prog ? c->prog : "/usr/bin/mimedefang.pl";
		if (c->subfilter != NULL && !c->exec) {
			av[ac++] = "-f";
			av[ac++] = c->subfilter;
		}
		if (!c->exec)
			av[ac++] = c->status_fd ? "-serveru" : "-server";
		if (conf_directive(c, ac, av, err) == -1)
			return (-1);
	}
	if ((real = conf_which(c->cmd[0])) == NULL)
		return (snprintf(err, CONF_ERR_MAX, "out of memory"), -1);
	free(c->cmd[0]);
	c->cmd[0] = real;
	prog = c->cmd[0];
	if (stat(prog, &st) == -1) {
		snprintf(err, CONF_ERR_MAX, "worker program %s: %s", prog,
		    strerror(errno));
		return (-1);
	}
	if (!S_ISREG(st.st_mode) || access(prog, X_OK) == -1) {
		snprintf(err, CONF_ERR_MAX, "worker program %s: not an "
		    "executable file", prog);
		return (-1);
	}
	return (0);
}
