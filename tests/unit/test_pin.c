/* pin.c: which CPU a slot's worker session is bound to, and when. */
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

static struct pin
auto_pin(void)
{
	struct pin	p;

	memset(&p, 0, sizeof(p));
	p.mode = -1;
	p.cpu = 1;
	p.last = -1;
	return (p);
}

/* Auto: a handler computing little is bound at once. */
static void
test_auto_quick(void **state)
{
	struct pin	p = auto_pin();

	(void)state;
	assert_int_equal(pin_step(&p, 5, 1000), PIN_BIND);
	p.bound = 1;
	assert_int_equal(pin_step(&p, PIN_BIND_US + 1, 1100), PIN_KEEP);
}

/*
 * A handler that computes for 5 ms is never bound; one that turns slow
 * is freed, and stays free for PIN_HOLD_US even when it is quick again.
 */
static void
test_auto_slow(void **state)
{
	struct pin	p = auto_pin();
	int64_t		t = 0;
	int		i;

	(void)state;
	for (i = 0; i < 100; i++)
		assert_int_equal(pin_step(&p, 5000, t += 80000), PIN_KEEP);
	assert_int_equal(pin_step(&p, 50, t), PIN_BIND);
	p.bound = 1;
	assert_int_equal(pin_step(&p, PIN_FREE_US + 1, t), PIN_FREE);
	p.bound = 0;
	assert_int_equal(p.hold, t + PIN_HOLD_US);
	for (i = 0; i < 10; i++)
		assert_int_equal(pin_step(&p, 50, t += 1000), PIN_KEEP);
	assert_int_equal(pin_step(&p, 50, p.hold), PIN_BIND);
}

/* Between the thresholds nothing changes, bound or not. */
static void
test_auto_between(void **state)
{
	struct pin	p = auto_pin();
	int		i;

	(void)state;
	for (i = PIN_BIND_US; i <= PIN_FREE_US; i += 50)
		assert_int_equal(pin_step(&p, i, i * 1000), PIN_KEEP);
	p.bound = 1;
	for (i = PIN_BIND_US; i <= PIN_FREE_US; i += 50)
		assert_int_equal(pin_step(&p, i, i * 1000), PIN_KEEP);
}

/* On, off, or no CPU known: auto's steps do nothing. */
static void
test_not_auto(void **state)
{
	struct pin	p = auto_pin();

	(void)state;
	p.mode = 1;
	assert_int_equal(pin_step(&p, 10, 0), PIN_KEEP);
	p.mode = 0;
	assert_int_equal(pin_step(&p, 10, 0), PIN_KEEP);
	p = auto_pin();
	p.cpu = -1;
	assert_int_equal(pin_step(&p, 10, 0), PIN_KEEP);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spread),
		cmocka_unit_test(test_holes),
		cmocka_unit_test(test_edges),
		cmocka_unit_test(test_auto_quick),
		cmocka_unit_test(test_auto_slow),
		cmocka_unit_test(test_auto_between),
		cmocka_unit_test(test_not_auto),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
