/* edge.c: the Z/Y edges and F changes, from the workers' counters. */
#include <stdio.h>

#include "unit.h"

static char	out[4096];

/* Events as listeners would read them: "F0 Z F1 Y ...". */
static void
emit(int ev, int n, void *arg)
{
	size_t	len = strlen(out);

	(void)arg;
	if (ev == EV_F)
		snprintf(out + len, sizeof(out) - len, "F%d ", n);
	else
		snprintf(out + len, sizeof(out) - len, "%c ", ev);
}

static const char *
report(struct edge *e, uint64_t z, uint64_t y, int f, int budget, int *left)
{
	out[0] = '\0';
	*left = edge_report(e, z, y, f, budget, emit, NULL);
	return (out);
}

static void
test_alternate(void **state)
{
	struct edge	e;
	int		left;

	(void)state;
	edge_init(&e, 4);
	/* Nothing happened; the free count changes without an edge. */
	assert_string_equal(report(&e, 0, 0, 4, 100, &left), "");
	assert_string_equal(report(&e, 0, 0, 2, 100, &left), "F2 ");
	/* The pool saturated and freed up twice: Z first, alternating. */
	assert_string_equal(report(&e, 2, 2, 3, 100, &left),
	    "F0 Z F1 Y F0 Z F1 Y F3 ");
	assert_int_equal(left, 0);
	/* A Y counted before its Z waits for it; the count is said. */
	assert_string_equal(report(&e, 2, 3, 1, 100, &left), "F1 ");
	assert_string_equal(report(&e, 3, 3, 1, 100, &left), "F0 Z F1 Y ");
}

static void
test_budget(void **state)
{
	struct edge	e;
	int		left;

	(void)state;
	edge_init(&e, 1);
	/* 1,000 flaps, 100 edges a round: the rest wait, none is lost. */
	assert_string_equal(report(&e, 500, 500, 1, 3, &left), "F0 Z F1 Y F0 Z ");
	assert_int_equal(left, 1);
	while (left)
		(void)report(&e, 500, 500, 1, 100, &left);
	assert_int_equal(e.zseen, 500);
	assert_int_equal(e.yseen, 500);
	assert_int_equal(e.last_edge, EV_Y);
	/* Saturated now: free 0 without its Z counted yet is not said. */
	assert_string_equal(report(&e, 500, 500, 0, 100, &left), "");
	assert_string_equal(report(&e, 501, 500, 0, 100, &left), "F0 Z ");
	assert_int_equal(e.last_free, 0);
	/* While saturated, a free count above 0 waits for its Y. */
	assert_string_equal(report(&e, 501, 500, 2, 100, &left), "");
	assert_string_equal(report(&e, 501, 501, 2, 100, &left), "F1 Y F2 ");
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_alternate),
		cmocka_unit_test(test_budget),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
