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
 * The contract between the mux and its worker sessions, the one worker
 * header the mux includes: the shared slot table, the control channel's
 * frames, a session's start message and configuration, the exit codes,
 * and the few pure helpers both sides use (protocol names, message text
 * sanitising, percent decoding).  Bump WS_PROTO_VERSION whenever the
 * table, the frames or the start message change.
 */

#ifndef MUX_WIRE_H
#define MUX_WIRE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "log.h"
#include "mux_handler.h"

#define WS_PROTO_VERSION	5
#define WS_SLOTS_MAX		4096	/* MaxWorkers' bound */
#define WS_LINE_MAX		4096	/* request line, without the LF */
#define WS_REPLY_MAX		65536	/* whole reply of a pool handler */
#define WS_TAG_MAX		200	/* status tag, after sanitising */
#define WS_STATUS_FD		3	/* handler's status descriptor */
#define WS_VERB_MAX		15	/* a session's last command, shown by who */
#define WS_USER_MAX		63	/* user name a handler reports */
#define WS_TRANS_RING		64	/* state changes kept per slot */
#define WS_DOMAIN_MAX		127	/* a recipok's domain, for -y */

/* Slot states.  free = stopped + starting + idle + retiring. */
enum ws_state {
	WS_STOPPED = 0,
	WS_STARTING,
	WS_IDLE,
	WS_BUSY,
	WS_RETIRING,		/* leaving gracefully; counts as free */
	WS_KILLED,		/* busy-killed or dying; not free */
	WS_NSTATES
};

/* Request kinds MIMEDefang keeps load history for. */
enum ws_cmd {
	WS_CMD_SCAN = 0,
	WS_CMD_RELAYOK,
	WS_CMD_SENDEROK,
	WS_CMD_RECIPOK,
	WS_NCMDS,
	WS_CMD_OTHER = WS_NCMDS,
	WS_CMD_NONE = -1
};

/*
 * mimedefang-multiplexor's "sticky" choice: a worker that last ran this
 * kind of command, or none yet, is preferred for it.  Other commands
 * (map, tick, ...) only fit an unused worker, as there.
 */
static inline int
ws_cmd_fits(int last, int kind)
{
	return (last == WS_CMD_NONE || last == kind);
}

/* Control bits the mux sets in ws_slot.ctl before writing the channel. */
#define WS_CTL_CHAN		0x01	/* a message waits on the channel */
#define WS_CTL_RETIRE		0x02	/* retire when idle */

/* The request latency histogram's buckets (slot.c's ws_lat_le_us). */
#define WS_LAT_N	17

/*
 * One slot in shared memory.  The mux resets the slot before the fork
 * and writes gen, max_req and handed; the worker session writes the
 * rest.  Both move state, always by compare-and-swap in slot_move() so
 * the shared counters stay exact; the mux also stamps busy_since when it
 * reserves an idle slot.
 */
struct ws_slot {
	_Atomic int		 state;
	_Atomic int		 ctl;
	_Atomic uint32_t	 handed;	/* clients the mux reserved us for */
	_Atomic int		 waiting;	/* in accept(2): wake with SIGUSR1 */
	_Atomic int		 asleep;	/* blocked: a client costs a wake-up */
	_Atomic int		 reading;	/* idle, but reading its own client */
	_Atomic uint32_t	 session;	/* clients taken so far */
	_Atomic int		 in_session;	/* holds a client now */
	_Atomic uint32_t	 kick;		/* session the mux wants cut */
	_Atomic int		 peer_family;	/* the client's address */
	_Atomic uint64_t	 peer[2];
	uint32_t		 gen;
	uint32_t		 max_req;	/* -r with jitter */
	_Atomic int		 cmd;		/* current request kind */
	_Atomic int		 last_cmd;
	_Atomic int64_t		 changed;	/* last state change, s */
	_Atomic int64_t		 busy_since;	/* ms, monotonic */
	_Atomic int64_t		 first_req;	/* s, realtime; 0 = none */
	_Atomic uint64_t	 nreq;		/* begun, for -r */
	_Atomic uint64_t	 nserved;	/* ended with the worker whole */
	_Atomic uint64_t	 nscans;
	_Atomic uint64_t	 cnt[WS_NCMDS];	/* finished requests */
	_Atomic uint64_t	 busysum[WS_NCMDS];
	_Atomic uint64_t	 ms[WS_NCMDS];
	_Atomic uint32_t	 tag_seq;	/* seqlock: odd while writing */
	char			 tag[WS_TAG_MAX + 1];
	_Atomic int		 svc;		/* in a service session */
	_Atomic int		 mq_wake;	/* WS_MSG_MQ sent, not taken */
	_Atomic int		 mq_owed;	/* messages promised, not taken */
	_Atomic uint64_t	 delivered;	/* messages, by every worker here */
	_Atomic uint32_t	 verb_seq;	/* seqlock of verb */
	char			 verb[WS_VERB_MAX + 1];
	_Atomic int		 hpid;		/* the program's pid, or 0 */
	/* State changes, for "S n StateChange A -> B", while wanted. */
	_Atomic uint32_t	 trans_seq;
	_Atomic uint32_t	 trans[WS_TRANS_RING]; /* seq<<16|from<<8|to */
	_Atomic uint32_t	 dom_seq;	/* seqlock of dom */
	char			 dom[WS_DOMAIN_MAX + 1]; /* last recipok's */
} __attribute__((aligned(64)));

struct ws_shm {
	uint32_t		 version;
	uint32_t		 nslots;
	_Atomic uint32_t	 gen;		/* pool generation */
	_Atomic int		 nfree;
	_Atomic int		 nidle;
	_Atomic int		 nbusy;
	_Atomic uint64_t	 zseq;		/* free went 1 -> 0 */
	_Atomic uint64_t	 yseq;		/* free went 0 -> 1 */
	_Atomic int		 wake_idle;	/* wake on idle 0<->1 edges too */
	_Atomic int		 wake_every;	/* wake the mux on any change */
	_Atomic int		 want_states;	/* record state changes */
	int			 wake_fd;	/* write end of the wake pipe */
	_Atomic int		 refusing;	/* shutdown: refuse requests */
	_Atomic int		 mux_accepts;	/* the mux takes the clients */
	_Atomic int		 mux_queued;	/* clients wait in its queue */
	_Atomic uint32_t	 refuse_seq;	/* seqlock of refuse_msg */
	char			 refuse_msg[WS_TAG_MAX + 1];
	/*
	 * No pointers: a worker session maps this at its own address.
	 * histo[n] counts requests started with n sessions busy.
	 */
	_Atomic uint64_t	 histo[WS_SLOTS_MAX + 1];
	/* Requests by time taken: lat[i] up to ws_lat_le_us[i]; the sum. */
	_Atomic uint64_t	 lat[WS_LAT_N];
	_Atomic uint64_t	 lat_sum_us;
	struct log_rl		 logrl[LOG_RL_N];	/* log_rl_table */
	struct ws_slot		 slots[];	/* nslots of them */
};

/* Control channel: SOCK_SEQPACKET, one message per packet. */
enum ws_msg_type {
	WS_MSG_READY = 1,	/* w->m: handler started */
	WS_MSG_CLIENT,		/* m->w: fd + request line (may be empty) */
	WS_MSG_CMD,		/* w->m: fd + line for the mux to answer
				   or to hand to a better worker */
	WS_MSG_BUSYKILL,	/* w->m: busy timeout, handler being killed */
	WS_MSG_RETIRE,		/* m->w: retire now if idle */
	WS_MSG_USER,		/* w->m: the handler named the session's user;
				   m->w: and it may stay (else LIMIT) */
	WS_MSG_END,		/* w->m: a service session ended */
	WS_MSG_LIMIT,		/* m->w: refuse the session with this reply */
	WS_MSG_MQ,		/* m->w: messages wait in the queue */
	WS_MSG_SCAN,		/* w->m: a scan starts; arg: busy (-t) */
	WS_MSG_KEY,		/* w->m: non-dumpable now, the queue's key
				   please; m->w: it (empty: none for you) */
};

/*
 * arg: 0, or for a service session (WS_MSG_CLIENT, USER, END, LIMIT)
 * its token, which also heads each of its messages in the queue.  A
 * service client comes with its variables, "NAME=VALUE" NUL-separated.
 */
struct ws_msghdr {
	uint8_t			 version;
	uint8_t			 type;
	uint16_t		 len;		/* bytes of line that follow */
	uint32_t		 arg;
};

#define WS_MSG_MAX	(sizeof(struct ws_msghdr) + WS_LINE_MAX + 1)

/* Exit codes of a worker session, read by the mux at the reap. */
#define WS_EXIT_OK		0	/* retired */
#define WS_EXIT_HANDLER		10	/* the handler died unexpectedly */
#define WS_EXIT_EXEC		11	/* the handler could not be started */
#define WS_EXIT_BUSYKILL	12	/* busy timeout */
#define WS_EXIT_PROTO		13	/* the handler broke the protocol */
#define WS_EXIT_MUX		14	/* the mux went away */

/* In-process handlers: struct ws_handler, ws_reply() (mux_handler.h). */

/* slot.c: shared-memory bookkeeping used by both sides. */
extern const uint32_t ws_lat_le_us[WS_LAT_N];	/* the last: +Inf */
int	 slot_is_free(int);
char	 slot_state_char(int);
const char *slot_state_name(int);
int	 slot_cmd_kind(const char *, size_t);
int	 slot_move(struct ws_shm *, struct ws_slot *, int, int);
int64_t	 slot_now_ms(void);
int64_t	 slot_now_us(void);
void	 slot_lat_add(struct ws_shm *, uint64_t);
void	 slot_ctr_add(_Atomic uint64_t *, uint64_t);
void	 slot_set_tag(struct ws_slot *, const char *, size_t);
void	 slot_notify(struct ws_shm *);
void	 slot_note(struct ws_shm *, struct ws_slot *, int, int);
int	 slot_trans(struct ws_slot *, uint32_t, int *, int *);
size_t	 slot_get_tag(struct ws_slot *, char *, size_t);
void	 slot_seq_set(_Atomic uint32_t *, char *, size_t, const char *,
	    size_t);
uint32_t slot_seq_get(_Atomic uint32_t *, const char *, char *, size_t);
struct sockaddr;
void	 slot_set_peer(struct ws_slot *, const struct sockaddr *);
int	 slot_get_peer(struct ws_slot *, char *, size_t);
int	 slot_take_kick(struct ws_slot *, uint32_t);

/* A worker session's settings, which the start message carries. */
struct ws_conf {
	const char	*prog;		/* handler, NULL = in-process */
	char *const	*argv;		/* its argv */
	int		 exec;		/* one handler per service session */
	int		 session_timeout; /* s of client silence, 0 = none */
	int		 mqid;		/* MessageEngine queue, or -1 */
	const char	*msg_skip;	/* MessageSkipCommands */
	const char	*peer_shim;	/* libmux-peer.so for relayed TCP, or NULL */
	int		 user_limit;	/* MaxClientsPerUser is set */
	int		 status_fd;	/* -Z */
	int		 busy_timeout;	/* s */
	int		 client_timeout; /* s */
	int		 max_lifetime;	/* s, 0 = off */
	int		 pin;		/* PinWorkers: 1 on, 0 off, -1 auto */
	int		 max_rss;	/* kB of the handler, 0 = no limit */
	int		 max_as;	/* kB, address space and data */
	int		 stats;		/* tell the mux of each scan (-t) */
	int		 recipok_limit;	/* -y: per domain, 0 = none */
	const struct ws_handler *inproc;
	/* Is this request line one the mux answers itself (the master's)? */
	int		(*mux_cmd)(const char *, size_t);
};

/* chan.c: the control channel's framing, used by both sides. */
int	 chan_send(int, int, uint32_t, const char *, size_t, int, int);
int	 chan_recv(int, struct ws_msghdr *, char *, int *, int);

/* Protocols of service listeners (proto.c). */
enum { PROTO_NONE, PROTO_FTP, PROTO_SMTP, PROTO_POP3, PROTO_IMAP,
	PROTO_MAX };
const char *proto_name(int);
int	 proto_by_name(const char *, size_t);
int	 proto_split(const char *, size_t *);

/*
 * mq.c: a MessageEngine message in the SysV queue (mtype: the worker
 * session's pid) is this head, then the text.  The queue belongs to the
 * -U user, as handlers do, so the mux seals each message with a key
 * only it and its non-dumpable worker sessions hold (WS_MSG_KEY): a
 * handler can take messages out of the queue, but cannot forge one, nor
 * replay one (seq rises per mux, and a session takes each once).
 */
struct ws_mq_head {
	uint32_t	token;		/* the service session */
	int32_t		pid;		/* the worker session, its mtype */
	uint64_t	seq;
	uint64_t	mac;		/* SipHash-2-4 of all, this 0 */
};
#define WS_MQ_KEY_LEN	16
void	 ws_mq_seal(const uint8_t *, char *, size_t);
int	 ws_mq_open(const uint8_t *, const char *, size_t,
	    struct ws_mq_head *);

/* inject.c: a msg's text, made safe for one reply line. */
#define INJ_SKIP_DEFAULT	"EPSV PASV LPSV STOU"
#define INJ_TEXT_MAX		1024
size_t	 inj_sanitize(char *, size_t, const char *, size_t);

/* status.c: percent decoding, as MIMEDefang encodes arguments. */
int	 status_hex(int);
size_t	 status_pct_decode(char *, size_t);

/*
 * ws_boot.c: a worker session is the mux's own binary run again, as
 * "mux-worker --worker-session CHAN", never a fork of the master's heap
 * and event base.  Its descriptors cross exec(2) at their own numbers;
 * the rest comes as the first message on CHAN, packed by the master.
 */
#define WS_BOOT_ARG	"--worker-session"
#define WS_BOOT_MAX	65536		/* the packed message */

struct ws_boot {
	int	 idx;			/* the slot */
	int	 lfd, log, shm;		/* descriptors, -1 = none */
	int	 ep;			/* ws_boot_epoll's, -1 = none */
	size_t	 shm_size;
	int	 log_fg, log_syslog, log_verbose, log_facility;
	const char *log_ident;
};

size_t	 ws_boot_pack(const struct ws_boot *, const struct ws_conf *, char *,
	    size_t);
int	 ws_boot_unpack(char *, size_t, struct ws_boot *, struct ws_conf *);
int	 ws_boot_epoll(int);
void	 ws_boot(char **, const struct ws_handler *,
	    int (*)(const char *, size_t)) __attribute__((noreturn));

#endif /* MUX_WIRE_H */
