#include "audio/clip.h"

#include <errno.h>
#include <opusfile.h>
#include <stdio.h>
#include <sys/stat.h>

static const char *
op_error_str(int e)
{
	switch (e) {
	case OP_EREAD: return "read error";
	case OP_EFAULT: return "internal decoder fault";
	case OP_EIMPL: return "unsupported Opus feature";
	case OP_EINVAL: return "invalid argument";
	case OP_ENOTFORMAT: return "not an Ogg Opus file";
	case OP_EBADHEADER: return "bad Opus header";
	case OP_EVERSION: return "unsupported Opus version";
	case OP_EBADLINK: return "broken Ogg link";
	case OP_EBADTIMESTAMP: return "bad timestamp (truncated file?)";
	default: return "cannot decode";
	}
}

int
clip_probe(const char *path, int64_t *frames, char *err, size_t errlen)
{
	struct stat st;
	int e = 0;

	if (stat(path, &st) < 0) {
		int r = -errno;
		snprintf(err, errlen, "cannot open clip '%s': %m", path);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "clip '%s' is not a regular file", path);
		return -EISDIR;
	}
	OggOpusFile *of = op_open_file(path, &e);
	if (!of) {
		snprintf(err, errlen, "clip '%s': %s", path, op_error_str(e));
		return -EINVAL;
	}
	ogg_int64_t total = op_pcm_total(of, -1);
	op_free(of);
	if (total < 0) {
		snprintf(err, errlen, "clip '%s': %s", path, op_error_str((int)total));
		return -EINVAL;
	}
	*frames = total;
	return 0;
}
