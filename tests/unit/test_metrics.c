/* metrics.c: the exposition, in both formats; agent.c's answers. */
#include "unit.h"

static const char *
has(const char *text, const char *want)
{
	const char	*p = strstr(text, want);

	if (p == NULL)
		fail_msg("missing: %s", want);
	return (p);
}

static void
fill(struct ctl_status *st, uint64_t *lat)
{
	static struct cmd_worker	w[3];

	memset(st, 0, sizeof(*st));
	memset(w, 0, sizeof(w));
	w[0].state = WS_IDLE;
	w[1].state = WS_BUSY;
	w[2].state = WS_STOPPED;
	st->v.nslots = 3;
	st->v.w = w;
	st->v.msgs = 12;
	st->v.version = "9.9";
	lat[0] = 2;		/* up to 100 us */
	lat[3] = 1;		/* up to 1 ms */
	lat[WS_LAT_N - 1] = 1;	/* over 10 s */
	st->v.lat = lat;
	st->v.lat_sum_us = 12000500;
	st->v.lat_count = 4;
	st->refused_sess[OUT_PER_HOST] = 990;
	st->refused_req[OUT_BUSY] = 3;
	st->sessions_served = 21;
}

static void
test_text(void **state)
{
	struct ctl_status	st;
	struct cmd_buf		b = CMD_BUF_INIT;
	uint64_t		lat[WS_LAT_N] = { 0 };
	const char		*t;

	(void)state;
	fill(&st, lat);
	metrics_format(&b, &st, 0);
	t = buf_str(&b);
	has(t, "# TYPE mux_slots gauge\nmux_slots{state=\"stopped\"} 1\n"
	    "mux_slots{state=\"starting\"} 0\nmux_slots{state=\"idle\"} 1\n"
	    "mux_slots{state=\"busy\"} 1\n");
	has(t, "# TYPE mux_scans_total counter\nmux_scans_total 12\n");
	/* Cumulative buckets, the sum in seconds. */
	has(t, "mux_request_duration_seconds_bucket{le=\"0.0001\"} 2\n"
	    "mux_request_duration_seconds_bucket{le=\"0.00025\"} 2\n"
	    "mux_request_duration_seconds_bucket{le=\"0.0005\"} 2\n"
	    "mux_request_duration_seconds_bucket{le=\"0.001\"} 3\n");
	has(t, "mux_request_duration_seconds_bucket{le=\"10\"} 3\n"
	    "mux_request_duration_seconds_bucket{le=\"+Inf\"} 4\n"
	    "mux_request_duration_seconds_sum 12.000500\n"
	    "mux_request_duration_seconds_count 4\n");
	has(t, "# TYPE mux_requests_total counter\n"
	    "mux_requests_total{outcome=\"served\"} 4\n"
	    "mux_requests_total{outcome=\"busy\"} 3\n");
	has(t, "mux_sessions_total{outcome=\"served\"} 21\n");
	has(t, "mux_sessions_total{outcome=\"per_host\"} 990\n");
	has(t, "mux_requests_total{outcome=\"per_host\"} 0\n");
	has(t, "# TYPE mux_build_info gauge\nmux_build_info{version=\"9.9\"} 1\n");
	/* No sessions or messages parts given: none shown. */
	assert_null(strstr(t, "mux_sessions_live"));
	assert_null(strstr(t, "mux_messages"));
	assert_null(strstr(t, "# EOF"));
	cmd_buf_free(&b);
}

static void
test_openmetrics(void **state)
{
	struct ctl_status	st;
	struct intake_stats	in = { .live = 7, .waiting = 2 };
	struct cmd_buf		b = CMD_BUF_INIT;
	uint64_t		lat[WS_LAT_N] = { 0 };
	const char		*t;
	size_t			n;

	(void)state;
	fill(&st, lat);
	st.in = &in;
	metrics_format(&b, &st, 1);
	t = buf_str(&b);
	/* A counter's family has no _total; its samples do. */
	has(t, "# TYPE mux_scans counter\nmux_scans_total 12\n");
	has(t, "# TYPE mux_requests counter\nmux_requests_total{outcome=");
	has(t, "# TYPE mux_build info\nmux_build_info{version=\"9.9\"} 1\n");
	has(t, "# TYPE mux_sessions_live gauge\nmux_sessions_live 7\n");
	n = strlen(t);
	assert_true(n > 6 && strcmp(t + n - 6, "# EOF\n") == 0);
	cmd_buf_free(&b);
}

static const char *
word(int nfree, int nslots, int refusing, int draining)
{
	static char	buf[32];

	agent_word(buf, sizeof(buf), nfree, nslots, refusing, draining);
	return (buf);
}

static void
test_agent(void **state)
{
	(void)state;
	assert_string_equal(word(4, 4, 0, 0), "ready up 100%\n");
	assert_string_equal(word(3, 4, 0, 0), "ready up 75%\n");
	assert_string_equal(word(1, 300, 0, 0), "ready up 1%\n");
	/* Saturated, or on its way out: no new session. */
	assert_string_equal(word(0, 4, 0, 0), "drain\n");
	assert_string_equal(word(4, 4, 0, 1), "drain\n");
	/* A shutdown refusing clients: out of the rotation. */
	assert_string_equal(word(4, 4, 1, 1), "maint\n");
	assert_string_equal(word(0, 0, 0, 0), "drain\n");
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_openmetrics),
		cmocka_unit_test(test_agent),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
