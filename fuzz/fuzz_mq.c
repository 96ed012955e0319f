/*
 * Fuzz the opening of MessageEngine queue messages (mq.c), as a worker
 * session takes them from a queue anyone of its uid can write.  The
 * input is a message as msgrcv gives it.  Invariants: opening reads
 * nothing past it; what opens is what sealing it again gives, byte for
 * byte; a message of a valid length, once sealed, opens, and with no
 * key nothing does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ws.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const uint8_t	key[WS_MQ_KEY_LEN] = "fuzz key 16 byte";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ws_mq_head	 h;
	char			*m;
	int			 ok;

	if ((m = malloc(size ? size : 1)) == NULL)
		return (0);
	memcpy(m, data, size);
	ok = ws_mq_open(key, m, size, &h) == 0;
	if (ws_mq_open(NULL, m, size, &h) == 0)
		abort();
	ws_mq_seal(key, m, size);
	if (ok && memcmp(m, data, size) != 0)
		abort();
	if (size >= sizeof(h) && size <= sizeof(h) + INJ_TEXT_MAX &&
	    ws_mq_open(key, m, size, &h) != 0)
		abort();
	free(m);
	return (0);
}
