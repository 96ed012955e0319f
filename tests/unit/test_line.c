/* line.c: the master's one line reader. */
#include <sys/socket.h>
#include <errno.h>
#include <unistd.h>
#include <event2/buffer.h>
#include "unit.h"
#include "line.h"

static int
get(struct evbuffer *in, size_t max, int eof, char *out, size_t *len)
{
	return (line_get(in, max, eof, out, len));
}

static void
test_lines(void **state)
{
	struct evbuffer	*in = evbuffer_new();
	char		 out[9];
	size_t		 len;

	(void)state;
	assert_int_equal(get(in, 8, 0, out, &len), LINE_NONE);
	assert_int_equal(get(in, 8, 1, out, &len), LINE_NONE);
	evbuffer_add(in, "ab", 2);
	assert_int_equal(get(in, 8, 0, out, &len), LINE_NONE);
	evbuffer_add(in, "c\r\n\nde\nf", 8);
	assert_int_equal(get(in, 8, 0, out, &len), LINE_OK);
	assert_int_equal(len, 4);
	assert_string_equal(out, "abc\r");	/* CR is the caller's */
	assert_int_equal(get(in, 8, 0, out, &len), LINE_OK);
	assert_int_equal(len, 0);
	assert_string_equal(out, "");
	assert_int_equal(get(in, 8, 0, out, &len), LINE_OK);
	assert_string_equal(out, "de");
	assert_int_equal(get(in, 8, 0, out, &len), LINE_NONE);
	/* At EOF the rest is the last line. */
	assert_int_equal(get(in, 8, 1, out, &len), LINE_OK);
	assert_string_equal(out, "f");
	assert_int_equal(evbuffer_get_length(in), 0);
	evbuffer_free(in);
}

static void
test_long(void **state)
{
	struct evbuffer	*in = evbuffer_new();
	char		 out[9];
	size_t		 len;

	(void)state;
	evbuffer_add(in, "12345678\n", 9);	/* max exactly */
	assert_int_equal(get(in, 8, 0, out, &len), LINE_OK);
	assert_string_equal(out, "12345678");
	evbuffer_add(in, "123456789\nok\n", 13);
	assert_int_equal(get(in, 8, 0, out, &len), LINE_LONG);
	assert_int_equal(evbuffer_get_length(in), 13);	/* left as it was */
	evbuffer_drain(in, 13);
	/* No LF within the limit: refused before the LF comes. */
	evbuffer_add(in, "12345678", 8);
	assert_int_equal(get(in, 8, 0, out, &len), LINE_NONE);
	evbuffer_add(in, "9", 1);
	assert_int_equal(get(in, 8, 0, out, &len), LINE_LONG);
	assert_int_equal(get(in, 8, 1, out, &len), LINE_LONG);
	evbuffer_free(in);
}

static void
test_fill(void **state)
{
	struct evbuffer	*in = evbuffer_new();
	int		 sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
	    sv), 0);
	assert_int_equal(line_fill(in, sv[0], 4), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(write(sv[1], "abcdef", 6), 6);
	assert_int_equal(line_fill(in, sv[0], 4), 4);	/* no more than cap */
	assert_int_equal(line_fill(in, sv[0], 4), -1);
	assert_int_equal(errno, ENOBUFS);
	assert_int_equal(line_fill(in, sv[0], 8), 2);
	close(sv[1]);
	assert_int_equal(line_fill(in, sv[0], 8), 0);	/* EOF */
	close(sv[0]);
	evbuffer_free(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_long),
		cmocka_unit_test(test_fill),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
