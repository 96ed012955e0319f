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
 * A service session's state, private to sess.c (its life: the handler,
 * the loop, kick, timeouts, the end) and relay.c (its bytes: buffers,
 * framing, the messages it carries).
 */

#ifndef MUX_SESS_H
#define MUX_SESS_H

#include "ws.h"

#define SESS_MSG_MAX	64		/* messages held for the next replies */
#define SESS_MSG_REPLY	16		/* of those, into one reply */
#define SESS_STOP_MS	2000		/* handler's grace after the end */
#define SESS_FLUSH_MS	5000		/* last output to a closing client */
#define SESS_VARS_MAX	64
#define SESS_OWED_MS	1000		/* a reply waits this long for messages */

struct sess_msg {
	size_t	 len;
	char	 text[INJ_TEXT_MAX];
};

struct sess {
	struct ws_sess_ctx	*x;
	int			 client;
	int			 pair;		/* exec: our end of its stdio */
	int			 wfd, rfd;	/* to and from the handler */
	struct ws_hd		*pool;		/* pool mode: the worker's handler */
	int			 awaiting;	/* pool: a request is out */
	int64_t			 asked;		/* pool: when, ms */
	int			 broken;	/* pool: out of step (1), slow (2) */
	int			 st;		/* its status descriptor */
	uint32_t		 token;
	struct ws_hd		 hd;
	struct status_rd	 srd;
	int			 client_eof;
	int			 hd_eof;
	int			 midline;	/* passing a line too long to parse */
	int			 at_bol;	/* client: at a line's start */
	int			 kicked;
	int			 bye;		/* a goodbye said: close after it */
	int			 st_eof;
	int			 hold;		/* USER verdicts awaited */
	int64_t			 owed_since;	/* a reply waits for messages */
	int			 draining;	/* pool: dropping a reply */
	int			 over;		/* end: flush, then close */
	int64_t			 last_in;	/* ms, client's last bytes */
	size_t			 clen;		/* client -> handler */
	size_t			 hoff, hlen;	/* handler bytes to parse */
	size_t			 ooff, olen;	/* -> client */
	size_t			 vlen;
	char			 verb[WS_VERB_MAX + 1];	/* being read */
	char			 cur[WS_VERB_MAX + 1];	/* last complete */
	struct proto		 proto;		/* the listener's protocol */
	struct proto_ev		 ev;		/* of the line being moved */
	int			 ev_ready;
	int			 nmsg;
	int			 delivered;	/* told to the mux at the end */
	int			 dropped;	/* past SESS_MSG_MAX, likewise */
	uint64_t		 mq_seq;	/* the last message's: no replays */
	struct sess_msg		 msg[SESS_MSG_MAX];
	char			 cbuf[65536];
	char			 hbuf[65536];
	char			 obuf[65536];
};

/* sess.c */
void	 sess_user(struct sess *, const char *, size_t);

/* relay.c */
void	 sess_mq_drain(struct sess *);
void	 sess_read_client(struct sess *);
void	 sess_write_handler(struct sess *);
void	 sess_read_handler(struct sess *);
void	 sess_parse(struct sess *);
void	 sess_write_client(struct sess *);
int	 sess_say(struct sess *, const char *);

#endif
