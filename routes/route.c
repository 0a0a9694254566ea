/* The route loader: the file is read with a size cap, indexed for positions
 * (route_index.c), parsed by the libcyaml schema tables (route_schema.c) into
 * plain "y_" structs, converted into the model of route.h (route_build.c:
 * WGS-84, resolved clip paths), then validated in one pass (route_check.c).
 * Also the diagnostic list and the lookups of route.h. */
#define _GNU_SOURCE
#include "routes/route_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- languages --------------------------------------------------------- */

#define LANG_STR(l) #l,
const char *const route_supported_langs[] = {ROUTE_LANGS(LANG_STR) NULL};

bool
route_lang_supported(const char *lang)
{
	for (unsigned i = 0; route_supported_langs[i]; i++)
		if (lang && strcmp(lang, route_supported_langs[i]) == 0)
			return true;
	return false;
}

/* ---- diagnostics -------------------------------------------------------- */

void
route_diag_list_init(struct route_diag_list *l)
{
	memset(l, 0, sizeof(*l));
}

void
route_diag_list_finish(struct route_diag_list *l)
{
	if (!l)
		return;
	for (unsigned i = 0; i < l->n; i++) {
		free(l->items[i].file);
		free(l->items[i].message);
	}
	free(l->items);
	memset(l, 0, sizeof(*l));
}

const char *
route_diag_severity_to_str(enum route_diag_severity s)
{
	return s == ROUTE_DIAG_WARNING ? "warning" : "error";
}

int
route_diag_format(const struct route_diag *d, char *buf, size_t len)
{
	return snprintf(buf, len, "%s:%u:%u: %s: %s", d->file, d->loc.line ? d->loc.line : 1,
			d->loc.col ? d->loc.col : 1, route_diag_severity_to_str(d->severity),
			d->message);
}

void
route_diag_addv(struct route_diag_list *l, enum route_diag_severity sev, const char *file,
		struct route_loc loc, const char *fmt, va_list ap)
{
	if (!l)
		return;
	if (sev == ROUTE_DIAG_ERROR)
		l->n_errors++;
	else
		l->n_warnings++;
	if (l->n == l->cap) {
		unsigned cap = l->cap ? l->cap * 2 : 16;
		struct route_diag *it = realloc(l->items, cap * sizeof(*it));
		if (!it)
			return; /* counted, not kept: better than failing the load */
		l->items = it;
		l->cap = cap;
	}
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	struct route_diag *d = &l->items[l->n];
	d->severity = sev;
	d->file = strdup(file ? file : "-");
	d->loc = loc;
	d->message = msg;
	if (!d->file) {
		free(msg);
		return;
	}
	l->n++;
}

void
route_diag_sort(struct route_diag_list *l, unsigned from)
{
	/* insertion sort: stable, and the walk adds nearly in order */
	for (unsigned i = from + 1; l && i < l->n; i++) {
		struct route_diag d = l->items[i];
		unsigned j = i;
		while (j > from && (l->items[j - 1].loc.line > d.loc.line ||
				    (l->items[j - 1].loc.line == d.loc.line &&
				     l->items[j - 1].loc.col > d.loc.col))) {
			l->items[j] = l->items[j - 1];
			j--;
		}
		l->items[j] = d;
	}
}

void
route_diag_add(struct route_diag_list *l, enum route_diag_severity sev, const char *file,
	       struct route_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	route_diag_addv(l, sev, file, loc, fmt, ap);
	va_end(ap);
}

/* ---- lookups ------------------------------------------------------------ */

const char *
route_announcement_to_str(enum route_announcement_kind k)
{
	switch (k) {
	case ROUTE_ANNOUNCE_WELCOME: return "welcome";
	case ROUTE_ANNOUNCE_SAFETY: return "safety";
	case ROUTE_ANNOUNCE_GOODBYE: return "goodbye";
	case ROUTE_ANNOUNCE_COUNT: break;
	}
	return "?";
}

const struct route_stop *
route_find_stop(const struct route *r, const char *id)
{
	for (unsigned i = 0; r && id && i < r->n_stops; i++)
		if (strcmp(r->stops[i].id, id) == 0)
			return &r->stops[i];
	return NULL;
}

const struct route_tour *
route_find_tour(const struct route *r, const char *id)
{
	for (unsigned i = 0; r && id && i < r->n_tours; i++)
		if (strcmp(r->tours[i].id, id) == 0)
			return &r->tours[i];
	return NULL;
}

const struct route_clip *
route_stop_clip(const struct route_stop *s, const char *lang)
{
	for (unsigned i = 0; s && lang && i < s->n_clips; i++)
		if (strcmp(s->clips[i].lang, lang) == 0)
			return &s->clips[i];
	return NULL;
}

const char *
route_text_get(const struct route_text *t, unsigned n, const char *lang)
{
	for (unsigned i = 0; t && lang && i < n; i++)
		if (strcmp(t[i].lang, lang) == 0)
			return t[i].text;
	return NULL;
}

/* ---- reading the file ---------------------------------------------------- */

static int check_text(const struct yaml_file_kind *kind, const char *path, const unsigned char *buf,
		      size_t len, struct route_diag_list *diags);

static int
too_large(const struct yaml_file_kind *kind, const char *path, unsigned long long size, size_t max,
	  struct route_diag_list *diags)
{
	route_diag_add(diags, ROUTE_DIAG_ERROR, path, (struct route_loc){1, 1},
		       "the file is too large (%llu bytes; a %s may be at most %zu bytes)", size,
		       kind->noun, max);
	return -EFBIG;
}

/* The whole file into a NUL-terminated buffer of its own. */
static int
read_whole(const struct yaml_file_kind *kind, const char *path, size_t max, unsigned char **out,
	   size_t *len_out, struct route_diag_list *diags)
{
	struct route_loc top = {1, 1};
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		route_diag_add(diags, ROUTE_DIAG_ERROR, path, top, "cannot open the %s: %s",
			       kind->noun, strerror(e));
		return -e;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		bool dir = S_ISDIR(st.st_mode);
		close(fd);
		if (dir)
			route_diag_add(diags, ROUTE_DIAG_ERROR, path, top,
				       "is a directory, not a %s", kind->noun);
		else
			route_diag_add(diags, ROUTE_DIAG_ERROR, path, top, "is not a regular file");
		return dir ? -EISDIR : -EINVAL;
	}
	if ((unsigned long long)st.st_size > max) {
		close(fd);
		return too_large(kind, path, (unsigned long long)st.st_size, max, diags);
	}
	unsigned char *buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	size_t len = 0;
	for (;;) {
		if (len == (size_t)st.st_size + 1)
			break; /* grew while reading: the cap check below catches it */
		ssize_t n = read(fd, buf + len, (size_t)st.st_size + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			free(buf);
			route_diag_add(diags, ROUTE_DIAG_ERROR, path, top, "cannot read: %s",
				       strerror(e));
			return -e;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > (size_t)st.st_size) {
		free(buf);
		route_diag_add(diags, ROUTE_DIAG_ERROR, path, top,
			       "the file changed while it was read");
		return -EAGAIN;
	}
	buf[len] = 0;
	*out = buf;
	*len_out = len;
	return 0;
}

int
route_read_file(const struct yaml_file_kind *kind, const char *path, const unsigned char *given,
		size_t given_len, size_t max, unsigned char **buf_out, size_t *len_out,
		struct route_diag_list *diags)
{
	unsigned char *buf = NULL;
	size_t len = 0;
	int rc;

	if (!max)
		max = kind->max_bytes;
	if (!given) {
		rc = read_whole(kind, path, max, &buf, &len, diags);
		if (rc < 0)
			return rc;
	} else {
		if (given_len > max)
			return too_large(kind, path, given_len, max, diags);
		buf = malloc(given_len + 1);
		if (!buf)
			return -ENOMEM;
		memcpy(buf, given, given_len);
		buf[given_len] = 0;
		len = given_len;
	}
	rc = check_text(kind, path, buf, len, diags);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	*buf_out = buf;
	*len_out = len;
	return 0;
}

/* NUL bytes: libyaml would stop at them silently; say what it is */
static int
check_text(const struct yaml_file_kind *kind, const char *path, const unsigned char *buf,
	   size_t len, struct route_diag_list *diags)
{
	unsigned line = 1, col = 1;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == 0) {
			route_diag_add(diags, ROUTE_DIAG_ERROR, path, (struct route_loc){line, col},
				       "binary data (a NUL byte): a %s is UTF-8 text", kind->noun);
			return -EINVAL;
		}
		if (buf[i] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	return 0;
}

/* ---- route_load ------------------------------------------------------------ */

static int load(const char *path, const unsigned char *given, size_t given_len,
		const struct route_load_options *opts, struct route **out,
		struct route_diag_list *diags);

int
route_load(const char *path, const struct route_load_options *opts, struct route **out,
	   struct route_diag_list *diags)
{
	return load(path, NULL, 0, opts, out, diags);
}

int
route_load_buffer(const char *path, const void *buf, size_t len,
		  const struct route_load_options *opts, struct route **out,
		  struct route_diag_list *diags)
{
	return load(path, buf ? buf : "", buf ? len : 0, opts, out, diags);
}

static int
load(const char *path, const unsigned char *given, size_t given_len,
     const struct route_load_options *opts, struct route **out, struct route_diag_list *diags)
{
	static const struct route_load_options no_opts;
	struct route_diag_list local;
	struct route_index ix = {0};
	unsigned char *buf = NULL;
	size_t len = 0;
	struct y_route *y = NULL;
	struct route *r = NULL;
	int rc;

	if (!opts)
		opts = &no_opts;
	if (!diags) {
		route_diag_list_init(&local);
		diags = &local;
	}
	unsigned errors_before = diags->n_errors;

	rc = route_read_file(&route_file_kind, path, given, given_len, opts->max_bytes, &buf, &len,
			     diags);
	if (rc < 0)
		goto out;
	rc = route_index_build(&ix, &route_file_kind, NULL, path, buf, len, diags);
	if (rc < 0)
		goto out;

	rc = yaml_schema_load(&route_file_kind, path, buf, len, &ix, diags, (void **)&y);
	if (rc < 0)
		goto out;

	rc = route_build(path, y, &ix, diags, &r);
	if (rc < 0) {
		route_diag_add(diags, ROUTE_DIAG_ERROR, path, (struct route_loc){1, 1},
			       "out of memory");
		goto out;
	}
	struct route_check_ctx check = {.ix = &ix, .opts = opts, .diags = diags};
	route_check(r, &check);
	rc = diags->n_errors > errors_before ? -EINVAL : 0;

out:
	yaml_schema_free(&route_file_kind, y);
	route_index_finish(&ix);
	free(buf);
	if (rc == 0 && diags->n_errors > errors_before)
		rc = -EINVAL;
	if (rc == 0) {
		*out = r;
		r = NULL;
	}
	route_destroy(r);
	if (diags == &local)
		route_diag_list_finish(&local);
	return rc;
}
