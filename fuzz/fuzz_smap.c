/*
 * Fuzz the socketmap netstring parser and the request it becomes: any
 * bytes give a netstring inside the input or none, and the request a
 * worker gets is one printable line that fits WS_LINE_MAX.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mux.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*p = (const char *)data;
	char		 line[WS_LINE_MAX + 1];
	size_t		 off = 0, n = 0, len, i;
	int		 r;

	r = smap_parse(p, size, SMAP_MAX, &off, &n);
	if (r == 0 || r == -1)
		return (0);
	if (r != 1 || n > SMAP_MAX || off + n + 1 > size || p[off + n] != ',')
		abort();
	len = smap_request(p + off, n, line, sizeof(line));
	if (len == 0)
		return (0);
	if (len > WS_LINE_MAX || strlen(line) != len ||
	    strncmp(line, "map ", 4) != 0)
		abort();
	for (i = 0; i < len; i++)
		if (line[i] <= ' ' && !(line[i] == ' ' && (i == 3 ||
		    memchr(line + 4, ' ', len - 4) == line + i)))
			abort();
	return (0);
}
