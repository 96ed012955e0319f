/*
 * Fuzz the session relay's framing (src/worker/sess.c, sess_parse):
 * whatever a handler writes, in whatever pieces, the client gets exactly
 * those bytes plus the held messages as "NNN-text" lines, each group
 * placed right before a final "NNN " line of the same code, once; with
 * the listener protocol none, ftp or smtp (the NNN grammar).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sess.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define MARK	"MUXFUZZMSG"

static struct sess	fz;
static char		out[3 * 65536];
static size_t		olen;

/* The client reads everything at once. */
static void
take(void)
{
	size_t	n = fz.olen - fz.ooff;

	if (olen + n > sizeof(out))
		abort();
	memcpy(out + olen, fz.obuf + fz.ooff, n);
	olen += n;
	fz.ooff = fz.olen = 0;
}

/* Does the line at p (ending before e) start "NNN-" MARK? */
static int
marked(const char *p, const char *e)
{
	size_t	n = strlen(MARK);

	return ((size_t)(e - p) >= 4 + n && p[3] == '-' &&
	    memcmp(p + 4, MARK, n) == 0);
}

/* Out without the injected lines must be the input; they sit well. */
static void
check(const uint8_t *in, size_t inlen, int nmsg)
{
	char	*p = out, *e = out + olen, *nl, *q = out;
	int	 found = 0;

	while (p < e) {
		nl = memchr(p, '\n', (size_t)(e - p));
		nl = nl ? nl + 1 : e;
		if (marked(p, nl)) {
			found++;
			/*
			 * Next: another injected line, or the final line of
			 * that code ("NNN text", or a bare "NNN").
			 */
			if (e - nl < 3 || (!marked(nl, e) &&
			    (memcmp(nl, p, 3) != 0 || (e - nl > 3 &&
			    nl[3] != ' ' && nl[3] != '\r' && nl[3] != '\n'))))
				abort();
		} else {
			memmove(q, p, (size_t)(nl - p));
			q += nl - p;
		}
		p = nl;
	}
	if ((size_t)(q - out) != inlen || memcmp(out, in, inlen) != 0)
		abort();
	if (found != 0 && found != nmsg)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ws_slot	 slot;
	static struct ws_shm	 shm;
	static struct ws_conf	 conf;
	static struct ws_sess_ctx x;
	size_t			 off = 0, chunk, n, before;
	int			 nmsg, i;

	if (size < 2 || memmem(data, size, MARK, strlen(MARK)) != NULL)
		return (0);
	log_silence();
	conf.mqid = -1;
	conf.msg_skip = INJ_SKIP_DEFAULT;
	x.slot = &slot;
	x.shm = &shm;
	x.conf = &conf;
	memset(&fz, 0, sizeof(fz));
	fz.x = &x;
	fz.at_bol = 1;
	proto_init(&fz.proto, (const int[]){ PROTO_NONE, PROTO_FTP,
	    PROTO_SMTP }[(data[0] / 4) % 3]);
	nmsg = data[0] % 4;
	chunk = (size_t)data[1] % 64 + 1;
	data += 2;
	size -= 2;
	for (i = 0; i < nmsg; i++)
		fz.msg[i].len = (size_t)snprintf(fz.msg[i].text,
		    sizeof(fz.msg[i].text), MARK "%d", i);
	fz.nmsg = nmsg;
	olen = 0;
	while (off < size || fz.hlen > 0) {
		if (fz.hoff > 0) {	/* as sess_read_handler does */
			memmove(fz.hbuf, fz.hbuf + fz.hoff, fz.hlen);
			fz.hoff = 0;
		}
		n = size - off < chunk ? size - off : chunk;
		if (n > sizeof(fz.hbuf) - fz.hlen)
			n = sizeof(fz.hbuf) - fz.hlen;
		memcpy(fz.hbuf + fz.hlen, data + off, n);
		fz.hlen += n;
		off += n;
		if (off == size)
			fz.hd_eof = 1;
		before = fz.hlen;
		sess_parse(&fz);
		take();
		if (n == 0 && fz.hlen == before)
			abort();	/* no progress: a stuck relay */
	}
	check(data, size, nmsg);
	return (0);
}
