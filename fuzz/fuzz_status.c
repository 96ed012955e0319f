/*
 * Fuzz the status-fd line parser: whatever a handler writes, the tag it
 * yields is printable ASCII of at most WS_TAG_MAX bytes, so it cannot
 * break the framing of an "S n tag" line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ws.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	out[WS_TAG_MAX + 1];
	size_t	n = 0, i;
	int	k;

	k = status_parse((const char *)data, size, out, sizeof(out), &n);
	if (k == 0)
		return (0);
	if (n > WS_TAG_MAX || strlen(out) != n)
		abort();
	for (i = 0; i < n; i++)
		if (out[i] < ' ' || out[i] > '~')
			abort();
	return (0);
}
