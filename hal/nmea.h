/* NMEA 0183 sentence parser, byte-stream splitter and epoch combiner.
 *
 * Three layers, each usable alone (tests and the benchmark drive them
 * directly; the nmea: replay source stacks them):
 *   hal_nmea_parse()         one sentence -> struct hal_nmea_sentence
 *   struct hal_nmea_reader   arbitrary bytes (sentences, comments, binary
 *                            u-blox UBX frames, line noise) -> sentences
 *   struct hal_nmea_epoch    sentences of one UTC time -> one struct hal_fix
 *
 * Everything is caller-owned (init, no allocation), no module-level state.
 * Supported: RMC, GGA, GSA, VTG, GLL from any talker (GP, GN, GL, GA, BD,
 * GB, QZ, ...).  Other sentences with a good checksum are counted as ignored.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "hal/gps.h"

enum hal_nmea_type {
	HAL_NMEA_OTHER = 0,
	HAL_NMEA_RMC,
	HAL_NMEA_GGA,
	HAL_NMEA_GSA,
	HAL_NMEA_VTG,
	HAL_NMEA_GLL,
};

/* The outcome of one sentence; also the index of the reader's counters. */
enum hal_nmea_result {
	HAL_NMEA_OK = 0,       /* supported sentence, fields parsed */
	HAL_NMEA_IGNORED,      /* good checksum, a sentence we do not use */
	HAL_NMEA_BAD_CHECKSUM, /* checksum present and wrong */
	HAL_NMEA_NO_CHECKSUM,  /* no '*hh' at the end */
	HAL_NMEA_MALFORMED,    /* good checksum, fields not what the type requires */
	HAL_NMEA_TRUNCATED,    /* (reader) cut by binary bytes, a new '$', EOF or length */
	HAL_NMEA_RESULT_COUNT
};

const char *hal_nmea_result_to_str(enum hal_nmea_result r);

/* Which fields of a sentence hold a value. */
enum hal_nmea_field {
	HAL_NMEA_F_TIME = 1u << 0,    /* tod_ms */
	HAL_NMEA_F_DATE = 1u << 1,    /* days */
	HAL_NMEA_F_POS = 1u << 2,     /* lat, lon */
	HAL_NMEA_F_ALT = 1u << 3,     /* alt (GGA, MSL) */
	HAL_NMEA_F_SPEED = 1u << 4,   /* speed */
	HAL_NMEA_F_TRACK = 1u << 5,   /* track */
	HAL_NMEA_F_HDOP = 1u << 6,    /* hdop */
	HAL_NMEA_F_SATS = 1u << 7,    /* sats */
	HAL_NMEA_F_STATUS = 1u << 8,  /* status: RMC / GLL 'A' or 'V' */
	HAL_NMEA_F_QUALITY = 1u << 9, /* quality: GGA 0..8 */
	HAL_NMEA_F_MODE = 1u << 10,   /* gsa_mode: 1 none, 2 2D, 3 3D */
};

struct hal_nmea_sentence {
	enum hal_nmea_type type;
	char talker[3];  /* "GP", "GN", ... NUL-terminated */
	uint32_t set;    /* enum hal_nmea_field bits; unset doubles are NaN */
	int32_t tod_ms;  /* UTC time of day, ms */
	int32_t days;    /* UTC date as days since 1970-01-01 */
	char status;     /* 'A' valid, 'V' void */
	int quality;     /* GGA fix quality, 0 = no fix */
	int gsa_mode;    /* GSA 1/2/3 */
	int sats;        /* GGA satellites used */
	double lat, lon; /* degrees, south and west negative */
	double alt;      /* metres MSL */
	double speed;    /* m/s over ground */
	double track;    /* degrees true */
	double hdop;
};

/* Parse one sentence: s[0] is '$' (or '!'), len excludes any CR/LF.
 * Returns HAL_NMEA_OK (out filled) or another result (out->type and
 * out->talker may be filled, the rest is unspecified).  Never reads past
 * s + len. */
enum hal_nmea_result hal_nmea_parse(const char *s, size_t len, struct hal_nmea_sentence *out);

#define HAL_NMEA_MAX_LEN 255 /* longer lines count as truncated */

typedef void (*hal_nmea_sentence_fn)(void *user, const struct hal_nmea_sentence *s);

/* Splits a byte stream into sentences.  Bytes outside a sentence (comments,
 * blank lines, binary frames) are skipped and counted; a sentence cut short by
 * a non-printable byte, a new '$' or '!', an overlong line or the end of input
 * counts as HAL_NMEA_TRUNCATED (when it got as far as "$TTsss,"; shorter
 * starts are usually a 0x24 byte inside a binary frame and count as skipped
 * bytes).  Sentences without a checksum are counted and skipped too.  Partial sentences carry
 * across feed() calls. */
struct hal_nmea_reader {
	uint64_t count[HAL_NMEA_RESULT_COUNT]; /* by enum hal_nmea_result */
	uint64_t bytes_skipped;                /* bytes outside any sentence */
	uint64_t line;                         /* 1-based line of the current byte */
	size_t len;                            /* bytes in buf; 0 = outside a sentence */
	char buf[HAL_NMEA_MAX_LEN + 1];
};

void hal_nmea_reader_init(struct hal_nmea_reader *r);
/* Feed bytes; fn (may be NULL) is called for each HAL_NMEA_OK sentence. */
void hal_nmea_reader_feed(struct hal_nmea_reader *r, const char *data, size_t len,
			  hal_nmea_sentence_fn fn, void *user);
/* End of input: a pending partial sentence counts as truncated. */
void hal_nmea_reader_finish(struct hal_nmea_reader *r);

/* Combines the sentences of one epoch (same UTC time of day) into one fix.
 * Sentences without a time (GSA, VTG) belong to the current epoch.  The date
 * comes from RMC and carries over to later epochs (with midnight rollover).
 * Position: RMC, else GGA, else GLL; the epoch has no position when any of
 * them says void (RMC/GLL 'V', GGA quality 0) or none has a position.
 * Speed and track: RMC, else VTG.  Altitude, sats: GGA; hdop: GGA, else GSA.
 * mode: GSA's when it says 2D/3D, else 3D with a GGA altitude, else 2D. */
struct hal_nmea_epoch {
	int active;          /* sentences pending */
	int32_t tod_ms;      /* -1 while the pending epoch has no time yet */
	int32_t days;        /* last known date, -1 before the first RMC */
	int32_t last_tod_ms; /* time of day of the last emitted epoch, for rollover */
	struct hal_nmea_sentence rmc, gga, gsa, vtg, gll;
	uint32_t have; /* 1 << enum hal_nmea_type of sentences pending */
};

void hal_nmea_epoch_init(struct hal_nmea_epoch *e);
/* Add a sentence.  When it starts a new epoch, the finished one is written to
 * *out and 1 is returned; otherwise 0.  *out: time set when both a date and a
 * time of day are known; tod_out (may be NULL) gets the time of day or -1. */
int hal_nmea_epoch_add(struct hal_nmea_epoch *e, const struct hal_nmea_sentence *s,
		       struct hal_fix *out, int32_t *tod_out);
/* End of input: writes the pending epoch, returns 1, or 0 when none. */
int hal_nmea_epoch_flush(struct hal_nmea_epoch *e, struct hal_fix *out, int32_t *tod_out);

/* Days since 1970-01-01 of a proleptic Gregorian date. */
int32_t hal_nmea_days_from_civil(int y, int m, int d);
