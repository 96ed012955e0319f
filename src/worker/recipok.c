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
 * -y, mimedefang-multiplexor's per-domain recipok limit: at most n
 * recipok requests of one domain at a time, so that one slow domain's
 * recipient checks cannot take every worker.  The worker session that
 * took the request decides: it publishes its domain, then counts the
 * other slots busy with the same one.  Two that arrive together may
 * both see each other and both refuse, never both pass: the limit is
 * never exceeded.
 */

#include <stdatomic.h>
#include <string.h>
#include <strings.h>

#include "ws.h"

/*
 * The domain of a recipok line's recipient as the real one takes it:
 * after its '@', up to '>' or a blank, at most sz - 1 bytes.  Its
 * length, 0 if there is none.  Unlike the real one, which takes the
 * first '@' of the whole line, a recipient without one (postmaster)
 * does not count under its sender's domain.  Pure.
 */
size_t
rcpt_domain(const char *l, size_t len, char *out, size_t sz)
{
	const char	*at, *end = l + len, *rcpt, *sp;
	size_t		 n = 0;

	if (sz == 0)
		return (0);
	out[0] = '\0';
	if ((rcpt = memchr(l, ' ', len)) == NULL)
		return (0);
	rcpt++;
	if ((sp = memchr(rcpt, ' ', (size_t)(end - rcpt))) != NULL)
		end = sp;
	if ((at = memchr(rcpt, '@', (size_t)(end - rcpt))) == NULL)
		return (0);
	for (at++; at < end && *at != '>' && *at != ' ' && n < sz - 1; at++)
		out[n++] = *at;
	out[n] = '\0';
	return (n);
}

/*
 * Take a recipok of this domain on slot self, or refuse (1) when limit
 * others already run one for it.  The slot's domain stays published
 * until its next recipok; only its cmd says whether it counts.
 */
int
rcpt_over_limit(struct ws_shm *shm, int self, const char *dom, size_t n,
    int limit)
{
	struct ws_slot	*s = &shm->slots[self];
	char		 other[WS_DOMAIN_MAX + 1];
	uint32_t	 i;
	int		 count = 0;

	slot_seq_set(&s->dom_seq, s->dom, WS_DOMAIN_MAX, dom, n);
	atomic_store(&s->cmd, WS_CMD_RECIPOK);
	for (i = 0; i < shm->nslots; i++) {
		if ((int)i == self ||
		    atomic_load(&shm->slots[i].cmd) != WS_CMD_RECIPOK)
			continue;
		(void)slot_seq_get(&shm->slots[i].dom_seq,
		    shm->slots[i].dom, other, sizeof(other));
		if (strcasecmp(other, dom) == 0 && ++count >= limit) {
			atomic_store(&s->cmd, WS_CMD_NONE);
			return (1);
		}
	}
	return (0);
}
