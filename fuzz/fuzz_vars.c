/*
 * Fuzz the variable block codec: walk any bytes as a block, never past
 * its end; every entry found must be found again by name (the first of
 * its name) and must copy into a new block that walks the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vars.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*b = (const char *)data;
	char		 copy[4096], name[256];
	struct vars_ent	 e, c;
	size_t		 off = 0, coff = 0, clen = 0;
	const char	*v;

	while (vars_next(b, size, &off, &e)) {
		if (off > size || e.value <= b || e.value > b + size ||
		    memchr(e.value, '\0', (size_t)(b + off - e.value)) ==
		    NULL ||
		    e.name[e.nlen] != '=')
			abort();
		if (e.nlen < sizeof(name) &&
		    memchr(e.name, '\0', e.nlen) == NULL) {
			memcpy(name, e.name, e.nlen);
			name[e.nlen] = '\0';
			if ((v = vars_get(b, size, name)) == NULL)
				abort();
		}
		if (vars_put(copy, sizeof(copy), &clen, e.name, e.nlen,
		    e.value) == -1)
			continue;
		if (!vars_next(copy, clen, &coff, &c) || c.nlen != e.nlen ||
		    memcmp(c.name, e.name, e.nlen) != 0 ||
		    strcmp(c.value, e.value) != 0)
			abort();
	}
	if (off != size)
		abort();	/* the whole block was seen */
	return (0);
}
