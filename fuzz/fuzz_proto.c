/*
 * Fuzz the protocol watcher.  The first byte picks the protocol, the
 * next 64 are a listener spec; then each line that starts with '=' is
 * the server's, any other the client's (split at odd places, as reads
 * split them).  Whatever comes, a user named is one who and MessageLog
 * can show (1 to WS_USER_MAX printable bytes without blanks), a message
 * and a goodbye fit their buffer, and the command queue stays bounded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ws.h"
#include "mux.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_user(const char *u)
{
	size_t	n, i;

	if (u == NULL)
		return;
	n = strlen(u);
	if (n == 0 || n > WS_USER_MAX)
		abort();
	for (i = 0; i < n; i++)
		if (u[i] <= ' ' || u[i] > '~')
			abort();
}

static void
check_out(const struct proto *pr, const char *text, size_t len)
{
	char	b[64];
	size_t	n;

	n = proto_format(pr, b, sizeof(b), 250, text, len, "\r\n");
	if (n >= sizeof(b) || (n > 0 && strlen(b) != n))
		abort();
	n = proto_bye(pr, b, sizeof(b), "why");
	if (n >= sizeof(b) || (n > 0 && strlen(b) != n))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*p = (const char *)data, *nl;
	struct proto	 pr;
	struct proto_ev	 ev;
	char		 spec[65];
	size_t		 off = 1, len, n, half;

	if (size < 1)
		return (0);
	/* The next bytes as a listener spec: the socket part is a prefix. */
	n = size - 1 < 64 ? size - 1 : 64;
	memcpy(spec, p + 1, n);
	spec[n] = '\0';
	if (proto_split(spec, &len) < 0 || len > strlen(spec))
		abort();
	proto_init(&pr, data[0] % PROTO_MAX);
	while (off < size) {
		nl = memchr(p + off, '\n', size - off);
		len = nl != NULL ? (size_t)(nl - (p + off)) + 1 : size - off;
		if (p[off] == '=' && len > 1) {
			proto_server(&pr, p + off + 1, len - 1, &ev);
			check_user(ev.user);
			if (ev.code < 0 || ev.code > 599)
				abort();
		} else {
			half = len / 2;
			proto_client(&pr, p + off, half);
			proto_client(&pr, p + off + half, len - half);
		}
		if (pr.nq > PROTO_QMAX || pr.qhead >= PROTO_QMAX)
			abort();
		check_out(&pr, p + off, len);
		off += len;
	}
	return (0);
}
