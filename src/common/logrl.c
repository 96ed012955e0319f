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
 * Rate-limited log lines.  A flood of clients must not become a flood
 * of log lines (10,000 early talkers were 10,000 lines): of each kind,
 * the first LOG_RL_BURST in a window of LOG_RL_WINDOW seconds are
 * logged, the rest only counted, and the master sums them up once per
 * window (log_rl_flush, from its one-second tick), so nothing goes
 * unsaid.  The counters sit in the slot table (log_rl_table): worker
 * sessions and the master share one budget per kind, and muxctl status
 * shows them.  Before a table is given, every line is logged.
 *
 * The window is kept with relaxed atomics: two processes rolling it
 * over at once may let a line or two more through, never fewer.
 */

#include <stdio.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static const char *const log_rl_names[LOG_RL_N] = {
	[LOG_RL_NO_FREE] = "no_free_workers",
	[LOG_RL_QUEUE_FULL] = "queue_full",
	[LOG_RL_QUEUEING] = "queueing",
	[LOG_RL_NO_ACTIVATE] = "unable_to_activate",
	[LOG_RL_QUEUE_TIMEOUT] = "queue_timeout",
	[LOG_RL_WAIT_REFUSED] = "wait_refused",
	[LOG_RL_REQ_TIMEOUT] = "request_timeout",
	[LOG_RL_REQ_TOO_LONG] = "request_too_long",
	[LOG_RL_REQ_NOMEM] = "reply_lost",
	[LOG_RL_ACCEPT] = "accept_error",
	[LOG_RL_BANNER_CUT] = "banner_cut",
	[LOG_RL_BANNER_RESET] = "banner_reset",
	[LOG_RL_EARLY_TALKER] = "early_talker",
	[LOG_RL_RULE_DENIED] = "rule_denied",
	[LOG_RL_RULE_VARS] = "rule_vars",
	[LOG_RL_NO_HOSTNAME] = "no_host_name",
	[LOG_RL_PER_HOST] = "per_host_limit",
	[LOG_RL_PER_USER] = "per_user_limit",
	[LOG_RL_SESS_UNDELIVERED] = "session_undelivered",
	[LOG_RL_KICKED_WAITING] = "kicked_waiting",
	[LOG_RL_MSG_DROPPED] = "message_dropped",
	[LOG_RL_SMAP_ERROR] = "socketmap_error",
	[LOG_RL_SMAP_FULL] = "socketmap_full",
	[LOG_RL_CLIENT_TIMEOUT] = "client_timeout",
	[LOG_RL_CLIENT_TOO_LONG] = "client_line_too_long",
	[LOG_RL_KICKED] = "kicked",
	[LOG_RL_SESS_REFUSED] = "session_refused",
	[LOG_RL_SESS_IDLE] = "session_idle",
	[LOG_RL_HANDLER_EXIT] = "handler_exit",
	[LOG_RL_UNDELIVERED] = "undelivered",
	[LOG_RL_DELIVERED] = "delivered",
	[LOG_RL_MSG_WAITING] = "message_waiting",
	[LOG_RL_RECIPOK_LIMIT] = "recipok_limit",
	[LOG_RL_MSG_FORGED] = "message_forged",
};

static struct log_rl	*log_rl_tab;
static int64_t		 log_rl_said[LOG_RL_N];	/* last summary, master */

void
log_rl_table(struct log_rl *tab)
{
	log_rl_tab = tab;
}

/* The counters, LOG_RL_N of them, for status; NULL before a table. */
const struct log_rl *
log_rl_all(void)
{
	return (log_rl_tab);
}

const char *
log_rl_name(int kind)
{
	if (kind < 0 || kind >= LOG_RL_N || log_rl_names[kind] == NULL)
		return ("unknown");
	return (log_rl_names[kind]);
}

static int64_t
log_rl_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ((int64_t)ts.tv_sec);
}

/* Log this one (1), or count it (0).  Pure but for the atomics. */
int
log_rl_admit(struct log_rl *rl, int64_t now)
{
	int64_t	win = atomic_load_explicit(&rl->win, memory_order_relaxed);

	atomic_fetch_add_explicit(&rl->lines, 1, memory_order_relaxed);
	if (now - win >= LOG_RL_WINDOW && atomic_compare_exchange_strong(
	    &rl->win, &win, now))
		atomic_store_explicit(&rl->nwin, 0, memory_order_relaxed);
	if (atomic_fetch_add_explicit(&rl->nwin, 1, memory_order_relaxed) <
	    LOG_RL_BURST)
		return (1);
	atomic_fetch_add_explicit(&rl->held, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&rl->suppressed, 1, memory_order_relaxed);
	return (0);
}

/*
 * The master, once a second: a summary of each kind's lines not logged,
 * at most one per window and kind; all of them now when force is set
 * (the mux is leaving).
 */
void
log_rl_flush(int force)
{
	int64_t		now = log_rl_now();
	uint64_t	n;
	int		k;

	if (log_rl_tab == NULL)
		return;
	for (k = 0; k < LOG_RL_N; k++) {
		if (atomic_load_explicit(&log_rl_tab[k].held,
		    memory_order_relaxed) == 0 || (!force &&
		    now - log_rl_said[k] < LOG_RL_WINDOW))
			continue;
		n = atomic_exchange(&log_rl_tab[k].held, 0);
		log_rl_said[k] = now;
		log_warnx("%s: %llu more lines not logged (over %d in %d s)",
		    log_rl_names[k], (unsigned long long)n, LOG_RL_BURST,
		    LOG_RL_WINDOW);
	}
}

static int
log_rl_ok(int kind)
{
	if (log_rl_tab == NULL || kind < 0 || kind >= LOG_RL_N)
		return (1);
	return (log_rl_admit(&log_rl_tab[kind], log_rl_now()));
}

void
log_rl_warn(int kind, const char *fmt, ...)
{
	va_list	ap;

	if (!log_rl_ok(kind))
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_ERR, fmt, ap, 1);
	va_end(ap);
}

void
log_rl_warnx(int kind, const char *fmt, ...)
{
	va_list	ap;

	if (!log_rl_ok(kind))
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_ERR, fmt, ap, 0);
	va_end(ap);
}

void
log_rl_info(int kind, const char *fmt, ...)
{
	va_list	ap;

	if (!log_rl_ok(kind))
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_INFO, fmt, ap, 0);
	va_end(ap);
}
