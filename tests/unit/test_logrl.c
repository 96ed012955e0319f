/* logrl.c: the window of each kind of rate-limited log line. */
#include "unit.h"
#include "log.h"

static struct log_rl	rl;

/* The first LOG_RL_BURST of a window are logged; the rest counted. */
static void
test_burst(void **state)
{
	int	i, n = 0;

	(void)state;
	memset(&rl, 0, sizeof(rl));
	for (i = 0; i < LOG_RL_BURST + 5; i++)
		n += log_rl_admit(&rl, 1000);
	assert_int_equal(n, LOG_RL_BURST);
	assert_int_equal(atomic_load(&rl.lines), LOG_RL_BURST + 5);
	assert_int_equal(atomic_load(&rl.held), 5);
	assert_int_equal(atomic_load(&rl.suppressed), 5);
}

/* A new window: a new budget; what was held waits for its summary. */
static void
test_window(void **state)
{
	int	i, n = 0;

	(void)state;
	memset(&rl, 0, sizeof(rl));
	for (i = 0; i < LOG_RL_BURST + 3; i++)
		(void)log_rl_admit(&rl, 1000);
	/* Still the same window, one second short. */
	assert_int_equal(log_rl_admit(&rl, 1000 + LOG_RL_WINDOW - 1), 0);
	for (i = 0; i < LOG_RL_BURST + 1; i++)
		n += log_rl_admit(&rl, 1000 + LOG_RL_WINDOW);
	assert_int_equal(n, LOG_RL_BURST);
	assert_int_equal(atomic_load(&rl.held), 3 + 1 + 1);
	assert_int_equal(atomic_load(&rl.suppressed), 5);
	assert_int_equal(atomic_load(&rl.lines), 2 * LOG_RL_BURST + 5);
}

static void
test_names(void **state)
{
	int	k;

	(void)state;
	for (k = 0; k < LOG_RL_N; k++)
		assert_string_not_equal(log_rl_name(k), "unknown");
	assert_string_equal(log_rl_name(LOG_RL_N), "unknown");
	assert_string_equal(log_rl_name(LOG_RL_NO_FREE), "no_free_workers");
	/* No table yet: nothing is held back. */
	assert_null(log_rl_all());
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_names),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
