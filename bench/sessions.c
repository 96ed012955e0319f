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
 * msg all to N live sessions (bench/sessions.sh): open N sessions on a
 * service listener and read their greetings; send "msg all TEXT" on the
 * control socket; as soon as it is answered, every session sends NOOP.
 * Each reply must be exactly "200-TEXT\r\n200 ok\r\n": the message on
 * the next reply, none lost.  Prints the answer's time and how long
 * until the last session had its message.
 */

#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct sess {
	int	 fd;
	size_t	 len;
	double	 done;		/* ms after the msg, when the reply was whole */
	char	 buf[2048];
};

static double
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

static int
cmp_d(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

/* Read until buf ends with a final "NNN " line; 1 when it does. */
static int
sess_read(struct sess *s)
{
	ssize_t	n;
	char	*last;

	while ((n = read(s->fd, s->buf + s->len, sizeof(s->buf) - 1 -
	    s->len)) > 0)
		s->len += (size_t)n;
	if (n == 0 || s->len == sizeof(s->buf) - 1)
		return (-1);
	s->buf[s->len] = '\0';
	if (s->len < 2 || s->buf[s->len - 1] != '\n')
		return (0);
	s->buf[s->len - 1] = '\0';
	last = strrchr(s->buf, '\n');
	last = last ? last + 1 : s->buf;
	s->buf[s->len - 1] = '\n';
	return (strlen(last) >= 4 && last[3] == ' ');
}

static int
dial(int port)
{
	struct sockaddr_in	sin;
	int			fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
		err(1, "connect");
	(void)fcntl(fd, F_SETFL, O_NONBLOCK);
	return (fd);
}

/* Wait until every session has a whole reply; -1 on timeout. */
static int
gather(int ep, struct sess *s, int n, double t0, double timeout)
{
	struct epoll_event	ev[256];
	int			left = n, i, k, r;

	for (i = 0; i < n; i++)
		s[i].len = 0;
	while (left > 0) {
		if (now_ms() - t0 > timeout)
			return (-1);
		k = epoll_wait(ep, ev, 256, 100);
		for (i = 0; i < k; i++) {
			struct sess *p = &s[ev[i].data.u32];

			if (p->done >= 0)
				continue;
			if ((r = sess_read(p)) == -1)
				errx(1, "session %u: closed or overflowed",
				    ev[i].data.u32);
			if (r == 1) {
				p->done = now_ms() - t0;
				left--;
			}
		}
	}
	return (0);
}

int
main(int argc, char **argv)
{
	struct sockaddr_un	 sun;
	struct epoll_event	 e;
	struct rlimit		 rl;
	struct sess		*s;
	double			 t0, ack, *d;
	char			 want[1200], line[1200], text[1100];
	int			 n, port, ctl, ep, i, bad = 0, c;
	ssize_t			 k;

	if (argc != 5 && argc != 6)
		errx(2, "usage: mux-bench-sessions N PORT CTLSOCK TEXT [LEN]");
	n = atoi(argv[1]);
	port = atoi(argv[2]);
	snprintf(text, sizeof(text), "%s", argv[4]);
	if (argc == 6) {	/* pad the text to LEN bytes: fill the queue */
		c = atoi(argv[5]);
		for (i = (int)strlen(text); i < c && i < 1000; i++)
			text[i] = (char)('a' + i % 26);
		text[i] = '\0';
	}
	rl.rlim_cur = rl.rlim_max = (rlim_t)n + 64;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
	if ((s = calloc((size_t)n, sizeof(*s))) == NULL ||
	    (d = calloc((size_t)n, sizeof(*d))) == NULL)
		err(1, "calloc");
	if ((ep = epoll_create1(0)) == -1)
		err(1, "epoll_create1");
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		s[i].fd = dial(port);
		s[i].done = -1;
		e.events = EPOLLIN;
		e.data.u32 = (uint32_t)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, s[i].fd, &e) == -1)
			err(1, "epoll_ctl");
	}
	if (gather(ep, s, n, t0, 120000) == -1)
		errx(1, "not every session was greeted in 120 s");
	for (i = 0; i < n; i++)
		if (strncmp(s[i].buf, "220 ", 4) != 0)
			errx(1, "session %d: greeted with %s", i, s[i].buf);
	printf("sessions %d greeted in %.0f ms\n", n, now_ms() - t0);

	/* The same round without a message: what a command costs. */
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		s[i].done = -1;
		if (write(s[i].fd, "NOOP\r\n", 6) != 6)
			err(1, "write");
	}
	if (gather(ep, s, n, t0, 30000) == -1)
		errx(1, "not every session answered NOOP in 30 s");
	printf("NOOP to every session, no message: all answered in %.1f ms\n",
	    now_ms() - t0);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", argv[3]);
	if ((ctl = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(ctl, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		err(1, "%s", argv[3]);
	k = read(ctl, line, sizeof(line) - 1);	/* *OK greeting */
	snprintf(line, sizeof(line), "msg all %s\n", text);
	for (i = 0; i < n; i++)
		s[i].done = -1;
	t0 = now_ms();
	if (write(ctl, line, strlen(line)) == -1)
		err(1, "write");
	if ((k = read(ctl, line, sizeof(line) - 1)) <= 0)
		errx(1, "no answer to msg all");
	ack = now_ms() - t0;
	line[k] = '\0';
	printf("msg all (%zu bytes of text) answered in %.2f ms: %s",
	    strlen(text), ack, line);
	for (i = 0; i < n; i++)
		if (write(s[i].fd, "NOOP\r\n", 6) != 6)
			err(1, "write");
	if (gather(ep, s, n, t0, 30000) == -1)
		warnx("not every session answered within 30 s");
	snprintf(want, sizeof(want), "200-%s\r\n200 ok\r\n", text);
	for (i = 0, c = 0; i < n; i++) {
		if (s[i].done < 0 || strcmp(s[i].buf, want) != 0) {
			if (bad++ < 3)
				printf("session %d: %s", i, s[i].done < 0 ?
				    "no reply\n" : s[i].buf);
			continue;
		}
		d[c++] = s[i].done;
	}
	qsort(d, (size_t)c, sizeof(*d), cmp_d);
	printf("delivered %d of %d on the next reply, %d without\n", c, n, bad);
	if (c > 0)
		printf("from msg to the message in the reply: p50 %.1f ms, "
		    "p99 %.1f ms, last %.1f ms\n", d[c / 2],
		    d[(c * 99) / 100 < c ? (c * 99) / 100 : c - 1], d[c - 1]);
	return (bad != 0);
}
