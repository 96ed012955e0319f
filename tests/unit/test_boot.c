/* ws_boot.c: a worker session's start message, packed and unpacked. */
#include "unit.h"

static char	*hargv[] = { "/usr/bin/handler", "-x", "", "last arg", NULL };

static void
fill(struct ws_boot *b, struct ws_conf *c)
{
	memset(b, 0, sizeof(*b));
	memset(c, 0, sizeof(*c));
	b->idx = 7;
	b->lfd = 5;
	b->ep = 11;
	b->log = -1;
	b->shm = 9;
	b->shm_size = 123456;
	b->log_fg = 1;
	b->log_verbose = 2;
	b->log_facility = -1;
	b->log_ident = "mux-test";
	c->argv = hargv;
	c->prog = hargv[0];
	c->exec = 1;
	c->mqid = -1;
	c->busy_timeout = 120;
	c->max_as = 65536;
	c->recipok_limit = 3;
	c->peer_shim = "/usr/lib/mux/libmux-peer.so";
}

static void
test_round_trip(void **state)
{
	struct ws_boot	b, b2;
	struct ws_conf	c, c2;
	char		buf[1024];
	size_t		n;

	(void)state;
	fill(&b, &c);
	n = ws_boot_pack(&b, &c, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(ws_boot_unpack(buf, n, &b2, &c2), 0);
	assert_int_equal(b2.idx, 7);
	assert_int_equal(b2.lfd, 5);
	assert_int_equal(b2.ep, 11);
	assert_int_equal(b2.log, -1);
	assert_int_equal(b2.shm, 9);
	assert_int_equal(b2.shm_size, 123456);
	assert_int_equal(b2.log_verbose, 2);
	assert_int_equal(b2.log_facility, -1);
	assert_string_equal(b2.log_ident, "mux-test");
	assert_int_equal(c2.exec, 1);
	assert_int_equal(c2.mqid, -1);
	assert_int_equal(c2.busy_timeout, 120);
	assert_int_equal(c2.max_as, 65536);
	assert_int_equal(c2.recipok_limit, 3);
	assert_null(c2.msg_skip);
	assert_string_equal(c2.peer_shim, "/usr/lib/mux/libmux-peer.so");
	assert_string_equal(c2.prog, "/usr/bin/handler");
	assert_string_equal(c2.argv[1], "-x");
	assert_string_equal(c2.argv[2], "");
	assert_string_equal(c2.argv[3], "last arg");
	assert_null(c2.argv[4]);
	assert_null(c2.inproc);
	free((void *)c2.argv);
}

/* In-process handlers: no argv, no program. */
static void
test_no_argv(void **state)
{
	struct ws_boot	b, b2;
	struct ws_conf	c, c2;
	char		buf[1024];
	size_t		n;

	(void)state;
	fill(&b, &c);
	c.argv = NULL;
	c.prog = NULL;
	c.msg_skip = "SCAN";
	n = ws_boot_pack(&b, &c, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(ws_boot_unpack(buf, n, &b2, &c2), 0);
	assert_null(c2.argv);
	assert_null(c2.prog);
	assert_string_equal(c2.msg_skip, "SCAN");
}

/* Too small a buffer: 0, never a cut message. */
static void
test_too_long(void **state)
{
	struct ws_boot	b;
	struct ws_conf	c;
	char		buf[1024];
	size_t		n, sz;

	(void)state;
	fill(&b, &c);
	n = ws_boot_pack(&b, &c, buf, sizeof(buf));
	for (sz = 0; sz < n; sz++)
		assert_int_equal(ws_boot_pack(&b, &c, buf, sz), 0);
	assert_int_equal(ws_boot_pack(&b, &c, buf, n), n);
}

/* Every cut, a byte too many, a string without its NUL: refused. */
static void
test_bad(void **state)
{
	struct ws_boot	b, b2;
	struct ws_conf	c, c2;
	char		buf[1024], copy[1025];
	size_t		n, len;

	(void)state;
	fill(&b, &c);
	n = ws_boot_pack(&b, &c, buf, sizeof(buf));
	for (len = 0; len < n; len++) {
		memcpy(copy, buf, len);
		assert_int_equal(ws_boot_unpack(copy, len, &b2, &c2), -1);
	}
	memcpy(copy, buf, n);
	copy[n] = 'x';
	assert_int_equal(ws_boot_unpack(copy, n + 1, &b2, &c2), -1);
	memcpy(copy, buf, n);
	copy[n - 1] = 'x';
	assert_int_equal(ws_boot_unpack(copy, n, &b2, &c2), -1);
	memcpy(copy, buf, n);
	copy[0] ^= 0xff;		/* another version */
	assert_int_equal(ws_boot_unpack(copy, n, &b2, &c2), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_no_argv),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_bad),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
