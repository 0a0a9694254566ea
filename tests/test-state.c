/* The persisted tour state survives a crash and refuses damage gracefully. */
#include "guide/state.h"
#include "tests/test.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static void
write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	fwrite(data, 1, len, f);
	fclose(f);
}

int
main(void)
{
	char dir[] = "/tmp/guide-state-XXXXXX";
	char path[128], tmp[160], err[256];
	struct guide_state st, back;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/state", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);

	CHECK_INT(guide_state_load(path, &back, err, sizeof(err)), -ENOENT);
	CHECK_INT(back.state, GUIDE_STATE_IDLE);

	guide_state_init(&st);
	strcpy(st.route, "798-751");
	strcpy(st.tour, "loop");
	strcpy(st.langs, "zh,en");
	st.state = GUIDE_STATE_PAUSED;
	CHECK(guide_state_mark_played(&st, "gate"));
	CHECK(guide_state_mark_played(&st, "ucca"));
	CHECK(guide_state_mark_played(&st, "gate")); /* no duplicate */
	CHECK_INT(st.n_played, 2);
	strcpy(st.log, "0123456789abcdef0123456789abcdef");
	st.seq = 12345678901ULL;
	CHECK(!guide_state_mark_played(&st, "an-id-that-is-much-too-long-to-fit-into-the-fixed-"
					    "size-field-of-the-state"));
	CHECK_INT(guide_state_save(path, &st), 0);
	CHECK(access(tmp, F_OK) != 0);

	CHECK_INT(guide_state_load(path, &back, err, sizeof(err)), 0);
	CHECK_STR(back.route, "798-751");
	CHECK_STR(back.tour, "loop");
	CHECK_STR(back.langs, "zh,en");
	CHECK_INT(back.state, GUIDE_STATE_PAUSED);
	CHECK_INT(back.n_played, 2);
	CHECK(guide_state_has_played(&back, "ucca"));
	CHECK(!guide_state_has_played(&back, "tank-79"));
	CHECK_STR(back.log, "0123456789abcdef0123456789abcdef"); /* the event log's numbering */
	CHECK_INT(back.seq, 12345678901LL);

	/* every truncation of a valid file either loads a prefix-consistent
	 * state or is refused with a clean state: never garbage */
	FILE *f = fopen(path, "rb");
	char good[1024];
	size_t n = fread(good, 1, sizeof(good), f);
	fclose(f);
	for (size_t cut = 0; cut < n; cut++) {
		write_file(path, good, cut);
		int r = guide_state_load(path, &back, err, sizeof(err));
		CHECK(r == 0 || r == -EBADMSG);
		if (r == -EBADMSG) {
			CHECK_INT(back.state, GUIDE_STATE_IDLE);
			CHECK_INT(back.n_played, 0);
			CHECK(strstr(err, path) != NULL);
		}
	}
	/* garbage of every kind */
	static const char *bad[] = {
		"\177ELF\x02\x01\x01\0\0\0",
		"guide-state 2\nstate running\n",
		"guide-state 1\nstate flying\n",
		"guide-state 1\nstate running\n", /* running without a tour */
		"guide-state 1\nplayed \x01\x02\n",
		"guide-state 1\nwhat ever\n",
		"guide-state 1\nseq -1\n",
		"guide-state 1\nseq 12x\n",
		"guide-state 1\nseq 99999999999999999999999\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(path, bad[i], strlen(bad[i]) + (i == 0 ? 3 : 0));
		CHECK_INT(guide_state_load(path, &back, err, sizeof(err)), -EBADMSG);
		CHECK_INT(back.n_played, 0);
	}
	/* a state file in a folder we cannot write: error, old file untouched */
	char nodir[200];
	snprintf(nodir, sizeof(nodir), "%s/missing/state", dir);
	CHECK(guide_state_save(nodir, &st) < 0);

	unlink(path);
	rmdir(dir);
	TEST_EXIT();
}
