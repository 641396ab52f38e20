/* SPDX-License-Identifier: MIT */
/*
 * lib/model/config: defaults, config_set (flag text), config_finish (dockerd's cross-checks)
 * and config_load_file (daemon.json) against files in a scratch directory under /tmp.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "model/config.h"

static char tmp[] = "/tmp/berth-test-config-XXXXXX";
static char files[64][128];
static size_t n_files;

/* Index of the option with this long flag name; aborts the test on a typo. */
static size_t opt(const char *name)
{
	for (size_t i = 0; i < config_n_options; i++)
		if (strcmp(config_options[i].name, name) == 0)
			return i;
	printf("test bug: no option --%s\n", name);
	exit(2);
}

/* Index of the option with this daemon.json key (scanning config_options[] for json_key). */
static size_t opt_json(const char *key)
{
	for (size_t i = 0; i < config_n_options; i++)
		if (strcmp(config_options[i].json_key, key) == 0)
			return i;
	printf("test bug: no option with json key %s\n", key);
	exit(2);
}

/* Defaults plus one flag; returns config_set's result. */
static int set1(struct berth_config *c, const char *name, const char *value, struct berr *err)
{
	return config_set(c, opt(name), value, err);
}

static bool has(const struct berr *err, const char *word)
{
	return strstr(err->msg, word) != NULL;
}

static const char *fmt_cidr(struct cidr4 c)
{
	static char buf[CIDR4_STR_MAX];

	return cidr4_format(c, buf, sizeof(buf));
}

/* Writes text to a new file in the scratch directory and returns its path. */
static const char *write_file(const char *name, const char *text)
{
	char *path;
	FILE *f;

	if (n_files == sizeof(files) / sizeof(files[0])) {
		printf("test bug: too many temp files\n");
		exit(2);
	}
	path = files[n_files++];
	snprintf(path, sizeof(files[0]), "%s/%s", tmp, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) == EOF || fclose(f) != 0) {
		printf("test bug: cannot write %s\n", path);
		exit(2);
	}
	return path;
}

static void test_defaults(void)
{
	struct berth_config c;

	memset(&c, 0x5a, sizeof(c));
	config_defaults(&c);
	CHECK("defaults: iptables true", c.iptables == true);
	CHECK("defaults: ip-forward true", c.ip_forward == true);
	CHECK("defaults: ip-masq true", c.ip_masq == true);
	CHECK("defaults: icc true", c.icc == true);
	CHECK("defaults: userland-proxy true", c.userland_proxy == true);
	CHECK("defaults: allow-direct-routing false", c.allow_direct_routing == false);
	CHECK_STR("defaults: bridge", c.bridge, "docker0");
	CHECK_STR("defaults: data-root", c.data_root, "/var/lib/berth");
	CHECK_STR("defaults: exec-root", c.exec_root, "/run/berth");
	CHECK_STR("defaults: host", c.host, "unix:///run/berth.sock");
	CHECK_STR("defaults: pidfile", c.pidfile, "/run/berthd.pid");
	CHECK_STR("defaults: firewall-backend", c.firewall_backend, "iptables");
	CHECK_STR("defaults: log-level", c.log_level, "info");
	CHECK_STR("defaults: bip empty", c.bip, "");
	CHECK_STR("defaults: fixed-cidr empty", c.fixed_cidr, "");
	CHECK_STR("defaults: config-file empty", c.config_file, "");
	CHECK("defaults: no pools", c.n_pools == 0);
	CHECK("defaults: set_by_flag clear", c.set_by_flag == 0);
	CHECK("defaults: socket_path unset", c.socket_path == NULL);
}

static void test_option_table(void)
{
	bool names_unique = true, keys_unique = true, fields_ok = true;

	CHECK("options: set_by_flag has a bit for every option", config_n_options <= 64);
	for (size_t i = 0; i < config_n_options; i++) {
		const struct config_option *o = &config_options[i];

		fields_ok &= o->name && o->json_key && o->help && o->offset + o->size <= sizeof(struct berth_config);
		for (size_t j = i + 1; j < config_n_options; j++) {
			names_unique &= strcmp(o->name, config_options[j].name) != 0;
			keys_unique &= strcmp(o->json_key, config_options[j].json_key) != 0;
		}
	}
	CHECK("options: every entry has name, json key, help and an in-bounds field", fields_ok);
	CHECK("options: flag names unique", names_unique);
	CHECK("options: json keys unique", keys_unique);
	CHECK("options: --host is daemon.json \"hosts\"", opt_json("hosts") == opt("host"));
	CHECK("options: --default-address-pool is \"default-address-pools\"",
	      opt_json("default-address-pools") == opt("default-address-pool"));
}

static void test_set_bool(void)
{
	static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True" };
	static const char *const no[] = { "0", "f", "F", "false", "FALSE", "False" };
	static const char *const bad[] = { "yes", "no", "on", "off", "", "tRUE", "true ", " 1", "2", "y" };
	struct berth_config c;
	struct berr err;
	char name[96];

	config_defaults(&c);
	for (size_t i = 0; i < 6; i++) {
		c.iptables = false;
		snprintf(name, sizeof(name), "config_set bool: \"%s\" is true", yes[i]);
		CHECK(name, set1(&c, "iptables", yes[i], &err) == 0 && c.iptables == true);
		c.iptables = true;
		snprintf(name, sizeof(name), "config_set bool: \"%s\" is false", no[i]);
		CHECK(name, set1(&c, "iptables", no[i], &err) == 0 && c.iptables == false);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r;

		c.icc = true;
		memset(&err, 0, sizeof(err));
		r = set1(&c, "icc", bad[i], &err);
		snprintf(name, sizeof(name), "config_set bool: refuses \"%s\" with -EINVAL", bad[i]);
		CHECK(name, r == -EINVAL && err.code == -EINVAL);
		snprintf(name, sizeof(name), "config_set bool: refusal of \"%s\" names --icc", bad[i]);
		CHECK(name, has(&err, "--icc"));
		snprintf(name, sizeof(name), "config_set bool: refusal of \"%s\" leaves the value", bad[i]);
		CHECK(name, c.icc == true);
	}
	memset(&err, 0, sizeof(err));
	CHECK("config_set bool: --iptables=yes refused", set1(&c, "iptables", "yes", &err) == -EINVAL);
	CHECK("config_set bool: --iptables=yes message names the flag", has(&err, "--iptables"));
	CHECK("config_set bool: --iptables=yes message quotes the value", has(&err, "\"yes\""));
	CHECK("config_set bool: refusal with NULL err", set1(&c, "iptables", "yes", NULL) == -EINVAL);

	/* Each bool option writes its own field only. */
	config_defaults(&c);
	CHECK("config_set bool: --ip-forward=false", set1(&c, "ip-forward", "false", &err) == 0 && !c.ip_forward &&
	      c.iptables && c.ip_masq && c.icc && c.userland_proxy);
	CHECK("config_set bool: --ip-masq=false", set1(&c, "ip-masq", "false", &err) == 0 && !c.ip_masq);
	CHECK("config_set bool: --userland-proxy=false",
	      set1(&c, "userland-proxy", "false", &err) == 0 && !c.userland_proxy);
	CHECK("config_set bool: --allow-direct-routing=true",
	      set1(&c, "allow-direct-routing", "true", &err) == 0 && c.allow_direct_routing);
}

static void test_set_string(void)
{
	struct berth_config c;
	struct berr err = { 0 };
	char longval[CONFIG_PATH_MAX + 8];

	config_defaults(&c);
	CHECK("config_set string: --bridge br0", set1(&c, "bridge", "br0", &err) == 0);
	CHECK_STR("config_set string: --bridge stored", c.bridge, "br0");
	CHECK("config_set string: --bridge 15 chars fits",
	      set1(&c, "bridge", "abcdefghijklmno", &err) == 0 && strcmp(c.bridge, "abcdefghijklmno") == 0);
	memset(&err, 0, sizeof(err));
	CHECK("config_set string: --bridge 16 chars -ENAMETOOLONG",
	      set1(&c, "bridge", "abcdefghijklmnop", &err) == -ENAMETOOLONG && err.code == -ENAMETOOLONG);
	CHECK("config_set string: --bridge too long names the flag", has(&err, "--bridge") && has(&err, "too long"));
	CHECK("config_set string: --bridge too long says the limit", has(&err, "15"));
	CHECK_STR("config_set string: --bridge too long leaves the value", c.bridge, "abcdefghijklmno");

	memset(longval, 'a', sizeof(longval));
	longval[0] = '/';
	longval[CONFIG_PATH_MAX - 1] = '\0';
	CHECK("config_set string: --data-root of 255 chars fits", set1(&c, "data-root", longval, &err) == 0 &&
	      strlen(c.data_root) == CONFIG_PATH_MAX - 1);
	longval[CONFIG_PATH_MAX - 1] = 'a';
	longval[CONFIG_PATH_MAX] = '\0';
	memset(&err, 0, sizeof(err));
	CHECK("config_set string: --data-root of 256 chars -ENAMETOOLONG",
	      set1(&c, "data-root", longval, &err) == -ENAMETOOLONG && has(&err, "--data-root"));
	CHECK("config_set string: --bip too long -ENAMETOOLONG",
	      set1(&c, "bip", "255.255.255.255/32x", &err) == -ENAMETOOLONG && has(&err, "--bip"));
	CHECK("config_set string: --log-level too long -ENAMETOOLONG",
	      set1(&c, "log-level", "verbose1", &err) == -ENAMETOOLONG && has(&err, "--log-level"));
	CHECK("config_set string: --log-level warning fits", set1(&c, "log-level", "warning", &err) == 0);
	CHECK("config_set string: too long with NULL err", set1(&c, "bridge", "abcdefghijklmnop", NULL) == -ENAMETOOLONG);
	CHECK("config_set string: empty value", set1(&c, "pidfile", "", &err) == 0 && c.pidfile[0] == '\0');
}

/* One --default-address-pool value refused by config_set with -EINVAL and a word in the message. */
static void check_pool_refused(const char *value, const char *word, const char *name)
{
	struct berth_config c;
	struct berr err = { 0 };
	char n[160];
	int r;

	config_defaults(&c);
	r = set1(&c, "default-address-pool", value, &err);
	snprintf(n, sizeof(n), "config_set pool: %s: -EINVAL", name);
	CHECK(n, r == -EINVAL && err.code == -EINVAL);
	snprintf(n, sizeof(n), "config_set pool: %s: message names the flag and value", name);
	CHECK(n, has(&err, "--default-address-pool") && has(&err, value));
	snprintf(n, sizeof(n), "config_set pool: %s: message says \"%s\"", name, word);
	CHECK(n, has(&err, word));
	snprintf(n, sizeof(n), "config_set pool: %s: no pool added", name);
	CHECK(n, c.n_pools == 0);
}

static void test_set_pool(void)
{
	struct berth_config c;
	struct berr err = { 0 };
	char v[64];
	int r = 0;

	config_defaults(&c);
	CHECK("config_set pool: base=10.10.0.0/16,size=24 ok",
	      set1(&c, "default-address-pool", "base=10.10.0.0/16,size=24", &err) == 0);
	CHECK("config_set pool: one pool", c.n_pools == 1);
	CHECK_STR("config_set pool: base stored", fmt_cidr(c.pools[0].base), "10.10.0.0/16");
	CHECK("config_set pool: size stored", c.pools[0].size == 24);
	CHECK("config_set pool: fields in either order",
	      set1(&c, "default-address-pool", "size=20,base=172.80.0.0/12", &err) == 0 && c.n_pools == 2 &&
	      c.pools[1].size == 20 && strcmp(fmt_cidr(c.pools[1].base), "172.80.0.0/12") == 0);
	CHECK("config_set pool: base host bits cleared",
	      set1(&c, "default-address-pool", "base=192.168.77.5/16,size=24", &err) == 0 && c.n_pools == 3 &&
	      strcmp(fmt_cidr(c.pools[2].base), "192.168.0.0/16") == 0);
	CHECK("config_set pool: size equal to base prefix",
	      set1(&c, "default-address-pool", "base=10.99.0.0/24,size=24", &err) == 0 && c.n_pools == 4);
	CHECK("config_set pool: size 32", set1(&c, "default-address-pool", "base=10.98.0.0/24,size=32", &err) == 0);

	check_pool_refused("base=10.10.0.0/16", "needs both", "missing size");
	check_pool_refused("size=24", "needs both", "missing base");
	check_pool_refused("", "needs both", "empty value");
	check_pool_refused("base=10.10.0.0/16,size=33", "1-32", "size=33");
	check_pool_refused("base=10.10.0.0/16,size=0", "1-32", "size=0");
	check_pool_refused("base=10.10.0.0/16,size=", "1-32", "empty size");
	check_pool_refused("base=10.10.0.0/16,size=24x", "1-32", "size=24x");
	check_pool_refused("base=10.10.0.0/16,size=8", "size 8", "size smaller than base prefix");
	check_pool_refused("base=10.10.0.0/16,size=24,gateway=10.10.0.1", "unknown field", "unknown field");
	check_pool_refused("base=10.10.0.0/16,size=24,gateway=10.10.0.1", "gateway", "unknown field named");
	check_pool_refused("base=10.10.0.0/33,size=24", "invalid CIDR", "bad base prefix");
	check_pool_refused("base=10.10.0/16,size=24", "invalid CIDR", "bad base address");

	/* At most CONFIG_MAX_POOLS. */
	config_defaults(&c);
	for (int i = 0; i < CONFIG_MAX_POOLS && r == 0; i++) {
		snprintf(v, sizeof(v), "base=10.%d.0.0/16,size=24", i);
		r = set1(&c, "default-address-pool", v, &err);
	}
	CHECK("config_set pool: CONFIG_MAX_POOLS pools accepted", r == 0 && c.n_pools == CONFIG_MAX_POOLS);
	memset(&err, 0, sizeof(err));
	CHECK("config_set pool: one more is -E2BIG",
	      set1(&c, "default-address-pool", "base=11.0.0.0/16,size=24", &err) == -E2BIG && has(&err, "too many"));
	CHECK("config_set pool: count unchanged after -E2BIG", c.n_pools == CONFIG_MAX_POOLS);

	/* util/err.h: "A NULL struct berr is accepted everywhere (the caller only wants the code)". */
	config_defaults(&c);
	CHECK("config_set pool: missing size with NULL err is -EINVAL",
	      set1(&c, "default-address-pool", "base=10.10.0.0/16", NULL) == -EINVAL);
	CHECK("config_set pool: bad base with NULL err is -EINVAL",
	      set1(&c, "default-address-pool", "base=10.10.0.0/33,size=24", NULL) == -EINVAL);
}

/* Defaults, then flag=value pairs (NULL-terminated), then config_finish. */
static int finish_with(struct berth_config *c, struct berr *err, ...)
{
	va_list ap;
	const char *name, *value;
	int r = 0;

	config_defaults(c);
	memset(err, 0, sizeof(*err));
	va_start(ap, err);
	while (r == 0 && (name = va_arg(ap, const char *))) {
		value = va_arg(ap, const char *);
		r = set1(c, name, value, err);
		if (r < 0)
			printf("test bug: --%s=%s: %s\n", name, value, err->msg);
	}
	va_end(ap);
	return r < 0 ? r : config_finish(c, err);
}

static void test_finish(void)
{
	struct berth_config c;
	struct berr err;
	char name[96];
	static const char *const levels[] = { "debug", "info", "warn", "error", "fatal" };

	CHECK("finish: defaults ok", finish_with(&c, &err, NULL) == 0);
	CHECK("finish: default accept mark 0x800000/0x800000", c.accept_mark == 0x800000 && c.accept_mask == 0x800000);
	{
		static const struct { const char *v; uint32_t mark, mask; } ok[] = {
			{ "0x1", 1, 0xffffffff }, { "0x10/0x30", 0x10, 0x30 }, { "16/48", 16, 48 },
			{ "0", 0, 0 }, { "", 0, 0 }, { "0xffffffff/0xffffffff", 0xffffffff, 0xffffffff },
		};
		static const char *const bad[] = { "x", "0x1/", "0x3/0x1", "-1", "0x100000000", "1/0", "0x1/0x1 ",
						   "0x10/0x100000000", "/0x1" };

		for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
			snprintf(name, sizeof(name), "finish: --bridge-accept-fwmark \"%s\"", ok[i].v);
			CHECK(name, finish_with(&c, &err, "bridge-accept-fwmark", ok[i].v, NULL) == 0 &&
					    c.accept_mark == ok[i].mark && c.accept_mask == ok[i].mask);
		}
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			snprintf(name, sizeof(name), "finish: --bridge-accept-fwmark \"%s\" refused", bad[i]);
			CHECK(name, finish_with(&c, &err, "bridge-accept-fwmark", bad[i], NULL) == -EINVAL &&
					    strstr(err.msg, "invalid --bridge-accept-fwmark"));
		}
		finish_with(&c, &err, NULL);   /* the defaults again, for the checks below */
	}
	CHECK_STR("finish: default bridge_cidr 172.17.0.1/16", fmt_cidr(c.bridge_cidr), "172.17.0.1/16");
	CHECK_STR("finish: socket_path from host", c.socket_path, "/run/berth.sock");
	CHECK("finish: socket_path points into host", c.socket_path == c.host + 7);
	CHECK("finish: no fixed-cidr is prefix 0", c.fixed.prefix == 0 && c.fixed.addr.s_addr == 0);
	CHECK("finish: defaults keep ip_masq", c.ip_masq == true);

	/* Log level and firewall backend. */
	for (size_t i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "finish: log level %s accepted", levels[i]);
		CHECK(name, finish_with(&c, &err, "log-level", levels[i], NULL) == 0);
	}
	CHECK("finish: log level verbose refused", finish_with(&c, &err, "log-level", "verbose", NULL) == -EINVAL);
	CHECK("finish: log level message", has(&err, "log level") && has(&err, "\"verbose\""));
	CHECK("finish: log level INFO (case) refused", finish_with(&c, &err, "log-level", "INFO", NULL) == -EINVAL);
	CHECK("finish: firewall backend nftables accepted",
	      finish_with(&c, &err, "firewall-backend", "nftables", NULL) == 0);
	CHECK("finish: firewall backend pf refused", finish_with(&c, &err, "firewall-backend", "pf", NULL) == -EINVAL);
	CHECK("finish: firewall backend message", has(&err, "firewall backend") && has(&err, "\"pf\""));

	/* Host. */
	CHECK("finish: host unix:///tmp/b.sock accepted",
	      finish_with(&c, &err, "host", "unix:///tmp/b.sock", NULL) == 0 && strcmp(c.socket_path, "/tmp/b.sock") == 0);
	CHECK("finish: host tcp:// refused", finish_with(&c, &err, "host", "tcp://127.0.0.1:2375", NULL) == -EINVAL);
	CHECK("finish: host tcp:// message", has(&err, "invalid host") && has(&err, "tcp://127.0.0.1:2375"));
	CHECK("finish: host unix://relative refused",
	      finish_with(&c, &err, "host", "unix://run/b.sock", NULL) == -EINVAL && has(&err, "unix://run/b.sock"));
	CHECK("finish: host bare path refused",
	      finish_with(&c, &err, "host", "/run/b.sock", NULL) == -EINVAL && has(&err, "invalid host"));
	{
		char host[CONFIG_PATH_MAX];

		memcpy(host, "unix://", 7);
		memset(host + 7, 'x', 107);
		host[7] = '/';
		host[7 + 107] = '\0';
		CHECK("finish: socket path of 107 bytes accepted", finish_with(&c, &err, "host", host, NULL) == 0);
		host[7 + 107] = 'x';
		host[7 + 108] = '\0';
		CHECK("finish: socket path of 108 bytes -ENAMETOOLONG",
		      finish_with(&c, &err, "host", host, NULL) == -ENAMETOOLONG && has(&err, "too long"));
	}

	/* Paths. */
	CHECK("finish: relative data-root refused",
	      finish_with(&c, &err, "data-root", "var/lib/berth", NULL) == -EINVAL);
	CHECK("finish: relative data-root message", has(&err, "--data-root") && has(&err, "absolute"));
	CHECK("finish: relative exec-root refused",
	      finish_with(&c, &err, "exec-root", "run/berth", NULL) == -EINVAL && has(&err, "--exec-root"));
	CHECK("finish: relative pidfile refused",
	      finish_with(&c, &err, "pidfile", "berthd.pid", NULL) == -EINVAL && has(&err, "--pidfile"));
	CHECK("finish: empty data-root refused", finish_with(&c, &err, "data-root", "", NULL) == -EINVAL);
	CHECK("finish: empty pidfile accepted", finish_with(&c, &err, "pidfile", "", NULL) == 0);

	/* Bridge name (16 characters cannot reach config_finish: config_set refuses it, see above). */
	CHECK("finish: bridge br0 accepted", finish_with(&c, &err, "bridge", "br0", NULL) == 0);
	CHECK("finish: bridge none accepted", finish_with(&c, &err, "bridge", "none", NULL) == 0);
	CHECK("finish: bridge of 15 chars accepted", finish_with(&c, &err, "bridge", "abcdefghijklmno", NULL) == 0);
	CHECK("finish: bridge with '/' refused", finish_with(&c, &err, "bridge", "br/0", NULL) == -EINVAL);
	CHECK("finish: bridge with '/' message", has(&err, "invalid bridge name") && has(&err, "\"br/0\""));
	CHECK("finish: bridge with ':' refused",
	      finish_with(&c, &err, "bridge", "br:0", NULL) == -EINVAL && has(&err, "\"br:0\""));
	CHECK("finish: bridge with space refused",
	      finish_with(&c, &err, "bridge", "br 0", NULL) == -EINVAL && has(&err, "invalid bridge name"));
	CHECK("finish: bridge \".\" refused", finish_with(&c, &err, "bridge", ".", NULL) == -EINVAL);
	CHECK("finish: bridge \"..\" refused", finish_with(&c, &err, "bridge", "..", NULL) == -EINVAL);
	CHECK("finish: empty bridge refused",
	      finish_with(&c, &err, "bridge", "", NULL) == -EINVAL && has(&err, "invalid bridge name"));
	{
		/* A 16-character name placed directly (as a caller bypassing config_set could). */
		config_defaults(&c);
		memset(&err, 0, sizeof(err));
		memcpy(c.bridge, "abcdefghijklmno", 16);
		c.bridge[14] = '/';
		CHECK("finish: bridge placed directly with '/' refused",
		      config_finish(&c, &err) == -EINVAL && has(&err, "invalid bridge name"));
	}

	/* -b and --bip. */
	CHECK("finish: --bip with a non-default bridge refused",
	      finish_with(&c, &err, "bridge", "br0", "bip", "10.1.0.1/24", NULL) == -EINVAL);
	CHECK("finish: --bip with a non-default bridge message", has(&err, "--bip") && has(&err, "mutually exclusive"));
	CHECK("finish: --bip with bridge none refused",
	      finish_with(&c, &err, "bridge", "none", "bip", "10.1.0.1/24", NULL) == -EINVAL);
	CHECK("finish: --bip with explicit docker0 accepted",
	      finish_with(&c, &err, "bridge", "docker0", "bip", "10.1.0.1/24", NULL) == 0);
	CHECK("finish: non-default bridge without --bip accepted",
	      finish_with(&c, &err, "bridge", "br0", NULL) == 0 && strcmp(fmt_cidr(c.bridge_cidr), "172.17.0.1/16") == 0);

	/* iptables, icc, ip-masq. */
	CHECK("finish: iptables=false icc=false refused",
	      finish_with(&c, &err, "iptables", "false", "icc", "false", NULL) == -EINVAL);
	CHECK("finish: iptables=false icc=false message", has(&err, "--iptables") && has(&err, "icc"));
	CHECK("finish: iptables=false icc=true accepted", finish_with(&c, &err, "iptables", "false", NULL) == 0);
	CHECK("finish: iptables=false forces ip_masq false", c.ip_masq == false);
	CHECK("finish: iptables=false keeps icc", c.icc == true);
	CHECK("finish: iptables=false with explicit ip-masq=true still forced false",
	      finish_with(&c, &err, "ip-masq", "true", "iptables", "false", NULL) == 0 && c.ip_masq == false);
	CHECK("finish: iptables=true icc=false accepted",
	      finish_with(&c, &err, "icc", "false", NULL) == 0 && c.ip_masq == true && c.icc == false);
	CHECK("finish: ip-masq=false stays false",
	      finish_with(&c, &err, "ip-masq", "false", NULL) == 0 && c.ip_masq == false && c.iptables == true);

	/* --bip. */
	CHECK("finish: bip 10.1.0.1/24 accepted", finish_with(&c, &err, "bip", "10.1.0.1/24", NULL) == 0);
	CHECK_STR("finish: bip 10.1.0.1/24 bridge_cidr", fmt_cidr(c.bridge_cidr), "10.1.0.1/24");
	CHECK("finish: bip 172.17.0.0/16 (network address) refused",
	      finish_with(&c, &err, "bip", "172.17.0.0/16", NULL) == -EINVAL);
	CHECK("finish: bip network address message", has(&err, "network address") && has(&err, "172.17.0.0/16"));
	CHECK("finish: bip /31 refused", finish_with(&c, &err, "bip", "10.0.0.1/31", NULL) == -EINVAL);
	CHECK("finish: bip /31 message", has(&err, "/31") && has(&err, "10.0.0.1/31"));
	CHECK("finish: bip /32 refused", finish_with(&c, &err, "bip", "10.0.0.1/32", NULL) == -EINVAL);
	CHECK("finish: bip /30 accepted",
	      finish_with(&c, &err, "bip", "10.0.0.1/30", NULL) == 0 && c.bridge_cidr.prefix == 30);
	CHECK("finish: bip without prefix refused",
	      finish_with(&c, &err, "bip", "10.0.0.1", NULL) == -EINVAL && has(&err, "--bip") && has(&err, "10.0.0.1"));
	CHECK("finish: bip 1.2.3.4/33 refused",
	      finish_with(&c, &err, "bip", "1.2.3.4/33", NULL) == -EINVAL && has(&err, "--bip") && has(&err, "0-32"));

	/* --fixed-cidr. */
	CHECK("finish: fixed-cidr inside default bip accepted",
	      finish_with(&c, &err, "fixed-cidr", "172.17.1.0/24", NULL) == 0);
	CHECK_STR("finish: fixed-cidr stored in fixed", fmt_cidr(c.fixed), "172.17.1.0/24");
	CHECK("finish: fixed-cidr inside given bip accepted",
	      finish_with(&c, &err, "bip", "10.1.0.1/16", "fixed-cidr", "10.1.128.0/17", NULL) == 0 &&
	      c.fixed.prefix == 17);
	CHECK("finish: fixed-cidr equal to bip network accepted",
	      finish_with(&c, &err, "bip", "10.1.0.1/16", "fixed-cidr", "10.1.0.0/16", NULL) == 0);
	CHECK("finish: fixed-cidr outside bip refused",
	      finish_with(&c, &err, "bip", "10.1.0.1/16", "fixed-cidr", "10.2.0.0/24", NULL) == -EINVAL);
	CHECK("finish: fixed-cidr outside message",
	      has(&err, "not inside") && has(&err, "10.2.0.0/24") && has(&err, "10.1.0.1/16"));
	CHECK("finish: fixed-cidr larger than bip refused",
	      finish_with(&c, &err, "bip", "10.1.0.1/16", "fixed-cidr", "10.0.0.0/8", NULL) == -EINVAL);
	CHECK("finish: fixed-cidr outside default bip refused",
	      finish_with(&c, &err, "fixed-cidr", "192.168.0.0/24", NULL) == -EINVAL && has(&err, "172.17.0.1/16"));
	CHECK("finish: fixed-cidr unparsable refused",
	      finish_with(&c, &err, "fixed-cidr", "172.17.1.0", NULL) == -EINVAL && has(&err, "--fixed-cidr"));

	/* util/err.h: "A NULL struct berr is accepted everywhere (the caller only wants the code)". */
	config_defaults(&c);
	CHECK("finish: NULL err, bad log level is -EINVAL",
	      set1(&c, "log-level", "nope", NULL) == 0 && config_finish(&c, NULL) == -EINVAL);
	config_defaults(&c);
	CHECK("finish: NULL err, unparsable bip is -EINVAL",
	      set1(&c, "bip", "10.0.0.1", NULL) == 0 && config_finish(&c, NULL) == -EINVAL);
}

/* config_load_file on fresh defaults; err cleared first. */
static int load(struct berth_config *c, const char *path, struct berr *err)
{
	memset(err, 0, sizeof(*err));
	return config_load_file(c, path, err);
}

/* A file refused with -EINVAL and a message naming the path and a word. */
static void check_file_refused(const char *fname, const char *json, const char *word, const char *what)
{
	struct berth_config c;
	struct berr err;
	const char *path = write_file(fname, json);
	char n[160];
	int r;

	config_defaults(&c);
	r = load(&c, path, &err);
	snprintf(n, sizeof(n), "load_file: %s: -EINVAL", what);
	CHECK(n, r == -EINVAL && err.code == -EINVAL);
	snprintf(n, sizeof(n), "load_file: %s: message names the file", what);
	CHECK(n, has(&err, path));
	snprintf(n, sizeof(n), "load_file: %s: message says %s", what, word);
	CHECK(n, has(&err, word));
}

static void test_load_file(void)
{
	struct berth_config c;
	struct berr err;
	const char *path;

	path = write_file("daemon.json",
			  "{\n"
			  "  \"iptables\": false,\n"
			  "  \"icc\": true,\n"
			  "  \"bip\": \"10.1.0.1/24\",\n"
			  "  \"hosts\": [\"unix:///tmp/x.sock\"],\n"
			  "  \"default-address-pools\": [{\"base\": \"10.20.0.0/16\", \"size\": 24}]\n"
			  "}\n");
	config_defaults(&c);
	CHECK("load_file: valid daemon.json returns 0", load(&c, path, &err) == 0);
	CHECK("load_file: iptables false", c.iptables == false);
	CHECK("load_file: icc true", c.icc == true);
	CHECK_STR("load_file: bip", c.bip, "10.1.0.1/24");
	CHECK_STR("load_file: hosts[0] to host", c.host, "unix:///tmp/x.sock");
	CHECK("load_file: one pool", c.n_pools == 1);
	CHECK_STR("load_file: pool base", fmt_cidr(c.pools[0].base), "10.20.0.0/16");
	CHECK("load_file: pool size", c.pools[0].size == 24);
	CHECK_STR("load_file: untouched key keeps default (bridge)", c.bridge, "docker0");
	CHECK_STR("load_file: untouched key keeps default (data-root)", c.data_root, "/var/lib/berth");
	CHECK("load_file: valid daemon.json then finish", config_finish(&c, &err) == 0);
	CHECK_STR("load_file: finish bridge_cidr", fmt_cidr(c.bridge_cidr), "10.1.0.1/24");
	CHECK_STR("load_file: finish socket_path", c.socket_path, "/tmp/x.sock");
	CHECK("load_file: finish forces ip_masq false", c.ip_masq == false);

	path = write_file("more.json",
			  "{\"hosts\": \"unix:///tmp/y.sock\", \"log-level\": \"debug\", \"bridge\": \"br-test\","
			  " \"userland-proxy\": false, \"default-address-pools\": ["
			  "{\"base\": \"172.80.0.0/16\", \"size\": 24}, {\"size\": 20, \"base\": \"10.0.0.0/8\"}]}");
	config_defaults(&c);
	CHECK("load_file: more keys returns 0", load(&c, path, &err) == 0);
	CHECK_STR("load_file: hosts as a plain string", c.host, "unix:///tmp/y.sock");
	CHECK_STR("load_file: log-level", c.log_level, "debug");
	CHECK_STR("load_file: bridge", c.bridge, "br-test");
	CHECK("load_file: userland-proxy false", c.userland_proxy == false);
	CHECK("load_file: two pools in order", c.n_pools == 2 && c.pools[0].size == 24 && c.pools[1].size == 20 &&
	      strcmp(fmt_cidr(c.pools[1].base), "10.0.0.0/8") == 0);

	path = write_file("empty.json", "{}\n");
	config_defaults(&c);
	CHECK("load_file: empty object returns 0", load(&c, path, &err) == 0 && c.iptables && c.n_pools == 0);

	/* Refusals. */
	check_file_refused("unknown.json", "{\"iptables\": true, \"bridge-ip\": \"10.0.0.1/24\"}", "\"bridge-ip\"",
			   "unknown key");
	check_file_refused("unknown2.json", "{\"bridge-ip\": \"10.0.0.1/24\"}", "unknown option", "unknown key wording");
	check_file_refused("flagname.json", "{\"host\": \"unix:///tmp/x.sock\"}", "\"host\"",
			   "flag name instead of json key");
	check_file_refused("type-bool.json", "{\"iptables\": \"false\"}", "\"iptables\"", "string for a bool");
	check_file_refused("type-bool2.json", "{\"icc\": 0}", "true or false", "number for a bool");
	check_file_refused("type-string.json", "{\"bip\": 24}", "\"bip\" must be a string", "number for a string");
	check_file_refused("type-null.json", "{\"data-root\": null}", "\"data-root\" must be a string",
			   "null for a string");
	check_file_refused("type-hosts.json", "{\"hosts\": [\"unix:///a.sock\", \"unix:///b.sock\"]}", "exactly one",
			   "two hosts");
	check_file_refused("type-hosts0.json", "{\"hosts\": []}", "exactly one", "no hosts");
	check_file_refused("type-hosts-num.json", "{\"hosts\": [1]}", "exactly one", "number in hosts");
	check_file_refused("type-pools.json", "{\"default-address-pools\": {\"base\": \"10.0.0.0/8\", \"size\": 24}}",
			   "must be a list", "pools not a list");
	check_file_refused("type-pool-nosize.json", "{\"default-address-pools\": [{\"base\": \"10.0.0.0/8\"}]}",
			   "[0]", "pool without size");
	check_file_refused("type-pool-extra.json",
			   "{\"default-address-pools\": [{\"base\": \"10.0.0.0/8\", \"size\": 24, \"gw\": 1}]}", "[0]",
			   "pool with extra key");
	check_file_refused("type-pool-strsize.json",
			   "{\"default-address-pools\": [{\"base\": \"10.0.0.0/8\", \"size\": \"24\"}]}", "[0]",
			   "pool size as string");
	check_file_refused("type-pool-second.json",
			   "{\"default-address-pools\": [{\"base\": \"10.0.0.0/8\", \"size\": 24}, 7]}", "[1]",
			   "second pool not an object");
	check_file_refused("pool-size33.json", "{\"default-address-pools\": [{\"base\": \"10.0.0.0/8\", \"size\": 33}]}",
			   "1-32", "pool size 33");
	check_file_refused("pool-small.json", "{\"default-address-pools\": [{\"base\": \"10.0.0.0/16\", \"size\": 8}]}",
			   "size 8", "pool size smaller than base prefix");
	check_file_refused("pool-badbase.json",
			   "{\"default-address-pools\": [{\"base\": \"10.0.0/16\", \"size\": 24}]}", "invalid CIDR",
			   "pool bad base");
	/* A base that is not a CIDR must not be spliced into "base=...,size=N" and re-parsed as fields. */
	path = write_file("pool-inject.json",
			  "{\"default-address-pools\": [{\"base\": \"10.20.0.0/16,base=192.168.0.0/16\", \"size\": 24}]}");
	config_defaults(&c);
	CHECK("load_file: pool base \"10.20.0.0/16,base=192.168.0.0/16\" refused as invalid CIDR",
	      load(&c, path, &err) == -EINVAL && has(&err, "invalid CIDR") && c.n_pools == 0);
	check_file_refused("invalid.json", "{\n  \"iptables\": true,\n  \"icc\": tru\n}\n", "line 3", "invalid JSON");
	check_file_refused("trailing-comma.json", "{\n  \"iptables\": true,\n}\n", "line", "trailing comma");
	check_file_refused("dup.json", "{\"icc\": true,\n \"icc\": false}", "duplicate", "duplicate key");
	check_file_refused("array.json", "[{\"icc\": true}]", "JSON object", "top level not an object");
	check_file_refused("empty-file.json", "", "line", "empty file");

	/* Too long a string is the config_set code, wrapped with the file. */
	path = write_file("long.json", "{\"log-level\": \"verbose-too-long\"}");
	config_defaults(&c);
	CHECK("load_file: too long string -ENAMETOOLONG", load(&c, path, &err) == -ENAMETOOLONG);
	CHECK("load_file: too long string message", has(&err, "config file") && has(&err, "--log-level"));

	/* Missing file. */
	{
		char missing[160];

		snprintf(missing, sizeof(missing), "%s/does-not-exist.json", tmp);
		config_defaults(&c);
		CHECK("load_file: missing file refused", load(&c, missing, &err) < 0);
		CHECK("load_file: missing file message names it", has(&err, missing));
	}

	/* A key also given as a flag. */
	path = write_file("conflict.json", "{\"bip\": \"10.1.0.1/24\"}");
	config_defaults(&c);
	c.set_by_flag |= 1ull << opt_json("bip");
	CHECK("load_file: key also a flag refused", load(&c, path, &err) == -EINVAL);
	CHECK("load_file: key also a flag message names the key", has(&err, "\"bip\""));
	CHECK("load_file: key also a flag message names the flag", has(&err, "--bip"));
	CHECK("load_file: key also a flag message mentions flag and file", has(&err, "flag") && has(&err, "file"));
	CHECK_STR("load_file: key also a flag leaves the value", c.bip, "");

	path = write_file("conflict-hosts.json", "{\"icc\": false, \"hosts\": [\"unix:///tmp/z.sock\"]}");
	config_defaults(&c);
	c.set_by_flag |= 1ull << opt_json("hosts");
	CHECK("load_file: hosts also given as -H refused", load(&c, path, &err) == -EINVAL);
	CHECK("load_file: hosts conflict message names both", has(&err, "\"hosts\"") && has(&err, "--host"));
	CHECK_STR("load_file: hosts conflict leaves the value", c.host, "unix:///run/berth.sock");

	path = write_file("noconflict.json", "{\"icc\": false}");
	config_defaults(&c);
	c.set_by_flag |= 1ull << opt_json("bip");
	CHECK("load_file: flag for another key is no conflict", load(&c, path, &err) == 0 && c.icc == false);

	/* NULL err accepted. */
	path = write_file("null-err.json", "{\"nope\": 1}");
	config_defaults(&c);
	CHECK("load_file: NULL err refusal is -EINVAL", config_load_file(&c, path, NULL) == -EINVAL);
}

int main(void)
{
	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 2;
	}
	test_defaults();
	test_option_table();
	test_set_bool();
	test_set_string();
	test_set_pool();
	test_finish();
	test_load_file();

	for (size_t i = 0; i < n_files; i++)
		if (unlink(files[i]) < 0)
			perror(files[i]);
	if (rmdir(tmp) < 0)
		perror(tmp);
	CHECK_DONE();
}
