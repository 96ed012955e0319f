/*
 * Fuzz the protocol watcher: any client lines and reply codes (a line
 * "=NNN" is a final reply, others are the client's) give either no user
 * or one who and MessageLog can show: 1 to WS_USER_MAX printable bytes
 * without blanks, taken from a USER line the client sent.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mux.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*p = (const char *)data, *nl, *u;
	struct proto	 pr;
	char		 spec[65], code[4];
	size_t		 off = 0, len, n, i;

	/* The first bytes as a listener spec: the socket part is a prefix. */
	n = size < 64 ? size : 64;
	memcpy(spec, p, n);
	spec[n] = '\0';
	if (proto_split(spec, &len) < 0 || len > strlen(spec))
		abort();
	proto_init(&pr, PROTO_FTP);
	while (off < size) {
		nl = memchr(p + off, '\n', size - off);
		len = nl != NULL ? (size_t)(nl - (p + off)) : size - off;
		if (len >= 4 && p[off] == '=') {
			memcpy(code, p + off + 1, 3);
			code[3] = '\0';
			u = proto_reply(&pr, atoi(code));
			if (u != NULL) {
				n = strlen(u);
				if (n == 0 || n > WS_USER_MAX)
					abort();
				for (i = 0; i < n; i++)
					if (u[i] <= ' ' || u[i] > '~')
						abort();
			}
		} else
			proto_client(&pr, p + off, len);
		off += len + 1;
	}
	return (0);
}
