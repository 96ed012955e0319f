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
 * The daemon's listening sockets: the request socket (-s), the
 * unprivileged one (-a), the socketmap (-N), the metrics (--metrics),
 * HAProxy's agent (--agent), listener sockets (-O) and service
 * listeners (--listen).  Each is made before the mux forks or
 * drops privileges, or, in an upgrade, taken as the old mux had it,
 * named by its spec (upgrade.c), so no client meets a closed port, or
 * taken from systemd where the socket unit bound it (sysd.c).  A
 * socket that cannot be had stops the start (MIMEDefang went on
 * without it); what this start made is removed then, never what it
 * inherited, which the old mux still serves.  systemd's are never
 * removed: the socket unit keeps them across restarts.
 */

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "mux.h"
#include "socks.h"
#include "sysd.h"

#define SOCKS_SPEC_MAX	155	/* "unix:" and a path */
#define SOCKS_NAME_MAX	(SOCKS_SPEC_MAX + 5)	/* "sock " before it */

struct sk {
	struct sock_spec	 sp;
	int			 fd;
	int			 made;		/* bound by us, not inherited */
	int			 sysd;		/* systemd's: never removed */
};

static struct {
	uid_t			  uid;		/* -U's, or -1 */
	gid_t			  gid;
	int			(*take)(const char *);
	struct sk		  s, u, m;	/* -s, -a, -N */
	struct sk		  x, g;		/* --metrics, --agent */
	struct sk		 *n;		/* -O */
	int			  nn;
	struct sk		 *l;		/* --listen */
	int			  nl;
} K = { .s.fd = -1, .u.fd = -1, .m.fd = -1, .x.fd = -1, .g.fd = -1 };

/* Each socket we have, to fn. */
static void
socks_each(void (*fn)(struct sk *, void *), void *arg)
{
	int	i;

	fn(&K.s, arg);
	fn(&K.u, arg);
	fn(&K.m, arg);
	fn(&K.x, arg);
	fn(&K.g, arg);
	for (i = 0; i < K.nn; i++)
		fn(&K.n[i], arg);
	for (i = 0; i < K.nl; i++)
		fn(&K.l[i], arg);
}

/* A socket's spec, made canonical: "unix:PATH", "inet:ADDR:PORT"... */
static void
socks_spec_text(const struct sock_spec *sp, char *buf, size_t sz)
{
	if (sp->family == AF_UNIX)
		snprintf(buf, sz, "unix:%s", sp->path);
	else if (sp->family == AF_INET)
		snprintf(buf, sz, "inet:%s:%d", sp->addr, sp->port);
	else
		snprintf(buf, sz, "inet6:[%s]:%d", sp->addr, sp->port);
}

/*
 * The name an upgrade hands a socket under: its canonical spec after
 * "sock", or "sysd" for one systemd passed, which stays systemd's.
 */
static void
socks_name(const struct sock_spec *sp, int sysd, char *buf, size_t sz)
{
	char	spec[SOCKS_SPEC_MAX];

	socks_spec_text(sp, spec, sizeof(spec));
	snprintf(buf, sz, "%s %s", sysd ? "sysd" : "sock", spec);
}

static void
socks_unlink_one(struct sk *k, void *arg)
{
	int	made_only = *(int *)arg;

	if (k->fd != -1 && !k->sysd && (k->made || !made_only))
		sock_unlink(&k->sp);
}

static void
socks_unlink_made(void)
{
	int	made_only = 1;

	socks_each(socks_unlink_one, &made_only);
}

/* At the exit: our UNIX sockets go, inherited or not. */
void
socks_unlink(void)
{
	int	made_only = 0;

	socks_each(socks_unlink_one, &made_only);
}

static void
socks_cleanup_one(struct sk *k, void *arg)
{
	(void)arg;
	if (k->fd != -1 && !k->sysd && sock_file(&k->sp) != NULL)
		(void)cleanup_add(sock_file(&k->sp));
}

/*
 * Dropping root: what we made may sit in root's directories, where the
 * -U user cannot remove it at the exit; a helper will (cleanup.c).
 */
void
socks_cleanup(void)
{
	socks_each(socks_cleanup_one, NULL);
}

struct socks_giver {
	int	(*give)(const char *, int);
};

static void
socks_give_one(struct sk *k, void *arg)
{
	struct socks_giver	*g = arg;
	char			 name[SOCKS_NAME_MAX];

	if (k->fd == -1)
		return;
	socks_name(&k->sp, k->sysd, name, sizeof(name));
	(void)g->give(name, k->fd);
}

/* An upgrade: each socket to the new mux, by name. */
void
socks_give(int (*give)(const char *, int))
{
	struct socks_giver	g = { give };

	socks_each(socks_give_one, &g);
}

/* An inherited socket must listen, on the family its spec names. */
static int
socks_check(int fd, const struct sock_spec *sp, int backlog, const char *from,
    char *err, size_t esz)
{
	struct sockaddr_storage	ss;
	socklen_t		len = sizeof(ss);
	int			on = 0;
	socklen_t		olen = sizeof(on);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1 ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &olen) == -1 ||
	    !on || ss.ss_family != sp->family) {
		snprintf(err, esz, "the socket %s is not a listening one",
		    from);
		return (-1);
	}
	(void)listen(fd, backlog);	/* the backlog may have changed */
	return (0);
}

/*
 * The socket as an upgrade's old mux handed it, or as systemd passed
 * it (sysd.c): 1, k->fd set; 0 if neither has it; -1 if it is no
 * listening socket of that family (the reason in err).
 */
static int
socks_inherit(struct sk *k, int backlog, char *err, size_t esz)
{
	char		 name[SOCKS_NAME_MAX], spec[SOCKS_SPEC_MAX];
	const char	*from = "the old mux handed over";
	int		 fd = -1;

	if (K.take != NULL) {
		socks_name(&k->sp, 0, name, sizeof(name));
		if ((fd = K.take(name)) == -1) {
			socks_name(&k->sp, 1, name, sizeof(name));
			k->sysd = (fd = K.take(name)) != -1;
		}
	}
	socks_spec_text(&k->sp, spec, sizeof(spec));
	if (fd == -1 && (fd = sysd_take(&k->sp, spec)) != -1) {
		from = "systemd passed";
		k->sysd = 1;
		/* Passed blocking: an accept(2) loop would hang in it. */
		(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	}
	if (fd == -1)
		return (0);
	if (socks_check(fd, &k->sp, backlog, from, err, esz) == -1) {
		close(fd);
		return (-1);
	}
	k->fd = fd;
	return (1);
}

/*
 * A socket of ours, owned by -U's user as mimedefang-multiplexor makes
 * them (it binds them after dropping privileges): the milter and muxctl
 * run as that user.  Made as root, so a privileged port still works.
 */
static int
socks_listen(struct sk *k, int mode, int backlog, char *err, size_t esz)
{
	int	fd;

	if ((fd = socks_inherit(k, backlog, err, esz)) != 0)
		return (fd == -1 ? -1 : k->fd);
	if ((fd = sock_listen(&k->sp, mode, backlog, err, esz)) == -1)
		return (-1);
	k->made = 1;
	if (k->sp.family == AF_UNIX && K.uid != (uid_t)-1 &&
	    chown(k->sp.path, K.uid, K.gid) == -1) {
		snprintf(err, esz, "chown %s: %s", k->sp.path,
		    strerror(errno));
		close(fd);
		sock_unlink(&k->sp);
		return (-1);
	}
	return (k->fd = fd);
}

/*
 * A spec as the daemon binds it: a relative UNIX path is taken from the
 * directory mux starts in, before it changes to the spool directory.
 */
static int
socks_spec(const char *spec, struct sock_spec *sp, char *err, size_t esz)
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

/* One socket from its spec; -1 with the reason on stderr. */
static int
socks_one(struct sk *k, const char *spec, int mode, int backlog,
    const char *what)
{
	char	err[256];

	if (socks_spec(spec, &k->sp, err, sizeof(err)) == -1 ||
	    socks_listen(k, mode, backlog, err, sizeof(err)) == -1) {
		fprintf(stderr, "mux: %s %s: %s\n", what, spec, err);
		memset(&k->sp, 0, sizeof(k->sp));
		k->fd = -1;
		return (-1);
	}
	return (0);
}

static int
socks_list(char *const *specs, int n, struct sk **kp, int *np, int mode,
    int backlog, const char *what)
{
	char	spec[256];
	size_t	len;
	int	i;

	if ((*kp = calloc((size_t)n + 1, sizeof(**kp))) == NULL)
		return (-1);
	for (i = 0; i < n; i++) {
		(*kp)[i].fd = -1;
		/* A service listener's ",ftp" is svc.c's. */
		(void)proto_split(specs[i], &len);
		snprintf(spec, sizeof(spec), "%.*s", (int)len, specs[i]);
		*np = i + 1;
		if (socks_one(&(*kp)[i], spec, mode, backlog, what) == -1)
			return (-1);
	}
	return (0);
}

static int
socks_all(const struct conf *c)
{
	int	mode = c->group_access ? 0770 : 0700;

	if (c->sock != NULL && socks_one(&K.s, c->sock, mode, c->backlog,
	    "request socket") == -1)
		return (-1);
	if (c->sock != NULL && c->usock != NULL && socks_one(&K.u, c->usock,
	    0777, c->backlog, "unprivileged socket") == -1)
		return (-1);
	if (c->map_sock != NULL && socks_one(&K.m, c->map_sock, mode,
	    c->backlog, "socketmap socket") == -1)
		return (-1);
	if (c->metrics_sock != NULL && socks_one(&K.x, c->metrics_sock, mode,
	    c->backlog, "metrics socket") == -1)
		return (-1);
	if (c->agent_sock != NULL && socks_one(&K.g, c->agent_sock, mode,
	    c->backlog, "agent socket") == -1)
		return (-1);
	if (socks_list(c->notify, c->nnotify, &K.n, &K.nn, mode, 128,
	    "listener socket") == -1)
		return (-1);
	return (socks_list(c->listen, c->nlisten, &K.l, &K.nl, 0660,
	    c->backlog, "service listener"));
}

/*
 * Every socket the configuration names, made, or taken from take (an
 * upgrade's, NULL otherwise); -1 with the reason on stderr.
 */
int
socks_open(const struct conf *c, uid_t uid, gid_t gid,
    int (*take)(const char *), struct socks *out)
{
	int	i;

	K.uid = uid;
	K.gid = gid;
	K.take = take;
	if (socks_all(c) == -1) {
		socks_unlink_made();
		return (-1);
	}
	out->sfd = K.s.fd;
	out->ufd = K.u.fd;
	out->mfd = K.m.fd;
	out->xfd = K.x.fd;
	out->gfd = K.g.fd;
	if ((out->nfd = calloc((size_t)K.nn + 1, sizeof(int))) == NULL ||
	    (out->lfd = calloc((size_t)K.nl + 1, sizeof(int))) == NULL ||
	    (out->lspec = calloc((size_t)K.nl + 1,
	    sizeof(*out->lspec))) == NULL) {
		fprintf(stderr, "mux: out of memory\n");
		socks_unlink_made();
		return (-1);
	}
	for (i = 0; i < K.nn; i++)
		out->nfd[i] = K.n[i].fd;
	for (i = 0; i < K.nl; i++) {
		out->lfd[i] = K.l[i].fd;
		out->lspec[i] = K.l[i].sp;
	}
	return (0);
}
