/* Common includes of the cmocka unit tests. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <stdlib.h>
#include <cmocka.h>

#include "ws.h"	/* the worker side's pure parts */
#include "mux.h"
#include "notify.h"

/* A built reply as a C string: a copy, good until the next call. */
static inline const char *
buf_str(struct cmd_buf *b)
{
	static char	 s[65536];
	const char	*p;
	size_t		 len;

	if ((p = cmd_buf_data(b, &len)) == NULL || len >= sizeof(s))
		return ("<lost>");
	memcpy(s, p, len);
	s[len] = '\0';
	return (s);
}
