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
 * The pool's own state, shared by its files and by no one else:
 *   pool.c           the slots, their signals, housekeeping, reread, shutdown
 *   pool_proc.c      worker processes: spawn, the channel, reap, throttle
 *   pool_dispatch.c  clients to workers: reserve, queue, the mux's accepts
 *   pool_report.c    what the pool shows: Z/Y edges, S lines, views
 *   pool_msg.c       service sessions' ends, kick, msg through the queue
 * The rest of the mux sees the pool through mux.h only.
 */

#ifndef MUX_POOL_H
#define MUX_POOL_H

#include "mux.h"

#define POOL_KILL_GRACE		10	/* s, SIGTERM before SIGKILL */

struct pool_slot {
	struct ws_slot		*s;
	int			 idx;
	pid_t			 pid;
	int			 chan;
	struct event		*chan_ev;
	int64_t			 started;	/* realtime s */
	uint64_t		 activated;	/* pool.activations then */
	int64_t			 term_at;	/* ms the mux sent SIGTERM */
	int			 mux_killed;
	int			 kill_logged;	/* "Killing ... worker" said */
	struct waiter		*pending;	/* waits for this STARTING slot */
	struct svc_sess		*sess;		/* the service session it serves */
	uint64_t		 seen_cnt[WS_NCMDS];
	uint64_t		 seen_busy[WS_NCMDS];
	uint64_t		 seen_ms[WS_NCMDS];
	uint32_t		 tag_seen;
	uint32_t		 trans_seen;	/* state changes reported */
	struct errlog		 err;		/* its programs' stderr */
};

struct pool {
	struct event_base	*base;
	struct conf		*conf;
	struct ws_conf		 wsc;
	struct ws_shm		*shm;
	int			 shm_fd;	/* its memfd, for each spawn */
	size_t			 shm_size;
	struct pool_slot	*slot;
	int			 n;
	int			*st;		/* scratch: states, */
	int64_t			*ch;		/* last changes, */
	int			*out;		/* slots to retire */
	int			 lfd;
	int			 wake[2];
	struct event		*tick_ev;
	struct event		*resig_ev;	/* pool_nudge again */
	struct stats		 stats;
	uint64_t		 msgs;
	uint64_t		 activations;
	uint64_t		 sess_served;	/* ended after a worker */
	int			 stopping;
	int			 handoff;	/* an upgrade took over */
	int			 watched;	/* a listener wants F or S */
	int64_t			 stop_at;	/* ms */
	int64_t			 start;
	int64_t			 status_at;	/* -L: last status line, s */
};

extern struct pool	pool;

/* pool.c */
int64_t	 pool_now(void);
int	 pool_state(int);
int	 pool_running(void);
void	 pool_signal(struct pool_slot *);
void	 pool_ctl(struct pool_slot *, int, int, uint32_t, int, const char *,
	    size_t);
void	 pool_sample(struct pool_slot *, int64_t);
void	 pool_sample_all(void);

/* pool_proc.c */
void	 pool_proc_init(void);
const char *pool_topup_why(void);
void	 pool_log_kill(struct pool_slot *, const char *);
void	 pool_retire(struct pool_slot *, const char *);
int	 pool_spawn(struct pool_slot *, const char *);
void	 pool_topup(void);

/* pool_dispatch.c */
void	 pool_dispatch_init(void);
struct pool_slot *pool_find_stopped(void);
void	 pool_snapshot(void);
void	 pool_sync(void);
void	 pool_ready(struct pool_slot *);

/* pool_report.c */
void	 pool_report_init(void);
void	 pool_report_round(void);

/* pool_msg.c */
void	 pool_msg_init(void);
void	 pool_sess_end(struct pool_slot *, const char *, int);
void	 pool_sess_msg(struct pool_slot *, const struct ws_msghdr *,
	    const char *);
void	 pool_msg_held(struct pool_slot *);
void	 pool_msg_key(struct pool_slot *);
int	 pool_sess_info(int, struct sess_info *, char *, size_t,
	    uint8_t [16]);

void	 pool_handoff_step(void);

#endif
