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
 * The pool-mode handler process of one worker session (MIMEDefang
 * contract): started once, fed one request line at a time on stdin,
 * answers on stdout, may report status on fd 3.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ws.h"

/* -R and -M: what a MIME bomb may cost (mimedefang-multiplexor(8)). */
static void
ws_hd_limits(const struct ws_conf *conf)
{
	struct rlimit	rl;

	if (conf->max_rss > 0) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)conf->max_rss * 1024;
		(void)setrlimit(RLIMIT_RSS, &rl);
	}
	if (conf->max_as > 0) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)conf->max_as * 1024;
		(void)setrlimit(RLIMIT_AS, &rl);
		(void)setrlimit(RLIMIT_DATA, &rl);
	}
}

static void
ws_hd_child(const struct ws_conf *conf, int in, int out, int st, int errfd,
    int logfd, char *const *vars)
{
	int	e;

	/* A session's handler goes with its worker session. */
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	/* Only this child's copy of the environment changes. */
	for (; vars != NULL && *vars != NULL; vars++)
		(void)putenv(*vars);
	if (st != -1)
		(void)setenv("MUX_STATUS_FD", "3", 1);
	ws_hd_limits(conf);

	if (dup2(in, 0) == -1 || dup2(out, 1) == -1)
		goto fail;
	if (logfd != -1 && dup2(logfd, 2) == -1)
		goto fail;
	if (st != -1) {
		if (dup2(st, WS_STATUS_FD) == -1)
			goto fail;
		(void)close_range(WS_STATUS_FD + 1, errfd - 1, 0);
		(void)close_range(errfd + 1, ~0U, 0);
	} else {
		(void)close_range(3, errfd - 1, 0);
		(void)close_range(errfd + 1, ~0U, 0);
	}
	execv(conf->prog, conf->argv);
fail:
	e = errno;
	(void)write(errfd, &e, sizeof(e));
	_exit(127);
}

/*
 * Did the child's execv() succeed?  EOF on the CLOEXEC pipe says yes;
 * an errno on it says no, and the child is reaped.
 */
static int
ws_hd_execd(struct ws_hd *hd, int perr)
{
	ssize_t	n;
	int	e = 0;

	while ((n = read(perr, &e, sizeof(e))) == -1 && errno == EINTR)
		;
	close(perr);
	if (n == (ssize_t)sizeof(e)) {
		(void)waitpid(hd->pid, NULL, 0);
		hd->pid = -1;
		errno = e;
		return (-1);
	}
	if (hd->st != -1)
		(void)fcntl(hd->st, F_SETFL, O_NONBLOCK);
	return (0);
}

/* Start the handler; -1 with errno set when it could not be executed. */
int
ws_hd_start(struct ws_hd *hd, const struct ws_conf *conf)
{
	int	pin[2], pout[2], pst[2] = { -1, -1 }, perr[2];

	if (pipe2(pin, O_CLOEXEC) == -1 || pipe2(pout, O_CLOEXEC) == -1 ||
	    pipe2(perr, O_CLOEXEC) == -1)
		return (-1);
	if (conf->status_fd && pipe2(pst, O_CLOEXEC) == -1)
		return (-1);
	hd->pid = fork();
	if (hd->pid == -1)
		return (-1);
	if (hd->pid == 0)
		ws_hd_child(conf, pin[0], pout[1], pst[1], perr[1], hd->log,
		    NULL);
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	if (pst[1] != -1)
		close(pst[1]);
	hd->in = pin[1];
	hd->out = pout[0];
	hd->st = pst[0];
	return (ws_hd_execd(hd, perr[0]));
}

/*
 * exec mode: a handler for one session, tcpserver style.  fd is both
 * its stdin and stdout (the client's socket, or our end of a
 * socketpair); vars join its environment; fd 3 is its status pipe.
 */
int
ws_hd_exec(struct ws_hd *hd, const struct ws_conf *conf, int fd,
    char *const *vars)
{
	int	pst[2], perr[2];

	if (pipe2(pst, O_CLOEXEC) == -1)
		return (-1);
	if (pipe2(perr, O_CLOEXEC) == -1) {
		close(pst[0]);
		close(pst[1]);
		return (-1);
	}
	if ((hd->pid = fork()) == 0) {
		(void)fcntl(fd, F_SETFL, 0);	/* its stdio blocks */
		ws_hd_child(conf, fd, fd, pst[1], perr[1], hd->log, vars);
	}
	close(pst[1]);
	close(perr[1]);
	hd->st = pst[0];
	hd->in = hd->out = -1;
	if (hd->pid == -1) {
		close(perr[0]);
		return (-1);
	}
	return (ws_hd_execd(hd, perr[0]));
}

static int
ws_hd_wait(struct ws_hd *hd, int ms)
{
	int64_t	deadline = slot_now_ms() + ms;
	struct timespec	ts = { 0, 10 * 1000 * 1000 };
	pid_t	r;

	for (;;) {
		r = waitpid(hd->pid, &hd->wstatus, WNOHANG);
		if (r == hd->pid || (r == -1 && errno == ECHILD)) {
			hd->reaped = r == hd->pid;
			hd->pid = -1;
			return (0);
		}
		if (slot_now_ms() >= deadline)
			return (-1);
		nanosleep(&ts, NULL);
	}
}

static void
ws_hd_close(struct ws_hd *hd)
{
	if (hd->in != -1)
		close(hd->in);
	if (hd->out != -1)
		close(hd->out);
	if (hd->st != -1)
		close(hd->st);
	hd->in = hd->out = hd->st = -1;
}

/*
 * Stop the handler.  Graceful: EOF on stdin first, as MIMEDefang does.
 * Then SIGTERM, and SIGKILL after grace_ms more.
 */
void
ws_hd_stop(struct ws_hd *hd, int graceful, int grace_ms)
{
	if (hd->pid <= 0) {
		ws_hd_close(hd);
		return;
	}
	if (graceful) {
		close(hd->in);
		hd->in = -1;
		if (ws_hd_wait(hd, grace_ms) == 0) {
			ws_hd_close(hd);
			return;
		}
	}
	hd->signalled = 1;
	(void)kill(hd->pid, SIGTERM);
	if (ws_hd_wait(hd, grace_ms) == -1) {
		(void)kill(hd->pid, SIGKILL);
		(void)ws_hd_wait(hd, grace_ms);
	}
	ws_hd_close(hd);
}
