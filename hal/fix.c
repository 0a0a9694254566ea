#include "hal/gps.h"

#include <math.h>

bool
hal_fix_has_position(const struct hal_fix *fix)
{
	return (fix->set & HAL_FIX_POS) && fix->mode >= HAL_FIX_MODE_2D && isfinite(fix->lat) &&
	       isfinite(fix->lon) && fix->lat >= -90.0 && fix->lat <= 90.0 && fix->lon >= -180.0 &&
	       fix->lon <= 180.0;
}
