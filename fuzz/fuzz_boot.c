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
 * A worker session's start message (ws_boot_unpack): whatever it
 * accepts packs again to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ws.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char	buf[WS_BOOT_MAX], again[WS_BOOT_MAX];
	struct ws_boot	b;
	struct ws_conf	c;
	size_t		n;

	if (size > sizeof(buf))
		return (0);
	memcpy(buf, data, size);
	if (ws_boot_unpack(buf, size, &b, &c) == -1)
		return (0);
	n = ws_boot_pack(&b, &c, again, sizeof(again));
	if (n != size || memcmp(again, data, size) != 0)
		abort();
	free((void *)c.argv);
	return (0);
}
