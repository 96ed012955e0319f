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
 * The smallest exec-mode session handler, for bench/sessions.sh: greets
 * with "220 ready", answers every line with "200 ok", "221 bye" to QUIT.
 * Small, so that 1,000 of them fit beside 1,000 worker sessions.  For
 * bench/relay.pl, "SOURCE n" sends n bytes of 64-byte lines after a 150
 * and ends with "226 done"; "SINK n" takes n bytes and says "226 done".
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
source(long long n)
{
	char		 blk[65536];
	long long	 k;
	int		 i;

	for (i = 0; i < (int)sizeof(blk); i += 64) {
		memset(blk + i, 'x', 62);
		memcpy(blk + i + 62, "\r\n", 2);
	}
	(void)write(1, "150 data\r\n", 10);
	for (; n > 0; n -= k) {
		k = n < (long long)sizeof(blk) ? n : (long long)sizeof(blk);
		if (write(1, blk, (size_t)k) != k)
			exit(1);
	}
	(void)write(1, "226 done\r\n", 10);
}

/* Take n bytes, the first len of them in buf already. */
static void
sink(long long n, size_t len)
{
	char	buf[65536];
	ssize_t	r;

	for (n -= (long long)len; n > 0; n -= r)
		if ((r = read(0, buf, sizeof(buf))) <= 0)
			exit(1);
	(void)write(1, "226 done\r\n", 10);
}

int
main(void)
{
	char	buf[4096];
	size_t	len = 0;
	ssize_t	n;
	char	*nl;

	(void)write(1, "220 ready\r\n", 11);
	while ((n = read(0, buf + len, sizeof(buf) - len)) > 0) {
		len += (size_t)n;
		while ((nl = memchr(buf, '\n', len)) != NULL) {
			if (strncmp(buf, "QUIT", 4) == 0) {
				(void)write(1, "221 bye\r\n", 9);
				return (0);
			}
			if (strncmp(buf, "SOURCE ", 7) == 0)
				source(atoll(buf + 7));
			else if (strncmp(buf, "SINK ", 5) == 0) {
				len -= (size_t)(nl + 1 - buf);
				sink(atoll(buf + 5), len);
				len = 0;
				break;
			} else if (write(1, "200 ok\r\n", 8) != 8)
				return (1);
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len);
		}
		if (len == sizeof(buf))
			len = 0;
	}
	return (0);
}
