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
 * Client classes: "Class NAME CIDR..." lines, and addresses compared as
 * 16 bytes with IPv4 in its v4-mapped form, so 192.0.2.7 and
 * ::ffff:192.0.2.7 are the same client everywhere (class, kick host, msg
 * host).  The most specific network wins, whatever the order of the
 * lines; an address in no network is of class "default".  Pure.
 */

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mux.h"

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xff, 0xff };

/* Text to 16 bytes, IPv4 v4-mapped.  0, or -1 if not an address. */
int
class_addr(const char *s, uint8_t out[16])
{
	struct in_addr	in;

	if (inet_pton(AF_INET, s, &in) == 1) {
		memcpy(out, v4mapped, 12);
		memcpy(out + 12, &in, 4);
		return (0);
	}
	return (inet_pton(AF_INET6, s, out) == 1 ? 0 : -1);
}

/* A socket address to 16 bytes; -1 for anything but IPv4 and IPv6. */
int
class_sockaddr(const struct sockaddr *sa, uint8_t out[16])
{
	if (sa->sa_family == AF_INET) {
		memcpy(out, v4mapped, 12);
		memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr,
		    4);
		return (0);
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return (0);
	}
	return (-1);
}

/* "ADDR" or "ADDR/BITS" (IPv4 bits count from the v4 part). */
static int
class_net(const char *cidr, struct class_net *n)
{
	char		 buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	long		 bits;
	int		 v4;

	if (strlen(cidr) >= sizeof(buf))
		return (-1);
	memcpy(buf, cidr, strlen(cidr) + 1);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (class_addr(buf, n->addr) == -1)
		return (-1);
	v4 = strchr(buf, ':') == NULL;
	bits = v4 ? 32 : 128;
	if (slash != NULL) {
		bits = strtol(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || bits < 0 ||
		    bits > (v4 ? 32 : 128))
			return (-1);
	}
	n->bits = (int)bits + (v4 ? 96 : 0);
	return (0);
}

static int
class_in(const uint8_t a[16], const struct class_net *n)
{
	int	full = n->bits / 8, rest = n->bits % 8;

	if (memcmp(a, n->addr, (size_t)full) != 0)
		return (0);
	if (rest == 0)
		return (1);
	return (((a[full] ^ n->addr[full]) & (0xff << (8 - rest))) == 0);
}

/* Add "Class NAME CIDR...": 0, or -1 with err. */
int
class_add(struct classes *c, const char *name, int ac, char *const *av,
    char *err, size_t errlen)
{
	struct class_net	*v, n;
	int			 i, id;

	if (ac < 1) {
		snprintf(err, errlen, "Class %s: no network given", name);
		return (-1);
	}
	if (strcmp(name, "default") == 0) {
		snprintf(err, errlen, "Class default: the name of every "
		    "address in no class");
		return (-1);
	}
	for (i = 0; i < ac; i++)
		if (class_net(av[i], &n) == -1) {
			snprintf(err, errlen, "Class %s: %s is not an address "
			    "or ADDR/BITS", name, av[i]);
			return (-1);
		}
	for (id = 0; id < c->nnames; id++)
		if (strcmp(c->names[id], name) == 0)
			break;
	if (id == c->nnames) {
		char	**nv, *s;

		if ((nv = reallocarray(c->names, (size_t)c->nnames + 1,
		    sizeof(*nv))) == NULL || (s = strdup(name)) == NULL) {
			if (nv != NULL)
				c->names = nv;
			goto nomem;
		}
		c->names = nv;
		c->names[c->nnames++] = s;
	}
	if ((v = reallocarray(c->nets, (size_t)(c->nnets + ac),
	    sizeof(*v))) == NULL)
		goto nomem;
	c->nets = v;
	for (i = 0; i < ac; i++) {
		(void)class_net(av[i], &c->nets[c->nnets]);
		c->nets[c->nnets++].cls = id;
	}
	return (0);
nomem:
	snprintf(err, errlen, "out of memory");
	return (-1);
}

/* The class of an address: the most specific network's, else "default". */
const char *
class_of(const struct classes *c, const uint8_t a[16])
{
	int	i, best = -1;

	for (i = 0; i < c->nnets; i++)
		if (class_in(a, &c->nets[i]) &&
		    (best == -1 || c->nets[i].bits > c->nets[best].bits))
			best = i;
	return (best == -1 ? "default" : c->names[c->nets[best].cls]);
}

void
class_free(struct classes *c)
{
	int	i;

	for (i = 0; i < c->nnames; i++)
		free(c->names[i]);
	free(c->names);
	free(c->nets);
	memset(c, 0, sizeof(*c));
}
