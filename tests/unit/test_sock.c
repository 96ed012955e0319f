/* sockspec.c: the socket-spec grammar. */
#include "unit.h"
#include <sys/socket.h>

static void
test_specs(void **state)
{
	struct sock_spec	s;

	(void)state;
	assert_int_equal(sock_parse("/run/mux.sock", &s, NULL, 0), 0);
	assert_int_equal(s.family, AF_UNIX);
	assert_string_equal(s.path, "/run/mux.sock");
	assert_int_equal(sock_parse("unix:/a", &s, NULL, 0), 0);
	assert_string_equal(s.path, "/a");
	assert_int_equal(sock_parse("local:/b", &s, NULL, 0), 0);
	assert_string_equal(s.path, "/b");
	assert_int_equal(sock_parse("inet:4567", &s, NULL, 0), 0);
	assert_int_equal(s.family, AF_INET);
	assert_string_equal(s.addr, "127.0.0.1");
	assert_int_equal(s.port, 4567);
	assert_int_equal(sock_parse("inet:10.1.2.3:25", &s, NULL, 0), 0);
	assert_string_equal(s.addr, "10.1.2.3");
	assert_int_equal(s.port, 25);
	assert_int_equal(sock_parse("inet_any:99", &s, NULL, 0), 0);
	assert_string_equal(s.addr, "0.0.0.0");
	assert_int_equal(sock_parse("inet6:4567", &s, NULL, 0), 0);
	assert_int_equal(s.family, AF_INET6);
	assert_string_equal(s.addr, "::1");
	assert_int_equal(sock_parse("inet6:[fe80::1]:8", &s, NULL, 0), 0);
	assert_string_equal(s.addr, "fe80::1");
	assert_int_equal(s.port, 8);
	assert_int_equal(sock_parse("inet6_any:7", &s, NULL, 0), 0);
	assert_string_equal(s.addr, "::");
	/* Relative paths: with unix:, or any path with a slash. */
	assert_int_equal(sock_parse("unix:mux.sock", &s, NULL, 0), 0);
	assert_int_equal(s.family, AF_UNIX);
	assert_string_equal(s.path, "mux.sock");
	assert_int_equal(sock_parse("run/mux.sock", &s, NULL, 0), 0);
	assert_string_equal(s.path, "run/mux.sock");
	assert_int_equal(sock_absolute(&s, "/srv"), 0);
	assert_string_equal(s.path, "/srv/run/mux.sock");
	assert_int_equal(sock_absolute(&s, "/elsewhere"), 0);
	assert_string_equal(s.path, "/srv/run/mux.sock");
}

/* What a client may say besides: PORT and ADDR:PORT alone. */
static void
test_client(void **state)
{
	struct sock_spec	s;
	char			err[256];

	(void)state;
	assert_int_equal(sock_parse_client("4567", &s, err, sizeof(err)), 0);
	assert_int_equal(s.family, AF_INET);
	assert_string_equal(s.addr, "127.0.0.1");
	assert_int_equal(s.port, 4567);
	assert_int_equal(sock_parse_client("127.0.0.2:25", &s, err,
	    sizeof(err)), 0);
	assert_string_equal(s.addr, "127.0.0.2");
	assert_int_equal(sock_parse_client("unix:c.sock", &s, err,
	    sizeof(err)), 0);
	assert_string_equal(s.path, "c.sock");
	assert_int_equal(sock_parse_client("inet6:[::1]:9", &s, err,
	    sizeof(err)), 0);
	assert_int_equal(s.port, 9);
	/* The daemon does not take them. */
	assert_int_equal(sock_parse("4567", &s, err, sizeof(err)), -1);
	/* Errors name the cause. */
	assert_int_equal(sock_parse_client("mux.sock", &s, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "unknown socket spec \"mux.sock\""));
	assert_int_equal(sock_parse_client("tcp:25", &s, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "unknown socket spec \"tcp:25\""));
	assert_int_equal(sock_parse_client("25x", &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad port \"25x\""));
	assert_int_equal(sock_parse("tcp:25", &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown socket spec \"tcp:25\""));
	assert_int_equal(sock_parse("inet:300.1.1.1:4", &s, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "bad IPv4 address \"300.1.1.1\""));
	assert_int_equal(sock_parse("inet:70000", &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad port \"70000\""));
}

static void
test_bad(void **state)
{
	static const char *bad[] = {
		"", "mux.sock", "unix:", "inet:", "inet:0",
		"inet:65536", "inet:x", "inet:1.2.3:4", "inet:300.1.1.1:4",
		"inet6:[::1:4", "inet6:[zz]:4", "inet6_any:", "tcp:25",
		"inet:4567x",
	};
	struct sock_spec	s;
	char			longp[200];
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sock_parse(bad[i], &s, NULL, 0), -1);
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(sock_parse(longp, &s, NULL, 0), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_specs),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_client),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
