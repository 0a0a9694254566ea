/* yaml_file.h: a YAML file read by the route loader's machinery against any
 * libcyaml schema (the route file's, the vehicle configuration's): the size
 * cap and binary check (route.c), the position pass and the schema walk
 * (route_index.c, route_lint.c), then libcyaml, whose log is caught here
 * into one positioned diagnostic. */
#define _GNU_SOURCE
#include "routes/route_internal.h"

#include <cyaml/cyaml.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- libcyaml's log: its errors carry a position in the backtrace -------- */

struct cy_log {
	char msg[512];           /* the first error message */
	struct route_loc loc[2]; /* the first two backtrace positions after it */
	unsigned n_loc;
	bool have_msg;
};

static void cy_log_fn(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
	__attribute__((format(printf, 3, 0)));

static void
cy_log_fn(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
	struct cy_log *l = ctx;
	char line[512];

	if (level < CYAML_LOG_ERROR)
		return;
	vsnprintf(line, sizeof(line), fmt, args);
	line[strcspn(line, "\n")] = 0;
	const char *p = line;
	if (strncmp(p, "Load: ", 6) == 0)
		p += 6;
	if (strcmp(p, "Backtrace:") == 0)
		return;
	const char *at = strstr(p, "(line: ");
	if (at) {
		unsigned ln, cl;
		if (l->n_loc < 2 && sscanf(at, "(line: %u, column: %u)", &ln, &cl) == 2)
			l->loc[l->n_loc++] = (struct route_loc){ln, cl};
		return;
	}
	if (!l->have_msg) {
		snprintf(l->msg, sizeof(l->msg), "%s", p);
		l->have_msg = true;
	}
}

/* libcyaml's backtrace points at the last node it read, which is not always
 * where the curator should look: refine with the position index. */
static struct route_loc
cy_error_loc(const struct cy_log *l, const struct route_index *ix)
{
	static const char unexpected[] = "Unexpected key: ";
	static const char missing[] = "Missing required mapping field: ";
	struct route_loc first = l->n_loc ? l->loc[0] : (struct route_loc){1, 1};

	if (strncmp(l->msg, unexpected, sizeof(unexpected) - 1) == 0) {
		struct route_loc k =
			route_index_key_after(ix, l->msg + sizeof(unexpected) - 1, first);
		return k.line ? k : first;
	}
	if (strncmp(l->msg, missing, sizeof(missing) - 1) == 0) {
		/* the first entry is the last field read inside the incomplete
		 * mapping; the next one is the mapping itself (none: the top level) */
		if (l->n_loc >= 2)
			return l->loc[1];
		struct route_loc root = route_index_loc(ix, "%s", "");
		return root.line ? root : (struct route_loc){1, 1};
	}
	return first;
}

/* ---- loading and freeing ------------------------------------------------- */

static cyaml_config_t
schema_config(struct cy_log *log)
{
	return (cyaml_config_t){
		.log_fn = cy_log_fn,
		.log_ctx = log,
		.mem_fn = cyaml_mem,
		.log_level = CYAML_LOG_ERROR,
		.flags = CYAML_CFG_NO_ALIAS,
	};
}

int
yaml_schema_load(const struct yaml_file_kind *kind, const char *path, const unsigned char *buf,
		 size_t len, const struct route_index *ix, struct route_diag_list *diags,
		 void **out)
{
	struct cy_log log = {0};
	const cyaml_config_t cfg = schema_config(&log);
	cyaml_data_t *y = NULL;

	cyaml_err_t err = cyaml_load_data(buf, len, &cfg, kind->root, &y, NULL);
	if (err != CYAML_OK) {
		route_diag_add(diags, ROUTE_DIAG_ERROR, path, cy_error_loc(&log, ix), "%s",
			       log.have_msg ? log.msg : cyaml_strerror(err));
		return err == CYAML_ERR_OOM ? -ENOMEM : -EINVAL;
	}
	*out = y;
	return 0;
}

void
yaml_schema_free(const struct yaml_file_kind *kind, void *data)
{
	struct cy_log log = {0};
	const cyaml_config_t cfg = schema_config(&log);

	if (data)
		cyaml_free(&cfg, kind->root, data, 0);
}

/* ---- the whole file ------------------------------------------------------- */

int
yaml_file_load(struct yaml_file *f, const struct yaml_file_kind *kind, const char *path,
	       const void *given, size_t given_len, void *user, struct route_diag_list *diags)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int rc;

	memset(f, 0, sizeof(*f));
	unsigned errors_before = diags->n_errors;
	struct route_index *ix = calloc(1, sizeof(*ix));
	if (!ix)
		return -ENOMEM;
	rc = route_read_file(kind, path, given, given_len, 0, &buf, &len, diags);
	if (rc == 0)
		rc = route_index_build(ix, kind, user, path, buf, len, diags);
	if (rc == 0)
		rc = yaml_schema_load(kind, path, buf, len, ix, diags, &f->data);
	free(buf);
	if (rc == 0 && diags->n_errors > errors_before)
		rc = -EINVAL;
	f->ix = ix;
	if (rc < 0)
		yaml_file_free(f, kind);
	return rc;
}

struct route_loc
yaml_file_loc(const struct yaml_file *f, const char *fmt, ...)
{
	char path[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return route_index_loc(f->ix, "%s", path);
}

void
yaml_file_free(struct yaml_file *f, const struct yaml_file_kind *kind)
{
	yaml_schema_free(kind, f->data);
	if (f->ix) {
		route_index_finish(f->ix);
		free(f->ix);
	}
	memset(f, 0, sizeof(*f));
}
