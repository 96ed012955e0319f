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
 * The control plane's replies, pure: status, who and help in the
 * "*-" line format of mux-notify(7), built from views of the pool.
 */

#include <stdio.h>
#include <string.h>

#include "notify.h"

/* A slot's state as who, status and the metrics name it. */
const char *
ctl_state(int st)
{
	switch (st) {
	case WS_STOPPED:
		return ("stopped");
	case WS_STARTING:
		return ("starting");
	case WS_IDLE:
		return ("idle");
	case WS_BUSY:
		return ("busy");
	case WS_RETIRING:
		return ("retiring");
	default:
		return ("killed");
	}
}

/* Rate-limited log lines: all, those not logged, and by kind. */
static void
ctl_format_logs(struct cmd_buf *b, const struct log_rl *rl)
{
	uint64_t	lines = 0, supp = 0, n;
	int		k;

	for (k = 0; k < LOG_RL_N; k++) {
		lines += atomic_load(&rl[k].lines);
		supp += atomic_load(&rl[k].suppressed);
	}
	cmd_printf(b, "*-logs lines=%llu suppressed=%llu",
	    (unsigned long long)lines, (unsigned long long)supp);
	for (k = 0; k < LOG_RL_N; k++)
		if ((n = atomic_load(&rl[k].suppressed)) > 0)
			cmd_printf(b, " %s=%llu", log_rl_name(k),
			    (unsigned long long)n);
	cmd_printf(b, "\n");
}

void
ctl_format_status(struct cmd_buf *b, const struct ctl_status *st)
{
	const struct cmd_view		*v = &st->v;
	const struct notify_stats	*ns = &st->ns;
	const struct msgq_stats		*mq = st->mq;
	const struct intake_stats	*in = st->in;
	const struct ctl_shut_view	*sh = st->sh;
	int				 i, k, n[WS_NSTATES] = { 0 };

	for (i = 0; i < v->nslots; i++)
		if (v->w[i].state >= 0 && v->w[i].state < WS_NSTATES)
			n[v->w[i].state]++;
	cmd_printf(b, "*-pool slots=%d free=%d idle=%d busy=%d starting=%d "
	    "retiring=%d killed=%d stopped=%d queued=%d queue_size=%d\n",
	    v->nslots, v->nfree, n[WS_IDLE], n[WS_BUSY], n[WS_STARTING],
	    n[WS_RETIRING], n[WS_KILLED], n[WS_STOPPED], v->nqueued,
	    v->queue_size);
	cmd_printf(b, "*-requests scans=%llu activations=%llu uptime=%d "
	    "version=%s\n", (unsigned long long)v->msgs,
	    (unsigned long long)v->activations, v->uptime, v->version);
	cmd_printf(b, "*-listeners connected=%d max=%d accepted=%llu "
	    "refused=%llu too_slow=%llu stalled=%llu line_too_long=%llu "
	    "unknown_command=%llu access_denied=%llu skipped_events=%llu\n",
	    ns->connected, ns->max, (unsigned long long)ns->accepted,
	    (unsigned long long)ns->refused, (unsigned long long)ns->too_slow,
	    (unsigned long long)ns->stalled,
	    (unsigned long long)ns->line_too_long,
	    (unsigned long long)ns->unknown_command,
	    (unsigned long long)ns->access_denied,
	    (unsigned long long)ns->skipped_events);
	if (in != NULL)
		cmd_printf(b, "*-sessions live=%d banner=%d denied=%llu "
		    "impatient=%llu hangups=%llu\n", in->live, in->waiting,
		    (unsigned long long)in->denied,
		    (unsigned long long)in->impatient,
		    (unsigned long long)in->hangups);
	cmd_printf(b, "*-refused");
	for (k = 0; k < OUT_N; k++)
		cmd_printf(b, " %s=%llu", outcome_name(k),
		    (unsigned long long)(st->refused_req[k] +
		    st->refused_sess[k]));
	cmd_printf(b, "\n");
	if (mq != NULL)
		cmd_printf(b, "*-messages queue_bytes=%llu sent=%llu "
		    "waiting=%d queue_full=%llu purged=%llu failed=%llu "
		    "delivered=%llu undelivered=%llu dropped=%llu\n",
		    (unsigned long long)mq->qbytes,
		    (unsigned long long)mq->sent, mq->waiting,
		    (unsigned long long)mq->queued_full,
		    (unsigned long long)mq->purged,
		    (unsigned long long)mq->failed,
		    (unsigned long long)mq->delivered,
		    (unsigned long long)mq->undelivered,
		    (unsigned long long)mq->lost);
	if (st->rl != NULL)
		ctl_format_logs(b, st->rl);
	if (sh != NULL)
		cmd_printf(b, "*-shutdown refusing=%d refuse_in=%d cut_in=%d "
		    "text=%s\n", sh->refusing, sh->refuse_in, sh->cut_in,
		    sh->text);
	cmd_printf(b, "*OK status\n");
}

/* ftpwho for worker sessions: the tag comes last, it may hold blanks. */
void
ctl_format_who(struct cmd_buf *b, const struct cmd_view *v)
{
	const struct cmd_worker	*w;
	char			 online[16];
	int			 i, n = 0;

	for (i = 0; i < v->nslots; i++) {
		w = &v->w[i];
		if (w->state == WS_STOPPED)
			continue;
		n++;
		if (w->svc)
			snprintf(online, sizeof(online), "%d", w->online);
		else
			snprintf(online, sizeof(online), "-");
		cmd_printf(b, "*-slot=%d pid=%ld state=%s requests=%llu "
		    "age=%d idle=%d online=%s client=%s user=%s class=%s "
		    "cmd=%s tag=%s\n", i, (long)w->pid, ctl_state(w->state),
		    (unsigned long long)w->nreq, w->age,
		    w->state == WS_IDLE ? w->ago : 0, online,
		    w->client, w->user, w->cls, w->svc ? (w->verb[0] ?
		    w->verb : "-") : w->state == WS_BUSY ?
		    cmd_kind_name(w->cmd) : "-", w->tag);
	}
	/* Sessions no worker has yet: what kick and msg reach there. */
	for (i = 0; i < v->nwait; i++)
		cmd_printf(b, "*-slot=- pid=- state=%s requests=0 age=%d "
		    "idle=0 online=%d client=%s user=%s class=%s cmd=- tag=\n",
		    v->wait[i].state, v->wait[i].online, v->wait[i].online,
		    v->wait[i].client, v->wait[i].user, v->wait[i].cls);
	if (v->nwait > 0)
		cmd_printf(b, "*OK %d worker session%s, %d waiting\n", n,
		    n == 1 ? "" : "s", v->nwait);
	else
		cmd_printf(b, "*OK %d worker session%s\n", n,
		    n == 1 ? "" : "s");
}

static const struct {
	int		 action;
	const char	*usage;
	const char	*what;
} ctl_help_tab[] = {
	{ CTL_HELP, "help", "the actions you may run" },
	{ CTL_STATUS, "status", "pool, request and listener counters" },
	{ CTL_WHO, "who", "one line per running worker session" },
	{ CTL_REREAD, "reread", "reload the configuration, renew workers" },
	{ CTL_KICK, "kick user|host|class NAME", "cut matching sessions" },
	{ CTL_SHUTDOWN, "shutdown [-l secs] [-d secs] TEXT",
	    "refuse requests with TEXT, then cut sessions" },
	{ CTL_SHUTDOWN, "shutdown cancel", "accept requests again" },
	{ CTL_UPGRADE, "upgrade",
	    "start the binary anew; it takes over the sockets" },
	{ CTL_MSG, "msg user|host|class NAME TEXT | msg all TEXT",
	    "a message into sessions' next replies" },
};

void
ctl_format_help(struct cmd_buf *b, const struct acl *acl,
    const struct acl_peer *p, uint32_t self)
{
	size_t	i;

	for (i = 0; i < sizeof(ctl_help_tab) / sizeof(ctl_help_tab[0]); i++)
		if (acl_check(acl, ctl_help_tab[i].action, p, self))
			cmd_printf(b, "*-%-45s %s\n", ctl_help_tab[i].usage,
			    ctl_help_tab[i].what);
	cmd_printf(b, "*OK help\n");
}
