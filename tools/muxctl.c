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
 * muxctl: the ftpdctl of mux.  Runs one control action on a mux
 * listener socket and prints the reply; "watch" prints events live,
 * "top" shows the pool on one screen (muxtop.c).
 * Exit status tells a script what happened (muxctl(8)).
 */

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctlerr.h"
#include "muxtop.h"
#include "sockspec.h"

#define MUXCTL_SOCKET	"/run/mux/control.sock"
#define LINE_MAX_	4096

enum {
	EX_OK_ = 0, EX_ERR = 1, EX_BADARGS = 2, EX_DENIED = 3,
	EX_NOTFOUND = 4, EX_TRANSPORT = 5
};

static struct {
	int	 fd;
	char	 buf[65536];
	size_t	 len;
	int	 timeout_ms;	/* -1: wait for ever */
} C = { -1, "", 0, 10000 };

static volatile sig_atomic_t stop;	/* watch: SIGINT or SIGTERM */

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: muxctl [-s socket] [-t secs] action [args ...]\n"
	    "       muxctl [-s socket] status|who --json\n"
	    "       muxctl [-s socket] watch [LETTERS]\n"
	    "       muxctl [-s socket] top\n");
	exit(EX_BADARGS);
}

static void __attribute__((noreturn))
die(const char *what)
{
	fprintf(stderr, "muxctl: %s\n", what);
	exit(EX_TRANSPORT);
}

/* Connect to a parsed spec; -1 with errno set. */
static int
ctl_connect(const struct sock_spec *sp)
{
	struct sockaddr_storage	ss;
	socklen_t		len;
	int			fd, e;

	len = sock_addr(sp, &ss);
	if ((fd = socket(sp->family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&ss, len) == -1) {
		e = errno;
		if (fd != -1)
			close(fd);
		errno = e;
		return (-1);
	}
	return (fd);
}

/* The next line without its LF, or NULL at EOF or time-out. */
static char *
ctl_readline(void)
{
	static char	 line[sizeof(C.buf)];
	struct pollfd	 pfd = { C.fd, POLLIN, 0 };
	char		*nl;
	size_t		 n;
	ssize_t		 r;

	for (;;) {
		if ((nl = memchr(C.buf, '\n', C.len)) != NULL) {
			n = (size_t)(nl - C.buf);
			memcpy(line, C.buf, n);
			line[n] = '\0';
			C.len -= n + 1;
			memmove(C.buf, nl + 1, C.len);
			return (line);
		}
		if (C.len == sizeof(C.buf))
			die("reply line too long");
		if ((r = poll(&pfd, 1, C.timeout_ms)) == 0)
			die("no reply: timed out");
		if (r == -1) {
			if (errno == EINTR && stop)
				return (NULL);
			continue;
		}
		if ((r = read(C.fd, C.buf + C.len, sizeof(C.buf) - C.len)) <= 0)
			return (NULL);
		C.len += (size_t)r;
	}
}

static void
ctl_send(const char *s)
{
	size_t	len = strlen(s);
	ssize_t	n;

	while (len > 0) {
		if ((n = write(C.fd, s, len)) <= 0)
			die("write to mux failed");
		s += n;
		len -= (size_t)n;
	}
}

static int
ctl_err_code(const char *text)
{
	static const int	ex[] = { [CTLERR_OTHER] = EX_ERR,
	    [CTLERR_DENIED] = EX_DENIED, [CTLERR_BADARGS] = EX_BADARGS,
	    [CTLERR_NOTFOUND] = EX_NOTFOUND };

	return (ex[ctlerr_kind(text, strlen(text))]);
}

static void
json_str(const char *s, size_t n)
{
	size_t	i;

	putchar('"');
	for (i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			printf("\\%c", s[i]);
		else if ((unsigned char)s[i] < 0x20)
			printf("\\u%04x", (unsigned char)s[i]);
		else
			putchar(s[i]);
	}
	putchar('"');
}

/*
 * A field's value: digits are a number; "-" and "(none)", which the
 * text says for no value (no slot, pid or user yet), are null, one
 * shape for scripts whatever the state; the rest is a string.
 */
static void
json_value(const char *s, size_t n)
{
	size_t	i, neg = n > 1 && s[0] == '-';

	if ((n == 1 && s[0] == '-') || (n == 6 && memcmp(s, "(none)", 6) == 0)) {
		fputs("null", stdout);
		return;
	}
	for (i = neg; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			break;
	if (n > 0 && i == n && (n == neg + 1 || s[neg] != '0'))
		fwrite(s, 1, n, stdout);
	else
		json_str(s, n);
}

/*
 * One reply line as a JSON object: "k=v k=v ...".  A tag= or text=
 * field takes the rest of the line, blanks included.
 */
static void
json_fields(const char *p)
{
	const char	*eq, *end;
	int		 first = 1;

	putchar('{');
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0' || (eq = strchr(p, '=')) == NULL)
			break;
		if (strncmp(p, "tag=", 4) == 0 || strncmp(p, "text=", 5) == 0)
			end = p + strlen(p);
		else if ((end = strchr(eq, ' ')) == NULL)
			end = eq + strlen(eq);
		printf("%s", first ? "" : ",");
		json_str(p, (size_t)(eq - p));
		putchar(':');
		json_value(eq + 1, (size_t)(end - eq - 1));
		first = 0;
		p = end;
	}
	putchar('}');
}

/*
 * status: "*-section k=v ..." lines become {"section": {...}, ...};
 * who: "*-k=v ..." lines become [{...}, ...].
 */
static void
json_line(const char *l, int n, int *list)
{
	const char	*sp = strchr(l, ' '), *eq = strchr(l, '=');

	if (n == 0)
		*list = eq != NULL && (sp == NULL || eq < sp);
	printf("%s", n == 0 ? (*list ? "[" : "{") : ",");
	if (!*list && sp != NULL) {
		json_str(l, (size_t)(sp - l));
		putchar(':');
		json_fields(sp + 1);
	} else
		json_fields(l);
}

static int
ctl_action(int argc, char **argv, int json)
{
	char	 req[LINE_MAX_ + 2], *l;
	size_t	 len = 0;
	int	 i, n = 0, list = 0;

	req[0] = '\0';
	for (i = 0; i < argc; i++) {
		if (len + strlen(argv[i]) + 2 > sizeof(req) - 1)
			usage();
		len += (size_t)snprintf(req + len, sizeof(req) - len, "%s%s",
		    i ? " " : "", argv[i]);
		if (strchr(argv[i], '\n') != NULL || argv[i][0] == '?')
			usage();
	}
	memcpy(req + len, "\n", 2);
	ctl_send(req);
	while ((l = ctl_readline()) != NULL) {
		if (strncmp(l, "*-", 2) == 0) {
			if (json)
				json_line(l + 2, n, &list);
			else
				printf("%s\n", l + 2);
			n++;
		} else if (strncmp(l, "*OK", 3) == 0) {
			if (json)
				printf("%s\n", n == 0 ? "{}" : list ? "]" :
				    "}");
			else if (l[3] == ' ' && n == 0)
				printf("%s\n", l + 4);
			return (EX_OK_);
		} else if (strncmp(l, "*ERR", 4) == 0) {
			if (json && n > 0)
				printf("%s\n", list ? "]" : "}");
			fprintf(stderr, "muxctl: %s\n", l[4] ? l + 5 : "error");
			return (ctl_err_code(l[4] ? l + 5 : ""));
		}
		/* Anything else is an event; we did not subscribe. */
	}
	die("connection closed before the reply");
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
ctl_watch(const char *letters)
{
	struct sigaction	 sa;
	struct timeval		 tv;
	struct tm		 tm;
	char			 req[64], ts[32], *l;

	if (strlen(letters) > 40 || strchr(letters, '\n') != NULL)
		usage();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	snprintf(req, sizeof(req), "?%s\n", letters);
	ctl_send(req);
	C.timeout_ms = -1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (!stop && (l = ctl_readline()) != NULL) {
		gettimeofday(&tv, NULL);
		localtime_r(&tv.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		printf("%s.%03ld %s\n", ts, (long)tv.tv_usec / 1000, l);
		if (strncmp(l, "*ERR", 4) == 0)
			return (EX_ERR);
	}
	if (stop)
		return (EX_OK_);
	fprintf(stderr, "muxctl: the mux closed the connection\n");
	return (EX_TRANSPORT);
}

int
main(int argc, char **argv)
{
	const char	*spec = getenv("MUXCTL_SOCKET");
	struct sock_spec sp;
	char		*l, *end, err[256];
	int		 ch, json = 0;
	long		 t;

	if (spec == NULL)
		spec = MUXCTL_SOCKET;
	while ((ch = getopt(argc, argv, "+s:t:")) != -1) {
		switch (ch) {
		case 's':
			spec = optarg;
			break;
		case 't':
			t = strtol(optarg, &end, 10);
			if (*end != '\0' || t < 1 || t > 3600)
				usage();
			C.timeout_ms = (int)t * 1000;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if (argc == 2 && strcmp(argv[1], "--json") == 0) {
		if (strcmp(argv[0], "status") != 0 &&
		    strcmp(argv[0], "who") != 0)
			usage();
		json = 1;
		argc = 1;
	}
	signal(SIGPIPE, SIG_IGN);
	/* The mux's own socket grammar, and PORT or ADDR:PORT for TCP. */
	if (sock_parse_client(spec, &sp, err, sizeof(err)) == -1) {
		fprintf(stderr, "muxctl: %s\n", err);
		return (EX_BADARGS);
	}
	if ((C.fd = ctl_connect(&sp)) == -1) {
		fprintf(stderr, "muxctl: cannot connect to %s: %s\n", spec,
		    strerror(errno));
		return (EX_TRANSPORT);
	}
	if ((l = ctl_readline()) == NULL)
		die("connection closed before the greeting");
	if (strncmp(l, "*OK", 3) != 0) {
		fprintf(stderr, "muxctl: %s\n", l);
		return (strncmp(l, "*ERR", 4) == 0 ? EX_ERR : EX_TRANSPORT);
	}
	if (strcmp(argv[0], "top") == 0 && argc == 1)
		return (top_run(C.fd, spec, C.buf, C.len) ? EX_TRANSPORT :
		    EX_OK_);
	if (strcmp(argv[0], "watch") == 0) {
		if (argc > 2)
			usage();
		return (ctl_watch(argc == 2 ? argv[1] : "*"));
	}
	return (ctl_action(argc, argv, json));
}
