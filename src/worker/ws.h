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
 * A worker session's own modules: its loop, the handler, the relay of
 * service sessions and their pure cores.  What crosses to the mux is in
 * wire.h, which the mux includes instead of this file.
 */

#ifndef MUX_WS_H
#define MUX_WS_H

#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "wire.h"

/* inject.c: messages into the next eligible reply (pure). */

struct inj_state {
	int		 multi;		/* code of an open NNN- reply, or 0 */
};

int	 inj_line(struct inj_state *, const char *, size_t);
int	 inj_skipped(const char *, size_t, const char *);
int	 inj_eligible(int, const char *, size_t, const char *);
size_t	 inj_format(char *, size_t, int, const char *, size_t, const char *);

/* mq.c: the MessageEngine queue, receiving side. */
int	 ws_mq_recv(int, pid_t, int, void (*)(const char *, size_t, void *),
	    void *);

/* wline.c: the worker side's one line framing. */
size_t	 wl_next(const char *, size_t, size_t *, size_t *);
size_t	 wl_text(const char *, size_t);

/* reply.c: pure reply framing of pool handlers. */
#define REPLY_MORE	0
#define REPLY_TOOLONG	-1
int	 reply_code(const char *, size_t, int *);
int	 reply_is_cont(const char *, size_t);
ssize_t	 reply_scan(const char *, size_t, size_t, size_t *);

/* status.c: pure status-fd line parsing. */
#define STATUS_TAG	1
#define STATUS_USER	2
int	 status_parse(const char *, size_t, char *, size_t, size_t *);
size_t	 status_sanitize(char *, size_t);
size_t	 status_pct_encode(char *, size_t, const char *);

struct status_rd {
	char	 buf[1024];
	size_t	 len;
	int	 skip;		/* inside a line too long to keep */
};
int	 status_read(int, struct status_rd *,
	    void (*)(int, const char *, size_t, void *), void *);

/* handler.c: the pool-mode handler process of a worker session. */
struct ws_hd {
	pid_t	 pid;
	int	 in, out, st;
	int	 log;		/* its stderr: the mux logs each line */
	int	 reaped;	/* wstatus is its end */
	int	 wstatus;
	int	 signalled;	/* we sent it SIGTERM or SIGKILL */
};

int	 ws_hd_start(struct ws_hd *, const struct ws_conf *);
void	 ws_hd_stop(struct ws_hd *, int, int);
int	 ws_hd_exec(struct ws_hd *, const struct ws_conf *, int,
	    char *const *);

/*
 * proto.c: a listener's protocol (pure).  It follows the relayed stream
 * both ways: which reply answers which command (SMTP and POP3 clients
 * pipeline, IMAP tags), the user a login names once the server accepts
 * it, where messages may go and how they are written, the goodbye, and
 * the start of TLS, after which the stream is opaque.
 */
#define PROTO_QMAX	64	/* commands awaiting their replies */
#define PROTO_LINE_MAX	512	/* of a client line, what the watcher reads */
#define PROTO_TAG_MAX	32	/* IMAP tag kept */
#define PROTO_POP3_LINE	510	/* POP3 line, without CRLF (RFC 1939) */
#define PROTO_PREFIX_MAX 16	/* before a message's text: "* OK [ALERT] " */

struct proto {
	int		 kind;
	int		 opaque;	/* TLS began: parse nothing more */
	int		 sasl;		/* next client line answers a challenge */
	int		 mech;		/* of the SASL exchange */
	int		 authn;		/* IMAP: an AUTHENTICATE is out */
	int		 body;		/* SMTP: the client sends a message */
	int		 pdata;		/* POP3: a multi-line reply's data */
	int		 cont;		/* client line continues after a literal */
	int		 smid;		/* server: inside a line */
	size_t		 cskip;		/* client: literal or BDAT bytes */
	size_t		 sskip;		/* server: IMAP literal bytes */
	struct inj_state inj;		/* FTP, SMTP: NNN- replies */
	unsigned	 qhead, nq, over;
	unsigned char	 q[PROTO_QMAX];
	char		 ltag[PROTO_TAG_MAX + 1];	/* IMAP: the login's */
	char		 ttag[PROTO_TAG_MAX + 1];	/* IMAP: STARTTLS's */
	size_t		 llen;
	char		 line[PROTO_LINE_MAX];
	char		 pending[WS_USER_MAX + 1];	/* named, not in yet */
	char		 user[WS_USER_MAX + 1];		/* accepted */
};

/* What a chunk of the server's output is. */
struct proto_ev {
	int		 code;		/* ends a reply: its code, else 0 */
	int		 eligible;	/* messages may go with it */
	const char	*user;		/* the login it accepts */
};

void	 proto_init(struct proto *, int);
void	 proto_client(struct proto *, const char *, size_t);
void	 proto_server(struct proto *, const char *, size_t,
	    struct proto_ev *);
size_t	 proto_format(const struct proto *, char *, size_t, int,
	    const char *, size_t, const char *);
size_t	 proto_bye(const struct proto *, char *, size_t, const char *);
int	 proto_between(const struct proto *);

/* sasl.c: the identity in a SASL response (pure). */
enum { SASL_NONE, SASL_PLAIN, SASL_LOGIN, SASL_CRAM, SASL_OTHER };
size_t	 sasl_b64(char *, size_t, const char *, size_t);
int	 sasl_mech(const char *, size_t);
int	 sasl_identity(int, const char *, size_t, char *, size_t,
	    const char **, size_t *);

/* recipok.c: -y, the per-domain recipok limit. */
size_t	 rcpt_domain(const char *, size_t, char *, size_t);
int	 rcpt_over_limit(struct ws_shm *, int, const char *, size_t, int);

/* pin.c: PinWorkers, a worker session and its handler on one CPU. */
struct pin {
	int		 mode;		/* 1 on, 0 off, -1 auto */
	int		 idx;		/* the slot */
	int		 cpu;		/* its CPU, or -1 */
	int		 bound;
	pid_t		 hpid;		/* the handler last read */
	clockid_t	 clock;		/* its CPU clock */
	int		 n;		/* requests since then */
	int64_t		 last;		/* its CPU time then, ns; -1: none */
	int64_t		 hold;		/* freed: not bound again before */
	cpu_set_t	 all;		/* the CPUs the worker started with */
};
enum { PIN_KEEP, PIN_BIND, PIN_FREE };
#define PIN_EVERY	16		/* auto reads the handler's CPU time */
#define PIN_BIND_US	200		/* and binds a pair computing less */
#define PIN_FREE_US	1000		/* and frees one computing more */
#define PIN_HOLD_US	1000000		/* for at least this long */
int	 pin_cpu(const cpu_set_t *, int);
int	 pin_step(struct pin *, int64_t, int64_t);
void	 pin_init(struct pin *, int, int);
void	 pin_after(struct pin *, pid_t, int64_t);

/* sess.c: a service session (--listen), served to its end. */
struct ws_sess_ctx {
	struct ws_shm		*shm;
	struct ws_slot		*slot;
	int			 idx;
	int			 chan;
	const struct ws_conf	*conf;
	uint32_t		 sid;		/* the slot's session number */
	int			 retire;	/* the mux asked us to */
	int			 log;		/* handlers' stderr, or -1 */
	const uint8_t		*mq_key;	/* opens messages, or NULL */
};

int	 ws_sess_serve(struct ws_sess_ctx *, int, uint32_t, char *, size_t,
	    struct ws_hd *);
void	 ws_sess_mq_stale(struct ws_slot *, const struct ws_conf *,
	    const uint8_t *);

/* ws.c: the worker session, entered from ws_boot. */
void	 ws_main(struct ws_shm *, const struct ws_boot *, int,
	    const struct ws_conf *)
	    __attribute__((noreturn));

#endif
