/* Private to src/worker: the handler process of a worker session. */
#ifndef MUX_WSINT_H
#define MUX_WSINT_H

struct ws_hd {
	pid_t	pid;
	int	in, out, st;
};

int	ws_hd_start(struct ws_hd *, const struct ws_conf *);
void	ws_hd_stop(struct ws_hd *, int, int);

#endif
