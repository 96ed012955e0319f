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
 * A relayed session's bytes (DESIGN §5, §7).  Client lines pass to the
 * handler untouched, their verbs noted; the handler's output is cut into
 * lines, each classified once by the listener's protocol (proto.c), and
 * the session's messages, taken from the SysV queue as they come, go
 * before (POP3: into) the next eligible final reply.  Buffers are moved
 * once per read, not per line: this is the hot path of every session.
 */

#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sess.h"

/* Who takes from the queue: the slot whose mq_owed counts it, a session. */
struct sess_mq_to {
	struct ws_slot	*slot;
	struct sess	*s;		/* NULL between sessions */
	const uint8_t	*key;		/* opens them (wire.h), or NULL */
};

/* One message from the queue: ours, or left by a session that ended. */
static void
sess_mq_one(const char *m, size_t len, void *arg)
{
	struct sess_mq_to	*to = arg;
	struct sess		*s = to->s;
	struct ws_slot		*slot = to->slot;
	struct ws_mq_head	 h;

	/* Not the mux's, or the mux's again: a handler put it there. */
	if (ws_mq_open(to->key, m, len, &h) == -1 || h.pid != getpid() ||
	    (s != NULL && h.token == s->token && h.seq <= s->mq_seq)) {
		log_rl_warnx(LOG_RL_MSG_FORGED, "a message in the queue %s: "
		    "dropped", to->key == NULL ? "with no key to open it" :
		    "not sealed by the mux, or replayed");
		return;
	}
	if (slot != NULL && atomic_fetch_sub(&slot->mq_owed, 1) <= 0)
		atomic_store(&slot->mq_owed, 0);	/* never below 0 */
	m += sizeof(h);
	len -= sizeof(h);
	if (s == NULL || h.token != s->token) {
		log_rl_info(LOG_RL_UNDELIVERED, "message for an ended session "
		    "not delivered: %.*s", (int)len, m);
		return;
	}
	if (s->nmsg == SESS_MSG_MAX) {	/* a client that sends nothing */
		log_rl_info(LOG_RL_MSG_WAITING, "worker %d: %d messages wait "
		    "for the next reply: the oldest dropped", s->x->idx,
		    SESS_MSG_MAX);
		memmove(s->msg, s->msg + 1, (SESS_MSG_MAX - 1) *
		    sizeof(s->msg[0]));
		s->nmsg--;
		s->dropped++;
	}
	s->mq_seq = h.seq;
	s->msg[s->nmsg].len = len;
	memcpy(s->msg[s->nmsg].text, m, len);
	s->nmsg++;
}

/*
 * Take all our messages out of the shared queue, at once: what waits
 * for this session's replies waits here, where it blocks nobody else's.
 */
void
sess_mq_drain(struct sess *s)
{
	struct sess_mq_to	 to = { s->x->slot, s, s->x->mq_key };

	if (s->x->conf->mqid == -1)
		return;
	(void)ws_mq_recv(s->x->conf->mqid, getpid(), 1 << 20, sess_mq_one,
	    &to);
}

/* Between sessions: whatever is in the queue for us is stale. */
void
ws_sess_mq_stale(struct ws_slot *slot, const struct ws_conf *conf,
    const uint8_t *key)
{
	struct sess_mq_to	 to = { slot, NULL, key };

	if (conf->mqid != -1)
		(void)ws_mq_recv(conf->mqid, getpid(), 1 << 20, sess_mq_one,
		    &to);
}

/*
 * Client bytes: note the verb of each command line as it passes.  Only
 * a line's first bytes are looked at; wl_next finds its end.
 */
static void
sess_verbs(struct sess *s, const char *p, size_t n)
{
	const char	*e = p + n;
	size_t		 used, text;

	proto_client(&s->proto, p, n);
	if (s->proto.opaque)
		return;		/* TLS: no verbs to see */
	while (p < e) {
		while (p < e && s->at_bol && *p != '\n') {
			if (s->vlen < WS_VERB_MAX && ((*p >= 'A' && *p <= 'Z') ||
			    (*p >= 'a' && *p <= 'z')))
				s->verb[s->vlen++] = *p++;
			else
				s->at_bol = 0;
		}
		if ((used = wl_next(p, (size_t)(e - p), NULL, &text)) == 0)
			return;
		memcpy(s->cur, s->verb, s->vlen);
		s->cur[s->vlen] = '\0';
		slot_seq_set(&s->x->slot->verb_seq, s->x->slot->verb,
		    WS_VERB_MAX, s->cur, s->vlen);
		s->vlen = 0;
		s->at_bol = 1;
		p += used;
	}
}

void
sess_read_client(struct sess *s)
{
	ssize_t	n;

	n = read(s->client, s->cbuf + s->clen, sizeof(s->cbuf) - s->clen);
	if (n > 0) {
		sess_verbs(s, s->cbuf + s->clen, (size_t)n);
		s->clen += (size_t)n;
		s->last_in = slot_now_ms();
	} else if (n == 0 || (errno != EAGAIN && errno != EINTR))
		s->client_eof = 1;
}

/*
 * Pool mode: one request line at a time, as on the request socket:
 * without its CR, and only once the last one has its whole reply.
 */
static void
sess_write_request(struct sess *s)
{
	struct iovec	 iov[2];
	size_t		 len, used;

	if (s->awaiting || (used = wl_next(s->cbuf, s->clen, NULL,
	    &len)) == 0)
		return;
	iov[0].iov_base = s->cbuf;
	iov[0].iov_len = len;
	iov[1].iov_base = "\n";
	iov[1].iov_len = 1;
	if (writev(s->wfd, iov, 2) != (ssize_t)len + 1) {
		s->broken = s->over = 1;
		return;
	}
	s->awaiting = 1;
	s->asked = slot_now_ms();
	s->clen -= used;
	memmove(s->cbuf, s->cbuf + used, s->clen);
}

void
sess_write_handler(struct sess *s)
{
	ssize_t	n;

	if (s->pool != NULL) {
		sess_write_request(s);
		return;
	}
	n = write(s->wfd, s->cbuf, s->clen);
	if (n > 0) {
		s->clen -= (size_t)n;
		memmove(s->cbuf, s->cbuf + n, s->clen);
	} else if (n == -1 && errno != EAGAIN && errno != EINTR) {
		s->clen = 0;	/* the handler is gone: its EOF ends us */
		s->client_eof = 1;
	}
}

void
sess_read_handler(struct sess *s)
{
	ssize_t	n;

	if (s->hoff > 0) {	/* once per read, not per line */
		memmove(s->hbuf, s->hbuf + s->hoff, s->hlen);
		s->hoff = 0;
	}
	n = read(s->rfd, s->hbuf + s->hlen, sizeof(s->hbuf) - s->hlen);
	if (n > 0)
		s->hlen += (size_t)n;
	else if (n == 0 || (errno != EAGAIN && errno != EINTR))
		s->hd_eof = 1;
	if (n > 0 && s->pool != NULL && !s->awaiting) {
		log_warnx("worker %d: handler wrote %zd bytes unasked; "
		    "replacing it", s->x->idx, n);
		s->broken = s->over = 1;
	}
}

/*
 * Room at the end of obuf; compacted only when need does not fit, so a
 * client that reads slowly costs no move per line.
 */
static size_t
sess_room(struct sess *s, size_t need)
{
	if (sizeof(s->obuf) - s->olen < need && s->ooff > 0) {
		memmove(s->obuf, s->obuf + s->ooff, s->olen - s->ooff);
		s->olen -= s->ooff;
		s->ooff = 0;
	}
	return (sizeof(s->obuf) - s->olen);
}

static void
sess_delivered(struct sess *s, int n)
{
	log_rl_info(LOG_RL_DELIVERED, "worker %d: %d message%s delivered",
	    s->x->idx, n, n == 1 ? "" : "s");
	s->nmsg -= n;
	s->delivered += n;
	slot_ctr_add(&s->x->slot->delivered, (uint64_t)n);
	memmove(s->msg, s->msg + n, (size_t)s->nmsg * sizeof(s->msg[0]));
}

/* The held messages, as lines before a final reply line with code. */
static int
sess_inject(struct sess *s, int code, const char *eol)
{
	size_t	need = 0, n;
	int	i, k = s->nmsg < SESS_MSG_REPLY ? s->nmsg : SESS_MSG_REPLY;

	for (i = 0; i < k; i++)
		need += PROTO_PREFIX_MAX + s->msg[i].len + 2;
	if (need > sess_room(s, need))
		return (-1);
	for (i = 0; i < k; i++) {
		n = proto_format(&s->proto, s->obuf + s->olen,
		    sizeof(s->obuf) - s->olen, code, s->msg[i].text,
		    s->msg[i].len, eol);
		s->olen += n;
	}
	sess_delivered(s, k);
	return (0);
}

/*
 * POP3: the status line (l of its len bytes before the line end) with
 * held messages added to its text, as many as its 512 bytes take (the
 * first one cut to fit); the rest wait for the next eligible reply.
 */
static int
sess_append(struct sess *s, size_t l, size_t len)
{
	char	*o;
	size_t	 n, room, at;
	int	 i;

	if (len + PROTO_POP3_LINE > sess_room(s, len + PROTO_POP3_LINE))
		return (-1);
	o = s->obuf + s->olen;
	memcpy(o, s->hbuf + s->hoff, l);
	at = l;
	room = l < PROTO_POP3_LINE ? PROTO_POP3_LINE - l : 0;
	for (i = 0; i < s->nmsg; i++) {
		if (i > 0 && s->msg[i].len + 3 > room)
			break;
		if ((n = proto_format(&s->proto, o + at, room + 1, 0,
		    s->msg[i].text, s->msg[i].len, "")) == 0)
			break;
		at += n;
		room -= n;
	}
	memcpy(o + at, s->hbuf + s->hoff + l, len - l);
	s->olen += at + len - l;
	sess_delivered(s, i);
	return (0);
}

/*
 * Messages the mux promised this worker (mq_owed) but which are not
 * here yet: waiting in the mux for room in a full queue.  Hold the
 * reply for them, up to SESS_OWED_MS, so that a msg answered "*OK"
 * before the client's command reaches that command's reply.
 */
static int
sess_owed(struct sess *s)
{
	int64_t	now;

	if (atomic_load(&s->x->slot->mq_owed) > 0)
		sess_mq_drain(s);
	if (atomic_load(&s->x->slot->mq_owed) <= 0 ||
	    s->nmsg >= SESS_MSG_REPLY) {
		s->owed_since = 0;
		return (0);
	}
	now = slot_now_ms();
	if (s->owed_since == 0)
		s->owed_since = now;
	if (now - s->owed_since < SESS_OWED_MS)
		return (1);
	log_warnx("worker %d: %d messages still on their way after %d ms: "
	    "the reply goes without them", s->x->idx,
	    atomic_load(&s->x->slot->mq_owed), SESS_OWED_MS);
	s->owed_since = 0;
	atomic_store(&s->x->slot->mq_owed, 0);
	return (0);
}

/*
 * Pool mode, MIMEDefang's framing: a reply ends at its first line that
 * is not an "NNN-" continuation.  A final 221 or 421 ends the session,
 * as QUIT does in FTP and SMTP.
 */
static void
sess_pool_line(struct sess *s, size_t l)
{
	int	code, sep = 0;

	code = reply_code(s->hbuf + s->hoff, l, &sep);
	if (code != -1 && sep == '-')
		return;
	s->awaiting = 0;
	if (code == 421 || code == 221)
		s->over = 1;
	else if (s->clen > 0)
		sess_write_request(s);	/* the next line was waiting */
}

/*
 * What the line (len bytes with its end) is, once: holding it back must
 * not feed it to the watcher again.  A login it accepts names the
 * session's user, as a handler's "user NAME" on fd 3 would (which still
 * wins: it comes first, or later).
 */
static void
sess_classify(struct sess *s, size_t len)
{
	if (s->ev_ready)
		return;
	s->ev_ready = 1;
	proto_server(&s->proto, s->hbuf + s->hoff, len, &s->ev);
	if (s->ev.code > 0 && !inj_eligible(s->ev.code, s->cur,
	    strlen(s->cur), s->x->conf->msg_skip))
		s->ev.eligible = 0;
	if (s->ev.user != NULL)
		sess_user(s, s->ev.user, strlen(s->ev.user));
}

/* The line, with the held messages it may carry. */
static int
sess_move(struct sess *s, size_t l, size_t len, const char *eol)
{
	int	carry = s->ev.eligible && !s->draining;

	if (carry && sess_owed(s))
		return (-1);
	if (carry && s->nmsg > 0 && s->proto.kind == PROTO_POP3)
		return (sess_append(s, l, len));
	if (carry && s->nmsg > 0 && sess_inject(s, s->ev.code, eol) == -1)
		return (-1);
	memcpy(s->obuf + s->olen, s->hbuf + s->hoff, len);
	s->olen += len;
	return (0);
}

/*
 * Move the handler's complete lines to obuf, each as written; before a
 * final reply line that may carry them, the held messages.  Stops when
 * obuf is too full to take the next line with its messages.
 */
void
sess_parse(struct sess *s)
{
	char	*h;
	size_t	 len, l = 0, used;

	while (s->hlen > 0 && s->hold == 0) {
		if (s->pool != NULL && !s->awaiting) {
			/* Past its reply: the handler is out of step. */
			log_warnx("worker %d: handler wrote %zu bytes past "
			    "its reply; replacing it", s->x->idx, s->hlen);
			s->hlen = s->hoff = 0;
			s->broken = s->over = 1;
			return;
		}
		h = s->hbuf + s->hoff;
		used = s->proto.opaque ? 0 : wl_next(h, s->hlen, NULL, &l);
		len = used != 0 ? used : s->hlen;
		if (used == 0 && len < sizeof(s->hbuf) && !s->hd_eof &&
		    !s->proto.opaque)
			return;		/* wait for the rest of the line */
		if (len > sess_room(s, len)) {
			if (!s->proto.opaque || sess_room(s, len) == 0)
				return;
			len = sess_room(s, len);	/* TLS: what fits */
		}
		if (used == 0)
			l = wl_text(h, len);	/* a piece, or the last one */
		sess_classify(s, len);
		if (s->hold > 0)
			return;		/* the login waits for MaxClientsPerUser */
		if (sess_move(s, l, len, l + 1 < len ? "\r\n" : "\n") == -1)
			return;
		s->ev_ready = 0;
		if (s->pool != NULL && used != 0 && !s->midline)
			sess_pool_line(s, l);
		s->midline = used == 0;
		s->hlen -= len;
		s->hoff = s->hlen > 0 ? s->hoff + len : 0;
	}
}

void
sess_write_client(struct sess *s)
{
	ssize_t	n;

	n = write(s->client, s->obuf + s->ooff, s->olen - s->ooff);
	if (n > 0) {
		s->ooff += (size_t)n;
		if (s->ooff == s->olen)
			s->ooff = s->olen = 0;
	} else if (n == -1 && errno != EAGAIN && errno != EINTR) {
		s->ooff = s->olen = 0;
		s->over = 1;
	}
}

/* A line of our own to the client, if there is room. */
int
sess_say(struct sess *s, const char *msg)
{
	size_t	n = strlen(msg);

	if (n > sess_room(s, n))
		return (-1);
	memcpy(s->obuf + s->olen, msg, n);
	s->olen += n;
	return (0);
}
