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
 * PinWorkers: a worker session and its handler on one CPU.  The two
 * take turns, never run at once, and hand each request over a pipe each
 * way.  Left to the scheduler, the handler is often woken on the other
 * CPU because it is idle, and the worker session back on its own: two
 * cross-CPU wake-ups per request, which on a virtual machine are two
 * interrupts through the hypervisor.  Bound together, each hand-over is
 * a plain switch on one CPU.  Worker sessions are spread over the CPUs
 * the mux may use, by slot, so -x 4 on two CPUs puts two on each.
 */

#include <sched.h>

#include "log.h"
#include "ws.h"
#include "ws.h"

/* The CPU of slot idx: the (idx mod n)th of the n CPUs in set, or -1. */
int
pin_cpu(const cpu_set_t *set, int idx)
{
	int	cpu, n, k;

	if (idx < 0 || (n = CPU_COUNT(set)) == 0)
		return (-1);
	k = idx % n;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, set) && k-- == 0)
			return (cpu);
	return (-1);
}

/*
 * Bind the calling worker session, and so the handler it forks next, to
 * its slot's CPU.  A failure costs only the binding.
 */
void
pin_self(int idx)
{
	cpu_set_t	set;
	int		cpu;

	if (sched_getaffinity(0, sizeof(set), &set) == -1) {
		log_warn("worker %d: sched_getaffinity", idx);
		return;
	}
	if ((cpu = pin_cpu(&set, idx)) == -1)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) == -1)
		log_warn("worker %d: cannot bind to CPU %d", idx, cpu);
}
