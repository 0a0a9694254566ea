/* The small accuracy set in CI: asserts the targets (recall 100 %, no false
 * trigger on any drive, median start error < 10 m, p95 < 25 m) and prints
 * the naive baseline beside ours.  Plain drives at 5 and 20 km/h, 1 and
 * 10 Hz, and the other shapes of tests/trigger/accuracy.h (a quick
 * departure, a parked cart, a loop with an excursion near its start) at 12
 * and 20 km/h. */
#include "tests/test.h"
#include "tests/trigger/accuracy.h"

int
main(void)
{
	struct acc_routes rs;
	CHECK_INT(acc_routes_init(&rs), 0);
	struct acc_totals tot = {0};
	bool verbose = getenv("ACC_VERBOSE") != NULL;
	for (int shape = 0; shape < ACC_SHAPE_COUNT; shape++) {
		struct acc_totals one = {0};
		const double plain_speeds[] = {5, 20}, speeds[] = {12, 20};
		const double hzs[] = {1, 10};
		for (unsigned a = 0; a < 2; a++)
			for (unsigned b = 0; b < 2; b++)
				for (uint64_t seed = 1; seed <= 2; seed++) {
					double kmh =
						shape == ACC_PLAIN ? plain_speeds[a] : speeds[a];
					struct track_options o;
					const struct route *r =
						acc_shape_options(&rs, (enum acc_shape)shape, &o,
								  kmh, 5.0, hzs[b], seed);
					unsigned bad = acc_run_drive(r, &o, &tot, verbose);
					acc_run_drive(r, &o, &one, false);
					if (bad)
						fprintf(stderr,
							"%s drive %.0f km/h %.0f Hz seed %llu: %u bad\n",
							acc_shape_names[shape], kmh, hzs[b],
							(unsigned long long)seed, bad);
				}
		printf("%s: ", acc_shape_names[shape]);
		acc_print(&one, stdout);
		CHECK_INT(one.ours.recalled, one.ours.entries);
		CHECK_INT(one.ours.false_triggers, 0);
		acc_free(&one);
	}
	printf("all: ");
	acc_print(&tot, stdout);
	CHECK_INT(tot.ours.recalled, tot.ours.entries);
	CHECK_INT(tot.ours.false_triggers, 0);
	CHECK(acc_pct(&tot.ours, 0.5) < 10.0);
	CHECK(acc_pct(&tot.ours, 0.95) < 25.0);
	acc_free(&tot);
	acc_routes_finish(&rs);
	TEST_EXIT();
}
