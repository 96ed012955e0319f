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


#ifndef MUX_MUX_H
#define MUX_MUX_H

#include <sys/queue.h>
#include <sys/types.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "log.h"
#include "sockspec.h"
#include "../worker/wire.h"
#include "events.h"
#include "conf_opts.h"
#include "plane.h"


struct event_base;
struct evbuffer;

/* conf.c: options and the configuration file (pure). */
#define CONF_ERR_MAX	256
#define CONF_SET_MAX	128	/* options and directives, at most */
#define CONF_SPOOL_DIR	"/var/spool/MIMEDefang"

/* class.c: Class NAME CIDR... (pure). */
struct class_net {
	uint8_t		 addr[16];	/* IPv4 v4-mapped */
	int		 bits;		/* of the 128 */
	int		 cls;
};

struct classes {
	char		**names;
	int		  nnames;
	struct class_net *nets;
	int		  nnets;
};

struct sockaddr;
int	 class_add(struct classes *, const char *, int, char *const *,
	    char *, size_t);
const char *class_of(const struct classes *, const uint8_t [16]);
void	 class_free(struct classes *);

/* A line of BannerExempt. */
struct banner_exempt {
	char		*listen;	/* this listener only, or NULL */
	struct classes	 nets;
};

/* Its fields are conf_opts.h's rows. */
struct conf {
	CONF_OPTIONS(CONF_DECL)
	int	 banner_drop;		/* BannerImpatientAction is drop */
	uint8_t	 set[CONF_SET_MAX / 8];	/* given on the command line */
};

void	 conf_init(struct conf *);
void	 conf_free(struct conf *);
void	 conf_take(struct conf *, struct conf *, char *, size_t);
int	 conf_directive(struct conf *, int, char **, char *);
void	 conf_list(FILE *);
void	 conf_usage(FILE *);
int	 conf_parse(struct conf *, const char *, size_t, char *);
int	 conf_load(struct conf *, const char *, char *);
int	 conf_getopt(struct conf *, int, char **, char *);
int	 conf_check(struct conf *, char *);
int	 conf_check_prog(struct conf *, char *);

/* sock.c: listening sockets from specs (sockspec.h). */
int	 sock_listen(const struct sock_spec *, int, int, char *, size_t);
const char *sock_file(const struct sock_spec *);
void	 sock_unlink(const struct sock_spec *);

/* stats.c: load history for load, load1, hload (pure). */
#define STATS_SECS	600
#define STATS_HOURS	24

struct stats_bucket {
	int64_t		 t;
	uint64_t	 cnt[WS_NCMDS];
	uint64_t	 busy[WS_NCMDS];
	uint64_t	 ms[WS_NCMDS];
	uint32_t	 act;
	uint32_t	 reap;
	int64_t		 first[WS_NCMDS];	/* hours: first and last */
	int64_t		 last[WS_NCMDS];	/* entries, s */
};

struct stats {
	struct stats_bucket	sec[STATS_SECS];
	struct stats_bucket	hour[STATS_HOURS];
	int64_t			start;
};

struct stats_sum {
	uint64_t	 msgs, busy, ms;
	uint32_t	 act, reap;
	int		 secs;
};

void	 stats_init(struct stats *, int64_t);
void	 stats_add(struct stats *, int64_t, int, uint64_t, uint64_t,
	    uint64_t);
void	 stats_activation(struct stats *, int64_t);
void	 stats_reap(struct stats *, int64_t);
void	 stats_window(const struct stats *, int, int64_t, int,
	    struct stats_sum *);
void	 stats_hourly(const struct stats *, int, int64_t, int,
	    struct stats_sum *);

/* cmd.c: the request-socket commands the mux answers itself (pure). */
enum cmd_action {
	CMD_REPLY = 0,		/* answer in the buffer */
	CMD_REREAD,		/* privileged: the caller rereads, then replies */
	CMD_WORKER,		/* not ours: a worker serves it */
};

int	 cmd_is_mux(const char *, size_t);
int	 cmd_answer(const char *, size_t, int, const struct cmd_view *,
	    struct cmd_buf *);

/* policy.c: pool decisions (pure). */
struct policy_idle {
	int		 state;
	int		 last;		/* last command's kind */
	int		 asleep;	/* must be woken to take a client */
	int		 reading;	/* idle, reading a client of its own */
	uint64_t	 activated;	/* start order */
};
int	 policy_pick_idle(const struct policy_idle *, int, int);
uint32_t policy_jitter(int, uint32_t);
int	 policy_backoff(int, int);
int	 policy_reap_idle(const int *, const int64_t *, int, int, int64_t,
	    int, int *);

/* edge.c: the Z/Y edges and F changes listeners see (pure). */
struct edge {
	uint64_t	 zseen, yseen;	/* edges reported */
	int		 last_edge;	/* EV_Z or EV_Y */
	int		 last_free;	/* as last reported */
};
void	 edge_init(struct edge *, int);
int	 edge_report(struct edge *, uint64_t, uint64_t, int, int,
	    void (*)(int, int, void *), void *);


/* dns.c: the asynchronous resolver (dns_base: plane.h). */
void	 dns_init(struct event_base *, const char *);

/* rules.c: tcprules CDB files. */
#define RULES_FILES_MAX	16
#define RULES_VARS_MAX	64

struct rules_file;
struct rules {
	struct rules_file	*f;
	int			 n;
};

struct rules_res {
	int		 matched;
	int		 deny;
	char		 key[64];		/* the key that matched */
	int		 nvars;
	char		*vars[RULES_VARS_MAX];	/* "VAR=VALUE", into data */
	char		 data[2048];
};

void	 rules_parse(const char *, size_t, struct rules_res *);
int	 rules_open(struct rules *, char *const *, int, char *, size_t);
void	 rules_close(struct rules *);
int	 rules_lookup(const struct rules *, const char *, const char *,
	    struct rules_res *);
const char *rules_var(const struct rules_res *, const char *);

/* banner.c: qmail-banner's banners (pure). */
#define BANNER_VAR_MAX	32		/* letters in a variable's name */
#define BANNER_MAX	4096		/* bytes of banner text */

size_t	 banner_expand(const char *, size_t, char *, size_t,
	    const char *(*)(const char *, void *), void *);
size_t	 banner_frame(const char *, size_t, char *, size_t);
size_t	 banner_early_name(const char *, size_t);
const char *banner_builtin(const char *, const char *, const char *, time_t,
	    char *, size_t);

/* svc.c: service listeners (--listen), their sessions and limits. */
struct svc_sess {
	uint32_t		 token;		/* names it to its worker */
	int			 listener;
	uint8_t			 addr[16];	/* v4-mapped; 0 for UNIX */
	char			 host[64];
	int			 port;
	char			 user[WS_USER_MAX + 1];
	char			 cls[32];
	int64_t			 start;		/* realtime s */
	int			 slot;		/* -1 until a worker has it */
	const char		*wait;		/* where, until a worker */
	void			(*cut)(void *);	/* closes it there */
	void			*cut_arg;
	int			 kicked;	/* while nothing could cut it */
	STAILQ_HEAD(, svc_held)	 held;		/* msgs for its first reply */
	int			 nheld;
	int			 msgs;		/* taken for it, in all */
	int			 dropped;	/* of those, past a bound */
	TAILQ_ENTRY(svc_sess)	 entry;
};

/* A msg text, shared by every session still waiting for a worker. */
struct svc_text {
	int			 refs;
	size_t			 len;
	char			 text[];
};

struct svc_held {
	struct svc_text		*t;
	STAILQ_ENTRY(svc_held)	 entry;
};

void	 svc_init(struct event_base *, struct conf *, const int *,
	    const struct sock_spec *, int);
size_t	 svc_env(struct svc_sess *, int, int, char *, size_t);
void	 svc_close(void);
uint32_t svc_tokens(void);
void	 svc_tokens_from(uint32_t);
void	 svc_end(struct svc_sess *);
void	 svc_end_msgs(struct svc_sess *, int, const char *);
const char *svc_user(struct svc_sess *, const char *, char *, size_t);
void	 svc_hold(struct svc_sess *, const char *, void (*)(void *), void *);
void	 svc_info(const struct svc_sess *, struct sess_info *);
struct svc_text *svc_held_next(struct svc_sess *);
void	 svc_text_free(struct svc_text *);

/* intake.c: rules and the banner phase of service sessions. */
void	 intake_init(struct event_base *, struct conf *);
int	 intake_rules(const struct conf *, char *, size_t);
void	 intake_start(int, struct svc_sess *, int, char *, size_t);

/* errlog.c: worker stderr, logged line by line. */
#define ERRLOG_LINE_MAX	1024

struct event;
struct errlog {
	int		 fd;
	int		 idx;
	struct event	*ev;
	int64_t		 win;		/* start of the rate window, s */
	int		 nwin;		/* lines logged in it */
	uint64_t	 dropped;	/* and not logged */
	size_t		 len;
	char		 buf[ERRLOG_LINE_MAX];
};

void	 errlog_feed(struct errlog *, const char *, size_t,
	    void (*)(struct errlog *, const char *, size_t));
int	 errlog_open(struct errlog *, struct event_base *, int);
void	 errlog_close(struct errlog *);

/* pool.c: the worker pool (libevent glue around the above). */
struct waiter;

#define POOL_HANDED	0
#define POOL_PENDING	1
#define POOL_QUEUED	2
#define POOL_REFUSED	3
#define POOL_NOSPAWN	4

void	 pool_init(struct event_base *, struct conf *,
	    const struct ws_handler *, int);
int	 pool_dispatch(struct waiter *, int);
void	 pool_queued(int);
void	 pool_reread(void);
void	 pool_shutdown(void);
void	 pool_handoff(void);
void	 pool_reconf(const struct conf *);
int	 pool_free(void);
void	 pool_tally(int [WS_NSTATES]);
void	 pool_unpend(struct waiter *);

/* req.c: request-socket clients the mux itself reads or answers. */
void	 req_init(struct event_base *, struct conf *, int, int,
	    void (*)(void));
void	 req_listen(int);
int	 req_listening(void);
void	 req_adopt(int, const char *, size_t);
void	 req_last_words(int, const char *, int);
void	 req_close_listeners(void);
void	 req_hold(int);

/* wait.c: clients waiting for a worker, from the decision to hand-off. */
void	 wait_init(struct event_base *, struct conf *);
void	 wait_request(int, const char *, size_t);
void	 wait_session(int, struct svc_sess *, const char *, size_t);
void	 wait_dispatch(struct waiter *);
int	 wait_fd(const struct waiter *);
int	 wait_is_session(const struct waiter *);
const char *wait_line(const struct waiter *, size_t *);
struct svc_sess *wait_take_sess(struct waiter *);
void	 wait_handed(struct waiter *);
void	 wait_unqueue(struct waiter *);
struct waiter *wait_queue_head(void);
int	 wait_queue_len(void);
void	 wait_flush(const char *);

/* statlog.c: the statistics log (-t, -T, -u). */
struct timespec;
size_t	 statlog_format(char *, size_t, const struct timespec *, const char *,
	    int, int, int, const char *);
int	 statlog_open(const char *, int, int, uid_t, gid_t, char *, size_t);
void	 statlog_reopen(void);
int	 statlog_enabled(void);
void	 statlog_event(const char *, int, int, int, const char *, ...)
	    __attribute__((format(printf, 5, 6)));

/* smap.c: the socketmap server (-N). */
#define SMAP_MAX	4000	/* bytes of a lookup's netstring */
int	 smap_parse(const char *, size_t, size_t, size_t *, size_t *);
size_t	 smap_request(const char *, size_t, char *, size_t);
void	 smap_init(struct event_base *, int, const struct conf *);
void	 smap_stop(void);

/* tick.c: -X, filter_tick requests of the mux's own. */
void	 tick_init(struct event_base *, const struct conf *);
void	 tick_reconf(const struct conf *);
void	 tick_stop(void);

/* msgq.c: the MessageEngine queue, sending side. */
#define MSGQ_TEXT_MAX	(sizeof(struct ws_mq_head) + INJ_TEXT_MAX) /* sealed */
#define MSGQ_WAIT_MAX	10000		/* messages waiting for room */
#define MSGQ_SHARE	4		/* a session's, in the queue */
#define MSGQ_SESS_WAIT	64		/* a session's, waiting here */
#define MSGQ_SENT	0
#define MSGQ_WAITING	1
#define MSGQ_DROPPED	2

int	 msgq_open(const char *, uid_t, char *, size_t);
int	 msgq_owner(uid_t, gid_t, char *, size_t);
int	 msgq_id(void);
const uint8_t *msgq_key(void);
int	 msgq_send(pid_t, const char *, size_t);
int	 msgq_retry(void);
void	 msgq_on_sent(void (*)(pid_t), int (*)(pid_t));
int	 msgq_purge(pid_t);
void	 msgq_close(void);
void	 msgq_share(int);
int	 msgq_adopt(int, const char *, char *, size_t);

/* recfile.c: files of whole records, written whole or not at all. */
struct recfile {
	int		 fd;
	const char	*what;		/* for the warnings */
	uint64_t	 lost;		/* records lost since writing failed */
	size_t		 len;		/* held in buf */
	int		 n;		/* records held */
	char		 buf[4096];
};
int	 recfile_open(const char *, const char *, int, mode_t, char *,
	    size_t);
void	 recfile_set(struct recfile *, int);
void	 recfile_put(struct recfile *, const char *, size_t, int);
void	 recfile_flush(struct recfile *);

/* msglog.c: MessageLog. */
int	 msglog_open(const char *, int, char *, size_t);
void	 msglog_set(int);
int	 msglog_fd(void);

#endif
