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
 * The mux's one asynchronous resolver (evdns), for msg host NAME and
 * the remote host names of rules.  Made at first use, from ResolvConf
 * (and /etc/hosts for forward lookups); answers within seconds or fail.
 */

#include <event2/dns.h>
#include <event2/event.h>

#include "mux.h"

static struct {
	struct event_base	*base;
	const char		*resolv;
	struct evdns_base	*dns;
} D;

void
dns_init(struct event_base *base, const char *resolv)
{
	D.base = base;
	D.resolv = resolv;
}

struct evdns_base *
dns_base(void)
{
	if (D.dns != NULL || D.base == NULL)
		return (D.dns);
	if ((D.dns = evdns_base_new(D.base, EVDNS_BASE_DISABLE_WHEN_INACTIVE))
	    == NULL)
		return (NULL);
	if (evdns_base_resolv_conf_parse(D.dns, DNS_OPTIONS_ALL,
	    D.resolv != NULL ? D.resolv : "/etc/resolv.conf") != 0)
		log_warnx("resolver: cannot use %s; only /etc/hosts",
		    D.resolv != NULL ? D.resolv : "/etc/resolv.conf");
	(void)evdns_base_set_option(D.dns, "timeout:", "2");
	(void)evdns_base_set_option(D.dns, "attempts:", "2");
	return (D.dns);
}
