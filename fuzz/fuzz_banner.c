/*
 * Fuzz the banner engine: expansion of escapes and variables stays
 * within its buffer and its cap, and framing yields only whole
 * "220-...\r\n" lines.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mux.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *
look(const char *name, void *arg)
{
	(void)arg;
	if (name[0] == 'A')
		return ("value-of-A$A${A}\\x41");
	if (name[0] == 'E')
		return ("");
	return (NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	 exp[BANNER_MAX + 1], framed[3 * BANNER_MAX + 16], *p, *e;
	size_t	 n, f;

	n = banner_expand((const char *)data, size, exp, sizeof(exp), look,
	    NULL);
	if (n > BANNER_MAX || exp[n] != '\0')
		abort();
	f = banner_frame(exp, n, framed, sizeof(framed));
	for (p = framed; p < framed + f; p = e + 2) {
		if (memcmp(p, "220-", 4) != 0)
			abort();
		e = memchr(p, '\r', (size_t)(framed + f - p));
		while (e != NULL && e[1] != '\n')
			e = memchr(e + 1, '\r', (size_t)(framed + f - e - 1));
		if (e == NULL)
			abort();
	}
	return (0);
}
