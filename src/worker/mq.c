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
 * The receiving side of the MessageEngine queue (the mux sends, see
 * src/mux/msgq.c): a worker session takes the messages whose mtype is
 * its pid, oldest first, never blocking.  Sealing and opening a message
 * (wire.h) are here too, one code for both sides.
 */

#include <sys/types.h>
#include <sys/ipc.h>
#include <sys/msg.h>

#include <errno.h>
#include <string.h>

#include "siphash.h"
#include "ws.h"

/* The MAC of a message, its head's mac taken as 0. */
static uint64_t
ws_mq_mac(const uint8_t *key, const char *msg, size_t len)
{
	char		buf[sizeof(struct ws_mq_head) + INJ_TEXT_MAX];
	uint64_t	zero = 0;

	if (len > sizeof(buf))
		len = sizeof(buf);
	memcpy(buf, msg, len);
	memcpy(buf + offsetof(struct ws_mq_head, mac), &zero, sizeof(zero));
	return (siphash24(key, buf, len));
}

/* The mux: seal a message, head and text, len bytes in all. */
void
ws_mq_seal(const uint8_t *key, char *msg, size_t len)
{
	uint64_t	mac;

	if (len < sizeof(struct ws_mq_head))
		return;
	mac = ws_mq_mac(key, msg, len);
	memcpy(msg + offsetof(struct ws_mq_head, mac), &mac, sizeof(mac));
}

/*
 * A worker session: the head of a message whose seal holds, 0; -1 for
 * one too short or not sealed by the mux (or no key: none holds).
 */
int
ws_mq_open(const uint8_t *key, const char *msg, size_t len,
    struct ws_mq_head *h)
{
	uint64_t	mac;

	if (key == NULL || len < sizeof(*h) ||
	    len > sizeof(*h) + INJ_TEXT_MAX)
		return (-1);
	memcpy(h, msg, sizeof(*h));
	mac = ws_mq_mac(key, msg, len);
	return (mac == h->mac ? 0 : -1);
}

/*
 * Up to max messages for pid, oldest first, to cb; how many, or -1 if
 * the queue is gone.
 */
int
ws_mq_recv(int qid, pid_t pid, int max,
    void (*cb)(const char *, size_t, void *), void *arg)
{
	struct {
		long	mtype;
		char	mtext[sizeof(struct ws_mq_head) + INJ_TEXT_MAX];
	}		m;
	ssize_t		n;
	int		count = 0;

	while (count < max) {
		n = msgrcv(qid, &m, sizeof(m.mtext), pid,
		    IPC_NOWAIT | MSG_NOERROR);
		if (n >= 0) {
			cb(m.mtext, (size_t)n, arg);
			count++;
		} else if (errno == ENOMSG || errno == EAGAIN)
			return (count);
		else if (errno != EINTR)
			return (-1);
	}
	return (count);
}
