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
 * The first byte picks the peer: a TCP one, or root on a UNIX socket.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "mux.h"

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

static void
check_output(const char *o, size_t len, size_t want, int toolong)
{
	const char	*nl, *end = o + len;
	size_t		 finals = 0, n;
	int		 closed = 0;

	if (len < 4 || memcmp(o, "*OK\n", 4) != 0)
		abort();
	for (o += 4; o < end; o = nl + 1) {
		if (closed)
			abort();	/* a line after the closing *ERR */
		if ((nl = memchr(o, '\n', (size_t)(end - o))) == NULL)
			abort();
		n = (size_t)(nl - o);
		if (n == 0 || n > WS_TAG_MAX + 16 || memchr(o, '\r', n) ||
		    memchr(o, '\0', n))
			abort();
		if (o[0] == '*') {
			if (n == 18 && memcmp(o, "*ERR line too long", 18) == 0)
				closed = 1;
			else if ((n > 4 && memcmp(o, "*OK ", 4) == 0) ||
			    (n > 5 && memcmp(o, "*ERR ", 5) == 0))
				finals++;
			else if (!(n > 2 && o[1] == '-') &&
			    !(n > 9 && memcmp(o, "*SKIPPED ", 9) == 0))
				abort();
		} else if (strchr("FYZBURSM", o[0]) == NULL ||
		    (n > 1 && o[1] != ' '))
			abort();
	}
	if (finals != want || closed != toolong)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct event_base	*base;
	struct bufferevent		*pair[2];
	struct acl_peer			 root = { 0, 0, NULL, 0 };
	struct evbuffer			*out;
	size_t				 off, chunk, want;
	int				 toolong, i;
	char				*o;

	if (base == NULL) {
		log_silence();
		if ((base = event_base_new()) == NULL)
			abort();
		notify_init(base, 8);
	}
	if (size < 1 || size > 64 * 1024)
		return (0);
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
		events_emit("FYZSBURM"[i % 8], i, i % 8 == 3 ? "tag\ttext" :
		    i % 8 == 7 ? "all" : NULL);
	}
	event_base_loop(base, EVLOOP_NONBLOCK);
	out = bufferevent_get_input(pair[1]);
	o = (char *)evbuffer_pullup(out, -1);
	if (getenv("FUZZ_DEBUG"))
		fprintf(stderr, "want=%zu toolong=%d out=[%.*s]\n", want, toolong, (int)evbuffer_get_length(out), o);
	check_output(o, evbuffer_get_length(out), want, toolong);
	notify_drop_all();
	bufferevent_free(pair[1]);
	return (0);
}
