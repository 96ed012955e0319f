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
 * Slot bookkeeping shared by the mux and its worker sessions.  Every
 * state change goes through slot_move(), which keeps the free, idle and
 * busy counters exact with atomics and wakes the mux only on the edges
 * it must report (or on every change while someone watches F or S).
 */

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ws.h"

int
slot_is_free(int st)
{
	return (st == WS_STOPPED || st == WS_STARTING || st == WS_IDLE ||
	    st == WS_RETIRING);
}

/* Bucket bounds in us: steps of 1, 2.5, 5 from 100 us to 10 s. */
const uint32_t ws_lat_le_us[WS_LAT_N] = { 100, 250, 500, 1000, 2500, 5000,
    10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000,
    10000000, UINT32_MAX };

int64_t
slot_now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

/* One request that took us, into the shared histogram. */
void
slot_lat_add(struct ws_shm *shm, uint64_t us)
{
	int	i;

	for (i = 0; i < WS_LAT_N - 1 && us > ws_lat_le_us[i]; i++)
		;
	atomic_fetch_add_explicit(&shm->lat[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&shm->lat_sum_us, us, memory_order_relaxed);
}

int64_t
slot_now_ms(void)
{
	return (slot_now_us() / 1000);
}

/* The kind of a request line, as md-mx-ctrl counts them. */
int
slot_cmd_kind(const char *l, size_t len)
{
	static const struct {
		const char	*p;
		size_t		 n;
		int		 kind;
	} k[] = {
		{ "scan ", 5, WS_CMD_SCAN },
		{ "relayok ", 8, WS_CMD_RELAYOK },
		{ "senderok ", 9, WS_CMD_SENDEROK },
		{ "recipok ", 8, WS_CMD_RECIPOK },
	};
	size_t	i;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++)
		if (len >= k[i].n && memcmp(l, k[i].p, k[i].n) == 0)
			return (k[i].kind);
	return (WS_CMD_OTHER);
}

/* Single-writer counter: no locked instruction needed. */
void
slot_ctr_add(_Atomic uint64_t *c, uint64_t v)
{
	atomic_store_explicit(c,
	    atomic_load_explicit(c, memory_order_relaxed) + v,
	    memory_order_relaxed);
}

static void
slot_wake(struct ws_shm *shm)
{
	char	c = 'w';

	/* A full pipe already holds a wake-up: EAGAIN is fine. */
	while (write(shm->wake_fd, &c, 1) == -1 && errno == EINTR)
		;
}

static int
slot_count(_Atomic int *ctr, int delta)
{
	int	old;

	if (delta == 0)
		return (0);
	old = atomic_fetch_add(ctr, delta);
	return ((delta < 0 && old == 1) || (delta > 0 && old == 0));
}

/*
 * Record a state change in the slot's ring.  The entry carries the low
 * bits of its number, so a reader tells a slot not yet written (or
 * written over) from the one it wants.
 */
static void
slot_trans_add(struct ws_slot *s, int from, int to)
{
	uint32_t	i = atomic_fetch_add(&s->trans_seq, 1);

	atomic_store_explicit(&s->trans[i % WS_TRANS_RING],
	    (i & 0xffff) << 16 | (uint32_t)from << 8 | (uint32_t)to,
	    memory_order_release);
}

/*
 * State change number i of the slot: 1 with from and to, 0 if it is not
 * written yet, -1 if the ring has moved past it.
 */
int
slot_trans(struct ws_slot *s, uint32_t i, int *from, int *to)
{
	uint32_t	e;

	if (atomic_load(&s->trans_seq) - i > WS_TRANS_RING)
		return (-1);
	e = atomic_load_explicit(&s->trans[i % WS_TRANS_RING],
	    memory_order_acquire);
	if (e >> 16 != (i & 0xffff))
		return (atomic_load(&s->trans_seq) - i > WS_TRANS_RING ? -1 : 0);
	*from = (int)(e >> 8 & 0xff);
	*to = (int)(e & 0xff);
	return (1);
}

/*
 * Move a slot from one state to another.  Returns -1 if the slot was not
 * in state "from" (someone else moved it first).
 */
int
slot_move(struct ws_shm *shm, struct ws_slot *s, int from, int to)
{
	int	expect = from, wake = 0, df;
	struct timespec	ts;

	if (!atomic_compare_exchange_strong(&s->state, &expect, to))
		return (-1);
	if (atomic_load_explicit(&shm->want_states, memory_order_relaxed))
		slot_trans_add(s, from, to);
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	atomic_store_explicit(&s->changed, ts.tv_sec, memory_order_relaxed);

	df = slot_is_free(to) - slot_is_free(from);
	if (slot_count(&shm->nfree, df)) {
		atomic_fetch_add(df < 0 ? &shm->zseq : &shm->yseq, 1);
		wake = 1;
	}
	if (slot_count(&shm->nidle, (to == WS_IDLE) - (from == WS_IDLE)) &&
	    atomic_load_explicit(&shm->wake_idle, memory_order_relaxed))
		wake = 1;
	(void)slot_count(&shm->nbusy, (to == WS_BUSY) - (from == WS_BUSY));
	if (wake || atomic_load_explicit(&shm->wake_every,
	    memory_order_relaxed))
		slot_wake(shm);
	return (0);
}

/*
 * A change listeners see that the slot's state does not make: two
 * requests served in one busy spell are two for them.
 */
void
slot_note(struct ws_shm *shm, struct ws_slot *s, int from, int to)
{
	if (!atomic_load_explicit(&shm->want_states, memory_order_relaxed))
		return;
	slot_trans_add(s, from, to);
	slot_notify(shm);
}

/* A tag changed: wake the mux if someone watches S events. */
void
slot_notify(struct ws_shm *shm)
{
	if (atomic_load_explicit(&shm->wake_every, memory_order_relaxed))
		slot_wake(shm);
}

/* A string several processes read while one writes: a seqlock. */
void
slot_seq_set(_Atomic uint32_t *seqp, char *dst, size_t max, const char *src,
    size_t len)
{
	uint32_t	seq;

	if (len > max)
		len = max;
	seq = atomic_load_explicit(seqp, memory_order_relaxed);
	atomic_store_explicit(seqp, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	memcpy(dst, src, len);
	dst[len] = '\0';
	atomic_store_explicit(seqp, seq + 2, memory_order_release);
}

/* Copy the string out; returns its sequence number (changes on each set). */
uint32_t
slot_seq_get(_Atomic uint32_t *seqp, const char *src, char *buf, size_t sz)
{
	uint32_t	s1, s2;

	do {
		s1 = atomic_load_explicit(seqp, memory_order_acquire);
		if (s1 & 1)
			continue;
		strncpy(buf, src, sz - 1);
		buf[sz - 1] = '\0';
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(seqp, memory_order_relaxed);
	} while ((s1 & 1) || s1 != s2);
	return (s1);
}

/*
 * A state as mimedefang-multiplexor shows it: a letter in status, a word
 * in StateChange lines and workerinfo.  It has no starting state (a
 * worker is Idle from its fork), and a retiring or killed one waits to
 * be reaped.
 */
char
slot_state_char(int st)
{
	switch (st) {
	case WS_STOPPED:
		return ('S');
	case WS_STARTING:
	case WS_IDLE:
		return ('I');
	case WS_BUSY:
		return ('B');
	default:
		return ('K');
	}
}

const char *
slot_state_name(int st)
{
	switch (slot_state_char(st)) {
	case 'S':
		return ("Stopped");
	case 'I':
		return ("Idle");
	case 'B':
		return ("Busy");
	default:
		return ("Killed");
	}
}

void
slot_set_tag(struct ws_slot *s, const char *tag, size_t len)
{
	slot_seq_set(&s->tag_seq, s->tag, WS_TAG_MAX, tag, len);
}

size_t
slot_get_tag(struct ws_slot *s, char *buf, size_t sz)
{
	return (slot_seq_get(&s->tag_seq, s->tag, buf, sz));
}

/*
 * The client's address, kept as raw words the mux formats only when
 * asked (who, kick): the worker's hot path only stores it.
 */
void
slot_set_peer(struct ws_slot *s, const struct sockaddr *sa)
{
	uint64_t	w[2] = { 0, 0 };

	if (sa->sa_family == AF_INET)
		memcpy(w, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	else if (sa->sa_family == AF_INET6)
		memcpy(w, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	atomic_store_explicit(&s->peer[0], w[0], memory_order_relaxed);
	atomic_store_explicit(&s->peer[1], w[1], memory_order_relaxed);
	atomic_store_explicit(&s->peer_family, sa->sa_family,
	    memory_order_release);
}

/* The client's address as text; "-" for a UNIX peer.  0 if IP. */
int
slot_get_peer(struct ws_slot *s, char *buf, size_t sz)
{
	uint64_t	w[2];
	int		af;

	af = atomic_load_explicit(&s->peer_family, memory_order_acquire);
	w[0] = atomic_load_explicit(&s->peer[0], memory_order_relaxed);
	w[1] = atomic_load_explicit(&s->peer[1], memory_order_relaxed);
	if ((af != AF_INET && af != AF_INET6) ||
	    inet_ntop(af, w, buf, (socklen_t)sz) == NULL) {
		snprintf(buf, sz, "-");
		return (-1);
	}
	return (0);
}

/*
 * The mux asked to cut session sid (kick, shutdown -d): it set kick and
 * interrupted us.  Taking the kick zeroes it, so the mux stops sending
 * signals; 1 if it was ours to take.
 */
int
slot_take_kick(struct ws_slot *s, uint32_t sid)
{
	return (sid != 0 && atomic_compare_exchange_strong(&s->kick, &sid, 0));
}
