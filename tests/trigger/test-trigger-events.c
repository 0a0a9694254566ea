/* The event log writer: timestamps (never decreasing), keys, JSON escaping. */
#include "guide/events.h"
#include "tests/test.h"

int
main(void)
{
	struct events *ev = events_create_memory();
	const char *langs[] = {"zh", "en"};
	events_tour_start(ev, 1714528800123LL, "798 \"loop\"", langs, 2);
	events_clip_start(ev, 1714528801000LL, "kiln\n", "a\\b.opus", "zh", 39.9839, 116.4883);
	events_clip_end(ev, 1714528802000LL, "kiln", "a.opus", "en", false);
	events_clip_skip(ev, 1714528803000LL, "x", "left_zone");
	events_gps_fix(ev, 0, NAN, 1);
	events_error(ev, 0, "bad\x01");
	CHECK_STR(
		events_buffer(ev),
		"{\"time\":\"2024-05-01T02:00:00.123Z\",\"event\":\"tour_start\",\"tour\":\"798 "
		"\\\"loop\\\"\",\"lang\":[\"zh\",\"en\"]}\n"
		"{\"time\":\"2024-05-01T02:00:01.000Z\",\"event\":\"clip_start\",\"poi\":\"kiln\\n\","
		"\"clip\":\"a\\\\b.opus\",\"lang\":\"zh\",\"lat\":39.9839000,\"lon\":116.4883000}\n"
		"{\"time\":\"2024-05-01T02:00:02.000Z\",\"event\":\"clip_end\",\"poi\":\"kiln\","
		"\"clip\":\"a.opus\",\"lang\":\"en\",\"completed\":false}\n"
		"{\"time\":\"2024-05-01T02:00:03.000Z\",\"event\":\"clip_skip\",\"poi\":\"x\","
		"\"reason\":\"left_zone\"}\n"
		/* a clock that steps back is held at the last time written */
		"{\"time\":\"2024-05-01T02:00:03.000Z\",\"event\":\"gps_fix\",\"lat\":null,"
		"\"lon\":1.0000000}\n"
		"{\"time\":\"2024-05-01T02:00:03.000Z\",\"event\":\"error\",\"message\":\"bad\\u0001\"}\n");
	CHECK_INT(events_count(ev), 6);
	char ts[32];
	events_format_time(-1, ts);
	CHECK_STR(ts, "1969-12-31T23:59:59.999Z");
	events_destroy(ev);
	events_destroy(NULL);
	TEST_EXIT();
}
