/* smap.c: socketmap netstrings and the request a worker gets. */
#include "unit.h"

static int
parse(const char *s, size_t *off, size_t *n)
{
	return (smap_parse(s, strlen(s), SMAP_MAX, off, n));
}

static void
test_parse(void **state)
{
	size_t	off = 0, n = 0;

	(void)state;
	assert_int_equal(parse("9:mux alice,", &off, &n), 1);
	assert_int_equal(off, 2);
	assert_int_equal(n, 9);
	assert_int_equal(parse("0:,", &off, &n), 1);
	assert_int_equal(n, 0);
	assert_int_equal(parse("9:mux ali", &off, &n), 0);	/* more */
	assert_int_equal(parse("12", &off, &n), 0);
	assert_int_equal(parse("", &off, &n), 0);
	assert_int_equal(parse("3:abc;", &off, &n), -1);	/* no comma */
	assert_int_equal(parse(":abc,", &off, &n), -1);
	assert_int_equal(parse("x:", &off, &n), -1);
	assert_int_equal(parse("4001:", &off, &n), -1);	/* over max */
	assert_int_equal(parse("00000000000000000001:x,", &off, &n), -1);
}

static void
test_request(void **state)
{
	char	line[64];

	(void)state;
	assert_int_equal(smap_request("mux alice", 9, line, sizeof(line)),
	    13);
	assert_string_equal(line, "map mux alice");
	/* Only the first blank splits; the key keeps the rest, encoded. */
	smap_request("virtual a b%\n", 13, line, sizeof(line));
	assert_string_equal(line, "map virtual a%20b%25%0A");
	assert_int_equal(smap_request("nokey", 5, line, sizeof(line)), 0);
	assert_int_equal(smap_request(" key", 4, line, sizeof(line)), 0);
	assert_int_equal(smap_request("mux abcdefghijk", 15, line, 12), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_request),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
