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
#include "socks.h"
#include "sysd.h"
#include "takeover.h"
#include "upgrade.h"

static struct {
	struct event_base	*base;
	struct conf		 conf;
	int			 argc;
	char			**argv;
	char			**argv0;	/* as given, for an upgrade */
	char			 exe[PATH_MAX];	/* the binary, for an upgrade */
	struct socks		 sk;
	const struct ws_handler	*inproc;
	int			 pidfile_done;
	uid_t			 uid;		/* -U's, or -1 */
	gid_t			 gid;
	int			 lockfd;
	int			 pidfd;		/* the pid file, kept open */
	int			 upgraded;	/* an old mux started us */
	int			 owner;		/* of the files we remove */
	struct takeover		 tk;		/* what an upgrade needs */
} M = { .uid = (uid_t)-1, .gid = (gid_t)-1, .lockfd = -1, .pidfd = -1 };


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

	sysd_reloading();
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
	sysd_reloaded();
}

static void
mux_signal_cb(evutil_socket_t sig, short ev, void *arg)
{
	char	buf[512];

	(void)ev;
	(void)arg;
	if (sig == SIGTERM) {
		log_info("Received SIGTERM: Stopping workers and terminating");
		takeover_refuse("this mux is stopping");
		sysd_stopping();
		if (M.owner && !takeover_handed())
			socks_unlink();	/* else the other mux's */
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
	if (sig == SIGUSR2) {
		if (takeover_start(buf, sizeof(buf)) == -1)
			log_warnx("upgrade: %s", buf);
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

/* Our pid into the pid file; -1 if it cannot be written. */
static int
mux_pidwrite(void)
{
	char	buf[32];
	int	n;

	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (M.pidfd == -1 || ftruncate(M.pidfd, 0) == -1 ||
	    pwrite(M.pidfd, buf, (size_t)n, 0) != n)
		return (-1);
	return (0);
}

/*
 * The pid file, kept open: an upgrade's new mux, running as -U's user,
 * rewrites the file through it (it may not open a file root made), and
 * takes it over only if it is still the file named.  It writes its pid
 * once it is ready (mux_ready): till then the file is the old mux's.
 */
static void
mux_pidfile(const char *path)
{
	struct stat	a, b;
	int		fd = M.upgraded ? upgrade_take("pidfile") : -1;

	if (fd != -1 && (fstat(fd, &a) == -1 || stat(path, &b) == -1 ||
	    a.st_dev != b.st_dev || a.st_ino != b.st_ino)) {
		close(fd);
		fd = -1;
	}
	if (fd == -1)
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		    0644);
	if (fd == -1 && M.upgraded) {
		log_warn("upgrade: pid file %s will still name the old mux",
		    path);
		return;
	}
	M.pidfd = fd;
	if (!M.upgraded && mux_pidwrite() == -1)
		fatal("pid file %s", path);
	M.pidfile_done = 1;
}

/*
 * An upgrade's new mux is ready: the pid file and, at the exit, the
 * files are ours now (before, a SIGTERM from the old mux giving up must
 * leave them).
 */
static void
mux_ready(void)
{
	M.owner = 1;
	if (M.pidfile_done && mux_pidwrite() == -1)
		log_warn("upgrade: pid file %s", M.conf.pidfile);
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
	/* An upgrade: the old mux's open file, and so its lock. */
	if (M.upgraded && (M.lockfd = upgrade_take("lock")) != -1)
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
 * running as that user, can read it.  In an upgrade, the old mux's
 * MessageLog if it is still the file named (we may not open it as -U's
 * user), and its queue as it is: its sessions still read there.
 */
static int
mux_messages(void)
{
	struct stat	 a, b;
	char		 err[CONF_ERR_MAX];
	uint32_t	 qid;
	int		 fd, old = M.upgraded ? upgrade_take("msglog") : -1;

	if (M.conf.msg_log != NULL && strcmp(M.conf.msg_log, "none") != 0) {
		if (old != -1 && fstat(old, &a) == 0 &&
		    stat(M.conf.msg_log, &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino) {
			fd = old;
			old = -1;
		} else if ((fd = msglog_open(M.conf.msg_log,
		    M.conf.log_symlinks, err, sizeof(err))) == -1)
			goto fail;
		msglog_set(fd);
	}
	if (old != -1)
		close(old);
	old = -1;
	if (!M.conf.msg_engine)
		return (0);
	if (M.upgraded && upgrade_value("msgq", &qid) == 0) {
		if (msgq_adopt((int)qid, M.conf.msg_queue, err,
		    sizeof(err)) == -1)
			goto fail;
		return (0);
	}
	if (msgq_open(M.conf.msg_queue, M.uid, err, sizeof(err)) == -1)
		goto fail;
	if (M.uid != (uid_t)-1 &&
	    msgq_owner(M.uid, M.gid, err, sizeof(err)) == -1) {
		msgq_close();
		goto fail;
	}
	return (0);
fail:
	if (old != -1)
		close(old);
	fprintf(stderr, "mux: %s\n", err);
	return (-1);
}

/*
 * Dropping root: what we made may sit in root's directories, where the
 * -U user cannot remove it at the exit; a helper will (cleanup.c).
 */
static void
mux_cleanup(void)
{
	socks_cleanup();
	if (M.pidfile_done)
		(void)cleanup_add(M.conf.pidfile);
	if (cleanup_start() == -1)
		log_warn("no helper to remove the sockets and the pid file at "
		    "the exit");
}

static void
mux_events(void)
{
	static const int	 sigs[] = { SIGTERM, SIGHUP, SIGINT, SIGUSR2 };
	struct event		*ev;
	size_t			 i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		ev = evsignal_new(M.base, sigs[i], mux_signal_cb, NULL);
		if (ev == NULL || event_add(ev, NULL) == -1)
			fatalx("signal events");
	}
}

/*
 * What needs root or the terminal: the lock, files, the queue, the
 * sockets (or an upgrade's), the pid file; then -U.  -1 once said why.
 */
static int
mux_setup(void)
{
	struct msgq_stats	mq;
	char			err[CONF_ERR_MAX];

	if ((M.upgraded = upgrade_inherit(err, sizeof(err))) == -1) {
		fprintf(stderr, "mux: %s\n", err);
		return (-1);
	}
	if (mux_user() == -1 || mux_lock() == -1)
		return (-1);
	if (statlog_open(M.conf.stats_file, M.conf.stats_flush,
	    M.conf.stats_syslog, M.uid, M.gid, err, sizeof(err)) == -1) {
		fprintf(stderr, "mux: %s\n", err);
		return (-1);
	}
	if (mux_messages() == -1)
		return (-1);
	if (intake_rules(&M.conf, err, sizeof(err)) == -1) {
		fprintf(stderr, "mux: %s\n", err);
		return (-1);
	}
	if (!M.upgraded && sysd_sockets() == -1) {
		fprintf(stderr, "mux: the sockets systemd passed: %s\n",
		    strerror(errno));
		msgq_close();
		return (-1);
	}
	if (socks_open(&M.conf, M.uid, M.gid, M.upgraded ? upgrade_take :
	    NULL, &M.sk) == -1) {
		msgq_close();
		return (-1);
	}
	mux_nofile();
	log_init(M.conf.foreground, M.conf.syslog, M.conf.debug, mux_ident(),
	    M.conf.facility ? log_facility(M.conf.facility) : -1);
	sysd_sockets_done();
	if (M.upgraded)
		log_info("upgrade: taking over from pid %ld", (long)getppid());
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
	if (!M.conf.foreground && getenv("NOTIFY_SOCKET") != NULL)
		log_warnx("NOTIFY_SOCKET is set but mux forks: systemd will "
		    "not hear from it; run it with -D (Type=notify)");
	if (!M.conf.foreground && daemon(0, 0) == -1)
		fatal("daemon");
	if (M.conf.spool_dir != NULL && chdir(M.conf.spool_dir) == -1)
		fatal("spool directory %s", M.conf.spool_dir);
	if (M.conf.pidfile != NULL)
		mux_pidfile(M.conf.pidfile);
	/* An upgrade: the helper the first mux started watches us too. */
	if (M.upgraded)
		(void)upgrade_take("cleanup");
	else if (M.conf.user != NULL && geteuid() == 0)
		mux_cleanup();
	if (M.conf.user != NULL && (geteuid() == 0 || getuid() == 0))
		mux_drop_privs(M.conf.user);
	else if (M.conf.user != NULL && geteuid() != M.uid)
		fatalx("cannot run as %s: not root", M.conf.user);
	else if (M.conf.user == NULL && geteuid() == 0)
		log_warnx("running as root: use -U to run as an unprivileged "
		    "user");
	return (0);
}

/* Every subsystem on the loop, then the upgrade's last step. */
static void
mux_init(void)
{
	int	i;

	if ((M.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	mux_events();
	wait_init(M.base, &M.conf);
	req_init(M.base, &M.conf, M.sk.sfd, M.sk.ufd, mux_reread);
	pool_init(M.base, &M.conf, M.inproc, M.sk.sfd);
	dns_init(M.base, M.conf.resolv_conf);
	intake_init(M.base, &M.conf);
	tick_init(M.base, &M.conf);
	if (M.sk.mfd != -1)
		smap_init(M.base, M.sk.mfd, &M.conf);
	if (M.sk.xfd != -1)
		metrics_init(M.base, M.sk.xfd);
	if (M.sk.gfd != -1)
		agent_init(M.base, M.sk.gfd);
	svc_init(M.base, &M.conf, M.sk.lfd, M.sk.lspec, M.conf.nlisten);
	ctl_init(mux_reread, takeover_start);
	ctl_configure(M.conf.msg_engine, M.conf.acls, M.conf.nacls,
	    M.conf.macls, M.conf.nmacls);
	for (i = 0; i < M.conf.nnotify; i++)
		notify_add(M.base, M.sk.nfd[i], M.conf.max_listeners);
	M.tk = (struct takeover){ M.base, M.exe, M.argv0, M.lockfd, M.pidfd,
	    M.conf.min_workers, mux_ready };
	takeover_init(&M.tk);
	if (M.upgraded)
		takeover_resume();
	sysd_init(M.base, M.conf.min_workers, M.upgraded);
	sysd_events();
}

/* The binary and the arguments as given: what an upgrade starts again. */
static void
mux_remember(int argc, char **argv)
{
	ssize_t	n;

	if ((n = readlink("/proc/self/exe", M.exe, sizeof(M.exe) - 1)) > 0)
		M.exe[n] = '\0';
	if ((M.argv0 = calloc((size_t)argc + 1, sizeof(char *))) != NULL)
		memcpy(M.argv0, argv, (size_t)argc * sizeof(char *));
	else
		M.exe[0] = '\0';
}

int
mux_main(int argc, char **argv, const struct ws_handler *inproc)
{
	char	err[CONF_ERR_MAX];
	int	rv;

	/* A worker session the pool started: it never returns. */
	if (argc == 3 && strcmp(argv[1], WS_BOOT_ARG) == 0)
		ws_boot(argv, inproc, cmd_is_mux);
	mux_remember(argc, argv);
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
	if (mux_setup() == -1)
		return (1);
	M.owner = !M.upgraded;
	mux_init();
	log_info("started; minWorkers=%d, maxWorkers=%d, maxRequests=%d, "
	    "maxLifetime=%d, maxIdleTime=%d, busyTimeout=%d, "
	    "clientTimeout=%d", M.conf.min_workers, M.conf.max_workers,
	    M.conf.max_requests, M.conf.max_lifetime, M.conf.idle_timeout,
	    M.conf.busy_timeout, M.conf.client_timeout);
	event_base_dispatch(M.base);
	takeover_exit();
	notify_drop_all();	/* logs a msg still waiting for its lookup */
	msgq_close();
	if (M.pidfile_done && M.owner && !takeover_handed())
		(void)unlink(M.conf.pidfile);
	log_rl_flush(1);	/* what was not logged, summed up */
	log_info("%s", takeover_handed() ?
	    "upgrade: our sessions have ended: exiting" :
	    "all workers gone: exiting");
	return (0);
}
