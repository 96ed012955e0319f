/*
 * msgq.c and mq.c against a real SysV queue the test makes (and
 * removes): order, mtype per pid, a full queue that never blocks,
 * retry, purge, the refusal of a queue that is not 0600, removal.
 */
#include <sys/ipc.h>
#include <sys/msg.h>

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "unit.h"

static char	path[64];
static char	got[64][INJ_TEXT_MAX + 1];
static int	ngot;

static void
take(const char *text, size_t len, void *arg)
{
	(void)arg;
	if (ngot < 64) {
		memcpy(got[ngot], text, len);
		got[ngot][len] = '\0';
	}
	ngot++;
}

static int
setup(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "/tmp/mux-test-msgq.%ld", (long)getpid());
	return (0);
}

static int
teardown(void **state)
{
	(void)state;
	msgq_close();
	unlink(path);
	return (0);
}

static void
test_order(void **state)
{
	char	err[256];
	int	qid;

	(void)state;
	assert_true((qid = msgq_open(path, (uid_t)-1, err, sizeof(err))) >= 0);
	assert_int_equal(msgq_send(4242, "first", 5), MSGQ_SENT);
	assert_int_equal(msgq_send(4343, "other", 5), MSGQ_SENT);
	assert_int_equal(msgq_send(4242, "second", 6), MSGQ_SENT);
	ngot = 0;
	assert_int_equal(ws_mq_recv(qid, 4242, 1000, take, NULL), 2);
	assert_string_equal(got[0], "first");
	assert_string_equal(got[1], "second");
	assert_int_equal(ws_mq_recv(qid, 4242, 1000, take, NULL), 0);
	assert_int_equal(msgq_purge(4343), 1);		/* the dead worker's */
	assert_int_equal(ws_mq_recv(qid, 4343, 1000, take, NULL), 0);
	msgq_close();
	/* Removed: the id is no longer a queue. */
	assert_int_equal(msgctl(qid, IPC_STAT, &(struct msqid_ds){ 0 }), -1);
}

static void
test_full(void **state)
{
	char			 err[256], text[1000];
	struct msgq_stats	 st, st0;
	int			 qid, i, sent = 0, waiting = 0, r;

	(void)state;
	assert_true((qid = msgq_open(path, (uid_t)-1, err, sizeof(err))) >= 0);
	msgq_stats(&st0);
	memset(text, 'x', sizeof(text));
	/* 40 kB into a 16 kB queue: no call blocks, nothing is lost. */
	for (i = 0; i < 40; i++) {
		snprintf(text, sizeof(text), "%02d", i);
		text[2] = 'x';
		r = msgq_send(777, text, sizeof(text));
		assert_true(r == MSGQ_SENT || r == MSGQ_WAITING);
		if (r == MSGQ_SENT)
			sent++;
		else
			waiting++;
	}
	msgq_stats(&st);
	assert_true(waiting > 0);
	assert_int_equal(st.waiting, waiting);
	assert_true(st.qbytes > 0);
	print_message("queue of %llu bytes: %d sent, %d waiting\n",
	    (unsigned long long)st.qbytes, sent, waiting);
	ngot = 0;
	while (ngot < 40) {
		r = ws_mq_recv(qid, 777, 1000, take, NULL);
		assert_true(r >= 0);
		(void)msgq_retry();
		if (r == 0 && msgq_retry() == 0)
			break;
	}
	assert_int_equal(ngot, 40);
	for (i = 0; i < 40; i++) {
		snprintf(text, 3, "%02d", i);
		assert_memory_equal(got[i], text, 2);	/* in order */
	}
	msgq_stats(&st);
	assert_int_equal(st.waiting, 0);
	assert_int_equal(st.sent - st0.sent, 40);
	/* Waiting messages of a dead worker are purged too. */
	for (i = 0; i < 40; i++)
		(void)msgq_send(888, text, sizeof(text));
	assert_int_equal(msgq_purge(888), 40);
	msgq_stats(&st);
	assert_int_equal(st.waiting, 0);
}

static void
test_refuse(void **state)
{
	char	err[256];
	int	qid;
	key_t	key;

	(void)state;
	/* A queue of that key with the wrong mode is not used. */
	fclose(fopen(path, "w"));
	key = ftok(path, 'm');
	assert_true((qid = msgget(key, IPC_CREAT | 0666)) >= 0);
	assert_int_equal(msgq_open(path, (uid_t)-1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "mode 666, not to us with 0600"));
	msgctl(qid, IPC_RMID, NULL);
	assert_int_equal(msgq_open("/nonexistent/dir/q", (uid_t)-1, err,
	    sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "No such file or directory"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse, setup, teardown),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
