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
 * its pid, oldest first, never blocking.
 */

#include <sys/types.h>
#include <sys/ipc.h>
#include <sys/msg.h>

#include <errno.h>

#include "ws.h"

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
		char	mtext[INJ_TEXT_MAX + 4];	/* token, text */
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
