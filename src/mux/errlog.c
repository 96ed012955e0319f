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
 * Worker stderr: each slot's programs write to a pipe the mux reads, and
 * every line is logged as mimedefang-multiplexor logs it, "Worker N
 * stderr: TEXT", so a filter's warnings and dying words reach syslog.
 * The pipe is always drained, so a program never blocks on its stderr;
 * past ERRLOG_BURST lines in ERRLOG_WINDOW seconds the rest are counted,
 * not logged, and the count is logged once the window is over.
 */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "mux.h"

#define ERRLOG_BURST	100	/* lines logged per window and slot */
#define ERRLOG_WINDOW	10	/* s */
#define ERRLOG_READ	16384	/* bytes read per wake-up */

/*
 * Hand the line in el to fn; a CR that did not end it is shown as '?'.
 * A full buffer that ends in CR keeps it: the LF may come next.
 */
static void
errlog_emit(struct errlog *el, int eol,
    void (*fn)(struct errlog *, const char *, size_t))
{
	size_t	i;
	int	carry = 0;

	if (el->len > 0 && el->buf[el->len - 1] == '\r') {
		carry = !eol && el->len == ERRLOG_LINE_MAX;
		if (eol || carry)
			el->len--;
	}
	for (i = 0; i < el->len; i++)
		if (el->buf[i] == '\r')
			el->buf[i] = '?';
	fn(el, el->buf, el->len);
	el->len = 0;
	if (carry)
		el->buf[el->len++] = '\r';
}

/*
 * Cut data into lines: each complete one, or ERRLOG_LINE_MAX bytes of a
 * longer one, goes to fn, without its LF or CRLF; a partial line waits
 * in el for more, whatever the pieces.  Other control bytes are shown
 * as '?', so a line cannot forge another in the log.  Pure.
 */
void
errlog_feed(struct errlog *el, const char *p, size_t n,
    void (*fn)(struct errlog *, const char *, size_t))
{
	size_t	i;
	char	c;

	for (i = 0; i < n; i++) {
		c = p[i];
		if (c == '\n') {
			errlog_emit(el, 1, fn);
			continue;
		}
		if (((unsigned char)c < 0x20 && c != '\r') || c == 0x7f)
			c = (c == '\t') ? ' ' : '?';
		el->buf[el->len++] = c;
		if (el->len == ERRLOG_LINE_MAX)
			errlog_emit(el, 0, fn);
	}
}

/* A new window when this one is over, or now (force) at the close. */
static void
errlog_window(struct errlog *el, int64_t now, int force)
{
	if (!force && now - el->win < ERRLOG_WINDOW)
		return;
	if (el->dropped > 0)
		log_warnx("Worker %d stderr: %llu more lines not logged "
		    "(over %d in %d s)", el->idx,
		    (unsigned long long)el->dropped, ERRLOG_BURST,
		    ERRLOG_WINDOW);
	el->win = now;
	el->nwin = 0;
	el->dropped = 0;
}

static void
errlog_line(struct errlog *el, const char *s, size_t n)
{
	errlog_window(el, slot_now_ms() / 1000, 0);
	if (el->nwin >= ERRLOG_BURST) {
		el->dropped++;
		return;
	}
	el->nwin++;
	log_info("Worker %d stderr: %.*s", el->idx, (int)n, s);
}

/* Read once: 1 for data, 0 when there is none yet, -1 at EOF or error. */
static int
errlog_read(struct errlog *el)
{
	char	buf[ERRLOG_READ];
	ssize_t	n;

	while ((n = read(el->fd, buf, sizeof(buf))) == -1 && errno == EINTR)
		;
	if (n > 0) {
		errlog_feed(el, buf, (size_t)n, errlog_line);
		return (1);
	}
	return (n == -1 && errno == EAGAIN ? 0 : -1);
}

static void
errlog_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct errlog	*el = arg;

	(void)fd;
	(void)ev;
	if (errlog_read(el) == -1)
		errlog_close(el);	/* every program of the slot is gone */
}

/*
 * A pipe for slot idx's stderr: the write end, for the worker session
 * to give its programs, or -1 (then their stderr is the mux's).
 */
int
errlog_open(struct errlog *el, struct event_base *base, int idx)
{
	int	p[2];

	errlog_close(el);
	el->idx = idx;
	if (pipe2(p, O_CLOEXEC) == -1) {
		log_warn("worker %d: stderr pipe", idx);
		return (-1);
	}
	(void)fcntl(p[0], F_SETFL, O_NONBLOCK);
	el->fd = p[0];
	el->ev = event_new(base, el->fd, EV_READ | EV_PERSIST, errlog_cb, el);
	if (el->ev == NULL || event_add(el->ev, NULL) == -1) {
		log_warnx("worker %d: stderr event", idx);
		errlog_close(el);
		close(p[1]);
		return (-1);
	}
	return (p[1]);
}

/*
 * The slot's worker is gone: log what it left in the pipe, the last
 * partial line too, then close.  A program still alive after its
 * worker session loses its stderr (EPIPE), which bounds what it costs.
 */
void
errlog_close(struct errlog *el)
{
	int	i;

	if (el->ev == NULL)
		return;
	for (i = 0; i < 16 && errlog_read(el) == 1; i++)
		;
	if (el->len > 0)
		errlog_emit(el, 0, errlog_line);
	errlog_window(el, slot_now_ms() / 1000, 1);
	event_free(el->ev);
	el->ev = NULL;
	close(el->fd);
	el->fd = -1;
}
