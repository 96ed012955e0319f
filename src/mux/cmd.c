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
 * The request-socket commands the mux answers from its own books, in
 * mimedefang-multiplexor's exact reply formats so md-mx-ctrl and
 * watch-mimedefang keep working.  Pure: state comes in a cmd_view.
 */

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "mux.h"

enum cmd_id {
	C_HELP, C_FREE, C_VERSION, C_TICK, C_STATUS, C_WORKERS, C_BUSY,
	C_LOAD, C_LOAD1, C_HLOAD, C_HISTO, C_MSGS, C_INFO, C_UNKNOWN,
	C_REREAD
};

static const struct cmd_ent {
	const char	*name;
	int		 id;
	int		 arg;		/* load kind, or 1 = takes an argument */
	int		 priv;
} cmd_tab[] = {
	{ "help", C_HELP, 0, 0 },
	{ "free", C_FREE, 0, 0 },
	{ "version", C_VERSION, 0, 0 },
	{ "tick", C_TICK, 0, 0 },
	{ "status", C_STATUS, 0, 0 },
	{ "workers", C_WORKERS, 0, 0 },
	{ "slaves", C_WORKERS, 0, 0 },
	{ "busyworkers", C_BUSY, 0, 0 },
	{ "busyslaves", C_BUSY, 0, 0 },
	{ "load", C_LOAD, WS_CMD_SCAN, 0 },
	{ "load-relayok", C_LOAD, WS_CMD_RELAYOK, 0 },
	{ "load-senderok", C_LOAD, WS_CMD_SENDEROK, 0 },
	{ "load-recipok", C_LOAD, WS_CMD_RECIPOK, 0 },
	{ "hload", C_HLOAD, WS_CMD_SCAN, 0 },
	{ "hload-relayok", C_HLOAD, WS_CMD_RELAYOK, 0 },
	{ "hload-senderok", C_HLOAD, WS_CMD_SENDEROK, 0 },
	{ "hload-recipok", C_HLOAD, WS_CMD_RECIPOK, 0 },
	{ "histo", C_HISTO, 0, 0 },
	{ "msgs", C_MSGS, 0, 0 },
	{ "foo_no_such_command", C_UNKNOWN, 0, 0 },
	{ "reread", C_REREAD, 0, 1 },
};

/* Commands with an argument: matched on "name ". */
static const struct cmd_ent cmd_argtab[] = {
	{ "load1 ", C_LOAD1, 1, 0 },
	{ "workerinfo ", C_INFO, 1, 0 },
	{ "slaveinfo ", C_INFO, 1, 0 },
};

static const char *cmd_names[WS_NCMDS] = {
	"scan", "relayok", "senderok", "recipok"
};

/* A request kind's name; "other" for the lines workers serve. */
const char *
cmd_kind_name(int kind)
{
	return (kind >= 0 && kind < WS_NCMDS ? cmd_names[kind] : "other");
}

static const struct cmd_ent *
cmd_find(const char *l, size_t n)
{
	size_t	i, k;

	for (i = 0; i < sizeof(cmd_tab) / sizeof(cmd_tab[0]); i++)
		if (strlen(cmd_tab[i].name) == n &&
		    memcmp(cmd_tab[i].name, l, n) == 0)
			return (&cmd_tab[i]);
	for (i = 0; i < sizeof(cmd_argtab) / sizeof(cmd_argtab[0]); i++) {
		k = strlen(cmd_argtab[i].name);
		if (n > k && memcmp(cmd_argtab[i].name, l, k) == 0)
			return (&cmd_argtab[i]);
	}
	return (NULL);
}

int
cmd_is_mux(const char *l, size_t n)
{
	return (cmd_find(l, n) != NULL);
}

void
cmd_buf_free(struct cmd_buf *b)
{
	if (b->eb != NULL)
		evbuffer_free(b->eb);
	b->eb = NULL;
	b->lost = 0;
}

static int
cmd_buf_make(struct cmd_buf *b)
{
	if (b->eb == NULL && !b->lost && (b->eb = evbuffer_new()) == NULL)
		b->lost = 1;
	return (b->lost ? -1 : 0);
}

void
cmd_printf(struct cmd_buf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (cmd_buf_make(b) == -1)
		return;
	va_start(ap, fmt);
	n = evbuffer_add_vprintf(b->eb, fmt, ap);
	va_end(ap);
	if (n < 0)
		b->lost = 1;
}

size_t
cmd_buf_len(const struct cmd_buf *b)
{
	return (b->eb != NULL ? evbuffer_get_length(b->eb) : 0);
}

/* The reply in one piece (not NUL-ended), or NULL if bytes were lost. */
const char *
cmd_buf_data(struct cmd_buf *b, size_t *len)
{
	const char	*p;

	*len = cmd_buf_len(b);
	if (b->lost)
		return (NULL);
	if (*len == 0)
		return ("");
	if ((p = (const char *)evbuffer_pullup(b->eb, -1)) == NULL)
		b->lost = 1;
	return (p);
}

/* Append src to dst without a copy of its bytes; src is left empty. */
void
cmd_buf_move(struct cmd_buf *dst, struct cmd_buf *src)
{
	if (src->lost || (cmd_buf_len(src) > 0 && (cmd_buf_make(dst) == -1 ||
	    evbuffer_add_buffer(dst->eb, src->eb) == -1)))
		dst->lost = 1;
	cmd_buf_free(src);
}

/*
 * md-mx-ctrl prints this as it comes, and admins' scripts grep it: the
 * real multiplexor's text, byte for byte, on each socket.  The commands
 * mux adds (version, and the control actions of mux-notify(7)) are in
 * mux(8).
 */
static void
cmd_help(struct cmd_buf *b, int priv)
{
	static const char *const common[] = {
	    "free             -- Display number of free workers",
	    "load             -- Display worker load (scans)",
	    ("rawload          -- Display worker load in computer-readable "
	    "format"),
	    "load1 secs       -- Display worker load in alternate format",
	};
	static const char *const loads[] = {
	    "load-relayok     -- Display load (relayok requests)",
	    "rawload-relayok  -- Computer-readable load (relayok requests)",
	    "load-senderok    -- Display load (senderok requests)",
	    "rawload-senderok -- Computer-readable load (senderok requests)",
	    "load-recipok     -- Display load (recipok requests)",
	    "rawload-recipok  -- Computer-readable load (recipok requests)",
	};
	static const char *const workers[] = {
	    "workers           -- Display workers with process-IDs",
	    "busyworkers       -- Display busy workers with process-IDs",
	    ("workerinfo n      -- Display information about a particular "
	    "worker"),
	};
	size_t	i;

	cmd_printf(b, "help             -- List available multiplexor "
	    "commands\n");
	if (priv)
		cmd_printf(b, "%s\n%s\n%s\n",
		    "status           -- Display worker status",
		    "rawstatus        -- Display worker status in "
		    "computer-readable format",
		    "barstatus        -- Display worker status as bar graph");
	for (i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		cmd_printf(b, "%s\n", common[i]);
	cmd_printf(b, "rawload1 secs    -- Display worker load in %s\n",
	    priv ? "alternate format" : "computer-readable alternate format");
	for (i = 0; i < sizeof(loads) / sizeof(loads[0]); i++)
		cmd_printf(b, "%s\n", loads[i]);
	if (!priv)
		cmd_printf(b, "status           -- Display worker status\n");
	cmd_printf(b, "%s\n%s\n",
	    "histo            -- Display histogram of busy workers",
	    "msgs             -- Display number of messages processed since "
	    "startup");
	if (priv)
		cmd_printf(b, "reread           -- Force a re-read of filter "
		    "rules\n");
	for (i = 0; i < sizeof(workers) / sizeof(workers[0]); i++)
		cmd_printf(b, "%s\n", workers[i]);
	if (priv)
		cmd_printf(b, "scan /path       -- Run a scan (do not invoke "
		    "using md-mx-ctrl)\n");
	cmd_printf(b, "(Analogous hload commands provide hourly "
	    "information)\n");
}

static void
cmd_status(struct cmd_buf *b, const struct cmd_view *v)
{
	int	i;

	for (i = 0; i < v->nslots; i++)
		cmd_printf(b, "%c", slot_state_char(v->w[i].state));
	cmd_printf(b, " %llu %llu %d %d %d\n", (unsigned long long)v->msgs,
	    (unsigned long long)v->activations, v->queue_size, v->nqueued,
	    v->uptime);
}

static void
cmd_workers(struct cmd_buf *b, const struct cmd_view *v, int only_busy)
{
	const struct cmd_worker	*w;
	int			 i;

	for (i = 0; i < v->nslots; i++) {
		w = &v->w[i];
		if (only_busy && w->state != WS_BUSY)
			continue;
		cmd_printf(b, "%d %c", i, slot_state_char(w->state));
		if (w->state != WS_STOPPED)
			cmd_printf(b, " %ld", (long)w->pid);
		if (w->state == WS_BUSY && w->cmd >= 0 && w->cmd < WS_NCMDS)
			cmd_printf(b, " %s", cmd_names[w->cmd]);
		if (w->last_cmd >= 0 && w->last_cmd < WS_NCMDS)
			cmd_printf(b, " last=%s", cmd_names[w->last_cmd]);
		cmd_printf(b, " ago=%d", w->ago);
		if (w->tag[0] != '\0')
			cmd_printf(b, " (%s)", w->tag);
		cmd_printf(b, "\n");
	}
}

/*
 * sscanf("%d") on an argument that is not NUL-terminated (the line comes
 * with its length): blanks, a sign, digits; what follows is ignored, as
 * MIMEDefang's sscanf does; a value beyond an int is clamped to it.  -1
 * without digits.
 */
static int
cmd_int(const char *p, size_t n, int *out)
{
	const char	*end = p + n;
	long long	 v = 0;
	int		 neg = 0, digits = 0;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	for (; p < end && *p >= '0' && *p <= '9'; p++, digits++)
		if ((v = v * 10 + (*p - '0')) > INT_MAX)
			v = INT_MAX;
	if (digits == 0)
		return (-1);
	*out = (int)(neg ? -v : v);
	return (0);
}

static void
cmd_info(struct cmd_buf *b, const struct cmd_view *v, const char *arg,
    size_t alen)
{
	const struct cmd_worker	*w;
	int			 n;

	if (cmd_int(arg, alen, &n) == -1) {
		cmd_printf(b, "error: Invalid worker number\n");
		return;
	}
	if (n < 0 || n >= v->nslots) {
		cmd_printf(b, "error: Worker number out of range\n");
		return;
	}
	w = &v->w[n];
	cmd_printf(b, "Worker %d\nState %s\nPID %ld\nNumRequests %llu\n"
	    "NumScans %llu\nAge %d\nFirstReqAge %d\nLastStateChangeAge %d\n"
	    "StatusTag %s\n", n, slot_state_name(w->state),
	    w->state == WS_STOPPED ? -1L : (long)w->pid,
	    (unsigned long long)w->nreq, (unsigned long long)w->nscans,
	    w->age, w->first_req_age, w->ago, w->tag);
}

static void
cmd_counts(const struct cmd_view *v, int *busy, int *idle, int *stopped,
    int *killed)
{
	int	i;

	*busy = *idle = *stopped = *killed = 0;
	for (i = 0; i < v->nslots; i++)
		switch (slot_state_char(v->w[i].state)) {
		case 'B':
			(*busy)++;
			break;
		case 'I':
			(*idle)++;
			break;
		case 'S':
			(*stopped)++;
			break;
		default:
			(*killed)++;
		}
}

static double
cmd_div(uint64_t a, uint64_t b, double none)
{
	return (b ? (double)a / (double)b : none);
}

/*
 * Four windows side by side, as md-mx-ctrl reads them: the requests,
 * then the mean busy workers (nobusy for a window without any), then
 * the mean milliseconds.
 */
static void
cmd_windows(struct cmd_buf *b, const struct stats_sum *s, double nobusy)
{
	int	i;

	for (i = 0; i < 4; i++)
		cmd_printf(b, "%llu ", (unsigned long long)s[i].msgs);
	for (i = 0; i < 4; i++)
		cmd_printf(b, "%f ", cmd_div(s[i].busy, s[i].msgs, nobusy));
	for (i = 0; i < 4; i++)
		cmd_printf(b, "%f ", cmd_div(s[i].ms, s[i].msgs, 0.0));
}

static void
cmd_load(struct cmd_buf *b, const struct cmd_view *v, int kind)
{
	static const int	edges[5] = { 0, 10, 60, 300, 600 };
	struct stats_sum	s[4], part;
	int			i, bu, id, st, ki;

	/* Disjoint slices, then running sums: 10 s, 1, 5 and 10 min. */
	for (i = 0; i < 4; i++) {
		stats_window(v->stats, kind, v->now - edges[i],
		    edges[i + 1] - edges[i], &part);
		s[i] = part;
		if (i > 0) {
			s[i].msgs += s[i - 1].msgs;
			s[i].busy += s[i - 1].busy;
			s[i].ms += s[i - 1].ms;
			s[i].act += s[i - 1].act;
			s[i].reap += s[i - 1].reap;
		}
	}
	cmd_counts(v, &bu, &id, &st, &ki);
	cmd_windows(b, s, 1.0);
	for (i = 0; i < 4; i++)
		cmd_printf(b, "%u ", s[i].act);
	for (i = 0; i < 4; i++)
		cmd_printf(b, "%u ", s[i].reap);
	cmd_printf(b, "%d %d %d %d %llu %llu %d %d %d\n", bu, id, st, ki,
	    (unsigned long long)v->msgs, (unsigned long long)v->activations,
	    v->queue_size, v->nqueued, v->uptime);
}

static void
cmd_load1(struct cmd_buf *b, const struct cmd_view *v, const char *arg,
    size_t alen)
{
	struct stats_sum	s;
	int			back, k, i, bu, id, st, ki;
	int			counts[WS_NCMDS] = { 0 };

	if (cmd_int(arg, alen, &back) == -1 || back < 10 || back > 600) {
		cmd_printf(b, "error: Invalid 'back' amount (must be "
		    "10-600)\n");
		return;
	}
	for (k = 0; k < WS_NCMDS; k++) {
		stats_window(v->stats, k, v->now, back, &s);
		cmd_printf(b, "%llu %f %f ", (unsigned long long)s.msgs,
		    cmd_div(s.busy, s.msgs, 0.0), cmd_div(s.ms, s.msgs, 0.0));
	}
	for (i = 0; i < v->nslots; i++)
		if (v->w[i].state == WS_BUSY && v->w[i].cmd >= 0 &&
		    v->w[i].cmd < WS_NCMDS)
			counts[v->w[i].cmd]++;
	cmd_counts(v, &bu, &id, &st, &ki);
	cmd_printf(b, "%d %d %d %d %llu %llu %d %d %d %d %d %d %d %d\n", bu,
	    id, st, ki, (unsigned long long)v->msgs,
	    (unsigned long long)v->activations, v->queue_size, v->nqueued,
	    v->uptime, back, counts[0], counts[1], counts[2], counts[3]);
}

static void
cmd_hload(struct cmd_buf *b, const struct cmd_view *v, int kind)
{
	static const int	hours[4] = { 1, 4, 12, 24 };
	struct stats_sum	s[4];
	int			i;

	for (i = 0; i < 4; i++)
		stats_hourly(v->stats, kind, v->now, hours[i], &s[i]);
	cmd_windows(b, s, 0.0);
	cmd_printf(b, "%d %d %d %d\n", s[0].secs, s[1].secs, s[2].secs,
	    s[3].secs);
}

static void
cmd_histo(struct cmd_buf *b, const struct cmd_view *v)
{
	int	i;

	for (i = 0; i < v->nslots; i++)
		cmd_printf(b, "%4d %llu\n", i + 1,
		    (unsigned long long)v->histo[i]);
}

/*
 * Answer one request line.  Returns CMD_REPLY with the reply in b,
 * CMD_REREAD for the caller to act on, or CMD_WORKER for a request a
 * worker must serve (on the unprivileged socket that is a refusal).
 */
int
cmd_answer(const char *l, size_t n, int priv, const struct cmd_view *v,
    struct cmd_buf *b)
{
	const struct cmd_ent	*e = cmd_find(l, n);
	const char		*arg;
	size_t			 alen;

	if (e == NULL || e->priv) {
		if (priv)
			return (e == NULL ? CMD_WORKER : CMD_REREAD);
		cmd_printf(b, "error: Attempt to use privileged command on "
		    "unprivileged socket\n");
		return (CMD_REPLY);
	}
	arg = l + strlen(e->name);
	alen = n - strlen(e->name);	/* cmd_find: n >= the name's length */
	switch (e->id) {
	case C_HELP:
		cmd_help(b, priv);
		break;
	case C_FREE:
		cmd_printf(b, "%d\n", v->nfree);
		break;
	case C_VERSION:
		cmd_printf(b, "%s", v->version);
		break;
	case C_TICK:
		cmd_printf(b, "error: External agents may not invoke "
		    "'tick'\n");
		break;
	case C_STATUS:
		cmd_status(b, v);
		break;
	case C_WORKERS:
	case C_BUSY:
		cmd_workers(b, v, e->id == C_BUSY);
		break;
	case C_LOAD:
		cmd_load(b, v, e->arg);
		break;
	case C_LOAD1:
		cmd_load1(b, v, arg, alen);
		break;
	case C_HLOAD:
		cmd_hload(b, v, e->arg);
		break;
	case C_HISTO:
		cmd_histo(b, v);
		break;
	case C_MSGS:
		cmd_printf(b, "%llu\n", (unsigned long long)v->msgs);
		break;
	case C_INFO:
		cmd_info(b, v, arg, alen);
		break;
	default:
		cmd_printf(b, "error: Unknown command\n");
	}
	return (CMD_REPLY);
}
