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
 * Pool events, those of mux-notify(7): F n, Y, Z, B, U, R, S n tag and
 * the M n target extension.  The pool produces them (pool_report.c) as
 * records; a sink, the listener sockets of src/notify, gets the records
 * and formats each once (events_format) for all its clients.
 */

#ifndef MUX_EVENTS_H
#define MUX_EVENTS_H

#include <stddef.h>

enum mux_event {
	EV_F = 'F', EV_Y = 'Y', EV_Z = 'Z', EV_B = 'B', EV_U = 'U',
	EV_R = 'R', EV_S = 'S', EV_M = 'M'
};

struct mux_ev {
	int		 type;		/* enum mux_event */
	int		 n;		/* F: free workers; S, M: the slot */
	const char	*text;		/* S, M: the tag or target; else NULL */
};

#define EVENTS_MAX	64	/* most events the sink gets at once */
#define EVENTS_TEXT	4096	/* most bytes of their texts */
#define EVENTS_LINE_MAX	256	/* a formatted line, LF included */

typedef void	(*events_sink_fn)(const struct mux_ev *, int, void *);
typedef void	(*events_tap_fn)(const struct mux_ev *);

size_t	 events_format(char *, size_t, const struct mux_ev *);
void	 events_emit(int, int, const char *);
void	 events_hold(void);
void	 events_release(void);
void	 events_set_sink(events_sink_fn, void *);
void	 events_set_tap(events_tap_fn);

#endif
