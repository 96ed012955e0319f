/* banner.c: qmail-banner escapes, variables, framing. */
#include <unistd.h>

#include "unit.h"

static const char *
look(const char *name, void *arg)
{
	(void)arg;
	if (strcmp(name, "HOST") == 0)
		return ("mx.example.org");
	if (strcmp(name, "EMPTY") == 0)
		return ("");
	if (strcmp(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF") == 0)
		return ("32");
	return (NULL);
}

static const char *
exp1(const char *in)
{
	static char	out[512];

	banner_expand(in, strlen(in), out, sizeof(out), look, NULL);
	return (out);
}

static void
test_escapes(void **state)
{
	char	out[16];
	size_t	n;

	(void)state;
	assert_string_equal(exp1("a\\tb\\nc\\rd\\ae"), "a\tb\nc\rd\ae");
	assert_string_equal(exp1("\\x41\\x7a\\x4"), "Az\\x4");
	assert_string_equal(exp1("\\101\\60\\7x"), "A0\ax");
	assert_string_equal(exp1("\\1012"), "A2");	/* 3 digits at most */
	assert_string_equal(exp1("\\\\ \\q \\9 \\"), "\\ \\q \\9 \\");
	assert_string_equal(exp1("\\777"), "\\777");	/* over 255 */
	n = banner_expand("\\0x", 3, out, sizeof(out), look, NULL);
	assert_int_equal(n, 2);
	assert_memory_equal(out, "\0x", 2);
}

static void
test_vars(void **state)
{
	(void)state;
	/* The name is the longest run of upper-case letters. */
	assert_string_equal(exp1("$HOST ${HOST}x $HOSTx $HOSTX"),
	    "mx.example.org mx.example.orgx mx.example.orgx $HOSTX");
	assert_string_equal(exp1("[$EMPTY]"), "[]");
	assert_string_equal(exp1("$NOPE ${NOPE} ${HOST $ $1 $host ${}"),
	    "$NOPE ${NOPE} ${HOST $ $1 $host ${}");
	assert_string_equal(exp1("${ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF}"), "32");
	/* 33 letters is not a variable name: as written. */
	assert_string_equal(exp1("$ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG"),
	    "$ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFG");
	/* A value is not expanded again. */
	assert_string_equal(exp1("\\x24HOST"), "$HOST");
}

static void
test_cap(void **state)
{
	char	out[8];

	(void)state;
	assert_int_equal(banner_expand("$HOST", 5, out, sizeof(out), look,
	    NULL), 7);
	assert_string_equal(out, "mx.exam");
	assert_int_equal(banner_expand("abc", 3, out, 0, look, NULL), 0);
}

static void
test_frame(void **state)
{
	char	out[128];

	(void)state;
	assert_int_equal(banner_frame("one\ntwo", 7, out, sizeof(out)), 18);
	assert_string_equal(out, "220-one\r\n220-two\r\n");
	banner_frame("one\r\ntwo\n", 9, out, sizeof(out));
	assert_string_equal(out, "220-one\r\n220-two\r\n");
	banner_frame("a\n\nb", 4, out, sizeof(out));
	assert_string_equal(out, "220-a\r\n220-\r\n220-b\r\n");
	assert_int_equal(banner_frame("", 0, out, sizeof(out)), 0);
	assert_int_equal(banner_frame("0123456789", 10, out, 12), 0);
}

static void
test_builtin(void **state)
{
	char	buf[64];

	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	assert_string_equal(banner_builtin("ME", "mx1", NULL, 0, buf,
	    sizeof(buf)), "mx1");
	assert_string_equal(banner_builtin("DATE", "mx1", NULL, 86400 * 365,
	    buf, sizeof(buf)), "Fri, 01 Jan 1971 00:00:00 +0000");
	assert_string_equal(banner_builtin("DATE", "mx1", "%Y-%m-%d", 0, buf,
	    sizeof(buf)), "1970-01-01");
	assert_string_equal(banner_builtin("SECONDS", "mx1", NULL, 1234, buf,
	    sizeof(buf)), "1234");
	assert_non_null(banner_builtin("PID", "mx1", NULL, 0, buf,
	    sizeof(buf)));
	assert_int_equal(atol(buf), (long)getpid());
	assert_non_null(banner_builtin("RANDOM", "mx1", NULL, 0, buf,
	    sizeof(buf)));
	assert_null(banner_builtin("OTHER", "mx1", NULL, 0, buf, sizeof(buf)));
}

/* The early-talker rule, the one copy the intake and mux-banner share. */
static void
test_early(void **state)
{
	(void)state;
	assert_int_equal(banner_early_name("BANNERRBLSMTPD", 14), 8);
	assert_int_equal(banner_early_name("BANNERX", 7), 1);
	assert_int_equal(banner_early_name("BANNER", 6), 0);
	assert_int_equal(banner_early_name("BANNERFILE", 10), 0);
	assert_int_equal(banner_early_name("BANNERPRESLEEP", 14), 0);
	assert_int_equal(banner_early_name("BANNERPOSTSLEEP", 15), 0);
	/* Only the exact controls: a longer name is a variable. */
	assert_int_equal(banner_early_name("BANNERFILEX", 11), 5);
	assert_int_equal(banner_early_name("BANNERFIL", 9), 3);
	assert_int_equal(banner_early_name("banner_x", 8), 0);
	assert_int_equal(banner_early_name("TCPREMOTEIP", 11), 0);
	/* The length bounds it: "BANNERFILE=x" is read as BANNERFILE. */
	assert_int_equal(banner_early_name("BANNERFILE=x", 10), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_vars),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_frame),
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_early),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
