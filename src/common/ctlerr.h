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
 * What kind of failure a control action's "*ERR text" reports.  The
 * text is the protocol (mux-notify(7)); its clients that must turn it
 * into a number read it here, the one place: muxctl for its exit
 * status, the Controls protocol (ctrls.c) for ftpdctl's status.
 */

#ifndef MUX_CTLERR_H
#define MUX_CTLERR_H

#include <stddef.h>

enum { CTLERR_OTHER, CTLERR_DENIED, CTLERR_BADARGS, CTLERR_NOTFOUND };

int	 ctlerr_kind(const char *, size_t);

#endif
