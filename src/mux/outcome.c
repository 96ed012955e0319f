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
 * Every client the mux turns away, counted by reason: one table that
 * status, status --json and the metrics read, beside the log lines
 * (which a rate limit may sum up, so they are no count).
 */

#include <stdint.h>

#include "mux.h"

static const char *const outcome_names[OUT_N] = {
	[OUT_BUSY] = "busy",
	[OUT_QUEUE_FULL] = "queue_full",
	[OUT_QUEUE_TIMEOUT] = "queue_timeout",
	[OUT_NO_WORKER] = "no_worker",
	[OUT_SHUTDOWN] = "shutdown",
	[OUT_PER_HOST] = "per_host",
	[OUT_PER_USER] = "per_user",
	[OUT_RULES] = "rules",
	[OUT_EARLY_TALKER] = "early_talker",
	[OUT_BANNER_HANGUP] = "banner_hangup",
};

static uint64_t	outcome_n[2][OUT_N];	/* requests, sessions */

/* One client turned away for reason k: a service session or a request. */
void
outcome_count(int k, int session)
{
	if (k >= 0 && k < OUT_N)
		outcome_n[session != 0][k]++;
}

/* Those turned away for reason k: sessions, or requests. */
uint64_t
outcome_get(int k, int session)
{
	return (k >= 0 && k < OUT_N ? outcome_n[session != 0][k] : 0);
}

const char *
outcome_name(int k)
{
	return (k >= 0 && k < OUT_N ? outcome_names[k] : "?");
}
