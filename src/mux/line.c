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
 * The master's one line reader.  Bytes wait in an evbuffer, a
 * bufferevent's input or what line_fill read; line_get takes one line
 * out into the caller's buffer, so a line costs no allocation.  A line
 * longer than the limit is refused whole, never cut into two.  What to
 * do with a CR is the protocol's business, not the reader's.
 */

#include <errno.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "line.h"

/*
 * Read what fd has into in, until in holds cap bytes: the count, 0 at
 * EOF, -1 with errno (EAGAIN: nothing yet; ENOBUFS: in holds cap).
 */
ssize_t
line_fill(struct evbuffer *in, int fd, size_t cap)
{
	struct evbuffer_iovec	v;
	size_t			have = evbuffer_get_length(in);
	ssize_t			n;

	if (have >= cap) {
		errno = ENOBUFS;
		return (-1);
	}
	/* One read(2) into reserved room: evbuffer_read adds a FIONREAD. */
	if (evbuffer_reserve_space(in, (ev_ssize_t)(cap - have), &v, 1) != 1) {
		errno = ENOMEM;
		return (-1);
	}
	if ((n = read(fd, v.iov_base, cap - have)) <= 0)
		return (n);
	v.iov_len = (size_t)n;
	if (evbuffer_commit_space(in, &v, 1) == -1) {
		errno = ENOMEM;
		return (-1);
	}
	return (n);
}

/*
 * The next line of in, without its LF, NUL-terminated in out (max + 1
 * bytes), its length in *len.  At eof, what is left is the last line.
 * LINE_LONG when a line passes max bytes: the caller refuses it, and in
 * is left as it was.
 */
int
line_get(struct evbuffer *in, size_t max, int eof, char *out, size_t *len)
{
	struct evbuffer_ptr	p;
	size_t			have = evbuffer_get_length(in), n;

	p = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
	if (p.pos != -1)
		n = (size_t)p.pos;
	else if (have > max || (eof && have > 0))
		n = have;
	else
		return (LINE_NONE);
	if (n > max)
		return (LINE_LONG);
	(void)evbuffer_remove(in, out, n);
	if (p.pos != -1)
		(void)evbuffer_drain(in, 1);
	out[n] = '\0';
	*len = n;
	return (LINE_OK);
}
