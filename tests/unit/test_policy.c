/* policy.c: the sticky pick, jitter, back-off, idle reaping. */
#include "unit.h"

static void
test_pick(void **state)
{
	struct policy_idle	w[4] = {
		{ .state = WS_IDLE, .last = WS_CMD_SCAN, .asleep = 1,
		    .activated = 7 },
		{ .state = WS_BUSY, .last = WS_CMD_SCAN, .activated = 1 },
		{ .state = WS_IDLE, .last = WS_CMD_SCAN, .asleep = 1,
		    .activated = 3 },
		{ .state = WS_STOPPED, .last = WS_CMD_NONE, .activated = 9 },
	};

	(void)state;
	/* All fit: the one started first. */
	assert_int_equal(policy_pick_idle(w, 4, WS_CMD_SCAN), 2);
	/* None fits: the one started first all the same. */
	assert_int_equal(policy_pick_idle(w, 4, WS_CMD_RELAYOK), 2);
	/* The one that last ran it wins over an older one. */
	w[0].last = WS_CMD_RELAYOK;
	assert_int_equal(policy_pick_idle(w, 4, WS_CMD_RELAYOK), 0);
	assert_int_equal(policy_pick_idle(w, 4, WS_CMD_SCAN), 2);
	/* An unused worker fits any kind, and only it fits map or tick. */
	w[0].last = WS_CMD_NONE;
	assert_int_equal(policy_pick_idle(w, 4, WS_CMD_OTHER), 0);
	assert_int_equal(policy_pick_idle(w, 4, WS_CMD_RECIPOK), 0);
	/* Among those that fit, one awake goes before an older sleeper, */
	w[0].last = WS_CMD_SCAN;
	w[0].asleep = 0;
	assert_int_equal(policy_pick_idle(w, 4, WS_CMD_SCAN), 0);
	/* but not before one that fits. */
	w[0].last = WS_CMD_RELAYOK;
	assert_int_equal(policy_pick_idle(w, 4, WS_CMD_SCAN), 2);
	/* One reading a client of its own comes after all the others, */
	w[2].reading = 1;
	assert_int_equal(policy_pick_idle(w, 4, WS_CMD_SCAN), 0);
	/* and is still picked when it is the only one idle. */
	w[0].state = WS_BUSY;
	assert_int_equal(policy_pick_idle(w, 4, WS_CMD_SCAN), 2);
	w[0].state = WS_IDLE;
	w[2].reading = 0;
	/* A stopped or busy slot is never picked. */
	w[2].state = WS_BUSY;
	assert_int_equal(policy_pick_idle(w, 4, WS_CMD_SCAN), 0);
	w[0].state = WS_RETIRING;
	assert_int_equal(policy_pick_idle(w, 4, WS_CMD_SCAN), -1);
}

static void
test_jitter(void **state)
{
	uint32_t	r, lo = 1000, hi = 0, v;

	(void)state;
	for (r = 0; r < 5000; r++) {
		v = policy_jitter(500, r * 2654435761u);
		if (v < lo)
			lo = v;
		if (v > hi)
			hi = v;
	}
	assert_int_equal(lo, 450);
	assert_int_equal(hi, 550);
	assert_int_equal(policy_jitter(3, 12345), 3);
	assert_int_equal(policy_jitter(1, 7), 1);
	assert_in_range(policy_jitter(10, 0), 9, 11);
}

static void
test_backoff(void **state)
{
	(void)state;
	assert_int_equal(policy_backoff(0, 60), 1);
	assert_int_equal(policy_backoff(1, 60), 2);
	assert_int_equal(policy_backoff(16, 60), 32);
	assert_int_equal(policy_backoff(32, 60), 60);
	assert_int_equal(policy_backoff(60, 60), 60);
}

static void
test_reap(void **state)
{
	int	st[5] = { WS_IDLE, WS_IDLE, WS_BUSY, WS_IDLE, WS_STOPPED };
	int64_t	ch[5] = { 1000, 900, 0, 990, 0 };
	int	out[5], n;

	(void)state;
	/* now 1000, timeout 5: slots 1 and 3 are past it; 0 is not. */
	n = policy_reap_idle(st, ch, 5, 1, 1000, 5, out);
	assert_int_equal(n, 2);
	assert_int_equal(out[0], 1);	/* the longest idle first */
	assert_int_equal(out[1], 3);
	/* Never below min: 4 alive, min 3, only one may go. */
	n = policy_reap_idle(st, ch, 5, 3, 1000, 5, out);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 1);
	n = policy_reap_idle(st, ch, 5, 4, 1000, 5, out);
	assert_int_equal(n, 0);
	/* Retiring workers do not count as alive. */
	st[0] = WS_RETIRING;
	n = policy_reap_idle(st, ch, 5, 2, 1000, 5, out);
	assert_int_equal(n, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pick),
		cmocka_unit_test(test_jitter),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_reap),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
