/*
 * Fuzz ProFTPD's Controls framing (ctrls.c): the request parser as it
 * reads what a client on the control socket sends, and the response
 * framing of any reply text.  Invariants:
 *   - a request parses (CTRLS_DONE) within the bytes given, with 1 to
 *     32 arguments of at most 256 bytes, none with a NUL;
 *   - framed again, its arguments parse to the same ones;
 *   - every shorter prefix of it is incomplete (CTRLS_MORE), never a
 *     request or an error;
 *   - a response frame is status, count, and count strings that fill
 *     it exactly, none with a newline.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "notify.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_request(const uint8_t *data, size_t size)
{
	static struct ctrls_req	 r, r2;
	struct evbuffer		*eb;
	const char		*why;
	const uint8_t		*p;
	uint32_t		 n;
	size_t			 used, used2, k;
	int			 i;

	if (ctrls_parse(data, size, &r, &used, &why) != CTRLS_DONE)
		return;
	if (used > size || r.argc < 1 || r.argc > CTRLS_ARGS_MAX)
		abort();
	for (i = 0; i < r.argc; i++)
		if (strlen(r.argv[i]) == 0 || strlen(r.argv[i]) > CTRLS_ARG_MAX)
			abort();
	for (k = 0; k < used; k += 1 + used / 7)
		if (ctrls_parse(data, k, &r2, &used2, &why) != CTRLS_MORE)
			abort();
	if ((eb = evbuffer_new()) == NULL)
		return;
	n = 0;
	evbuffer_add(eb, &n, 4);
	n = (uint32_t)r.argc;
	evbuffer_add(eb, &n, 4);
	for (i = 0; i < r.argc; i++) {
		n = (uint32_t)strlen(r.argv[i]);
		evbuffer_add(eb, &n, 4);
		evbuffer_add(eb, r.argv[i], n);
	}
	k = evbuffer_get_length(eb);
	p = evbuffer_pullup(eb, -1);
	if (ctrls_parse(p, k, &r2, &used2, &why) != CTRLS_DONE ||
	    used2 != k || r2.argc != r.argc)
		abort();
	for (i = 0; i < r.argc; i++)
		if (strcmp(r.argv[i], r2.argv[i]) != 0)
			abort();
	evbuffer_free(eb);
}

static void
check_response(const uint8_t *data, size_t size)
{
	struct evbuffer	*eb;
	const uint8_t	*p;
	uint32_t	 argc, len, i;
	size_t		 n, off = 8;

	if (size == 0 || (eb = evbuffer_new()) == NULL)
		return;
	ctrls_frame(eb, data[0] % 4, (const char *)data + 1, size - 1);
	n = evbuffer_get_length(eb);
	p = evbuffer_pullup(eb, -1);
	if (n < 8)
		abort();
	memcpy(&argc, p + 4, 4);
	for (i = 0; i < argc; i++) {
		if (n - off < 4)
			abort();
		memcpy(&len, p + off, 4);
		off += 4;
		if (n - off < len || memchr(p + off, '\n', len) != NULL)
			abort();
		off += len;
	}
	if (off != n)
		abort();
	evbuffer_free(eb);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_request(data, size);
	check_response(data, size);
	return (0);
}
