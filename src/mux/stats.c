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
 * Load history for the load, load1 and hload commands: one bucket per
 * second for ten minutes and one per hour for a day, stamped so stale
 * buckets are recognised without a sweep.  Pure.
 */

#include <string.h>

#include "mux.h"

void
stats_init(struct stats *st, int64_t now)
{
	memset(st, 0, sizeof(*st));
	st->start = now;
}

static struct stats_bucket *
stats_sec(struct stats *st, int64_t now)
{
	struct stats_bucket	*b = &st->sec[now % STATS_SECS];

	if (b->t != now) {
		memset(b, 0, sizeof(*b));
		b->t = now;
	}
	return (b);
}

static struct stats_bucket *
stats_hour(struct stats *st, int64_t now)
{
	int64_t			 h = now / 3600;
	struct stats_bucket	*b = &st->hour[h % STATS_HOURS];

	if (b->t != h) {
		memset(b, 0, sizeof(*b));
		b->t = h;
	}
	return (b);
}

void
stats_add(struct stats *st, int64_t now, int kind, uint64_t cnt,
    uint64_t busy, uint64_t ms)
{
	struct stats_bucket	*b[2];
	int			 i;

	if (kind < 0 || kind >= WS_NCMDS || cnt == 0)
		return;
	b[0] = stats_sec(st, now);
	b[1] = stats_hour(st, now);
	for (i = 0; i < 2; i++) {
		b[i]->cnt[kind] += cnt;
		b[i]->busy[kind] += busy;
		b[i]->ms[kind] += ms;
	}
	if (b[1]->first[kind] == 0 || now < b[1]->first[kind])
		b[1]->first[kind] = now;
	if (now > b[1]->last[kind])
		b[1]->last[kind] = now;
}

void
stats_activation(struct stats *st, int64_t now)
{
	stats_sec(st, now)->act++;
}

void
stats_reap(struct stats *st, int64_t now)
{
	stats_sec(st, now)->reap++;
}

/* Sum the seconds in (start - back, start]; back is at most STATS_SECS. */
void
stats_window(const struct stats *st, int kind, int64_t start, int back,
    struct stats_sum *sum)
{
	const struct stats_bucket	*b;
	int64_t				 t;
	int				 i;

	memset(sum, 0, sizeof(*sum));
	if (back > STATS_SECS)
		back = STATS_SECS;
	for (i = 0; i < back; i++) {
		t = start - i;
		if (t < 0)
			break;
		b = &st->sec[t % STATS_SECS];
		if (b->t != t)
			continue;
		sum->msgs += b->cnt[kind];
		sum->busy += b->busy[kind];
		sum->ms += b->ms[kind];
		/* Activations and reaps are kept once, shown with scans. */
		if (kind == WS_CMD_SCAN) {
			sum->act += b->act;
			sum->reap += b->reap;
		}
	}
	sum->secs = back;
}

/*
 * Sum the last "hours" hourly buckets, the current one included.  secs
 * is what md-mx-ctrl divides by, as mimedefang-multiplexor counts it:
 * from the first to the last request of the kind in those hours (so 0
 * after one burst, and rates then show 0).
 */
void
stats_hourly(const struct stats *st, int kind, int64_t now, int hours,
    struct stats_sum *sum)
{
	const struct stats_bucket	*b;
	int64_t				 h = now / 3600, lo = 0, hi = 0;
	int				 i;

	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < hours && i < STATS_HOURS && h - i >= 0; i++) {
		b = &st->hour[(h - i) % STATS_HOURS];
		if (b->t != h - i || b->cnt[kind] == 0)
			continue;
		sum->msgs += b->cnt[kind];
		sum->busy += b->busy[kind];
		sum->ms += b->ms[kind];
		if (lo == 0 || b->first[kind] < lo)
			lo = b->first[kind];
		if (b->last[kind] > hi)
			hi = b->last[kind];
	}
	sum->secs = (int)(hi - lo);
}
