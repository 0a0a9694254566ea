/* The small accuracy set in CI: asserts the targets (recall 100 %, no false
 * trigger on any drive, median start error < 10 m, p95 < 25 m) and prints
 * the naive baseline beside ours. */
#include "tests/test.h"
#include "tests/trigger/accuracy.h"

int
main(void)
{
	struct route *r = track_synthetic_route();
	CHECK(r != NULL);
	struct acc_totals tot = {0};
	const double speeds[] = {5, 20};
	const double hzs[] = {1, 10};
	for (unsigned a = 0; a < 2; a++)
		for (unsigned b = 0; b < 2; b++)
			for (uint64_t seed = 1; seed <= 2; seed++) {
				struct track_options o;
				acc_options(&o, speeds[a], 5.0, hzs[b], seed);
				unsigned bad =
					acc_run_drive(r, &o, &tot, getenv("ACC_VERBOSE") != NULL);
				if (bad)
					fprintf(stderr,
						"drive %.0f km/h %.0f Hz seed %llu: %u bad\n",
						speeds[a], hzs[b], (unsigned long long)seed, bad);
			}
	acc_print(&tot, stdout);
	CHECK_INT(tot.ours.recalled, tot.ours.entries);
	CHECK_INT(tot.ours.false_triggers, 0);
	CHECK(acc_pct(&tot.ours, 0.5) < 10.0);
	CHECK(acc_pct(&tot.ours, 0.95) < 25.0);
	acc_free(&tot);
	route_destroy(r);
	TEST_EXIT();
}
