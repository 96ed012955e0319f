/* nproto.c: listener lines, interest masks, the slow-listener policy. */
#include "unit.h"

#define BIT(c)	(1u << ((c) - 'A'))

static void
test_parse(void **state)
{
	uint32_t	m = 0xdead;

	(void)state;
	assert_int_equal(np_parse("?FYZ", 4, &m), NP_SUBSCRIBE);
	assert_int_equal(m, BIT('F') | BIT('Y') | BIT('Z'));
	assert_int_equal(np_parse("?*", 2, &m), NP_SUBSCRIBE);
	assert_int_equal(m, NP_MASK_ALL);
	assert_int_equal(np_parse("?yz1 -", 6, &m), NP_SUBSCRIBE);
	assert_int_equal(m, 0);		/* only A-Z count; replaces */
	assert_int_equal(np_parse("?Z\r", 3, &m), NP_SUBSCRIBE);
	assert_int_equal(m, BIT('Z'));
	assert_int_equal(np_parse("?", 1, &m), NP_SUBSCRIBE);
	assert_int_equal(m, 0);
	assert_int_equal(np_parse("", 0, &m), NP_EMPTY);
	assert_int_equal(np_parse("\r", 1, &m), NP_EMPTY);
	assert_int_equal(np_parse("status", 6, &m), NP_ACTION);
	assert_int_equal(np_parse("\0?F", 3, &m), NP_ACTION);
}

static void
test_wants(void **state)
{
	(void)state;
	assert_true(np_wants(0, '*'));
	assert_true(np_wants(BIT('Z'), 'Z'));
	assert_false(np_wants(BIT('Z'), 'Y'));
	assert_false(np_wants(NP_MASK_ALL, 'a'));
	assert_false(np_wants(NP_MASK_ALL, '\n'));
}

static void
test_snapshot(void **state)
{
	char	buf[64];

	(void)state;
	assert_int_equal(np_snapshot(BIT('F') | BIT('Z'), 0, buf,
	    sizeof(buf)), 6);
	assert_string_equal(buf, "F 0\nZ\n");
	np_snapshot(BIT('F') | BIT('Z'), 3, buf, sizeof(buf));
	assert_string_equal(buf, "F 3\n");
	np_snapshot(BIT('Y') | BIT('Z'), 2, buf, sizeof(buf));
	assert_string_equal(buf, "");
	np_snapshot(BIT('Z'), 0, buf, sizeof(buf));
	assert_string_equal(buf, "Z\n");
}

static void
test_policy(void **state)
{
	struct np_out	o;
	char		buf[128];

	(void)state;
	memset(&o, 0, sizeof(o));
	/* Under the soft limit: everything is sent. */
	assert_int_equal(np_offer(&o, 'F', 3, 100, 1000), NP_SEND);
	assert_int_equal(np_offer(&o, 'Z', 0, 999, 1000), NP_SEND);
	/* Over it: F is held at its latest value, one-offs are skipped. */
	assert_int_equal(np_offer(&o, 'F', 2, 1000, 1000), NP_HOLD);
	assert_int_equal(np_offer(&o, 'F', 1, 5000, 1000), NP_HOLD);
	assert_int_equal(o.f, 1);
	assert_int_equal(np_refill(&o, NP_MASK_ALL, 1, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "F 1\n");
	/* After a skip, nothing is sent until the refill tells of it. */
	assert_int_equal(np_offer(&o, 'Y', 0, 2000, 1000), NP_SKIP);
	assert_int_equal(np_offer(&o, 'B', 0, 10, 1000), NP_SKIP);
	assert_int_equal(np_offer(&o, 'F', 0, 10, 1000), NP_HOLD);
	assert_int_equal(np_refill(&o, BIT('F') | BIT('Z'), 0, buf,
	    sizeof(buf)), 17);
	assert_string_equal(buf, "*SKIPPED 2\nF 0\nZ\n");
	assert_int_equal(o.skipped, 0);
	assert_int_equal(o.held_f, 0);
	assert_int_equal(np_offer(&o, 'Y', 0, 10, 1000), NP_SEND);
	/* Nothing held: nothing to refill. */
	assert_int_equal(np_refill(&o, NP_MASK_ALL, 2, buf, sizeof(buf)), 0);
	/* A listener of Y and Z alone still learns of the skip. */
	assert_int_equal(np_offer(&o, 'Z', 0, 5000, 1000), NP_SKIP);
	np_refill(&o, BIT('Y') | BIT('Z'), 1, buf, sizeof(buf));
	assert_string_equal(buf, "*SKIPPED 1\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_wants),
		cmocka_unit_test(test_snapshot),
		cmocka_unit_test(test_policy),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
