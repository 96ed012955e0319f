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
 * tcprules CDB files (DESIGN §6), read with tinycdb.  The keys and their
 * order are tcpserver's: the address, then its prefixes ending in '.',
 * longest first, then the empty key; the first file with a match wins.
 * A value is NUL-terminated records: "D" denies, "+VAR=VALUE" sets a
 * variable, anything else is ignored, as tcpserver ignores it.  Files
 * are checked whole when opened, so a corrupt one is refused then and
 * not half-used later.
 */

#include <sys/stat.h>

#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mux.h"
#include "vars.h"

struct rules_file {
	struct cdb	 cdb;
	int		 fd;
};

/* Parse a rule's value into r (pure: the fuzzer's entry). */
void
rules_parse(const char *data, size_t len, struct rules_res *r)
{
	char	*p, *end;

	r->matched = 1;
	r->deny = 0;
	r->nvars = 0;
	if (len > sizeof(r->data) - 1)
		len = sizeof(r->data) - 1;
	memcpy(r->data, data, len);
	r->data[len] = '\0';
	end = r->data + len;
	for (p = r->data; p < end; p += strlen(p) + 1) {
		if (*p == 'D')
			r->deny = 1;
		else if (*p == '+' && strchr(p, '=') != NULL && p[1] != '=' &&
		    r->nvars < RULES_VARS_MAX)
			r->vars[r->nvars++] = p + 1;
	}
}

/* Every record readable: a corrupt file fails here, not at a lookup. */
static int
rules_check(struct cdb *c)
{
	unsigned	pos;
	int		r;

	cdb_seqinit(&pos, c);
	while ((r = cdb_seqnext(&pos, c)) > 0)
		;
	return (r);
}

static int
rules_open1(struct rules_file *f, const char *path, char *err, size_t sz)
{
	struct stat	st;

	f->fd = -1;
	if ((f->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return (1);	/* no file, no rules: as tcpserver -X */
		snprintf(err, sz, "rules %s: %s", path, strerror(errno));
		return (-1);
	}
	if (fstat(f->fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    cdb_init(&f->cdb, f->fd) == -1) {
		snprintf(err, sz, "rules %s: not a CDB file", path);
		goto fail;
	}
	if (rules_check(&f->cdb) < 0) {
		snprintf(err, sz, "rules %s: corrupt CDB file", path);
		cdb_free(&f->cdb);
		goto fail;
	}
	return (0);
fail:
	close(f->fd);
	f->fd = -1;
	return (-1);
}

/*
 * Open the files (a missing one is no error).  On error nothing is
 * kept, and the caller keeps the rules it had.
 */
int
rules_open(struct rules *rs, char *const *paths, int n, char *err,
    size_t sz)
{
	int	i, r;

	memset(rs, 0, sizeof(*rs));
	if (n > RULES_FILES_MAX) {
		snprintf(err, sz, "rules: at most %d files", RULES_FILES_MAX);
		return (-1);
	}
	if (n > 0 && (rs->f = calloc((size_t)n, sizeof(*rs->f))) == NULL) {
		snprintf(err, sz, "rules: out of memory");
		return (-1);
	}
	for (i = 0; i < n; i++) {
		if ((r = rules_open1(&rs->f[rs->n], paths[i], err, sz)) == -1) {
			rules_close(rs);
			return (-1);
		}
		if (r == 0)
			rs->n++;
	}
	return (0);
}

void
rules_close(struct rules *rs)
{
	int	i;

	for (i = 0; i < rs->n; i++) {
		cdb_free(&rs->f[i].cdb);
		close(rs->f[i].fd);
	}
	free(rs->f);
	memset(rs, 0, sizeof(*rs));
}

static int
rules_find(struct rules_file *f, const char *key, size_t klen,
    struct rules_res *r)
{
	const void	*d;

	if (cdb_find(&f->cdb, key, (unsigned)klen) <= 0)
		return (0);
	if ((d = cdb_getdata(&f->cdb)) == NULL)
		return (0);
	rules_parse(d, cdb_datalen(&f->cdb), r);
	snprintf(r->key, sizeof(r->key), "%.*s", (int)klen, key);
	return (1);
}

/*
 * The rule for a client, in tcpserver's order: the address, =HOST, the
 * address's prefixes ending in '.', longest first, =.SUFFIX of the host
 * name, longest first, "=" for any named host, the empty key.  host is
 * NULL when its name is unknown (no reverse lookup, or none found).
 * r->matched tells whether a rule matched: as tcpserver, none allows.
 */
int
rules_lookup(const struct rules *rs, const char *ip, const char *host,
    struct rules_res *r)
{
	char	key[300];
	size_t	len = strlen(ip), k, n;
	int	i;

	memset(r, 0, sizeof(*r));
	if (host != NULL && strlen(host) > sizeof(key) - 2)
		host = NULL;
	for (i = 0; i < rs->n; i++) {
		if (rules_find(&rs->f[i], ip, len, r))
			return (0);
		if (host != NULL) {
			k = (size_t)snprintf(key, sizeof(key), "=%s", host);
			if (rules_find(&rs->f[i], key, k, r))
				return (0);
		}
		/* "1.2.3.", "1.2.", "1.": IPv4 only, as tcpserver. */
		for (k = len; k > 0 && strchr(ip, ':') == NULL; k--)
			if (ip[k - 1] == '.' && k < len &&
			    rules_find(&rs->f[i], ip, k, r))
				return (0);
		for (k = 0; host != NULL && host[k] != '\0'; k++) {
			if (host[k] != '.')
				continue;
			n = (size_t)snprintf(key, sizeof(key), "=%s", host + k);
			if (rules_find(&rs->f[i], key, n, r))
				return (0);
		}
		if (host != NULL && rules_find(&rs->f[i], "=", 1, r))
			return (0);
		if (rules_find(&rs->f[i], "", 0, r))
			return (0);
	}
	return (0);
}

/* The value of VAR the rule set, or NULL. */
const char *
rules_var(const struct rules_res *r, const char *name)
{
	return (vars_find(r->vars, r->nvars, name));
}
