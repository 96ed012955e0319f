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
 * The free-count edges of mux-notify(7), pure.  Worker sessions count
 * each free 1->0 (Z) and 0->1 (Y) transition in shared memory, faster
 * than the mux can report them; from those counters and the free count
 * this makes the exact sequence listeners must see: Z and Y alternate,
 * Z first, each after the F it implies; at most budget edges a call, so
 * a burst cannot hold the loop; and an F for a change of the free count
 * once its edge, if it needs one, has been reported.
 */

#include "mux.h"

void
edge_init(struct edge *e, int nfree)
{
	e->zseen = e->yseen = 0;
	e->last_edge = EV_Y;
	e->last_free = nfree;
}

/* 1 while counted edges are left for the next call. */
int
edge_report(struct edge *e, uint64_t z, uint64_t y, int f, int budget,
    void (*emit)(int, int, void *), void *arg)
{
	for (;; budget--) {
		if (budget == 0 && (e->zseen < z || e->yseen < y))
			return (1);
		if (e->last_edge != EV_Z && e->zseen < z) {
			e->zseen++;
			e->last_edge = EV_Z;
			if (e->last_free != 0)
				emit(EV_F, 0, arg);
			e->last_free = 0;
			emit(EV_Z, 0, arg);
		} else if (e->last_edge == EV_Z && e->yseen < y) {
			e->yseen++;
			e->last_edge = EV_Y;
			emit(EV_F, 1, arg);
			e->last_free = 1;
			emit(EV_Y, 0, arg);
		} else
			break;
	}
	/* A change whose edge is not counted yet waits for the edge. */
	if (f != e->last_free && (e->last_edge == EV_Z) == (f == 0)) {
		emit(EV_F, f, arg);
		e->last_free = f;
	}
	return (0);
}
