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
 * The listener protocol's pure core (mux-notify(7)): parsing listener
 * lines, interest masks, and the output policy that keeps a slow
 * listener from costing memory or lying to it.  No libevent here.
 */

#include <stdio.h>
#include <string.h>

#include "notify.h"

/* Parse one line (without LF).  Returns NP_EMPTY, NP_SUBSCRIBE, NP_ACTION. */
int
np_parse(const char *line, size_t len, uint32_t *mask)
{
	size_t	i;
	char	c;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return (NP_EMPTY);
	if (line[0] != '?')
		return (NP_ACTION);
	*mask = 0;
	for (i = 1; i < len; i++) {
		c = line[i];
		if (c == '*')
			*mask = NP_MASK_ALL;
		else if (c >= 'A' && c <= 'Z')
			*mask |= 1u << (c - 'A');
	}
	return (NP_SUBSCRIBE);
}

/* Lines starting with '*' always go; event lines by their letter. */
int
np_wants(uint32_t mask, int first)
{
	if (first == '*')
		return (1);
	if (first >= 'A' && first <= 'Z')
		return ((mask >> (first - 'A')) & 1);
	return (0);
}

/*
 * Offer one event to a listener whose socket still holds backlog bytes.
 * Under the soft limit it is sent.  Over it, F keeps only its latest
 * value (it is a state), anything else is counted as skipped; the
 * listener learns of it later by *SKIPPED n and a fresh snapshot.
 */
int
np_offer(struct np_out *o, int ev, int n, size_t backlog, size_t soft)
{
	if (backlog < soft && o->skipped == 0 && !o->held_f)
		return (NP_SEND);
	if (ev == 'F') {
		o->held_f = 1;
		o->f = n;
		return (NP_HOLD);
	}
	o->skipped++;
	return (NP_SKIP);
}

/*
 * The backlog fell below the low mark: what to send now.  Skipped events
 * are announced, then the state is sent afresh (F, and Z when nothing is
 * free, for whoever wants them); a held F alone is just sent.
 */
size_t
np_refill(struct np_out *o, uint32_t mask, int nfree, char *buf, size_t sz)
{
	int	len = 0;
	size_t	n = 0;

	if (o->skipped > 0) {
		len = snprintf(buf, sz, "*SKIPPED %llu\n",
		    (unsigned long long)o->skipped);
		if (len > 0 && (size_t)len < sz)
			n = (size_t)len + np_snapshot(mask, nfree, buf + len,
			    sz - (size_t)len);
	} else if (o->held_f)
		n = events_format(buf, sz, &(struct mux_ev){ EV_F, nfree,
		    NULL });
	o->skipped = 0;
	o->held_f = 0;
	return (n);
}

/* The snapshot after a '?' line: F n if wanted, Z if wanted and 0 free. */
size_t
np_snapshot(uint32_t mask, int nfree, char *buf, size_t sz)
{
	size_t	n = 0;

	buf[0] = '\0';
	if (np_wants(mask, 'F'))
		n = events_format(buf, sz, &(struct mux_ev){ EV_F, nfree,
		    NULL });
	if (np_wants(mask, 'Z') && nfree == 0 && n < sz)
		n += events_format(buf + n, sz - n, &(struct mux_ev){ EV_Z, 0,
		    NULL });
	return (n);
}
