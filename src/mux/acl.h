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
 * ControlsACLs and MessageControlsACLs: who may run which control
 * action (pure).  conf.c checks the lines' syntax, the control plane
 * (src/notify/ctl.c) builds and checks them.
 */

#ifndef MUX_ACL_H
#define MUX_ACL_H

#include <stddef.h>
#include <stdint.h>

enum ctl_action {
	CTL_HELP, CTL_STATUS, CTL_WHO, CTL_REREAD, CTL_KICK, CTL_SHUTDOWN,
	CTL_UPGRADE, CTL_MSG, CTL_NACTIONS
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

#endif
