/* ctrls.c: ProFTPD's Controls framing, both ways. */
#include <event2/buffer.h>

#include "unit.h"

static size_t
frame(uint8_t *b, int argc, const char **argv)
{
	uint32_t	n;
	int32_t		st = 0;
	size_t		off = 8;
	int		i;

	memcpy(b, &st, 4);
	n = (uint32_t)argc;
	memcpy(b + 4, &n, 4);
	for (i = 0; i < argc; i++) {
		n = (uint32_t)strlen(argv[i]);
		memcpy(b + off, &n, 4);
		memcpy(b + off + 4, argv[i], n);
		off += 4 + n;
	}
	return (off);
}

/* ftpdctl msg user dave Dave, you need to delete some files */
static void
test_request(void **state)
{
	static const char	*av[] = { "msg", "user", "dave", "Dave,", "you",
	    "need", "to", "delete", "some", "files" };
	static struct ctrls_req	 r;
	uint8_t			 b[512];
	const char		*why = NULL;
	size_t			 n, used = 0, k;

	(void)state;
	n = frame(b, 10, av);
	for (k = 0; k < n; k++)
		assert_int_equal(ctrls_parse(b, k, &r, &used, &why),
		    CTRLS_MORE);
	assert_int_equal(ctrls_parse(b, n, &r, &used, &why), CTRLS_DONE);
	assert_int_equal(used, n);
	assert_int_equal(r.argc, 10);
	assert_string_equal(r.argv[0], "msg");
	assert_string_equal(r.argv[9], "files");
	assert_null(r.argv[10]);
}

/* Empty arguments are dropped; a request of them alone has no action. */
static void
test_empty(void **state)
{
	static const char	*av[] = { "", "restart", "" };
	static struct ctrls_req	 r;
	uint8_t			 b[64];
	const char		*why = NULL;
	size_t			 used;

	(void)state;
	assert_int_equal(ctrls_parse(b, frame(b, 3, av), &r, &used, &why),
	    CTRLS_DONE);
	assert_int_equal(r.argc, 1);
	assert_string_equal(r.argv[0], "restart");
	assert_int_equal(ctrls_parse(b, frame(b, 1, av), &r, &used, &why),
	    CTRLS_BAD);
	assert_string_equal(why, "no action");
}

/* What ProFTPD #2036 took: refused at the count or length, at once. */
static void
test_bounds(void **state)
{
	static struct ctrls_req	 r;
	uint8_t			 b[16] = { 0 };
	uint32_t		 v;
	const char		*why = NULL;
	size_t			 used;

	(void)state;
	v = 1000000;
	memcpy(b + 4, &v, 4);
	assert_int_equal(ctrls_parse(b, 8, &r, &used, &why), CTRLS_BAD);
	assert_string_equal(why, "more than 32 arguments");
	v = 1;
	memcpy(b + 4, &v, 4);
	v = 0x80000000u;
	memcpy(b + 8, &v, 4);
	assert_int_equal(ctrls_parse(b, 12, &r, &used, &why), CTRLS_BAD);
	assert_string_equal(why, "an argument longer than 256 bytes");
	v = 3;
	memcpy(b + 8, &v, 4);
	memcpy(b + 12, "a\0b", 3);
	assert_int_equal(ctrls_parse(b, 15, &r, &used, &why), CTRLS_BAD);
	assert_string_equal(why, "a NUL byte in an argument");
	v = 0;
	memcpy(b + 4, &v, 4);
	assert_int_equal(ctrls_parse(b, 8, &r, &used, &why), CTRLS_BAD);
}

/* A response: status, count, strings without the line markers. */
static void
expect(int rv, const char *text, int32_t st, int n, const char **want)
{
	struct evbuffer	*eb = evbuffer_new();
	const uint8_t	*p;
	int32_t		 s;
	uint32_t	 argc, len;
	size_t		 off = 8;
	int		 i;

	ctrls_frame(eb, rv, text, strlen(text));
	p = evbuffer_pullup(eb, -1);
	memcpy(&s, p, 4);
	memcpy(&argc, p + 4, 4);
	assert_int_equal(s, st);
	assert_int_equal(argc, n);
	for (i = 0; i < n; i++) {
		memcpy(&len, p + off, 4);
		assert_int_equal(len, strlen(want[i]));
		assert_memory_equal(p + off + 4, want[i], len);
		off += 4 + len;
	}
	assert_int_equal(off, evbuffer_get_length(eb));
	evbuffer_free(eb);
}

static void
test_response(void **state)
{
	static const char	*sent[] = { "message sent to 2 sessions" };
	static const char	*who[] = { "0 B 123 dave 127.0.0.1", "done" };
	static const char	*denied[] = { "access denied" };
	static const char	*unsup[] = { "unsupported action requested" };
	static const char	*none[] = { "no such client connected" };
	static const char	*bad[] = { "bad arguments: kick user|host|class "
	    "NAME" };
	static const char	*gen[] = { "MessageEngine is off" };
	static const char	*host[] = { "no such host a.invalid" };

	(void)state;
	expect(CTL_R_OK, "*OK message sent to 2 sessions\n", 0, 1, sent);
	expect(CTL_R_OK, "*-0 B 123 dave 127.0.0.1\n*OK done\n", 0, 2, who);
	expect(CTL_R_DENIED, "*ERR access denied\n", CTRLS_ST_DENIED, 1,
	    denied);
	expect(CTL_R_UNKNOWN, "*ERR unknown command\n",
	    CTRLS_ST_UNSUPPORTED, 1, unsup);
	expect(CTL_R_OK, "*ERR no such client connected\n",
	    CTRLS_ST_NOTFOUND, 1, none);
	expect(CTL_R_OK, "*ERR bad arguments: kick user|host|class NAME\n",
	    CTRLS_ST_PARAMS, 1, bad);
	expect(CTL_R_OK, "*ERR MessageEngine is off\n", CTRLS_ST_GENERIC, 1,
	    gen);
	/* Not found as muxctl's exit 4 has it: a host too (ctlerr.c). */
	expect(CTL_R_OK, "*ERR no such host a.invalid\n", CTRLS_ST_NOTFOUND,
	    1, host);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_response),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
