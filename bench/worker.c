/*
 * The tiny external worker of the benchmarks: MIMEDefang's -server
 * contract at its cheapest, one "ok" per request line.  With
 * MUX_BENCH_SPIN_US in its environment it first computes for that many
 * microseconds of CPU per request, a handler that does real work.  ISC
 * licence, see src/worker/ws.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t
cpu_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

/* Compute for us microseconds of our own CPU time, not the wall's. */
static void
spin(int64_t us)
{
	volatile uint64_t	x = 0;
	int64_t			end = cpu_us() + us;
	int			i;

	while (cpu_us() < end)
		for (i = 0; i < 20000; i++)
			x += (uint64_t)i * 2654435761u;
}

int
main(void)
{
	char		 buf[8192], *p, *nl;
	const char	*e = getenv("MUX_BENCH_SPIN_US");
	int64_t		 us = e != NULL ? strtoll(e, NULL, 10) : 0;
	ssize_t		 n;
	size_t		 len = 0;

	for (;;) {
		n = read(0, buf + len, sizeof(buf) - len);
		if (n <= 0)
			return (0);
		len += (size_t)n;
		p = buf;
		while ((nl = memchr(p, '\n', len - (size_t)(p - buf))) != NULL) {
			if (us > 0)
				spin(us);
			if (write(1, "ok\n", 3) != 3)
				return (1);
			p = nl + 1;
		}
		len -= (size_t)(p - buf);
		memmove(buf, p, len);
		if (len == sizeof(buf))
			len = 0;
	}
}
