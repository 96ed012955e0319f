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
 * posix_spawn with every signal at its default and none blocked: the
 * mux's handlers and mask must not reach a worker session or a new mux,
 * and with posix_spawn there is nothing to undo by hand afterwards (no
 * page tables copied either).  0, or an errno value.
 */

#include <signal.h>
#include <spawn.h>

#include "proc.h"

int
proc_spawn(pid_t *pid, const char *path, char *const *argv,
    char *const *envp)
{
	posix_spawnattr_t	attr;
	sigset_t		set;
	int			rv;

	if ((rv = posix_spawnattr_init(&attr)) != 0)
		return (rv);
	sigfillset(&set);
	posix_spawnattr_setsigdefault(&attr, &set);
	sigemptyset(&set);
	posix_spawnattr_setsigmask(&attr, &set);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF |
	    POSIX_SPAWN_SETSIGMASK);
	rv = posix_spawn(pid, path, NULL, &attr, argv, envp);
	posix_spawnattr_destroy(&attr);
	return (rv);
}
