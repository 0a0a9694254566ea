/* Route loader: YAML bytes in, as if they were routes/798-751/route.yaml (so
 * clip paths resolve against the shipped clips).  No crash, no leak; a route
 * that loads is walked (tour transits); one that does not says why. */
#include "tests/fuzz/fuzz.h"

#include "routes/route.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[4096];
	if (!path[0])
		snprintf(path, sizeof(path), "%s/routes/798-751/route.yaml", fuzz_source_root());

	struct route_diag_list d;
	struct route *r = NULL;
	/* clips: existence only (decoding every clip per input is the clip
	 * target's job) */
	struct route_load_options o = {0};
	route_diag_list_init(&d);
	int rc = route_load_buffer(path, data, size, &o, &r, &d);
	if (rc == 0) {
		if (!r || d.n_errors)
			abort();
		for (unsigned i = 0; i < r->n_tours; i++) {
			struct route_transit *tr = calloc(r->tours[i].n_stops + 1, sizeof(*tr));
			if (tr)
				route_tour_transits(r, &r->tours[i], tr);
			free(tr);
		}
	} else {
		if (r || (rc == -EINVAL && !d.n_errors))
			abort();
	}
	for (unsigned i = 0; i < d.n; i++) {
		char line[512];
		route_diag_format(&d.items[i], line, sizeof(line));
	}
	route_destroy(r);
	route_diag_list_finish(&d);

	/* the datum converter reads the same bytes as a file */
	if (rc == 0) {
		const char *p = fuzz_bytes_as_file(data, size);
		char *out = NULL;
		size_t out_len = 0;
		route_diag_list_init(&d);
		if (p && route_convert_datum(p, ROUTE_DATUM_GCJ02, &out, &out_len, &d) == 0 && !out)
			abort();
		free(out);
		route_diag_list_finish(&d);
	}
	return 0;
}
