/*
 * Fuzz the request-line dispatcher: any line, privileged or not, gets a
 * reply, a reread, or goes to a worker; never a crash, never an
 * unterminated reply for the commands that promise a newline.  And the
 * recipok domain -y takes from it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mux.h"
#include "ws.h"	/* rcpt_domain */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct stats	st;
	struct cmd_worker	w[2];
	uint64_t		histo[2] = { 1, 2 };
	struct cmd_view		v;
	struct cmd_buf		b = CMD_BUF_INIT;
	const char		*out;
	size_t			len;
	int			priv, rv;

	if (size < 1 || size > WS_LINE_MAX + 1)
		return (0);
	priv = data[0] & 1;
	data++;
	size--;
	stats_init(&st, 0);
	memset(w, 0, sizeof(w));
	w[0].state = WS_BUSY;
	w[0].cmd = WS_CMD_SCAN;
	w[1].state = WS_STOPPED;
	w[1].last_cmd = WS_CMD_NONE;
	memset(&v, 0, sizeof(v));
	v.nslots = 2;
	v.w = w;
	v.histo = histo;
	v.stats = &st;
	v.now = 100;
	v.version = "x";
	rv = cmd_answer((const char *)data, size, priv, &v, &b);
	if ((out = cmd_buf_data(&b, &len)) == NULL)
		abort();	/* nothing may be lost here */
	if (rv != CMD_REPLY && len != 0)
		abort();
	if (!priv && rv != CMD_REPLY)
		abort();
	if (rv == CMD_REPLY && cmd_is_mux((const char *)data, size) &&
	    len > 0 && out[len - 1] != '\n' &&
	    (len != 1 || out[0] != 'x'))
		abort();
	cmd_buf_free(&b);
	/* -y's domain of the same line: bounded, terminated, no blank. */
	{
		char	dom[WS_DOMAIN_MAX + 1];
		size_t	n = rcpt_domain((const char *)data, size, dom,
			    sizeof(dom));

		if (n > WS_DOMAIN_MAX || strlen(dom) > n ||
		    memchr(dom, ' ', n) != NULL || memchr(dom, '>', n) != NULL)
			abort();
	}
	return (0);
}
