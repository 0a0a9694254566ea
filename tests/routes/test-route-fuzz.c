/* Throws truncations and byte flips of the shipped route at the loader: it
 * must never crash, leak (ASan build) or call a broken route valid without
 * saying why.  Deterministic: a fixed-seed xorshift generator. */
#include "routes/route.h"
#include "tests/test.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

static uint64_t rng = 798751;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned n_valid, n_invalid;

static void
attempt(const char *path, const unsigned char *buf, size_t len, bool clip_check)
{
	struct route_diag_list d;
	struct route *r = NULL;
	struct route_load_options o = {.no_clip_check = !clip_check};

	route_diag_list_init(&d);
	int rc = route_load_buffer(path, buf, len, &o, &r, &d);
	CHECK(rc == 0 || rc == -EINVAL);
	if (rc == 0) {
		n_valid++;
		CHECK(r != NULL);
		CHECK_INT(d.n_errors, 0);
		/* a loaded route is usable: walk it */
		for (unsigned i = 0; r && i < r->n_tours; i++) {
			struct route_transit *tr = calloc(r->tours[i].n_stops + 1, sizeof(*tr));
			route_tour_transits(r, &r->tours[i], tr);
			free(tr);
		}
	} else {
		n_invalid++;
		CHECK(r == NULL);
		CHECK(d.n_errors > 0);
		for (unsigned i = 0; i < d.n; i++) {
			char line[2048];
			route_diag_format(&d.items[i], line, sizeof(line));
			CHECK(strncmp(line, path, strlen(path)) == 0);
			CHECK(d.items[i].message && d.items[i].message[0]);
		}
	}
	route_destroy(r);
	route_diag_list_finish(&d);
}

int
main(void)
{
	const char *root = getenv("GUIDE_SOURCE_ROOT");
	char path[4096];
	snprintf(path, sizeof(path), "%s/routes/798-751/route.yaml", root ? root : ".");
	FILE *f = fopen(path, "rb");
	CHECK(f != NULL);
	if (!f)
		TEST_EXIT();
	static unsigned char orig[1 << 16], buf[1 << 16];
	size_t len = fread(orig, 1, sizeof(orig), f);
	fclose(f);
	CHECK(len > 1000 && len < sizeof(orig) - 64);

	/* the original is valid */
	attempt(path, orig, len, true);
	CHECK_INT(n_valid, 1);

	/* truncations: every 37th length, and lengths right before the end */
	for (size_t n = 0; n < len; n += 37)
		attempt(path, orig, n, false);
	for (size_t n = len - 40; n < len; n++)
		attempt(path, orig, n, false);

	/* mutations: 1 to 8 changes each, from a mix that upsets YAML most */
	static const unsigned char special[] = "[]{}:,-*&!|>'\"#\n\t \0\xff\xc3";
	for (int i = 0; i < 1500; i++) {
		size_t n = len;
		memcpy(buf, orig, len);
		int changes = 1 + (int)(next() % 8);
		for (int c = 0; c < changes; c++) {
			size_t at = (size_t)(next() % n);
			switch (next() % 4) {
			case 0: buf[at] ^= (unsigned char)(1u << (next() % 8)); break;
			case 1: buf[at] = special[next() % (sizeof(special) - 1)]; break;
			case 2: buf[at] = (unsigned char)next(); break;
			case 3: /* delete a byte */
				memmove(buf + at, buf + at + 1, n - at - 1);
				n--;
				break;
			}
		}
		attempt(path, buf, n, i % 10 == 0);
	}
	printf("fuzz: %u loads, %u valid, %u refused\n", n_valid + n_invalid, n_valid, n_invalid);
	CHECK(n_invalid > 1000);
	TEST_EXIT();
}
