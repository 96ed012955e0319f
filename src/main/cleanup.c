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
 * With -U the mux cannot remove what it made as root in root's
 * directories: its UNIX sockets and the pid file (mux.8 says they go).
 * So before the privileges go, a small process forks off that keeps
 * root and nothing else: no descriptor but the read end of a pipe whose
 * write end only the mux holds (and the new mux an upgrade starts).  When the mux exits, however it exits,
 * the pipe says end-of-file and the helper removes each path that is
 * still the file the mux made (same device and inode), so a socket a
 * new mux has bound there meanwhile stays.  It reads nothing else and
 * answers to no one.
 */

#include <sys/prctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"

#define CLEANUP_MAX	64

static struct {
	char	*path;
	dev_t	 dev;
	ino_t	 ino;
} C[CLEANUP_MAX];
static int	nc;
static int	cfd = -1;	/* the pipe's write end */

/* Remember path as it is now; -1 if it is not there or no room. */
int
cleanup_add(const char *path)
{
	struct stat	st;

	if (nc == CLEANUP_MAX || lstat(path, &st) == -1 ||
	    (C[nc].path = strdup(path)) == NULL)
		return (-1);
	C[nc].dev = st.st_dev;
	C[nc].ino = st.st_ino;
	nc++;
	return (0);
}

static void __attribute__((noreturn))
cleanup_wait(int rfd)
{
	struct stat	st;
	char		c;
	int		i;

	(void)prctl(PR_SET_NAME, "mux-cleanup");
	/* The admin's signals are for the mux; its end is ours. */
	(void)signal(SIGTERM, SIG_IGN);
	(void)signal(SIGINT, SIG_IGN);
	(void)signal(SIGHUP, SIG_IGN);
	(void)signal(SIGUSR1, SIG_IGN);
	(void)signal(SIGUSR2, SIG_IGN);
	(void)close_range(0, (unsigned int)rfd - 1, 0);
	(void)close_range((unsigned int)rfd + 1, ~0U, 0);
	while (read(rfd, &c, 1) == -1 && errno == EINTR)
		;
	for (i = 0; i < nc; i++)
		if (lstat(C[i].path, &st) == 0 && st.st_dev == C[i].dev &&
		    st.st_ino == C[i].ino)
			(void)unlink(C[i].path);
	_exit(0);
}

/* Fork the helper; the mux keeps the pipe's write end, close-on-exec. */
int
cleanup_start(void)
{
	int	p[2];
	pid_t	pid;

	if (nc == 0)
		return (0);
	if (pipe2(p, O_CLOEXEC) == -1)
		return (-1);
	if ((pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		return (-1);
	}
	if (pid == 0)
		cleanup_wait(p[0]);
	close(p[0]);
	cfd = p[1];
	return (0);
}

/*
 * The pipe's write end, or -1.  An upgrade hands it to the new mux: the
 * helper then waits for both to exit, and the sockets and the pid file,
 * the same files, serve the new mux meanwhile.
 */
int
cleanup_fd(void)
{
	return (cfd);
}
