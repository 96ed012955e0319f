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
 * MessageLog: one line per msg action.  Opened once at start-up, with
 * ProFTPD's checks and their reasons said plainly: the directory must
 * exist and not be world-writable, and the file must not be a symbolic
 * link (unless AllowLogSymlinks on) nor anything but a regular file.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mux.h"

static struct recfile	ML = { .fd = -1, .what = "MessageLog" };

/* Open path for appending; the fd, or -1 with err saying why not. */
int
msglog_open(const char *path, int symlinks_ok, char *err, size_t errlen)
{
	struct stat	 st;
	char		 dir[1024];
	int		 fd, fl = O_WRONLY | O_APPEND | O_CREAT;

	if (path[0] != '/' || strlen(path) >= sizeof(dir)) {
		snprintf(err, errlen, "MessageLog %s: not an absolute path",
		    path);
		return (-1);
	}
	memcpy(dir, path, strlen(path) + 1);
	if (stat(dirname(dir), &st) == -1) {
		snprintf(err, errlen, "MessageLog %s: its directory %s: %s",
		    path, dir, strerror(errno));
		return (-1);
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "MessageLog %s: %s is not a directory",
		    path, dir);
		return (-1);
	}
	if (st.st_mode & S_IWOTH) {
		snprintf(err, errlen, "MessageLog %s: %s is a world-writable "
		    "directory", path, dir);
		return (-1);
	}
	if (!symlinks_ok)
		fl |= O_NOFOLLOW;
	if ((fd = recfile_open("MessageLog", path, fl, 0640, err,
	    errlen)) == -1 && errno == ELOOP && strlen(err) < errlen)
		snprintf(err + strlen(err), errlen - strlen(err),
		    " (AllowLogSymlinks is off)");
	return (fd);
}

void
msglog_set(int fd)
{
	recfile_set(&ML, fd);
}

/* The open MessageLog (an upgrade hands it on), or -1. */
int
msglog_fd(void)
{
	return (ML.fd);
}

/* One line: the time, who asked, then what happened. */
void
msglog_write(uint32_t uid, const char *fmt, ...)
{
	char		 line[2048], ts[32];
	struct tm	 tm;
	time_t		 now = time(NULL);
	va_list		 ap;
	int		 n, m;

	if (ML.fd == -1)
		return;
	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S%z", &tm);
	n = snprintf(line, sizeof(line), "%s uid=%u ", ts, uid);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	recfile_put(&ML, line, (size_t)n, 0);
}
