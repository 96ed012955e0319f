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
 * The configuration file's grammar: lines of "Directive words...",
 * # comments, "double quotes" grouping words.  What each directive
 * means is conf.c's, from conf_opts.h's table.  Also the word splitting
 * the control lines share.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mux.h"

/* Words joined by one blank; -1 if empty or longer than sz allows. */
int
conf_join(char *dst, size_t sz, int ac, char *const *av)
{
	size_t	n = 0, l;
	int	i;

	for (i = 0; i < ac; i++) {
		l = strlen(av[i]);
		if (n + l + (i > 0) >= sz)
			return (-1);
		if (i > 0)
			dst[n++] = ' ';
		memcpy(dst + n, av[i], l);
		n += l;
	}
	dst[n] = '\0';
	return (n > 0 ? 0 : -1);
}

/*
 * Split on blanks into at most max words; the count, or -1.  With
 * quotes, "double quotes" group (directives); control lines take their
 * quotes as text.
 */
int
conf_split(char *s, char **av, int max, int quotes)
{
	int	n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			return (n);
		if (n == max)
			return (-1);
		if (quotes && *s == '"') {
			av[n++] = ++s;
			while (*s != '\0' && *s != '"')
				s++;
			if (*s != '"')
				return (-1);
		} else {
			av[n++] = s;
			while (*s != '\0' && *s != ' ' && *s != '\t')
				s++;
		}
		if (*s == '\0')
			return (n);
		*s++ = '\0';
	}
}

/* One line: a directive and its words. */
static int
conf_line(struct conf *c, char *line, int lineno, char *err)
{
	char	*av[64], msg[CONF_ERR_MAX];
	int	 ac;

	if ((ac = conf_split(line, av, 64, 1)) == -1) {
		snprintf(err, CONF_ERR_MAX, "line %d: unbalanced quote or "
		    "too many arguments", lineno);
		return (-1);
	}
	if (ac == 0 || conf_directive(c, ac, av, msg) == 0)
		return (0);
	snprintf(err, CONF_ERR_MAX, "line %d: %.200s", lineno, msg);
	return (-1);
}

/* Parse a whole configuration text: "Directive args", # comments. */
int
conf_parse(struct conf *c, const char *text, size_t len, char *err)
{
	char		 line[4096];
	size_t		 i = 0, n;
	const char	*nl;
	char		*h;
	int		 lineno = 0;

	while (i < len) {
		lineno++;
		nl = memchr(text + i, '\n', len - i);
		n = nl ? (size_t)(nl - (text + i)) : len - i;
		if (n >= sizeof(line)) {
			snprintf(err, CONF_ERR_MAX, "line %d: too long",
			    lineno);
			return (-1);
		}
		memcpy(line, text + i, n);
		line[n] = '\0';
		i += n + 1;
		if (memchr(line, '\0', n) != NULL) {
			snprintf(err, CONF_ERR_MAX, "line %d: NUL byte",
			    lineno);
			return (-1);
		}
		if ((h = strchr(line, '#')) != NULL)
			*h = '\0';
		if ((n = strlen(line)) > 0 && line[n - 1] == '\r')
			line[n - 1] = '\0';
		if (conf_line(c, line, lineno, err) == -1)
			return (-1);
	}
	return (0);
}

int
conf_load(struct conf *c, const char *path, char *err)
{
	char		*buf;
	struct stat	 st;
	ssize_t		 n;
	size_t		 got = 0;
	int		 fd, rv;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		snprintf(err, CONF_ERR_MAX, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return (-1);
	}
	if (st.st_size > 1024 * 1024) {
		snprintf(err, CONF_ERR_MAX, "%s: larger than 1 MiB", path);
		close(fd);
		return (-1);
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		snprintf(err, CONF_ERR_MAX, "out of memory");
		return (-1);
	}
	while (got < (size_t)st.st_size &&
	    (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	rv = conf_parse(c, buf, got, err);
	if (rv == -1) {
		char	tmp[CONF_ERR_MAX];

		snprintf(tmp, sizeof(tmp), "%.40s: %.200s", path, err);
		memcpy(err, tmp, CONF_ERR_MAX);
	}
	free(buf);
	return (rv);
}
