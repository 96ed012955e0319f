/* wline.c: the worker side's one line framing. */
#include "unit.h"

static void
test_next(void **state)
{
	size_t	text = 99, seen = 0;

	(void)state;
	assert_int_equal(wl_next("abc\ndef\n", 8, NULL, &text), 4);
	assert_int_equal(text, 3);
	assert_int_equal(wl_next("abc\r\n", 5, NULL, &text), 5);
	assert_int_equal(text, 3);
	/* Only the CR before the LF goes. */
	assert_int_equal(wl_next("a\r\r\n", 4, NULL, &text), 4);
	assert_int_equal(text, 2);
	assert_int_equal(wl_next("\n", 1, NULL, &text), 1);
	assert_int_equal(text, 0);
	assert_int_equal(wl_next("\r\n", 2, NULL, &text), 2);
	assert_int_equal(text, 0);
	text = 99;
	assert_int_equal(wl_next("abc", 3, NULL, &text), 0);
	assert_int_equal(text, 99);	/* untouched without a line */
	assert_int_equal(wl_next("", 0, NULL, &text), 0);
	/* The length bounds the look: a LF past it is not seen. */
	assert_int_equal(wl_next("ab\n", 2, NULL, &text), 0);
	/* In pieces: seen carries over, and is reset by a line. */
	assert_int_equal(wl_next("abc\r", 4, &seen, &text), 0);
	assert_int_equal(seen, 4);
	assert_int_equal(wl_next("abc\r\n", 5, &seen, &text), 5);
	assert_int_equal(text, 3);	/* the CR came in the last piece */
	assert_int_equal(seen, 0);
	seen = 10;			/* past len: looked at from 0 */
	assert_int_equal(wl_next("x\n", 2, &seen, &text), 2);
}

static void
test_text(void **state)
{
	(void)state;
	assert_int_equal(wl_text("abc\r", 4), 3);
	assert_int_equal(wl_text("abc", 3), 3);
	assert_int_equal(wl_text("\r", 1), 0);
	assert_int_equal(wl_text("", 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_text),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
