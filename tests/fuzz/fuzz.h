/* Shared by the libFuzzer targets in tests/fuzz/.  Each target defines
 * LLVMFuzzerTestOneInput(); built with -fsanitize=fuzzer it is a fuzzer,
 * linked with replay.c it replays files (seeds, regressions) in the normal
 * test suite. */
#pragma once

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The bytes as a file: one memfd per process, rewritten for each input.
 * Returns its path ("/proc/self/fd/N"), or NULL when no memfd can be had. */
const char *fuzz_bytes_as_file(const uint8_t *data, size_t size);

/* The source tree (GUIDE_SOURCE_ROOT from the environment, else the build's). */
const char *fuzz_source_root(void);
