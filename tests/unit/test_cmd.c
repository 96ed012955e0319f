/* cmd.c: every command's exact reply from a known state. */
#include "unit.h"

static struct stats		st;
static struct cmd_worker	w[3];
static uint64_t			histo[3] = { 7, 2, 0 };
static struct cmd_view		v;

static int
setup(void **state)
{
	(void)state;
	memset(w, 0, sizeof(w));
	stats_init(&st, 1000);
	stats_add(&st, 1100, WS_CMD_SCAN, 4, 6, 100);
	stats_add(&st, 1050, WS_CMD_SCAN, 2, 2, 20);
	stats_activation(&st, 1099);
	w[0] = (struct cmd_worker){ WS_BUSY, 101, WS_CMD_SCAN, WS_CMD_SCAN,
	    3, 50, 40, 12, 5, "scan Q1", 1, "-", "-", "-", "", 0, 0 };
	w[1] = (struct cmd_worker){ WS_IDLE, 102, WS_CMD_NONE,
	    WS_CMD_RELAYOK, 9, 60, -1, 0, 0, "", 0, "-", "-", "-", "", 0, 0 };
	w[2] = (struct cmd_worker){ WS_STOPPED, 0, WS_CMD_NONE, WS_CMD_NONE,
	    100, -1, -1, 0, 0, "", 0, "-", "-", "-", "", 0, 0 };
	memset(&v, 0, sizeof(v));
	v.nslots = 3;
	v.w = w;
	v.histo = histo;
	v.stats = &st;
	v.now = 1100;
	v.nfree = 2;
	v.msgs = 6;
	v.activations = 2;
	v.queue_size = 8;
	v.nqueued = 1;
	v.uptime = 100;
	v.version = "9.9.9";
	return (0);
}

static char *
ask(const char *line, int priv, int *rv)
{
	static struct cmd_buf	b;

	cmd_buf_free(&b);
	*rv = cmd_answer(line, strlen(line), priv, &v, &b);
	return ((char *)buf_str(&b));
}

static void
expect(const char *line, const char *reply)
{
	int	rv;

	assert_string_equal(ask(line, 1, &rv), reply);
	assert_int_equal(rv, CMD_REPLY);
}

static void
test_simple(void **state)
{
	(void)state;
	expect("free", "2\n");
	expect("msgs", "6\n");
	expect("version", "9.9.9");
	expect("status", "BIS 6 2 8 1 100\n");
	expect("tick", "error: External agents may not invoke 'tick'\n");
	expect("foo_no_such_command", "error: Unknown command\n");
}

static void
test_workers(void **state)
{
	(void)state;
	expect("workers", "0 B 101 scan last=scan ago=3 (scan Q1)\n"
	    "1 I 102 last=relayok ago=9\n2 S ago=100\n");
	expect("slaves", "0 B 101 scan last=scan ago=3 (scan Q1)\n"
	    "1 I 102 last=relayok ago=9\n2 S ago=100\n");
	expect("busyworkers", "0 B 101 scan last=scan ago=3 (scan Q1)\n");
	expect("workerinfo 0", "Worker 0\nState Busy\nPID 101\n"
	    "NumRequests 12\nNumScans 5\nAge 50\nFirstReqAge 40\n"
	    "LastStateChangeAge 3\nStatusTag scan Q1\n");
	expect("slaveinfo 2", "Worker 2\nState Stopped\nPID -1\n"
	    "NumRequests 0\nNumScans 0\nAge -1\nFirstReqAge -1\n"
	    "LastStateChangeAge 100\nStatusTag \n");
	expect("workerinfo  1", "Worker 1\nState Idle\nPID 102\n"
	    "NumRequests 0\nNumScans 0\nAge 60\nFirstReqAge -1\n"
	    "LastStateChangeAge 9\nStatusTag \n");
	expect("workerinfo x", "error: Invalid worker number\n");
	expect("workerinfo 3", "error: Worker number out of range\n");
	expect("workerinfo -1", "error: Worker number out of range\n");
	expect("workerinfo 4294967297", "error: Worker number out of range\n");
}

static void
test_load(void **state)
{
	(void)state;
	/* 10 s: 4 scans, busy 6, 100 ms; 1 min adds 2 scans, busy 2, 20 ms. */
	expect("load", "4 6 6 6 1.500000 1.333333 1.333333 1.333333 "
	    "25.000000 20.000000 20.000000 20.000000 1 1 1 1 0 0 0 0 "
	    "1 1 1 0 6 2 8 1 100\n");
	expect("load-relayok", "0 0 0 0 1.000000 1.000000 1.000000 1.000000 "
	    "0.000000 0.000000 0.000000 0.000000 0 0 0 0 0 0 0 0 "
	    "1 1 1 0 6 2 8 1 100\n");
	expect("load1 60", "6 1.333333 20.000000 0 0.000000 0.000000 "
	    "0 0.000000 0.000000 0 0.000000 0.000000 1 1 1 0 6 2 8 1 100 60 "
	    "1 0 0 0\n");
	expect("load1 10", "4 1.500000 25.000000 0 0.000000 0.000000 "
	    "0 0.000000 0.000000 0 0.000000 0.000000 1 1 1 0 6 2 8 1 100 10 "
	    "1 0 0 0\n");
	expect("load1 9", "error: Invalid 'back' amount (must be 10-600)\n");
	expect("load1 abc", "error: Invalid 'back' amount (must be 10-600)\n");
	expect("load1  x", "error: Invalid 'back' amount (must be 10-600)\n");
	expect("load1 99999999999999999999",
	    "error: Invalid 'back' amount (must be 10-600)\n");
	expect("hload", "6 6 6 6 1.333333 1.333333 1.333333 1.333333 "
	    "20.000000 20.000000 20.000000 20.000000 50 50 50 50\n");
	/* The span of the kind's own requests: none, 0 (as MIMEDefang). */
	expect("hload-senderok", "0 0 0 0 0.000000 0.000000 0.000000 "
	    "0.000000 0.000000 0.000000 0.000000 0.000000 0 0 0 0\n");
	expect("histo", "   1 7\n   2 2\n   3 0\n");
}

/* The line comes with its length: nothing past it may be read. */
static void
test_unterminated(void **state)
{
	struct cmd_buf	b = CMD_BUF_INIT;
	char		line[8];

	(void)state;
	memcpy(line, "load1 10", 8);	/* no NUL */
	assert_int_equal(cmd_answer(line, 8, 1, &v, &b), CMD_REPLY);
	assert_non_null(strstr(buf_str(&b), " 100 10 1 0 0 0\n"));
	cmd_buf_free(&b);
	memcpy(line, "load1 6", 7);	/* "load1 6" then a stray '9' */
	line[7] = '9';
	assert_int_equal(cmd_answer(line, 7, 1, &v, &b), CMD_REPLY);
	assert_string_equal(buf_str(&b),
	    "error: Invalid 'back' amount (must be 10-600)\n");
	cmd_buf_free(&b);
}

static void
test_priv(void **state)
{
	int	rv;

	(void)state;
	assert_string_equal(ask("scan Q /tmp", 1, &rv), "");
	assert_int_equal(rv, CMD_WORKER);
	assert_string_equal(ask("reread", 1, &rv), "");
	assert_int_equal(rv, CMD_REREAD);
	assert_string_equal(ask("reread", 0, &rv), "error: Attempt to use "
	    "privileged command on unprivileged socket\n");
	assert_int_equal(rv, CMD_REPLY);
	assert_string_equal(ask("scan Q /tmp", 0, &rv), "error: Attempt to "
	    "use privileged command on unprivileged socket\n");
	assert_string_equal(ask("free", 0, &rv), "2\n");
	/* Near misses are requests, not commands. */
	assert_int_equal(cmd_is_mux("free ", 5), 0);
	assert_int_equal(cmd_is_mux("fre", 3), 0);
	assert_int_equal(cmd_is_mux("load1", 5), 0);
	assert_int_equal(cmd_is_mux("load1 5", 7), 1);
	assert_int_equal(cmd_is_mux("workerinfo ", 11), 0);
	assert_int_equal(cmd_is_mux("FREE", 4), 0);
	/* One naming of states, MIMEDefang's: no starting, no retiring. */
	assert_int_equal(slot_state_char(WS_RETIRING), 'K');
	assert_int_equal(slot_state_char(WS_STARTING), 'I');
	assert_string_equal(slot_state_name(WS_STARTING), "Idle");
	assert_string_equal(slot_state_name(WS_STOPPED), "Stopped");
	assert_string_equal(slot_state_name(WS_BUSY), "Busy");
	assert_string_equal(slot_state_name(WS_KILLED), "Killed");
}

/* Built replies: moved without a copy; a lost byte marks them cut. */
static void
test_buf(void **state)
{
	struct cmd_buf	 a = CMD_BUF_INIT, b = CMD_BUF_INIT;
	size_t		 len = 9;

	(void)state;
	assert_string_equal(cmd_buf_data(&a, &len), "");
	assert_int_equal(len, 0);
	cmd_printf(&a, "x%d\n", 1);
	cmd_printf(&b, "%s\n", "y");
	cmd_buf_move(&a, &b);
	assert_int_equal(cmd_buf_len(&b), 0);
	assert_int_equal(cmd_buf_len(&a), 5);
	assert_string_equal(buf_str(&a), "x1\ny\n");
	cmd_buf_move(&a, &b);		/* empty: nothing changes */
	assert_false(a.lost);
	b.lost = 1;
	cmd_buf_move(&a, &b);
	assert_true(a.lost);
	assert_false(b.lost);
	assert_null(cmd_buf_data(&a, &len));
	cmd_printf(&a, "more\n");	/* stays cut */
	assert_true(a.lost);
	cmd_buf_free(&a);
	assert_false(a.lost);
	assert_int_equal(cmd_buf_len(&a), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf),
		cmocka_unit_test_setup(test_simple, setup),
		cmocka_unit_test_setup(test_workers, setup),
		cmocka_unit_test_setup(test_load, setup),
		cmocka_unit_test_setup(test_priv, setup),
		cmocka_unit_test_setup(test_unterminated, setup),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
