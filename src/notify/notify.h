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
 * The listener sockets (-O) and the control plane: the planes above the
 * mux's core.  They reach the core only through plane.h, and events.h,
 * acl.h, line.h and acc.h, its pure parts (tests/layers.sh); nothing
 * below includes this file.
 */

#ifndef MUX_NOTIFY_H
#define MUX_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "log.h"
#include "events.h"
#include "plane.h"
#include "acl.h"

struct bufferevent;
struct evbuffer;

/* nproto.c: the listener protocol's pure core. */
#define NP_LINE_MAX	4096
#define NP_MASK_ALL	0x3ffffffu	/* A to Z */

#define NP_EMPTY	0
#define NP_SUBSCRIBE	1
#define NP_ACTION	2

#define NP_SEND		0
#define NP_HOLD		1
#define NP_SKIP		2

struct np_out {
	uint64_t	 skipped;	/* one-off events dropped */
	int		 held_f;	/* an F waits for the backlog to drain */
	int		 f;
};

int	 np_parse(const char *, size_t, uint32_t *);
int	 np_wants(uint32_t, int);
int	 np_offer(struct np_out *, int, int, size_t, size_t);
size_t	 np_refill(struct np_out *, uint32_t, int, char *, size_t);
size_t	 np_snapshot(uint32_t, int, char *, size_t);

/* notify.c: listener sockets (-O). */
struct notify_stats {
	int		 connected;
	int		 max;
	uint64_t	 accepted;
	uint64_t	 refused;	/* too many listeners */
	uint64_t	 too_slow;	/* past the hard backlog */
	uint64_t	 stalled;	/* no write progress */
	uint64_t	 line_too_long;
	uint64_t	 unknown_command;
	uint64_t	 access_denied;
	uint64_t	 skipped_events;
};

struct event_base;
struct bufferevent;
void	 notify_init(struct event_base *, int);
void	 notify_add(struct event_base *, int, int);
int	 notify_attach(struct bufferevent *, const struct acl_peer *);
void	 notify_drop_all(void);
void	 notify_stats(struct notify_stats *);
void	 notify_watch(void);
void	 notify_close_all(void);
void	 notify_adopt(int, uint32_t);
void	 notify_handoff(int (*)(int, uint32_t), void (*)(void));
int	 notify_handing(void);

/* ctl.c: control actions on listener sockets. */
#define CTL_R_OK	0
#define CTL_R_UNKNOWN	1
#define CTL_R_DENIED	2
#define CTL_R_PENDING	3	/* the answer comes later, to as->done */

/* A caller that can wait for an answer (msg host NAME resolves). */
struct ctl_pending;
struct ctl_async {
	void			(*done)(struct ctl_async *, struct cmd_buf *);
	struct ctl_pending	*pending;
};

struct ctl_shut_view {
	int		 refusing;
	int		 refuse_in;	/* s */
	int		 cut_in;	/* s; -1: never */
	const char	*text;
};

/* Everything status shows (and the metrics): NULL parts are not shown. */
struct ctl_status {
	struct cmd_view			 v;
	struct notify_stats		 ns;
	const struct ctl_shut_view	*sh;
	const struct msgq_stats		*mq;
	const struct intake_stats	*in;
	const struct log_rl		*rl;
	uint64_t			 refused_req[OUT_N];
	uint64_t			 refused_sess[OUT_N];
	uint64_t			 sessions_served;
	/* where the parts point */
	struct ctl_shut_view		 sh_;
	struct msgq_stats		 mq_;
	struct intake_stats		 in_;
	struct cmd_worker		*w_;
};

int	 ctl_status_gather(struct ctl_status *);
void	 ctl_status_free(struct ctl_status *);
void	 ctl_format_status(struct cmd_buf *, const struct ctl_status *);
const char *ctl_state(int);

/* agent.c: --agent, HAProxy's agent-check. */
void	 agent_word(char *, size_t, int, int, int, int);
void	 agent_init(struct event_base *, int);
void	 agent_stop(void);

/* metrics.c: --metrics, OpenMetrics over HTTP. */
void	 metrics_format(struct cmd_buf *, const struct ctl_status *, int);
void	 metrics_init(struct event_base *, int);
void	 metrics_stop(void);
void	 ctl_format_who(struct cmd_buf *, const struct cmd_view *);
void	 ctl_format_help(struct cmd_buf *, const struct acl *,
	    const struct acl_peer *, uint32_t);
void	 ctl_init(void (*)(void), int (*)(char *, size_t));
void	 ctl_configure(int, const struct conf_acl *, int,
	    const struct conf_acl *, int);
#define CTL_NAME_MAX	253	/* msg's NAME: a DNS name's longest */
int	 ctl_run(const char *, size_t, const struct acl_peer *,
	    struct cmd_buf *, struct event_base *, struct ctl_async *);
int	 ctl_peer(int, struct acl_peer *, uint32_t **);
int	 ctl_run_argv(int, char **, const struct acl_peer *,
	    struct cmd_buf *, struct event_base *, struct ctl_async *);
void	 ctl_cancel(struct ctl_async *);

/* ctrls.c: ProFTPD's Controls protocol (ftpdctl) on the same sockets. */
#define CTRLS_ARGS_MAX	32		/* ProFTPD's limits */
#define CTRLS_ARG_MAX	256
#define CTRLS_REQ_MAX	(8 + CTRLS_ARGS_MAX * (4 + CTRLS_ARG_MAX))
enum { CTRLS_MORE, CTRLS_DONE, CTRLS_BAD, CTRLS_PENDING };
#define CTRLS_ST_GENERIC	(-1)	/* ProFTPD's response statuses */
#define CTRLS_ST_DENIED		(-2)
#define CTRLS_ST_PARAMS		(-3)
#define CTRLS_ST_NOTFOUND	(-4)
#define CTRLS_ST_UNSUPPORTED	(-7)
struct ctrls_req {
	int		 argc;
	char		*argv[CTRLS_ARGS_MAX + 1];
	char		 buf[CTRLS_ARGS_MAX * (CTRLS_ARG_MAX + 1)];
};
int	 ctrls_parse(const uint8_t *, size_t, struct ctrls_req *, size_t *,
	    const char **);
void	 ctrls_frame(struct evbuffer *, int, const char *, size_t);
void	 ctrls_answer(struct bufferevent *, int, struct cmd_buf *);
int	 ctrls_serve(struct bufferevent *, const struct acl_peer *,
	    struct event_base *, struct ctl_async *);

/* ctl_shut.c: shutdown, as ftpshut. */
void	 ctl_shutdown(struct cmd_buf *, int, char **, struct event_base *);
int	 ctl_shut_view(struct ctl_shut_view *);

#endif
