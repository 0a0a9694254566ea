/* The full accuracy set (meson benchmark): 3 speeds x 3 noise levels x
 * 1 and 10 Hz x 4 seeds, jumps of 20-60 m, dropouts, halts, parking. */
#include "tests/trigger/accuracy.h"

int
main(void)
{
	struct route *r = track_synthetic_route();
	if (!r)
		return 1;
	const double speeds[] = {5, 12, 20}, noises[] = {0, 2, 5}, hzs[] = {1, 10};
	struct acc_totals all = {0};
	for (unsigned c = 0; c < 3; c++) {
		struct acc_totals tot = {0};
		for (unsigned a = 0; a < 3; a++)
			for (unsigned b = 0; b < 2; b++)
				for (uint64_t seed = 1; seed <= 4; seed++) {
					struct track_options o;
					acc_options(&o, speeds[a], noises[c], hzs[b], seed);
					acc_run_drive(r, &o, &tot, false);
					acc_run_drive(r, &o, &all, false);
				}
		printf("noise %.0f m: ", noises[c]);
		acc_print(&tot, stdout);
		acc_free(&tot);
	}
	printf("all: ");
	acc_print(&all, stdout);
	int rc = (all.ours.recalled == all.ours.entries && all.ours.false_triggers == 0) ? 0 : 1;
	acc_free(&all);
	route_destroy(r);
	return rc;
}
