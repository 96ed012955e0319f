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
 * Pool events: logged at debug level and handed to the sink (the
 * listener sockets) as records, never as text to be parsed back.  A
 * tap (the journal, sysd.c) sees the rare ones, all but F and S, as
 * they come.
 * Between events_hold() and events_release() they are gathered and
 * handed over as one batch, so a burst costs each listener one send(2),
 * not one per line.
 */

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "wire.h"	/* WS_TAG_MAX */
#include "events.h"

static struct {
	events_sink_fn	 sink;
	void		*arg;
	events_tap_fn	 tap;
	int		 held;
	int		 n;
	size_t		 tlen;
	struct mux_ev	 ev[EVENTS_MAX];
	char		 text[EVENTS_TEXT];
} E;

/* Format one event's line, LF included; pure.  Returns its length. */
size_t
events_format(char *buf, size_t sz, const struct mux_ev *ev)
{
	int	len;

	if (sz < 2) {
		if (sz == 1)
			buf[0] = '\0';
		return (0);	/* no room for a line and its LF */
	}
	switch (ev->type) {
	case EV_F:
		len = snprintf(buf, sz, "F %d\n", ev->n);
		break;
	case EV_S:
	case EV_M:
		len = snprintf(buf, sz, "%c %d %.*s\n", ev->type, ev->n,
		    WS_TAG_MAX, ev->text != NULL ? ev->text : "");
		break;
	default:
		len = snprintf(buf, sz, "%c\n", ev->type);
	}
	if (len < 0)
		return (0);
	if ((size_t)len >= sz) {
		/* Never emit a line without its LF. */
		buf[sz - 2] = '\n';
		buf[sz - 1] = '\0';
		return (sz - 1);
	}
	return ((size_t)len);
}

void
events_set_sink(events_sink_fn fn, void *arg)
{
	E.sink = fn;
	E.arg = arg;
}

void
events_set_tap(events_tap_fn fn)
{
	E.tap = fn;
}

static void
events_flush(void)
{
	if (E.n > 0 && E.sink != NULL)
		E.sink(E.ev, E.n, E.arg);
	E.n = 0;
	E.tlen = 0;
}

void
events_hold(void)
{
	E.held++;
}

void
events_release(void)
{
	if (E.held > 0 && --E.held == 0)
		events_flush();
}

/* Keep an event for the batch; its text is copied, cut at WS_TAG_MAX. */
static void
events_keep(struct mux_ev *ev, const char *text, size_t len)
{
	if (E.n == EVENTS_MAX || E.tlen + len + 1 > sizeof(E.text))
		events_flush();
	if (text != NULL) {
		memcpy(E.text + E.tlen, text, len);
		E.text[E.tlen + len] = '\0';
		ev->text = E.text + E.tlen;
		E.tlen += len + 1;
	}
	E.ev[E.n++] = *ev;
}

void
events_emit(int type, int n, const char *text)
{
	struct mux_ev	 ev = { type, n, NULL };
	size_t		 len = 0;

	if (type == EV_S || type == EV_M) {
		if (text == NULL)
			text = "";
		len = strnlen(text, WS_TAG_MAX);
		log_debug("event %c %d %.*s", type, n, (int)len, text);
	} else {
		text = NULL;
		if (type == EV_F)
			log_debug("event F %d", n);
		else
			log_debug("event %c", type);
	}
	if (E.tap != NULL && type != EV_F && type != EV_S) {
		ev.text = text;
		E.tap(&ev);
	}
	if (E.held > 0) {
		events_keep(&ev, text, len);
		return;
	}
	ev.text = text;
	if (E.sink != NULL)
		E.sink(&ev, 1, E.arg);
}
