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
 * What the worker session's loop (ws.c) and its request path
 * (ws_serve.c) share: the session's state, and the few calls each makes
 * into the other.  Private to src/worker; nothing else includes it.
 */

#ifndef WS_PRIV_H
#define WS_PRIV_H

#include <sys/socket.h>

#include "ws.h"

#define WS_GRACE_MS	10000	/* between EOF/SIGTERM and SIGKILL */
#define WS_LOOKED_US	100	/* an epoll_wait this recent saw the pipe */
#define WS_QUEUE_WAIT_MS 5	/* look again at mux_queued this often */
#define WS_MSG_NORESP	"ERR No response from worker\n"

struct ws {
	struct ws_shm		*shm;
	struct ws_slot		*slot;
	int			 idx;
	int			 lfd;
	int			 chan;
	int			 log;		/* handlers' stderr, or -1 */
	int			 ep;
	int			 epq;		/* ep without the shared socket */
	int			 retire;
	uint32_t		 received;	/* reserved clients taken */
	int			 released;	/* idle again, still replying */
	int			 unmarked;	/* accepted, not yet counted busy */
	int			 doubled;	/* reserved while serving our own */
	int			 client;	/* the client's fd, or -1 */
	uint32_t		 sid;		/* its session number */
	int			 kicked;
	const uint8_t		*mq_key;	/* NULL: none (yet) */
	int			 keyed;		/* the mux answered */
	uint8_t			 mq_keybuf[WS_MQ_KEY_LEN];
	const struct ws_conf	*conf;
	struct ws_hd		 hd;
	int64_t			 looked;	/* epoll_wait saw its pipe empty */
	struct pin		 pin;		/* PinWorkers */
	size_t			 rlen;		/* bytes in rbuf */
	struct status_rd	 st;
	char			 line[WS_LINE_MAX + 3];
	char			 rbuf[WS_REPLY_MAX];
};

/* ws.c */
void	 ws_exit(struct ws *, int) __attribute__((noreturn));
int	 ws_pending(struct ws *);

/* ws_serve.c */
int	 ws_send(struct ws *, int, const char *, size_t, int);
void	 ws_begin(struct ws *, int, const struct sockaddr *);
void	 ws_end(struct ws *);
int	 ws_write_all(struct ws *, int, const char *, size_t, int64_t);
void	 ws_unmark(struct ws *);
int	 ws_should_retire(struct ws *);
void	 ws_serve(struct ws *, int, const char *, size_t,
	    const struct sockaddr *);

#endif
