/* class.c: Class NAME CIDR..., most specific network wins. */
#include "unit.h"

static const char *
of(const struct classes *c, const char *addr)
{
	uint8_t	a[16];

	assert_int_equal(class_addr(addr, a), 0);
	return (class_of(c, a));
}

static void
add(struct classes *c, const char *name, const char *n1, const char *n2)
{
	char	*av[2] = { (char *)n1, (char *)n2 };
	char	 err[128];

	assert_int_equal(class_add(c, name, n2 ? 2 : 1, av, err,
	    sizeof(err)), 0);
}

static void
test_match(void **state)
{
	struct classes	c;

	(void)state;
	memset(&c, 0, sizeof(c));
	add(&c, "lan", "10.0.0.0/8", "192.168.0.0/16");
	add(&c, "servers", "10.1.2.0/24", NULL);	/* inside lan */
	add(&c, "v6", "2001:db8::/32", NULL);
	add(&c, "one", "198.51.100.7", NULL);
	add(&c, "lan", "172.16.0.0/12", NULL);		/* lines add up */
	assert_int_equal(c.nnames, 4);
	assert_string_equal(of(&c, "10.9.9.9"), "lan");
	assert_string_equal(of(&c, "10.1.2.3"), "servers");	/* longest */
	assert_string_equal(of(&c, "10.1.3.3"), "lan");
	assert_string_equal(of(&c, "172.31.255.255"), "lan");
	assert_string_equal(of(&c, "172.32.0.0"), "default");
	assert_string_equal(of(&c, "::ffff:10.1.2.200"), "servers");
	assert_string_equal(of(&c, "2001:db8:1::5"), "v6");
	assert_string_equal(of(&c, "2001:db9::5"), "default");
	assert_string_equal(of(&c, "198.51.100.7"), "one");
	assert_string_equal(of(&c, "198.51.100.8"), "default");
	class_free(&c);
	assert_int_equal(c.nnets, 0);
}

static void
test_odd_prefixes(void **state)
{
	struct classes	c;

	(void)state;
	memset(&c, 0, sizeof(c));
	add(&c, "half", "192.0.2.128/25", NULL);
	add(&c, "all4", "0.0.0.0/0", NULL);
	assert_string_equal(of(&c, "192.0.2.129"), "half");
	assert_string_equal(of(&c, "192.0.2.127"), "all4");
	assert_string_equal(of(&c, "2001:db8::1"), "default");	/* v6 */
	class_free(&c);
}

static void
test_errors(void **state)
{
	struct classes	 c;
	char		 err[128];
	char		*bad1[] = { "10.0.0.0/33" };
	char		*bad2[] = { "example.org" };
	char		*bad3[] = { "2001:db8::/129" };
	char		*bad4[] = { "10.0.0.0/" };
	char		*ok[] = { "10.0.0.0/8" };

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(class_add(&c, "x", 1, bad1, err, sizeof(err)), -1);
	assert_string_equal(err, "Class x: 10.0.0.0/33 is not an address or "
	    "ADDR/BITS");
	assert_int_equal(class_add(&c, "x", 1, bad2, err, sizeof(err)), -1);
	assert_int_equal(class_add(&c, "x", 1, bad3, err, sizeof(err)), -1);
	assert_int_equal(class_add(&c, "x", 1, bad4, err, sizeof(err)), -1);
	assert_int_equal(class_add(&c, "x", 0, ok, err, sizeof(err)), -1);
	assert_int_equal(class_add(&c, "default", 1, ok, err, sizeof(err)),
	    -1);
	assert_int_equal(c.nnets, 0);
	class_free(&c);
}

static void
test_addr(void **state)
{
	uint8_t	a[16], b[16];

	(void)state;
	assert_int_equal(class_addr("127.0.0.1", a), 0);
	assert_int_equal(class_addr("::ffff:127.0.0.1", b), 0);
	assert_memory_equal(a, b, 16);
	assert_int_equal(class_addr("localhost", a), -1);
	assert_int_equal(class_addr("", a), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_odd_prefixes),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_addr),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
