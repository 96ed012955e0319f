/* errlog.c: worker stderr cut into log lines. */
#include "unit.h"

static char	got[8][ERRLOG_LINE_MAX + 1];
static int	ngot;

static void
collect(struct errlog *el, const char *s, size_t n)
{
	(void)el;
	assert_true(ngot < 8);
	memcpy(got[ngot], s, n);
	got[ngot++][n] = '\0';
}

static void
feed(struct errlog *el, const char *s)
{
	errlog_feed(el, s, strlen(s), collect);
}

static void
test_lines(void **state)
{
	static struct errlog	el;

	(void)state;
	ngot = 0;
	feed(&el, "Use of uninitialized value\nsecond ");
	assert_int_equal(ngot, 1);
	assert_string_equal(got[0], "Use of uninitialized value");
	feed(&el, "half\r\n\n");
	assert_int_equal(ngot, 3);
	assert_string_equal(got[1], "second half");
	assert_string_equal(got[2], "");
	assert_int_equal(el.len, 0);
}

static void
test_control_bytes(void **state)
{
	static struct errlog	el;

	(void)state;
	ngot = 0;
	/* A CR alone or an escape cannot start a forged log line. */
	feed(&el, "a\rWorker 9 stderr: forged\x1b[0m\tx\x7f\n");
	assert_int_equal(ngot, 1);
	assert_string_equal(got[0], "a?Worker 9 stderr: forged?[0m x?");
}

static void
test_long_line(void **state)
{
	static struct errlog	el;
	char			big[ERRLOG_LINE_MAX * 2 + 10];

	(void)state;
	ngot = 0;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	feed(&el, big);
	assert_int_equal(ngot, 2);
	assert_int_equal(strlen(got[0]), ERRLOG_LINE_MAX);
	assert_int_equal(strlen(got[1]), ERRLOG_LINE_MAX);
	assert_int_equal(el.len, 9);
	feed(&el, "\n");
	assert_int_equal(ngot, 3);
	assert_string_equal(got[2], "xxxxxxxxx");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_control_bytes),
		cmocka_unit_test(test_long_line),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
