/*
 * The tiny external worker of the benchmarks: MIMEDefang's -server
 * contract at its cheapest, one "ok" per request line.  ISC licence, see
 * src/worker/ws.h.
 */
#include <string.h>
#include <unistd.h>

int
main(void)
{
	char	buf[8192], *p, *nl;
	ssize_t	n;
	size_t	len = 0;

	for (;;) {
		n = read(0, buf + len, sizeof(buf) - len);
		if (n <= 0)
			return (0);
		len += (size_t)n;
		p = buf;
		while ((nl = memchr(p, '\n', len - (size_t)(p - buf))) != NULL) {
			if (write(1, "ok\n", 3) != 3)
				return (1);
			p = nl + 1;
		}
		len -= (size_t)(p - buf);
		memmove(buf, p, len);
		if (len == sizeof(buf))
			len = 0;
	}
}
