/* Integration: a real gpsd, started through gpsfake on a port of its own,
 * feeds the libgps source; gpsd is killed mid-stream (LOST), a new gpsfake
 * comes up on the same port and the source reconnects (FIX again).
 * Skips (exit 77) only when gpsfake or gpsd is not installed. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hal/clock.h"
#include "hal/gps.h"
#include "tests/test.h"

#define EPOCHS 900
#define LAT0 39.98
#define LON0 116.49
#define KN (1852.0 / 3600.0)

static bool
in_path(const char *prog)
{
	const char *path = getenv("PATH");
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s:/usr/sbin:/sbin", path ? path : "/usr/bin:/bin");
	for (char *save = NULL, *dir = strtok_r(buf, ":", &save); dir;
	     dir = strtok_r(NULL, ":", &save)) {
		char p[4200];
		snprintf(p, sizeof(p), "%s/%s", dir, prog);
		if (access(p, X_OK) == 0)
			return true;
	}
	return false;
}

/* A 1 Hz drive due north with valid checksums, RMC + GGA per epoch. */
static void
write_log(const char *path)
{
	FILE *f = fopen(path, "w");
	for (int i = 0; i < EPOCHS; i++) {
		double lat = LAT0 + i * 1e-5;
		int latd = (int)lat;
		double latm = (lat - latd) * 60;
		char t[16], body[2][160];
		snprintf(t, sizeof(t), "%02d%02d%02d.00", 10 + i / 3600, (i / 60) % 60, i % 60);
		snprintf(body[0], sizeof(body[0]),
			 "GPRMC,%s,A,%02d%07.4f,N,11629.4000,E,2.16,0.0,010524,,,A", t, latd, latm);
		snprintf(body[1], sizeof(body[1]),
			 "GPGGA,%s,%02d%07.4f,N,11629.4000,E,1,08,0.9,40.0,M,-8.0,M,,", t, latd,
			 latm);
		for (int k = 0; k < 2; k++) {
			unsigned cs = 0;
			for (const char *p = body[k]; *p; p++)
				cs ^= (unsigned char)*p;
			fprintf(f, "$%s*%02X\r\n", body[k], cs);
		}
	}
	fclose(f);
}

/* A port nobody listens on now (never 2947): the kernel's choice of an
 * ephemeral one, so that parallel runs do not collide. */
static int
free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int port = 29470 + (int)(getpid() % 400);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static pid_t
start_gpsfake(const char *port, const char *log)
{
	pid_t pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		dup2(devnull, 1);
		if (!getenv("VERBOSE"))
			dup2(devnull, 2);
		/* timeout makes its own process group and takes gpsd down with gpsfake */
		/* -t: gpsd reads gpsfake over TCP, not a pty: as root gpsd drops
		 * to its own user and cannot open a root-owned mode-600 pty
		 * (a fresh Debian chroot's devpts) */
		execlp("timeout", "timeout", "-k", "5", "60", "gpsfake", "-t", "-q", "-1", "-c",
		       "0.02", "-P", port, log, (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void
stop_gpsfake(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}

struct counts {
	int fix, lost;
	struct hal_fix last;
};

static void
on_log(void *user, enum hal_log_level level, const char *msg)
{
	if (getenv("VERBOSE"))
		fprintf(stderr, "log %d: %s\n", (int)level, msg);
}

/* Run the source the way the daemon's loop does until `until` is satisfied or
 * timeout_ms passes on the real clock. */
static void
run(struct hal_gps *gps, struct hal_clock *clk, struct counts *c, int want_fix, int want_lost,
    int timeout_ms)
{
	int64_t end = hal_clock_now_ms(clk) + timeout_ms;
	while (hal_clock_now_ms(clk) < end && (c->fix < want_fix || c->lost < want_lost)) {
		int fd = hal_gps_get_fd(gps);
		int64_t wake = hal_gps_next_wakeup_ms(gps);
		int64_t deadline = wake >= 0 && wake < end ? wake : end;
		int timeout = hal_clock_poll_timeout(clk, deadline);
		if (timeout > 200)
			timeout = 200;
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		poll(&pfd, fd >= 0 ? 1 : 0, timeout);
		struct hal_fix f;
		int ev;
		while ((ev = hal_gps_read(gps, &f)) > HAL_GPS_NONE) {
			if (ev == HAL_GPS_FIX) {
				c->fix++;
				c->last = f;
				CHECK(hal_fix_has_position(&f));
				CHECK(f.lat >= LAT0 - 1e-9 && f.lat <= LAT0 + EPOCHS * 1e-5);
				CHECK_NEAR(f.lon, LON0, 1e-6); /* 11629.4000,E */
			} else if (ev == HAL_GPS_LOST) {
				c->lost++;
			}
			if (c->fix >= want_fix && c->lost >= want_lost)
				break;
		}
		CHECK(ev >= 0);
	}
}

int
main(void)
{
	if (!in_path("gpsfake") || !in_path("gpsd")) {
		fprintf(stderr, "gpsfake or gpsd not installed: skipped\n");
		return 77;
	}
	char port[16];
	snprintf(port, sizeof(port), "%d", free_port());
	char log[] = "/tmp/guide-gpsfake-XXXXXX";
	int lfd = mkstemp(log);
	CHECK(lfd >= 0);
	close(lfd);
	write_log(log);

	struct hal_clock clk;
	hal_clock_init_real(&clk);
	struct hal_gps_options opts = {
		.log = on_log, .clock = &clk, .reconnect_min_ms = 100, .reconnect_max_ms = 500};
	pid_t pid = start_gpsfake(port, log);
	char spec[64];
	snprintf(spec, sizeof(spec), "gpsd:localhost:%s", port);
	struct hal_gps *gps = NULL;
	CHECK_INT(hal_gps_create(spec, &opts, &gps), 0);
	if (!gps) {
		stop_gpsfake(pid);
		unlink(log);
		TEST_EXIT();
	}
	CHECK_STR(hal_gps_name(gps), "gpsd");
	CHECK_INT(hal_gps_peek_time_ms(gps), -1);

	/* 1: fixes arrive */
	struct counts c = {0};
	run(gps, &clk, &c, 5, 0, 20000);
	CHECK(c.fix >= 5);
	CHECK_INT(c.lost, 0);
	CHECK(c.last.set & HAL_FIX_TIME);
	CHECK(c.last.time_ms >= 1714557600000LL); /* 2024-05-01T10:00:00Z */
	CHECK_NEAR(c.last.speed, 2.16 * KN, 0.001);
	CHECK_INT(c.last.mode, HAL_FIX_MODE_3D);
	CHECK(hal_gps_get_fd(gps) >= 0);

	/* 2: gpsd goes away mid-stream -> LOST, no fd, a wakeup for the retry */
	stop_gpsfake(pid);
	run(gps, &clk, &c, 0, 1, 10000);
	CHECK_INT(c.lost, 1);
	CHECK_INT(hal_gps_get_fd(gps), -1);
	CHECK(hal_gps_next_wakeup_ms(gps) >= 0);
	/* retries while nobody listens do not fail or report anything */
	int fix_before = c.fix;
	run(gps, &clk, &c, fix_before + 1, 2, 1000);
	CHECK_INT(c.fix, fix_before);
	CHECK_INT(c.lost, 1);

	/* 3: a new gpsd on the same port: the source reconnects, FIX resumes */
	pid = start_gpsfake(port, log);
	run(gps, &clk, &c, fix_before + 3, 1, 20000);
	CHECK(c.fix >= fix_before + 3);
	CHECK(hal_gps_get_fd(gps) >= 0);
	struct hal_gps_stats st;
	hal_gps_get_stats(gps, &st);
	CHECK(st.connects >= 2);
	CHECK(st.disconnects >= 1);
	CHECK_INT(st.lost, 1);
	CHECK_INT(st.fixes, c.fix);
	fprintf(stderr, "fixes %d lost %d connects %llu disconnects %llu\n", c.fix, c.lost,
		(unsigned long long)st.connects, (unsigned long long)st.disconnects);

	stop_gpsfake(pid);
	hal_gps_destroy(gps);
	unlink(log);
	TEST_EXIT();
}
