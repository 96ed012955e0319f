/* rules.c: tcprules values, and lookups in a CDB made here by tinycdb. */
#include <cdb.h>
#include <fcntl.h>
#include <unistd.h>

#include "unit.h"

static void
test_parse(void **state)
{
	struct rules_res	r;
	static const char	v[] = "D\0+RELAYCLIENT=\0+X=a=b\0junk\0+NOEQ\0"
	    "+=bad\0";

	(void)state;
	rules_parse(v, sizeof(v) - 1, &r);
	assert_true(r.matched);
	assert_true(r.deny);
	assert_int_equal(r.nvars, 2);
	assert_string_equal(r.vars[0], "RELAYCLIENT=");
	assert_string_equal(r.vars[1], "X=a=b");
	assert_string_equal(rules_var(&r, "X"), "a=b");
	assert_string_equal(rules_var(&r, "RELAYCLIENT"), "");
	assert_null(rules_var(&r, "NOEQ"));
	/* allow: a zero-length value is a match. */
	rules_parse("", 0, &r);
	assert_true(r.matched);
	assert_false(r.deny);
	assert_int_equal(r.nvars, 0);
	/* No NUL at the end: still one record, bounded. */
	rules_parse("+A=1", 4, &r);
	assert_string_equal(rules_var(&r, "A"), "1");
}

static void
put(struct cdb_make *m, const char *k, const char *v, size_t vlen)
{
	assert_int_equal(cdb_make_add(m, k, (unsigned)strlen(k), v,
	    (unsigned)vlen), 0);
}

static void
test_lookup(void **state)
{
	char			 path[] = "/tmp/mux-rules-XXXXXX";
	char			*paths[2];
	struct cdb_make		 m;
	struct rules		 rs;
	struct rules_res	 r;
	char			 err[256];
	int			 fd;

	(void)state;
	assert_true((fd = mkstemp(path)) != -1);
	cdb_make_start(&m, fd);
	put(&m, "10.1.2.3", "+WHO=exact\0", 11);
	put(&m, "10.1.2.", "+WHO=c\0", 7);
	put(&m, "10.1.", "D\0", 2);
	put(&m, "=mail.example.com", "+WHO=host\0", 10);
	put(&m, "=.example.org", "+WHO=suffix\0", 12);
	put(&m, "=.org", "+WHO=tld\0", 9);
	put(&m, "=", "+WHO=named\0", 11);
	put(&m, "", "+WHO=default\0", 13);
	assert_int_equal(cdb_make_finish(&m), 0);
	close(fd);
	paths[0] = "/nonexistent/rules.cdb";	/* missing: no error */
	paths[1] = path;
	assert_int_equal(rules_open(&rs, paths, 2, err, sizeof(err)), 0);
	rules_lookup(&rs, "10.1.2.3", NULL, &r);
	assert_string_equal(rules_var(&r, "WHO"), "exact");
	assert_string_equal(r.key, "10.1.2.3");
	rules_lookup(&rs, "10.1.2.99", NULL, &r);
	assert_string_equal(rules_var(&r, "WHO"), "c");
	assert_string_equal(r.key, "10.1.2.");
	rules_lookup(&rs, "10.1.9.9", NULL, &r);
	assert_true(r.deny);
	rules_lookup(&rs, "192.0.2.1", NULL, &r);
	assert_string_equal(rules_var(&r, "WHO"), "default");
	assert_string_equal(r.key, "");
	rules_lookup(&rs, "2001:db8::1", NULL, &r);
	assert_string_equal(rules_var(&r, "WHO"), "default");
	/* Host names, as tcpserver: =HOST before the prefixes, then the
	 * suffixes longest first, then "=". */
	rules_lookup(&rs, "10.1.2.99", "mail.example.com", &r);
	assert_string_equal(rules_var(&r, "WHO"), "host");
	rules_lookup(&rs, "192.0.2.1", "a.b.example.org", &r);
	assert_string_equal(rules_var(&r, "WHO"), "suffix");
	assert_string_equal(r.key, "=.example.org");
	rules_lookup(&rs, "192.0.2.1", "x.other.org", &r);
	assert_string_equal(rules_var(&r, "WHO"), "tld");
	rules_lookup(&rs, "192.0.2.1", "localhost", &r);
	assert_string_equal(rules_var(&r, "WHO"), "named");
	rules_lookup(&rs, "10.1.2.99", "x.other.net", &r);
	assert_string_equal(rules_var(&r, "WHO"), "c");	/* prefix first */
	rules_close(&rs);

	/* A corrupt file is refused whole. */
	assert_true((fd = open(path, O_WRONLY | O_TRUNC)) != -1);
	assert_int_equal(write(fd, "not a cdb", 9), 9);
	close(fd);
	assert_int_equal(rules_open(&rs, paths, 2, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a CDB file"));
	unlink(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_lookup),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
