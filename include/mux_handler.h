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
 * The public interface of libmux for in-process handlers: a program that
 * links the mux libraries, fills a struct ws_handler and calls mux_main()
 * is mux(8) with its requests answered inside the worker sessions, with
 * no handler process and no pipe (bench/inproc.c).  Nothing else of mux
 * is needed for it.
 */

#ifndef MUX_HANDLER_H
#define MUX_HANDLER_H

#include <stddef.h>

/* on_line is called once per request line; it answers with ws_reply(). */
struct ws_req;
struct ws_handler {
	const char	*name;
	int		(*on_session)(void *arg);	/* once per worker */
	void		(*on_line)(struct ws_req *, const char *, size_t,
			    void *arg);
	void		*arg;
};

void	 ws_reply(struct ws_req *, const char *, size_t);

/* Runs mux(8) with these arguments; h may be NULL (an external handler). */
int	 mux_main(int, char **, const struct ws_handler *);

#endif
