/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * One error contract for the whole library: a function returns 0 or a negative errno, and
 * fills a caller-owned struct berr with a message. Callers add context with berr_wrap(), so a
 * message reads from the outside in: "start: bridge docker0: add address: File exists".
 * A NULL struct berr is accepted everywhere (the caller only wants the code).
 */
#include <stddef.h>

#define BERR_MSG_MAX 1024

struct berr {
	int code;                 /* negative errno, 0 when unset */
	char msg[BERR_MSG_MAX];
};

/* Sets the message and returns code (which must be negative). */
int berr_set(struct berr *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Like berr_set() and appends ": strerror(-code)". */
int berr_errno(struct berr *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prefixes the existing message with "context: " and returns code (the error being wrapped, so
 * "return berr_wrap(err, r, ...)" is right whether or not the caller passed an err). */
int berr_wrap(struct berr *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void berr_clear(struct berr *e);
