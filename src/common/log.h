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
 * Logging, in the bottom layer (src/common, with the socket-spec
 * grammar): below both the master and the worker side, which log in one
 * process image.  It includes nothing of theirs.
 */

#ifndef MUX_LOG_H
#define MUX_LOG_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>

/* log.c */
void	 log_init(int, int, int, const char *, int);
void	 log_params(int *, int *, int *, const char **, int *);
int	 log_facility(const char *);
void	 log_silence(void);
void	 log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	 fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	 log_set_level(int);

/*
 * logrl.c: lines a client or a message can cause, one kind each.  Past
 * LOG_RL_BURST of a kind in LOG_RL_WINDOW seconds the rest are counted,
 * and the master logs one summary for them.  The counters live in the
 * slot table, so every process of a mux shares each kind's budget.
 */
#define LOG_RL_BURST	10	/* lines of a kind per window */
#define LOG_RL_WINDOW	10	/* s */

enum log_rl_kind {
	/* the master */
	LOG_RL_NO_FREE, LOG_RL_QUEUE_FULL, LOG_RL_QUEUEING,
	LOG_RL_NO_ACTIVATE, LOG_RL_QUEUE_TIMEOUT, LOG_RL_WAIT_REFUSED,
	LOG_RL_REQ_TIMEOUT, LOG_RL_REQ_TOO_LONG, LOG_RL_REQ_NOMEM,
	LOG_RL_ACCEPT, LOG_RL_BANNER_CUT, LOG_RL_BANNER_RESET,
	LOG_RL_EARLY_TALKER, LOG_RL_RULE_DENIED, LOG_RL_RULE_VARS,
	LOG_RL_NO_HOSTNAME, LOG_RL_PER_HOST, LOG_RL_PER_USER,
	LOG_RL_SESS_UNDELIVERED, LOG_RL_KICKED_WAITING, LOG_RL_MSG_DROPPED,
	LOG_RL_SMAP_ERROR, LOG_RL_SMAP_FULL,
	/* worker sessions */
	LOG_RL_CLIENT_TIMEOUT, LOG_RL_CLIENT_TOO_LONG, LOG_RL_KICKED,
	LOG_RL_SESS_REFUSED, LOG_RL_SESS_IDLE, LOG_RL_HANDLER_EXIT,
	LOG_RL_UNDELIVERED, LOG_RL_DELIVERED, LOG_RL_MSG_WAITING,
	LOG_RL_RECIPOK_LIMIT, LOG_RL_MSG_FORGED,
	LOG_RL_N
};

struct log_rl {
	_Atomic int64_t		 win;		/* window start, s */
	_Atomic uint32_t	 nwin;		/* lines in it */
	_Atomic uint64_t	 lines;		/* ever, logged or not */
	_Atomic uint64_t	 held;		/* not logged, not summed up */
	_Atomic uint64_t	 suppressed;	/* ever not logged */
};

void	 log_rl_table(struct log_rl *);
const struct log_rl *log_rl_all(void);
const char *log_rl_name(int);
int	 log_rl_admit(struct log_rl *, int64_t);
void	 log_rl_flush(int);
void	 log_rl_warn(int, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 log_rl_warnx(int, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 log_rl_info(int, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 log_vwrite(int, const char *, va_list, int);

#endif
