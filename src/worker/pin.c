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
 *
 * Bound, a handler that computes for long can no longer be moved to an
 * idle CPU, which costs more than the switches save.  So by default
 * (auto) the pair is bound while its handler computes little per
 * request and freed when it computes much: every PIN_EVERY requests the
 * worker reads the handler's CPU time (one clock_gettime(2)), against
 * two thresholds far apart, and a freed pair stays free for a second.
 * CPU time and not the wall clock: under load a request waits for the
 * other pairs on its CPU, whatever its handler does.
 */

#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
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
 * Auto: what a handler computing us per request, measured at now (in
 * us), asks of the pair.  Pure; the caller sets p->bound once done.
 */
int
pin_step(struct pin *p, int64_t us, int64_t now)
{
	if (p->mode != -1 || p->cpu == -1)
		return (PIN_KEEP);
	if (!p->bound && us < PIN_BIND_US && now >= p->hold)
		return (PIN_BIND);
	if (p->bound && us > PIN_FREE_US) {
		p->hold = now + PIN_HOLD_US;
		return (PIN_FREE);
	}
	return (PIN_KEEP);
}

/* The worker session and its handler (hpid, when running) onto set. */
static int
pin_set(struct pin *p, pid_t hpid, const cpu_set_t *set)
{
	if (sched_setaffinity(0, sizeof(*set), set) == -1 ||
	    (hpid > 0 && sched_setaffinity(hpid, sizeof(*set), set) == -1)) {
		log_warn("worker %d: cannot set the CPUs of its handler "
		    "and itself; leaving them to the scheduler", p->idx);
		(void)sched_setaffinity(0, sizeof(p->all), &p->all);
		p->mode = 0;
		p->bound = 0;
		return (-1);
	}
	return (0);
}

/*
 * Before the handler starts: learn the slot's CPU, and with PinWorkers
 * on, bind there (the handler inherits it).  A failure costs only the
 * binding.
 */
void
pin_init(struct pin *p, int idx, int mode)
{
	cpu_set_t	one;

	memset(p, 0, sizeof(*p));
	p->mode = mode;
	p->idx = idx;
	p->cpu = -1;
	p->last = -1;
	if (mode == 0)
		return;
	if (sched_getaffinity(0, sizeof(p->all), &p->all) == -1) {
		log_warn("worker %d: sched_getaffinity", idx);
		p->mode = 0;
		return;
	}
	if ((p->cpu = pin_cpu(&p->all, idx)) == -1 || mode != 1)
		return;
	CPU_ZERO(&one);
	CPU_SET(p->cpu, &one);
	if (pin_set(p, 0, &one) == 0)
		p->bound = 1;
}

/* The CPU time of the handler, in ns, or -1. */
static int64_t
pin_cputime(struct pin *p)
{
	struct timespec	ts;

	if (clock_gettime(p->clock, &ts) == -1)
		return (-1);
	return ((int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
}

/*
 * Auto: after each request (at now, in us), and every PIN_EVERY of them
 * the handler's CPU time per request since the last reading: bind or
 * free the pair.
 */
void
pin_after(struct pin *p, pid_t hpid, int64_t now)
{
	cpu_set_t	one;
	int64_t		t, us;

	if (hpid <= 0 || (++p->n < PIN_EVERY && hpid == p->hpid))
		return;
	/* Its start is not a request's work: a new handler is read first. */
	if (hpid != p->hpid) {
		p->hpid = hpid;
		p->last = -1;
		p->n = 0;
		/* glibc checks the pid with clock_getres(2): once. */
		if (clock_getcpuclockid(hpid, &p->clock) != 0)
			p->mode = 0;
		else
			p->last = pin_cputime(p);
		return;
	}
	if ((t = pin_cputime(p)) < p->last || p->last < 0) {
		p->last = t;
		p->n = 0;
		return;
	}
	us = (t - p->last) / 1000 / p->n;
	p->last = t;
	p->n = 0;
	switch (pin_step(p, us, now)) {
	case PIN_BIND:
		CPU_ZERO(&one);
		CPU_SET(p->cpu, &one);
		if (pin_set(p, hpid, &one) == 0) {
			p->bound = 1;
			log_debug("worker %d: bound to CPU %d with its "
			    "handler (%lld us of CPU a request)", p->idx,
			    p->cpu, (long long)us);
		}
		break;
	case PIN_FREE:
		if (pin_set(p, hpid, &p->all) == 0) {
			p->bound = 0;
			log_debug("worker %d: freed from CPU %d (%lld us of "
			    "CPU a request)", p->idx, p->cpu, (long long)us);
		}
		break;
	}
}
