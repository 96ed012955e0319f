/*
 * Fuzz a listener connection through the real read path: the bytes go
 * into one end of a bufferevent pair, notify.c serves the other end as
 * it serves a socket (pipelined lines, subscriptions, control actions,
 * over-long lines), pool events are fanned out between the chunks, and
 * everything the mux wrote back is checked:
 *   - it starts with "*OK" and every line ends with LF;
 *   - no CR or NUL, no line longer than a tag allows;
 *   - every line is a "*" line or an event line;
 *   - nothing follows "*ERR line too long";
 *   - each action line got exactly one final "*OK text" or "*ERR text".
 * The first byte picks the peer (bit 0: a TCP one, or root on a UNIX
 * socket) and whether MessageEngine is on (bit 1).  With it on, "msg
 * host NAME" is looked up for real, against a name server run here on
 * loopback (a name whose first letter is "a" has 127.0.0.1, any other
 * does not exist), so the deferred answer and the lines that wait
 * behind it are fuzzed too; the loop runs until every answer is out.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "mux.h"	/* the core the fuzzer stands in for */
#include "notify.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* What the mux owes: final replies for the complete lines it reads. */
static size_t
expected_finals(const char *p, size_t left, int *toolong)
{
	const char	*nl;
	size_t		 len, n = 0;

	*toolong = 0;
	while (left > 0) {
		nl = memchr(p, '\n', left);
		len = nl ? (size_t)(nl - p) : left;
		if (len > NP_LINE_MAX) {
			*toolong = 1;
			break;
		}
		if (nl == NULL)
			break;		/* no LF: never read */
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len > 0 && p[0] != '?')
			n++;
		left -= (size_t)(nl - p) + 1;
		p = nl + 1;
	}
	return (n);
}

/* Say which line broke which rule: some failures depend on timing. */
static void
fail(const char *why, const char *o, size_t n)
{
	fprintf(stderr, "fuzz_notify: %s: [", why);
	for (; n > 0; o++, n--)
		fprintf(stderr, *o >= 0x20 && *o < 0x7f ? "%c" : "\\x%02x",
		    (unsigned char)*o);
	fprintf(stderr, "]\n");
	abort();
}

static void
check_output(const char *o, size_t len, size_t want, int toolong)
{
	const char	*nl, *end = o + len;
	size_t		 finals = 0, n;
	int		 closed = 0;

	if (len < 4 || memcmp(o, "*OK\n", 4) != 0)
		fail("no greeting", o, len < 16 ? len : 16);
	for (o += 4; o < end; o = nl + 1) {
		if (closed)
			fail("a line after *ERR line too long", o,
			    (size_t)(end - o));
		if ((nl = memchr(o, '\n', (size_t)(end - o))) == NULL)
			fail("no LF at the end", o, (size_t)(end - o));
		n = (size_t)(nl - o);
		/*
		 * Longest: an event's tag, a host name echoed back, or the
		 * text of a pending shutdown in status.
		 */
		if (n == 0 || (n > WS_TAG_MAX + 16 && !(n <= 18 +
		    CTL_NAME_MAX && memcmp(o, "*ERR no such host ", 18) ==
		    0) && !(n <= 64 + WS_TAG_MAX && memcmp(o, "*-shutdown ",
		    11) == 0)) || memchr(o, '\r', n) ||
		    memchr(o, '\0', n))
			fail("empty, too long, CR or NUL", o, n);
		if (o[0] == '*') {
			if (n == 18 && memcmp(o, "*ERR line too long", 18) == 0)
				closed = 1;
			else if ((n > 4 && memcmp(o, "*OK ", 4) == 0) ||
			    (n > 5 && memcmp(o, "*ERR ", 5) == 0))
				finals++;
			else if (!(n > 2 && o[1] == '-') &&
			    !(n > 9 && memcmp(o, "*SKIPPED ", 9) == 0))
				fail("an unknown * line", o, n);
		} else if (strchr("FYZBURSM", o[0]) == NULL ||
		    (n > 1 && o[1] != ' '))
			fail("not an event", o, n);
	}
	if (finals != want || closed != toolong) {
		fprintf(stderr, "fuzz_notify: %zu final lines, %zu wanted; "
		    "closed %d, %d wanted\n", finals, want, closed, toolong);
		abort();
	}
}

/*
 * The name server: one answer per query, at once.  A name starting
 * with "a" has 127.0.0.1 (and no other records); every other name is
 * NXDOMAIN.
 */
static void
dns_stub_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	uint8_t			 q[512], *p;
	ssize_t			 n;
	size_t			 qend;
	int			 hit;
	static const uint8_t	 rr[] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0,
	    0, 4, 127, 0, 0, 1 };

	(void)what;
	(void)arg;
	while ((n = recvfrom(fd, q, sizeof(q) - sizeof(rr), 0,
	    (struct sockaddr *)&ss, &sl)) >= 12) {
		for (qend = 12; qend < (size_t)n && q[qend] != 0;
		    qend += q[qend] + 1)
			;
		qend += 5;		/* the root label, type, class */
		if (qend > (size_t)n)
			continue;
		hit = q[12] > 0 && q[13] == 'a';
		q[2] = 0x81;		/* QR, RD */
		q[3] = hit ? 0x80 : 0x83;	/* RA; NXDOMAIN if not */
		q[6] = 0;
		q[7] = hit && q[qend - 3] == 1;	/* ANCOUNT: A only */
		memset(q + 8, 0, 4);
		p = q + qend;
		if (q[7]) {
			memcpy(p, rr, sizeof(rr));
			p += sizeof(rr);
		}
		(void)sendto(fd, q, (size_t)(p - q), 0,
		    (struct sockaddr *)&ss, sl);
		sl = sizeof(ss);
	}
}

/* A name server on 127.0.0.1 and a resolv.conf that names it. */
static void
dns_stub(struct event_base *base)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	static char		 path[] = "/tmp/fuzz_notify.resolv.XXXXXX";
	char			 line[64];
	int			 fd, rf;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) == -1 ||
	    event_add(event_new(base, fd, EV_READ | EV_PERSIST, dns_stub_cb,
	    NULL), NULL) == -1 || (rf = mkstemp(path)) == -1)
		abort();
	snprintf(line, sizeof(line), "nameserver 127.0.0.1:%d\n",
	    ntohs(sin.sin_port));
	if (write(rf, line, strlen(line)) != (ssize_t)strlen(line))
		abort();
	close(rf);
	dns_init(base, path);
	(void)dns_base();	/* reads the file now: it can go */
	unlink(path);
}

/* The final lines ("*OK text", "*ERR text") written so far. */
static size_t
count_finals(const char *o, size_t len)
{
	const char	*end = o + len, *nl;
	size_t		 n = 0;

	for (; o < end && (nl = memchr(o, '\n', (size_t)(end - o))) != NULL;
	    o = nl + 1)
		if ((nl - o > 4 && memcmp(o, "*OK ", 4) == 0) ||
		    (nl - o > 5 && memcmp(o, "*ERR ", 5) == 0))
			n++;
	return (n);
}

/* Run the loop until every answer is out (lookups take a round trip). */
static void
drain(struct event_base *base, struct bufferevent *client, size_t want)
{
	struct evbuffer	*out = bufferevent_get_input(client);
	struct timeval	 tick = { 0, 1000 };
	struct timespec	 t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (count_finals((char *)evbuffer_pullup(out, -1),
		    evbuffer_get_length(out)) >= want)
			return;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 10)
			return;		/* check_output says what is missing */
		event_base_loopexit(base, &tick);
		event_base_dispatch(base);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct event_base	*base;
	struct bufferevent		*pair[2];
	struct acl_peer			 root = { 0, 0, NULL, 0 };
	struct evbuffer			*out;
	size_t				 off, chunk, want;
	int				 toolong, i, j;
	char				*o;

	if (base == NULL) {
		log_silence();
		if ((base = event_base_new()) == NULL)
			abort();
		notify_init(base, 8);
		ctl_init(pool_reread, NULL);	/* the core's part of a reread */
		dns_stub(base);
	}
	if (size < 1 || size > 64 * 1024)
		return (0);
	ctl_configure((data[0] >> 1) & 1, NULL, 0, NULL, 0);
	if (bufferevent_pair_new(base, 0, pair) == -1)
		abort();
	bufferevent_enable(pair[1], EV_READ);
	if (notify_attach(pair[0], (data[0] & 1) ? &root : NULL) == -1)
		abort();
	want = expected_finals((const char *)data + 1, size - 1, &toolong);
	/* Feed in chunks of varying size, with events in between. */
	for (off = 1, i = 0; off < size; off += chunk, i++) {
		chunk = 1 + (size_t)data[off] * 7;
		if (chunk > size - off)
			chunk = size - off;
		bufferevent_write(pair[1], data + off, chunk);
		event_base_loop(base, EVLOOP_NONBLOCK);
		/* Odd chunks: a block of events, as a pool round makes. */
		if (data[off] & 1)
			events_hold();
		for (j = 0; j <= (data[off] & 1) * 2; j++)
			events_emit("FYZSBURM"[(i + j) % 8], i + j,
			    (i + j) % 8 == 3 ? "tag\ttext" :
			    (i + j) % 8 == 7 ? "all" : NULL);
		if (data[off] & 1)
			events_release();
	}
	drain(base, pair[1], want);
	out = bufferevent_get_input(pair[1]);
	o = (char *)evbuffer_pullup(out, -1);
	if (getenv("FUZZ_DEBUG"))
		fprintf(stderr, "want=%zu toolong=%d out=[%.*s]\n", want, toolong, (int)evbuffer_get_length(out), o);
	check_output(o, evbuffer_get_length(out), want, toolong);
	notify_drop_all();
	bufferevent_free(pair[1]);
	return (0);
}
