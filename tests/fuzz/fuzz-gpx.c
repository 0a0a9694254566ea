/* GPX reader: the bytes as a file through the gpx: replay source (expat),
 * every event read to the end.  No crash, no leak, and a replay ends. */
#include "tests/fuzz/fuzz.h"

#include "hal/gps.h"

#include <stdio.h>
#include <stdlib.h>

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_bytes_as_file(data, size);
	if (!path)
		return 0;
	char spec[128];
	snprintf(spec, sizeof(spec), "gpx:%s", path);
	struct hal_gps *gps = NULL;
	if (hal_gps_create(spec, NULL, &gps) < 0)
		return 0;
	/* at most one event per byte (a point takes more than one), plus END */
	size_t i;
	for (i = 0; i < size + 2; i++) {
		struct hal_fix fix;
		hal_gps_peek_time_ms(gps);
		int ev = hal_gps_read(gps, &fix);
		if (ev == HAL_GPS_END || ev < 0)
			break;
		if (ev == HAL_GPS_FIX && !hal_fix_has_position(&fix))
			abort();
	}
	if (i == size + 2)
		abort(); /* a replay that never ends */
	hal_gps_destroy(gps);
	return 0;
}
