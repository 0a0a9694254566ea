/* Private to routes/: the position index and the diagnostic helpers shared by
 * the loader (route.c), the YAML position pass (route_index.c) and the
 * validation pass (route_check.c). */
#pragma once

#include "routes/route.h"

#include <stdarg.h>

/* Where each node of the YAML document was written, keyed by a path such as
 * "stops[3].circle.radius_m" (sequence indices in brackets, keys joined by
 * dots). Built by one libyaml event pass before libcyaml sees the file. */
struct route_index_entry {
	char *path;
	struct route_loc loc;
	size_t start, end; /* libyaml character (not byte) offsets of the node */
};

struct route_index {
	struct route_index_entry *e;
	size_t n, cap;
};

/* Returns 0 when the text is well-formed YAML whose numbers are clean;
 * otherwise adds errors to diags and returns -EINVAL (-ENOMEM on OOM). */
int route_index_build(struct route_index *ix, const char *file, const unsigned char *buf,
                      size_t len, struct route_diag_list *diags);
void route_index_finish(struct route_index *ix);
/* loc of the node at the printf-formatted path; {0,0} when absent. */
struct route_loc route_index_loc(const struct route_index *ix, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Where a key named key was written: the first at or after `after`, else
 * the first anywhere, else {0,0}. (For libcyaml's "Unexpected key".) */
struct route_loc route_index_key_after(const struct route_index *ix, const char *key,
                                       struct route_loc after);

void route_diag_add(struct route_diag_list *l, enum route_diag_severity sev, const char *file,
                    struct route_loc loc, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
void route_diag_addv(struct route_diag_list *l, enum route_diag_severity sev, const char *file,
                     struct route_loc loc, const char *fmt, va_list ap)
        __attribute__((format(printf, 5, 0)));

/* Reads a route file with the size cap and the binary check of route_load. */
int route_read_file(const char *path, size_t max, unsigned char **buf_out, size_t *len_out,
                    struct route_diag_list *diags);

/* The semantic checks (route_check.c), on a converted route. */
struct route_check_ctx {
	const struct route_index *ix;
	const struct route_load_options *opts;
	struct route_diag_list *diags;
};
void route_check(struct route *r, struct route_check_ctx *c);
/* Absolute, or with a '..' component: outside the route folder. */
bool route_path_escapes(const char *p);
