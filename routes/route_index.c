/* The position pass: one walk over libyaml events, before libcyaml parses
 * the same bytes by schema.  It records where every node was written (for
 * the messages of the semantic checks), reports syntax errors with their
 * position and refuses deep nesting; route_lint.c checks the same events
 * against the schema (it also rejects numbers with trailing junk, "52.8abc",
 * which libcyaml 1.3.1 would silently read as 52.8). */
#define _GNU_SOURCE
#include "routes/route_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct frame {
	bool mapping;
	char *path;
	unsigned index; /* sequences: next entry; mappings: entries so far */
	bool want_key;  /* mappings: the next node is a key */
	char *key;      /* mappings: the pending key */
};

static int
index_add(struct route_index *ix, char *path, yaml_mark_t m, yaml_mark_t end)
{
	if (ix->n == ix->cap) {
		size_t cap = ix->cap ? ix->cap * 2 : 256;
		struct route_index_entry *e = realloc(ix->e, cap * sizeof(*e));
		if (!e) {
			free(path);
			return -ENOMEM;
		}
		ix->e = e;
		ix->cap = cap;
	}
	ix->e[ix->n].path = path;
	ix->e[ix->n].loc = (struct route_loc){(unsigned)m.line + 1, (unsigned)m.column + 1};
	ix->e[ix->n].start = m.index;
	ix->e[ix->n].end = end.index;
	ix->n++;
	return 0;
}

/* The path of the node that comes next inside frame f (NULL f: the root). */
static char *
child_path(const struct frame *f)
{
	char *p = NULL;
	int n;

	if (!f)
		n = asprintf(&p, "%s", "");
	else if (!f->mapping)
		n = asprintf(&p, "%s[%u]", f->path, f->index);
	else if (f->want_key)
		n = asprintf(&p, "%s%s?", f->path, f->path[0] ? "." : ""); /* a key node */
	else
		n = asprintf(&p, "%s%s%s", f->path, f->path[0] ? "." : "", f->key ? f->key : "?");
	return n < 0 ? NULL : p;
}

/* A node inside f is complete. */
static void
frame_advance(struct frame *f)
{
	if (!f)
		return;
	if (!f->mapping) {
		f->index++;
	} else if (f->want_key) {
		f->want_key = false;
	} else {
		f->want_key = true;
		f->index++;
		free(f->key);
		f->key = NULL;
	}
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct route_index_entry *x = a, *y = b;
	int c = strcmp(x->path, y->path);
	if (c)
		return c;
	return x->loc.line != y->loc.line
		       ? (x->loc.line < y->loc.line ? -1 : 1)
		       : (x->loc.col < y->loc.col ? -1 : x->loc.col > y->loc.col);
}

/* The walk's state from one libyaml event to the next. */
struct walk {
	struct route_index *ix;
	const char *file;
	struct route_diag_list *diags;
	const struct yaml_file_kind *kind;
	struct frame stack[ROUTE_MAX_DEPTH + 1];
	int depth;
	int docs, roots;
	struct route_lint *lint; /* the schema checks, on the same events */
};

static struct frame *
walk_top(struct walk *w)
{
	return w->depth ? &w->stack[w->depth - 1] : NULL;
}

/* An error at m that ends the walk. */
__attribute__((format(printf, 3, 4))) static int
walk_fail(struct walk *w, yaml_mark_t m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	route_diag_addv(w->diags, ROUTE_DIAG_ERROR, w->file,
			(struct route_loc){(unsigned)m.line + 1, (unsigned)m.column + 1}, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int
walk_syntax_error(struct walk *w, const yaml_parser_t *parser)
{
	if (parser->error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	if (route_lint_syntax_error(w->lint, parser))
		return -EINVAL;
	if (parser->context)
		return walk_fail(w, parser->problem_mark,
				 "YAML syntax error: %s %s (started on line %u)", parser->problem,
				 parser->context, (unsigned)parser->context_mark.line + 1);
	return walk_fail(w, parser->problem_mark, "YAML syntax error: %s",
			 parser->problem ? parser->problem : "unreadable");
}

/* A scalar: a key (indexed as "path!key") or a value. */
static int
walk_scalar(struct walk *w, const yaml_event_t *ev)
{
	struct frame *top = walk_top(w);

	if (!top)
		w->roots++;
	if (top && top->mapping && top->want_key) {
		char *kp = NULL;
		top->key = strdup((const char *)ev->data.scalar.value);
		if (!top->key ||
		    asprintf(&kp, "%s%s%s!key", top->path, top->path[0] ? "." : "", top->key) < 0 ||
		    index_add(w->ix, kp, ev->start_mark, ev->end_mark) < 0)
			return -ENOMEM;
	} else {
		char *p = child_path(top);
		if (!p || index_add(w->ix, p, ev->start_mark, ev->end_mark) < 0)
			return -ENOMEM;
	}
	frame_advance(top);
	return 0;
}

/* A sequence or a mapping opens: indexed, and a frame of its own. */
static int
walk_open(struct walk *w, const yaml_event_t *ev)
{
	struct frame *top = walk_top(w);

	if (!top)
		w->roots++;
	if (w->depth >= ROUTE_MAX_DEPTH)
		return walk_fail(w, ev->start_mark, "YAML nested deeper than %d levels",
				 ROUTE_MAX_DEPTH);
	char *p = child_path(top);
	char *p2 = p ? strdup(p) : NULL;
	if (!p2 || index_add(w->ix, p, ev->start_mark, ev->end_mark) < 0) {
		if (!p2)
			free(p);
		free(p2);
		return -ENOMEM;
	}
	w->stack[w->depth++] = (struct frame){
		.mapping = ev->type == YAML_MAPPING_START_EVENT,
		.path = p2,
		.want_key = true,
	};
	return 0;
}

static void
walk_pop(struct walk *w)
{
	w->depth--;
	free(w->stack[w->depth].path);
	free(w->stack[w->depth].key);
}

/* One event: 0 to go on, 1 at the end of the stream, < 0 to stop. */
static int
walk_event(struct walk *w, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_STREAM_END_EVENT: return 1;
	case YAML_DOCUMENT_START_EVENT:
		if (++w->docs > 1)
			return walk_fail(w, ev->start_mark,
					 "a %s holds one YAML document; remove the second '---'",
					 w->kind->noun);
		return 0;
	case YAML_ALIAS_EVENT:
		return walk_fail(w, ev->start_mark, "YAML aliases (*name) are not supported in %ss",
				 w->kind->noun);
	case YAML_SCALAR_EVENT: return walk_scalar(w, ev);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: return walk_open(w, ev);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (w->depth > 0) {
			walk_pop(w);
			frame_advance(walk_top(w));
		}
		return 0;
	default: return 0;
	}
}

int
route_index_build(struct route_index *ix, const struct yaml_file_kind *kind, void *user,
		  const char *file, const unsigned char *buf, size_t len,
		  struct route_diag_list *diags)
{
	yaml_parser_t parser;
	struct walk w = {.ix = ix, .file = file, .diags = diags, .kind = kind};
	unsigned first_diag = diags ? diags->n : 0;
	int rc = 0;

	memset(ix, 0, sizeof(*ix));
	if (route_lint_create(&w.lint, kind, user, file, buf, len, diags) < 0)
		return -ENOMEM;
	if (!yaml_parser_initialize(&parser)) {
		route_lint_destroy(w.lint);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, buf, len);
	while (rc == 0) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = walk_syntax_error(&w, &parser);
			break;
		}
		rc = walk_event(&w, &ev);
		if (rc == 0)
			rc = route_lint_event(w.lint, &ev);
		yaml_event_delete(&ev);
	}
	if (rc > 0)
		rc = 0;
	while (w.depth > 0)
		walk_pop(&w);
	yaml_parser_delete(&parser);
	/* sorted by path for route_index_loc()'s binary search */
	if (ix->n)
		qsort(ix->e, ix->n, sizeof(*ix->e), entry_cmp);
	if (rc == 0 && w.roots == 0) {
		route_diag_add(diags, ROUTE_DIAG_ERROR, file, (struct route_loc){1, 1}, "%s",
			       kind->empty);
		rc = -EINVAL;
	}
	if (rc == 0 && route_lint_errors(w.lint))
		rc = -EINVAL;
	route_lint_destroy(w.lint);
	/* the walk's findings and the raw text's (tabs) in the order of the file */
	route_diag_sort(diags, first_diag);
	return rc;
}

static bool
loc_before(struct route_loc a, struct route_loc b)
{
	return a.line < b.line || (a.line == b.line && a.col < b.col);
}

struct route_loc
route_index_key_after(const struct route_index *ix, const char *key, struct route_loc after)
{
	size_t kl = strlen(key);
	struct route_loc first = {0, 0}, next = {0, 0};
	for (size_t i = 0; ix && i < ix->n; i++) {
		const char *p = ix->e[i].path;
		size_t pl = strlen(p);
		if (pl < kl + 4 || strcmp(p + pl - 4, "!key") != 0 ||
		    strncmp(p + pl - 4 - kl, key, kl) != 0 ||
		    (pl > kl + 4 && p[pl - 5 - kl] != '.'))
			continue;
		struct route_loc l = ix->e[i].loc;
		if (!first.line || loc_before(l, first))
			first = l;
		if (!loc_before(l, after) && (!next.line || loc_before(l, next)))
			next = l;
	}
	return next.line ? next : first;
}

void
route_index_finish(struct route_index *ix)
{
	for (size_t i = 0; i < ix->n; i++)
		free(ix->e[i].path);
	free(ix->e);
	memset(ix, 0, sizeof(*ix));
}

struct route_loc
route_index_loc(const struct route_index *ix, const char *fmt, ...)
{
	char path[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (!ix || !ix->n)
		return (struct route_loc){0, 0};
	size_t lo = 0, hi = ix->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ix->e[mid].path, path);
		if (c == 0)
			return ix->e[mid].loc;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (struct route_loc){0, 0};
}
