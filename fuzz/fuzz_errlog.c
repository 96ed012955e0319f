/*
 * Fuzz the worker-stderr line cutter: whatever a program writes, in
 * whatever pieces the pipe gives it, each logged line is at most
 * ERRLOG_LINE_MAX bytes with no control byte (so no forged log line),
 * and no byte but CR and LF is lost.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mux.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static size_t	kept;

static void
line(struct errlog *el, const char *s, size_t n)
{
	size_t	i;

	(void)el;
	if (n > ERRLOG_LINE_MAX)
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
	kept += n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct errlog	el;
	size_t			off = 0, step, i, want = 0;

	memset(&el, 0, sizeof(el));
	kept = 0;
	/* The first byte picks the read size the pipe hands out. */
	step = size > 0 ? (size_t)data[0] % 64 + 1 : 1;
	while (off < size) {
		size_t	n = size - off < step ? size - off : step;

		errlog_feed(&el, (const char *)data + off, n, line);
		off += n;
	}
	for (i = 0; i < size; i++)
		if (data[i] != '\n' && !(data[i] == '\r' && i + 1 < size &&
		    data[i + 1] == '\n'))
			want++;
	if (kept + el.len != want)
		abort();
	return (0);
}
