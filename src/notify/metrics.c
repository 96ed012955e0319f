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
 * --metrics: what status shows, for Prometheus, over HTTP from the
 * event loop (libevent's evhttp).  GET /metrics answers OpenMetrics
 * 1.0 to a scraper that asks for it (Prometheus does), else the
 * text format 0.0.4; the two differ only in a counter's TYPE name and
 * the closing "# EOF".  metrics_format() is the pure part.
 */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "acc.h"
#include "notify.h"

#define METRICS_TIMEOUT		10	/* s to send a request */
#define METRICS_HEADERS_MAX	8192	/* bytes of request headers */
#define METRICS_OM	"application/openmetrics-text"

static struct evhttp	*metrics_http;
static struct acc	*metrics_acc;

/* # HELP and # TYPE; a counter's family is NAME, its sample NAME_total. */
static void
metrics_head(struct cmd_buf *b, int om, const char *name, const char *type,
    const char *help)
{
	const char	*sfx = "";

	if (!om && strcmp(type, "counter") == 0)
		sfx = "_total";
	if (strcmp(type, "info") == 0) {
		sfx = om ? "" : "_info";
		type = om ? "info" : "gauge";
	}
	cmd_printf(b, "# HELP %s%s %s\n# TYPE %s%s %s\n", name, sfx, help,
	    name, sfx, type);
}

static void
metrics_one(struct cmd_buf *b, int om, const char *name, const char *type,
    const char *help, uint64_t v)
{
	metrics_head(b, om, name, type, help);
	cmd_printf(b, "%s%s %llu\n", name, strcmp(type, "counter") == 0 ?
	    "_total" : "", (unsigned long long)v);
}

static void
metrics_slots(struct cmd_buf *b, int om, const struct cmd_view *v)
{
	uint64_t	n[WS_NSTATES] = { 0 };
	int		i;

	for (i = 0; i < v->nslots; i++)
		if (v->w[i].state >= 0 && v->w[i].state < WS_NSTATES)
			n[v->w[i].state]++;
	metrics_head(b, om, "mux_slots", "gauge", "Worker slots by state.");
	for (i = 0; i < WS_NSTATES; i++)
		cmd_printf(b, "mux_slots{state=\"%s\"} %llu\n",
		    ctl_state(i), (unsigned long long)n[i]);
	metrics_one(b, om, "mux_slots_free", "gauge", "Slots free to take a "
	    "client now.", (uint64_t)v->nfree);
	metrics_one(b, om, "mux_queue_length", "gauge", "Clients waiting in "
	    "the queue for a worker.", (uint64_t)v->nqueued);
	metrics_one(b, om, "mux_queue_size", "gauge", "Clients the queue may "
	    "hold (-q).", (uint64_t)v->queue_size);
}

/* Cumulative buckets, as a histogram's are. */
static void
metrics_latency(struct cmd_buf *b, int om, const struct cmd_view *v)
{
	uint64_t	n = 0;
	int		i;

	metrics_head(b, om, "mux_request_duration_seconds", "histogram",
	    "Time a worker took over a request, from its line to its reply.");
	for (i = 0; i < WS_LAT_N; i++) {
		n += v->lat != NULL ? v->lat[i] : 0;
		if (i < WS_LAT_N - 1)
			cmd_printf(b, "mux_request_duration_seconds_bucket"
			    "{le=\"%g\"} %llu\n", ws_lat_le_us[i] / 1e6,
			    (unsigned long long)n);
		else
			cmd_printf(b, "mux_request_duration_seconds_bucket"
			    "{le=\"+Inf\"} %llu\n", (unsigned long long)n);
	}
	cmd_printf(b, "mux_request_duration_seconds_sum %.6f\n"
	    "mux_request_duration_seconds_count %llu\n",
	    v->lat_sum_us / 1e6, (unsigned long long)n);
}

/* Served, or turned away by reason. */
static void
metrics_outcomes(struct cmd_buf *b, int om, const char *name,
    const char *help, uint64_t served, const uint64_t *refused)
{
	int	k;

	metrics_head(b, om, name, "counter", help);
	cmd_printf(b, "%s_total{outcome=\"served\"} %llu\n", name,
	    (unsigned long long)served);
	for (k = 0; k < OUT_N; k++)
		cmd_printf(b, "%s_total{outcome=\"%s\"} %llu\n", name,
		    outcome_name(k), (unsigned long long)refused[k]);
}

static void
metrics_listeners(struct cmd_buf *b, int om, const struct notify_stats *ns)
{
	metrics_one(b, om, "mux_listeners", "gauge", "Listeners connected.",
	    (uint64_t)ns->connected);
	metrics_one(b, om, "mux_listeners_accepted", "counter", "Listener "
	    "connections accepted.", ns->accepted);
	metrics_head(b, om, "mux_listeners_closed", "counter", "Listeners "
	    "refused or closed by the mux, by reason.");
	cmd_printf(b, "mux_listeners_closed_total{reason=\"too_many\"} %llu\n"
	    "mux_listeners_closed_total{reason=\"too_slow\"} %llu\n"
	    "mux_listeners_closed_total{reason=\"stalled\"} %llu\n"
	    "mux_listeners_closed_total{reason=\"line_too_long\"} %llu\n",
	    (unsigned long long)ns->refused, (unsigned long long)ns->too_slow,
	    (unsigned long long)ns->stalled,
	    (unsigned long long)ns->line_too_long);
	metrics_one(b, om, "mux_listener_events_skipped", "counter", "Events "
	    "not sent to slow listeners (*SKIPPED).", ns->skipped_events);
}

static void
metrics_sessions(struct cmd_buf *b, int om, const struct intake_stats *in)
{
	metrics_one(b, om, "mux_sessions_live", "gauge", "Service sessions the "
	    "mux knows of: served, queued or in the intake.",
	    (uint64_t)in->live);
	metrics_one(b, om, "mux_sessions_banner", "gauge", "Service sessions "
	    "in the banner phase now.", (uint64_t)in->waiting);
}

static void
metrics_messages(struct cmd_buf *b, int om, const struct msgq_stats *mq)
{
	metrics_head(b, om, "mux_messages", "counter", "msg texts, by what "
	    "became of them.");
	cmd_printf(b, "mux_messages_total{outcome=\"sent\"} %llu\n"
	    "mux_messages_total{outcome=\"delivered\"} %llu\n"
	    "mux_messages_total{outcome=\"undelivered\"} %llu\n"
	    "mux_messages_total{outcome=\"dropped\"} %llu\n"
	    "mux_messages_total{outcome=\"failed\"} %llu\n"
	    "mux_messages_total{outcome=\"purged\"} %llu\n",
	    (unsigned long long)mq->sent, (unsigned long long)mq->delivered,
	    (unsigned long long)mq->undelivered, (unsigned long long)mq->lost,
	    (unsigned long long)mq->failed, (unsigned long long)mq->purged);
	metrics_one(b, om, "mux_messages_waiting", "gauge", "msg texts "
	    "waiting in the mux for room in the queue.", (uint64_t)mq->waiting);
}

/* The exposition of st; om: OpenMetrics, else text 0.0.4. */
void
metrics_format(struct cmd_buf *b, const struct ctl_status *st, int om)
{
	const struct cmd_view	*v = &st->v;

	metrics_slots(b, om, v);
	metrics_one(b, om, "mux_scans", "counter", "Scan requests served "
	    "(md-mx-ctrl's msgs).", v->msgs);
	metrics_one(b, om, "mux_worker_starts", "counter", "Worker sessions "
	    "started.", v->activations);
	metrics_latency(b, om, v);
	metrics_outcomes(b, om, "mux_requests", "Requests a worker answered, "
	    "and those turned away by reason.", v->lat_count, st->refused_req);
	metrics_outcomes(b, om, "mux_sessions", "Service sessions a worker "
	    "served to their end, and those turned away by reason.",
	    st->sessions_served, st->refused_sess);
	metrics_listeners(b, om, &st->ns);
	if (st->in != NULL)
		metrics_sessions(b, om, st->in);
	if (st->mq != NULL)
		metrics_messages(b, om, st->mq);
	metrics_one(b, om, "mux_uptime_seconds", "gauge", "Seconds since the "
	    "mux started.", (uint64_t)v->uptime);
	metrics_head(b, om, "mux_build", "info", "The mux's version.");
	cmd_printf(b, "mux_build_info{version=\"%s\"} 1\n", v->version);
	if (om)
		cmd_printf(b, "# EOF\n");
}

static void
metrics_cb(struct evhttp_request *req, void *arg)
{
	struct ctl_status	 st;
	struct cmd_buf		 b = CMD_BUF_INIT;
	const char		*acc;
	int			 om;

	(void)arg;
	acc = evhttp_find_header(evhttp_request_get_input_headers(req),
	    "Accept");
	om = acc != NULL && strstr(acc, METRICS_OM) != NULL;
	if (ctl_status_gather(&st) == -1) {
		evhttp_send_error(req, HTTP_SERVUNAVAIL, "out of memory");
		return;
	}
	metrics_format(&b, &st, om);
	ctl_status_free(&st);
	if (b.lost || b.eb == NULL) {
		cmd_buf_free(&b);
		evhttp_send_error(req, HTTP_SERVUNAVAIL, "out of memory");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", om ? METRICS_OM "; version=1.0.0; charset=utf-8" :
	    "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, HTTP_OK, "OK", b.eb);
	cmd_buf_free(&b);
}

static void
metrics_other_cb(struct evhttp_request *req, void *arg)
{
	(void)arg;
	evhttp_send_error(req, HTTP_NOTFOUND, "try /metrics");
}

/* Serve /metrics on fd, a listening socket of ours. */
void
metrics_init(struct event_base *base, int fd)
{
	struct evhttp_bound_socket	*bs;

	if ((metrics_http = evhttp_new(base)) == NULL ||
	    (bs = evhttp_accept_socket_with_handle(metrics_http, fd)) == NULL)
		fatalx("metrics socket");
	/* Out of descriptors, it pauses with the rest, never spins. */
	metrics_acc = acc_wrap(base, evhttp_bound_socket_get_listener(bs),
	    "metrics socket");
	evhttp_set_allowed_methods(metrics_http, EVHTTP_REQ_GET |
	    EVHTTP_REQ_HEAD);
	evhttp_set_max_headers_size(metrics_http, METRICS_HEADERS_MAX);
	evhttp_set_max_body_size(metrics_http, 0);
	evhttp_set_timeout(metrics_http, METRICS_TIMEOUT);
	if (evhttp_set_cb(metrics_http, "/metrics", metrics_cb, NULL) != 0)
		fatalx("metrics socket");
	evhttp_set_gencb(metrics_http, metrics_other_cb, NULL);
}

/* An upgrade's old mux: scrapes are the new one's now. */
void
metrics_stop(void)
{
	acc_free(metrics_acc);
	metrics_acc = NULL;
	if (metrics_http != NULL)
		evhttp_free(metrics_http);
	metrics_http = NULL;
}
