/*
 * Load generator, shaped like the milter: one request line per
 * connection, N connections in flight, for T seconds.  Prints req/s and
 * p50/p99 latency.  usage: mux-bench-load [-c conc] [-t secs]
 * [-l line] [-e prefix] SOCKET.  ISC licence, see src/worker/ws.h.
 */
#include <sys/epoll.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define MAXLAT_US	1000000

struct conn {
	int	fd;
	int64_t	t0;
	size_t	got;
	char	buf[256];
};

static struct sockaddr_storage	ss;
static socklen_t		sslen;
static const char		*line = "scan Q1 /tmp\n";
static const char		*expect = "ok";
static uint32_t			*lat;
static uint64_t			nok, nerr, nconnerr;
static int			ep;
static int64_t			deadline;	/* stop retrying connects */
static int			draining;	/* past the deadline */
static int			inflight;

static int64_t
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

static void	conn_event(struct conn *, uint32_t);
static void	conn_done(struct conn *, int);
static void	conn_failed(struct conn *, const char *);

static void
conn_start(struct conn *c)
{
	struct epoll_event	ev;
	int			rv;

	for (;;) {
		c->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
		c->got = 0;
		c->t0 = now_us();
		if (c->fd == -1) {
			nconnerr++;
			usleep(1000);
			continue;
		}
		if ((rv = connect(c->fd, (struct sockaddr *)&ss, sslen)) == 0 ||
		    errno == EINPROGRESS)
			break;
		/* Backlog full, or no server: count it, retry until the end. */
		nconnerr++;
		close(c->fd);
		c->fd = -1;
		if (now_us() > deadline) {
			inflight--;
			return;
		}
		usleep(errno == EAGAIN ? 100 : 10000);
	}
	/*
	 * Connected at once (UNIX sockets): write now, before anything
	 * else, as the milter's MXCommand does.
	 */
	if (rv == 0 && write(c->fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		conn_failed(c, "write");
		return;
	}
	ev.events = rv == 0 ? EPOLLIN : EPOLLOUT;
	ev.data.ptr = c;
	epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void
conn_done(struct conn *c, int ok)
{
	int64_t	d = now_us() - c->t0;

	if (ok) {
		nok++;
		lat[d < MAXLAT_US ? d : MAXLAT_US - 1]++;
	} else
		nerr++;
	close(c->fd);
	if (draining) {
		inflight--;
		return;
	}
	conn_start(c);
}

/* A request that failed; the first one is told, to say why. */
static void
conn_failed(struct conn *c, const char *where)
{
	static int	told;

	c->buf[c->got] = '\0';
	if (!told++)
		fprintf(stderr, "mux-bench-load: first failure: %s: %s "
		    "(reply: \"%.*s\")\n", where, errno ? strerror(errno) :
		    "no error", (int)strcspn(c->buf, "\n"), c->buf);
	conn_done(c, 0);
}

static void
conn_event(struct conn *c, uint32_t events)
{
	struct epoll_event	ev;
	ssize_t			n;

	if (events & EPOLLOUT) {
		if (write(c->fd, line, strlen(line)) != (ssize_t)strlen(line)) {
			conn_failed(c, "write");
			return;
		}
		ev.events = EPOLLIN;
		ev.data.ptr = c;
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
		return;
	}
	n = read(c->fd, c->buf + c->got, sizeof(c->buf) - 1 - c->got);
	if (n == -1 && errno == EAGAIN)
		return;
	if (n > 0) {
		c->got += (size_t)n;
		if (c->got < sizeof(c->buf) - 1)
			return;
	}
	c->buf[c->got] = '\0';
	if (strncmp(c->buf, expect, strlen(expect)) != 0)
		conn_failed(c, n == -1 ? "read" : "reply");
	else
		conn_done(c, 1);
}

static double
percentile(uint64_t total, double p)
{
	uint64_t	want = (uint64_t)ceil((double)total * p), seen = 0;
	int		i;

	for (i = 0; i < MAXLAT_US; i++) {
		seen += lat[i];
		if (seen >= want && want > 0)
			return (i);
	}
	return (0);
}

int
main(int argc, char *argv[])
{
	struct epoll_event	 evs[256];
	struct conn		*conns;
	int			 conc = 1, secs = 5, ch, i, n;
	char			*lbuf = NULL;
	int64_t			 end, t0;
	double			 el;

	while ((ch = getopt(argc, argv, "c:t:l:e:")) != -1) {
		switch (ch) {
		case 'c':
			conc = atoi(optarg);
			break;
		case 't':
			secs = atoi(optarg);
			break;
		case 'l':
			/* A request is a line: add the LF if it is missing. */
			if (asprintf(&lbuf, "%s%s", optarg,
			    optarg[0] && optarg[strlen(optarg) - 1] == '\n' ?
			    "" : "\n") == -1)
				return (1);
			line = lbuf;
			break;
		case 'e':
			expect = optarg;
			break;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc || bench_addr(argv[optind], &ss, &sslen) == -1)
		goto usage;
	signal(SIGPIPE, SIG_IGN);
	lat = calloc(MAXLAT_US, sizeof(*lat));
	conns = calloc((size_t)conc, sizeof(*conns));
	ep = epoll_create1(0);
	t0 = now_us();
	end = t0 + (int64_t)secs * 1000000;
	deadline = end + 10 * 1000000;
	inflight = conc;
	for (i = 0; i < conc; i++)
		conn_start(&conns[i]);
	while (now_us() < end) {
		n = epoll_wait(ep, evs, 256, 100);
		for (i = 0; i < n; i++)
			conn_event(evs[i].data.ptr, evs[i].events);
	}
	el = (double)(now_us() - t0) / 1e6;
	/* Let the requests in flight finish, so every one is counted. */
	draining = 1;
	end = now_us() + 10 * 1000000;
	while (inflight > 0 && now_us() < end) {
		n = epoll_wait(ep, evs, 256, 100);
		for (i = 0; i < n; i++)
			conn_event(evs[i].data.ptr, evs[i].events);
	}
	printf("conc=%d secs=%.1f ok=%llu err=%llu connretry=%llu "
	    "req/s=%.0f p50=%.0fus p99=%.0fus%s\n", conc, el,
	    (unsigned long long)nok, (unsigned long long)nerr,
	    (unsigned long long)nconnerr, (double)nok / el,
	    percentile(nok, 0.50), percentile(nok, 0.99),
	    inflight > 0 ? " UNANSWERED" : "");
	for (i = 0; i < conc; i++)
		if (conns[i].fd != -1 && inflight > 0)
			close(conns[i].fd);
	if (nok + nerr == 0 && nconnerr > 0) {
		fprintf(stderr, "mux-bench-load: could not connect\n");
		return (1);
	}
	free(conns);
	free(lat);
	free(lbuf);
	close(ep);
	return (0);
usage:
	fprintf(stderr, "usage: mux-bench-load [-c conc] [-t secs] "
	    "[-l line] [-e prefix] SOCKET\n");
	return (1);
}
