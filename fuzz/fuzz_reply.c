/*
 * Fuzz the reply framer: feed the bytes in chunks, as reads would, and
 * check that the result is the same as one scan of the whole and that a
 * complete reply ends with LF on a line that is not a continuation.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ws.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*buf;
	size_t		 off = 0, off2 = 0, len, step, max;
	ssize_t		 whole, r = REPLY_MORE;

	if (size < 2)
		return (0);
	step = (size_t)(data[0] % 16) + 1;
	max = (size_t)data[1] * 4 + 1;
	buf = (const char *)data + 2;
	size -= 2;
	whole = reply_scan(buf, size, max, &off2);
	for (len = step < size ? step : size; ; len += step) {
		if (len > size)
			len = size;
		r = reply_scan(buf, len, max, &off);
		if (r != REPLY_MORE || len == size)
			break;
	}
	if (r > 0) {
		if (r != whole || buf[r - 1] != '\n' || (size_t)r > size)
			abort();
	} else if (r == REPLY_MORE && whole > 0)
		abort();
	return (0);
}
