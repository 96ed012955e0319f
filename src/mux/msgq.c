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
 * a full queue (the kernel's msgmnb is 16 KiB by default).  The queue
 * is shared, so each session may have only MSGQ_SHARE messages in it
 * at a time: a session whose client sends nothing (its worker holds
 * what it took) cannot fill it for the others.  The rest waits here,
 * per session and in order, bounded per session and in all (past a
 * bound the session's oldest goes), and goes out as its worker takes
 * some (msgq_retry, from a timer).  An ended session's messages and a
 * dead worker's are purged, so they cannot reach a reused pid.  Each
 * message is sealed with a key made here at start-up (wire.h), which
 * handlers, though they share the queue's uid, never see.
 */

#include <sys/types.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/queue.h>
#include <sys/random.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mux.h"

struct msgq_wait {
	size_t			 len;
	TAILQ_ENTRY(msgq_wait)	 entry;
	char			 text[];
};

/* A session with messages waiting here, in the round of msgq_retry. */
struct msgq_sess {
	pid_t			 pid;
	int			 n;
	TAILQ_HEAD(, msgq_wait)	 wait;
	TAILQ_ENTRY(msgq_sess)	 entry;
};

static struct {
	int			 qid;
	uint8_t			 key[WS_MQ_KEY_LEN];
	TAILQ_HEAD(msgq_sess_q, msgq_sess) sess;
	struct msgq_stats	 st;
	void			(*sent)(pid_t);
	int			(*owed)(pid_t);
	int			 shared;	/* with the other mux of an upgrade */
} Q = { -1, { 0 }, TAILQ_HEAD_INITIALIZER(Q.sess), { 0 }, NULL, NULL, 0 };

/*
 * In an upgrade both muxes use the queue (each message names its worker
 * session's pid): the new one must not purge it at its start, nor
 * remove it at its exit while the old one runs, nor the old one while
 * the new one does.  Whichever is left alone removes it.
 */
void
msgq_share(int on)
{
	Q.shared = on;
}

/*
 * Told of each message that reached the queue (the pool wakes its
 * worker); and asked how many messages a session's worker has not taken
 * yet, in the queue or waiting here.
 */
void
msgq_on_sent(void (*fn)(pid_t), int (*owed)(pid_t))
{
	Q.sent = fn;
	Q.owed = owed;
}

struct msgq_buf {
	long	mtype;
	char	mtext[MSGQ_TEXT_MAX];
};

/*
 * Take queue qid (path names it in errors): ours (or also's, the -U
 * user's, left by an earlier run) and 0600, or refused rather than
 * used; emptied unless shared with the other mux of an upgrade.
 */
static int
msgq_take(int qid, const char *path, uid_t also, char *err, size_t errlen)
{
	struct msgq_buf	 m;
	struct msqid_ds	 ds;

	/*
	 * The seal's key, which handlers must not read from our memory: no
	 * ptrace or /proc/PID/mem for them (a drop from root does this too).
	 */
	if (getrandom(Q.key, sizeof(Q.key), 0) != (ssize_t)sizeof(Q.key) ||
	    prctl(PR_SET_DUMPABLE, 0) == -1) {
		snprintf(err, errlen, "MessageQueue: no key: %s",
		    strerror(errno));
		return (-1);
	}
	if (msgctl(qid, IPC_STAT, &ds) == -1) {
		snprintf(err, errlen, "MessageQueue %s: %s", path,
		    strerror(errno));
		return (-1);
	}
	if ((ds.msg_perm.uid != geteuid() && ds.msg_perm.uid != also) ||
	    (ds.msg_perm.mode & 0777) != 0600) {
		snprintf(err, errlen, "MessageQueue %s: the queue of its key "
		    "belongs to uid %u with mode %03o, not to us with 0600",
		    path, (unsigned)ds.msg_perm.uid,
		    (unsigned)(ds.msg_perm.mode & 0777));
		return (-1);
	}
	/* Left by a mux that did not exit cleanly: for pids long gone. */
	while (!Q.shared && msgrcv(qid, &m, sizeof(m.mtext), 0,
	    IPC_NOWAIT | MSG_NOERROR) >= 0)
		Q.st.purged++;
	Q.st.qbytes = (uint64_t)ds.msg_qbytes;
	return (Q.qid = qid);
}

/*
 * Open (creating) the queue named by path, whose file is created 0600
 * when missing.
 */
int
msgq_open(const char *path, uid_t also, char *err, size_t errlen)
{
	key_t	key;
	int	fd, qid;

	/* Only named here (ftok). */
	if ((fd = recfile_open("MessageQueue", path, O_WRONLY | O_CREAT |
	    O_NOFOLLOW, 0600, err, errlen)) == -1)
		return (-1);
	close(fd);
	if ((key = ftok(path, 'm')) == -1 ||
	    (qid = msgget(key, IPC_CREAT | 0600)) == -1) {
		snprintf(err, errlen, "MessageQueue %s: %s", path,
		    strerror(errno));
		return (-1);
	}
	return (msgq_take(qid, path, also, err, errlen));
}

/*
 * An upgrade: the old mux's queue, by its id (its file may be root's,
 * and we are -U's user by now), shared until one of the two exits.
 */
int
msgq_adopt(int qid, const char *path, char *err, size_t errlen)
{
	Q.shared = 1;
	return (msgq_take(qid, path, (uid_t)-1, err, errlen));
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

/* What seals each message (wire.h); a worker session's to open them. */
const uint8_t *
msgq_key(void)
{
	return (Q.key);
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

static struct msgq_sess *
msgq_sess_find(pid_t pid)
{
	struct msgq_sess	*ms;

	TAILQ_FOREACH(ms, &Q.sess, entry)
		if (ms->pid == pid)
			return (ms);
	return (NULL);
}

/* Its messages in the kernel's queue: owed, less what waits here. */
static int
msgq_inflight(pid_t pid, const struct msgq_sess *ms)
{
	int	owed = Q.owed != NULL ? Q.owed(pid) : 0;

	return (owed - (ms != NULL ? ms->n : 0));
}

static void
msgq_wait_free(struct msgq_sess *ms, struct msgq_wait *w)
{
	TAILQ_REMOVE(&ms->wait, w, entry);
	ms->n--;
	Q.st.waiting--;
	free(w);
	if (ms->n == 0) {
		TAILQ_REMOVE(&Q.sess, ms, entry);
		free(ms);
	}
}

/* Wait here, after the session's others; its oldest goes past a bound. */
static int
msgq_wait(pid_t pid, struct msgq_sess *ms, const char *text, size_t len)
{
	struct msgq_wait	*w;
	int			 rv = MSGQ_WAITING;

	if (ms != NULL && (ms->n >= MSGQ_SESS_WAIT ||
	    Q.st.waiting >= MSGQ_WAIT_MAX)) {
		msgq_wait_free(ms, TAILQ_FIRST(&ms->wait));
		rv = MSGQ_DROPPED;
		ms = msgq_sess_find(pid);
	} else if (Q.st.waiting >= MSGQ_WAIT_MAX)
		goto fail;
	if ((w = malloc(sizeof(*w) + len)) == NULL)
		goto fail;
	if (ms == NULL) {
		if ((ms = calloc(1, sizeof(*ms))) == NULL) {
			free(w);
			goto fail;
		}
		ms->pid = pid;
		TAILQ_INIT(&ms->wait);
		TAILQ_INSERT_TAIL(&Q.sess, ms, entry);
	}
	w->len = len;
	memcpy(w->text, text, len);
	TAILQ_INSERT_TAIL(&ms->wait, w, entry);
	ms->n++;
	Q.st.waiting++;
	Q.st.queued_full++;
	return (rv);
fail:
	Q.st.failed++;
	return (-1);
}

/*
 * Send one message to the session of worker pid, counted in its owed
 * already.  MSGQ_SENT; MSGQ_WAITING when it waits here for room or for
 * its turn; MSGQ_DROPPED when it waits and the session's oldest waiting
 * message made room for it; -1 (queue gone, no memory, all bounds full).
 */
int
msgq_send(pid_t pid, const char *text, size_t len)
{
	struct msgq_sess	*ms;

	if (Q.qid == -1 || pid <= 0)
		return (-1);
	if (len > MSGQ_TEXT_MAX)
		len = MSGQ_TEXT_MAX;
	ms = msgq_sess_find(pid);
	/* In order behind its own, and within its share. */
	if (ms == NULL && msgq_inflight(pid, NULL) - 1 < MSGQ_SHARE) {
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
	return (msgq_wait(pid, ms, text, len));
}

/*
 * Send what waits, each session in turn, as far as its share allows,
 * until the queue is full.  The session served first goes last next
 * time: a full queue favours nobody.
 */
int
msgq_retry(void)
{
	struct msgq_sess	*ms, *next, *last = TAILQ_LAST(&Q.sess,
				    msgq_sess_q);
	struct msgq_wait	*w;
	pid_t			 pid;
	int			 n = 0, full = 0;

	for (ms = TAILQ_FIRST(&Q.sess); ms != NULL && !full; ms = next) {
		next = ms == last ? NULL : TAILQ_NEXT(ms, entry);
		pid = ms->pid;
		TAILQ_REMOVE(&Q.sess, ms, entry);	/* to the round's end */
		TAILQ_INSERT_TAIL(&Q.sess, ms, entry);
		while (ms != NULL && msgq_inflight(pid, ms) < MSGQ_SHARE) {
			w = TAILQ_FIRST(&ms->wait);
			if (msgq_put(pid, w->text, w->len) == -1) {
				if (errno == EAGAIN) {
					full = 1;
					break;
				}
				Q.st.failed++;	/* the queue is gone */
			} else {
				Q.st.sent++;
				n++;
				if (Q.sent != NULL)
					Q.sent(pid);
			}
			msgq_wait_free(ms, w);
			ms = msgq_sess_find(pid);
		}
	}
	return (n);
}

/*
 * A session ended, or its worker died: its messages, in the queue or
 * waiting here, go nowhere.  How many there were.
 */
int
msgq_purge(pid_t pid)
{
	struct msgq_sess	*ms;
	struct msgq_buf		 m;
	int			 n = 0;

	if (Q.qid == -1 || pid <= 0)
		return (0);
	while (msgrcv(Q.qid, &m, sizeof(m.mtext), pid,
	    IPC_NOWAIT | MSG_NOERROR) >= 0)
		n++;
	while ((ms = msgq_sess_find(pid)) != NULL) {
		msgq_wait_free(ms, TAILQ_FIRST(&ms->wait));
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
	struct msgq_sess	*ms;

	while ((ms = TAILQ_FIRST(&Q.sess)) != NULL)
		msgq_wait_free(ms, TAILQ_FIRST(&ms->wait));
	if (Q.qid != -1 && !Q.shared && msgctl(Q.qid, IPC_RMID, NULL) == -1 &&
	    errno != EINVAL && errno != EIDRM)
		log_warn("MessageQueue: removing queue %d", Q.qid);
	Q.qid = -1;
}
