/* clip_probe_tag (issue 12) against clip_probe: the same length, to the
 * frame, for every Opus file of the folders given (the shipped clips, the
 * test clips, the broken ones: both fail or both succeed), for a chained
 * file (two clips one after the other: the slow path), and the comment tag
 * make-clips.sh writes. */
#define _GNU_SOURCE
#include "audio/clip.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test.h"

static int n_files;

static void
compare(const char *path)
{
	char e1[512] = "", e2[512] = "";
	int64_t f1 = -1, f2 = -1;
	char *text = NULL;
	int r1 = clip_probe(path, &f1, e1, sizeof(e1));
	int r2 = clip_probe_tag(path, &f2, "GUIDE_TEXT", &text, e2, sizeof(e2));
	if ((r1 < 0) != (r2 < 0) || (r1 == 0 && f1 != f2)) {
		fprintf(stderr, "%s: clip_probe %d %lld (%s), clip_probe_tag %d %lld (%s)\n", path,
			r1, (long long)f1, e1, r2, (long long)f2, e2);
		test_failures++;
	}
	free(text);
	n_files++;
}

static void
compare_folder(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	CHECK(d != NULL);
	while (d && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n < 5 || strcmp(de->d_name + n - 5, ".opus") != 0)
			continue;
		char *path = NULL;
		CHECK(asprintf(&path, "%s/%s", dir, de->d_name) > 0);
		if (path)
			compare(path);
		free(path);
	}
	if (d)
		closedir(d);
}

static void
append(FILE *out, const char *path)
{
	char buf[4096];
	size_t n;
	FILE *in = fopen(path, "rb");
	CHECK(in != NULL);
	while (in && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		CHECK(fwrite(buf, 1, n, out) == n);
	if (in)
		fclose(in);
}

int
main(int argc, char **argv)
{
	const char *root = getenv("GUIDE_SOURCE_ROOT");
	char a[4096], b[4096], chained[4096];

	if (!root || argc < 2) {
		fprintf(stderr, "usage: GUIDE_SOURCE_ROOT=... test-audio-probe TMPDIR\n");
		return 2;
	}
	const char *dirs[] = {"routes/798-751/clips", "tests/audio/data",
			      "tests/routes/fixtures/clips"};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(a, sizeof(a), "%s/%s", root, dirs[i]);
		compare_folder(a);
	}
	CHECK(n_files >= 40);

	/* a chained file: libopusfile's length (both links), not the last link's */
	snprintf(a, sizeof(a), "%s/tests/routes/fixtures/clips/two.opus", root);
	snprintf(b, sizeof(b), "%s/tests/routes/fixtures/clips/tagged.opus", root);
	snprintf(chained, sizeof(chained), "%s/chained.opus", argv[1]);
	FILE *f = fopen(chained, "wb");
	CHECK(f != NULL);
	if (f) {
		append(f, a);
		append(f, b);
		fclose(f);
		compare(chained);
		int64_t frames = 0;
		char err[256];
		CHECK_INT(clip_probe_tag(chained, &frames, NULL, NULL, err, sizeof(err)), 0);
		CHECK_INT(frames, 2 * 48000 + 1500 * 48);
		remove(chained);
	}

	/* the text make-clips.sh records; none in a clip that keeps no record */
	int64_t frames = 0;
	char err[256], *text = NULL;
	CHECK_INT(clip_probe_tag(b, &frames, "GUIDE_TEXT", &text, err, sizeof(err)), 0);
	CHECK_INT(frames, 1500 * 48);
	CHECK(text && strcmp(text, "Stop A, as it was first written.") == 0);
	free(text);
	text = (char *)"not touched";
	CHECK_INT(clip_probe_tag(a, &frames, "GUIDE_TEXT", &text, err, sizeof(err)), 0);
	CHECK(text == NULL);

	/* several tags in one opening (issue 17: the voice and the synthetic mark) */
	char syn[4096];
	snprintf(syn, sizeof(syn), "%s/tests/routes/fixtures/clips/synthetic.opus", root);
	const char *const tags[] = {"GUIDE_TEXT", "GUIDE_SYNTHETIC", "GUIDE_VOICE", "NOT_THERE"};
	char *v[4] = {NULL, NULL, NULL, NULL};
	CHECK_INT(clip_probe_tags(syn, &frames, tags, v, 4, err, sizeof(err)), 0);
	CHECK_INT(frames, 200 * 48);
	CHECK(v[0] && strcmp(v[0], "Synthetic.") == 0);
	CHECK(v[1] && strcmp(v[1], "1") == 0);
	CHECK(v[2] && strcmp(v[2], "espeak-ng:en") == 0);
	CHECK(v[3] == NULL);
	for (int i = 0; i < 4; i++)
		free(v[i]);
	/* a file that does not open: every value NULL */
	v[0] = (char *)"not touched";
	CHECK(clip_probe_tags("/nonexistent/clip.opus", &frames, tags, v, 1, err, sizeof(err)) < 0);
	CHECK(v[0] == NULL);
	printf("%d files compared, %d failures\n", n_files, test_failures);
	return test_failures ? 1 : 0;
}
