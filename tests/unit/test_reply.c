/* reply.c: where a pool handler's reply ends. */
#include "unit.h"

static ssize_t
scan(const char *s, size_t max)
{
	size_t	off = 0;

	return (reply_scan(s, strlen(s), max, &off));
}

/* The one reading of "NNN" all the worker side's framings use. */
static void
test_code(void **state)
{
	int	sep = 'x';

	(void)state;
	assert_int_equal(reply_code("250 ok", 6, &sep), 250);
	assert_int_equal(sep, ' ');
	assert_int_equal(reply_code("421-bye", 7, &sep), 421);
	assert_int_equal(sep, '-');
	assert_int_equal(reply_code("221", 3, &sep), 221);
	assert_int_equal(sep, ' ');	/* bare: a final line */
	assert_int_equal(reply_code("212\0\0", 5, &sep), 212);
	assert_int_equal(sep, 0);	/* a NUL is a byte, not the end */
	assert_int_equal(reply_code("007x", 4, &sep), 7);
	assert_int_equal(sep, 'x');
	sep = 'y';
	assert_int_equal(reply_code("25", 2, &sep), -1);
	assert_int_equal(reply_code("2a0 no", 6, &sep), -1);
	assert_int_equal(reply_code(" 250", 4, &sep), -1);
	assert_int_equal(sep, 'y');	/* untouched on no code */
	/* The length bounds the read: no NUL needed. */
	assert_int_equal(reply_code("250-", 3, &sep), 250);
	assert_int_equal(sep, ' ');
	assert_true(reply_is_cont("220-a", 5));
	assert_false(reply_is_cont("220 a", 5));
	assert_false(reply_is_cont("220", 3));
	assert_false(reply_is_cont("22-", 3));
}

static void
test_single(void **state)
{
	(void)state;
	assert_int_equal(scan("ok\n", 100), 3);
	assert_int_equal(scan("ok", 100), REPLY_MORE);
	assert_int_equal(scan("", 100), REPLY_MORE);
	assert_int_equal(scan("ok\nextra\n", 100), 3);
	assert_int_equal(scan("\n", 100), 1);
}

static void
test_multi(void **state)
{
	(void)state;
	assert_int_equal(scan("250-a\n250-b\n250 c\n", 100), 18);
	assert_int_equal(scan("250-a\n250-b\n", 100), REPLY_MORE);
	assert_int_equal(scan("250-a\n250 c\nnext\n", 100), 12);
	/* Not continuations: fewer digits, letters, no dash. */
	assert_int_equal(scan("25-a\n", 100), 5);
	assert_int_equal(scan("2x0-a\n", 100), 6);
	assert_int_equal(scan("250 a\n", 100), 6);
	assert_int_equal(scan("250-\n250\n", 100), 9);
}

static void
test_resume(void **state)
{
	char	buf[64] = "250-a\n250-b\n";
	size_t	off = 0;

	(void)state;
	assert_int_equal(reply_scan(buf, strlen(buf), 64, &off), REPLY_MORE);
	assert_int_equal(off, 12);
	strcat(buf, "250 ok\n");
	assert_int_equal(reply_scan(buf, strlen(buf), 64, &off), 19);
	assert_int_equal(off, 0);
}

static void
test_toolong(void **state)
{
	(void)state;
	assert_int_equal(scan("abcdefgh", 8), REPLY_TOOLONG);
	assert_int_equal(scan("abcdefg", 8), REPLY_MORE);
	assert_int_equal(scan("abcdefg\n", 8), 8);
	assert_int_equal(scan("250-abc\n", 8), REPLY_TOOLONG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code),
		cmocka_unit_test(test_single),
		cmocka_unit_test(test_multi),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_toolong),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
