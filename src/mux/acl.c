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
 * Who may run which control action: ControlsACLs and MessageControlsACLs
 * in ProFTPD's grammar ("ACTIONS allow|deny user|group LIST"), with the
 * semantics of DESIGN §4 rather than ProFTPD's: every line counts (they
 * add up instead of the last one winning), a deny that matches wins over
 * any allow, supplementary groups count, and root and the mux's own user
 * may always act.  Names are resolved by the caller's callback, so this
 * file stays pure.
 */

#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "acl.h"

static const char *const ctl_names[CTL_NACTIONS] = {
	"help", "status", "who", "reread", "kick", "shutdown", "upgrade",
	"msg"
};

int
ctl_action_lookup(const char *name)
{
	int	i;

	for (i = 0; i < CTL_NACTIONS; i++)
		if (strcmp(ctl_names[i], name) == 0)
			return (i);
	return (-1);
}

const char *
ctl_action_name(int a)
{
	return (a >= 0 && a < CTL_NACTIONS ? ctl_names[a] : "?");
}

/* "reread,status" or "all" into a bit mask; 0 on an unknown name. */
static uint32_t
acl_actions(int msg, const char *list, char *err, size_t errlen)
{
	char		 buf[256], *p, *name;
	uint32_t	 mask = 0;
	int		 a;

	if (strlen(list) >= sizeof(buf)) {
		snprintf(err, errlen, "action list too long");
		return (0);
	}
	memcpy(buf, list, strlen(list) + 1);
	for (p = buf; (name = strsep(&p, ",")) != NULL;) {
		if (strcmp(name, "all") == 0) {
			mask |= msg ? ACL_MSG : ACL_CONTROLS;
			continue;
		}
		a = ctl_action_lookup(name);
		if (a == -1 || (msg != (a == CTL_MSG))) {
			snprintf(err, errlen, "%s: not an action of %s",
			    name, msg ? "MessageControlsACLs" :
			    "ControlsACLs");
			return (0);
		}
		mask |= 1u << a;
	}
	return (mask);
}

/*
 * Check the shape of one directive: ACTIONS allow|deny user|group LIST.
 * Returns 0 or -1 with err set.
 */
int
acl_syntax(int msg, int ac, char *const *av, char *err, size_t errlen)
{
	if (ac != 4) {
		snprintf(err, errlen, "takes ACTIONS allow|deny user|group "
		    "LIST");
		return (-1);
	}
	if (acl_actions(msg, av[0], err, errlen) == 0)
		return (-1);
	if (strcmp(av[1], "allow") != 0 && strcmp(av[1], "deny") != 0) {
		snprintf(err, errlen, "%s: allow or deny", av[1]);
		return (-1);
	}
	if (strcmp(av[2], "user") != 0 && strcmp(av[2], "group") != 0) {
		snprintf(err, errlen, "%s: user or group", av[2]);
		return (-1);
	}
	if (av[3][0] == '\0' || av[3][0] == ',') {
		snprintf(err, errlen, "empty %s list", av[2]);
		return (-1);
	}
	return (0);
}

/*
 * Add one directive.  Names the callback cannot resolve are left out
 * (the callback warns); "*" stands for everybody.
 */
int
acl_add(struct acl *acl, int msg, int ac, char *const *av,
    int (*resolve)(int, const char *, uint32_t *, void *), void *arg,
    char *err, size_t errlen)
{
	struct acl_rule	*r, *v;
	char		 buf[1024], *p, *name;
	uint32_t	 id, *ids;

	if (acl_syntax(msg, ac, av, err, errlen) == -1)
		return (-1);
	if (strlen(av[3]) >= sizeof(buf)) {
		snprintf(err, errlen, "%s list too long", av[2]);
		return (-1);
	}
	if ((v = reallocarray(acl->r, acl->n + 1, sizeof(*v))) == NULL)
		goto nomem;
	acl->r = v;
	r = &acl->r[acl->n];
	memset(r, 0, sizeof(*r));
	r->actions = acl_actions(msg, av[0], err, errlen);
	r->allow = strcmp(av[1], "allow") == 0;
	r->group = strcmp(av[2], "group") == 0;
	memcpy(buf, av[3], strlen(av[3]) + 1);
	for (p = buf; (name = strsep(&p, ",")) != NULL;) {
		if (strcmp(name, "*") == 0) {
			r->any = 1;
			continue;
		}
		if (*name == '\0' || resolve(r->group, name, &id, arg) == -1)
			continue;
		if ((ids = reallocarray(r->ids, r->nids + 1,
		    sizeof(*ids))) == NULL) {
			free(r->ids);
			goto nomem;
		}
		r->ids = ids;
		r->ids[r->nids++] = id;
	}
	acl->n++;
	return (0);
nomem:
	snprintf(err, errlen, "out of memory");
	return (-1);
}

void
acl_free(struct acl *acl)
{
	size_t	i;

	for (i = 0; i < acl->n; i++)
		free(acl->r[i].ids);
	free(acl->r);
	acl->r = NULL;
	acl->n = 0;
}

static int
acl_has(const struct acl_rule *r, uint32_t id)
{
	size_t	i;

	for (i = 0; i < r->nids; i++)
		if (r->ids[i] == id)
			return (1);
	return (0);
}

static int
acl_matches(const struct acl_rule *r, const struct acl_peer *p)
{
	size_t	i;

	if (r->any)
		return (1);
	if (!r->group)
		return (acl_has(r, p->uid));
	if (acl_has(r, p->gid))
		return (1);
	for (i = 0; i < p->ngroups; i++)
		if (acl_has(r, p->groups[i]))
			return (1);
	return (0);
}

/* May this peer run this action?  self is the mux's own uid. */
int
acl_check(const struct acl *acl, int action, const struct acl_peer *p,
    uint32_t self)
{
	size_t		i;
	int		allowed = 0;
	uint32_t	bit = 1u << action;

	if (action == CTL_HELP || p->uid == 0 || p->uid == self)
		return (1);
	for (i = 0; i < acl->n; i++) {
		if (!(acl->r[i].actions & bit) ||
		    !acl_matches(&acl->r[i], p))
			continue;
		if (!acl->r[i].allow)
			return (0);
		allowed = 1;
	}
	return (allowed);
}
