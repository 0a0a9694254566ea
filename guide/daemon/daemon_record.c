/* --record FILE.nmea: the drive as NMEA, for `guide-route path` and for
 * replaying it (nmea:FILE).  Every fix the GPS source delivers, whatever the
 * source, is written as RMC then GGA (hal_nmea_format_fix), rejected ones
 * too: the curator sees the drive as the receiver told it.  Appended, a line
 * at a time, and fdatasync'd every DAEMON_RECORD_SYNC_MS: a power cut loses
 * at most those seconds (and may cut the last line short, which a reader
 * skips as malformed), never an earlier part. */
#define _GNU_SOURCE
#include "guide/daemon/daemon_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "guide/log.h"
#include "hal/nmea.h"

int
daemon_record_open(struct daemon *d)
{
	d->record_fd = -1;
	if (!d->o->record)
		return 0;
	d->record_fd = open(d->o->record, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (d->record_fd < 0) {
		int r = -errno;
		guide_log(HAL_LOG_ERR, "--record %s: %s", d->o->record, strerror(errno));
		return r;
	}
	/* a torn last line (a power cut) is ended, so the next sentence is whole */
	off_t end = lseek(d->record_fd, 0, SEEK_END);
	char last = '\n';
	if (end > 0 && pread(d->record_fd, &last, 1, end - 1) == 1 && last != '\n') {
		if (write(d->record_fd, "\r\n", 2) != 2)
			guide_log(HAL_LOG_WARNING, "--record %s: %s", d->o->record,
				  strerror(errno));
	}
	d->record_sync_ms = hal_clock_now_ms(&d->time.clock);
	return 0;
}

void
daemon_record_fix(struct daemon *d, const struct hal_fix *fix)
{
	if (d->record_fd < 0 || !(fix->set & HAL_FIX_TIME))
		return;
	char buf[512];
	size_t n = hal_nmea_format_fix(fix, buf, sizeof(buf));
	if (write(d->record_fd, buf, n) != (ssize_t)n && !d->record_failed) {
		guide_log(HAL_LOG_ERR, "--record %s: %s", d->o->record, strerror(errno));
		d->record_failed = true;
	}
	int64_t clk = hal_clock_now_ms(&d->time.clock);
	if (clk - d->record_sync_ms >= DAEMON_RECORD_SYNC_MS) {
		fdatasync(d->record_fd);
		d->record_sync_ms = clk;
	}
}

void
daemon_record_close(struct daemon *d)
{
	if (d->record_fd < 0)
		return;
	fdatasync(d->record_fd);
	close(d->record_fd);
	d->record_fd = -1;
}
