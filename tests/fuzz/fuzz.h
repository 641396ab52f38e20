/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Shared by the libFuzzer targets (tests/fuzz/fuzz_*.c, see tests/fuzz/README.md).
 *
 * Every parser under test takes a C string, while libFuzzer hands over bytes that are neither
 * NUL-terminated nor free of NULs: fuzz_strdup() makes the terminated copy (an embedded NUL
 * simply ends the string early, as it would for a real caller). The copy is heap-allocated at
 * exactly size + 1 bytes so that ASan catches a parser reading past the terminator.
 *
 * FUZZ_ASSERT() is for properties the code promises (a round trip gives the same value, a
 * result lies inside its input range): a violation is a bug as real as a buffer overflow, so
 * it aborts with __builtin_trap(), which libFuzzer reports as a crash with a stack and saves
 * the input. The condition text is printed first so that the report says which property broke.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ASSERT(cond)                                                                      \
	do {                                                                                   \
		if (!(cond)) {                                                                 \
			fprintf(stderr, "%s:%d: FUZZ_ASSERT(%s) failed\n", __FILE__, __LINE__, #cond); \
			__builtin_trap();                                                      \
		}                                                                              \
	} while (0)

/* A NUL-terminated heap copy of the input; aborts on allocation failure (libFuzzer's
 * -rss_limit_mb/-malloc_limit_mb report that case themselves, before malloc returns NULL). */
static inline char *fuzz_strdup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* The next '\n'-separated line of *cursor (in place: the '\n' becomes a NUL), or NULL at the
 * end. Targets that take several values read one per line, so that one input can exercise
 * interactions between values (appending to the same array, two CIDRs that overlap, ...). */
static inline char *fuzz_next_line(char **cursor)
{
	char *line = *cursor, *nl;

	if (!line)
		return NULL;
	nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		*cursor = nl + 1;
	} else {
		*cursor = NULL;
	}
	return line;
}
