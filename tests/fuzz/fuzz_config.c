/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: berthd's configuration (lib/model/config.h).
 *
 * Input: the raw bytes of a daemon.json. Each execution
 *   1. writes them to a temporary file and runs what berthd does at start-up:
 *      config_defaults(), config_load_file(), config_finish();
 *   2. runs the same load once more with one option marked as given on the command line
 *      (set_by_flag), so the "given both as a flag and in the file" refusal is reached too;
 *   3. gives the input, as text, to config_set() for every option of config_options[] (a flag
 *      value), then config_finish().
 * Checked, besides memory safety and leaks: every failure comes with a message, the strings of
 * the config stay NUL-terminated inside their fields, the pool count stays within
 * CONFIG_MAX_POOLS, and a successful config_finish() leaves a socket path inside `host` and
 * prefixes of at most 32.
 *
 * The file: created once per process with mkstemp() in /tmp and unlinked at once, then
 * rewritten (ftruncate + pwrite) for every input and read through /proc/self/fd/N. Creating a
 * file per execution would cost a path lookup and an inode each time, and a file left behind
 * by a crash (libFuzzer exits with _Exit, no atexit handler runs) would litter /tmp; an
 * unlinked file disappears with the process however it ends.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "model/config.h"

static char path[64];

static void open_file(void)
{
	char tmpl[] = "/tmp/berth-fuzz-config-XXXXXX";
	int fd;

	if (path[0])
		return;
	fd = mkstemp(tmpl);
	if (fd < 0 || unlink(tmpl) < 0) {
		perror("fuzz_config: mkstemp/unlink in /tmp");
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
}

static void write_file(const uint8_t *data, size_t size)
{
	int fd = atoi(path + strlen("/proc/self/fd/"));
	size_t off = 0;

	if (ftruncate(fd, 0) < 0)
		abort();
	while (off < size) {
		ssize_t w = pwrite(fd, data + off, size - off, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			abort();
		off += (size_t)w;
	}
}

/* Every string field must still be terminated inside its array. */
static void check_strings(const struct berth_config *c)
{
	for (size_t i = 0; i < config_n_options; i++) {
		const struct config_option *o = &config_options[i];

		if (o->type == CONFIG_STRING)
			FUZZ_ASSERT(memchr((const char *)c + o->offset, '\0', o->size) != NULL);
	}
	FUZZ_ASSERT(c->n_pools <= CONFIG_MAX_POOLS);
}

static void check_finished(struct berth_config *c)
{
	struct berr err;
	int r;

	berr_clear(&err);
	r = config_finish(c, &err);
	FUZZ_ASSERT(r == 0 || (r < 0 && err.msg[0] != '\0'));
	check_strings(c);
	if (r < 0)
		return;
	FUZZ_ASSERT(c->socket_path >= c->host && c->socket_path < c->host + sizeof(c->host));
	FUZZ_ASSERT(c->socket_path[0] == '/' && strlen(c->socket_path) < 108);
	FUZZ_ASSERT(c->bridge_cidr.prefix <= 30 && c->fixed.prefix <= 32);
	FUZZ_ASSERT(c->iptables || !c->ip_masq);
	for (size_t i = 0; i < c->n_pools; i++)
		FUZZ_ASSERT(c->pools[i].base.prefix <= c->pools[i].size && c->pools[i].size <= 32);
}

static void load(const struct berth_config *start)
{
	struct berth_config c = *start;
	struct berr err;
	int r;

	berr_clear(&err);
	r = config_load_file(&c, path, &err);
	FUZZ_ASSERT(r == 0 || (r < 0 && err.msg[0] != '\0'));
	check_strings(&c);
	if (r == 0)
		check_finished(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_config c;
	char *value;

	open_file();
	write_file(data, size);

	config_defaults(&c);
	load(&c);
	/* The option marked as a flag depends on the input's size: deterministic for a given input
	 * (a crash reproduces), and mutations of the length move it across all options. */
	config_defaults(&c);
	c.set_by_flag = 1ull << (size % config_n_options);
	load(&c);

	value = fuzz_strdup(data, size);
	config_defaults(&c);
	for (size_t i = 0; i < config_n_options; i++) {
		struct berr err;
		int r;

		berr_clear(&err);
		r = config_set(&c, i, value, &err);
		FUZZ_ASSERT(r == 0 || (r < 0 && err.msg[0] != '\0'));
	}
	check_strings(&c);
	check_finished(&c);
	free(value);
	return 0;
}
