/*
 * mux with an in-process handler: the request is answered inside the
 * worker session, no extra process or pipe.  Same options as mux(8).
 * ISC licence, see src/worker/ws.h.
 */
#include "mux_handler.h"

static void
bench_line(struct ws_req *req, const char *line, size_t len, void *arg)
{
	(void)line;
	(void)len;
	(void)arg;
	ws_reply(req, "ok\n", 3);
}

static const struct ws_handler bench_handler = {
	"bench-ok", NULL, bench_line, NULL
};

int
main(int argc, char *argv[])
{
	return (mux_main(argc, argv, &bench_handler));
}
