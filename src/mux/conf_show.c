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
 * The options table as the user reads it: usage() and
 * "mux --directives" (which tests/man_directives.sh checks against the
 * man pages), both from conf_opts.h's rows.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mux.h"
#include "conf_tab.h"

#define CONF_USAGE_WIDTH	72
#define CONF_USAGE_INDENT	"           "

/* The row of option letter c, or NULL. */
static const struct conf_opt *
conf_by_letter(int c)
{
	const struct conf_opt	*o;
	size_t			 i;

	for (i = 0; (o = conf_row(i)) != NULL; i++)
		if (o->letter == c)
			return (o);
	return (NULL);
}

static size_t
conf_word(FILE *fp, size_t col, const char *w)
{
	size_t	len = strlen(w);

	if (col + 1 + len > CONF_USAGE_WIDTH) {
		fprintf(fp, "\n%s%s", CONF_USAGE_INDENT, w);
		return (strlen(CONF_USAGE_INDENT) + len);
	}
	fprintf(fp, " %s", w);
	return (col + 1 + len);
}

/*
 * "[-flags] [-x arg]... [--long arg]... [-- program [args ...]]": the
 * letters in alphabetical order, each lower case one before its capital,
 * then the long options in the table's order.
 */
void
conf_usage(FILE *fp)
{
	const struct conf_opt	*o;
	char			 flags[64] = "[-", w[96];
	const char		*argv = NULL;
	size_t			 col, i, n = 2;
	int			 k, c;

	for (k = 0; k < 52; k++) {
		c = k % 2 ? toupper('a' + k / 2) : 'a' + k / 2;
		if ((o = conf_by_letter(c)) != NULL && o->metavar == NULL &&
		    n < sizeof(flags) - 2)
			flags[n++] = (char)c;
	}
	flags[n++] = ']';
	flags[n] = '\0';
	fprintf(fp, "usage: mux");
	col = conf_word(fp, 10, flags);
	for (k = 0; k < 52; k++) {
		c = k % 2 ? toupper('a' + k / 2) : 'a' + k / 2;
		if ((o = conf_by_letter(c)) == NULL || o->metavar == NULL)
			continue;
		snprintf(w, sizeof(w), "[-%c %s]", c, o->metavar);
		col = conf_word(fp, col, w);
	}
	for (i = 0; (o = conf_row(i)) != NULL; i++) {
		if (o->type == CT_ARGV)
			argv = o->metavar;
		if (o->lname == NULL)
			continue;
		if (o->metavar != NULL)
			snprintf(w, sizeof(w), "[--%s %s]", o->lname,
			    o->metavar);
		else
			snprintf(w, sizeof(w), "[--%s]", o->lname);
		col = conf_word(fp, col, w);
	}
	if (argv != NULL) {
		snprintf(w, sizeof(w), "[-- %s]", argv);
		(void)conf_word(fp, col, w);
	}
	fprintf(fp, "\n       mux --directives\n");
}

/* "Name\t-x or --long\tlive|restart|owner|cli", a line per row. */
void
conf_list(FILE *fp)
{
	static const char *when[] = { "live", "restart", "owner", "cli" };
	const struct conf_opt	*o;
	size_t			 i;

	for (i = 0; (o = conf_row(i)) != NULL; i++) {
		fprintf(fp, "%s\t", o->when == CW_CLI ? "-" : o->name);
		if (o->lname != NULL)
			fprintf(fp, "--%s", o->lname);
		else if (o->type == CT_ARGV)
			fprintf(fp, "--");
		else if (o->letter > 0 && o->letter < 128)
			fprintf(fp, "-%c", o->letter);
		else
			fprintf(fp, "-");
		fprintf(fp, "\t%s\n", when[o->when]);
	}
}
