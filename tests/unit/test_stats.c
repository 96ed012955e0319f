/* stats.c: second and hour buckets, windows. */
#include "unit.h"

static struct stats	st;

static void
test_window(void **state)
{
	struct stats_sum	s;

	(void)state;
	stats_init(&st, 10000);
	stats_add(&st, 10000, WS_CMD_SCAN, 2, 4, 30);
	stats_add(&st, 10005, WS_CMD_SCAN, 1, 1, 10);
	stats_add(&st, 10005, WS_CMD_RELAYOK, 7, 7, 7);
	stats_activation(&st, 10005);
	stats_reap(&st, 10001);
	stats_window(&st, WS_CMD_SCAN, 10005, 10, &s);
	assert_int_equal(s.msgs, 3);
	assert_int_equal(s.busy, 5);
	assert_int_equal(s.ms, 40);
	assert_int_equal(s.act, 1);
	assert_int_equal(s.reap, 1);
	stats_window(&st, WS_CMD_SCAN, 10005, 5, &s);
	assert_int_equal(s.msgs, 1);
	stats_window(&st, WS_CMD_RELAYOK, 10005, 10, &s);
	assert_int_equal(s.msgs, 7);
	assert_int_equal(s.act, 0);	/* shown with scans only */
	/* (10004, 10604] holds second 10005 but not 10000; at 10605 neither. */
	stats_window(&st, WS_CMD_SCAN, 10604, 600, &s);
	assert_int_equal(s.msgs, 1);
	stats_window(&st, WS_CMD_SCAN, 10605, 600, &s);
	assert_int_equal(s.msgs, 0);
	stats_add(&st, 10600, WS_CMD_SCAN, 5, 5, 5);	/* reuses slot 10000 */
	stats_window(&st, WS_CMD_SCAN, 10600, 600, &s);
	assert_int_equal(s.msgs, 6);
	stats_add(&st, 10600, 9, 1, 1, 1);		/* bad kind: ignored */
	stats_add(&st, 10600, -1, 1, 1, 1);
}

static void
test_hourly(void **state)
{
	struct stats_sum	s;
	int64_t			t0 = 3600 * 100 + 1800;

	(void)state;
	stats_init(&st, t0 - 7200);
	stats_add(&st, t0, WS_CMD_SCAN, 1, 1, 1);
	stats_add(&st, t0 - 3600, WS_CMD_SCAN, 10, 10, 10);
	stats_add(&st, t0 - 5 * 3600, WS_CMD_SCAN, 100, 100, 100);
	/* secs: first to last request in the window, as MIMEDefang. */
	stats_hourly(&st, WS_CMD_SCAN, t0, 1, &s);
	assert_int_equal(s.msgs, 1);
	assert_int_equal(s.secs, 0);		/* one burst: no span */
	stats_add(&st, t0 + 100, WS_CMD_SCAN, 2, 2, 2);
	stats_hourly(&st, WS_CMD_SCAN, t0 + 100, 1, &s);
	assert_int_equal(s.msgs, 3);
	assert_int_equal(s.secs, 100);
	stats_hourly(&st, WS_CMD_SCAN, t0 + 100, 4, &s);
	assert_int_equal(s.msgs, 13);
	assert_int_equal(s.secs, 3700);
	stats_hourly(&st, WS_CMD_SCAN, t0 + 100, 24, &s);
	assert_int_equal(s.msgs, 113);
	assert_int_equal(s.secs, 5 * 3600 + 100);
	stats_hourly(&st, WS_CMD_RELAYOK, t0 + 100, 24, &s);
	assert_int_equal(s.msgs, 0);
	assert_int_equal(s.secs, 0);		/* none of that kind */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_hourly),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
