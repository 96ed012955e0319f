/*
 * Fuzz the reply parser and the injector as a worker session uses them:
 * the first line is the client's command, the rest the handler's output,
 * split into lines; the second byte is the message.  Every line ending a
 * reply that may take messages gets them in front.  Invariants: taking
 * the injected lines out gives back the input byte for byte; an injected
 * line is "NNN-" with the code of the line it precedes, then no control
 * byte, then the line end; ineligible replies get nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ws.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	out[1 << 18], back[1 << 17];
static size_t	at[1 << 16];	/* where injected lines start in out */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inj_state	 st = { 0 };
	const char		*p = (const char *)data, *nl, *cmd;
	const char		*msg = "Dave, you need\r\n to delete\x01 files";
	char			 line[INJ_TEXT_MAX + 16];
	size_t			 left = size, len, n, o = 0, b = 0, cmdlen, i;
	size_t			 na = 0, k = 0;
	int			 code;

	if (size > sizeof(back) / 2)
		return (0);
	nl = memchr(p, '\n', left);
	cmd = p;
	cmdlen = nl ? (size_t)(nl - p) : left;
	if (nl == NULL)
		return (0);
	left -= cmdlen + 1;
	p = nl + 1;
	while (left > 0) {
		nl = memchr(p, '\n', left);
		len = nl ? (size_t)(nl - p) + 1 : left;	/* with its LF */
		code = inj_line(&st, p, nl ? len - 1 : len);
		if (code != 0 && inj_eligible(code, cmd, cmdlen,
		    INJ_SKIP_DEFAULT)) {
			n = inj_format(line, sizeof(line), code, msg,
			    strlen(msg), "\r\n");
			if (n < 6 || memcmp(line + 3, "-", 1) != 0 ||
			    line[0] != p[0] || line[1] != p[1] ||
			    line[2] != p[2] || line[n - 2] != '\r' ||
			    line[n - 1] != '\n')
				abort();
			for (i = 4; i < n - 2; i++)
				if ((unsigned char)line[i] < 0x20 ||
				    line[i] == 0x7f)
					abort();
			at[na++] = o;
			memcpy(out + o, line, n);
			o += n;
		}
		memcpy(out + o, p, len);
		memcpy(back + b, p, len);
		o += len;
		b += len;
		left -= len;
		p += len;
	}
	/* Remove what was injected: the handler's bytes, unchanged. */
	for (i = 0, n = 0; i < o;) {
		nl = memchr(out + i, '\n', o - i);
		len = nl ? (size_t)(nl - (out + i)) + 1 : o - i;
		if (k < na && at[k] == i) {
			if (len != 4 + 30 + 2 || memcmp(out + i + 4,
			    "Dave, you need to delete files", 30) != 0)
				abort();
			k++;
			i += len;
			continue;
		}
		if (n + len > b || memcmp(out + i, back + n, len) != 0)
			abort();
		n += len;
		i += len;
	}
	if (n != b || k != na)
		abort();
	return (0);
}
