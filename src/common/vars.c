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
 * Variable blocks (vars.h).  Pure: unit-tested in test_vars, fuzzed in
 * fuzz_vars.
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vars.h"

/*
 * The entry at *off, moving *off past it: 1, or 0 at the block's end.
 * An entry without '=' is not a variable and is passed over; bytes after
 * the last NUL are not an entry.
 */
int
vars_next(const char *b, size_t len, size_t *off, struct vars_ent *e)
{
	const char	*nul, *eq;
	size_t		 i;

	while ((i = *off) < len) {
		if ((nul = memchr(b + i, '\0', len - i)) == NULL) {
			*off = len;
			return (0);
		}
		*off = (size_t)(nul - b) + 1;
		if ((eq = memchr(b + i, '=', (size_t)(nul - (b + i)))) == NULL)
			continue;
		e->name = b + i;
		e->nlen = (size_t)(eq - (b + i));
		e->value = eq + 1;
		return (1);
	}
	return (0);
}

/* The first value of name in the block, or NULL. */
const char *
vars_get(const char *b, size_t len, const char *name)
{
	struct vars_ent	e;
	size_t		off = 0, n = strlen(name);

	while (vars_next(b, len, &off, &e))
		if (e.nlen == n && memcmp(e.name, name, n) == 0)
			return (e.value);
	return (NULL);
}

/* Append NAME=VALUE (the name given with its length); -1 when full. */
int
vars_put(char *b, size_t sz, size_t *len, const char *name, size_t nlen,
    const char *value)
{
	size_t	vlen = strlen(value);

	if (*len > sz || nlen + 1 + vlen + 1 > sz - *len)
		return (-1);
	memcpy(b + *len, name, nlen);
	b[*len + nlen] = '=';
	memcpy(b + *len + nlen + 1, value, vlen + 1);
	*len += nlen + 1 + vlen + 1;
	return (0);
}

/* Append NAME=VALUE with the value formatted; -1 when full. */
int
vars_putf(char *b, size_t sz, size_t *len, const char *name,
    const char *fmt, ...)
{
	va_list	ap;
	int	n, m;

	if (*len >= sz)
		return (-1);
	n = snprintf(b + *len, sz - *len, "%s=", name);
	if (n < 0 || (size_t)n >= sz - *len)
		return (-1);
	va_start(ap, fmt);
	m = vsnprintf(b + *len + n, sz - *len - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= sz - *len - (size_t)n)
		return (-1);
	*len += (size_t)(n + m) + 1;
	return (0);
}

/* The value of name among n "NAME=VALUE" strings, or NULL. */
const char *
vars_find(char *const *v, int n, const char *name)
{
	size_t	k = strlen(name);
	int	i;

	for (i = 0; i < n; i++)
		if (strncmp(v[i], name, k) == 0 && v[i][k] == '=')
			return (v[i] + k + 1);
	return (NULL);
}
