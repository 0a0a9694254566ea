#define _GNU_SOURCE
#include "tests/fuzz/fuzz.h"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

const char *
fuzz_bytes_as_file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];

	if (fd < 0) {
		fd = memfd_create("fuzz-input", MFD_CLOEXEC);
		if (fd < 0)
			return NULL;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0)
		return NULL;
	size_t off = 0;
	while (off < size) {
		ssize_t n = pwrite(fd, data + off, size - off, (off_t)off);
		if (n <= 0)
			return NULL;
		off += (size_t)n;
	}
	return path;
}

const char *
fuzz_source_root(void)
{
	const char *root = getenv("GUIDE_SOURCE_ROOT");
	return root && *root ? root : GUIDE_SOURCE_ROOT;
}
