/* Fuzz the configuration parser and socket specs; check invariants. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mux.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf		c;
	struct sock_spec	sp;
	char			err[CONF_ERR_MAX], *s;

	conf_init(&c);
	if (conf_parse(&c, (const char *)data, size, err) == 0) {
		if (c.max_workers < 1 || c.max_workers > 4096 ||
		    c.min_workers < 0 || c.queue_timeout < 1)
			abort();
		if (c.sock != NULL)
			(void)sock_parse(c.sock, &sp, err, sizeof(err));
	} else if (memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	conf_free(&c);
	if ((s = malloc(size + 1)) == NULL)
		return (0);
	memcpy(s, data, size);
	s[size] = '\0';
	if (sock_parse_client(s, &sp, err, sizeof(err)) == 0 &&
	    sp.family == 0)
		abort();
	free(s);
	return (0);
}
