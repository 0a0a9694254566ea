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
 * Supported: RMC, GGA, GSA, VTG, GLL, ZDA from any talker (GP, GN, GL, GA,
 * BD, GB, QZ, ...).  Other sentences with a good checksum are counted as
 * ignored.
 *
 * Checked against gpsd: tests/gps/test-nmea-gpsd.py replays the 88 real
 * receiver logs of tests/data/gpsd-nmea/ and compares every epoch with
 * gpsd's own output for the same log (tests/gps/data/gpsd-chk/).  Where we
 * differ from gpsd on purpose, the rule is written at the epoch combiner
 * below and the test names the case.
 */
#pragma once

#include <stdbool.h>
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
	HAL_NMEA_ZDA,
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
	/* not a value: RMC, GGA, GLL (NMEA 2+) whose time field is there but
	 * empty, a receiver that has no time yet */
	HAL_NMEA_F_TIME_EMPTY = 1u << 11,
};

struct hal_nmea_sentence {
	enum hal_nmea_type type;
	char talker[3];  /* "GP", "GN", ... NUL-terminated */
	uint32_t set;    /* enum hal_nmea_field bits; unset doubles are NaN */
	int32_t tod_ms;  /* UTC time of day, ms */
	int tod_res_ms;  /* resolution of tod_ms as written: 1000, 100, 10 or 1 */
	int32_t days;    /* UTC date as days since 1970-01-01 (RMC, ZDA) */
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
 *
 * Which sentences make one epoch:
 *  - Sentences without a time field (GSA, VTG, NMEA 1.5 GLL) belong to the
 *    current epoch.
 *  - A timed sentence whose time differs from the epoch's starts a new one.
 *    Times written at different resolutions are the same instant when they
 *    agree within half the coarser one, if that is at most 10 ms (Magellan:
 *    GLL "200619.295" and RMC/GGA "200619.30" of one fix); the epoch takes
 *    the coarser time.
 *  - An RMC, GGA or GLL whose time field is empty (no time yet: void
 *    sentences while the receiver acquires) never shares an epoch with a
 *    timed one: the first fix after acquisition (bt451.log's GLL at
 *    15:25:04.50) is not lost among the void sentences before it.
 *  - A second RMC or GGA in one epoch starts a new one, unless both carry
 *    the same time: then it is another talker's report of the same fix
 *    (sirfstarv-nmea.log: $GPGGA then $GLGGA of each second); the first is
 *    kept, or the second when only it has a valid position.
 *
 * What the fix holds:
 *  - Date: RMC's, else ZDA's, carried over to later epochs (with a midnight
 *    rollover when only the time moves on).  An RMC whose date field is
 *    broken (the week-rollover bug's "2208-1" in april6_2019.log) keeps its
 *    time and position; only the date is unknown.
 *  - Void: the epoch has no position when any sentence says so: RMC or GLL
 *    status 'V' (or mode indicator 'N'), GGA quality 0.
 *  - A GGA with a quality but fewer than 3 satellites used gives no
 *    position (hemi.log from 19:40:50: quality 1 and 0 satellites, and no
 *    other position sentence: no fix, as gpsd says), but does not void the
 *    epoch either: foretrex-201.log sends such GGAs (DGPS, 0 satellites)
 *    with a valid GLL of the same second, and that is a fix (gpsd's too).
 *  - Position: RMC, else GGA, else GLL.  Where RMC and GGA of one epoch
 *    disagree, RMC wins: its time, position, speed and track are one
 *    report (the fix and its velocity stay together), and it is the
 *    position gpsd reports for that time in all but two epochs of the 88
 *    logs.  The price: where a relay re-stamps a stale RMC, our fix is a
 *    second old.  Seen twice: bundg_zeus_9.log (a chartplotter relaying
 *    its GPS): every RMC(T) holds the position of GGA(T-1), for the whole
 *    log (75 of 145 epochs differ by more than 1 m, about 3 m at the
 *    boat's 3 m/s); RMC and ZDA carry the same T; GLL sides with GGA for
 *    the first 40 epochs and with RMC after.  The two series are each
 *    consistent; which label is true the log cannot tell, and gpsd, which
 *    reports the last sentence's position, sides with RMC except at
 *    09:48:34.  ch-4701.log at 12:34:59: a fifth satellite comes in and
 *    RMC still has the four-satellite position of a second before, 8 m
 *    from GGA's (gpsd ends on GGA's there).
 *  - Speed and track: RMC, else VTG.  Altitude, sats: GGA; hdop: GGA, else
 *    GSA.  mode: GSA's when it says 2D/3D, else 3D with a GGA altitude,
 *    else 2D. */
struct hal_nmea_epoch {
	int active;          /* sentences pending */
	int32_t tod_ms;      /* -1 while the pending epoch has no time yet */
	int tod_res_ms;      /* resolution of tod_ms as written */
	bool untimed_pos;    /* holds an RMC/GGA/GLL with an empty time field */
	int32_t days;        /* last known date, -1 before the first RMC or ZDA */
	int32_t last_tod_ms; /* time of day of the last emitted epoch, for rollover */
	struct hal_nmea_sentence rmc, gga, gsa, vtg, gll, zda;
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
/* Writing: RMC then GGA for a fix, each with its checksum and CRLF (status
 * V / quality 0 without a position); what hal_nmea_epoch reads back as the
 * same fix (time, position, speed, course, satellites, hdop, altitude).
 * Returns the length written (truncated to size). */
size_t hal_nmea_format_fix(const struct hal_fix *fix, char *buf, size_t size);

int32_t hal_nmea_days_from_civil(int y, int m, int d);
