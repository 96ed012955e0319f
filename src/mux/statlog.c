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
 * The statistics log of mimedefang-multiplexor(8) (-t FILE, -T, -u), in
 * its format, for the scripts that read it:
 *
 *	DD/MM/YYYY:HH:MM:SS SECS.MSEC EVENT worker=N nworkers=N nbusy=N ...
 *
 * and "stats SECS.MSEC EVENT ..." to syslog with -T.  Events:
 * StartWorker, KillWorker, ReapWorker, StartFilter.  The file is opened
 * at start, so a bad path stops the start, and given to -U's user, by
 * whom SIGHUP opens it again after logrotate moved it; it must be a
 * regular file (a FIFO would block the loop).  Records go in whole, a
 * buffer of them at a time unless -u (recfile.c), and at the exit.
 */


#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "mux.h"

static struct {
	char		*path;
	struct recfile	 f;
	int		 flush;		/* -u */
	int		 to_syslog;	/* -T */
} S = { .f = { .fd = -1, .what = "statistics file" } };

/* Format one line after the time stamp; pure but for the clock. */
size_t
statlog_format(char *buf, size_t sz, const struct timespec *ts,
    const char *ev, int worker, int nworkers, int nbusy, const char *extra)
{
	int	n;

	n = snprintf(buf, sz, "%lld.%03ld %s worker=%d nworkers=%d nbusy=%d%s%s",
	    (long long)ts->tv_sec, ts->tv_nsec / 1000000, ev, worker,
	    nworkers, nbusy, extra != NULL ? " " : "",
	    extra != NULL ? extra : "");
	if (n < 0)
		return (0);
	return ((size_t)n < sz ? (size_t)n : sz - 1);
}

static int
statlog_openfd(const char *path, uid_t uid, gid_t gid, char *err, size_t esz)
{
	const int	 fl = O_WRONLY | O_APPEND | O_NOFOLLOW;
	int		 fd, made;

	/* Only a file made here is given away, never one that was there. */
	made = (fd = recfile_open("statistics file", path,
	    fl | O_CREAT | O_EXCL, 0640, err, esz)) != -1;
	if (fd == -1 && errno == EEXIST)
		fd = recfile_open("statistics file", path, fl, 0, err, esz);
	if (fd == -1)
		return (-1);
	if (made && uid != (uid_t)-1 && fchown(fd, uid, gid) == -1) {
		snprintf(err, esz, "statistics file %s: chown: %s", path,
		    strerror(errno));
		close(fd);
		return (-1);
	}
	return (fd);
}

/* What is held goes out at the exit, as stdio's did. */
static void
statlog_atexit(void)
{
	recfile_flush(&S.f);
}

/* Once, after the privileges are dropped; -1 with a message. */
int
statlog_open(const char *path, int flush, int to_syslog, uid_t uid,
    gid_t gid, char *err, size_t esz)
{
	int	fd;

	S.flush = flush;
	S.to_syslog = to_syslog;
	if (path == NULL)
		return (0);
	if ((S.path = strdup(path)) == NULL) {
		snprintf(err, esz, "out of memory");
		return (-1);
	}
	if ((fd = statlog_openfd(path, uid, gid, err, esz)) == -1)
		return (-1);
	recfile_set(&S.f, fd);
	(void)atexit(statlog_atexit);
	return (0);
}

/* SIGHUP: the file again under its name; on failure the old one stays. */
void
statlog_reopen(void)
{
	char	err[256];
	int	fd;

	if (S.path == NULL)
		return;
	if ((fd = statlog_openfd(S.path, (uid_t)-1, (gid_t)-1, err,
	    sizeof(err))) == -1) {
		log_warnx("%s; logging statistics to the old file", err);
		return;
	}
	recfile_set(&S.f, fd);
}

int
statlog_enabled(void)
{
	return (S.f.fd != -1 || S.to_syslog);
}

void
statlog_event(const char *ev, int worker, int nworkers, int nbusy,
    const char *fmt, ...)
{
	char		 extra[512], line[768], date[32], rec[800];
	struct timespec	 ts;
	struct tm	 tm;
	va_list		 ap;
	int		 n;

	if (!statlog_enabled())
		return;
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(extra, sizeof(extra), fmt, ap);
		va_end(ap);
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	(void)statlog_format(line, sizeof(line), &ts, ev, worker, nworkers,
	    nbusy, fmt != NULL ? extra : NULL);
	if (S.f.fd != -1) {
		localtime_r(&ts.tv_sec, &tm);
		strftime(date, sizeof(date), "%d/%m/%Y:%H:%M:%S", &tm);
		n = snprintf(rec, sizeof(rec), "%s %s\n", date, line);
		if (n > 0 && (size_t)n < sizeof(rec))
			recfile_put(&S.f, rec, (size_t)n, !S.flush);
	}
	if (S.to_syslog)
		syslog(LOG_INFO, "stats %s", line);
}
