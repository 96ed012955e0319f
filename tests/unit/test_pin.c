/* pin.c: which CPU a slot's worker session is bound to. */
#include "unit.h"
#include "ws.h"

static void
set_of(cpu_set_t *set, const int *cpus, int n)
{
	CPU_ZERO(set);
	while (n-- > 0)
		CPU_SET(cpus[n], set);
}

static void
test_spread(void **state)
{
	static const int two[] = { 0, 1 };
	cpu_set_t	 set;
	int		 i;

	(void)state;
	set_of(&set, two, 2);
	for (i = 0; i < 8; i++)
		assert_int_equal(pin_cpu(&set, i), i % 2);
}

static void
test_holes(void **state)
{
	/* taskset -c 1,3,5 mux: only those, in order. */
	static const int odd[] = { 5, 1, 3 };
	cpu_set_t	 set;

	(void)state;
	set_of(&set, odd, 3);
	assert_int_equal(pin_cpu(&set, 0), 1);
	assert_int_equal(pin_cpu(&set, 1), 3);
	assert_int_equal(pin_cpu(&set, 2), 5);
	assert_int_equal(pin_cpu(&set, 3), 1);
	assert_int_equal(pin_cpu(&set, 4095), 1);	/* the last slot of -x 4096 */
}

static void
test_edges(void **state)
{
	static const int last[] = { CPU_SETSIZE - 1 };
	cpu_set_t	 set;

	(void)state;
	CPU_ZERO(&set);
	assert_int_equal(pin_cpu(&set, 0), -1);
	set_of(&set, last, 1);
	assert_int_equal(pin_cpu(&set, 0), CPU_SETSIZE - 1);
	assert_int_equal(pin_cpu(&set, 7), CPU_SETSIZE - 1);
	assert_int_equal(pin_cpu(&set, -1), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spread),
		cmocka_unit_test(test_holes),
		cmocka_unit_test(test_edges),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
