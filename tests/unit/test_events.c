/* events.c: notify line formatting. */
#include "unit.h"

static void
test_format(void **state)
{
	char	buf[64];

	(void)state;
	assert_int_equal(events_format(buf, sizeof(buf), EV_F, 3, NULL), 4);
	assert_string_equal(buf, "F 3\n");
	events_format(buf, sizeof(buf), EV_Z, 0, NULL);
	assert_string_equal(buf, "Z\n");
	events_format(buf, sizeof(buf), EV_S, 2, "scan Q1");
	assert_string_equal(buf, "S 2 scan Q1\n");
	events_format(buf, sizeof(buf), EV_M, 5, "user dave");
	assert_string_equal(buf, "M 5 user dave\n");
	/* Too long: cut, but always LF-terminated. */
	assert_int_equal(events_format(buf, 8, EV_S, 1, "abcdefghij"), 7);
	assert_string_equal(buf, "S 1 ab\n");
	assert_int_equal(events_format(buf, 2, EV_F, 1, NULL), 1);
	assert_string_equal(buf, "\n");
	assert_int_equal(events_format(buf, 1, EV_F, 1, NULL), 0);
	assert_string_equal(buf, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
