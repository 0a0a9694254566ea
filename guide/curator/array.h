/* Growing a malloc'd array by doubling: the curator tool's readers append
 * items whose count they learn only at the end. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Makes room for item n of items (cap items of size bytes now; the first
 * allocation holds first).  Returns the array, moved perhaps, with *cap
 * updated, or NULL when out of memory: items is then left as it was. */
static inline void *
array_grow(void *items, size_t n, size_t *cap, size_t size, size_t first)
{
	if (n < *cap)
		return items;
	size_t nc = *cap ? *cap * 2 : first;
	if (nc < n + 1 || nc > SIZE_MAX / size)
		return NULL;
	void *p = realloc(items, nc * size);
	if (p)
		*cap = nc;
	return p;
}
