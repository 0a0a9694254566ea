/* The event log writer: timestamps (never decreasing), keys, JSON escaping,
 * event numbering (seq, log_open) and continuing a log after a restart. */
#include "guide/events.h"
#include "tests/test.h"

#include <stdlib.h>
#include <unistd.h>

static void
test_lines(void)
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
		"{\"time\":\"2024-05-01T02:00:00.123Z\",\"event\":\"tour_start\",\"seq\":1,"
		"\"tour\":\"798 \\\"loop\\\"\",\"lang\":[\"zh\",\"en\"]}\n"
		"{\"time\":\"2024-05-01T02:00:01.000Z\",\"event\":\"clip_start\",\"seq\":2,"
		"\"poi\":\"kiln\\n\",\"clip\":\"a\\\\b.opus\",\"lang\":\"zh\",\"lat\":39.9839000,"
		"\"lon\":116.4883000}\n"
		"{\"time\":\"2024-05-01T02:00:02.000Z\",\"event\":\"clip_end\",\"seq\":3,"
		"\"poi\":\"kiln\",\"clip\":\"a.opus\",\"lang\":\"en\",\"completed\":false}\n"
		"{\"time\":\"2024-05-01T02:00:03.000Z\",\"event\":\"clip_skip\",\"seq\":4,"
		"\"poi\":\"x\",\"reason\":\"left_zone\"}\n"
		/* a clock that steps back is held at the last time written */
		"{\"time\":\"2024-05-01T02:00:03.000Z\",\"event\":\"gps_fix\",\"seq\":5,\"lat\":null,"
		"\"lon\":1.0000000}\n"
		"{\"time\":\"2024-05-01T02:00:03.000Z\",\"event\":\"error\",\"seq\":6,"
		"\"message\":\"bad\\u0001\"}\n");
	CHECK_INT(events_count(ev), 6);
	CHECK_INT(events_seq(ev), 6);
	char ts[32];
	events_format_time(-1, ts);
	CHECK_STR(ts, "1969-12-31T23:59:59.999Z");
	CHECK_INT(events_parse_time("2024-05-01T02:00:00.123Z"), 1714528800123LL);
	CHECK_INT(events_parse_time("2024-05-01T02:00:00Z"), 1714528800000LL);
	CHECK_INT(events_parse_time("2024-05-01T02:00:00.1Z"), 1714528800100LL);
	CHECK_INT(events_parse_time("2024-05-01 02:00:00"), -1);
	CHECK_INT(events_parse_time(NULL), -1);
	events_destroy(ev);
	events_destroy(NULL);
}

/* A log continued after a restart: seq on from the last one, time not
 * before the last line's even when the new clock starts earlier. */
static void
test_continue(void)
{
	struct events *ev = events_create_memory();
	char id[EVENTS_LOG_ID_SIZE], id2[EVENTS_LOG_ID_SIZE];
	CHECK_INT(events_new_log_id(id), 0);
	CHECK_INT(events_new_log_id(id2), 0);
	CHECK_INT(strlen(id), 32);
	CHECK_INT(strspn(id, "0123456789abcdef"), 32);
	CHECK(strcmp(id, id2) != 0);
	events_continue(ev, 41, 1714528803000LL);
	events_gps_lost(ev, 1000);
	CHECK_STR(events_buffer(ev),
		  "{\"time\":\"2024-05-01T02:00:03.000Z\",\"event\":\"gps_lost\",\"seq\":42}\n");
	events_destroy(ev);

	ev = events_create_memory();
	events_log_open(ev, 1714528800000LL, "abc");
	CHECK_STR(events_buffer(ev),
		  "{\"time\":\"2024-05-01T02:00:00.000Z\",\"event\":\"log_open\","
		  "\"seq\":1,\"log\":\"abc\"}\n");
	events_destroy(ev);
}

static int
file_with(const char *text)
{
	char path[] = "/tmp/test-events-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	unlink(path);
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Where a log file ended: its id, the last complete line's seq and time;
 * a torn last line (a power cut mid-write) and garbage are not events. */
static void
test_file_scan(void)
{
	struct events_file_end end;
	int fd = file_with("");
	CHECK(fd >= 0);
	CHECK_INT(events_file_scan(fd, &end), 0);
	CHECK(end.empty);
	CHECK_STR(end.log, "");
	CHECK_INT(end.last_seq, 0);
	CHECK_INT(end.last_ms, -1);
	close(fd);

	fd = file_with("{\"time\":\"2024-05-01T02:00:00.000Z\",\"event\":\"log_open\",\"seq\":1,"
		       "\"log\":\"0123abcd\"}\n"
		       "{\"time\":\"2024-05-01T02:00:05.000Z\",\"event\":\"gps_lost\",\"seq\":2}\n"
		       "not json\n"
		       "{\"time\":\"2024-05-01T02:00:0");
	CHECK_INT(events_file_scan(fd, &end), 0);
	CHECK(!end.empty);
	CHECK(end.torn);
	CHECK_STR(end.log, "0123abcd");
	CHECK_INT(end.last_seq, 2);
	CHECK_INT(end.last_ms, 1714528805000LL);
	close(fd);

	/* a log of an older guided: no log_open, no seq */
	fd = file_with("{\"time\":\"2024-05-01T02:00:05.000Z\",\"event\":\"gps_lost\"}\n");
	CHECK_INT(events_file_scan(fd, &end), 0);
	CHECK(!end.torn);
	CHECK_STR(end.log, "");
	CHECK_INT(end.last_seq, 0);
	CHECK_INT(end.last_ms, 1714528805000LL);
	close(fd);

	/* a long log: only its tail is read */
	char *big = malloc(200 * 1000 + 200);
	size_t n = 0;
	n += (size_t)sprintf(big + n, "{\"time\":\"2024-05-01T02:00:00.000Z\",\"event\":"
				      "\"log_open\",\"seq\":1,\"log\":\"x\"}\n");
	for (int i = 2; i <= 3000; i++)
		n += (size_t)sprintf(big + n,
				     "{\"time\":\"2024-05-01T03:00:00.000Z\",\"event\":\"e\","
				     "\"seq\":%d}\n",
				     i);
	fd = file_with(big);
	free(big);
	CHECK_INT(events_file_scan(fd, &end), 0);
	CHECK_STR(end.log, "x");
	CHECK_INT(end.last_seq, 3000);
	CHECK_INT(end.last_ms, 1714532400000LL);
	close(fd);
}

int
main(void)
{
	test_lines();
	test_continue();
	test_file_scan();
	TEST_EXIT();
}
