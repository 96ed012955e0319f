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
 * The one table of options and directives.  Each row makes a field of
 * struct conf (mux.h) and a row of conf.c's table, which the file's
 * parser, getopt, the reread, usage(), "mux --directives" and the
 * man-page check (tests/man_directives.sh) all read.  A new directive
 * is one row here and its entry in mux.conf(5) (and mux(8) for an
 * option); the subsystem that uses it reads the field.
 *
 * X(Name, letter, "long-option", TYPE, field, min, max, default, WHEN,
 *   "metavar")
 *
 * letter: a getopt letter (mimedefang-multiplexor(8)'s keep their
 * meaning), CONF_L_* for a long option only, or 0 for a directive only.
 * TYPE (conf.c says how each parses):
 *	INT, BOOL, STR	one value; BOOL takes no argument on the command
 *			line
 *	COUNT		a number the file sets and the command line counts
 *			(-dd)
 *	WORDS		a string of one or more words, joined by a blank
 *	LIST		repeatable, one spec per line; field and nfield
 *	LISTEN		LIST whose lines may add a protocol: SPEC [PROTO]
 *	ARGV		a program and its arguments ("--" on the command line)
 *	ACL, MACL	ControlsACLs, MessageControlsACLs lines (acl.c)
 *	CLASS		Class NAME NETWORK... (class.c)
 *	EXEMPT		BannerExempt [listen=SPEC] NETWORK...
 * WHEN, what a reread does with it:
 *	LIVE		takes the new value
 *	RESTART		warns that it changes only on restart
 *	OWNER		leaves it to the subsystem that owns it (reopens)
 *	CLI		command line only: no directive
 * metavar: the argument's name in usage(), NULL for none (a directive
 * only, or an option that takes no argument).
 * Options given on the command line win over the file.
 */

#ifndef MUX_CONF_OPTS_H
#define MUX_CONF_OPTS_H

#include <limits.h>

/* getopt_long values of the long options. */
#define CONF_L_EXEC	256
#define CONF_L_STIMEOUT	257
#define CONF_L_LISTEN	258
#define CONF_L_RULES	259
#define CONF_L_PIN	260
#define CONF_L_CONFIG	261
#define CONF_L_METRICS	262
#define CONF_L_AGENT	263

#define CONF_OPTIONS(X)							\
	X(MinWorkers, 'm', NULL, INT, min_workers, 0, 4096, 1, LIVE,	\
	    "min")							\
	X(MaxWorkers, 'x', NULL, INT, max_workers, 1, 4096, 2, RESTART,	\
	    "max")							\
	X(MaxRequests, 'r', NULL, INT, max_requests, 1, INT_MAX, 500,	\
	    LIVE, "requests")						\
	X(MaxLifetime, 'V', NULL, INT, max_lifetime, INT_MIN, INT_MAX,	\
	    0, LIVE, "seconds")	/* s; out of range: no limit */	\
	X(IdleTimeout, 'i', NULL, INT, idle_timeout, 1, 86400, 300,	\
	    LIVE, "seconds")						\
	X(BusyTimeout, 'b', NULL, INT, busy_timeout, 1, 86400, 120,	\
	    LIVE, "seconds")						\
	X(ClientTimeout, 'c', NULL, INT, client_timeout, 1, 3600, 10,	\
	    LIVE, "seconds")						\
	X(WorkerDelay, 'w', NULL, INT, slew, 1, 3600, 3, LIVE,		\
	    "seconds")							\
	X(MinWorkerDelay, 'W', NULL, INT, min_slew, 0, 3600, 0, LIVE,	\
	    "seconds")							\
	X(QueueSize, 'q', NULL, INT, queue_size, 0, 65536, 0, RESTART,	\
	    "size")							\
	X(QueueTimeout, 'Q', NULL, INT, queue_timeout, 1, 600, 30, LIVE, \
	    "seconds")							\
	X(ListenBacklog, 'I', NULL, INT, backlog, 5, 65535, 1024,	\
	    RESTART, "backlog")						\
	X(Foreground, 'D', NULL, BOOL, foreground, 0, 1, 0, RESTART,	\
	    NULL)							\
	X(Syslog, 'l', NULL, BOOL, syslog, 0, 1, 0, RESTART, NULL)	\
	X(StatusTags, 'Z', NULL, BOOL, status_fd, 0, 1, 0, LIVE, NULL)	\
	X(Debug, 'd', NULL, COUNT, debug, 0, 3, 0, LIVE, NULL)		\
	X(User, 'U', NULL, STR, user, 0, 0, 0, RESTART, "user")		\
	X(PidFile, 'p', NULL, STR, pidfile, 0, 0, 0, RESTART, "pidfile") \
	X(LockFile, 'o', NULL, STR, lockfile, 0, 0, 0, RESTART,		\
	    "lockfile")	/* default: PidFile + ".lock" */		\
	X(SpoolDir, 'z', NULL, STR, spool_dir, 0, 0, 0, RESTART,	\
	    "spooldir")							\
	X(Socket, 's', NULL, STR, sock, 0, 0, 0, RESTART, "socket")	\
	X(UnprivSocket, 'a', NULL, STR, usock, 0, 0, 0, RESTART,	\
	    "socket")							\
	X(GroupAccess, 'G', NULL, BOOL, group_access, 0, 1, 0, RESTART,	\
	    NULL)							\
	X(Program, 'f', NULL, STR, prog, 0, 0, 0, LIVE, "program")	\
	X(FilterRules, 'F', NULL, STR, subfilter, 0, 0, 0, LIVE,	\
	    "rules")	/* PROG -f FILE -server */			\
	X(EmbedPerl, 'E', NULL, BOOL, embed_perl, 0, 1, 0, RESTART,	\
	    NULL)	/* accepted; workers are exec'd */		\
	X(MaxRSS, 'R', NULL, INT, max_rss, 0, INT_MAX, 0, LIVE,		\
	    "kbytes")	/* kB */					\
	X(MaxAS, 'M', NULL, INT, max_as, 0, INT_MAX, 0, LIVE, "kbytes")	\
	    /* kB */							\
	X(SyslogFacility, 'S', NULL, STR, facility, 0, 0, 0, RESTART,	\
	    "facility")							\
	X(SyslogLabel, 'Y', NULL, STR, ident, 0, 0, 0, RESTART, "label") \
	X(LogStatusInterval, 'L', NULL, INT, status_every, 0, 86400, 0,	\
	    LIVE, "seconds")						\
	X(RecipokPerDomainLimit, 'y', NULL, INT, recipok_limit, INT_MIN, \
	    INT_MAX, 0, LIVE, "n")					\
	X(TickInterval, 'X', NULL, INT, tick_every, 0, 86400, 0, LIVE,	\
	    "seconds")	/* s; 0: no ticks */				\
	X(TickParallel, 'P', NULL, INT, tick_parallel, INT_MIN, INT_MAX, \
	    1, LIVE, "n")						\
	X(StatsFile, 't', NULL, STR, stats_file, 0, 0, 0, RESTART,	\
	    "file")							\
	X(StatsSyslog, 'T', NULL, BOOL, stats_syslog, 0, 1, 0, RESTART,	\
	    NULL)							\
	X(StatsFlush, 'u', NULL, BOOL, stats_flush, 0, 1, 0, RESTART,	\
	    NULL)							\
	X(MapSocket, 'N', NULL, STR, map_sock, 0, 0, 0, RESTART,	\
	    "socket")							\
	X(NotifySocket, 'O', NULL, LIST, notify, 0, 0, 0, RESTART,	\
	    "socket")							\
	X(MetricsSocket, CONF_L_METRICS, "metrics", STR, metrics_sock, 0, \
	    0, 0, RESTART, "socket")	/* OpenMetrics over HTTP */	\
	X(AgentSocket, CONF_L_AGENT, "agent", STR, agent_sock, 0, 0, 0,	\
	    RESTART, "socket")		/* HAProxy's agent-check */	\
	X(MaxListeners, 0, NULL, INT, max_listeners, 1, 100000, 1024,	\
	    RESTART, NULL)						\
	X(MessageEngine, 0, NULL, BOOL, msg_engine, 0, 1, 0, RESTART,	\
	    NULL)							\
	X(MessageQueue, 0, NULL, STR, msg_queue, 0, 0, 0, RESTART, NULL) \
	X(MessageLog, 0, NULL, STR, msg_log, 0, 0, 0, OWNER, NULL)	\
	    /* NULL or "none": none */					\
	X(AllowLogSymlinks, 0, NULL, BOOL, log_symlinks, 0, 1, 0, OWNER, \
	    NULL)							\
	X(RelayAddresses, 0, NULL, BOOL, relay_addrs, 0, 1, 1, LIVE,	\
	    NULL)	/* libmux-peer.so */				\
	X(MessageSkipCommands, 0, NULL, WORDS, msg_skip, 0, 0, 0, LIVE,	\
	    NULL)							\
	X(Class, 0, NULL, CLASS, classes, 0, 0, 0, LIVE, NULL)		\
	X(Listen, CONF_L_LISTEN, "listen", LISTEN, listen, 0, 0, 0,	\
	    RESTART, "socket[,protocol]")				\
	X(Exec, CONF_L_EXEC, "exec", BOOL, exec, 0, 1, 0, RESTART, NULL) \
	X(PinWorkers, CONF_L_PIN, "pin-workers", BOOL, pin_workers, -1,	\
	    1, -1, LIVE, NULL)	/* -1: auto */				\
	X(SessionTimeout, CONF_L_STIMEOUT, "session-timeout", INT,	\
	    session_timeout, 0, 86400, 600, LIVE, "seconds")		\
	X(MaxClientsPerHost, 0, NULL, INT, max_per_host, 0, 1000000, 0,	\
	    LIVE, NULL)	/* 0: no limit */				\
	X(MaxClientsPerUser, 0, NULL, INT, max_per_user, 0, 1000000, 0,	\
	    LIVE, NULL)							\
	X(BusyReply, 0, NULL, WORDS, busy_reply, 0, 0, 0, LIVE, NULL)	\
	X(Rules, CONF_L_RULES, "rules", LIST, rules, 0, 0, 0, OWNER,	\
	    "file.cdb")							\
	X(RulesDenyReply, 0, NULL, WORDS, deny_reply, 0, 0, 0, LIVE,	\
	    NULL)							\
	X(Banner, 0, NULL, WORDS, banner, 0, 0, 0, LIVE, NULL)		\
	X(BannerFile, 0, NULL, STR, banner_file, 0, 0, 0, LIVE, NULL)	\
	X(BannerPreSleep, 0, NULL, INT, banner_pre, 0, 86400, 0, LIVE,	\
	    NULL)							\
	X(BannerPostSleep, 0, NULL, INT, banner_post, 0, 86400, 0, LIVE, \
	    NULL)							\
	X(BannerImpatientAction, 0, NULL, STR, banner_action, 0, 0, 0,	\
	    LIVE, NULL)							\
	X(BannerExempt, 0, NULL, EXEMPT, bex, 0, 0, 0, LIVE, NULL)	\
	X(BannerMe, 0, NULL, STR, banner_me, 0, 0, 0, LIVE, NULL)	\
	X(BannerDateFormat, 0, NULL, WORDS, banner_datefmt, 0, 0, 0,	\
	    LIVE, NULL)							\
	X(RulesReverseDNS, 0, NULL, BOOL, rules_rdns, 0, 1, 0, LIVE,	\
	    NULL)							\
	X(ResolvConf, 0, NULL, STR, resolv_conf, 0, 0, 0, RESTART, NULL) \
	X(ControlsACLs, 0, NULL, ACL, acls, 0, 0, 0, LIVE, NULL)	\
	X(MessageControlsACLs, 0, NULL, MACL, macls, 0, 0, 0, LIVE,	\
	    NULL)							\
	X(Command, 0, NULL, ARGV, cmd, 0, 0, 0, LIVE,			\
	    "program [arg ...]")					\
	    /* "--" PROG ARGS... on the command line */			\
	X(Config, CONF_L_CONFIG, "config", STR, config, 0, 0, 0, CLI,	\
	    "file")

/* The fields each TYPE makes in struct conf. */
#define CONF_DECL(n, l, ln, t, f, mi, ma, d, w, mv)	CONF_DECL_##t(f)
#define CONF_DECL_INT(f)	int f;
#define CONF_DECL_BOOL(f)	int f;
#define CONF_DECL_COUNT(f)	int f;
#define CONF_DECL_STR(f)	char *f;
#define CONF_DECL_WORDS(f)	char *f;
#define CONF_DECL_LIST(f)	char **f; int n##f;
#define CONF_DECL_LISTEN(f)	char **f; int n##f;
#define CONF_DECL_ARGV(f)	char **f;
#define CONF_DECL_ACL(f)	struct conf_acl *f; int n##f;
#define CONF_DECL_MACL(f)	struct conf_acl *f; int n##f;
#define CONF_DECL_CLASS(f)	struct classes f;
#define CONF_DECL_EXEMPT(f)	struct banner_exempt *f; int n##f;

#endif
