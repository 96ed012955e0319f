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
 * Pool events as mux-notify(7) frames them: F n, Y, Z, B, U, R, S n tag
 * and the M n target extension.  The mux produces them; sinks (the debug
 * log now, listener sockets next) consume them.
 */

#ifndef MUX_NOTIFY_H
#define MUX_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

enum mux_event {
	EV_F = 'F', EV_Y = 'Y', EV_Z = 'Z', EV_B = 'B', EV_U = 'U',
	EV_R = 'R', EV_S = 'S', EV_M = 'M'
};

#define EVENTS_BLOCK	4096	/* most bytes the sink gets at once */

size_t	 events_format(char *, size_t, int, int, const char *);
void	 events_emit(int, int, const char *);
void	 events_hold(void);
void	 events_release(void);
void	 events_set_sink(void (*)(const char *, size_t, void *), void *);

/* nproto.c: the listener protocol's pure core. */
#define NP_LINE_MAX	4096
#define NP_MASK_ALL	0x3ffffffu	/* A to Z */

#define NP_EMPTY	0
#define NP_SUBSCRIBE	1
#define NP_ACTION	2

#define NP_SEND		0
#define NP_HOLD		1
#define NP_SKIP		2

struct np_out {
	uint64_t	 skipped;	/* one-off events dropped */
	int		 held_f;	/* an F waits for the backlog to drain */
	int		 f;
};

int	 np_parse(const char *, size_t, uint32_t *);
int	 np_wants(uint32_t, int);
int	 np_offer(struct np_out *, int, int, size_t, size_t);
size_t	 np_refill(struct np_out *, uint32_t, int, char *, size_t);
size_t	 np_snapshot(uint32_t, int, char *, size_t);

/* acl.c: ControlsACLs, MessageControlsACLs (pure). */
enum ctl_action {
	CTL_HELP, CTL_STATUS, CTL_WHO, CTL_REREAD, CTL_KICK, CTL_SHUTDOWN,
	CTL_MSG, CTL_NACTIONS
};
#define ACL_CONTROLS	((1u << CTL_MSG) - 1)
#define ACL_MSG		(1u << CTL_MSG)

struct acl_rule {
	uint32_t	 actions;
	int		 allow;
	int		 group;
	int		 any;		/* "*" */
	uint32_t	*ids;		/* uids or gids */
	size_t		 nids;
};

struct acl {
	struct acl_rule	*r;
	size_t		 n;
};

struct acl_peer {
	uint32_t	 uid;
	uint32_t	 gid;
	const uint32_t	*groups;	/* supplementary */
	size_t		 ngroups;
};

int	 ctl_action_lookup(const char *);
const char *ctl_action_name(int);
int	 acl_syntax(int, int, char *const *, char *, size_t);
int	 acl_add(struct acl *, int, int, char *const *,
	    int (*)(int, const char *, uint32_t *, void *), void *, char *,
	    size_t);
void	 acl_free(struct acl *);
int	 acl_check(const struct acl *, int, const struct acl_peer *, uint32_t);

/* notify.c: listener sockets (-O). */
struct notify_stats {
	int		 connected;
	int		 max;
	uint64_t	 accepted;
	uint64_t	 refused;	/* too many listeners */
	uint64_t	 too_slow;	/* past the hard backlog */
	uint64_t	 stalled;	/* no write progress */
	uint64_t	 line_too_long;
	uint64_t	 unknown_command;
	uint64_t	 access_denied;
	uint64_t	 skipped_events;
};

struct event_base;
struct bufferevent;
void	 notify_init(struct event_base *, int);
void	 notify_add(struct event_base *, int, int);
int	 notify_attach(struct bufferevent *, const struct acl_peer *);
void	 notify_drop_all(void);
void	 notify_stats(struct notify_stats *);
void	 notify_watch(void);
void	 notify_close_all(void);

#endif
