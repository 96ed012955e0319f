/*
 * Fuzz the listener's line handling: split the bytes into lines as the
 * socket reader does, parse each, and check the invariants: masks hold
 * A-Z bits only, a subscription's snapshot is well formed, the policy's
 * refill never yields a line without its LF.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "notify.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*p = (const char *)data, *nl;
	size_t		 left = size, len, n;
	uint32_t	 mask = 0;
	struct np_out	 o;
	char		 buf[128];
	int		 i;

	memset(&o, 0, sizeof(o));
	while (left > 0) {
		nl = memchr(p, '\n', left);
		len = nl ? (size_t)(nl - p) : left;
		if (len <= NP_LINE_MAX &&
		    np_parse(p, len, &mask) == NP_SUBSCRIBE) {
			if (mask & ~NP_MASK_ALL)
				abort();
			n = np_snapshot(mask, (int)(len % 3), buf, sizeof(buf));
			if (n > 0 && buf[n - 1] != '\n')
				abort();
		}
		for (i = 0; i < (int)(len % 7); i++)
			(void)np_offer(&o, "FYZBUS"[i % 6], i, len * 100,
			    300);
		n = np_refill(&o, mask, (int)(len % 5), buf, sizeof(buf));
		if (n > 0 && buf[n - 1] != '\n')
			abort();
		if (nl == NULL)
			break;
		left -= len + 1;
		p = nl + 1;
	}
	return (0);
}
