/* vars.c: the one NAME=VALUE block codec. */
#include "unit.h"
#include "vars.h"

static void
test_put_get(void **state)
{
	char	b[64];
	size_t	len = 0;

	(void)state;
	assert_int_equal(vars_put(b, sizeof(b), &len, "PROTO", 5, "TCP"), 0);
	assert_int_equal(vars_putf(b, sizeof(b), &len, "TCPREMOTEPORT", "%d",
	    25), 0);
	assert_int_equal(vars_put(b, sizeof(b), &len, "BANNERXY", 6, "v"), 0);
	assert_int_equal(len, 10 + 17 + 9);
	assert_memory_equal(b, "PROTO=TCP\0TCPREMOTEPORT=25\0BANNER=v\0", len);
	assert_string_equal(vars_get(b, len, "PROTO"), "TCP");
	assert_string_equal(vars_get(b, len, "TCPREMOTEPORT"), "25");
	assert_string_equal(vars_get(b, len, "BANNER"), "v");
	assert_null(vars_get(b, len, "PROT"));
	assert_null(vars_get(b, len, "PROTOX"));
	assert_null(vars_get(b, len, "TCP"));
}

/* Full: nothing is written past sz and len does not move. */
static void
test_full(void **state)
{
	char	b[16];
	size_t	len = 0;

	(void)state;
	memset(b, 'z', sizeof(b));
	assert_int_equal(vars_put(b, sizeof(b), &len, "A", 1, "12345"), 0);
	assert_int_equal(len, 8);
	/* "B=123456\0" is 9 bytes: one too many. */
	assert_int_equal(vars_put(b, sizeof(b), &len, "B", 1, "123456"), -1);
	assert_int_equal(vars_putf(b, sizeof(b), &len, "B", "%s", "123456"),
	    -1);
	assert_int_equal(len, 8);
	assert_int_equal(vars_put(b, sizeof(b), &len, "B", 1, "12345"), 0);
	assert_int_equal(len, 16);
	assert_int_equal(vars_putf(b, sizeof(b), &len, "C", "%s", ""), -1);
	assert_int_equal(vars_put(b, sizeof(b), &len, "C", 1, ""), -1);
	assert_int_equal(len, 16);
}

/* Entries without '=' are passed over; bytes after the last NUL are not
   an entry, and nothing past len is read. */
static void
test_next(void **state)
{
	const char	 blk[] = "junk\0A=1\0=x\0B=\0C=3";
	struct vars_ent	 e;
	size_t		 off = 0;

	(void)state;
	assert_int_equal(vars_next(blk, sizeof(blk) - 1, &off, &e), 1);
	assert_int_equal(e.nlen, 1);
	assert_memory_equal(e.name, "A", 1);
	assert_string_equal(e.value, "1");
	assert_int_equal(vars_next(blk, sizeof(blk) - 1, &off, &e), 1);
	assert_int_equal(e.nlen, 0);
	assert_string_equal(e.value, "x");
	assert_int_equal(vars_next(blk, sizeof(blk) - 1, &off, &e), 1);
	assert_memory_equal(e.name, "B", 1);
	assert_string_equal(e.value, "");
	/* "C=3" has no NUL within len. */
	assert_int_equal(vars_next(blk, sizeof(blk) - 1, &off, &e), 0);
	assert_int_equal(off, sizeof(blk) - 1);
	assert_null(vars_get(blk, sizeof(blk) - 1, "C"));
	assert_string_equal(vars_get(blk, sizeof(blk), "C"), "3");
	off = 0;
	assert_int_equal(vars_next(blk, 0, &off, &e), 0);
}

static void
test_find(void **state)
{
	char	*v[] = { "CLASS=mail", "RBLSMTPD=", "CLASSX=no" };

	(void)state;
	assert_string_equal(vars_find(v, 3, "CLASS"), "mail");
	assert_string_equal(vars_find(v, 3, "RBLSMTPD"), "");
	assert_null(vars_find(v, 3, "CLASSY"));
	assert_null(vars_find(v, 0, "CLASS"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_find),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
