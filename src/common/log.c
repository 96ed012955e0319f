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


/* Logging in the OpenBSD style: syslog, and stderr in the foreground. */

#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int	 log_tostderr = 1;
static int	 log_journal;	/* stderr is journald's stream */
static int	 log_tosyslog;
static int	 log_verbose;
static int	 log_foreground = 1, log_syslog, log_fac = -1;	/* as given */
static char	 log_ident[64] = "mux";

static const struct {
	const char	*name;
	int		 fac;
} log_facs[] = {
	{ "auth", LOG_AUTH }, { "authpriv", LOG_AUTHPRIV },
	{ "cron", LOG_CRON }, { "daemon", LOG_DAEMON }, { "ftp", LOG_FTP },
	{ "kern", LOG_KERN }, { "lpr", LOG_LPR }, { "mail", LOG_MAIL },
	{ "news", LOG_NEWS }, { "syslog", LOG_SYSLOG }, { "user", LOG_USER },
	{ "uucp", LOG_UUCP }, { "local0", LOG_LOCAL0 },
	{ "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
	{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 },
	{ "local7", LOG_LOCAL7 },
};

/* A facility by name, "mail" or "LOG_MAIL" as -S takes it; -1 if none. */
int
log_facility(const char *name)
{
	size_t	i;

	if (strncasecmp(name, "LOG_", 4) == 0)
		name += 4;
	for (i = 0; i < sizeof(log_facs) / sizeof(log_facs[0]); i++)
		if (strcasecmp(name, log_facs[i].name) == 0)
			return (log_facs[i].fac);
	return (-1);
}

/*
 * stderr is the journal's when JOURNAL_STREAM names it (systemd.exec(5)):
 * then a line is "<pri>text", the journal knowing the ident already, and
 * with syslog on too (-l, MIMEDefang's MX_LOG) it goes to syslog alone,
 * where mail.log has it, rather than twice into the journal.
 */
static int
log_is_journal(void)
{
	struct stat		 st;
	unsigned long long	 dev, ino;
	const char		*v = getenv("JOURNAL_STREAM");

	return (v != NULL && sscanf(v, "%llu:%llu", &dev, &ino) == 2 &&
	    fstat(STDERR_FILENO, &st) == 0 &&
	    (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino);
}

/* ident also heads the lines on stderr; facility -1 is mail. */
void
log_init(int foreground, int use_syslog, int verbose, const char *ident,
    int facility)
{
	log_foreground = foreground;
	log_syslog = use_syslog;
	log_fac = facility;
	log_tostderr = foreground;
	log_journal = foreground && log_is_journal();
	log_tosyslog = use_syslog || !foreground;
	if (log_journal && log_tosyslog)
		log_tostderr = 0;
	log_verbose = verbose;
	if (ident != NULL)
		snprintf(log_ident, sizeof(log_ident), "%s", ident);
	if (log_tosyslog)
		openlog(log_ident, LOG_PID | LOG_NDELAY,
		    facility == -1 ? LOG_MAIL : facility);
	tzset();
}

/* What log_init was given, and the level now: a worker session starts so. */
void
log_params(int *foreground, int *use_syslog, int *verbose,
    const char **ident, int *facility)
{
	*foreground = log_foreground;
	*use_syslog = log_syslog;
	*verbose = log_verbose;
	*ident = log_ident;
	*facility = log_fac;
}

/* No output at all (fuzz targets). */
void
log_silence(void)
{
	log_tostderr = log_tosyslog = 0;
}

/* Debug, as a reread sets it. */
void
log_set_level(int verbose)
{
	log_verbose = verbose;
}

/* For the logging files only (logrl.c). */
void
log_vwrite(int pri, const char *fmt, va_list ap, int witherr)
{
	char	msg[2048];
	int	saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (witherr) {
		size_t	n = strlen(msg);

		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	}
	if (log_tostderr && log_journal)
		fprintf(stderr, "<%d>%s\n", LOG_PRI(pri), msg);
	else if (log_tostderr)
		fprintf(stderr, "%s: %s\n", log_ident, msg);
	if (log_tosyslog)
		syslog(pri, "%s", msg);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_ERR, fmt, ap, 1);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_ERR, fmt, ap, 0);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, fmt, ap, 0);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, fmt, ap, 0);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, fmt, ap, 1);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, fmt, ap, 0);
	va_end(ap);
	exit(1);
}
