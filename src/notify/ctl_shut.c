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
 * shutdown [-l secs] [-d secs] TEXT: ftpshut for the pool, with its two
 * timers (refuse requests, cut sessions), the warning to live sessions,
 * and what status shows of it.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "notify.h"

#define CTL_SECS_MAX	86400

/* shutdown: refuse from refuse_at, cut sessions at cut_at (0: never). */
static struct {
	int		 pending;
	int64_t		 refuse_at;	/* ms, monotonic */
	int64_t		 cut_at;	/* ms; 0: never */
	char		 text[WS_TAG_MAX + 1];
	struct event	*refuse_ev;
	struct event	*cut_ev;
} ctl_shut;

/* Every session: a shutdown warns and cuts them all. */
static int
ctl_shut_all(const struct sess_info *si, void *arg)
{
	(void)si;
	(void)arg;
	return (1);
}

static void
ctl_shut_refuse_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	log_info("shutdown: refusing requests: %s", ctl_shut.text);
	pool_refuse(ctl_shut.text);
}

static void
ctl_shut_cut_cb(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	log_info("shutdown: cut %d sessions", pool_kick(ctl_shut_all, NULL) +
	    svc_kick(ctl_shut_all, NULL));
}

static int
ctl_secs(const char *s, int *out)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < 0 ||
	    v > CTL_SECS_MAX)
		return (-1);
	*out = (int)v;
	return (0);
}

static void
ctl_shut_cancel(void)
{
	if (ctl_shut.refuse_ev != NULL)
		evtimer_del(ctl_shut.refuse_ev);
	if (ctl_shut.cut_ev != NULL)
		evtimer_del(ctl_shut.cut_ev);
	pool_refuse(NULL);
	ctl_shut.pending = 0;
}

/*
 * As ftpshut: the live sessions are told before they are cut, through
 * the message path (so on their next reply), when the MessageEngine is
 * on.
 */
static void
ctl_shut_warn(int d)
{
	char			text[INJ_TEXT_MAX + 1];
	int			n, held, full;

	snprintf(text, sizeof(text), "%s (this session ends in %d s)",
	    ctl_shut.text, d);
	n = pool_msg(ctl_shut_all, NULL, text, strlen(text));
	if ((held = svc_msg(ctl_shut_all, NULL, text, strlen(text), &full)) > 0)
		n = n == -1 ? held : n + held;
	if (n > 0) {
		msglog_write(0, "shutdown warning \"%s\": sent to %d "
		    "sessions", text, n);
		log_info("shutdown: warned %d sessions", n);
	}
}

/*
 * shutdown [-l secs] [-d secs] TEXT: ftpshut for the pool.  After -l
 * seconds (default now) requests get "error: TEXT"; after -d seconds
 * the sessions still running are cut.  The mux keeps running; commands
 * are still answered; "shutdown cancel" undoes it.
 */
void
ctl_shutdown(struct cmd_buf *b, int ac, char **av, struct event_base *base)
{
	struct timeval	tv = { 0, 0 };
	int		i = 1, l = 0, d = -1;
	int64_t		now = slot_now_ms();
	char		raw[sizeof(ctl_shut.text)], text[sizeof(ctl_shut.text)];

	if (ac == 2 && strcmp(av[1], "cancel") == 0) {
		if (!ctl_shut.pending) {
			cmd_printf(b, "*ERR no shutdown pending\n");
			return;
		}
		ctl_shut_cancel();
		log_info("shutdown cancelled");
		cmd_printf(b, "*OK shutdown cancelled\n");
		return;
	}
	for (; i + 1 < ac && av[i][0] == '-'; i += 2)
		if ((strcmp(av[i], "-l") != 0 && strcmp(av[i], "-d") != 0) ||
		    ctl_secs(av[i + 1], av[i][1] == 'l' ? &l : &d) == -1)
			break;
	/*
	 * The text goes to request clients, listeners (status) and the
	 * log: without control bytes, as a msg text.  A pending shutdown
	 * keeps its own text when this one is refused.
	 */
	if (i >= ac || av[i][0] == '-' ||
	    conf_join(raw, sizeof(raw), ac - i, av + i) == -1 ||
	    inj_sanitize(text, sizeof(text), raw, strlen(raw)) == 0) {
		cmd_printf(b, "*ERR bad arguments: shutdown [-l secs] "
		    "[-d secs] TEXT | shutdown cancel\n");
		return;
	}
	ctl_shut_cancel();
	memcpy(ctl_shut.text, text, sizeof(text));
	if (ctl_shut.refuse_ev == NULL) {
		ctl_shut.refuse_ev = evtimer_new(base, ctl_shut_refuse_cb, NULL);
		ctl_shut.cut_ev = evtimer_new(base, ctl_shut_cut_cb, NULL);
		if (ctl_shut.refuse_ev == NULL || ctl_shut.cut_ev == NULL)
			fatalx("shutdown timers");
	}
	ctl_shut.pending = 1;
	ctl_shut.refuse_at = now + (int64_t)l * 1000;
	ctl_shut.cut_at = d >= 0 ? now + (int64_t)d * 1000 : 0;
	tv.tv_sec = l;
	evtimer_add(ctl_shut.refuse_ev, &tv);
	if (d >= 0) {
		tv.tv_sec = d;
		evtimer_add(ctl_shut.cut_ev, &tv);
	}
	if (d >= 0)
		ctl_shut_warn(d);
	if (d >= 0)
		log_info("shutdown: refusing requests in %d s, cutting "
		    "sessions in %d s: %s", l, d, ctl_shut.text);
	else
		log_info("shutdown: refusing requests in %d s: %s", l,
		    ctl_shut.text);
	if (d >= 0)
		cmd_printf(b, "*OK shutdown: refusing requests in %d s, "
		    "cutting sessions in %d s\n", l, d);
	else
		cmd_printf(b, "*OK shutdown: refusing requests in %d s\n", l);
}

int
ctl_shut_view(struct ctl_shut_view *sh)
{
	int64_t	now = slot_now_ms();
	char	buf[WS_TAG_MAX + 1];

	if (!ctl_shut.pending)
		return (-1);
	/* Whole seconds left, rounded up: 0 only once it is due. */
	sh->refusing = pool_refusing(buf, sizeof(buf)) != NULL;
	sh->refuse_in = sh->refusing || ctl_shut.refuse_at <= now ? 0 :
	    (int)((ctl_shut.refuse_at - now + 999) / 1000);
	sh->cut_in = ctl_shut.cut_at == 0 ? -1 : ctl_shut.cut_at <= now ? 0 :
	    (int)((ctl_shut.cut_at - now + 999) / 1000);
	sh->text = ctl_shut.text;
	return (0);
}
