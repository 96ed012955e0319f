/* sock.c: socket specs. */
#include "unit.h"
#include <sys/socket.h>

static void
test_specs(void **state)
{
	struct sock_spec	s;

	(void)state;
	assert_int_equal(sock_parse("/run/mux.sock", &s), 0);
	assert_int_equal(s.family, AF_UNIX);
	assert_string_equal(s.path, "/run/mux.sock");
	assert_int_equal(sock_parse("unix:/a", &s), 0);
	assert_string_equal(s.path, "/a");
	assert_int_equal(sock_parse("local:/b", &s), 0);
	assert_string_equal(s.path, "/b");
	assert_int_equal(sock_parse("inet:4567", &s), 0);
	assert_int_equal(s.family, AF_INET);
	assert_string_equal(s.addr, "127.0.0.1");
	assert_int_equal(s.port, 4567);
	assert_int_equal(sock_parse("inet:10.1.2.3:25", &s), 0);
	assert_string_equal(s.addr, "10.1.2.3");
	assert_int_equal(s.port, 25);
	assert_int_equal(sock_parse("inet_any:99", &s), 0);
	assert_string_equal(s.addr, "0.0.0.0");
	assert_int_equal(sock_parse("inet6:4567", &s), 0);
	assert_int_equal(s.family, AF_INET6);
	assert_string_equal(s.addr, "::1");
	assert_int_equal(sock_parse("inet6:[fe80::1]:8", &s), 0);
	assert_string_equal(s.addr, "fe80::1");
	assert_int_equal(s.port, 8);
	assert_int_equal(sock_parse("inet6_any:7", &s), 0);
	assert_string_equal(s.addr, "::");
}

static void
test_bad(void **state)
{
	static const char *bad[] = {
		"", "relative/path", "unix:relative", "inet:", "inet:0",
		"inet:65536", "inet:x", "inet:1.2.3:4", "inet:300.1.1.1:4",
		"inet6:[::1:4", "inet6:[zz]:4", "inet6_any:", "tcp:25",
		"inet:4567x",
	};
	struct sock_spec	s;
	char			longp[200];
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sock_parse(bad[i], &s), -1);
	memset(longp, 'a', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = '\0';
	assert_int_equal(sock_parse(longp, &s), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_specs),
		cmocka_unit_test(test_bad),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
