/* A YAML file checked against a libcyaml schema the way a route file is: one
 * pass over the libyaml events that reports every error of the file at once,
 * at FILE:LINE:COL, in the writer's terms (a near-miss key with "did you
 * mean", a key at the wrong depth, the values an enum takes, a number with
 * junk, full-width punctuation, tabs), then libcyaml fills the schema's
 * structs, and the positions of the nodes stay at hand for the checks the
 * caller makes on the values.  Route files (route.c) and the vehicle
 * configuration (guide/daemon/config.c) are both read through it. */
#pragma once

#include "routes/route.h"

#include <stdarg.h>
#include <stddef.h>

struct cyaml_schema_value;

/* What kind of file: its schema and the words its messages use. */
struct yaml_file_kind {
	const struct cyaml_schema_value *root; /* a mapping, CYAML_FLAG_POINTER */
	const char *noun;                      /* "route file": "cannot open the route file" */
	const char *root_name;                 /* "the route": "unknown key 'x' in the route" */
	const char *empty;                     /* the message for a file with no content */
	size_t max_bytes;                      /* larger files are refused */
	/* A field of type CYAML_IGNORE holds a mapping of text keys to text
	 * values that the schema does not list (a key map): the walk checks
	 * that shape and hands each pair here, to be checked and kept by the
	 * caller (libcyaml skips the field).  NULL: such pairs are not reported. */
	void (*free_pair)(void *user, const char *field, const char *key, struct route_loc key_loc,
			  const char *value, struct route_loc value_loc);
};

struct route_index;

/* A file that passed: what libcyaml filled, and where each node was. */
struct yaml_file {
	void *data;
	struct route_index *ix;
};

/* Reads and checks path (NULL buf) or the len bytes at buf under the name
 * path; errors and warnings go to diags.  0, -EINVAL (errors in diags),
 * -ENOMEM, or the -errno of reading; on failure f is left empty.  user is
 * handed to kind->free_pair. */
int yaml_file_load(struct yaml_file *f, const struct yaml_file_kind *kind, const char *path,
		   const void *buf, size_t len, void *user, struct route_diag_list *diags);
/* Where the node at the printf-formatted path was written ("control.group",
 * "langs[1]", "keys.KEY_F1!key" for a key itself); {0,0} when absent. */
struct route_loc yaml_file_loc(const struct yaml_file *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void yaml_file_free(struct yaml_file *f, const struct yaml_file_kind *kind);

/* For the caller's own checks of the values: one diagnostic at loc. */
void route_diag_add(struct route_diag_list *l, enum route_diag_severity sev, const char *file,
		    struct route_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Sorts the diagnostics from index `from` on by position (stable). */
void route_diag_sort(struct route_diag_list *l, unsigned from);
void route_diag_addv(struct route_diag_list *l, enum route_diag_severity sev, const char *file,
		     struct route_loc loc, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));
