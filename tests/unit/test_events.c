/* events.c: notify line formatting. */
#include "unit.h"

static void
test_format(void **state)
{
	char	buf[64];

	(void)state;
	assert_int_equal(events_format(buf, sizeof(buf), EV_F, 3, NULL), 4);
	assert_string_equal(buf, "F 3\n");
	events_format(buf, sizeof(buf), EV_Z, 0, NULL);
	assert_string_equal(buf, "Z\n");
	events_format(buf, sizeof(buf), EV_S, 2, "scan Q1");
	assert_string_equal(buf, "S 2 scan Q1\n");
	events_format(buf, sizeof(buf), EV_M, 5, "user dave");
	assert_string_equal(buf, "M 5 user dave\n");
	/* Too long: cut, but always LF-terminated. */
	assert_int_equal(events_format(buf, 8, EV_S, 1, "abcdefghij"), 7);
	assert_string_equal(buf, "S 1 ab\n");
	assert_int_equal(events_format(buf, 2, EV_F, 1, NULL), 1);
	assert_string_equal(buf, "\n");
	assert_int_equal(events_format(buf, 1, EV_F, 1, NULL), 0);
	assert_string_equal(buf, "");
}

static char	sunk[3 * EVENTS_BLOCK];
static size_t	nsunk;
static int	calls;

static void
sink(const char *p, size_t len, void *arg)
{
	(void)arg;
	assert_true(len > 0 && len <= EVENTS_BLOCK);
	assert_int_equal(p[len - 1], '\n');
	assert_true(nsunk + len <= sizeof(sunk));
	memcpy(sunk + nsunk, p, len);
	nsunk += len;
	calls++;
}

static void
sink_reset(void)
{
	nsunk = 0;
	calls = 0;
	events_set_sink(sink, NULL);
}

/* Outside a hold every line goes alone; inside one, as one block. */
static void
test_hold(void **state)
{
	(void)state;
	sink_reset();
	events_emit(EV_Z, 0, NULL);
	events_emit(EV_F, 0, NULL);
	assert_int_equal(calls, 2);
	sink_reset();
	events_hold();
	events_emit(EV_Z, 0, NULL);
	events_hold();		/* nested: only the outer release sends */
	events_emit(EV_F, 1, NULL);
	events_release();
	events_emit(EV_S, 1, "scan Q1");
	assert_int_equal(calls, 0);
	events_release();
	assert_int_equal(calls, 1);
	assert_int_equal(nsunk, 18);
	assert_memory_equal(sunk, "Z\nF 1\nS 1 scan Q1\n", 18);
	events_release();	/* unbalanced: ignored */
	events_emit(EV_Y, 0, NULL);
	assert_int_equal(calls, 2);
}

/* A block never exceeds EVENTS_BLOCK and never splits a line. */
static void
test_hold_full(void **state)
{
	char	tag[WS_TAG_MAX + 1];
	size_t	i, n = 0;

	(void)state;
	memset(tag, 'x', WS_TAG_MAX);
	tag[WS_TAG_MAX] = '\0';
	sink_reset();
	events_hold();
	for (i = 0; i < 40; i++)
		events_emit(EV_S, (int)i, tag);
	events_release();
	assert_true(calls >= 2);
	for (i = 0; i < nsunk; i++)
		n += sunk[i] == '\n';
	assert_int_equal(n, 40);
	events_set_sink(NULL, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_hold),
		cmocka_unit_test(test_hold_full),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
