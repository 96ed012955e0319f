/*
 * Copyright (c) 2026 The mux authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */


/*
 * The mux: set up, then the loop is the program.  Signals as
 * mimedefang-multiplexor(8), whose users' scripts send them: SIGTERM
 * shuts down cleanly, SIGINT forces a reread (Debian's ExecReload), and
 * SIGHUP only reopens the log files (logrotate sends it by name).
 */

#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "cleanup.h"
#include "mux.h"
#include "notify.h"

static struct {
	struct event_base	*base;
	struct conf		 conf;
	int			 argc;
	char			**argv;
	struct sock_spec	 sspec;
	struct sock_spec	 uspec;
	struct sock_spec	 mspec;		/* -N */
	int			 mfd;
	struct sock_spec	*nspec;
	int			*nfd;
	struct sock_spec	*lspec;		/* service listeners */
	int			*lfd;
	const struct ws_handler	*inproc;
	int			 pidfile_done;
	uid_t			 uid;		/* -U's, or -1 */
	gid_t			 gid;
	int			 lockfd;
} M = { .uid = (uid_t)-1, .gid = (gid_t)-1, .lockfd = -1, .mfd = -1 };

static void	mux_unlink_all(void);

static void
usage(FILE *f)
{
	conf_usage(f);	/* from the options table */
}

/* Load options and the configuration file into c; -1 with a message. */
static int
mux_configure(struct conf *c, char *err)
{
	int	rv;

	conf_init(c);
	if ((rv = conf_getopt(c, M.argc, M.argv, err)) != 0)
		return (rv);
	if (c->config != NULL && conf_load(c, c->config, err) == -1)
		return (-1);
	if (conf_check(c, err) == -1)
		return (-1);
	if (M.inproc == NULL && conf_check_prog(c, err) == -1)
		return (-1);
	return (0);
}

#define MUX_SWAP(a, b) do {			\
	__typeof__(a) t_ = (a);			\
	(a) = (b);				\
	(b) = t_;				\
} while (0)

/*
 * Reread: the rules of the new configuration (nc keeps the old), and
 * the banners' derived state.
 */
static void
mux_reread_intake(struct conf *nc)
{
	char	err[CONF_ERR_MAX];

	M.conf.banner_drop = nc->banner_drop;
	MUX_SWAP(M.conf.rules, nc->rules);
	MUX_SWAP(M.conf.nrules, nc->nrules);
	/* The files are reopened even if their names did not change. */
	if (intake_rules(&M.conf, err, sizeof(err)) == -1) {
		log_warnx("reread: %s; keeping the rules in force", err);
		MUX_SWAP(M.conf.rules, nc->rules);
		MUX_SWAP(M.conf.nrules, nc->nrules);
	}
}

/*
 * MessageLog again, under its new or the same name: logrotate moved it.
 * What cannot be opened (the mux runs as -U's user by now) leaves the
 * old one in use.
 */
static void
mux_reopen_msglog(struct conf *nc)
{
	char	err[CONF_ERR_MAX];
	int	fd = -1;

	if (nc != NULL) {
		MUX_SWAP(M.conf.msg_log, nc->msg_log);
		M.conf.log_symlinks = nc->log_symlinks;
	}
	if (M.conf.msg_log != NULL && strcmp(M.conf.msg_log, "none") != 0 &&
	    (fd = msglog_open(M.conf.msg_log, M.conf.log_symlinks, err,
	    sizeof(err))) == -1) {
		log_warnx("reread: %s; logging to the old MessageLog", err);
		if (nc != NULL)
			MUX_SWAP(M.conf.msg_log, nc->msg_log);
		return;
	}
	msglog_set(fd);
}

/*
 * Reread with a configuration file: what conf.c's table says a reread
 * takes, then what is not in it (Command, ACLs, Class, banners' derived
 * state, the rules and the MessageLog), then each subsystem's own view.
 */
static void
mux_reread_conf(struct conf *nc)
{
	char	restart[512];

	conf_take(&M.conf, nc, restart, sizeof(restart));
	if (*restart != '\0')
		log_warnx("reread: %s change only on restart", restart);
	log_set_level(M.conf.debug);
	mux_reread_intake(nc);
	mux_reopen_msglog(nc);
	pool_reconf(&M.conf);
	tick_reconf(&M.conf);
	ctl_configure(M.conf.msg_engine, M.conf.acls, M.conf.nacls,
	    M.conf.macls, M.conf.nmacls);
}

/* Reread: the configuration file again, then a new generation. */
static void
mux_reread(void)
{
	struct conf	 nc;
	char		 err[CONF_ERR_MAX];

	if (M.conf.config != NULL) {
		if (mux_configure(&nc, err) != 0)
			log_warnx("reread: %s; keeping the old configuration",
			    err);
		else
			mux_reread_conf(&nc);
		conf_free(&nc);
	} else {
		/* tcprules replaces the file: reopen it for the new rules. */
		if (intake_rules(&M.conf, err, sizeof(err)) == -1)
			log_warnx("reread: %s; keeping the rules in force",
			    err);
		mux_reopen_msglog(NULL);
	}
	pool_reread();
}

static void
mux_signal_cb(evutil_socket_t sig, short ev, void *arg)
{
	(void)ev;
	(void)arg;
	if (sig == SIGTERM) {
		log_info("Received SIGTERM: Stopping workers and terminating");
		mux_unlink_all();
		notify_close_all();
		svc_close();
		pool_shutdown();
		return;
	}
	if (sig == SIGHUP) {
		log_info("received SIGHUP: reopening the log files");
		mux_reopen_msglog(NULL);
		statlog_reopen();
		return;
	}
	log_info("received SIGINT: reread");
	mux_reread();
}

/* Listeners and queued clients are descriptors: allow what we may. */
static void
mux_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void
mux_pidfile(const char *path)
{
	char	buf[32];
	int	fd, n;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0644);
	if (fd == -1)
		fatal("pid file %s", path);
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n)
		fatal("pid file %s", path);
	close(fd);
	M.pidfile_done = 1;
}

/* -U's user, looked up before anything is made for it. */
static int
mux_user(void)
{
	struct passwd	*pw;

	if (M.conf.user == NULL)
		return (0);
	if ((pw = getpwnam(M.conf.user)) == NULL) {
		fprintf(stderr, "mux: unknown user %s\n", M.conf.user);
		return (-1);
	}
	M.uid = pw->pw_uid;
	M.gid = pw->pw_gid;
	return (0);
}

static void
mux_drop_privs(const char *user)
{
	if (initgroups(user, M.gid) == -1 ||
	    setgid(M.gid) == -1 || setuid(M.uid) == -1)
		fatal("cannot drop privileges to %s", user);
	if (getuid() == 0 || geteuid() == 0)
		fatalx("still root after dropping privileges");
}

/*
 * -o, or the pid file's name with ".lock": one copy at a time.  An
 * flock(2) lock stays with the daemon across daemon()'s fork, where a
 * POSIX lock would not; the file belongs to -U's user, as the real one's.
 */
static int
mux_lock(void)
{
	const char	*path = M.conf.lockfile;

	if (path == NULL)
		return (0);
	M.lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
	    O_NONBLOCK, 0600);
	if (M.lockfd == -1) {
		fprintf(stderr, "mux: lock file %s: %s\n", path,
		    strerror(errno));
		return (-1);
	}
	if (flock(M.lockfd, LOCK_EX | LOCK_NB) == -1) {
		fprintf(stderr, "mux: lock file %s: %s\n", path,
		    errno == EWOULDBLOCK ? "held by another copy, which is "
		    "still running" : strerror(errno));
		close(M.lockfd);
		M.lockfd = -1;
		return (-1);
	}
	if (M.uid != (uid_t)-1 && fchown(M.lockfd, M.uid, M.gid) == -1) {
		fprintf(stderr, "mux: lock file %s: chown: %s\n", path,
		    strerror(errno));
		return (-1);
	}
	return (0);
}

/* The syslog ident: -Y, else the name mimedefang-multiplexor's users know. */
static const char *
mux_ident(void)
{
	const char	*base;

	if (M.conf.ident != NULL)
		return (M.conf.ident);
	base = strrchr(M.argv[0], '/');
	base = base != NULL ? base + 1 : M.argv[0];
	if (strcmp(base, "mimedefang-multiplexor") == 0)
		return (base);
	return ("mux");
}

/*
 * MessageLog is opened as started (root, usually), like ProFTPD's; the
 * queue is made before the privileges go and then given to -U's user,
 * so that errors still reach the terminal and the worker sessions,
 * running as that user, can read it.
 */
static int
mux_messages(void)
{
	char		 err[CONF_ERR_MAX];
	int		 fd;

	if (M.conf.msg_log != NULL && strcmp(M.conf.msg_log, "none") != 0) {
		if ((fd = msglog_open(M.conf.msg_log, M.conf.log_symlinks, err,
		    sizeof(err))) == -1)
			goto fail;
		msglog_set(fd);
	}
	if (!M.conf.msg_engine)
		return (0);
	if (msgq_open(M.conf.msg_queue, M.uid, err, sizeof(err)) == -1)
		goto fail;
	if (M.uid != (uid_t)-1 &&
	    msgq_owner(M.uid, M.gid, err, sizeof(err)) == -1) {
		msgq_close();
		goto fail;
	}
	return (0);
fail:
	fprintf(stderr, "mux: %s\n", err);
	return (-1);
}

/* Each socket spec of ours, to fn. */
static void
mux_each_sock(void (*fn)(const struct sock_spec *))
{
	int	i;

	fn(&M.sspec);
	fn(&M.uspec);
	fn(&M.mspec);
	for (i = 0; i < M.conf.nnotify && M.nspec != NULL; i++)
		fn(&M.nspec[i]);
	for (i = 0; i < M.conf.nlisten && M.lspec != NULL; i++)
		fn(&M.lspec[i]);
}

static void
mux_unlink_all(void)
{
	mux_each_sock(sock_unlink);
}

static void
mux_cleanup_sock(const struct sock_spec *sp)
{
	if (sock_file(sp) != NULL)
		(void)cleanup_add(sock_file(sp));
}

/*
 * Dropping root: what we made may sit in root's directories, where the
 * -U user cannot remove it at the exit; a helper will (cleanup.c).
 */
static void
mux_cleanup(void)
{
	mux_each_sock(mux_cleanup_sock);
	if (M.pidfile_done)
		(void)cleanup_add(M.conf.pidfile);
	if (cleanup_start() == -1)
		log_warn("no helper to remove the sockets and the pid file at "
		    "the exit");
}

/*
 * A socket of ours, owned by -U's user as mimedefang-multiplexor makes
 * them (it binds them after dropping privileges): the milter and muxctl
 * run as that user.  Made as root, so a privileged port still works.
 */
static int
mux_listen(const struct sock_spec *sp, int mode, int backlog, char *err,
    size_t esz)
{
	int	fd;

	if ((fd = sock_listen(sp, mode, backlog, err, esz)) == -1)
		return (-1);
	if (sp->family == AF_UNIX && M.uid != (uid_t)-1 &&
	    chown(sp->path, M.uid, M.gid) == -1) {
		snprintf(err, esz, "chown %s: %s", sp->path, strerror(errno));
		close(fd);
		sock_unlink(sp);
		return (-1);
	}
	return (fd);
}

/*
 * Listener sockets (-O) and service listeners (--listen), made before
 * the mux forks or drops privileges.  A socket that cannot be made
 * stops the start (MIMEDefang went on without it).
 */
/*
 * A spec as the daemon binds it: a relative UNIX path is taken from the
 * directory mux starts in, before it changes to the spool directory.
 */
static int
mux_spec(const char *spec, struct sock_spec *sp, char *err, size_t esz)
{
	char	cwd[PATH_MAX];

	if (sock_parse(spec, sp, err, esz) == -1)
		return (-1);
	if (sp->family != AF_UNIX || sp->path[0] == '/')
		return (0);
	if (getcwd(cwd, sizeof(cwd)) == NULL) {
		snprintf(err, esz, "getcwd: %s", strerror(errno));
		return (-1);
	}
	if (sock_absolute(sp, cwd) == -1) {
		snprintf(err, esz, "socket path too long (at most 107 bytes) "
		    "in the start directory: %s", sp->path);
		return (-1);
	}
	return (0);
}

static int
mux_open_specs(char *const *specs, int n, struct sock_spec **sp, int **fdp,
    int mode, int backlog, const char *what)
{
	char	err[256], spec[256];
	size_t	len;
	int	i;

	*sp = calloc((size_t)n + 1, sizeof(**sp));
	*fdp = calloc((size_t)n + 1, sizeof(**fdp));
	if (*sp == NULL || *fdp == NULL)
		return (-1);
	for (i = 0; i < n; i++) {
		/* A service listener's ",ftp" is svc.c's. */
		(void)proto_split(specs[i], &len);
		snprintf(spec, sizeof(spec), "%.*s", (int)len, specs[i]);
		if (mux_spec(spec, &(*sp)[i], err, sizeof(err)) == -1) {
			fprintf(stderr, "mux: %s: %s\n", what, err);
			mux_unlink_all();
			return (-1);
		}
		if (((*fdp)[i] = mux_listen(&(*sp)[i], mode, backlog, err,
		    sizeof(err))) == -1) {
			fprintf(stderr, "mux: %s: %s\n", what, err);
			memset(&(*sp)[i], 0, sizeof((*sp)[i]));
			mux_unlink_all();
			return (-1);
		}
	}
	return (0);
}

static int
mux_sockets(int *lfd, int *ufd)
{
	char	err[256];
	int	mode = M.conf.group_access ? 0770 : 0700;

	*lfd = *ufd = -1;
	if (M.conf.sock == NULL)
		goto others;	/* service listeners only */
	if (mux_spec(M.conf.sock, &M.sspec, err, sizeof(err)) == -1) {
		fprintf(stderr, "mux: request socket: %s\n", err);
		return (-1);
	}
	if (M.conf.usock != NULL &&
	    mux_spec(M.conf.usock, &M.uspec, err, sizeof(err)) == -1) {
		fprintf(stderr, "mux: unprivileged socket: %s\n", err);
		return (-1);
	}
	if ((*lfd = mux_listen(&M.sspec, mode, M.conf.backlog, err,
	    sizeof(err))) == -1) {
		fprintf(stderr, "mux: request socket: %s\n", err);
		return (-1);
	}
	if (M.conf.usock != NULL && (*ufd = mux_listen(&M.uspec, 0777,
	    M.conf.backlog, err, sizeof(err))) == -1) {
		fprintf(stderr, "mux: unprivileged socket: %s\n", err);
		sock_unlink(&M.sspec);
		return (-1);
	}
others:
	if (M.conf.map_sock != NULL) {
		if (mux_spec(M.conf.map_sock, &M.mspec, err,
		    sizeof(err)) == -1)
			memset(&M.mspec, 0, sizeof(M.mspec));
		else
			M.mfd = mux_listen(&M.mspec, mode, M.conf.backlog,
			    err, sizeof(err));
		if (M.mfd == -1) {
			fprintf(stderr, "mux: socketmap socket %s: %s\n",
			    M.conf.map_sock, err);
			memset(&M.mspec, 0, sizeof(M.mspec));
			mux_unlink_all();
			return (-1);
		}
	}
	if (mux_open_specs(M.conf.notify, M.conf.nnotify, &M.nspec, &M.nfd,
	    mode, 128, "listener socket") == -1)
		return (-1);
	return (mux_open_specs(M.conf.listen, M.conf.nlisten, &M.lspec,
	    &M.lfd, 0660, M.conf.backlog, "service listener"));
}

static void
mux_events(void)
{
	static const int	 sigs[] = { SIGTERM, SIGHUP, SIGINT };
	struct event		*ev;
	size_t			 i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		ev = evsignal_new(M.base, sigs[i], mux_signal_cb, NULL);
		if (ev == NULL || event_add(ev, NULL) == -1)
			fatalx("signal events");
	}
}

int
mux_main(int argc, char **argv, const struct ws_handler *inproc)
{
	struct msgq_stats	mq;
	char			err[CONF_ERR_MAX];
	int			rv, lfd, ufd, i;

	/* A worker session the pool started: it never returns. */
	if (argc == 3 && strcmp(argv[1], WS_BOOT_ARG) == 0)
		ws_boot(argv, inproc, cmd_is_mux);
	M.argc = argc;
	M.argv = argv;
	M.inproc = inproc;
	if ((rv = mux_configure(&M.conf, err)) != 0) {
		if (rv == 1)
			usage(stdout);
		else if (rv == 2)
			printf("mux %s\n", MUX_VERSION);
		else if (rv == 3)
			conf_list(stdout);
		else
			fprintf(stderr, "mux: %s\n", err);
		if (rv == -1 && strstr(err, "option") != NULL)
			usage(stderr);
		return (rv == -1 ? 1 : 0);
	}
	if (mux_user() == -1 || mux_lock() == -1)
		return (1);
	if (statlog_open(M.conf.stats_file, M.conf.stats_flush,
	    M.conf.stats_syslog, M.uid, M.gid, err, sizeof(err)) == -1) {
		fprintf(stderr, "mux: %s\n", err);
		return (1);
	}
	if (mux_messages() == -1)
		return (1);
	if (intake_rules(&M.conf, err, sizeof(err)) == -1) {
		fprintf(stderr, "mux: %s\n", err);
		return (1);
	}
	if (mux_sockets(&lfd, &ufd) == -1) {
		msgq_close();
		return (1);
	}
	mux_nofile();
	log_init(M.conf.foreground, M.conf.syslog, M.conf.debug, mux_ident(),
	    M.conf.facility ? log_facility(M.conf.facility) : -1);
	if (M.conf.embed_perl)
		log_info("-E: workers run %s as a program; this build has "
		    "no embedded Perl, and the filter's results are the same",
		    M.conf.cmd ? M.conf.cmd[0] : "the handler");
	if (msgq_id() != -1) {
		msgq_stats(&mq);
		log_info("MessageEngine: queue %d of %llu bytes from %s%s",
		    msgq_id(), (unsigned long long)mq.qbytes,
		    M.conf.msg_queue, mq.purged ? " (stale messages dropped)" :
		    "");
	}
	if (!M.conf.foreground && daemon(0, 0) == -1)
		fatal("daemon");
	if (M.conf.spool_dir != NULL && chdir(M.conf.spool_dir) == -1)
		fatal("spool directory %s", M.conf.spool_dir);
	if (M.conf.pidfile != NULL)
		mux_pidfile(M.conf.pidfile);
	if (M.conf.user != NULL && geteuid() == 0)
		mux_cleanup();
	if (M.conf.user != NULL)
		mux_drop_privs(M.conf.user);
	else if (geteuid() == 0)
		log_warnx("running as root: use -U to run as an unprivileged "
		    "user");

	if ((M.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	mux_events();
	wait_init(M.base, &M.conf);
	req_init(M.base, &M.conf, lfd, ufd, mux_reread);
	pool_init(M.base, &M.conf, inproc, lfd);
	dns_init(M.base, M.conf.resolv_conf);
	intake_init(M.base, &M.conf);
	tick_init(M.base, &M.conf);
	if (M.mfd != -1)
		smap_init(M.base, M.mfd, &M.conf);
	svc_init(M.base, &M.conf, M.lfd, M.lspec, M.conf.nlisten);
	ctl_init(mux_reread);
	ctl_configure(M.conf.msg_engine, M.conf.acls, M.conf.nacls,
	    M.conf.macls, M.conf.nmacls);
	for (i = 0; i < M.conf.nnotify; i++)
		notify_add(M.base, M.nfd[i], M.conf.max_listeners);
	log_info("started; minWorkers=%d, maxWorkers=%d, maxRequests=%d, "
	    "maxLifetime=%d, maxIdleTime=%d, busyTimeout=%d, "
	    "clientTimeout=%d", M.conf.min_workers, M.conf.max_workers,
	    M.conf.max_requests, M.conf.max_lifetime, M.conf.idle_timeout,
	    M.conf.busy_timeout, M.conf.client_timeout);
	event_base_dispatch(M.base);
	notify_drop_all();	/* logs a msg still waiting for its lookup */
	msgq_close();
	if (M.pidfile_done)
		(void)unlink(M.conf.pidfile);
	log_rl_flush(1);	/* what was not logged, summed up */
	log_info("all workers gone: exiting");
	return (0);
}
