/*
 * The least an external worker can cost: a request byte to a second
 * process over a pipe and its answer back, the hop every MIMEDefang
 * handler adds to a request, with nothing else around it.  Prints the
 * time of one round trip with both processes on one CPU and with the
 * scheduler free to place them.
 * usage: mux-bench-pipe [round trips].  ISC licence, see src/worker/ws.h.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Microseconds per round trip to a child that echoes, or -1. */
static double
pipe_rtt(int n)
{
	struct timespec	t0, t1;
	int		req[2], rep[2], i;
	pid_t		pid;
	char		c = 'x';

	if (pipe(req) == -1 || pipe(rep) == -1 || (pid = fork()) == -1)
		return (-1);
	if (pid == 0) {
		close(req[1]);
		while (read(req[0], &c, 1) == 1)
			if (write(rep[1], &c, 1) != 1)
				break;
		_exit(0);
	}
	close(req[0]);
	close(rep[1]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++)
		if (write(req[1], &c, 1) != 1 || read(rep[0], &c, 1) != 1)
			return (-1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	close(req[1]);
	close(rep[0]);
	(void)waitpid(pid, NULL, 0);
	return (((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
	    (double)(t1.tv_nsec - t0.tv_nsec)) / n / 1e3);
}

int
main(int argc, char *argv[])
{
	cpu_set_t	all, one;
	int		n = argc > 1 ? atoi(argv[1]) : 200000, cpu;

	if (n <= 0 || sched_getaffinity(0, sizeof(all), &all) == -1)
		return (1);
	for (cpu = 0; !CPU_ISSET(cpu, &all); cpu++)
		;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	/* The child inherits the binding: both on one CPU. */
	if (sched_setaffinity(0, sizeof(one), &one) == -1)
		return (1);
	printf("pipe round trip, one CPU: %.2f us\n", pipe_rtt(n));
	if (sched_setaffinity(0, sizeof(all), &all) == -1)
		return (1);
	printf("pipe round trip, free:    %.2f us\n", pipe_rtt(n));
	return (0);
}
