#include "hal/gps.h"

#include <math.h>

bool
hal_fix_has_position(const struct hal_fix *fix)
{
	return (fix->set & HAL_FIX_POS) && fix->mode >= HAL_FIX_MODE_2D && isfinite(fix->lat) &&
	       isfinite(fix->lon) && fix->lat >= -90.0 && fix->lat <= 90.0 && fix->lon >= -180.0 &&
	       fix->lon <= 180.0;
}

void
hal_fix_clear(struct hal_fix *fix, enum hal_fix_mode mode)
{
	*fix = (struct hal_fix){.mode = (int)mode};
	fix->lat = fix->lon = fix->alt = NAN;
	fix->speed = fix->track = fix->hdop = fix->eph = NAN;
}
