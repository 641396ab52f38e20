/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * A growable string for rendering rulesets and messages. Allocation failure is sticky: the
 * buffer remembers it and strbuf_steal() returns NULL, so renderers append freely and check once.
 */
#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

void strbuf_addf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_add(struct strbuf *b, const char *s);
/* Appends n bytes, NULs included (binary bodies). */
void strbuf_addn(struct strbuf *b, const void *data, size_t n);
/* Hands over the string (never NULL unless out of memory) and resets the buffer. */
char *strbuf_steal(struct strbuf *b);
void strbuf_release(struct strbuf *b);
