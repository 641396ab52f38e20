/* SPDX-License-Identifier: MIT */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int berr_vset(struct berr *e, int code, const char *fmt, va_list ap)
{
	if (e) {
		e->code = code;
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	}
	return code;
}

int berr_set(struct berr *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	berr_vset(e, code, fmt, ap);
	va_end(ap);
	return code;
}

int berr_errno(struct berr *e, int code, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	berr_vset(e, code, fmt, ap);
	va_end(ap);
	if (e) {
		len = strlen(e->msg);
		snprintf(e->msg + len, sizeof(e->msg) - len, ": %s", strerror(-code));
	}
	return code;
}

int berr_wrap(struct berr *e, int code, const char *fmt, ...)
{
	char prefix[BERR_MSG_MAX];
	size_t plen, mlen;
	va_list ap;

	if (!e)
		return code;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix) - 2, fmt, ap);
	va_end(ap);
	/* "prefix: message", truncated at the end if it does not fit. */
	plen = strlen(prefix);
	memcpy(prefix + plen, ": ", 3);
	plen += 2;
	mlen = strnlen(e->msg, sizeof(e->msg) - 1);
	if (plen + mlen >= sizeof(e->msg))
		mlen = sizeof(e->msg) - 1 - plen;
	memmove(e->msg + plen, e->msg, mlen);
	memcpy(e->msg, prefix, plen);
	e->msg[plen + mlen] = '\0';
	e->code = code;
	return code;
}

void berr_clear(struct berr *e)
{
	if (e) {
		e->code = 0;
		e->msg[0] = '\0';
	}
}
