/* inject.c: which replies take messages, and how the lines look. */
#include "unit.h"

static int
final(struct inj_state *st, const char *l)
{
	return (inj_line(st, l, strlen(l)));
}

static void
test_lines(void **state)
{
	struct inj_state	st = { 0 };

	(void)state;
	assert_int_equal(final(&st, "226 Transfer complete"), 226);
	assert_int_equal(final(&st, "200"), 200);
	/* Multi-line: only the final line with the same code ends it. */
	assert_int_equal(final(&st, "211-Features:"), 0);
	assert_int_equal(final(&st, " MDTM"), 0);
	assert_int_equal(final(&st, "250 not the end: another code"), 0);
	assert_int_equal(final(&st, "211-still going"), 0);
	assert_int_equal(final(&st, "211 End"), 211);
	assert_int_equal(st.multi, 0);
	/* Not replies. */
	assert_int_equal(final(&st, "hello"), 0);
	assert_int_equal(final(&st, "22"), 0);
	assert_int_equal(final(&st, "2260 x"), 0);
	assert_int_equal(final(&st, "600 out of range"), 0);
	assert_int_equal(final(&st, "099 out of range"), 0);
	assert_int_equal(final(&st, "150 Opening data connection"), 150);
}

static void
test_eligible(void **state)
{
	const char	*skip = INJ_SKIP_DEFAULT;

	(void)state;
	assert_true(inj_eligible(226, "LIST", 4, skip));
	assert_true(inj_eligible(250, "cwd /tmp", 8, skip));
	assert_true(inj_eligible(530, "PASS x", 6, skip));	/* errors too */
	assert_false(inj_eligible(150, "RETR f", 6, skip));	/* 1xx */
	assert_false(inj_eligible(331, "USER dave", 9, skip));	/* 3xx */
	assert_false(inj_eligible(354, "DATA", 4, skip));
	assert_false(inj_eligible(227, "PASV", 4, skip));
	assert_false(inj_eligible(229, "epsv", 4, skip));	/* any case */
	assert_false(inj_eligible(228, "LPSV", 4, skip));
	assert_false(inj_eligible(250, "STOU", 4, skip));
	assert_true(inj_eligible(250, "STOR f", 6, skip));	/* not STOU */
	assert_true(inj_eligible(200, "PASVX", 5, skip));	/* whole verb */
	assert_true(inj_eligible(200, "", 0, skip));
	assert_false(inj_eligible(0, "NOOP", 4, skip));
}

static void
test_format(void **state)
{
	static const char	evil[] = "a\r\n250 forged\x1b[2J\x7f\xc3\xa9";
	char			buf[64];

	(void)state;
	assert_int_equal(inj_format(buf, sizeof(buf), 226, "Dave, you need "
	    "to delete some files", 35, "\r\n"), 4 + 35 + 2);
	assert_string_equal(buf, "226-Dave, you need to delete some files\r\n");
	/* CR, LF and control bytes go; other bytes stay. */
	inj_format(buf, sizeof(buf), 250, evil, sizeof(evil) - 1, "\n");
	assert_string_equal(buf, "250-a250 forged[2J\xc3\xa9\n");
	/* Too long: cut, the line end kept. */
	assert_int_equal(inj_format(buf, 12, 200, "0123456789", 10, "\r\n"),
	    11);
	assert_string_equal(buf, "200-01234\r\n");
	assert_int_equal(inj_format(buf, 6, 200, "x", 1, "\r\n"), 0);
	assert_int_equal(inj_format(buf, sizeof(buf), 42, "x", 1, "\n"), 0);
}

static void
test_sanitize(void **state)
{
	char	buf[8];

	(void)state;
	assert_int_equal(inj_sanitize(buf, sizeof(buf), "\r\n\t\0", 4), 0);
	assert_string_equal(buf, "");
	assert_int_equal(inj_sanitize(buf, sizeof(buf), "abcdefghij", 10), 7);
	assert_string_equal(buf, "abcdefg");
	assert_int_equal(inj_sanitize(buf, 0, "abc", 3), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_eligible),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_sanitize),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
