/* The agent: one loop that reads the event log into the spool, sends the
 * spool to the broker in order (QoS 1, a bounded window), publishes the
 * status and runs the depot's commands.  See guide/fleet/README.md for the
 * choices (thinning, the clock of expiry, what the status holds). */
#define _GNU_SOURCE
#include "guide/fleet/fleet.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <mosquitto.h>

#include "guide/control.h"
#include "guide/events.h"
#include "guide/log.h"
#include "routes/geo.h"

#define STATE_SAVE_MS 1000
#define LINES_PER_TICK 2000
#define TICK_MS 100

static volatile sig_atomic_t stop_signal;

static void
on_signal(int sig)
{
	stop_signal = sig;
}

struct agent {
	struct fleet_options *o;
	char topic_events[512], topic_state[512], topic_cmd[512], topic_reply[512];
	struct mosquitto *mosq;
	bool connected, socket_open, ever_connected;
	int64_t next_connect_ms, backoff_ms;

	struct fleet_tail *tail;
	struct fleet_spool *spool;
	char state_path[4096], state_tmp[4096];
	bool dirty;
	int64_t saved_ms;
	uint64_t saved_ino;

	/* thinning (persisted) */
	uint64_t skipped; /* lines of the current log not published since the last one */
	int64_t fix_ms;   /* the last published gps_fix's time, -1 none */
	double fix_lat, fix_lon;
	bool fix_next; /* publish the next gps_fix (first, or after gps_lost) */
	char cur_log[FLEET_ID_SIZE];

	/* the agent's own lines: a log of their own (persisted) */
	char agent_log[FLEET_ID_SIZE];
	uint64_t agent_seq;

	/* clocks */
	int64_t event_ms;      /* the last event line's time */
	int64_t event_mono_ms; /* when we read it */
	int64_t build_ms;
	bool said_clock;

	/* status */
	int64_t status_poll_ms, status_pub_ms;
	char *status_last; /* the last published state payload */
	bool status_force;

	/* commands: ids seen lately (a redelivered message runs once) */
	char seen[FLEET_SEEN_IDS][FLEET_ID_SIZE]; /* a ring; persisted */
	unsigned n_seen;

	/* dropped lines, for the fleet_spool_dropped line */
	uint64_t drop_from, drop_to;
	unsigned drop_n;
};

static int64_t
mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The build's date (__DATE__, "Dec  7 2026"): a system clock before it has
 * not been set since boot (no real-time clock on the board). */
static int64_t
build_time_ms(void)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	char mon[4] = "";
	int day = 1, year = 2026;
	sscanf(__DATE__, "%3s %d %d", mon, &day, &year);
	const char *m = strstr(months, mon);
	struct tm tm = {
		.tm_year = year - 1900, .tm_mon = m ? (int)(m - months) / 3 : 0, .tm_mday = day};
	return (int64_t)timegm(&tm) * 1000;
}

static bool
wall_clock_valid(struct agent *a)
{
	return wall_ms() >= a->build_ms;
}

/* The cart's time: the latest of the system clock (when it has been set)
 * and the event log's clock (GPS or virtual) run on by the monotonic clock
 * since its last line; -1 when neither is known.  A command expires by
 * whichever says later: it never fires late. */
static int64_t
cart_now(struct agent *a)
{
	int64_t t = -1;
	if (wall_clock_valid(a))
		t = wall_ms();
	if (a->event_ms >= 0) {
		int64_t e = a->event_ms + (mono_ms() - a->event_mono_ms);
		if (e > t)
			t = e;
	}
	return t;
}

/* ---- the persisted state ---- */

static void
state_load(struct agent *a, struct fleet_tail_pos *pos, unsigned *gen, uint64_t *size,
	   uint64_t *head)
{
	json_object *o = json_object_from_file(a->state_path), *v;
	*gen = 0;
	*size = *head = 0;
	if (!o) {
		if (access(a->state_path, F_OK) == 0)
			guide_log(HAL_LOG_WARNING, "%s unreadable: starting afresh", a->state_path);
		return;
	}
#define GET_U64(key, dst)                                                                          \
	if (json_object_object_get_ex(o, key, &v))                                                 \
		dst = (uint64_t)json_object_get_int64(v);
	GET_U64("dev", pos->dev);
	GET_U64("ino", pos->ino);
	GET_U64("offset", pos->offset);
	GET_U64("spool_size", *size);
	GET_U64("spool_head", *head);
	GET_U64("skipped", a->skipped);
	GET_U64("agent_seq", a->agent_seq);
	if (json_object_object_get_ex(o, "spool_gen", &v))
		*gen = (unsigned)json_object_get_int64(v);
	if (json_object_object_get_ex(o, "log", &v))
		snprintf(pos->log, sizeof(pos->log), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "cur_log", &v))
		snprintf(a->cur_log, sizeof(a->cur_log), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "agent_log", &v))
		snprintf(a->agent_log, sizeof(a->agent_log), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "fix_ms", &v))
		a->fix_ms = json_object_get_int64(v);
	if (json_object_object_get_ex(o, "fix_lat", &v))
		a->fix_lat = json_object_get_double(v);
	if (json_object_object_get_ex(o, "fix_lon", &v))
		a->fix_lon = json_object_get_double(v);
	if (json_object_object_get_ex(o, "fix_next", &v))
		a->fix_next = json_object_get_boolean(v);
	if (json_object_object_get_ex(o, "cmd_ids", &v) &&
	    json_object_is_type(v, json_type_array)) {
		/* newest first in the file, oldest first in the ring */
		size_t n = json_object_array_length(v);
		if (n > FLEET_SEEN_IDS)
			n = FLEET_SEEN_IDS;
		for (size_t i = 0; i < n; i++)
			snprintf(a->seen[n - 1 - i], FLEET_ID_SIZE, "%s",
				 json_object_get_string(json_object_array_get_idx(v, i)));
		a->n_seen = (unsigned)n;
	}
#undef GET_U64
	json_object_put(o);
}

/* Written whole to a temporary file, synced, renamed over the old one. */
static int
state_save(struct agent *a)
{
	struct fleet_tail_pos pos;
	unsigned gen;
	uint64_t size, head;
	fleet_tail_get_pos(a->tail, &pos);
	fleet_spool_get(a->spool, &gen, &size, &head);
	if (fleet_spool_sync(a->spool) < 0)
		guide_log(HAL_LOG_WARNING, "spool: sync: %s", strerror(errno));
	json_object *o = json_object_new_object();
	json_object_object_add(o, "dev", json_object_new_int64((int64_t)pos.dev));
	json_object_object_add(o, "ino", json_object_new_int64((int64_t)pos.ino));
	json_object_object_add(o, "offset", json_object_new_int64((int64_t)pos.offset));
	json_object_object_add(o, "log", json_object_new_string(pos.log));
	json_object_object_add(o, "cur_log", json_object_new_string(a->cur_log));
	json_object_object_add(o, "spool_gen", json_object_new_int64(gen));
	json_object_object_add(o, "spool_size", json_object_new_int64((int64_t)size));
	json_object_object_add(o, "spool_head", json_object_new_int64((int64_t)head));
	json_object_object_add(o, "skipped", json_object_new_int64((int64_t)a->skipped));
	json_object_object_add(o, "fix_ms", json_object_new_int64(a->fix_ms));
	json_object_object_add(o, "fix_lat", json_object_new_double(a->fix_lat));
	json_object_object_add(o, "fix_lon", json_object_new_double(a->fix_lon));
	json_object_object_add(o, "fix_next", json_object_new_boolean(a->fix_next));
	json_object_object_add(o, "agent_log", json_object_new_string(a->agent_log));
	json_object_object_add(o, "agent_seq", json_object_new_int64((int64_t)a->agent_seq));
	json_object *ids = json_object_new_array();
	for (unsigned i = 0; i < a->n_seen && i < FLEET_SEEN_IDS; i++)
		json_object_array_add(
			ids, json_object_new_string(a->seen[(a->n_seen - 1 - i) % FLEET_SEEN_IDS]));
	json_object_object_add(o, "cmd_ids", ids);
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	int r = 0;
	int fd = open(a->state_tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t len = strlen(text);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    fsync(fd) < 0)
		r = -errno ? -errno : -EIO;
	if (fd >= 0)
		close(fd);
	if (r == 0 && rename(a->state_tmp, a->state_path) < 0)
		r = -errno;
	json_object_put(o);
	if (r < 0) {
		guide_log(HAL_LOG_ERR, "%s: %s", a->state_path, strerror(-r));
		return r;
	}
	a->dirty = false;
	a->saved_ms = mono_ms();
	a->saved_ino = pos.ino;
	return 0;
}

/* ---- lines into the spool ---- */

static void
spool_put(struct agent *a, const char *line, size_t len)
{
	int r = fleet_spool_append(a->spool, line, len);
	if (r < 0)
		guide_log(HAL_LOG_ERR, "spool: %s (a line lost)", strerror(-r));
	a->dirty = true;
}

/* An event line of the agent's own (fleet_cmd, fleet_spool_dropped):
 * "log" is the agent's log id, "seq" its own count. */
static void
agent_line(struct agent *a, const char *event, json_object *fields)
{
	json_object *o = json_object_new_object();
	char t[32];
	int64_t now = cart_now(a);
	events_format_time(now >= 0 ? now : 0, t);
	json_object_object_add(o, "time", json_object_new_string(t));
	json_object_object_add(o, "event", json_object_new_string(event));
	json_object_object_add(o, "seq", json_object_new_int64((int64_t)++a->agent_seq));
	json_object_object_foreach(fields, key, val)
	{
		json_object_object_add(o, key, json_object_get(val));
	}
	json_object_object_add(o, "cart", json_object_new_string(a->o->cart));
	json_object_object_add(o, "log", json_object_new_string(a->agent_log));
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	spool_put(a, text, strlen(text));
	json_object_put(o);
	json_object_put(fields);
}

static bool
str_eq(json_object *o, const char *key, const char *want)
{
	json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) &&
	       strcmp(json_object_get_string(v), want) == 0;
}

/* Whether a line goes to the depot: every event but gps_fix (thinned) and
 * fix_rejected (the fix filter's diagnostics; counted in the status). */
static bool
keep_line(struct agent *a, json_object *o, int64_t t)
{
	json_object *v;
	if (!json_object_object_get_ex(o, "event", &v) || !json_object_is_type(v, json_type_string))
		return true;
	const char *ev = json_object_get_string(v);
	if (strcmp(ev, "gps_lost") == 0) {
		a->fix_next = true;
		return true;
	}
	if (strcmp(ev, "fix_rejected") == 0)
		return false;
	if (strcmp(ev, "gps_fix") != 0)
		return true;
	double lat = NAN, lon = NAN;
	if (json_object_object_get_ex(o, "lat", &v))
		lat = json_object_get_double(v);
	if (json_object_object_get_ex(o, "lon", &v))
		lon = json_object_get_double(v);
	double moved =
		isfinite(lat) && isfinite(lon) && isfinite(a->fix_lat) && isfinite(a->fix_lon)
			? geo_distance_m(a->fix_lat, a->fix_lon, lat, lon)
			: INFINITY;
	int64_t dt = t - a->fix_ms;
	bool keep = a->fix_next || a->fix_ms < 0 || t < 0 || dt < 0 || moved >= FLEET_FIX_MIN_M ||
		    (dt >= FLEET_FIX_MIN_MS && moved >= FLEET_FIX_PARKED_M) ||
		    dt >= FLEET_FIX_PARKED_MS;
	if (keep) {
		a->fix_next = false;
		a->fix_ms = t;
		a->fix_lat = lat;
		a->fix_lon = lon;
	}
	return keep;
}

static void
on_log_line(void *ctx, const char *line, size_t len, const char *log)
{
	struct agent *a = ctx;
	a->dirty = true;
	if (len == 0)
		return;
	/* a line we cannot send still took a seq: counted as left out */
	if (len > FLEET_MAX_LINE || line[0] != '{' || line[len - 1] != '}') {
		guide_log(HAL_LOG_WARNING, "event log: a line that is not an event skipped");
		a->skipped++;
		return;
	}
	json_object *o = json_tokener_parse(line), *v;
	if (!o || !json_object_is_type(o, json_type_object)) {
		guide_log(HAL_LOG_WARNING, "event log: a line that is not JSON skipped");
		json_object_put(o);
		a->skipped++;
		return;
	}
	if (strcmp(log, a->cur_log) != 0) { /* a new log: its counts start again */
		snprintf(a->cur_log, sizeof(a->cur_log), "%s", log);
		a->skipped = 0;
		a->fix_next = true;
	}
	int64_t t = -1;
	if (json_object_object_get_ex(o, "time", &v))
		t = events_parse_time(json_object_get_string(v));
	if (t >= 0) {
		a->event_ms = t;
		a->event_mono_ms = mono_ms();
	}
	bool keep = keep_line(a, o, t);
	bool has_log = json_object_object_get_ex(o, "log", NULL);
	bool has_cart = json_object_object_get_ex(o, "cart", NULL);
	json_object_put(o);
	if (!keep) {
		a->skipped++;
		return;
	}
	/* the line as guided wrote it, plus cart, log and the count of lines
	 * left out just before it */
	char extra[FLEET_ID_SIZE * 2 + 256];
	json_object *cart = json_object_new_string(a->o->cart);
	json_object *jl = json_object_new_string(log[0] ? log : "unknown");
	int n = 0;
	if (!has_cart)
		n += snprintf(extra + n, sizeof(extra) - (size_t)n, ",\"cart\":%s",
			      json_object_to_json_string(cart));
	if (!has_log) /* log_open has it */
		n += snprintf(extra + n, sizeof(extra) - (size_t)n, ",\"log\":%s",
			      json_object_to_json_string(jl));
	json_object_put(cart);
	json_object_put(jl);
	if (a->skipped)
		n += snprintf(extra + n, sizeof(extra) - (size_t)n, ",\"skipped_before\":%llu",
			      (unsigned long long)a->skipped);
	a->skipped = 0;
	char *out = malloc(len + (size_t)n + 2);
	if (!out)
		return;
	memcpy(out, line, len - 1);
	memcpy(out + len - 1, extra, (size_t)n);
	out[len - 1 + (size_t)n] = '}';
	spool_put(a, out, len + (size_t)n);
	free(out);
}

static void
on_dropped(void *ctx, const char *line, size_t len)
{
	struct agent *a = ctx;
	(void)len;
	json_object *o = json_tokener_parse(line), *v;
	if (o && json_object_object_get_ex(o, "seq", &v) && !str_eq(o, "log", a->agent_log)) {
		uint64_t seq = (uint64_t)json_object_get_int64(v);
		if (!a->drop_n || seq < a->drop_from)
			a->drop_from = seq;
		if (seq > a->drop_to)
			a->drop_to = seq;
	}
	a->drop_n++;
	json_object_put(o);
}

static void
trim_spool(struct agent *a)
{
	a->drop_n = 0;
	a->drop_from = a->drop_to = 0;
	unsigned n = fleet_spool_trim(a->spool, on_dropped, a);
	if (!n)
		return;
	guide_log(HAL_LOG_WARNING,
		  "spool over %llu bytes: %u oldest lines dropped (seq %llu to %llu)",
		  (unsigned long long)a->o->spool_max, n, (unsigned long long)a->drop_from,
		  (unsigned long long)a->drop_to);
	json_object *f = json_object_new_object();
	json_object_object_add(f, "dropped", json_object_new_int64(n));
	json_object_object_add(f, "from_seq", json_object_new_int64((int64_t)a->drop_from));
	json_object_object_add(f, "to_seq", json_object_new_int64((int64_t)a->drop_to));
	json_object_object_add(f, "of_log", json_object_new_string(a->cur_log));
	agent_line(a, "fleet_spool_dropped", f);
	a->dirty = true;
}

/* ---- MQTT ---- */

static void
send_spool(struct agent *a)
{
	char buf[FLEET_MAX_LINE + 512];
	while (a->connected && fleet_spool_inflight(a->spool) < FLEET_INFLIGHT) {
		uint64_t end;
		size_t n = fleet_spool_peek(a->spool, buf, sizeof(buf), &end);
		if (n == 0)
			return;
		int mid = 0;
		int r = mosquitto_publish(a->mosq, &mid, a->topic_events, (int)n, buf, 1, false);
		if (r != MOSQ_ERR_SUCCESS) {
			guide_log(HAL_LOG_WARNING, "publish: %s", mosquitto_strerror(r));
			return;
		}
		fleet_spool_sent(a->spool, mid, end);
	}
}

static void
on_publish(struct mosquitto *m, void *ctx, int mid)
{
	struct agent *a = ctx;
	(void)m;
	fleet_spool_acked(a->spool, mid);
	a->dirty = true;
}

static void handle_command(struct agent *a, const struct mosquitto_message *msg);

static void
on_message(struct mosquitto *m, void *ctx, const struct mosquitto_message *msg)
{
	(void)m;
	handle_command(ctx, msg);
}

static void
on_connect(struct mosquitto *m, void *ctx, int rc)
{
	struct agent *a = ctx;
	if (rc != 0) {
		guide_log(HAL_LOG_ERR, "broker refused the connection: %s",
			  mosquitto_connack_string(rc));
		return;
	}
	guide_log(HAL_LOG_INFO, "connected to %s:%d", a->o->host, a->o->port);
	a->connected = true;
	a->ever_connected = true;
	a->backoff_ms = 1000;
	a->status_force = true; /* replace the will the broker may hold */
	mosquitto_subscribe(m, NULL, a->topic_cmd, 1);
}

static void
on_disconnect(struct mosquitto *m, void *ctx, int rc)
{
	struct agent *a = ctx;
	(void)m;
	if (a->connected)
		guide_log(HAL_LOG_WARNING, "disconnected from the broker (%s)",
			  mosquitto_strerror(rc));
	a->connected = false;
}

static int
read_credentials(const char *path, char *user, size_t ulen, char *pass, size_t plen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		guide_log(HAL_LOG_ERR, "--credentials %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		guide_log(HAL_LOG_ERR,
			  "--credentials %s: readable by others (mode %03o): chmod 600 it", path,
			  (unsigned)(st.st_mode & 0777));
		close(fd);
		return -1;
	}
	char buf[1024];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0) {
		guide_log(HAL_LOG_ERR, "--credentials %s: empty", path);
		return -1;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	char *colon = strchr(buf, ':');
	if (!colon || colon == buf || strlen(buf) >= ulen || strlen(colon + 1) >= plen) {
		guide_log(HAL_LOG_ERR, "--credentials %s: want one line USER:PASSWORD", path);
		return -1;
	}
	*colon = '\0';
	snprintf(user, ulen, "%s", buf);
	snprintf(pass, plen, "%s", colon + 1);
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

static int
mqtt_setup(struct agent *a)
{
	char id[256];
	snprintf(id, sizeof(id), "%s/%s", a->o->fleet, a->o->cart);
	/* a persistent session: the depot's QoS 1 commands wait at the broker */
	a->mosq = mosquitto_new(id, false, a);
	if (!a->mosq) {
		guide_log(HAL_LOG_ERR, "mosquitto_new: %s", strerror(errno));
		return -1;
	}
	mosquitto_int_option(a->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
	mosquitto_max_inflight_messages_set(a->mosq, FLEET_INFLIGHT);
	mosquitto_connect_callback_set(a->mosq, on_connect);
	mosquitto_disconnect_callback_set(a->mosq, on_disconnect);
	mosquitto_publish_callback_set(a->mosq, on_publish);
	mosquitto_message_callback_set(a->mosq, on_message);
	static const char will[] = "{\"state\":\"offline\"}";
	int r = mosquitto_will_set(a->mosq, a->topic_state, (int)strlen(will), will, 1, true);
	if (r != MOSQ_ERR_SUCCESS) {
		guide_log(HAL_LOG_ERR, "will: %s", mosquitto_strerror(r));
		return -1;
	}
	if (a->o->credentials) {
		char user[256], pass[512];
		if (read_credentials(a->o->credentials, user, sizeof(user), pass, sizeof(pass)) < 0)
			return -1;
		r = mosquitto_username_pw_set(a->mosq, user, pass);
		explicit_bzero(pass, sizeof(pass));
		if (r != MOSQ_ERR_SUCCESS)
			return -1;
	}
	if (a->o->tls) {
		r = mosquitto_tls_set(a->mosq, a->o->ca, NULL, NULL, NULL, NULL);
		if (r != MOSQ_ERR_SUCCESS) {
			guide_log(HAL_LOG_ERR, "TLS (--ca %s): %s", a->o->ca ? a->o->ca : "-",
				  mosquitto_strerror(r));
			return -1;
		}
	}
	return 0;
}

/* Connects when it is time to (backoff 1 s doubling to 60 s, with jitter so
 * that a depot's carts do not all come back at once). */
static void
mqtt_connect(struct agent *a)
{
	int64_t now = mono_ms();
	if (now < a->next_connect_ms)
		return;
	if (a->o->tls && !wall_clock_valid(a)) {
		if (!a->said_clock)
			guide_log(HAL_LOG_WARNING,
				  "the system clock is before this build's date: waiting for it "
				  "to be set (GPS/NTP) before TLS; spooling meanwhile");
		a->said_clock = true;
		a->next_connect_ms = now + 1000;
		return;
	}
	/* (the TCP connect blocks; the spool is the event log's file meanwhile) */
	errno = 0;
	int r = mosquitto_connect(a->mosq, a->o->host, a->o->port, 60);
	if (r == MOSQ_ERR_SUCCESS) {
		a->socket_open = true;
		return;
	}
	guide_log(HAL_LOG_WARNING, "broker %s:%d: %s (again in %lld s)", a->o->host, a->o->port,
		  r == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(r),
		  (long long)(a->backoff_ms / 1000));
	a->next_connect_ms = now + a->backoff_ms + rand() % (a->backoff_ms / 4 + 1);
	a->backoff_ms = a->backoff_ms * 2 > 60000 ? 60000 : a->backoff_ms * 2;
}

/* ---- status ---- */

static void
copy_key(json_object *dst, json_object *src, const char *key, const char *as)
{
	json_object *v;
	if (json_object_object_get_ex(src, key, &v) && v)
		json_object_object_add(dst, as, json_object_get(v));
}

/* The depot's view of guided's status: what changes rarely (positions go
 * on the events topic). */
static char *
compact_status(const char *reply)
{
	json_object *s = reply ? json_tokener_parse(reply) : NULL, *v, *p;
	json_object *o = json_object_new_object();
	if (!s || !json_object_object_get_ex(s, "ok", &v) || !json_object_get_boolean(v)) {
		json_object_object_add(o, "state", json_object_new_string("no_guide"));
	} else {
		copy_key(o, s, "state", "state");
		copy_key(o, s, "route", "route");
		copy_key(o, s, "tour", "tour");
		copy_key(o, s, "langs", "langs");
		copy_key(o, s, "volume", "volume");
		if (json_object_object_get_ex(s, "position", &p))
			copy_key(o, p, "fix", "fix");
		if (json_object_object_get_ex(s, "current", &p))
			copy_key(o, p, "poi", "at");
		if (json_object_object_get_ex(s, "next", &p))
			copy_key(o, p, "poi", "next");
		if (json_object_object_get_ex(s, "playing", &p) && p)
			copy_key(o, p, "poi", "playing");
	}
	char *text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	json_object_put(s);
	return text;
}

static void
poll_status(struct agent *a)
{
	int64_t now = mono_ms();
	if (!a->status_force && now - a->status_poll_ms < FLEET_STATUS_POLL_MS)
		return;
	if (!a->connected)
		return;
	if (!a->status_force && now - a->status_pub_ms < FLEET_STATUS_MIN_MS)
		return;
	a->status_poll_ms = now;
	char *reply = NULL;
	control_request(a->o->control, "status", 1000, &reply);
	char *text = compact_status(reply);
	free(reply);
	if (!text)
		return;
	if (!a->status_force && a->status_last && strcmp(text, a->status_last) == 0) {
		free(text);
		return;
	}
	int r = mosquitto_publish(a->mosq, NULL, a->topic_state, (int)strlen(text), text, 1, true);
	if (r != MOSQ_ERR_SUCCESS) {
		free(text);
		return;
	}
	a->status_force = false;
	a->status_pub_ms = now;
	free(a->status_last);
	a->status_last = text;
}

/* ---- commands ---- */

static const char *const commands[] = {"start",  "stop", "pause", "resume",
				       "volume", "lang", "reload"};

/* An argument that cannot break the control protocol's line (no blank, no
 * newline, no quote): letters, digits and -_.,:=+ only. */
static bool
arg_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("-_.,:=+", *s)))
			return false;
	return true;
}

static void
reply(struct agent *a, const char *id, bool ok, const char *message)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "id", id ? json_object_new_string(id) : NULL);
	json_object_object_add(o, "ok", json_object_new_boolean(ok));
	json_object_object_add(o, "message", json_object_new_string(message));
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	if (a->connected)
		mosquitto_publish(a->mosq, NULL, a->topic_reply, (int)strlen(text), text, 1, false);
	json_object_put(o);
}

/* Logs the command (stderr/journal and a fleet_cmd event) and answers it. */
static void
settle(struct agent *a, const char *id, const char *cmd, json_object *args, bool ok,
       const char *message)
{
	guide_log(ok ? HAL_LOG_INFO : HAL_LOG_WARNING, "depot command %s %s: %s: %s",
		  id ? id : "(no id)", cmd ? cmd : "?", ok ? "done" : "refused", message);
	json_object *f = json_object_new_object();
	json_object_object_add(f, "id", id ? json_object_new_string(id) : NULL);
	json_object_object_add(f, "cmd", cmd ? json_object_new_string(cmd) : NULL);
	json_object_object_add(f, "args", args ? json_object_get(args) : NULL);
	json_object_object_add(f, "ok", json_object_new_boolean(ok));
	json_object_object_add(f, "message", json_object_new_string(message));
	json_object_object_add(f, "by", json_object_new_string("depot"));
	agent_line(a, "fleet_cmd", f);
	reply(a, id, ok, message);
	state_save(a); /* what ran is on record before anything else */
}

static void
handle_command(struct agent *a, const struct mosquitto_message *msg)
{
	if (msg->payloadlen > FLEET_MAX_CMD) {
		settle(a, NULL, NULL, NULL, false, "message too large (over 4096 bytes)");
		return;
	}
	char *text = strndup(msg->payload, (size_t)msg->payloadlen);
	json_object *o = text ? json_tokener_parse(text) : NULL, *v, *args = NULL;
	free(text);
	const char *id = NULL, *cmd = NULL;
	char line[CONTROL_MAX_LINE], why[256];
	if (!o || !json_object_is_type(o, json_type_object)) {
		settle(a, NULL, NULL, NULL, false, "not a JSON object");
		goto out;
	}
	if (json_object_object_get_ex(o, "id", &v) && json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) > 0 && json_object_get_string_len(v) < FLEET_ID_SIZE)
		id = json_object_get_string(v);
	if (json_object_object_get_ex(o, "cmd", &v) && json_object_is_type(v, json_type_string))
		cmd = json_object_get_string(v);
	if (json_object_object_get_ex(o, "args", &v) && v)
		args = v;
	if (!id) {
		settle(a, NULL, cmd, args, false, "no id (a string of 1-63 bytes)");
		goto out;
	}
	for (unsigned i = 0; i < a->n_seen && i < FLEET_SEEN_IDS; i++)
		if (strcmp(a->seen[i], id) == 0) {
			settle(a, id, cmd, args, false, "this id was run already");
			goto out;
		}
	snprintf(a->seen[a->n_seen++ % FLEET_SEEN_IDS], FLEET_ID_SIZE, "%s", id);
	bool known = false;
	for (unsigned i = 0; cmd && i < sizeof(commands) / sizeof(commands[0]); i++)
		known |= strcmp(cmd, commands[i]) == 0;
	if (!known) {
		settle(a, id, cmd, args, false,
		       "unknown command (start, stop, pause, resume, volume, lang, reload)");
		goto out;
	}
	int64_t expires = -1;
	if (json_object_object_get_ex(o, "expires", &v) && json_object_is_type(v, json_type_string))
		expires = events_parse_time(json_object_get_string(v));
	if (expires < 0) {
		settle(a, id, cmd, args, false, "no expires (YYYY-MM-DDTHH:MM:SSZ)");
		goto out;
	}
	int64_t now = cart_now(a);
	if (now < 0) {
		settle(a, id, cmd, args, false, "the cart's clock is not known yet");
		goto out;
	}
	if (now > expires) {
		char t[32];
		events_format_time(now, t);
		snprintf(why, sizeof(why), "expired (the cart's time is %s)", t);
		settle(a, id, cmd, args, false, why);
		goto out;
	}
	size_t n = (size_t)snprintf(line, sizeof(line), "%s", cmd);
	if (args && !json_object_is_type(args, json_type_array)) {
		settle(a, id, cmd, args, false, "args is a list of strings");
		goto out;
	}
	size_t na = args ? json_object_array_length(args) : 0;
	for (size_t i = 0; i < na; i++) {
		json_object *s = json_object_array_get_idx(args, i);
		if (i >= 8 || !json_object_is_type(s, json_type_string) ||
		    !arg_ok(json_object_get_string(s))) {
			settle(a, id, cmd, args, false,
			       "args: at most 8 strings of letters, digits and -_.,:=+");
			goto out;
		}
		n += (size_t)snprintf(line + n, sizeof(line) - n, " %s", json_object_get_string(s));
	}
	char *answer = NULL;
	int r = control_request(a->o->control, line, 5000, &answer);
	if (r < 0) {
		snprintf(why, sizeof(why), "guided does not answer: %s", strerror(-r));
		settle(a, id, cmd, args, false, why);
		goto out;
	}
	json_object *ans = json_tokener_parse(answer);
	free(answer);
	bool ok = ans && json_object_object_get_ex(ans, "ok", &v) && json_object_get_boolean(v);
	const char *m = "";
	if (ans && (json_object_object_get_ex(ans, "error", &v) ||
		    json_object_object_get_ex(ans, "message", &v)))
		m = json_object_get_string(v);
	snprintf(why, sizeof(why), "%s", *m ? m : ok ? "done" : "refused by guided");
	json_object_put(ans);
	settle(a, id, cmd, args, ok, why);
out:
	json_object_put(o);
}

/* ---- the loop ---- */

int
fleet_parse_broker(struct fleet_options *o)
{
	const char *rest;
	if (strncmp(o->broker, "mqtt://", 7) == 0) {
		rest = o->broker + 7;
		o->tls = false;
		o->port = 1883;
	} else if (strncmp(o->broker, "mqtts://", 8) == 0) {
		rest = o->broker + 8;
		o->tls = true;
		o->port = 8883;
	} else {
		return -1;
	}
	const char *colon = strrchr(rest, ':');
	size_t hl = colon ? (size_t)(colon - rest) : strlen(rest);
	if (hl == 0 || hl >= sizeof(o->host))
		return -1;
	memcpy(o->host, rest, hl);
	o->host[hl] = '\0';
	if (colon) {
		char *end;
		long p = strtol(colon + 1, &end, 10);
		if (*end || p < 1 || p > 65535)
			return -1;
		o->port = (int)p;
	}
	return 0;
}

int
fleet_run(struct fleet_options *o)
{
	struct agent a = {.o = o, .fix_ms = -1, .event_ms = -1, .backoff_ms = 1000};
	int status = 1;
	a.fix_next = true;
	a.build_ms = build_time_ms();
	/* the tests' way to be a board whose clock is not set yet */
	const char *nb = getenv("GUIDE_FLEET_NOT_BEFORE");
	if (nb && events_parse_time(nb) >= 0)
		a.build_ms = events_parse_time(nb);
	snprintf(a.topic_events, sizeof(a.topic_events), "guide/v1/%s/%s/events", o->fleet,
		 o->cart);
	snprintf(a.topic_state, sizeof(a.topic_state), "guide/v1/%s/%s/state", o->fleet, o->cart);
	snprintf(a.topic_cmd, sizeof(a.topic_cmd), "guide/v1/%s/%s/cmd", o->fleet, o->cart);
	snprintf(a.topic_reply, sizeof(a.topic_reply), "guide/v1/%s/%s/cmd/reply", o->fleet,
		 o->cart);
	snprintf(a.state_path, sizeof(a.state_path), "%s/state.json", o->spool);
	snprintf(a.state_tmp, sizeof(a.state_tmp), "%s/state.json.tmp", o->spool);

	struct fleet_tail_pos pos = {0};
	unsigned gen;
	uint64_t size, head;
	state_load(&a, &pos, &gen, &size, &head);
	if (!a.agent_log[0]) {
		char id[EVENTS_LOG_ID_SIZE];
		if (events_new_log_id(id) < 0) {
			guide_log(HAL_LOG_ERR, "no random id: %s", strerror(errno));
			return 1;
		}
		snprintf(a.agent_log, sizeof(a.agent_log), "fleet-%.32s", id);
	}
	int r = fleet_spool_open(o->spool, gen, o->spool_max, size, head, &a.spool);
	if (r < 0) {
		guide_log(HAL_LOG_ERR, "spool %s: %s", o->spool, strerror(-r));
		return 1;
	}
	a.tail = fleet_tail_create(o->events, &pos);
	if (!a.tail)
		goto out;
	if (state_save(&a) < 0)
		goto out;
	mosquitto_lib_init();
	srand((unsigned)(getpid() ^ mono_ms()));
	if (mqtt_setup(&a) < 0)
		goto out_lib;

	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	while (!stop_signal) {
		fleet_tail_poll(a.tail, on_log_line, &a, LINES_PER_TICK);
		trim_spool(&a);
		if (!a.connected && !a.socket_open)
			mqtt_connect(&a);
		send_spool(&a);
		if (a.socket_open) {
			r = mosquitto_loop(a.mosq, TICK_MS, 1);
			if (r != MOSQ_ERR_SUCCESS) {
				if (a.connected)
					guide_log(HAL_LOG_WARNING, "broker connection: %s",
						  r == MOSQ_ERR_ERRNO ? strerror(errno)
								      : mosquitto_strerror(r));
				a.connected = false;
				if (mono_ms() >= a.next_connect_ms) {
					a.next_connect_ms = mono_ms() + a.backoff_ms;
					a.backoff_ms =
						a.backoff_ms * 2 > 60000 ? 60000 : a.backoff_ms * 2;
				}
				/* mosquitto_reconnect() when the backoff says so */
				a.socket_open = false;
			}
		} else {
			poll(NULL, 0, TICK_MS);
		}
		send_spool(&a);
		poll_status(&a);
		if (fleet_spool_compact(a.spool) > 0) {
			if (state_save(&a) == 0)
				fleet_spool_forget_old(a.spool);
		}
		/* a new file is noted at once: a rotation while we are down
		 * must find it by its inode */
		struct fleet_tail_pos now_pos;
		fleet_tail_get_pos(a.tail, &now_pos);
		if (a.dirty &&
		    (mono_ms() - a.saved_ms >= STATE_SAVE_MS || now_pos.ino != a.saved_ino))
			state_save(&a);
	}
	guide_log(HAL_LOG_INFO, "stopping (signal %d)", (int)stop_signal);
	status = 0;
	if (a.connected) {
		/* a clean stop says so itself (the will is for a death) */
		static const char off[] = "{\"state\":\"offline\"}";
		mosquitto_publish(a.mosq, NULL, a.topic_state, (int)strlen(off), off, 1, true);
		int64_t until = mono_ms() + 2000;
		while (mono_ms() < until && mosquitto_want_write(a.mosq))
			mosquitto_loop(a.mosq, 100, 1);
		a.connected = false; /* (on_disconnect: no warning for our own) */
		mosquitto_disconnect(a.mosq);
	}
out_lib:
	state_save(&a);
	mosquitto_destroy(a.mosq);
	mosquitto_lib_cleanup();
out:
	fleet_tail_destroy(a.tail);
	fleet_spool_destroy(a.spool);
	free(a.status_last);
	return status;
}
