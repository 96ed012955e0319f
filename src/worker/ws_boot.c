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
 * How a worker session starts: the master spawns its own binary again
 * (posix_spawn, so it copies no page tables) and sends what the session
 * needs as one packed message on the control channel; here the session
 * unpacks it, maps the slot table and enters ws_main.  Nothing of the
 * master's heap, event base or signal handlers comes along.
 *
 * The packing: a fixed header, then NUL-terminated strings: the log
 * ident, MessageSkipCommands and the peer shim when present, the
 * handler's argv.  Both ends are the same binary, so the header goes as
 * is; unpacking still checks every length.
 */

#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "ws.h"

#define WS_BOOT_SKIP	0x1	/* msg_skip follows the ident */
#define WS_BOOT_SHIM	0x2	/* peer_shim follows */
#define WS_BOOT_ARGV_MAX 4096	/* the handler's arguments */

/* No padding, so the bytes are all said (fuzz_boot packs them again). */
struct ws_boot_hdr {
	uint32_t	version;
	uint32_t	flags;
	uint64_t	shm_size;
	uint32_t	nargv;
	int32_t		idx, lfd, log, shm, ep;
	int32_t		log_fg, log_syslog, log_verbose, log_facility;
	int32_t		exec, session_timeout, mqid, user_limit, status_fd;
	int32_t		busy_timeout, client_timeout, max_lifetime, pin;
	int32_t		max_rss, max_as, stats, recipok_limit;
	int32_t		spare;		/* 0 */
};

_Static_assert(sizeof(struct ws_boot_hdr) == 16 + 24 * 4,
    "struct ws_boot_hdr has padding");

static size_t
ws_boot_str(char *buf, size_t sz, size_t off, const char *s)
{
	size_t	n = strlen(s) + 1;

	if (off == 0 || n > sz - off)
		return (0);
	memcpy(buf + off, s, n);
	return (off + n);
}

/* Pack b and c into buf; the length, or 0 when it does not fit. */
size_t
ws_boot_pack(const struct ws_boot *b, const struct ws_conf *c, char *buf,
    size_t sz)
{
	struct ws_boot_hdr	h;
	size_t			off = sizeof(h);
	uint32_t		i;

	if (sz < sizeof(h))
		return (0);
	memset(&h, 0, sizeof(h));
	h.version = WS_PROTO_VERSION;
	h.flags = (c->msg_skip ? WS_BOOT_SKIP : 0) |
	    (c->peer_shim ? WS_BOOT_SHIM : 0);
	for (h.nargv = 0; c->argv != NULL && c->argv[h.nargv] != NULL;)
		h.nargv++;
	h.idx = b->idx;
	h.lfd = b->lfd;
	h.log = b->log;
	h.shm = b->shm;
	h.ep = b->ep;
	h.shm_size = b->shm_size;
	h.log_fg = b->log_fg;
	h.log_syslog = b->log_syslog;
	h.log_verbose = b->log_verbose;
	h.log_facility = b->log_facility;
	h.exec = c->exec;
	h.session_timeout = c->session_timeout;
	h.mqid = c->mqid;
	h.user_limit = c->user_limit;
	h.status_fd = c->status_fd;
	h.busy_timeout = c->busy_timeout;
	h.client_timeout = c->client_timeout;
	h.max_lifetime = c->max_lifetime;
	h.pin = c->pin;
	h.max_rss = c->max_rss;
	h.max_as = c->max_as;
	h.stats = c->stats;
	h.recipok_limit = c->recipok_limit;
	if (h.nargv > WS_BOOT_ARGV_MAX)
		return (0);
	memcpy(buf, &h, sizeof(h));
	off = ws_boot_str(buf, sz, off, b->log_ident ? b->log_ident : "mux");
	if (c->msg_skip)
		off = ws_boot_str(buf, sz, off, c->msg_skip);
	if (c->peer_shim)
		off = ws_boot_str(buf, sz, off, c->peer_shim);
	for (i = 0; i < h.nargv; i++)
		off = ws_boot_str(buf, sz, off, c->argv[i]);
	return (off);
}

/* The next string at *off, or NULL when none is whole. */
static char *
ws_boot_next(char *buf, size_t len, size_t *off)
{
	char	*s = buf + *off, *nul;

	if (*off >= len || (nul = memchr(s, '\0', len - *off)) == NULL)
		return (NULL);
	*off = (size_t)(nul - buf) + 1;
	return (s);
}

/*
 * Unpack what ws_boot_pack made; the strings stay in buf, argv is
 * allocated.  0, or -1 for anything short, long or out of place.
 */
int
ws_boot_unpack(char *buf, size_t len, struct ws_boot *b, struct ws_conf *c)
{
	struct ws_boot_hdr	  h;
	size_t			  off = sizeof(h);
	char			**argv = NULL;
	uint32_t		  i;

	if (len < sizeof(h))
		return (-1);
	memcpy(&h, buf, sizeof(h));
	if (h.version != WS_PROTO_VERSION || h.nargv > WS_BOOT_ARGV_MAX ||
	    h.spare != 0 ||
	    (h.flags & ~(uint32_t)(WS_BOOT_SKIP | WS_BOOT_SHIM)) != 0)
		return (-1);
	memset(b, 0, sizeof(*b));
	memset(c, 0, sizeof(*c));
	if ((b->log_ident = ws_boot_next(buf, len, &off)) == NULL ||
	    ((h.flags & WS_BOOT_SKIP) &&
	    (c->msg_skip = ws_boot_next(buf, len, &off)) == NULL) ||
	    ((h.flags & WS_BOOT_SHIM) &&
	    (c->peer_shim = ws_boot_next(buf, len, &off)) == NULL))
		return (-1);
	if (h.nargv > 0 && (argv = calloc(h.nargv + 1, sizeof(*argv))) == NULL)
		return (-1);
	for (i = 0; i < h.nargv; i++)
		if ((argv[i] = ws_boot_next(buf, len, &off)) == NULL)
			break;
	if (i < h.nargv || off != len) {
		free(argv);
		return (-1);
	}
	c->argv = argv;
	c->prog = argv ? argv[0] : NULL;
	b->idx = h.idx;
	b->lfd = h.lfd;
	b->log = h.log;
	b->shm = h.shm;
	b->ep = h.ep;
	b->shm_size = (size_t)h.shm_size;
	b->log_fg = h.log_fg;
	b->log_syslog = h.log_syslog;
	b->log_verbose = h.log_verbose;
	b->log_facility = h.log_facility;
	c->exec = h.exec;
	c->session_timeout = h.session_timeout;
	c->mqid = h.mqid;
	c->user_limit = h.user_limit;
	c->status_fd = h.status_fd;
	c->busy_timeout = h.busy_timeout;
	c->client_timeout = h.client_timeout;
	c->max_lifetime = h.max_lifetime;
	c->pin = h.pin;
	c->max_rss = h.max_rss;
	c->max_as = h.max_as;
	c->stats = h.stats;
	c->recipok_limit = h.recipok_limit;
	return (0);
}

/* The slot table, mapped here, checked against what was said of it. */
static struct ws_shm *
ws_boot_map(const struct ws_boot *b)
{
	struct ws_shm	*shm;

	if (b->shm_size < sizeof(*shm))
		return (NULL);
	shm = mmap(NULL, b->shm_size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    b->shm, 0);
	if (shm == MAP_FAILED)
		return (NULL);
	(void)close(b->shm);
	if (shm->version != WS_PROTO_VERSION || b->idx < 0 ||
	    (uint32_t)b->idx >= shm->nslots || b->shm_size < sizeof(*shm) +
	    sizeof(struct ws_slot) * shm->nslots)
		return (NULL);
	return (shm);
}

/*
 * The epoll instance a session waits in, with the shared socket in it:
 * made by the master before the spawn, so that sessions register on the
 * socket in the order they were started whatever the scheduler does
 * next.  The kernel hands a client to the first registered of the
 * sessions waiting (ws_accept), and that must be the first started, as
 * the mux's own pick (policy_pick_idle) and MIMEDefang's are: two
 * sessions started together under load otherwise registered in either
 * order.  The descriptor, or -1 with errno set.
 */
int
ws_boot_epoll(int lfd)
{
	struct epoll_event	ev;
	int			ep;

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return (-1);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	ev.data.fd = lfd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) == -1) {
		(void)close(ep);
		return (-1);
	}
	return (ep);
}

/* "mux-worker --worker-session CHAN": argv as the master made it. */
void
ws_boot(char **argv, const struct ws_handler *inproc,
    int (*mux_cmd)(const char *, size_t))
{
	static char		 buf[WS_BOOT_MAX];
	static struct ws_conf	 conf;
	struct ws_boot		 b;
	struct ws_shm		*shm;
	char			*end;
	long			 chan;
	ssize_t			 n;

	errno = 0;
	chan = strtol(argv[2], &end, 10);
	if (errno != 0 || *end != '\0' || chan < 0 || chan > 65535) {
		fprintf(stderr, "mux: %s is for the mux itself\n",
		    WS_BOOT_ARG);
		_exit(WS_EXIT_MUX);
	}
	while ((n = recv((int)chan, buf, sizeof(buf), 0)) == -1 &&
	    errno == EINTR)
		;
	if (n <= 0 || ws_boot_unpack(buf, (size_t)n, &b, &conf) == -1) {
		fprintf(stderr, "mux: %s: no start message from the mux\n",
		    WS_BOOT_ARG);
		_exit(WS_EXIT_MUX);
	}
	log_init(b.log_fg, b.log_syslog, b.log_verbose, b.log_ident,
	    b.log_facility);
	if ((shm = ws_boot_map(&b)) == NULL) {
		log_warnx("worker %d: cannot map the slot table", b.idx);
		_exit(WS_EXIT_MUX);
	}
	log_rl_table(shm->logrl);
	conf.inproc = inproc;
	conf.mux_cmd = mux_cmd;
	ws_main(shm, &b, (int)chan, &conf);
}
