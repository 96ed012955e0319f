/*
 * Fan-out of listener events: N listeners subscribe to Z and Y on a mux
 * listener socket; each round one request line goes to a pool of one
 * worker, whose free count goes 1 -> 0 -> 1 (Z, then Y).  Prints, over
 * the rounds, the median and worst time from writing the request until
 * the first and the last listener has read its Z.  The clock starts
 * before the worker even has the line, so the first-listener figure is
 * the floor (wake the worker, wake the mux); last - first is what the
 * fan-out to N listeners costs.  The listeners are read by this one
 * process, which is part of the cost measured.
 * usage: mux-bench-fanout [-n listeners] [-r rounds] NOTIFY REQUEST.
 * ISC licence, see src/worker/ws.h.
 */
#include <sys/epoll.h>
#include <sys/resource.h>

#include <errno.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static int64_t
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

static int
dial(const char *spec)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	int			fd;

	if (bench_addr(spec, &ss, &len) == -1 ||
	    (fd = socket(ss.ss_family, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&ss, len) == -1) {
		perror(spec);
		exit(1);
	}
	return (fd);
}

/* Read from fd until the buffer holds want; blocking. */
static void
expect(int fd, const char *want)
{
	char	buf[256];
	size_t	got = 0, n = strlen(want);
	ssize_t	r;

	while (got < n) {
		if ((r = read(fd, buf + got, n - got)) <= 0) {
			fprintf(stderr, "listener closed or failed\n");
			exit(1);
		}
		got += (size_t)r;
	}
	if (memcmp(buf, want, n) != 0) {
		fprintf(stderr, "expected %s, got %.*s", want, (int)n, buf);
		exit(1);
	}
}

static int
cmp64(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x < y ? -1 : x > y);
}

int
main(int argc, char **argv)
{
	struct epoll_event	 ev, evs[256];
	struct rlimit		 rl;
	int64_t			*first, *last, t0, t;
	int			*fds, n = 100, rounds = 50, ep, c, i, k, seen, r;
	char			 buf[64];

	while ((c = getopt(argc, argv, "n:r:")) != -1) {
		if (c == 'n')
			n = atoi(optarg);
		else if (c == 'r')
			rounds = atoi(optarg);
		else
			goto usage;
	}
	if (argc - optind != 2 || n < 1 || rounds < 1) {
usage:
		fprintf(stderr, "usage: mux-bench-fanout [-n listeners] "
		    "[-r rounds] NOTIFY REQUEST\n");
		return (2);
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < (rlim_t)n + 64) {
		rl.rlim_cur = rl.rlim_max < (rlim_t)n + 64 ? rl.rlim_max :
		    (rlim_t)n + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	fds = calloc((size_t)n, sizeof(*fds));
	first = calloc((size_t)rounds, sizeof(*first));
	last = calloc((size_t)rounds, sizeof(*last));
	if ((ep = epoll_create1(0)) == -1 || !fds || !first || !last)
		return (1);
	for (i = 0; i < n; i++) {
		fds[i] = dial(argv[optind]);
		(void)write(fds[i], "?YZ\n", 4);
		expect(fds[i], "*OK\n");
	}
	for (i = 0; i < n; i++) {
		ev.events = EPOLLIN | EPOLLONESHOT;
		ev.data.u32 = (uint32_t)i;
		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
	}
	usleep(200000);		/* every ?YZ handled */
	for (r = 0; r < rounds; r++) {
		/* One wake-up per listener and round: its Z, not its Y. */
		for (i = 0; r > 0 && i < n; i++) {
			ev.events = EPOLLIN | EPOLLONESHOT;
			ev.data.u32 = (uint32_t)i;
			epoll_ctl(ep, EPOLL_CTL_MOD, fds[i], &ev);
		}
		c = dial(argv[optind + 1]);
		t0 = now_us();
		(void)write(c, "x\n", 2);
		/* Each listener gets "Z\n" then "Y\n": count the Zs. */
		for (seen = 0, first[r] = 0; seen < n;) {
			k = epoll_wait(ep, evs, 256, 5000);
			if (k <= 0) {
				fprintf(stderr, "round %d: %d of %d listeners "
				    "got Z\n", r, seen, n);
				return (1);
			}
			t = now_us();
			for (i = 0; i < k; i++) {
				expect(fds[evs[i].data.u32], "Z\n");
				if (seen++ == 0)
					first[r] = t - t0;
			}
		}
		last[r] = now_us() - t0;
		(void)read(c, buf, sizeof(buf));
		close(c);
		/* Then everybody's Y, so the next round starts clean. */
		for (seen = 0; seen < n; seen++)
			expect(fds[seen], "Y\n");
		usleep(2000);
	}
	qsort(first, (size_t)rounds, sizeof(*first), cmp64);
	qsort(last, (size_t)rounds, sizeof(*last), cmp64);
	printf("listeners=%d rounds=%d first_p50=%lldus last_p50=%lldus "
	    "last_max=%lldus\n", n, rounds, (long long)first[rounds / 2],
	    (long long)last[rounds / 2], (long long)last[rounds - 1]);
	return (0);
}
