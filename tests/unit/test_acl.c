/* acl.c: ControlsACLs grammar and who may act; ctl.c formatting. */
#include "unit.h"

/* Names: users alice=1001 bob=1002 carol=1003; groups ops=50 staff=60. */
static int
resolve(int group, const char *name, uint32_t *id, void *arg)
{
	static const struct { int g; const char *n; uint32_t id; } t[] = {
		{ 0, "alice", 1001 }, { 0, "bob", 1002 }, { 0, "carol", 1003 },
		{ 1, "ops", 50 }, { 1, "staff", 60 },
	};
	size_t	i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].g == group && strcmp(t[i].n, name) == 0) {
			*id = t[i].id;
			return (0);
		}
	(*(int *)arg)++;
	return (-1);
}

static void
add(struct acl *a, int msg, const char *x, const char *y, const char *z,
    const char *w, int *unknown)
{
	char	*av[4] = { (char *)x, (char *)y, (char *)z, (char *)w };
	char	 err[128];

	assert_int_equal(acl_add(a, msg, 4, av, resolve, unknown, err,
	    sizeof(err)), 0);
}

static int
may(const struct acl *a, int action, uint32_t uid, uint32_t gid,
    uint32_t supp)
{
	struct acl_peer	p = { uid, gid, &supp, supp ? 1 : 0 };

	return (acl_check(a, action, &p, 999));
}

static void
test_syntax(void **state)
{
	char	 err[128];
	char	*ok[] = { "status,who", "allow", "user", "alice" };
	char	*bad1[] = { "stauts", "allow", "user", "alice" };
	char	*bad2[] = { "status", "permit", "user", "alice" };
	char	*bad3[] = { "status", "allow", "uid", "alice" };
	char	*bad4[] = { "msg", "allow", "user", "alice" };
	char	*bad5[] = { "status", "allow", "user", "" };
	char	*okm[] = { "all", "deny", "group", "ops" };

	(void)state;
	assert_int_equal(acl_syntax(0, 4, ok, err, sizeof(err)), 0);
	assert_int_equal(acl_syntax(0, 3, ok, err, sizeof(err)), -1);
	assert_int_equal(acl_syntax(0, 4, bad1, err, sizeof(err)), -1);
	assert_string_equal(err, "stauts: not an action of ControlsACLs");
	assert_int_equal(acl_syntax(0, 4, bad2, err, sizeof(err)), -1);
	assert_int_equal(acl_syntax(0, 4, bad3, err, sizeof(err)), -1);
	/* msg belongs to MessageControlsACLs, status does not. */
	assert_int_equal(acl_syntax(0, 4, bad4, err, sizeof(err)), -1);
	assert_int_equal(acl_syntax(1, 4, bad4, err, sizeof(err)), 0);
	assert_int_equal(acl_syntax(1, 4, ok, err, sizeof(err)), -1);
	assert_int_equal(acl_syntax(0, 4, bad5, err, sizeof(err)), -1);
	assert_int_equal(acl_syntax(1, 4, okm, err, sizeof(err)), 0);
}

static void
test_default(void **state)
{
	struct acl	a = { NULL, 0 };

	(void)state;
	/* Nothing configured: root and the mux's own user (999) only. */
	assert_true(may(&a, CTL_REREAD, 0, 0, 0));
	assert_true(may(&a, CTL_MSG, 999, 999, 0));
	assert_false(may(&a, CTL_STATUS, 1001, 100, 0));
	/* help is for everyone who reached the socket. */
	assert_true(may(&a, CTL_HELP, 1001, 100, 0));
}

static void
test_rules(void **state)
{
	struct acl	a = { NULL, 0 };
	int		unknown = 0;

	(void)state;
	add(&a, 0, "status,who", "allow", "user", "alice,nobody_here",
	    &unknown);
	add(&a, 0, "reread", "allow", "group", "ops", &unknown);
	add(&a, 0, "status", "allow", "user", "*", &unknown);
	add(&a, 0, "all", "deny", "user", "carol", &unknown);
	add(&a, 1, "msg", "allow", "group", "staff,ops", &unknown);
	assert_int_equal(unknown, 1);
	assert_int_equal(a.n, 5);

	assert_true(may(&a, CTL_WHO, 1001, 100, 0));	/* alice by name */
	assert_false(may(&a, CTL_REREAD, 1001, 100, 0));
	assert_true(may(&a, CTL_REREAD, 1002, 100, 50));	/* supplementary */
	assert_true(may(&a, CTL_REREAD, 1002, 50, 0));	/* primary */
	assert_false(may(&a, CTL_WHO, 1002, 50, 0));
	assert_true(may(&a, CTL_STATUS, 4242, 100, 0));	/* "*" */
	assert_false(may(&a, CTL_STATUS, 1003, 100, 0));	/* deny wins */
	assert_false(may(&a, CTL_REREAD, 1003, 50, 0));
	/* "all" in ControlsACLs does not reach msg. */
	assert_false(may(&a, CTL_MSG, 1001, 100, 0));
	assert_true(may(&a, CTL_MSG, 1001, 100, 60));
	assert_true(may(&a, CTL_MSG, 1003, 60, 0));	/* deny was controls */
	acl_free(&a);
	assert_int_equal(a.n, 0);
}

static void
test_split(void **state)
{
	char	 s[] = "  kick\tuser  dave ", *av[4];
	char	 t[] = "a b c d e";

	(void)state;
	assert_int_equal(conf_split(s, av, 4, 0), 3);
	assert_string_equal(av[0], "kick");
	assert_string_equal(av[1], "user");
	assert_string_equal(av[2], "dave");
	assert_int_equal(conf_split(t, av, 4, 0), -1);
}

/* status from these parts, no refusal counted. */
static void
format_status(struct cmd_buf *b, const struct cmd_view *v,
    const struct notify_stats *ns, const struct ctl_shut_view *sh,
    const struct log_rl *rl)
{
	struct ctl_status	st;

	memset(&st, 0, sizeof(st));
	st.v = *v;
	st.ns = *ns;
	st.sh = sh;
	st.rl = rl;
	ctl_format_status(b, &st);
}

static void
test_format(void **state)
{
	struct cmd_worker	w[4];
	struct cmd_view		v;
	struct notify_stats	ns;
	struct ctl_shut_view	sh;
	struct cmd_buf		b = CMD_BUF_INIT;
	static struct log_rl	rl[LOG_RL_N];

	(void)state;
	memset(w, 0, sizeof(w));
	memset(&v, 0, sizeof(v));
	memset(&ns, 0, sizeof(ns));
	w[0].state = WS_BUSY;
	w[0].pid = 100;
	w[0].cmd = WS_CMD_SCAN;
	w[0].nreq = 7;
	w[0].age = 60;
	strcpy(w[0].tag, "scanning a b");
	w[0].in_session = 1;
	strcpy(w[0].client, "10.1.2.3");
	strcpy(w[0].user, "(none)");
	strcpy(w[0].cls, "default");
	w[1].state = WS_STOPPED;
	w[2].state = WS_IDLE;
	w[2].pid = 102;
	strcpy(w[2].client, "-");
	strcpy(w[2].user, "-");
	strcpy(w[2].cls, "-");
	w[2].ago = 5;
	w[2].age = 9;
	v.nslots = 3;
	v.w = w;
	v.nfree = 2;
	v.msgs = 12;
	v.version = "x";
	ns.connected = 1;
	ns.max = 8;
	ns.accepted = 3;
	ns.access_denied = 2;
	/* A service session: its user, class and last command's verb. */
	w[3].state = WS_BUSY;
	w[3].pid = 103;
	w[3].in_session = 1;
	w[3].svc = 1;
	strcpy(w[3].client, "192.0.2.7");
	strcpy(w[3].user, "dave");
	strcpy(w[3].cls, "staff");
	strcpy(w[3].verb, "RETR");
	w[3].online = 42;
	v.nslots = 4;
	ctl_format_who(&b, &v);
	v.nslots = 3;
	assert_string_equal(buf_str(&b),
	    "*-slot=0 pid=100 state=busy requests=7 age=60 idle=0 online=- "
	    "client=10.1.2.3 user=(none) class=default cmd=scan "
	    "tag=scanning a b\n"
	    "*-slot=2 pid=102 state=idle requests=0 age=9 idle=5 online=- "
	    "client=- "
	    "user=- class=- cmd=- tag=\n"
	    "*-slot=3 pid=103 state=busy requests=0 age=0 idle=0 online=42 "
	    "client=192.0.2.7 user=dave class=staff cmd=RETR tag=\n"
	    "*OK 3 worker sessions\n");
	cmd_buf_free(&b);
	/* Sessions without a worker come after, and the count says so. */
	v.nslots = 1;
	v.wait = (struct cmd_waiting[]){
	    { "banner", 7, "198.51.100.9", "(none)", "default" },
	    { "queued", 12, "local", "bob", "staff" } };
	v.nwait = 2;
	ctl_format_who(&b, &v);
	assert_string_equal(buf_str(&b),
	    "*-slot=0 pid=100 state=busy requests=7 age=60 idle=0 online=- "
	    "client=10.1.2.3 user=(none) class=default cmd=scan "
	    "tag=scanning a b\n"
	    "*-slot=- pid=- state=banner requests=0 age=7 idle=0 online=7 "
	    "client=198.51.100.9 user=(none) class=default cmd=- tag=\n"
	    "*-slot=- pid=- state=queued requests=0 age=12 idle=0 online=12 "
	    "client=local user=bob class=staff cmd=- tag=\n"
	    "*OK 1 worker session, 2 waiting\n");
	cmd_buf_free(&b);
	v.nwait = 0;
	v.nslots = 3;
	format_status(&b, &v, &ns, NULL, NULL);
	assert_string_equal(buf_str(&b),
	    "*-pool slots=3 free=2 idle=1 busy=1 starting=0 retiring=0 "
	    "killed=0 stopped=1 queued=0 queue_size=0\n"
	    "*-requests scans=12 activations=0 uptime=0 version=x\n"
	    "*-listeners connected=1 max=8 accepted=3 refused=0 too_slow=0 "
	    "stalled=0 line_too_long=0 unknown_command=0 access_denied=2 "
	    "skipped_events=0\n"
	    "*-refused busy=0 queue_full=0 queue_timeout=0 no_worker=0 "
	    "shutdown=0 per_host=0 per_user=0 rules=0 early_talker=0 "
	    "banner_hangup=0\n"
	    "*OK status\n");
	cmd_buf_free(&b);
	sh.refusing = 1;
	sh.refuse_in = 0;
	sh.cut_in = -1;
	sh.text = "back at 14:00";
	format_status(&b, &v, &ns, &sh, NULL);
	assert_non_null(strstr(buf_str(&b), "\n*-shutdown refusing=1 refuse_in=0 "
	    "cut_in=-1 text=back at 14:00\n*OK status\n"));
	cmd_buf_free(&b);
	memset(rl, 0, sizeof(rl));
	atomic_store(&rl[LOG_RL_NO_FREE].lines, 25);
	atomic_store(&rl[LOG_RL_NO_FREE].suppressed, 15);
	atomic_store(&rl[LOG_RL_EARLY_TALKER].lines, 3);
	format_status(&b, &v, &ns, NULL, rl);
	assert_non_null(strstr(buf_str(&b), "\n*-logs lines=28 suppressed=15 "
	    "no_free_workers=15\n*OK status\n"));
	cmd_buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_default),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_format),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
