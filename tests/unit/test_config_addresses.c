/* SPDX-License-Identifier: MIT */
/* lib/model/config: --bip, --fixed-cidr and --default-address-pool refuse networks that cannot
 * hold containers (loopback, multicast, reserved, unspecified, a default route), as flags and
 * as daemon.json keys (both go through config_set and config_finish). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "model/config.h"

static size_t opt(const char *name)
{
	for (size_t i = 0; i < config_n_options; i++)
		if (strcmp(config_options[i].name, name) == 0)
			return i;
	printf("test bug: no option %s\n", name);
	return 0;
}

/* Defaults, one flag, config_finish. */
static int configure(const char *flag, const char *value, struct berr *err)
{
	struct berth_config c;
	int r;

	config_defaults(&c);
	r = config_set(&c, opt(flag), value, err);
	return r < 0 ? r : config_finish(&c, err);
}

static void refused(const char *flag, const char *value, const char *words)
{
	struct berr err = { 0 };
	char name[256];
	int r = configure(flag, value, &err);

	snprintf(name, sizeof(name), "--%s %s: refused with -EINVAL", flag, value);
	CHECK(name, r == -EINVAL);
	snprintf(name, sizeof(name), "--%s %s: message says \"%s\"", flag, value, words);
	if (strstr(err.msg, words))
		CHECK(name, 1);
	else
		CHECK_STR(name, err.msg, words);
}

static void accepted(const char *flag, const char *value)
{
	struct berr err = { 0 };
	char name[256];

	snprintf(name, sizeof(name), "--%s %s: accepted", flag, value);
	CHECK(name, configure(flag, value, &err) == 0);
}

int main(void)
{
	accepted("bip", "10.50.0.1/24");
	refused("bip", "127.0.0.1/8", "--bip 127.0.0.1/8: a loopback network (127.0.0.0/8) cannot be a container network");
	refused("bip", "224.0.0.1/24", "--bip 224.0.0.1/24: a multicast network (224.0.0.0/4)");
	refused("bip", "240.0.0.1/16", "a reserved network (240.0.0.0/4)");
	refused("bip", "0.1.0.1/16", "an unspecified network (0.0.0.0/8)");
	refused("bip", "10.0.0.1/0", "--bip 10.0.0.1/0: a prefix length of 0 is a default route");
	accepted("fixed-cidr", "172.17.1.0/24");
	accepted("default-address-pool", "base=10.10.0.0/16,size=24");
	refused("default-address-pool", "base=127.0.0.0/8,size=16",
		"address pool \"base=127.0.0.0/8,size=16\": base 127.0.0.0/8: a loopback network (127.0.0.0/8) cannot be a container network");
	refused("default-address-pool", "base=224.0.0.0/4,size=24", "a multicast network");
	refused("default-address-pool", "base=0.0.0.0/0,size=16", "a prefix length of 0 is a default route");
	refused("default-address-pool", "base=96.0.0.0/3,size=16", "it contains the loopback network 127.0.0.0/8");
	CHECK_DONE();
}
