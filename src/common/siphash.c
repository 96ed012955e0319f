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
 * SipHash-2-4, written from the paper ("SipHash: a fast short-input
 * PRF"): two compression rounds per 8-byte word, four to finish.
 * Words are little-endian whatever the host; the last one carries the
 * length in its top byte.
 */

#include "siphash.h"

#define SIP_ROTL(x, b)	(((x) << (b)) | ((x) >> (64 - (b))))

static uint64_t
sip_le64(const uint8_t *p, size_t n)
{
	uint64_t	v = 0;
	size_t		i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return (v);
}

static void
sip_rounds(uint64_t v[4], int n)
{
	while (n-- > 0) {
		v[0] += v[1];
		v[1] = SIP_ROTL(v[1], 13) ^ v[0];
		v[0] = SIP_ROTL(v[0], 32);
		v[2] += v[3];
		v[3] = SIP_ROTL(v[3], 16) ^ v[2];
		v[0] += v[3];
		v[3] = SIP_ROTL(v[3], 21) ^ v[0];
		v[2] += v[1];
		v[1] = SIP_ROTL(v[1], 17) ^ v[2];
		v[2] = SIP_ROTL(v[2], 32);
	}
}

static void
sip_word(uint64_t v[4], uint64_t m)
{
	v[3] ^= m;
	sip_rounds(v, 2);
	v[0] ^= m;
}

uint64_t
siphash24(const uint8_t key[SIPHASH_KEY_LEN], const void *in, size_t len)
{
	const uint8_t	*p = in;
	uint64_t	 k0 = sip_le64(key, 8), k1 = sip_le64(key + 8, 8);
	uint64_t	 v[4];
	size_t		 left = len;

	/* "somepseudorandomlygeneratedbytes", a word each */
	v[0] = k0 ^ 0x736f6d6570736575ULL;
	v[1] = k1 ^ 0x646f72616e646f6dULL;
	v[2] = k0 ^ 0x6c7967656e657261ULL;
	v[3] = k1 ^ 0x7465646279746573ULL;
	for (; left >= 8; p += 8, left -= 8)
		sip_word(v, sip_le64(p, 8));
	sip_word(v, sip_le64(p, left) | ((uint64_t)(len & 0xff) << 56));
	v[2] ^= 0xff;
	sip_rounds(v, 4);
	return (v[0] ^ v[1] ^ v[2] ^ v[3]);
}
