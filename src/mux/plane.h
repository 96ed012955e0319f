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
 * The core as the planes above it (src/notify: the listener sockets and
 * the control actions) see it: views of the pool, the sessions' kick and
 * msg, the counters they report, and the reply buffer they build in.
 * Nothing else of src/mux is theirs; tests/layers.sh holds them to it.
 */

#ifndef MUX_PLANE_H
#define MUX_PLANE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "../worker/wire.h"	/* WS_TAG_MAX, WS_USER_MAX, slot states */

#define MUX_VERSION	"0.1.0"

struct evbuffer;
struct evdns_base;
struct sockaddr;
struct stats;

/* cmd.c: views of the pool, and the replies built from them. */
struct cmd_worker {
	int		 state;
	pid_t		 pid;
	int		 cmd;
	int		 last_cmd;
	int		 ago;
	int		 age;		/* -1 when stopped */
	int		 first_req_age;	/* -1 before the first request */
	uint64_t	 nreq;
	uint64_t	 nscans;
	char		 tag[WS_TAG_MAX + 1];
	int		 in_session;
	char		 client[64];	/* address, or "-" */
	char		 user[WS_USER_MAX + 1];
	char		 cls[32];
	char		 verb[WS_VERB_MAX + 1];	/* service: last command */
	int		 svc;		/* a service session */
	int		 online;	/* service: seconds since it began */
};

/* A service session that has no worker yet, as who shows it. */
struct cmd_waiting {
	const char		*state;		/* lookup, banner, queued */
	int			 online;
	const char		*client;
	const char		*user;
	const char		*cls;
};

struct cmd_view {
	int			 nslots;
	const struct cmd_worker	*w;
	const struct cmd_waiting *wait;		/* for who */
	int			 nwait;
	const uint64_t		*histo;
	const uint64_t		*lat;		/* WS_LAT_N buckets */
	uint64_t		 lat_sum_us;
	uint64_t		 lat_count;	/* requests answered */
	const struct stats	*stats;
	int64_t			 now;
	int			 nfree;
	uint64_t		 msgs;
	uint64_t		 activations;
	int			 queue_size;
	int			 nqueued;
	int			 uptime;
	const char		*version;
};

/*
 * A reply being built: an evbuffer, made on its first byte, and whether
 * a byte was lost to a failed allocation; a cut reply is never sent as
 * if it were whole.
 */
struct cmd_buf {
	struct evbuffer	*eb;
	int		 lost;
};
#define CMD_BUF_INIT	{ NULL, 0 }

void	 cmd_buf_free(struct cmd_buf *);
size_t	 cmd_buf_len(const struct cmd_buf *);
const char *cmd_buf_data(struct cmd_buf *, size_t *);
void	 cmd_buf_move(struct cmd_buf *, struct cmd_buf *);
void	 cmd_printf(struct cmd_buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
const char *cmd_kind_name(int);

/* What kick and msg match a session by (pool_kick, pool_msg, svc.c). */
struct sess_info {
	const char	*client;	/* address, as who shows it */
	const uint8_t	*addr;		/* v4-mapped, or NULL */
	const char	*user;
	const char	*cls;
};

/* pool.c: the worker pool. */
void	 pool_view(struct cmd_view *, struct cmd_worker *);
int	 pool_nslots(void);
int	 pool_reported_free(void);
void	 pool_watch_every(int);
void	 pool_want_states(int);
int	 pool_kick(int (*)(const struct sess_info *, void *), void *);
int	 pool_msg(int (*)(const struct sess_info *, void *), void *,
	    const char *, size_t);
uint64_t pool_msg_delivered(void);
uint64_t pool_sessions_served(void);
void	 pool_refuse(const char *);
const char *pool_refusing(char *, size_t);
int	 pool_stopping(void);

/* svc.c: service sessions not yet at a worker. */
#define SVC_HELD_MAX	16	/* msgs one holds: as many as a reply carries */
int	 svc_count(void);
int	 svc_listeners(void);
int	 svc_waiting(struct cmd_waiting *, int, int64_t);
int	 svc_kick(int (*)(const struct sess_info *, void *), void *);
int	 svc_msg(int (*)(const struct sess_info *, void *), void *,
	    const char *, size_t, int *);
void	 svc_msg_stats(uint64_t *, uint64_t *);

/* intake.c: rules and the banner phase. */
struct intake_stats {
	uint64_t	 denied;	/* by a rule */
	uint64_t	 impatient;	/* early talkers */
	uint64_t	 hangups;	/* closed during the banner */
	int		 waiting;	/* in the banner phase now */
	int		 live;		/* sessions (svc_count) */
};
void	 intake_stats(struct intake_stats *);

/* outcome.c: clients turned away, by reason. */
enum {
	OUT_BUSY,		/* no free worker, no queue */
	OUT_QUEUE_FULL,		/* no free worker, the queue full */
	OUT_QUEUE_TIMEOUT,	/* waited QueueTimeout in the queue */
	OUT_NO_WORKER,		/* a worker could not be started */
	OUT_SHUTDOWN,		/* refused by "shutdown" */
	OUT_PER_HOST,		/* MaxClientsPerHost */
	OUT_PER_USER,		/* MaxClientsPerUser */
	OUT_RULES,		/* a tcprules deny */
	OUT_EARLY_TALKER,	/* data before the banner was done */
	OUT_BANNER_HANGUP,	/* closed or reset during the banner */
	OUT_N
};
void	 outcome_count(int, int);
uint64_t outcome_get(int, int);
const char *outcome_name(int);

/* msgq.c: the MessageEngine queue's counters. */
struct msgq_stats {
	uint64_t	 sent;
	uint64_t	 queued_full;	/* had to wait for room */
	uint64_t	 failed;
	uint64_t	 purged;
	uint64_t	 delivered;	/* as the workers deliver them */
	uint64_t	 undelivered;	/* as sessions end (svc.c) */
	uint64_t	 lost;		/* dropped, likewise */
	uint64_t	 qbytes;	/* the queue's msg_qbytes */
	int		 waiting;
};
void	 msgq_stats(struct msgq_stats *);

/* msglog.c: MessageLog. */
void	 msglog_write(uint32_t, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/* A line of ControlsACLs or MessageControlsACLs (conf.c). */
struct conf_acl {
	char	*av[4];		/* ACTIONS allow|deny user|group LIST */
};

/* Helpers the control actions share with the core. */
int	 class_addr(const char *, uint8_t [16]);
int	 class_sockaddr(const struct sockaddr *, uint8_t [16]);
int	 conf_join(char *, size_t, int, char *const *);
int	 conf_split(char *, char **, int, int);
struct evdns_base *dns_base(void);

#endif /* MUX_PLANE_H */
