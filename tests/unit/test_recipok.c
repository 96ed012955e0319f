/* recipok.c: the domain -y counts, taken as mimedefang-multiplexor does. */
#include "unit.h"

static void
dom(const char *line, const char *want, size_t sz)
{
	char	out[WS_DOMAIN_MAX + 1];

	assert_int_equal(rcpt_domain(line, strlen(line), out, sz),
	    strlen(want));
	assert_string_equal(out, want);
}

static void
test_domain(void **state)
{
	(void)state;
	dom("recipok <u@example.org> <s@x> 1.2.3.4", "example.org", 128);
	/* Encoded brackets stay: the real one stops at '>' or a blank. */
	dom("recipok %3Cu@Example.ORG%3E %3Cs@x%3E", "Example.ORG%3E", 128);
	/* Only the recipient's: not the sender's (the real one's quirk). */
	dom("recipok nodomain <s@x.org>", "", 128);
	dom("recipok", "", 128);
	dom("recipok nobody at all", "", 128);
	dom("recipok u@", "", 128);
	dom("recipok u@abcdef", "abc", 4);	/* cut to the buffer */
}

static void
test_limit(void **state)
{
	struct ws_shm	*shmp;
	struct ws_slot	*slots;

	(void)state;
	shmp = calloc(1, sizeof(*shmp) + 3 * sizeof(struct ws_slot));
	assert_non_null(shmp);
	shmp->nslots = 3;
	slots = shmp->slots;
	for (int i = 0; i < 3; i++)
		atomic_store(&slots[i].cmd, WS_CMD_NONE);
	assert_int_equal(rcpt_over_limit(shmp, 0, "a.org", 5, 2), 0);
	assert_int_equal(rcpt_over_limit(shmp, 1, "A.ORG", 5, 2), 0);
	/* Two running for a.org: the third is refused, and not counted. */
	assert_int_equal(rcpt_over_limit(shmp, 2, "a.org", 5, 2), 1);
	assert_int_equal(atomic_load(&slots[2].cmd), WS_CMD_NONE);
	assert_int_equal(rcpt_over_limit(shmp, 2, "b.org", 5, 2), 0);
	/* One of them done: a.org has room again. */
	atomic_store(&slots[0].cmd, WS_CMD_NONE);
	atomic_store(&slots[2].cmd, WS_CMD_NONE);
	assert_int_equal(rcpt_over_limit(shmp, 2, "a.org", 5, 2), 0);
	free(shmp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_domain),
		cmocka_unit_test(test_limit),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
