/* events.c: event records, their batches and their one formatting. */
#include "unit.h"

static size_t
fmt(char *buf, size_t sz, int type, int n, const char *text)
{
	struct mux_ev	ev = { type, n, text };

	return (events_format(buf, sz, &ev));
}

static void
test_format(void **state)
{
	char	buf[EVENTS_LINE_MAX], tag[WS_TAG_MAX + 40];

	(void)state;
	assert_int_equal(fmt(buf, sizeof(buf), EV_F, 3, NULL), 4);
	assert_string_equal(buf, "F 3\n");
	fmt(buf, sizeof(buf), EV_Z, 0, NULL);
	assert_string_equal(buf, "Z\n");
	fmt(buf, sizeof(buf), EV_S, 2, "scan Q1");
	assert_string_equal(buf, "S 2 scan Q1\n");
	fmt(buf, sizeof(buf), EV_M, 5, "user dave");
	assert_string_equal(buf, "M 5 user dave\n");
	fmt(buf, sizeof(buf), EV_S, 7, NULL);
	assert_string_equal(buf, "S 7 \n");
	/* Too long: cut, but always LF-terminated. */
	assert_int_equal(fmt(buf, 8, EV_S, 1, "abcdefghij"), 7);
	assert_string_equal(buf, "S 1 ab\n");
	assert_int_equal(fmt(buf, 2, EV_F, 1, NULL), 1);
	assert_string_equal(buf, "\n");
	assert_int_equal(fmt(buf, 1, EV_F, 1, NULL), 0);
	assert_string_equal(buf, "");
	/* A text past WS_TAG_MAX is cut there; the line still fits. */
	memset(tag, 'x', sizeof(tag) - 1);
	tag[sizeof(tag) - 1] = '\0';
	assert_int_equal(fmt(buf, sizeof(buf), EV_S, 12, tag),
	    5 + WS_TAG_MAX + 1);
}

static char	sunk[16 * 1024];
static size_t	nsunk;
static int	calls, nev;

/* The sink formats what it gets, as notify.c does. */
static void
sink(const struct mux_ev *ev, int n, void *arg)
{
	int	i;

	(void)arg;
	assert_true(n > 0 && n <= EVENTS_MAX);
	for (i = 0; i < n; i++) {
		assert_true(nsunk + EVENTS_LINE_MAX <= sizeof(sunk));
		nsunk += events_format(sunk + nsunk, EVENTS_LINE_MAX, &ev[i]);
	}
	nev += n;
	calls++;
}

static void
sink_reset(void)
{
	nsunk = 0;
	calls = nev = 0;
	events_set_sink(sink, NULL);
}

/* Outside a hold every event goes alone; inside one, as one batch whose
   texts are the batch's own copies. */
static void
test_hold(void **state)
{
	char	tag[16];

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
	strcpy(tag, "scan Q1");
	events_emit(EV_S, 1, tag);
	strcpy(tag, "changed");	/* the caller's buffer is its own again */
	assert_int_equal(calls, 0);
	events_release();
	assert_int_equal(calls, 1);
	assert_int_equal(nev, 3);
	assert_int_equal(nsunk, 18);
	assert_memory_equal(sunk, "Z\nF 1\nS 1 scan Q1\n", 18);
	events_release();	/* unbalanced: ignored */
	events_emit(EV_Y, 0, NULL);
	assert_int_equal(calls, 2);
}

/* A batch never passes EVENTS_MAX events or EVENTS_TEXT bytes of text;
   nothing is lost between batches. */
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
	assert_true(calls >= 2);	/* 40 texts of 201 bytes: two batches */
	assert_int_equal(nev, 40);
	for (i = 0; i < nsunk; i++)
		n += sunk[i] == '\n';
	assert_int_equal(n, 40);
	sink_reset();
	events_hold();
	for (i = 0; i < EVENTS_MAX + 3; i++)
		events_emit(EV_B, 0, NULL);
	events_release();
	assert_int_equal(calls, 2);
	assert_int_equal(nev, EVENTS_MAX + 3);
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
