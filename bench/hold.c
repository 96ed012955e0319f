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
 * Hold N clients in a banner's pre-sleep (bench/banner.sh): connect them
 * all to 127.0.0.1:PORT, wait SETTLE seconds, then report the memory and
 * processes of the server tree rooted at PID: their summed RSS and PSS
 * before and with the clients, and how many processes it has.  No
 * client may have had a byte yet: a banner during the pre-sleep fails.
 */

#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct mem {
	long	 rss, pss;	/* kB */
	int	 procs;
};

static long
field(const char *path, const char *name)
{
	char	 line[256];
	FILE	*f;
	long	 v = 0;
	size_t	 n = strlen(name);

	if ((f = fopen(path, "r")) == NULL)
		return (0);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, name, n) == 0) {
			v = atol(line + n);
			break;
		}
	fclose(f);
	return (v);
}

static int
ppid_of(int pid)
{
	char	 path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	return ((int)field(path, "PPid:"));
}

/* pid and all its descendants (two levels: enough for both servers). */
static void
tree(int root, struct mem *m)
{
	DIR		*d;
	struct dirent	*e;
	char		 path[64];
	int		 pid, pp;

	memset(m, 0, sizeof(*m));
	if ((d = opendir("/proc")) == NULL)
		err(1, "/proc");
	while ((e = readdir(d)) != NULL) {
		if ((pid = atoi(e->d_name)) <= 0)
			continue;
		pp = ppid_of(pid);
		if (pid != root && pp != root && ppid_of(pp) != root)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
		m->rss += field(path, "VmRSS:");
		snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
		m->pss += field(path, "Pss:");
		m->procs++;
	}
	closedir(d);
}

/* What the first client given bytes early was sent, for the report. */
static void
hold_show(int fd)
{
	char	buf[80];
	ssize_t	n, i;

	if ((n = recv(fd, buf, sizeof(buf), MSG_PEEK)) <= 0)
		return;
	printf("the first early bytes: \"");
	for (i = 0; i < n; i++)
		printf(buf[i] >= 0x20 && buf[i] < 0x7f ? "%c" : "\\x%02x",
		    (unsigned char)buf[i]);
	printf("\"\n");
}

int
main(int argc, char **argv)
{
	struct sockaddr_in	 sin;
	struct rlimit		 rl;
	struct mem		 m0, m1;
	struct pollfd		 p;
	int			 n, port, settle, pid, i, fd, *fds, ok = 0;
	int			 early = 0, gone = 0;
	struct timespec		 t0, t1;
	char			 c;

	if (argc != 5)
		errx(2, "usage: mux-bench-hold N PORT SETTLE PID");
	n = atoi(argv[1]);
	port = atoi(argv[2]);
	settle = atoi(argv[3]);
	pid = atoi(argv[4]);
	rl.rlim_cur = rl.rlim_max = (rlim_t)n + 64;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		err(1, "setrlimit");
	if ((fds = calloc((size_t)n, sizeof(int))) == NULL)
		err(1, "calloc");
	tree(pid, &m0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			err(1, "socket %d", i);
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1)
			err(1, "connect %d", i);
		fds[i] = fd;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* Past the listen backlog a connect waits for SYN retries. */
	printf("connecting took %.1f s\n", (double)(t1.tv_sec - t0.tv_sec) +
	    (t1.tv_nsec - t0.tv_nsec) / 1e9);
	sleep((unsigned int)settle);
	tree(pid, &m1);
	for (i = 0; i < n; i++) {
		p.fd = fds[i];
		p.events = POLLIN;
		if (poll(&p, 1, 0) == 0)
			ok++;
		else if (recv(fds[i], &c, 1, MSG_PEEK) == 1) {
			if (early++ == 0)
				hold_show(fds[i]);
		} else
			gone++;		/* closed or reset: not held */
	}
	printf("clients %d connected, %d quietly held, %d given bytes early, "
	    "%d closed or reset\n", n, ok, early, gone);
	printf("server tree before: %d processes, RSS %ld kB, PSS %ld kB\n",
	    m0.procs, m0.rss, m0.pss);
	printf("server tree with the clients: %d processes, RSS %ld kB, "
	    "PSS %ld kB\n", m1.procs, m1.rss, m1.pss);
	printf("per held client: %.0f bytes RSS, %.0f bytes PSS, %.3f "
	    "processes\n", (m1.rss - m0.rss) * 1024.0 / n,
	    (m1.pss - m0.pss) * 1024.0 / n, (double)(m1.procs - m0.procs) / n);
	for (i = 0; i < n; i++)
		close(fds[i]);
	return (ok == n ? 0 : 1);
}
