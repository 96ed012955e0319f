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
 * Pool events as mux-notify(7) frames them: logged at debug level, and
 * handed to the sink (the listener sockets).  Between events_hold() and
 * events_release() the lines are gathered and handed over as one block,
 * so a burst costs each listener one send(2), not one per line.
 */

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "ws.h"	/* WS_TAG_MAX */
#include "events.h"

static struct {
	void		(*sink)(const char *, size_t, void *);
	void		*arg;
	int		 held;
	size_t		 len;
	char		 buf[EVENTS_BLOCK];
} E;

/* Format one event line, LF included; pure.  Returns its length. */
size_t
events_format(char *buf, size_t sz, int ev, int n, const char *text)
{
	int	len;

	if (sz < 2) {
		if (sz == 1)
			buf[0] = '\0';
		return (0);	/* no room for a line and its LF */
	}
	switch (ev) {
	case EV_F:
		len = snprintf(buf, sz, "F %d\n", n);
		break;
	case EV_S:
	case EV_M:
		len = snprintf(buf, sz, "%c %d %s\n", ev, n, text);
		break;
	default:
		len = snprintf(buf, sz, "%c\n", ev);
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
events_set_sink(void (*fn)(const char *, size_t, void *), void *arg)
{
	E.sink = fn;
	E.arg = arg;
}

static void
events_flush(void)
{
	if (E.len > 0 && E.sink != NULL)
		E.sink(E.buf, E.len, E.arg);
	E.len = 0;
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

void
events_emit(int ev, int n, const char *text)
{
	char	line[WS_TAG_MAX + 64];
	size_t	len;

	len = events_format(line, sizeof(line), ev, n, text);
	log_debug("event %.*s", (int)len - 1, line);
	if (E.held == 0) {
		if (E.sink != NULL)
			E.sink(line, len, E.arg);
		return;
	}
	if (E.len + len > sizeof(E.buf))
		events_flush();
	memcpy(E.buf + E.len, line, len);
	E.len += len;
}
