/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const names[] = { "debug", "info", "warning", "error", "fatal" };
static enum log_level threshold = LOG_INFO;

int log_set_level(const char *name)
{
	static const char *const accepted[] = { "debug", "info", "warn", "error", "fatal" };

	for (int i = 0; i < 5; i++)
		if (strcmp(name, accepted[i]) == 0)
			return threshold = (enum log_level)i, 0;
	return -1;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char when[40], msg[2048], line[2 * sizeof(msg) + 128];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	size_t n;
	int k;

	if (level < threshold)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	k = snprintf(line, sizeof(line), "time=\"%s.%09ldZ\" level=%s msg=\"", when, ts.tv_nsec, names[level]);
	n = k > 0 ? (size_t)k : 0;
	/* Quotes inside the message are escaped so each line stays one parseable logfmt record.
	 * The line is built whole and written with one call: stderr is unbuffered, and a write
	 * per character cost a container start tens of system calls (and could interleave). */
	for (const char *p = msg; *p && n + 4 < sizeof(line); p++) {
		if (*p == '"' || *p == '\\')
			line[n++] = '\\';
		line[n++] = *p == '\n' ? ' ' : *p;
	}
	line[n++] = '"';
	line[n++] = '\n';
	fwrite(line, 1, n, stderr);
}
