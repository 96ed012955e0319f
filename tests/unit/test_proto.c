/* proto.c: listener protocols, and FTP's user learnt from the stream. */
#include "unit.h"

static void
feed(struct proto *pr, const char *line)
{
	proto_client(pr, line, strlen(line));
}

static void
test_split(void **state)
{
	size_t	len;

	(void)state;
	assert_int_equal(proto_split("inet:2121,ftp", &len), PROTO_FTP);
	assert_int_equal(len, 9);
	assert_int_equal(proto_split("inet:2121,FTP", &len), PROTO_FTP);
	assert_int_equal(proto_split("inet:2121", &len), PROTO_NONE);
	assert_int_equal(len, 9);
	/* A path's comma is not a protocol. */
	assert_int_equal(proto_split("/run/a,b.sock", &len), PROTO_NONE);
	assert_int_equal(len, 13);
	assert_int_equal(proto_split("inet:21,none", &len), PROTO_NONE);
	assert_int_equal(len, 7);
	assert_int_equal(proto_by_name("gopher", 6), -1);
	assert_string_equal(proto_name(PROTO_FTP), "ftp");
}

static void
test_ftp(void **state)
{
	struct proto	pr;

	(void)state;
	proto_init(&pr, PROTO_FTP);
	assert_null(proto_reply(&pr, 220));		/* the greeting */
	feed(&pr, "USER dave");
	assert_null(proto_reply(&pr, 331));
	feed(&pr, "PASS secret");
	assert_string_equal(proto_reply(&pr, 230), "dave");
	assert_null(proto_reply(&pr, 230));		/* once */

	/* A wrong password: nobody. */
	feed(&pr, "user carol");
	assert_null(proto_reply(&pr, 331));
	feed(&pr, "PASS wrong");
	assert_null(proto_reply(&pr, 530));
	feed(&pr, "NOOP");
	assert_null(proto_reply(&pr, 230));

	/* Logged in by USER alone. */
	feed(&pr, "USER anonymous");
	assert_string_equal(proto_reply(&pr, 230), "anonymous");

	/* Another command between USER and PASS cancels nothing it should
	   not: the PASS still answers the USER. */
	feed(&pr, "USER erin");
	assert_null(proto_reply(&pr, 331));
	feed(&pr, "SYST");
	assert_null(proto_reply(&pr, 215));
	feed(&pr, "PASS x");
	assert_string_equal(proto_reply(&pr, 230), "erin");

	/* Names who cannot show are not taken. */
	feed(&pr, "USER a b");
	assert_null(proto_reply(&pr, 230));
	feed(&pr, "USER ");
	assert_null(proto_reply(&pr, 230));
	feed(&pr, "USERX dave");
	assert_null(proto_reply(&pr, 230));
	feed(&pr, "USER 0123456789012345678901234567890123456789012345678901234567890123456789");
	assert_null(proto_reply(&pr, 230));

	/* Protocol none learns nothing. */
	proto_init(&pr, PROTO_NONE);
	feed(&pr, "USER dave");
	assert_null(proto_reply(&pr, 230));
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_ftp),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
