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
 * The options table's rows as conf.c builds them from conf_opts.h; for
 * conf.c and conf_show.c only.
 */

#ifndef MUX_CONF_TAB_H
#define MUX_CONF_TAB_H

#include <stddef.h>

enum {
	CT_INT, CT_BOOL, CT_COUNT, CT_STR, CT_WORDS, CT_LIST, CT_LISTEN,
	CT_ARGV, CT_ACL, CT_MACL, CT_CLASS, CT_EXEMPT
};
enum { CW_LIVE, CW_RESTART, CW_OWNER, CW_CLI };

struct conf_opt {
	const char	*name;
	int		 letter;
	const char	*lname;		/* long option, or NULL */
	int		 type;		/* CT_* */
	size_t		 off;
	size_t		 size;		/* what a reread swaps at off */
	size_t		 noff;		/* repeatable ones: their count */
	int		 min;
	int		 max;
	int		 def;
	int		 when;		/* CW_* */
	const char	*metavar;	/* its argument in usage, or NULL */
};

const struct conf_opt *conf_row(size_t);

#endif /* MUX_CONF_TAB_H */
