/* conf.c: directives, options, precedence, errors. */
#include "unit.h"

static void
test_defaults(void **state)
{
	struct conf	c;

	(void)state;
	conf_init(&c);
	assert_int_equal(c.min_workers, 1);
	assert_int_equal(c.max_workers, 2);
	assert_int_equal(c.max_requests, 500);
	assert_int_equal(c.idle_timeout, 300);
	assert_int_equal(c.busy_timeout, 120);
	assert_int_equal(c.client_timeout, 10);
	assert_int_equal(c.slew, 3);
	assert_int_equal(c.min_slew, 0);
	assert_int_equal(c.queue_size, 0);
	assert_int_equal(c.queue_timeout, 30);
	assert_int_equal(c.pin_workers, -1);	/* auto: mux decides */
	conf_free(&c);
}

/*
 * etc/mux.conf, every directive uncommented, parses; the numbers it
 * gives as defaults are the defaults.
 */
static void
test_example(void **state)
{
	struct conf	 c, d;
	char		 err[CONF_ERR_MAX], *text, *line, *next;
	FILE		*f;
	size_t		 len = 0, n;

	(void)state;
	assert_non_null(f = fopen(MUX_SRC_DIR "/etc/mux.conf", "r"));
	assert_non_null(text = calloc(1, 65536));
	while ((n = fread(text + len, 1, 65535 - len, f)) > 0)
		len += n;
	fclose(f);
	/* "#Name value": a directive; "# text": a comment. */
	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			next++;
		if (line[0] == '#' && line[1] >= 'A' && line[1] <= 'Z')
			line[0] = ' ';
	}
	conf_init(&c);
	conf_init(&d);
	assert_int_equal(conf_parse(&c, text, len, err), 0);
	assert_int_equal(c.min_workers, d.min_workers);
	assert_int_equal(c.max_workers, d.max_workers);
	assert_int_equal(c.max_requests, d.max_requests);
	assert_int_equal(c.idle_timeout, d.idle_timeout);
	assert_int_equal(c.busy_timeout, d.busy_timeout);
	assert_int_equal(c.client_timeout, d.client_timeout);
	assert_int_equal(c.slew, d.slew);
	assert_int_equal(c.min_slew, d.min_slew);
	assert_int_equal(c.queue_size, d.queue_size);
	assert_int_equal(c.queue_timeout, d.queue_timeout);
	assert_int_equal(c.backlog, d.backlog);
	assert_int_equal(c.max_listeners, d.max_listeners);
	assert_int_equal(c.session_timeout, d.session_timeout);
	assert_int_equal(c.relay_addrs, d.relay_addrs);
	assert_int_equal(c.nnotify, 2);
	conf_free(&c);
	conf_free(&d);
	free(text);
}

static void
test_parse(void **state)
{
	struct conf	 c;
	char		 err[CONF_ERR_MAX];
	const char	*text = "# comment\n"
	    "MaxWorkers 8\r\n"
	    "  minworkers\t3   # trailing\n"
	    "\n"
	    "Foreground on\n"
	    "PinWorkers on\n"
	    "Socket /tmp/a.sock\n"
	    "Command /bin/prog \"two words\" x\n";

	(void)state;
	conf_init(&c);
	assert_int_equal(conf_parse(&c, text, strlen(text), err), 0);
	assert_int_equal(c.max_workers, 8);
	assert_int_equal(c.min_workers, 3);
	assert_int_equal(c.foreground, 1);
	assert_int_equal(c.pin_workers, 1);
	assert_int_equal(conf_parse(&c, "PinWorkers auto\n", 16, err), 0);
	assert_int_equal(c.pin_workers, -1);
	assert_string_equal(c.sock, "/tmp/a.sock");
	assert_string_equal(c.cmd[0], "/bin/prog");
	assert_string_equal(c.cmd[1], "two words");
	assert_string_equal(c.cmd[2], "x");
	assert_null(c.cmd[3]);
	conf_free(&c);
}

static void
test_errors(void **state)
{
	static const struct {
		const char	*text;
		const char	*err;
	} t[] = {
		{ "Nope 1\n", "line 1: unknown directive \"Nope\"" },
		{ "MaxWorkers 0\n", "line 1: MaxWorkers: 0 is out of range "
		    "(1 to 4096)" },
		{ "MaxWorkers 12x\n", "line 1: MaxWorkers: \"12x\" is not a "
		    "number" },
		{ "QueueTimeout 601\n", "line 1: QueueTimeout: 601 is out of "
		    "range (1 to 600)" },
		{ "\nSyslog perhaps\n", "line 2: Syslog: expected on or off, "
		    "not \"perhaps\"" },
		{ "Syslog auto\n", "line 1: Syslog: expected on or off, "
		    "not \"auto\"" },
		{ "PinWorkers maybe\n", "line 1: PinWorkers: expected on, off "
		    "or auto, not \"maybe\"" },
		{ "MaxWorkers\n", "line 1: MaxWorkers takes one argument" },
		{ "Command\n", "line 1: Command: no program given" },
		{ "Command \"a\n", "line 1: unbalanced quote or too many "
		    "arguments" },
		{ "MaxWorkers 2\0\n", "line 1: NUL byte" },
	};
	struct conf	c;
	char		err[CONF_ERR_MAX];
	size_t		i, len;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		conf_init(&c);
		len = strlen(t[i].text);
		if (i == sizeof(t) / sizeof(t[0]) - 1)
			len = 15;
		assert_int_equal(conf_parse(&c, t[i].text, len, err), -1);
		assert_string_equal(err, t[i].err);
		conf_free(&c);
	}
}

static void
test_cli_wins(void **state)
{
	struct conf	 c;
	char		 err[CONF_ERR_MAX];
	char		*argv[] = { "mux", "-x", "5", "-D", "--config", "f",
	    "--pin-workers", "--", "/bin/true", "arg", NULL };
	const char	*text = "MaxWorkers 9\nMinWorkers 4\nForeground off\n"
	    "PinWorkers off\nCommand /bin/false\n";

	(void)state;
	conf_init(&c);
	assert_int_equal(conf_getopt(&c, 10, argv, err), 0);
	assert_string_equal(c.config, "f");
	assert_int_equal(conf_parse(&c, text, strlen(text), err), 0);
	assert_int_equal(c.max_workers, 5);
	assert_int_equal(c.min_workers, 4);
	assert_int_equal(c.foreground, 1);
	assert_int_equal(c.pin_workers, 1);
	assert_string_equal(c.cmd[0], "/bin/true");
	assert_string_equal(c.cmd[1], "arg");
	/* Overridden directives are still checked. */
	assert_int_equal(conf_parse(&c, "MaxWorkers x\n", 13, err), -1);
	conf_free(&c);
}

static void
test_bad_options(void **state)
{
	struct conf	 c;
	char		 err[CONF_ERR_MAX];
	char		*a1[] = { "mux", "-k", NULL };
	char		*a2[] = { "mux", "-x", NULL };
	char		*a3[] = { "mux", "-b", "0", NULL };
	char		*a4[] = { "mux", "--help", NULL };

	(void)state;
	conf_init(&c);
	assert_int_equal(conf_getopt(&c, 2, a1, err), -1);
	assert_string_equal(err, "bad or incomplete option -k");
	assert_int_equal(conf_getopt(&c, 2, a2, err), -1);
	assert_int_equal(conf_getopt(&c, 3, a3, err), -1);
	assert_string_equal(err, "BusyTimeout: 0 is out of range (1 to 86400)");
	assert_int_equal(conf_getopt(&c, 2, a4, err), 1);
	conf_free(&c);
}

static void
test_check(void **state)
{
	struct conf	c;
	char		err[CONF_ERR_MAX];

	(void)state;
	conf_init(&c);
	c.min_workers = 10;
	c.max_lifetime = -1;
	assert_int_equal(conf_check(&c, err), 0);
	assert_int_equal(c.min_workers, c.max_workers);
	assert_int_equal(c.max_lifetime, 0);
	assert_string_equal(c.sock,
	    "/var/spool/MIMEDefang/mimedefang-multiplexor.sock");
	c.prog = strdup("/nonexistent/prog");
	assert_int_equal(conf_check_prog(&c, err), -1);
	assert_string_equal(err, "worker program /nonexistent/prog: No such "
	    "file or directory");
	conf_free(&c);
	conf_init(&c);
	c.status_fd = 1;
	c.prog = strdup("/bin/sh");
	assert_int_equal(conf_check_prog(&c, err), 0);
	assert_string_equal(c.cmd[1], "-serveru");
	conf_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_cli_wins),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_check),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
