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
 * Files of whole records: MessageLog and the statistics file, read by
 * scripts line by line.  A record goes in whole or not at all: what a
 * full disk let through of a write is cut off again, so the next record
 * never joins a cut one.  One warning when writing starts to fail, one
 * when it works again with the count of records lost between, not one
 * per record.  Records may be held in a small buffer (the statistics
 * file without -u, as stdio did) and go out together, still whole.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mux.h"

/*
 * Open one of the files the mux names (MessageLog, the statistics file,
 * the MessageQueue's ftok file): a regular file or nothing.  Reread
 * opens them as the -U user, whom every handler runs as, so a FIFO may
 * have been planted there: O_NONBLOCK makes its open fail at once
 * (ENXIO) instead of blocking the loop, and a device is not opened at
 * all.  The descriptor returned is blocking again.  On failure err says
 * "WHAT PATH: why" and errno is kept for the caller.
 */
int
recfile_open(const char *what, const char *path, int fl, mode_t mode,
    char *err, size_t errlen)
{
	struct stat	st;
	int		fd = -1, e;

	fl |= O_NONBLOCK | O_CLOEXEC;
	if (((fl & O_NOFOLLOW) ? lstat(path, &st) : stat(path, &st)) == 0 &&
	    !S_ISREG(st.st_mode))
		errno = S_ISLNK(st.st_mode) ? ELOOP : ENXIO;
	else if ((fd = open(path, fl, mode)) != -1 &&
	    (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))) {
		close(fd);
		fd = -1;
		errno = ENXIO;
	}
	if (fd == -1) {
		e = errno;
		snprintf(err, errlen, "%s %s: %s", what, path,
		    e == ELOOP ? "is a symbolic link" : e == ENXIO ?
		    "not a regular file" : strerror(e));
		errno = e;
		return (-1);
	}
	(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return (fd);
}

/* Write len bytes holding n records, whole or not at all. */
static void
recfile_write(struct recfile *rf, const char *p, size_t len, int n)
{
	ssize_t	w;
	off_t	end;
	int	saved;

	while ((w = write(rf->fd, p, len)) == -1 && errno == EINTR)
		;
	if (w == (ssize_t)len) {
		if (rf->lost > 0)
			log_warnx("%s: writing again; %llu records lost",
			    rf->what, (unsigned long long)rf->lost);
		rf->lost = 0;
		return;
	}
	saved = w == -1 ? errno : ENOSPC;	/* a short write: out of room */
	if (w > 0 && (end = lseek(rf->fd, 0, SEEK_END)) != -1)
		(void)ftruncate(rf->fd, end - w);
	if (rf->lost == 0)
		log_warnx("%s: write: %s; records are lost until it works "
		    "again", rf->what, strerror(saved));
	rf->lost += (uint64_t)n;
}

void
recfile_flush(struct recfile *rf)
{
	if (rf->fd != -1 && rf->len > 0)
		recfile_write(rf, rf->buf, rf->len, rf->n);
	rf->len = 0;
	rf->n = 0;
}

/* The file to write to from now on (-1: none); the old one is closed. */
void
recfile_set(struct recfile *rf, int fd)
{
	recfile_flush(rf);
	if (rf->fd != -1)
		close(rf->fd);
	rf->fd = fd;
}

/* One record; held when hold is set and it fits, else written now. */
void
recfile_put(struct recfile *rf, const char *rec, size_t len, int hold)
{
	if (rf->fd == -1)
		return;
	if (rf->len + len > sizeof(rf->buf))
		recfile_flush(rf);
	if (!hold || len > sizeof(rf->buf)) {
		recfile_write(rf, rec, len, 1);
		return;
	}
	memcpy(rf->buf + rf->len, rec, len);
	rf->len += len;
	rf->n++;
}
