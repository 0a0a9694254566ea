#include "hal/nmea.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define KNOTS_TO_MS (1852.0 / 3600.0)
#define MAX_FIELDS 32

static const double pow10_tab[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8, 1e9,
				   1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};

const char *
hal_nmea_result_to_str(enum hal_nmea_result r)
{
	switch (r) {
	case HAL_NMEA_OK: return "ok";
	case HAL_NMEA_IGNORED: return "ignored";
	case HAL_NMEA_BAD_CHECKSUM: return "bad_checksum";
	case HAL_NMEA_NO_CHECKSUM: return "no_checksum";
	case HAL_NMEA_MALFORMED: return "malformed";
	case HAL_NMEA_TRUNCATED: return "truncated";
	case HAL_NMEA_RESULT_COUNT: break;
	}
	return "unknown";
}

struct field {
	const char *p;
	size_t n;
};

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* A decimal number "[-+]ddd[.ddd]" as mantissa / 10^scale.
 * 1: parsed, 0: empty field, -1: not a number. */
static int
parse_fixed(struct field f, int64_t *mant, int *scale)
{
	if (f.n == 0)
		return 0;
	size_t i = 0;
	bool neg = false;
	if (f.p[0] == '-' || f.p[0] == '+') {
		neg = f.p[0] == '-';
		i = 1;
	}
	int64_t m = 0;
	int digits = 0, sc = 0;
	bool dot = false;
	for (; i < f.n; i++) {
		char c = f.p[i];
		if (c >= '0' && c <= '9') {
			if (digits >= 18)
				return -1;
			m = m * 10 + (c - '0');
			if (m != 0 || dot)
				digits++;
			if (dot)
				sc++;
		} else if (c == '.' && !dot) {
			dot = true;
		} else {
			return -1;
		}
	}
	if (f.n == (size_t)(neg || f.p[0] == '+') + (dot ? 1 : 0))
		return -1; /* no digit at all: "-", ".", "+." */
	*mant = neg ? -m : m;
	*scale = sc;
	return 1;
}

static int
parse_num(struct field f, double *v)
{
	int64_t m;
	int sc;
	int r = parse_fixed(f, &m, &sc);
	if (r == 1)
		*v = (double)m / pow10_tab[sc];
	return r;
}

static int
parse_uint(struct field f, int *v)
{
	if (f.n == 0)
		return 0;
	if (f.n > 9)
		return -1;
	int x = 0;
	for (size_t i = 0; i < f.n; i++) {
		if (f.p[i] < '0' || f.p[i] > '9')
			return -1;
		x = x * 10 + (f.p[i] - '0');
	}
	*v = x;
	return 1;
}

static int
digits2(const char *p)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return -1;
	return (p[0] - '0') * 10 + (p[1] - '0');
}

/* hhmmss[.sss] -> ms of the day; *res: the resolution written (1000 ms for
 * whole seconds, 100, 10, 1). */
static int
parse_time(struct field f, int32_t *tod, int *res)
{
	if (f.n == 0)
		return 0;
	if (f.n < 6)
		return -1;
	int hh = digits2(f.p), mm = digits2(f.p + 2), ss = digits2(f.p + 4);
	if (hh < 0 || mm < 0 || ss < 0 || hh > 23 || mm > 59 || ss > 60)
		return -1;
	int ms = 0, r = 1000;
	if (f.n > 6) {
		if (f.p[6] != '.')
			return -1;
		int scale = 100;
		for (size_t i = 7; i < f.n; i++) {
			if (f.p[i] < '0' || f.p[i] > '9')
				return -1;
			ms += (f.p[i] - '0') * scale;
			if (scale > 0)
				r = scale;
			scale /= 10;
		}
	}
	*tod = ((hh * 60 + mm) * 60 + ss) * 1000 + ms;
	*res = r;
	return 1;
}

/* The time field of RMC, GGA, GLL: an empty one is noted (no time yet). */
static int
parse_sentence_time(struct field f, struct hal_nmea_sentence *s)
{
	int r = parse_time(f, &s->tod_ms, &s->tod_res_ms);
	if (r == 0)
		s->set |= HAL_NMEA_F_TIME_EMPTY;
	return r;
}

int32_t
hal_nmea_days_from_civil(int y, int m, int d)
{
	/* Howard Hinnant's days_from_civil */
	y -= m <= 2;
	int era = (y >= 0 ? y : y - 399) / 400;
	int yoe = y - era * 400;
	int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* ddmmyy -> days since the epoch; yy < 80 is 20yy. */
static int
parse_date(struct field f, int32_t *days)
{
	if (f.n == 0)
		return 0;
	if (f.n != 6)
		return -1;
	int dd = digits2(f.p), mo = digits2(f.p + 2), yy = digits2(f.p + 4);
	if (dd < 1 || dd > 31 || mo < 1 || mo > 12 || yy < 0)
		return -1;
	*days = hal_nmea_days_from_civil(yy < 80 ? 2000 + yy : 1900 + yy, mo, dd);
	return 1;
}

/* (d)ddmm.mmmm + hemisphere -> degrees.  max_deg 90 or 180. */
static int
parse_coord(struct field v, struct field hemi, int max_deg, char pos, char negc, double *out)
{
	if (v.n == 0 && hemi.n == 0)
		return 0;
	int64_t m;
	int sc;
	if (parse_fixed(v, &m, &sc) != 1 || m < 0 || sc > 12 || hemi.n != 1)
		return -1;
	if (hemi.p[0] != pos && hemi.p[0] != negc)
		return -1;
	int64_t unit = 100 * (int64_t)pow10_tab[sc];
	int64_t deg = m / unit;
	double minutes = (double)(m % unit) / pow10_tab[sc];
	if (minutes >= 60.0)
		return -1;
	double d = (double)deg + minutes / 60.0;
	if (d > max_deg)
		return -1;
	*out = hemi.p[0] == negc ? -d : d;
	return 1;
}

#define TRY(expr, bit)                                                                             \
	do {                                                                                       \
		int _r = (expr);                                                                   \
		if (_r < 0)                                                                        \
			return HAL_NMEA_MALFORMED;                                                 \
		if (_r > 0)                                                                        \
			s->set |= (bit);                                                           \
	} while (0)

static enum hal_nmea_result
parse_status(struct field f, struct hal_nmea_sentence *s)
{
	if (f.n == 0)
		return HAL_NMEA_OK;
	if (f.n != 1 || f.p[0] < 'A' || f.p[0] > 'Z')
		return HAL_NMEA_MALFORMED;
	s->status = f.p[0] == 'A' ? 'A' : 'V'; /* seen: 'N' for void too */
	s->set |= HAL_NMEA_F_STATUS;
	return HAL_NMEA_OK;
}

/* lat, N/S, lon, E/W at f[0..3]: both coordinates or neither. */
static enum hal_nmea_result
parse_position(const struct field *f, struct hal_nmea_sentence *s)
{
	int a = parse_coord(f[0], f[1], 90, 'N', 'S', &s->lat);
	int b = parse_coord(f[2], f[3], 180, 'E', 'W', &s->lon);
	if (a < 0 || b < 0)
		return HAL_NMEA_MALFORMED;
	if (a > 0 && b > 0)
		s->set |= HAL_NMEA_F_POS;
	return HAL_NMEA_OK;
}

/* NMEA 2.3 mode indicator at f[i] (when present): N = data not valid. */
static void
parse_mode_indicator(const struct field *f, int nf, int i, struct hal_nmea_sentence *s)
{
	if (nf > i && f[i].n == 1 && f[i].p[0] == 'N') {
		s->status = 'V';
		s->set |= HAL_NMEA_F_STATUS;
	}
}

static enum hal_nmea_result
parse_rmc(const struct field *f, int nf, struct hal_nmea_sentence *s)
{
	if (nf < 10)
		return HAL_NMEA_MALFORMED;
	TRY(parse_sentence_time(f[1], s), HAL_NMEA_F_TIME);
	if (parse_status(f[2], s) != HAL_NMEA_OK)
		return HAL_NMEA_MALFORMED;
	if (parse_position(f + 3, s) != HAL_NMEA_OK)
		return HAL_NMEA_MALFORMED;
	TRY(parse_num(f[7], &s->speed), HAL_NMEA_F_SPEED);
	s->speed *= KNOTS_TO_MS;
	TRY(parse_num(f[8], &s->track), HAL_NMEA_F_TRACK);
	/* A broken date (the GPS week-rollover bug writes "2208-1") loses the
	 * date, not the time and position. */
	if (parse_date(f[9], &s->days) > 0)
		s->set |= HAL_NMEA_F_DATE;
	parse_mode_indicator(f, nf, 12, s);
	return HAL_NMEA_OK;
}

static enum hal_nmea_result
parse_gga(const struct field *f, int nf, struct hal_nmea_sentence *s)
{
	if (nf < 10)
		return HAL_NMEA_MALFORMED;
	TRY(parse_sentence_time(f[1], s), HAL_NMEA_F_TIME);
	if (parse_position(f + 2, s) != HAL_NMEA_OK)
		return HAL_NMEA_MALFORMED;
	TRY(parse_uint(f[6], &s->quality), HAL_NMEA_F_QUALITY);
	TRY(parse_uint(f[7], &s->sats), HAL_NMEA_F_SATS);
	TRY(parse_num(f[8], &s->hdop), HAL_NMEA_F_HDOP);
	TRY(parse_num(f[9], &s->alt), HAL_NMEA_F_ALT);
	return HAL_NMEA_OK;
}

static enum hal_nmea_result
parse_gsa(const struct field *f, int nf, struct hal_nmea_sentence *s)
{
	if (nf < 3)
		return HAL_NMEA_MALFORMED;
	TRY(parse_uint(f[2], &s->gsa_mode), HAL_NMEA_F_MODE);
	if ((s->set & HAL_NMEA_F_MODE) && (s->gsa_mode < 1 || s->gsa_mode > 3))
		return HAL_NMEA_MALFORMED;
	if (nf > 16)
		TRY(parse_num(f[16], &s->hdop), HAL_NMEA_F_HDOP);
	return HAL_NMEA_OK;
}

static enum hal_nmea_result
parse_vtg(const struct field *f, int nf, struct hal_nmea_sentence *s)
{
	if (nf < 5)
		return HAL_NMEA_MALFORMED;
	double kn = NAN, kmh = NAN;
	int rk = 0, rh = 0;
	if (nf >= 9 && f[2].n == 1 && f[2].p[0] == 'T') {
		/* NMEA 2+: track,T,track,M,knots,N,kmh,K[,mode] */
		TRY(parse_num(f[1], &s->track), HAL_NMEA_F_TRACK);
		rk = parse_num(f[5], &kn);
		rh = parse_num(f[7], &kmh);
		if (nf > 9 && f[9].n == 1 && f[9].p[0] == 'N')
			return HAL_NMEA_OK; /* data not valid: no speed, no track */
	} else {
		/* NMEA 1.5: track,track_mag,knots,kmh */
		TRY(parse_num(f[1], &s->track), HAL_NMEA_F_TRACK);
		rk = parse_num(f[3], &kn);
		rh = parse_num(f[4], &kmh);
	}
	if (rk < 0 || rh < 0)
		return HAL_NMEA_MALFORMED;
	if (rk > 0) {
		s->speed = kn * KNOTS_TO_MS;
		s->set |= HAL_NMEA_F_SPEED;
	} else if (rh > 0) {
		s->speed = kmh / 3.6;
		s->set |= HAL_NMEA_F_SPEED;
	}
	return HAL_NMEA_OK;
}

static enum hal_nmea_result
parse_gll(const struct field *f, int nf, struct hal_nmea_sentence *s)
{
	if (nf < 5)
		return HAL_NMEA_MALFORMED;
	if (parse_position(f + 1, s) != HAL_NMEA_OK)
		return HAL_NMEA_MALFORMED;
	if (nf > 5)
		TRY(parse_sentence_time(f[5], s), HAL_NMEA_F_TIME);
	if (nf > 6 && parse_status(f[6], s) != HAL_NMEA_OK)
		return HAL_NMEA_MALFORMED;
	parse_mode_indicator(f, nf, 7, s);
	return HAL_NMEA_OK;
}

/* time, day, month, year[, zone hours, zone minutes]: UTC time and date */
static enum hal_nmea_result
parse_zda(const struct field *f, int nf, struct hal_nmea_sentence *s)
{
	if (nf < 5)
		return HAL_NMEA_MALFORMED;
	TRY(parse_time(f[1], &s->tod_ms, &s->tod_res_ms), HAL_NMEA_F_TIME);
	int d = 0, m = 0, y = 0;
	int rd = parse_uint(f[2], &d), rm = parse_uint(f[3], &m), ry = parse_uint(f[4], &y);
	if (rd < 0 || rm < 0 || ry < 0)
		return HAL_NMEA_MALFORMED;
	if (rd > 0 && rm > 0 && ry > 0) {
		if (d < 1 || d > 31 || m < 1 || m > 12 || y < 1980 || y > 9999)
			return HAL_NMEA_MALFORMED;
		s->days = hal_nmea_days_from_civil(y, m, d);
		s->set |= HAL_NMEA_F_DATE;
	}
	return HAL_NMEA_OK;
}

/* The supported sentences, by the three letters after the talker. */
static const struct {
	char code[4];
	enum hal_nmea_type type;
	enum hal_nmea_result (*parse)(const struct field *f, int nf, struct hal_nmea_sentence *s);
} sentence_types[] = {
	{"RMC", HAL_NMEA_RMC, parse_rmc}, {"GGA", HAL_NMEA_GGA, parse_gga},
	{"GSA", HAL_NMEA_GSA, parse_gsa}, {"VTG", HAL_NMEA_VTG, parse_vtg},
	{"GLL", HAL_NMEA_GLL, parse_gll}, {"ZDA", HAL_NMEA_ZDA, parse_zda},
};

enum hal_nmea_result
hal_nmea_parse(const char *str, size_t len, struct hal_nmea_sentence *s)
{
	s->type = HAL_NMEA_OTHER;
	s->talker[0] = '\0';
	if (len < 1 || (str[0] != '$' && str[0] != '!'))
		return HAL_NMEA_MALFORMED;
	/* checksum over the bytes between the start and '*' */
	unsigned sum = 0;
	size_t i = 1;
	while (i < len && str[i] != '*')
		sum ^= (unsigned char)str[i++];
	if (i == len)
		return HAL_NMEA_NO_CHECKSUM;
	size_t body_end = i;
	if (len - i < 3)
		return HAL_NMEA_NO_CHECKSUM;
	int h = hexval(str[i + 1]), l = hexval(str[i + 2]);
	if (h < 0 || l < 0 || len - i != 3)
		return HAL_NMEA_MALFORMED;
	if ((unsigned)(h * 16 + l) != sum)
		return HAL_NMEA_BAD_CHECKSUM;

	struct field f[MAX_FIELDS];
	int nf = 0;
	const char *p = str + 1, *end = str + body_end;
	const char *start = p;
	for (;;) {
		const char *c = memchr(start, ',', (size_t)(end - start));
		const char *fe = c ? c : end;
		if (nf < MAX_FIELDS) {
			f[nf].p = start;
			f[nf].n = (size_t)(fe - start);
			nf++;
		}
		if (!c)
			break;
		start = c + 1;
	}
	/* address: TTsss (talker + type); 'P...' is proprietary */
	if (f[0].n != 5 || p[0] == 'P')
		return HAL_NMEA_IGNORED;
	s->talker[0] = p[0];
	s->talker[1] = p[1];
	s->talker[2] = '\0';
	const char *t = p + 2;
	s->set = 0;
	s->tod_ms = -1;
	s->tod_res_ms = 0;
	s->days = -1;
	s->status = 0;
	s->quality = 0;
	s->gsa_mode = 0;
	s->sats = 0;
	s->lat = s->lon = s->alt = s->speed = s->track = s->hdop = NAN;
	for (size_t k = 0; k < sizeof(sentence_types) / sizeof(sentence_types[0]); k++) {
		if (memcmp(t, sentence_types[k].code, 3) == 0) {
			s->type = sentence_types[k].type;
			return sentence_types[k].parse(f, nf, s);
		}
	}
	return HAL_NMEA_IGNORED;
}

/* ---- reader ---- */

void
hal_nmea_reader_init(struct hal_nmea_reader *r)
{
	memset(r, 0, sizeof(*r));
	r->line = 1;
}

static void
reader_end_sentence(struct hal_nmea_reader *r, hal_nmea_sentence_fn fn, void *user)
{
	struct hal_nmea_sentence s;
	enum hal_nmea_result res = hal_nmea_parse(r->buf, r->len, &s);
	r->count[res]++;
	r->len = 0;
	if (res == HAL_NMEA_OK && fn)
		fn(user, &s);
}

/* A sentence start cut short.  Shorter than "$TTsss," it was most likely a
 * '$' byte inside binary data: skipped bytes, not a truncated sentence. */
static void
reader_cut(struct hal_nmea_reader *r)
{
	if (r->len >= 7)
		r->count[HAL_NMEA_TRUNCATED]++;
	else
		r->bytes_skipped += r->len;
	r->len = 0;
}

void
hal_nmea_reader_feed(struct hal_nmea_reader *r, const char *data, size_t len,
		     hal_nmea_sentence_fn fn, void *user)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];
		if (c == '$' || c == '!') {
			reader_cut(r);
			r->buf[0] = (char)c;
			r->len = 1;
			continue;
		}
		if (r->len == 0) {
			if (c == '\n')
				r->line++;
			r->bytes_skipped++;
			continue;
		}
		if (c == '\r' || c == '\n') {
			if (c == '\n')
				r->line++;
			reader_end_sentence(r, fn, user);
			continue;
		}
		if (c < 0x20 || c > 0x7e || r->len >= HAL_NMEA_MAX_LEN) {
			/* binary inside a sentence, or overlong: the sentence is lost */
			reader_cut(r);
			r->bytes_skipped++;
			continue;
		}
		r->buf[r->len++] = (char)c;
	}
}

void
hal_nmea_reader_finish(struct hal_nmea_reader *r)
{
	reader_cut(r);
}

/* ---- epoch combiner ---- */

void
hal_nmea_epoch_init(struct hal_nmea_epoch *e)
{
	memset(e, 0, sizeof(*e));
	e->tod_ms = -1;
	e->days = -1;
	e->last_tod_ms = -1;
}

#define HAVE(t) (e->have & (1u << (t)))

/* The sentence itself says there is no fix. */
static bool
sentence_void(const struct hal_nmea_sentence *s)
{
	if (s->type == HAL_NMEA_GGA)
		return (s->set & HAL_NMEA_F_QUALITY) && s->quality == 0;
	return (s->set & HAL_NMEA_F_STATUS) && s->status == 'V';
}

/* The sentence holds a position it vouches for.  A GGA with a quality but
 * fewer than 3 satellites used gives none (and is not void either: an RMC
 * or GLL of the same epoch may still have the fix). */
static bool
has_valid_position(const struct hal_nmea_sentence *s)
{
	if (!(s->set & HAL_NMEA_F_POS) || sentence_void(s))
		return false;
	return s->type != HAL_NMEA_GGA || !(s->set & HAL_NMEA_F_SATS) || s->sats >= 3;
}

/* Two times of day are one instant: equal, or (written at different
 * resolutions, e.g. ms and cs) within half the coarser one, at most 5 ms. */
static bool
same_instant(int32_t a, int res_a, int32_t b, int res_b)
{
	int32_t d = a > b ? a - b : b - a;
	int coarse = res_a > res_b ? res_a : res_b;
	return d == 0 || (res_a != res_b && coarse <= 10 && 2 * d <= coarse);
}

static bool
is_position_sentence(enum hal_nmea_type t)
{
	return t == HAL_NMEA_RMC || t == HAL_NMEA_GGA || t == HAL_NMEA_GLL;
}

static void
epoch_emit(struct hal_nmea_epoch *e, struct hal_fix *out, int32_t *tod_out)
{
	struct hal_fix f;
	hal_fix_clear(&f, HAL_FIX_MODE_NONE);
	f.set = HAL_FIX_MODE;
	const struct hal_nmea_sentence *rmc = HAVE(HAL_NMEA_RMC) ? &e->rmc : NULL;
	const struct hal_nmea_sentence *gga = HAVE(HAL_NMEA_GGA) ? &e->gga : NULL;
	const struct hal_nmea_sentence *gll = HAVE(HAL_NMEA_GLL) ? &e->gll : NULL;
	const struct hal_nmea_sentence *gsa = HAVE(HAL_NMEA_GSA) ? &e->gsa : NULL;
	const struct hal_nmea_sentence *vtg = HAVE(HAL_NMEA_VTG) ? &e->vtg : NULL;
	const struct hal_nmea_sentence *zda = HAVE(HAL_NMEA_ZDA) ? &e->zda : NULL;

	/* date, with rollover past midnight when only the time moves on */
	if (rmc && (rmc->set & HAL_NMEA_F_DATE)) {
		e->days = rmc->days;
	} else if (zda && (zda->set & HAL_NMEA_F_DATE)) {
		e->days = zda->days;
	} else if (e->days >= 0 && e->tod_ms >= 0 && e->last_tod_ms >= 0 &&
		   e->tod_ms + 12 * 3600000 < e->last_tod_ms) {
		e->days++;
	}
	if (e->tod_ms >= 0) {
		if (e->days >= 0) {
			f.time_ms = (int64_t)e->days * 86400000 + e->tod_ms;
			f.set |= HAL_FIX_TIME;
		}
		e->last_tod_ms = e->tod_ms;
	}
	if (tod_out)
		*tod_out = e->tod_ms;

	bool void_seen = (rmc && sentence_void(rmc)) || (gll && sentence_void(gll)) ||
			 (gga && sentence_void(gga));
	/* RMC before GGA: see "Position" in hal/nmea.h */
	const struct hal_nmea_sentence *pos = NULL;
	if (rmc && has_valid_position(rmc))
		pos = rmc;
	else if (gga && has_valid_position(gga))
		pos = gga;
	else if (gll && has_valid_position(gll))
		pos = gll;
	if (pos && !void_seen) {
		f.lat = pos->lat;
		f.lon = pos->lon;
		f.set |= HAL_FIX_POS;
		bool alt = gga && (gga->set & HAL_NMEA_F_ALT);
		if (gsa && (gsa->set & HAL_NMEA_F_MODE) && gsa->gsa_mode >= 2)
			f.mode = gsa->gsa_mode;
		else
			f.mode = alt ? HAL_FIX_MODE_3D : HAL_FIX_MODE_2D;
		if (alt) {
			f.alt = gga->alt;
			f.set |= HAL_FIX_ALT;
		}
		const struct hal_nmea_sentence *vel =
			(rmc && (rmc->set & HAL_NMEA_F_SPEED)) ? rmc : vtg;
		if (vel && (vel->set & HAL_NMEA_F_SPEED)) {
			f.speed = vel->speed;
			f.set |= HAL_FIX_SPEED;
		}
		vel = (rmc && (rmc->set & HAL_NMEA_F_TRACK)) ? rmc : vtg;
		if (vel && (vel->set & HAL_NMEA_F_TRACK)) {
			f.track = fmod(vel->track, 360.0);
			if (f.track < 0)
				f.track += 360.0;
			f.set |= HAL_FIX_TRACK;
		}
	}
	if (gga && (gga->set & HAL_NMEA_F_HDOP)) {
		f.hdop = gga->hdop;
		f.set |= HAL_FIX_HDOP;
	} else if (gsa && (gsa->set & HAL_NMEA_F_HDOP)) {
		f.hdop = gsa->hdop;
		f.set |= HAL_FIX_HDOP;
	}
	if (gga && (gga->set & HAL_NMEA_F_SATS)) {
		f.sats_used = gga->sats;
		f.set |= HAL_FIX_SATS;
	}
	*out = f;
	e->have = 0;
	e->active = 0;
	e->tod_ms = -1;
	e->tod_res_ms = 0;
	e->untimed_pos = false;
}

int
hal_nmea_epoch_add(struct hal_nmea_epoch *e, const struct hal_nmea_sentence *s, struct hal_fix *out,
		   int32_t *tod_out)
{
	int emitted = 0;
	bool timed = (s->set & HAL_NMEA_F_TIME) != 0;
	bool untimed_pos = is_position_sentence(s->type) && (s->set & HAL_NMEA_F_TIME_EMPTY);
	bool same_time = timed && e->tod_ms >= 0 &&
			 same_instant(s->tod_ms, s->tod_res_ms, e->tod_ms, e->tod_res_ms);
	if (e->active && timed && e->tod_ms >= 0 && !same_time) {
		epoch_emit(e, out, tod_out);
		emitted = 1;
	}
	/* timed and time-less position sentences never share an epoch */
	if (!emitted && e->active &&
	    ((timed && e->untimed_pos) || (untimed_pos && e->tod_ms >= 0))) {
		epoch_emit(e, out, tod_out);
		emitted = 1;
	}
	/* a second RMC or GGA starts a new epoch, unless it has the same time:
	 * another talker's report of the same fix */
	if (!emitted && e->active && HAVE(s->type) &&
	    (s->type == HAL_NMEA_RMC || s->type == HAL_NMEA_GGA)) {
		if (!same_time) {
			epoch_emit(e, out, tod_out);
			emitted = 1;
		} else {
			const struct hal_nmea_sentence *old =
				s->type == HAL_NMEA_RMC ? &e->rmc : &e->gga;
			if (has_valid_position(old) || !has_valid_position(s))
				return 0; /* keep the first */
		}
	}
	if (timed && e->tod_ms < 0) {
		e->tod_ms = s->tod_ms;
		e->tod_res_ms = s->tod_res_ms;
	} else if (same_time && s->tod_res_ms > e->tod_res_ms) {
		/* the coarser sentence's time stands for the epoch (gpsd's too) */
		e->tod_ms = s->tod_ms;
		e->tod_res_ms = s->tod_res_ms;
	}
	if (untimed_pos)
		e->untimed_pos = true;
	switch (s->type) {
	case HAL_NMEA_RMC: e->rmc = *s; break;
	case HAL_NMEA_GGA: e->gga = *s; break;
	case HAL_NMEA_GSA: e->gsa = *s; break;
	case HAL_NMEA_VTG: e->vtg = *s; break;
	case HAL_NMEA_GLL: e->gll = *s; break;
	case HAL_NMEA_ZDA: e->zda = *s; break;
	case HAL_NMEA_OTHER: return emitted;
	}
	e->have |= 1u << s->type;
	e->active = 1;
	return emitted;
}

int
hal_nmea_epoch_flush(struct hal_nmea_epoch *e, struct hal_fix *out, int32_t *tod_out)
{
	if (!e->active)
		return 0;
	epoch_emit(e, out, tod_out);
	return 1;
}

/* ---- writing ------------------------------------------------------------ */

static size_t
nmea_finish(char *line, size_t len, char *buf, size_t size)
{
	unsigned cs = 0;
	for (size_t i = 1; i < len; i++)
		cs ^= (unsigned char)line[i];
	return (size_t)snprintf(buf, size, "%s*%02X\r\n", line, cs);
}

static void
nmea_coord(double v, bool is_lat, char *out, size_t size)
{
	char hemi = is_lat ? (v < 0 ? 'S' : 'N') : (v < 0 ? 'W' : 'E');
	v = fabs(v);
	int deg = (int)v;
	double min = (v - deg) * 60.0;
	if (min >= 59.9999995) {
		deg++;
		min = 0;
	}
	snprintf(out, size, is_lat ? "%02d%09.6f,%c" : "%03d%09.6f,%c", deg, min, hemi);
}

size_t
hal_nmea_format_fix(const struct hal_fix *fix, char *buf, size_t size)
{
	time_t secs = (time_t)(fix->time_ms / 1000);
	int ms = (int)(fix->time_ms % 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	char hms[64], date[64], lat[24] = ",", lon[24] = ",";
	snprintf(hms, sizeof(hms), "%02d%02d%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
	snprintf(date, sizeof(date), "%02d%02d%02d", tm.tm_mday, tm.tm_mon + 1, tm.tm_year % 100);
	bool pos = hal_fix_has_position(fix);
	if (pos) {
		nmea_coord(fix->lat, true, lat, sizeof(lat));
		nmea_coord(fix->lon, false, lon, sizeof(lon));
	}
	char line[400], spd[16] = "", trk[16] = "";
	if (pos && isfinite(fix->speed))
		snprintf(spd, sizeof(spd), "%.2f", fix->speed * 3600.0 / 1852.0);
	if (pos && isfinite(fix->track))
		snprintf(trk, sizeof(trk), "%.1f", fix->track);
	snprintf(line, sizeof(line), "$GPRMC,%s,%c,%s,%s,%s,%s,%s,,,%c", hms, pos ? 'A' : 'V', lat,
		 lon, spd, trk, date, pos ? 'A' : 'N');
	size_t used = nmea_finish(line, strlen(line), buf, size);
	if (used >= size)
		return size ? size - 1 : 0;
	snprintf(line, sizeof(line), "$GPGGA,%s,%s,%s,%d,%02d,%.1f,%.1f,M,-8.0,M,,", hms, lat, lon,
		 pos ? 1 : 0, pos ? fix->sats_used : 0,
		 pos && isfinite(fix->hdop) ? fix->hdop : 99.9,
		 pos && isfinite(fix->alt) ? fix->alt : 0.0);
	used += nmea_finish(line, strlen(line), buf + used, size - used);
	return used < size ? used : size - 1;
}
