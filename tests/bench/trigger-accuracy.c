/* The full accuracy set (meson benchmark): plain drives, 3 speeds x 3 noise
 * levels x 1 and 10 Hz x 4 seeds, jumps of 20-60 m, dropouts, halts,
 * parking; then each other shape of tests/trigger/accuracy.h (a quick
 * departure, a parked cart, a loop with an excursion near its start) at the
 * same speeds, noise levels and rates with 2 seeds.  One line per noise
 * level of the plain set, one per shape, and "all:" over every drive. */
#include "tests/trigger/accuracy.h"

int
main(void)
{
	struct acc_routes rs;
	if (acc_routes_init(&rs) < 0)
		return 1;
	const double speeds[] = {5, 12, 20}, noises[] = {0, 2, 5}, hzs[] = {1, 10};
	struct acc_totals all = {0};
	for (int shape = 0; shape < ACC_SHAPE_COUNT; shape++) {
		struct acc_totals by_shape = {0};
		for (unsigned c = 0; c < 3; c++) {
			struct acc_totals tot = {0};
			for (unsigned a = 0; a < 3; a++)
				for (unsigned b = 0; b < 2; b++)
					for (uint64_t seed = 1; seed <= (shape ? 2 : 4); seed++) {
						struct track_options o;
						const struct route *r = acc_shape_options(
							&rs, (enum acc_shape)shape, &o, speeds[a],
							noises[c], hzs[b], seed);
						acc_run_drive(r, &o, &tot, false);
						acc_run_drive(r, &o, &by_shape, false);
						acc_run_drive(r, &o, &all, false);
					}
			if (shape == ACC_PLAIN) {
				printf("noise %.0f m: ", noises[c]);
				acc_print(&tot, stdout);
			}
			acc_free(&tot);
		}
		printf("%s: ", acc_shape_names[shape]);
		acc_print(&by_shape, stdout);
		acc_free(&by_shape);
	}
	printf("all: ");
	acc_print(&all, stdout);
	int rc = (all.ours.recalled == all.ours.entries && all.ours.false_triggers == 0) ? 0 : 1;
	acc_free(&all);
	acc_routes_finish(&rs);
	return rc;
}
