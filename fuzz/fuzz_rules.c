/*
 * Fuzz the tcprules value parser: whatever a CDB record holds, the
 * variables found are NUL-terminated "VAR=VALUE" strings inside the
 * result, and there are at most RULES_VARS_MAX of them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mux.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules_res	r;
	int			i;

	rules_parse((const char *)data, size, &r);
	if (r.nvars < 0 || r.nvars > RULES_VARS_MAX)
		abort();
	for (i = 0; i < r.nvars; i++) {
		if (r.vars[i] < r.data ||
		    r.vars[i] >= r.data + sizeof(r.data) ||
		    strchr(r.vars[i], '=') == NULL || r.vars[i][0] == '=')
			abort();
		if (rules_var(&r, "X") != NULL &&
		    strlen(rules_var(&r, "X")) >= sizeof(r.data))
			abort();
	}
	return (0);
}
