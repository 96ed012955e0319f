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
 * The SysV message queue of MessageEngine (DESIGN §5), the sending
 * side.  The mux owns the queue: made 0600 from MessageQueue's path
 * with ftok(3), removed on exit.  One message per target session, mtype
 * = the worker session's pid.  The mux never blocks and never spins on
 * a full queue (the kernel's msgmnb is 16 KiB by default): what does
 * not fit waits here, in order, bounded, and goes out when the workers
 * have drained some (msgq_retry, from a timer and after each receive).
 * A dead worker's messages are purged so they cannot reach a reused
 * pid.
 */

#include <sys/types.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mux.h"

struct msgq_wait {
	pid_t			 pid;
	size_t			 len;
	TAILQ_ENTRY(msgq_wait)	 entry;
	char			 text[];
};

static struct {
	int			 qid;
	TAILQ_HEAD(, msgq_wait)	 wait;
	struct msgq_stats	 st;
	void			(*sent)(pid_t);
} Q = { -1, TAILQ_HEAD_INITIALIZER(Q.wait), { 0 }, NULL };

/* Told of each message that reached the queue: the pool wakes its worker. */
void
msgq_on_sent(void (*fn)(pid_t))
{
	Q.sent = fn;
}

struct msgq_buf {
	long	mtype;
	char	mtext[MSGQ_TEXT_MAX];
};

/*
 * Open (creating) the queue named by path.  The file is created 0600
 * when missing; a queue of that key that is not ours (or also's, the
 * -U user's, left by an earlier run), or not 0600, is refused rather
 * than used.
 */
int
msgq_open(const char *path, uid_t also, char *err, size_t errlen)
{
	struct msgq_buf	 m;
	struct msqid_ds	 ds;
	key_t		 key;
	int		 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1) {
		snprintf(err, errlen, "MessageQueue %s: %s", path,
		    strerror(errno));
		return (-1);
	}
	close(fd);
	if ((key = ftok(path, 'm')) == -1 ||
	    (Q.qid = msgget(key, IPC_CREAT | 0600)) == -1 ||
	    msgctl(Q.qid, IPC_STAT, &ds) == -1) {
		snprintf(err, errlen, "MessageQueue %s: %s", path,
		    strerror(errno));
		Q.qid = -1;
		return (-1);
	}
	if ((ds.msg_perm.uid != geteuid() && ds.msg_perm.uid != also) ||
	    (ds.msg_perm.mode & 0777) != 0600) {
		snprintf(err, errlen, "MessageQueue %s: the queue of its key "
		    "belongs to uid %u with mode %03o, not to us with 0600",
		    path, (unsigned)ds.msg_perm.uid,
		    (unsigned)(ds.msg_perm.mode & 0777));
		Q.qid = -1;
		return (-1);
	}
	/* Left by a mux that did not exit cleanly: for pids long gone. */
	while (msgrcv(Q.qid, &m, sizeof(m.mtext), 0,
	    IPC_NOWAIT | MSG_NOERROR) >= 0)
		Q.st.purged++;
	Q.st.qbytes = (uint64_t)ds.msg_qbytes;
	return (Q.qid);
}

/* Give the queue to the user the mux will run as. */
int
msgq_owner(uid_t uid, gid_t gid, char *err, size_t errlen)
{
	struct msqid_ds	ds;

	if (msgctl(Q.qid, IPC_STAT, &ds) == -1)
		goto fail;
	ds.msg_perm.uid = uid;
	ds.msg_perm.gid = gid;
	if (msgctl(Q.qid, IPC_SET, &ds) == -1)
		goto fail;
	return (0);
fail:
	snprintf(err, errlen, "MessageQueue: cannot give the queue to uid "
	    "%u: %s", (unsigned)uid, strerror(errno));
	return (-1);
}

int
msgq_id(void)
{
	return (Q.qid);
}

static int
msgq_put(pid_t pid, const char *text, size_t len)
{
	struct msgq_buf	m;

	m.mtype = pid;
	memcpy(m.mtext, text, len);
	while (msgsnd(Q.qid, &m, len, IPC_NOWAIT) == -1) {
		if (errno != EINTR)
			return (-1);
	}
	return (0);
}

/*
 * Send one message to the session of worker pid.  MSGQ_SENT, or
 * MSGQ_WAITING when the queue is full and it waits here, or -1 (queue
 * gone, too many waiting).
 */
int
msgq_send(pid_t pid, const char *text, size_t len)
{
	struct msgq_wait	*w;

	if (Q.qid == -1 || pid <= 0)
		return (-1);
	if (len > MSGQ_TEXT_MAX)
		len = MSGQ_TEXT_MAX;
	if (TAILQ_EMPTY(&Q.wait)) {	/* keep the order of the waiting */
		if (msgq_put(pid, text, len) == 0) {
			Q.st.sent++;
			if (Q.sent != NULL)
				Q.sent(pid);
			return (MSGQ_SENT);
		}
		if (errno != EAGAIN) {
			Q.st.failed++;
			return (-1);
		}
	}
	if (Q.st.waiting >= MSGQ_WAIT_MAX ||
	    (w = malloc(sizeof(*w) + len)) == NULL) {
		Q.st.failed++;
		return (-1);
	}
	w->pid = pid;
	w->len = len;
	memcpy(w->text, text, len);
	TAILQ_INSERT_TAIL(&Q.wait, w, entry);
	Q.st.waiting++;
	Q.st.queued_full++;
	return (MSGQ_WAITING);
}

/* Send what waits, in order, until the queue is full again. */
int
msgq_retry(void)
{
	struct msgq_wait	*w;
	int			 n = 0;

	while ((w = TAILQ_FIRST(&Q.wait)) != NULL) {
		if (msgq_put(w->pid, w->text, w->len) == -1) {
			if (errno == EAGAIN)
				break;
			Q.st.failed++;	/* the queue is gone */
		} else {
			Q.st.sent++;
			n++;
			if (Q.sent != NULL)
				Q.sent(w->pid);
		}
		TAILQ_REMOVE(&Q.wait, w, entry);
		Q.st.waiting--;
		free(w);
	}
	return (n);
}

/* A worker died: its messages, queued or waiting, go nowhere. */
int
msgq_purge(pid_t pid)
{
	struct msgq_wait	*w, *next;
	struct msgq_buf		 m;
	int			 n = 0;

	if (Q.qid == -1 || pid <= 0)
		return (0);
	while (msgrcv(Q.qid, &m, sizeof(m.mtext), pid,
	    IPC_NOWAIT | MSG_NOERROR) >= 0)
		n++;
	for (w = TAILQ_FIRST(&Q.wait); w != NULL; w = next) {
		next = TAILQ_NEXT(w, entry);
		if (w->pid != pid)
			continue;
		TAILQ_REMOVE(&Q.wait, w, entry);
		Q.st.waiting--;
		free(w);
		n++;
	}
	Q.st.purged += (uint64_t)n;
	return (n);
}

void
msgq_stats(struct msgq_stats *st)
{
	*st = Q.st;
}

/* Remove the queue (exit); what waits is dropped. */
void
msgq_close(void)
{
	struct msgq_wait	*w;

	while ((w = TAILQ_FIRST(&Q.wait)) != NULL) {
		TAILQ_REMOVE(&Q.wait, w, entry);
		free(w);
	}
	Q.st.waiting = 0;
	if (Q.qid != -1 && msgctl(Q.qid, IPC_RMID, NULL) == -1 &&
	    errno != EINVAL && errno != EIDRM)
		log_warn("MessageQueue: removing queue %d", Q.qid);
	Q.qid = -1;
}
