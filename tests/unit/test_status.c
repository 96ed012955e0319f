/* status.c: status-fd lines, percent decoding, sanitising. */
#include "unit.h"

static int
parse(const char *line, char *out)
{
	size_t	n = 0;
	int	k;

	k = status_parse(line, strlen(line), out, WS_TAG_MAX + 1, &n);
	out[n] = '\0';
	return (k);
}

static void
test_kinds(void **state)
{
	char	out[WS_TAG_MAX + 1];

	(void)state;
	assert_int_equal(parse("tag scanning 1", out), STATUS_TAG);
	assert_string_equal(out, "scanning 1");
	assert_int_equal(parse("user dave", out), STATUS_USER);
	assert_string_equal(out, "dave");
	assert_int_equal(parse("user ", out), 0);
	assert_int_equal(parse("1: scan%20Q%41", out), STATUS_TAG);
	assert_string_equal(out, "1: scan QA");
	assert_int_equal(parse("tag no%20decode", out), STATUS_TAG);
	assert_string_equal(out, "no%20decode");
	assert_int_equal(parse("cr\r", out), STATUS_TAG);
	assert_string_equal(out, "cr");
}

static void
test_injection(void **state)
{
	char	out[WS_TAG_MAX + 1];

	(void)state;
	/* MIMEDefang's bug: %0A in a tag forged a second notify line. */
	assert_int_equal(parse("fake%0AR", out), STATUS_TAG);
	assert_string_equal(out, "fake R");
	assert_int_equal(parse("a%00b%7fc%ffd", out), STATUS_TAG);
	assert_string_equal(out, "a b c d");
	assert_int_equal(parse("bad%zzescape%4", out), STATUS_TAG);
	assert_string_equal(out, "bad%zzescape%4");
}

static void
test_length(void **state)
{
	char	line[1000], out[WS_TAG_MAX + 1];

	(void)state;
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	assert_int_equal(parse(line, out), STATUS_TAG);
	assert_int_equal(strlen(out), WS_TAG_MAX);
}

/* The "session" request's words: MIMEDefang's encoding, and back. */
static void
test_encode(void **state)
{
	char	buf[64];
	size_t	n;

	(void)state;
	n = status_pct_encode(buf, sizeof(buf), "TCPREMOTEIP=127.0.0.1");
	assert_int_equal(n, 22);
	assert_string_equal(buf, " TCPREMOTEIP=127.0.0.1");
	n = status_pct_encode(buf, sizeof(buf), "X=a b%c\n\xff");
	assert_string_equal(buf, " X=a%20b%25c%0A%FF");
	assert_int_equal(n, strlen(buf));
	n = status_pct_decode(buf + 1, n - 1);
	assert_memory_equal(buf + 1, "X=a b%c\n\xff", n);
	/* Does not fit: nothing written, 0. */
	strcpy(buf, "keep");
	assert_int_equal(status_pct_encode(buf, 5, "abcd"), 0);
	assert_string_equal(buf, "keep");
	assert_int_equal(status_pct_encode(buf, 6, "abcd"), 5);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_injection),
		cmocka_unit_test(test_length),
		cmocka_unit_test(test_encode),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
