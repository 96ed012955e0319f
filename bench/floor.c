/*
 * The physical floor: one epoll process that accepts, reads the request
 * line and answers "ok" itself, with no hop at all.
 * usage: mux-bench-floor SOCKET.  ISC licence, see src/worker/ws.h.
 */
#include <sys/epoll.h>

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "common.h"

int
main(int argc, char *argv[])
{
	struct sockaddr_storage	ss;
	struct epoll_event	ev, evs[64];
	socklen_t		len;
	char			buf[4200];
	int			lfd, ep, n, i, fd, one = 1;
	ssize_t			r;

	if (argc != 2 || bench_addr(argv[1], &ss, &len) == -1) {
		fprintf(stderr, "usage: mux-bench-floor SOCKET\n");
		return (1);
	}
	signal(SIGPIPE, SIG_IGN);
	if (ss.ss_family == AF_UNIX)
		unlink(((struct sockaddr_un *)&ss)->sun_path);
	lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd == -1 || bind(lfd, (struct sockaddr *)&ss, len) == -1 ||
	    listen(lfd, 1024) == -1) {
		perror("listen");
		return (1);
	}
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	for (;;) {
		n = epoll_wait(ep, evs, 64, -1);
		for (i = 0; i < n; i++) {
			if (evs[i].data.fd == lfd) {
				while ((fd = accept4(lfd, NULL, NULL,
				    SOCK_NONBLOCK)) != -1) {
					/* Usually the line is already there. */
					r = read(fd, buf, sizeof(buf));
					if (r > 0 && memchr(buf, '\n', (size_t)r)) {
						(void)write(fd, "ok\n", 3);
						close(fd);
						continue;
					}
					if (r == 0 || (r == -1 &&
					    errno != EAGAIN)) {
						close(fd);
						continue;
					}
					ev.events = EPOLLIN;
					ev.data.fd = fd;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			fd = evs[i].data.fd;
			r = read(fd, buf, sizeof(buf));
			if (r > 0 && memchr(buf, '\n', (size_t)r) == NULL)
				continue;
			if (r > 0)
				(void)write(fd, "ok\n", 3);
			close(fd);
		}
	}
}
