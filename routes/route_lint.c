/* The schema walk: the libyaml events of the position pass (route_index.c)
 * checked against the libcyaml tables of route_schema.c, so that a curator
 * sees every error of the file in one run, each said in the curator's terms:
 * a near-miss key ("did you mean"), a key at the wrong depth, a value of the
 * wrong kind, the values an enum takes, a number with junk, a full-width
 * '：' typed by a Chinese input method, a tab in the indentation.  libcyaml
 * then parses only a file that passed.  The walk reads the same tables
 * libcyaml does, so the two cannot disagree on what a route file holds.
 * The schema is the kind's (yaml_file.h): the vehicle configuration is
 * walked the same way. */
#define _GNU_SOURCE
#include "routes/route_internal.h"

#include <ctype.h>
#include <cyaml/cyaml.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

/* Strings longer than this are free text (names, transcripts, file names),
 * where full-width punctuation is at home; shorter ones are ids and codes. */
#define ID_MAX_LEN 64
#define MAX_FIELDS 32
/* A file of garbage is not worth a million lines (nor their sorting). */
#define LINT_MAX_ERRORS 200

/* ---- full-width punctuation and tabs, found in the raw text ------------- */

static const struct {
	uint32_t cp;
	const char *ascii;
	bool structural; /* may break the YAML syntax (explains a syntax error) */
} full_width[] = {
	{0xFF1A, ":", true},   {0xFF0C, ",", true},  {0x3001, ",", true},   {0xFF3B, "[", true},
	{0xFF3D, "]", true},   {0xFF5B, "{", true},  {0xFF5D, "}", true},   {0xFF03, "#", true},
	{0x3000, " ", true},   {0x3002, ".", false}, {0xFF0E, ".", false},  {0xFF0D, "-", false},
	{0xFF02, "\"", false}, {0xFF07, "'", false}, {0x201C, "\"", false}, {0x201D, "\"", false},
	{0x2018, "'", false},  {0x2019, "'", false},
};
#define N_FULL_WIDTH (sizeof(full_width) / sizeof(full_width[0]))

struct lint_mark {
	struct route_loc loc;
	unsigned kind; /* index into full_width, or N_FULL_WIDTH for a tab */
	bool reported;
};

struct lint_frame {
	const cyaml_schema_value_t *schema; /* NULL: not checked (under an error) */
	bool mapping;
	bool want_key;
	struct route_loc loc; /* where the node starts */
	char what[80];        /* for messages: "a stop", "'circle'", "the route" */
	unsigned count;       /* sequences: entries so far */
	/* mappings: */
	const cyaml_schema_field_t *field; /* the pending key's field; NULL: unchecked */
	char key[ID_MAX_LEN + 1];          /* the pending key */
	uint32_t seen, suggested;          /* fields given; fields offered by "did you mean" */
	bool garbled;                      /* a key was unreadable: what is missing is unknown */
	struct route_loc empty_loc;        /* the last value was empty where a mapping or */
	char empty_msg[400];               /* list belongs: said unless the next key explains */
	unsigned seen_line[MAX_FIELDS];
	char last_key[ID_MAX_LEN + 1]; /* the key before, and whether its value was empty */
	unsigned last_key_line;
	bool last_empty;
	char home[ID_MAX_LEN + 1]; /* the empty key that keys below belong inside */
	unsigned home_line;
	/* a free mapping (a CYAML_IGNORE field): text pairs for kind->free_pair */
	bool free;
	char free_field[ID_MAX_LEN + 1]; /* its key in the mapping above */
	struct route_loc key_loc;        /* of the pending key */
};

struct route_lint {
	const struct yaml_file_kind *kind;
	void *user;
	const char *file;
	struct route_diag_list *diags;
	unsigned errors;
	struct lint_mark *marks; /* in text order */
	size_t n_marks, cap_marks;
	struct lint_frame stack[ROUTE_MAX_DEPTH + 1];
	int depth;
};

static bool
loc_before(struct route_loc a, struct route_loc b)
{
	return a.line < b.line || (a.line == b.line && a.col < b.col);
}

static struct route_loc
mark_loc(yaml_mark_t m)
{
	return (struct route_loc){(unsigned)m.line + 1, (unsigned)m.column + 1};
}

__attribute__((format(printf, 3, 4))) static void
lint_error(struct route_lint *l, struct route_loc loc, const char *fmt, ...)
{
	va_list ap;

	if (l->errors++ == LINT_MAX_ERRORS)
		route_diag_add(l->diags, ROUTE_DIAG_ERROR, l->file, loc,
			       "more than %d errors: fix these first", LINT_MAX_ERRORS);
	if (l->errors > LINT_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	route_diag_addv(l->diags, ROUTE_DIAG_ERROR, l->file, loc, fmt, ap);
	va_end(ap);
}

static int
add_mark(struct route_lint *l, unsigned line, unsigned col, unsigned kind)
{
	if (l->n_marks == l->cap_marks) {
		size_t cap = l->cap_marks ? l->cap_marks * 2 : 64;
		struct lint_mark *m = realloc(l->marks, cap * sizeof(*m));
		if (!m)
			return -ENOMEM;
		l->marks = m;
		l->cap_marks = cap;
	}
	l->marks[l->n_marks++] = (struct lint_mark){{line, col}, kind, false};
	return 0;
}

/* One UTF-8 character at s (n bytes left): its code point, and its length. */
static uint32_t
utf8_next(const unsigned char *s, size_t n, size_t *len)
{
	unsigned extra = s[0] >= 0xF0 ? 3 : s[0] >= 0xE0 ? 2 : s[0] >= 0xC0 ? 1 : 0;
	uint32_t cp = extra ? s[0] & (0x3F >> extra) : s[0];
	*len = 1;
	if (extra >= n)
		return s[0];
	for (unsigned i = 1; i <= extra; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return s[0];
		cp = cp << 6 | (s[i] & 0x3F);
	}
	*len = extra + 1;
	return cp;
}

/* The raw pass: full-width punctuation outside comments and quoted strings,
 * and tabs in the indentation of lines outside flow collections ([...],
 * {...}, where YAML allows them).  Quotes and flow brackets count only where
 * a value starts, so "it's" or "see [1]" in plain text do not fool it. */
static int
scan_text(struct route_lint *l, const unsigned char *buf, size_t len)
{
	unsigned line = 1, col = 1, flow = 0;
	char quote = 0;
	bool comment = false, indent = true, value_start = true;

	for (size_t i = 0; i < len;) {
		size_t n;
		uint32_t c = utf8_next(buf + i, len - i, &n);
		unsigned at = col;
		i += n;
		col++;
		if (c == '\n') {
			line++;
			col = 1;
			comment = false;
			indent = !quote;
			value_start = true;
			continue;
		}
		if (comment)
			continue;
		if (quote) {
			if (quote == '"' && c == '\\' && i < len && buf[i] != '\n') {
				i++; /* an escaped ASCII character; non-ASCII escapes are rare */
				col++;
			} else if (c == (unsigned char)quote) {
				if (quote == '\'' && i < len && buf[i] == '\'') {
					i++;
					col++;
				} else {
					quote = 0;
					value_start = false;
				}
			}
			continue;
		}
		if (c == '\t') {
			if (indent && !flow && add_mark(l, line, at, N_FULL_WIDTH) < 0)
				return -ENOMEM;
			continue;
		}
		if (c == ' ')
			continue;
		bool was_start = value_start;
		indent = indent && c == '-' && (i >= len || buf[i] == ' ' || buf[i] == '\t');
		value_start = c == '-' || c == '?' || c == ',' || c == '[' || c == '{' ||
			      (c == ':' && (i >= len || strchr(" \t\n\r", buf[i])));
		if (c == '#' && (at == 1 || buf[i - 2] == ' ' || buf[i - 2] == '\t')) {
			comment = true;
		} else if ((c == '"' || c == '\'') && was_start) {
			quote = (char)c;
		} else if ((c == '[' || c == '{') && was_start) {
			flow++;
		} else if ((c == ']' || c == '}') && flow) {
			flow--;
		} else if (c >= 0x2000) {
			for (unsigned k = 0; k < N_FULL_WIDTH; k++)
				if (full_width[k].cp == c && add_mark(l, line, at, k) < 0)
					return -ENOMEM;
		}
	}
	return 0;
}

static void
report_mark(struct route_lint *l, struct lint_mark *m)
{
	if (m->reported)
		return;
	m->reported = true;
	if (m->kind == N_FULL_WIDTH) {
		lint_error(l, m->loc, "a tab in the indentation: YAML indents with spaces only");
		return;
	}
	uint32_t cp = full_width[m->kind].cp;
	char u8[5] = {0};
	if (cp == 0x3000) {
		lint_error(l, m->loc, "a full-width space (U+3000) where YAML needs ' '");
		return;
	}
	if (cp < 0x800) {
		u8[0] = (char)(0xC0 | cp >> 6);
		u8[1] = (char)(0x80 | (cp & 0x3F));
	} else {
		u8[0] = (char)(0xE0 | cp >> 12);
		u8[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		u8[2] = (char)(0x80 | (cp & 0x3F));
	}
	lint_error(l, m->loc, "full-width '%s' (U+%04X) where YAML needs '%s'", u8, (unsigned)cp,
		   full_width[m->kind].ascii);
}

/* The first mark at or after loc. */
static size_t
marks_from(const struct route_lint *l, struct route_loc loc)
{
	size_t lo = 0, hi = l->n_marks;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (loc_before(l->marks[mid].loc, loc))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Full-width characters in [from, to): reports them (all of them, or only the
 * structural ones) and returns how many there were. */
static unsigned
report_full_width(struct route_lint *l, struct route_loc from, struct route_loc to,
		  bool structural_only)
{
	unsigned n = 0;
	for (size_t i = marks_from(l, from); i < l->n_marks && loc_before(l->marks[i].loc, to);
	     i++) {
		struct lint_mark *m = &l->marks[i];
		if (m->kind == N_FULL_WIDTH || (structural_only && !full_width[m->kind].structural))
			continue;
		report_mark(l, m);
		n++;
	}
	return n;
}

/* ---- the schema, for messages -------------------------------------------- */

static const char *
value_kind(const cyaml_schema_value_t *v, char *buf, size_t len)
{
	switch (v->type) {
	case CYAML_INT:
	case CYAML_UINT: return "a whole number";
	case CYAML_FLOAT: return "a number";
	case CYAML_BOOL: return "true or false";
	case CYAML_STRING: return "text";
	case CYAML_SEQUENCE:
	case CYAML_SEQUENCE_FIXED: return "a list";
	case CYAML_IGNORE: return "a mapping of KEY: value";
	case CYAML_ENUM: {
		size_t o = (size_t)snprintf(buf, len, "one of");
		for (uint32_t i = 0; i < v->enumeration.count && o < len; i++)
			o += (size_t)snprintf(buf + o, len - o, " %s",
					      v->enumeration.strings[i].str);
		return buf;
	}
	case CYAML_MAPPING: {
		size_t o = (size_t)snprintf(buf, len, "a mapping {");
		const cyaml_schema_field_t *f = v->mapping.fields;
		for (unsigned i = 0; f[i].key && o < len; i++) {
			bool more = i == 3 && f[i + 1].key;
			o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
					      more ? "..." : f[i].key);
			if (more)
				break;
		}
		if (o < len)
			snprintf(buf + o, len - o, "}");
		return buf;
	}
	default: return "something else";
	}
}

/* The name, in messages, of a node under the key `key` of a mapping; entry:
 * of an entry of the list under that key ("a stop" for a mapping in stops:). */
static void
node_name(char *buf, size_t len, const char *key, bool entry, bool entry_mapping)
{
	size_t kl = strlen(key);
	if (!*key)
		snprintf(buf, len, "the route");
	else if (entry && entry_mapping && kl > 1 && key[kl - 1] == 's')
		snprintf(buf, len, "a %.*s", (int)(kl - 1), key);
	else if (entry)
		snprintf(buf, len, "an entry of '%s'", key);
	else
		snprintf(buf, len, "'%s'", key);
}

static const cyaml_schema_field_t *
find_field(const cyaml_schema_value_t *v, const char *key, unsigned *index)
{
	if (!v || v->type != CYAML_MAPPING)
		return NULL;
	for (unsigned i = 0; v->mapping.fields[i].key; i++)
		if (strcmp(v->mapping.fields[i].key, key) == 0) {
			if (index)
				*index = i;
			return &v->mapping.fields[i];
		}
	return NULL;
}

/* The mapping a field's value holds (directly or as list entries), or NULL. */
static const cyaml_schema_value_t *
field_mapping(const cyaml_schema_field_t *f, bool *entry)
{
	const cyaml_schema_value_t *v = &f->value;
	*entry = false;
	if (v->type == CYAML_SEQUENCE || v->type == CYAML_SEQUENCE_FIXED) {
		v = v->sequence.entry;
		*entry = true;
	}
	return v->type == CYAML_MAPPING ? v : NULL;
}

/* Appends to buf the names of the mappings anywhere under v that have a
 * field `key`, each once. */
static void
where_valid(const cyaml_schema_value_t *v, const char *name, const char *key, char *buf, size_t len,
	    int depth)
{
	if (depth > 8)
		return;
	if (find_field(v, key, NULL) && !strstr(buf, name)) {
		size_t o = strlen(buf);
		snprintf(buf + o, len - o, "%s%s", o ? " or " : "", name);
	}
	for (unsigned i = 0; v->mapping.fields[i].key; i++) {
		bool entry;
		const cyaml_schema_value_t *sub = field_mapping(&v->mapping.fields[i], &entry);
		char sub_name[80];
		if (!sub)
			continue;
		node_name(sub_name, sizeof(sub_name), v->mapping.fields[i].key, entry, true);
		where_valid(sub, sub_name, key, buf, len, depth + 1);
	}
}

static unsigned
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned row[ID_MAX_LEN + 2];
	if (la > ID_MAX_LEN || lb > ID_MAX_LEN)
		return 1000;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned cost = tolower((unsigned char)a[i - 1]) !=
					tolower((unsigned char)b[j - 1]);
			unsigned best = diag + cost;
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* s is near enough to name to be a typo of it. */
static bool
near_miss(const char *s, const char *name)
{
	size_t ls = strlen(s), ln = strlen(name);
	unsigned d = edit_distance(s, name);
	unsigned max = ln <= 3 ? 1 : 2;
	/* "radius" for "radius_m": a prefix that leaves out a unit suffix */
	bool prefix = ls >= 3 && ls < ln && strncmp(s, name, ls) == 0 && name[ls] == '_';
	return d <= max || prefix;
}

/* ---- the walk ------------------------------------------------------------ */

static struct lint_frame *
lint_top(struct route_lint *l)
{
	return l->depth ? &l->stack[l->depth - 1] : NULL;
}

/* What the next node inside the top frame must be (NULL: unchecked), its
 * name for messages ("'circle'", "a stop") and the key it is under. */
static const cyaml_schema_value_t *
expected(struct route_lint *l, char *name, size_t len, const char **key)
{
	struct lint_frame *f = lint_top(l);
	*key = "";
	if (!f) {
		snprintf(name, len, "%s", l->kind->root_name);
		return l->kind->root;
	}
	if (!f->schema)
		return NULL;
	if (!f->mapping) {
		struct lint_frame *up = l->depth >= 2 ? &l->stack[l->depth - 2] : NULL;
		const cyaml_schema_value_t *e = f->schema->sequence.entry;
		*key = up && up->mapping ? up->key : "";
		node_name(name, len, *key, true, e->type == CYAML_MAPPING);
		return e;
	}
	if (f->want_key || !f->field)
		return NULL;
	*key = f->key;
	node_name(name, len, f->key, false, false);
	return &f->field->value;
}

static void
unknown_key(struct route_lint *l, struct lint_frame *f, const char *key, struct route_loc loc)
{
	const cyaml_schema_field_t *fields = f->schema->mapping.fields;
	char buf[400] = "";

	/* a typo of a field of this mapping */
	const cyaml_schema_field_t *best = NULL;
	unsigned best_d = 1000, best_i = 0;
	for (unsigned i = 0; fields[i].key; i++) {
		unsigned d = edit_distance(key, fields[i].key);
		if (near_miss(key, fields[i].key) && d < best_d) {
			best = &fields[i];
			best_d = d;
			best_i = i;
		}
	}
	if (best) {
		f->suggested |= 1u << best_i;
		lint_error(l, loc, "unknown key '%s' in %s; did you mean '%s'?", key, f->what,
			   best->key);
		return;
	}
	/* a language code where the keys are language codes */
	bool langs = true;
	for (unsigned i = 0; fields[i].key && langs; i++)
		langs = route_lang_supported(fields[i].key);
	if (langs) {
		for (unsigned i = 0; route_supported_langs[i]; i++) {
			size_t o = strlen(buf);
			snprintf(buf + o, sizeof(buf) - o, "%s%s", i ? " " : "",
				 route_supported_langs[i]);
		}
		lint_error(l, loc, "'%s' in %s is not a supported language (%s)", key, f->what,
			   buf);
		return;
	}
	/* one level too shallow: a field of a mapping under this one; the key
	 * just before, left empty, is the likely home */
	unsigned n_homes = 0;
	for (unsigned i = 0; fields[i].key; i++) {
		bool entry;
		const cyaml_schema_value_t *sub = field_mapping(&fields[i], &entry);
		if (!sub || !find_field(sub, key, NULL))
			continue;
		if (strcmp(f->last_key, fields[i].key) == 0) {
			if (f->last_empty)
				f->empty_loc.line = 0; /* the empty value is this mistake */
			memcpy(f->home, f->last_key, sizeof(f->home));
			f->home_line = f->last_key_line;
		}
		if (strcmp(f->home, fields[i].key) == 0) {
			lint_error(l, loc,
				   "'%s' is not a field of %s; it belongs inside '%s:' (line %u): "
				   "indent it under that key",
				   key, f->what, f->home, f->home_line);
			return;
		}
		char sub_name[80];
		size_t o = strlen(buf);
		node_name(sub_name, sizeof(sub_name), fields[i].key, true, true);
		if (entry && strncmp(sub_name, "a ", 2) == 0) /* "a stop" */
			snprintf(buf + o, sizeof(buf) - o, "%sin %s (under '%s:')",
				 n_homes ? " or " : "", sub_name, fields[i].key);
		else if (entry)
			snprintf(buf + o, sizeof(buf) - o, "%sin %s", n_homes ? " or " : "",
				 sub_name);
		else
			snprintf(buf + o, sizeof(buf) - o, "%sinside '%s:'", n_homes ? " or " : "",
				 fields[i].key);
		n_homes++;
	}
	if (n_homes) {
		lint_error(l, loc, "'%s' is not a field of %s; it belongs %s, one level deeper",
			   key, f->what, buf);
		return;
	}
	/* one level too deep: a field of the enclosing mapping */
	for (int d = l->depth - 2; d >= 0; d--) {
		struct lint_frame *up = &l->stack[d];
		if (!up->mapping)
			continue;
		if (up->schema && find_field(up->schema, key, NULL)) {
			lint_error(l, loc,
				   "'%s' is not a field of %s; it belongs one level up, in %s: "
				   "indent it less",
				   key, f->what, up->what);
			return;
		}
		break;
	}
	/* a field of something else */
	where_valid(l->kind->root, l->kind->root_name, key, buf, sizeof(buf), 0);
	if (*buf) {
		lint_error(l, loc, "'%s' is not a field of %s; it is a field of %s", key, f->what,
			   buf);
		return;
	}
	for (unsigned i = 0; fields[i].key; i++) {
		size_t o = strlen(buf);
		snprintf(buf + o, sizeof(buf) - o, "%s%s", i ? ", " : "", fields[i].key);
	}
	lint_error(l, loc, "unknown key '%s' in %s (its keys: %s)", key, f->what, buf);
}

static void
check_key(struct route_lint *l, struct lint_frame *f, const yaml_event_t *ev)
{
	const char *key = (const char *)ev->data.scalar.value;
	struct route_loc loc = mark_loc(ev->start_mark);
	unsigned i;

	f->field = NULL;
	snprintf(f->key, sizeof(f->key), "%s", key);
	if (!f->schema)
		return;
	if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    report_full_width(l, loc, mark_loc(ev->end_mark), false)) {
		f->garbled = true;
		return;
	}
	const cyaml_schema_field_t *field = find_field(f->schema, key, &i);
	if (!field) {
		unknown_key(l, f, key, loc);
		return;
	}
	if (i < MAX_FIELDS && f->seen & 1u << i) {
		lint_error(l, loc, "'%s' is given twice in %s (first on line %u)", key, f->what,
			   f->seen_line[i]);
		return;
	}
	if (i < MAX_FIELDS) {
		f->seen |= 1u << i;
		f->seen_line[i] = loc.line;
	}
	f->field = field;
}

static bool
is_null(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	return ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!*v || strcmp(v, "~") == 0 || strcmp(v, "null") == 0);
}

static void
check_scalar(struct route_lint *l, const cyaml_schema_value_t *v, const char *name, const char *key,
	     const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	struct route_loc loc = mark_loc(ev->start_mark);
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	char kind[200];

	if (v->type == CYAML_STRING && v->string.max > ID_MAX_LEN)
		return; /* free text: anything goes */
	if (v->type == CYAML_IGNORE && is_null(ev))
		return; /* an empty free mapping */
	if (plain && report_full_width(l, loc, mark_loc(ev->end_mark), v->type == CYAML_STRING))
		return;
	switch (v->type) {
	case CYAML_INT:
	case CYAML_UINT:
	case CYAML_FLOAT: {
		char *end = NULL;
		if (!plain) {
			lint_error(l, loc, "%s: '%s' is quoted text, not a number", key, s);
			return;
		}
		errno = 0;
		if (v->type != CYAML_FLOAT) {
			long n = strtol(s, &end, 10);
			if (!*s || *end || errno || n < -1000000 || n > 1000000)
				lint_error(l, loc, "%s: '%s' is not a whole number", key, s);
			return;
		}
		double d = strtod(s, &end);
		if (!*s || *end || !isfinite(d))
			lint_error(l, loc, "%s: '%s' is not a number", key, s);
		return;
	}
	case CYAML_ENUM: {
		const char *guess = NULL;
		for (uint32_t i = 0; i < v->enumeration.count; i++) {
			const char *e = v->enumeration.strings[i].str;
			if (strcmp(s, e) == 0)
				return;
			char folded[ID_MAX_LEN + 1];
			size_t o = 0;
			for (const char *p = s; *p && o < ID_MAX_LEN; p++)
				if (isalnum((unsigned char)*p))
					folded[o++] = (char)tolower((unsigned char)*p);
			folded[o] = 0;
			if (!guess && (strcmp(folded, e) == 0 || edit_distance(s, e) <= 1))
				guess = e;
		}
		value_kind(v, kind, sizeof(kind)); /* an enum: written into kind */
		if (guess)
			lint_error(l, loc, "%s: '%s' is not %s; did you mean '%s'?", key, s, kind,
				   guess);
		else
			lint_error(l, loc, "%s: '%s' is not %s", key, s, kind);
		return;
	}
	case CYAML_STRING: {
		size_t n = strlen(s);
		if (n < v->string.min)
			lint_error(l, loc, "%s is empty", name);
		else if (n > v->string.max)
			lint_error(l, loc, "%s: '%.20s...' is longer than %u bytes", key, s,
				   (unsigned)v->string.max);
		return;
	}
	case CYAML_BOOL: {
		/* libcyaml reads any other text as false */
		static const char *const words[] = {"true", "false", "yes", "no", "on",
						    "off",  "1",     "0",   NULL};
		for (unsigned i = 0; words[i]; i++)
			if (strcasecmp(s, words[i]) == 0)
				return;
		lint_error(l, loc, "%s: '%s' is not true or false", key, s);
		return;
	}
	default: {
		const char *k = value_kind(v, kind, sizeof(kind));
		struct lint_frame *f = lint_top(l);
		if (is_null(ev) && f && f->mapping) {
			/* said after the next key: it may be the content, dedented */
			f->empty_loc = loc;
			snprintf(f->empty_msg, sizeof(f->empty_msg), "%s is empty: it needs %s",
				 name, k);
		} else if (is_null(ev)) {
			lint_error(l, loc, "%s is empty: it needs %s", name, k);
		} else {
			lint_error(l, loc, "%s must be %s, not text ('%s')", name, k, s);
		}
		return;
	}
	}
}

/* A node inside f is complete (empty: it was a null scalar). */
static void
frame_advance(struct lint_frame *f, bool empty)
{
	if (!f)
		return;
	if (!f->mapping) {
		f->count++;
	} else if (f->want_key) {
		f->want_key = false;
	} else {
		f->want_key = true;
		memcpy(f->last_key, f->key, sizeof(f->last_key));
		f->last_empty = empty;
		f->field = NULL;
	}
}

static void
flush_empty(struct route_lint *l, struct lint_frame *f)
{
	if (f && f->empty_loc.line)
		lint_error(l, f->empty_loc, "%s", f->empty_msg);
	if (f)
		f->empty_loc.line = 0;
}

static void
lint_scalar(struct route_lint *l, const yaml_event_t *ev)
{
	struct lint_frame *f = lint_top(l);
	char name[80];
	const char *key;

	if (f && f->free) {
		const char *s = (const char *)ev->data.scalar.value;
		if (f->want_key) {
			snprintf(f->key, sizeof(f->key), "%s", s);
			f->key_loc = mark_loc(ev->start_mark);
		} else if (l->kind->free_pair) {
			l->kind->free_pair(l->user, f->free_field, f->key, f->key_loc, s,
					   mark_loc(ev->start_mark));
		}
	} else if (f && f->mapping && f->want_key) {
		check_key(l, f, ev);
		f->last_key_line = (unsigned)ev->start_mark.line + 1;
		flush_empty(l, f);
	} else {
		const cyaml_schema_value_t *v = expected(l, name, sizeof(name), &key);
		if (v)
			check_scalar(l, v, name, key, ev);
	}
	frame_advance(f, is_null(ev));
}

static void
lint_open(struct route_lint *l, const yaml_event_t *ev)
{
	struct lint_frame *f = lint_top(l);
	bool mapping = ev->type == YAML_MAPPING_START_EVENT;
	char name[80] = "", kind[200];
	const char *key = "";
	const cyaml_schema_value_t *v = NULL;

	if (l->depth > ROUTE_MAX_DEPTH)
		return;
	if (f && f->free) {
		lint_error(l, mark_loc(ev->start_mark), "%s in %s must be text, not %s",
			   f->want_key ? "a key" : "the value", f->what,
			   mapping ? "a mapping" : "a list");
	} else if (f && f->mapping && f->want_key) {
		flush_empty(l, f);
		f->garbled = true;
		if (f->schema)
			lint_error(l, mark_loc(ev->start_mark), "a key must be plain text, not %s",
				   mapping ? "a mapping" : "a list");
		f->field = NULL;
		f->key[0] = 0;
	} else {
		v = expected(l, name, sizeof(name), &key);
	}
	bool seq_schema = v && (v->type == CYAML_SEQUENCE || v->type == CYAML_SEQUENCE_FIXED);
	bool free_map = mapping && v && v->type == CYAML_IGNORE;
	if (v && !free_map && (mapping ? v->type != CYAML_MAPPING : !seq_schema)) {
		lint_error(l, mark_loc(ev->start_mark), "%s must be %s, not %s", name,
			   value_kind(v, kind, sizeof(kind)), mapping ? "a mapping" : "a list");
		v = NULL;
	}
	struct lint_frame *n = &l->stack[l->depth++];
	memset(n, 0, sizeof(*n));
	n->schema = free_map ? NULL : v;
	n->free = free_map;
	snprintf(n->free_field, sizeof(n->free_field), "%s", key);
	n->mapping = mapping;
	n->want_key = true;
	n->loc = mark_loc(ev->start_mark);
	snprintf(n->what, sizeof(n->what), "%s", name);
}

static void
lint_close(struct route_lint *l)
{
	struct lint_frame *f = lint_top(l);
	const cyaml_schema_value_t *v = f->schema;

	if (f->mapping)
		flush_empty(l, f);
	if (v && f->mapping && !f->garbled) {
		const cyaml_schema_field_t *fields = v->mapping.fields;
		for (unsigned i = 0; fields[i].key && i < MAX_FIELDS; i++)
			if (!(fields[i].value.flags & CYAML_FLAG_OPTIONAL) &&
			    !(f->seen & 1u << i) && !(f->suggested & 1u << i))
				lint_error(l, f->loc, "%s has no '%s' (required)", f->what,
					   fields[i].key);
	} else if (v) {
		struct lint_frame *up = l->depth >= 2 ? &l->stack[l->depth - 2] : NULL;
		const char *list = up && up->mapping ? up->key : "the list";
		if (f->count < v->sequence.min)
			lint_error(l, f->loc, "'%s' needs at least %u %s (it has %u)", list,
				   (unsigned)v->sequence.min,
				   v->sequence.min == 1 ? "entry" : "entries", f->count);
		else if (v->sequence.max != CYAML_UNLIMITED && f->count > v->sequence.max)
			lint_error(l, f->loc, "'%s' takes at most %u entries (it has %u)", list,
				   (unsigned)v->sequence.max, f->count);
	}
	l->depth--;
	frame_advance(lint_top(l), false);
}

int
route_lint_event(struct route_lint *l, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT: lint_scalar(l, ev); break;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: lint_open(l, ev); break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (l->depth > 0)
			lint_close(l);
		break;
	default: break;
	}
	return 0;
}

bool
route_lint_syntax_error(struct route_lint *l, const yaml_parser_t *p)
{
	struct route_loc problem = mark_loc(p->problem_mark);

	/* a tab where libyaml stopped: every tab of the indentation, once */
	size_t i = marks_from(l, problem);
	if (i < l->n_marks && l->marks[i].kind == N_FULL_WIDTH &&
	    l->marks[i].loc.line == problem.line) {
		for (size_t j = 0; j < l->n_marks; j++)
			if (l->marks[j].kind == N_FULL_WIDTH)
				report_mark(l, &l->marks[j]);
		return true;
	}
	/* full-width punctuation between where the construct began and where
	 * libyaml gave up: that is what broke it (said once) */
	struct route_loc from =
		p->context ? mark_loc(p->context_mark) : (struct route_loc){problem.line, 1};
	if (!loc_before(from, problem))
		from = (struct route_loc){problem.line > 1 ? problem.line - 1 : 1, 1};
	return report_full_width(l, from, (struct route_loc){problem.line, problem.col + 1}, true) >
	       0;
}

int
route_lint_create(struct route_lint **out, const struct yaml_file_kind *kind, void *user,
		  const char *file, const unsigned char *buf, size_t len,
		  struct route_diag_list *diags)
{
	struct route_lint *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->kind = kind;
	l->user = user;
	l->file = file;
	l->diags = diags;
	if (scan_text(l, buf, len) < 0) {
		route_lint_destroy(l);
		return -ENOMEM;
	}
	*out = l;
	return 0;
}

unsigned
route_lint_errors(const struct route_lint *l)
{
	return l->errors;
}

void
route_lint_destroy(struct route_lint *l)
{
	if (!l)
		return;
	free(l->marks);
	free(l);
}
