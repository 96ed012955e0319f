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
 * "muxctl top": the pool on one screen, from the listener protocol
 * alone (mux-notify(7)), so it watches mimedefang-multiplexor's -O
 * socket as well as mux's: the slots as a bar from "S n StateChange",
 * the free count from "F n", Z/Y, events a second by letter, each
 * slot's last tag, the latest events.  On a socket that takes control
 * actions (mux's UNIX ones) it also asks "status" each second for the
 * queue; elsewhere the queue shows as unknown.  'q' or ^C quits.
 */

#include <sys/ioctl.h>
#include <sys/time.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "muxtop.h"

#define TOP_SLOTS	1024	/* slots shown at most */
#define TOP_RECENT	12	/* latest events kept */
#define TOP_TAG		60	/* bytes of a tag shown */

struct top_slot {
	char	 st;		/* S I B K, or 0: not seen */
	char	 tag[TOP_TAG + 1];
	time_t	 at;		/* its last event */
};

static struct {
	int		 fd;
	const char	*spec;
	char		 in[65536];
	size_t		 len;
	int		 free;		/* -1: not known yet */
	int		 zero;		/* after Z, before Y */
	int		 nslots;	/* highest seen + 1 */
	struct top_slot	 slot[TOP_SLOTS];
	unsigned long	 n[26], last[26];	/* events by letter */
	double		 rate[26];
	char		 recent[TOP_RECENT][112];
	int		 nrecent;
	int		 queued;	/* -1: not known */
	int		 status_ok;	/* the socket answers "status" */
	int		 asked;		/* a status is on its way */
	time_t		 start;
	struct termios	 tio;
	int		 raw;
} T;

static volatile sig_atomic_t top_stop;

static void
top_on_signal(int sig)
{
	(void)sig;
	top_stop = 1;
}

static void
top_recent(const char *l)
{
	struct timeval	tv;
	struct tm	tm;
	char		ts[12];

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	memmove(T.recent[1], T.recent[0], sizeof(T.recent[0]) *
	    (TOP_RECENT - 1));
	snprintf(T.recent[0], sizeof(T.recent[0]), "%s.%03ld %.70s", ts,
	    (long)tv.tv_usec / 1000, l);
	if (T.nrecent < TOP_RECENT)
		T.nrecent++;
}

/* "S n StateChange Old -> New", or "S n tag". */
static void
top_slot_line(const char *l)
{
	static const char	*names = "SIBK";
	static const char	*full[] = { "Stopped", "Idle", "Busy",
				    "Killed" };
	struct top_slot		*s;
	const char		*p, *arrow;
	char			*end;
	long			 n;
	int			 i;

	n = strtol(l + 2, &end, 10);
	if (end == l + 2 || *end != ' ' || n < 0 || n >= TOP_SLOTS)
		return;
	s = &T.slot[n];
	s->at = time(NULL);
	if (n + 1 > T.nslots)
		T.nslots = (int)n + 1;
	p = end + 1;
	if (strncmp(p, "StateChange ", 12) == 0 &&
	    (arrow = strstr(p, "-> ")) != NULL) {
		for (i = 0; i < 4; i++)
			if (strcmp(arrow + 3, full[i]) == 0)
				s->st = names[i];
		return;
	}
	snprintf(s->tag, sizeof(s->tag), "%s", p);
}

/* A status reply's pool line: the queue. */
static void
top_status_line(const char *l)
{
	const char	*q;

	if (strncmp(l, "*-pool ", 7) == 0 &&
	    (q = strstr(l, " queued=")) != NULL) {
		T.queued = atoi(q + 8);
		T.status_ok = 1;
		/* The bar's length: slots not seen yet show as '.'. */
		if ((q = strstr(l, " slots=")) != NULL && atoi(q + 7) >
		    T.nslots && atoi(q + 7) <= TOP_SLOTS)
			T.nslots = atoi(q + 7);
	} else if (strncmp(l, "*OK status", 10) == 0 ||
	    strncmp(l, "*ERR", 4) == 0)
		T.asked = 0;
	if (strncmp(l, "*ERR", 4) == 0 && !T.status_ok)
		T.status_ok = -1;	/* a TCP socket, or the real one */
}

static void
top_line(const char *l)
{
	if (l[0] == '*') {
		top_status_line(l);
		if (strncmp(l, "*SKIPPED", 8) == 0)
			top_recent(l);
		return;
	}
	if (l[0] < 'A' || l[0] > 'Z')
		return;
	T.n[l[0] - 'A']++;
	switch (l[0]) {
	case 'F':
		T.free = atoi(l + 2);
		return;		/* too many to list */
	case 'Z':
		T.zero = 1;
		break;
	case 'Y':
		T.zero = 0;
		break;
	case 'S':
		top_slot_line(l);
		if (strstr(l, " StateChange ") != NULL)
			return;
		break;
	}
	top_recent(l);
}

/* Whole lines out of what was read; -1 at the end of the connection. */
static int
top_read(void)
{
	char	*nl, *l = T.in;
	ssize_t	 r;

	if ((r = read(T.fd, T.in + T.len, sizeof(T.in) - T.len)) <= 0)
		return (r == -1 && errno == EINTR ? 0 : -1);
	T.len += (size_t)r;
	while ((nl = memchr(l, '\n', T.len - (size_t)(l - T.in))) != NULL) {
		*nl = '\0';
		if (nl > l && nl[-1] == '\r')
			nl[-1] = '\0';
		top_line(l);
		l = nl + 1;
	}
	T.len -= (size_t)(l - T.in);
	memmove(T.in, l, T.len);
	if (T.len == sizeof(T.in))
		T.len = 0;	/* a line longer than any the mux sends */
	return (0);
}

static void
top_bar(char *buf, size_t sz)
{
	int	i, n = T.nslots < (int)sz - 1 ? T.nslots : (int)sz - 1;

	for (i = 0; i < n; i++)
		buf[i] = T.slot[i].st ? T.slot[i].st : '.';
	buf[n] = '\0';
}

static void
top_draw(void)
{
	static const char	 letters[] = "FZYBURSM";
	char			 bar[TOP_SLOTS + 1], now[16], f[16], q[32];
	struct winsize		 ws;
	struct tm		 tm;
	time_t			 t = time(NULL);
	int			 i, rows = 24, cnt[4] = { 0 }, shown;
	long			 up = (long)(t - T.start);

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
		rows = ws.ws_row;
	localtime_r(&t, &tm);
	strftime(now, sizeof(now), "%H:%M:%S", &tm);
	for (i = 0; i < T.nslots; i++)
		if (T.slot[i].st != 0)
			cnt[strchr("SIBK", T.slot[i].st) - "SIBK"]++;
	top_bar(bar, sizeof(bar));
	printf("\033[H\033[2J");
	printf("mux top  %s  %s  watching %ld:%02ld:%02ld\r\n", T.spec, now,
	    up / 3600, up / 60 % 60, up % 60);
	snprintf(f, sizeof(f), T.free < 0 ? "?" : "%d", T.free);
	snprintf(q, sizeof(q), T.status_ok == 1 ? "%d" : "? (not on this "
	    "socket)", T.queued);
	printf("free %-4s %s   queue %s\r\n", f, T.zero ? "NONE FREE (Z)" :
	    "workers free (Y)", q);
	printf("slots [%s]\r\n", bar);
	printf("      %d busy, %d idle, %d stopped, %d killed, %d seen\r\n",
	    cnt[2], cnt[1], cnt[0], cnt[3], T.nslots);
	printf("events/s ");
	for (i = 0; letters[i] != '\0'; i++)
		printf(" %c %.0f", letters[i], T.rate[letters[i] - 'A']);
	printf("\r\n\r\n slot st tag\r\n");
	shown = 0;
	for (i = 0; i < T.nslots && shown < rows - 10 - T.nrecent; i++) {
		if (T.slot[i].st == 0 && T.slot[i].tag[0] == '\0')
			continue;
		printf(" %4d %c  %s\r\n", i, T.slot[i].st ? T.slot[i].st : '.',
		    T.slot[i].tag);
		shown++;
	}
	printf("\r\nlatest events\r\n");
	for (i = 0; i < T.nrecent && i < rows - 9 - shown; i++)
		printf(" %s\r\n", T.recent[i]);
	fflush(stdout);
}

static void
top_tick(void)
{
	int	i;

	for (i = 0; i < 26; i++) {
		T.rate[i] = (double)(T.n[i] - T.last[i]);
		T.last[i] = T.n[i];
	}
	if (T.status_ok >= 0 && !T.asked) {
		T.asked = 1;
		if (write(T.fd, "status\n", 7) != 7)
			T.status_ok = -1;
	}
}

static void
top_term(int on)
{
	struct termios	t;

	if (on && isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO,
	    &T.tio) == 0) {
		t = T.tio;
		t.c_lflag &= ~(ICANON | ECHO);
		t.c_cc[VMIN] = 0;
		t.c_cc[VTIME] = 0;
		T.raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
	} else if (!on && T.raw)
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &T.tio);
	/* The alternate screen, the cursor hidden; both undone at the end. */
	printf(on ? "\033[?1049h\033[?25l" : "\033[?25h\033[?1049l");
	fflush(stdout);
}

/* fd: a listener socket past its *OK; pre: what was read after it. */
int
top_run(int fd, const char *spec, const char *pre, size_t prelen)
{
	struct sigaction	 sa;
	struct pollfd		 pfd[2];
	struct timespec		 now, next;
	char			 c;
	int			 rv = 0, ms;

	T.fd = fd;
	T.spec = spec;
	T.free = T.queued = -1;
	T.start = time(NULL);
	if (prelen > sizeof(T.in))
		prelen = 0;
	memcpy(T.in, pre, prelen);
	T.len = prelen;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = top_on_signal;
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	if (write(fd, "?*\n", 3) != 3)
		return (1);
	top_term(1);
	clock_gettime(CLOCK_MONOTONIC, &next);
	pfd[0] = (struct pollfd){ fd, POLLIN, 0 };
	pfd[1] = (struct pollfd){ STDIN_FILENO, POLLIN, 0 };
	while (!top_stop) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (int)((next.tv_sec - now.tv_sec) * 1000 +
		    (next.tv_nsec - now.tv_nsec) / 1000000);
		if (ms <= 0) {
			top_tick();
			top_draw();
			next.tv_sec++;
			continue;
		}
		if (poll(pfd, T.raw ? 2 : 1, ms) <= 0)
			continue;
		if ((pfd[0].revents & (POLLIN | POLLHUP)) && top_read() == -1) {
			rv = 1;
			break;
		}
		if (T.raw && (pfd[1].revents & POLLIN) &&
		    read(STDIN_FILENO, &c, 1) == 1 && (c == 'q' || c == 'Q'))
			break;
	}
	top_term(0);
	if (rv)
		fprintf(stderr, "muxctl: %s closed the connection\n", spec);
	return (rv);
}
