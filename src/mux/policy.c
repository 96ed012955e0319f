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
 * Pool decisions, kept apart from the glue so they are unit-tested:
 * which idle worker gets a client, how -r is jittered, how long the
 * crash-loop throttle pauses, which idle workers are reaped.
 */

#include "mux.h"

/* Is idle worker i a better pick than j (-1: none yet)? */
static int
policy_better(const struct policy_idle *w, int i, int j, int kind)
{
	int	fi, fj;

	if (j == -1)
		return (1);
	/* One reading its own client would serve ours only after it. */
	if (w[i].reading != w[j].reading)
		return (!w[i].reading);
	fi = ws_cmd_fits(w[i].last, kind);
	fj = ws_cmd_fits(w[j].last, kind);
	if (fi != fj)
		return (fi);
	if (w[i].asleep != w[j].asleep)
		return (!w[i].asleep);
	return (w[i].activated < w[j].activated);
}

/*
 * The idle worker for a command of this kind, as mimedefang-multiplexor
 * picks it: one it fits (ws_cmd_fits) if any, and the one started first
 * of those.  Load stays on the oldest workers and the others reach the
 * idle timeout; the kernel's choice on the workers' own accept(2) is
 * the same.  One that has just answered and is not asleep yet goes
 * before older ones that are: it takes the client without a wake-up
 * (at c=16, 8% of the throughput).  One that shows idle but is reading
 * a client the kernel gave it comes last.  -1 if none is idle.
 */
int
policy_pick_idle(const struct policy_idle *w, int n, int kind)
{
	int	i, best = -1;

	for (i = 0; i < n; i++)
		if (w[i].state == WS_IDLE && policy_better(w, i, best, kind))
			best = i;
	return (best);
}

/* -r with +-10% jitter, so workers started together do not retire together. */
uint32_t
policy_jitter(int max_req, uint32_t rnd)
{
	int64_t	d = max_req / 10, v;

	if (d == 0)
		return ((uint32_t)max_req);
	v = (int64_t)max_req - d + (int64_t)(rnd % (uint32_t)(2 * d + 1));
	return (v < 1 ? 1 : (uint32_t)v);
}

/* Exponential back-off for workers that die before serving anything. */
int
policy_backoff(int prev, int cap)
{
	if (prev <= 0)
		return (1);
	return (prev >= cap / 2 ? cap : prev * 2);
}

/*
 * Idle workers to retire: idle for at least idle_timeout seconds, the
 * longest idle first, while more than min workers would remain alive.
 * Writes their indexes to out and returns how many.
 */
int
policy_reap_idle(const int *state, const int64_t *changed, int n, int min,
    int64_t now, int idle_timeout, int *out)
{
	int	i, j, alive = 0, nout = 0, best;

	for (i = 0; i < n; i++)
		if (state[i] == WS_STARTING || state[i] == WS_IDLE ||
		    state[i] == WS_BUSY)
			alive++;
	while (alive > min) {
		best = -1;
		for (i = 0; i < n; i++) {
			if (state[i] != WS_IDLE ||
			    now - changed[i] < idle_timeout)
				continue;
			for (j = 0; j < nout; j++)
				if (out[j] == i)
					break;
			if (j == nout && (best == -1 ||
			    changed[i] < changed[best]))
				best = i;
		}
		if (best == -1)
			break;
		out[nout++] = best;
		alive--;
	}
	return (nout);
}
