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
 * --agent: HAProxy's agent-check.  Each connection is answered one line
 * and closed: "ready up N%" with N the free share of the slots, "drain"
 * when no worker is free, a shutdown is pending or the mux stops,
 * "maint" while a shutdown refuses clients.  HAProxy then sends new
 * sessions to the hosts that can take them, and a host going down is
 * drained before it refuses anyone.  agent_word() is the pure part.
 */

#include <sys/socket.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "acc.h"
#include "notify.h"

#define AGENT_LINGER	2	/* s to read what the checker sends */

static struct {
	struct event_base	*base;
	struct acc		*acc;
} G;

/*
 * The answer for a pool with nfree of nslots free; refusing: shutdown
 * refuses clients now; draining: a shutdown is pending or the mux stops.
 */
void
agent_word(char *buf, size_t sz, int nfree, int nslots, int refusing,
    int draining)
{
	int	pct;

	if (refusing)
		snprintf(buf, sz, "maint\n");
	else if (draining || nfree <= 0 || nslots <= 0)
		snprintf(buf, sz, "drain\n");
	else {
		pct = nfree >= nslots ? 100 : nfree * 100 / nslots;
		snprintf(buf, sz, "ready up %d%%\n", pct < 1 ? 1 : pct);
	}
}

/* After the answer: what the checker sends is read, then it is closed. */
static void
agent_linger_cb(evutil_socket_t fd, short what, void *arg)
{
	struct event	*self = arg;
	char		 buf[512];

	if ((what & EV_READ) && read(fd, buf, sizeof(buf)) > 0)
		return;		/* more may come; the timeout still holds */
	event_free(self);
	close(fd);
}

static int
agent_accepted(int fd, struct sockaddr *sa, socklen_t salen, void *arg)
{
	struct ctl_shut_view	 sh;
	struct event		*ev;
	struct timeval		 tv = { AGENT_LINGER, 0 };
	char			 word[32], why[WS_TAG_MAX + 1];
	int			 pending;

	(void)sa;
	(void)salen;
	(void)arg;
	pending = ctl_shut_view(&sh) == 0;
	agent_word(word, sizeof(word), pool_reported_free(), pool_nslots(),
	    pool_refusing(why, sizeof(why)) != NULL, pending ||
	    pool_stopping());
	/* Some 20 bytes into an empty socket buffer: one write does. */
	ev = NULL;
	if (write(fd, word, strlen(word)) == -1 ||
	    shutdown(fd, SHUT_WR) == -1 ||
	    (ev = event_new(G.base, fd, EV_READ | EV_PERSIST,
	    agent_linger_cb, event_self_cbarg())) == NULL ||
	    event_add(ev, &tv) == -1) {
		if (ev != NULL)
			event_free(ev);
		close(fd);
	}
	return (0);
}

/* Answer HAProxy's agent on fd, a listening socket of ours. */
void
agent_init(struct event_base *base, int fd)
{
	G.base = base;
	G.acc = acc_new(base, fd, "agent socket", agent_accepted, NULL);
	acc_on(G.acc, 1);
}

/* An upgrade's old mux: the new one answers now. */
void
agent_stop(void)
{
	acc_free(G.acc);
	G.acc = NULL;
}
