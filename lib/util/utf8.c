/* SPDX-License-Identifier: MIT */
#include "util/utf8.h"

#include <stdlib.h>
#include <string.h>

/* The length of the valid sequence at s (at most len bytes), or 0 if s does not start one. */
static size_t sequence_len(const unsigned char *s, size_t len)
{
	unsigned char lo = 0x80, hi = 0xbf;   /* the allowed range of the second byte */
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;                     /* a continuation byte, an overlong lead (c0, c1) or f5-ff */
	if (len < n)
		return 0;
	/* Overlong forms, UTF-16 surrogates and code points above U+10FFFF show in the second byte. */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

bool utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		size_t n = sequence_len(p + i, len - i);

		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

char *utf8_repair(const char *s)
{
	static const char replacement[] = "\xef\xbf\xbd";   /* U+FFFD */
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), o = 0;
	char *out;

	/* Each invalid byte becomes three: the worst case is three times the input. */
	out = malloc(3 * len + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t n = sequence_len(p + i, len - i);

		if (n == 0) {
			memcpy(out + o, replacement, 3);
			o += 3;
			i++;
			continue;
		}
		memcpy(out + o, s + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	return out;
}
