/* SPDX-License-Identifier: MIT */
#include "model/config.h"
#include "model/ifname.h"
#include "model/ip4_scope.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define OPT(n, s, k, t, field, mv, h) { n, s, k, t, offsetof(struct berth_config, field), \
					 sizeof(((struct berth_config *)0)->field), mv, h }

/* dockerd's flags and daemon.json keys, with dockerd's help texts where it has the flag. */
const struct config_option config_options[] = {
	OPT("allow-direct-routing", 0, "allow-direct-routing", CONFIG_BOOL, allow_direct_routing, NULL,
	    "Allow remote access to published ports on container IP addresses (default false)"),
	OPT("bip", 0, "bip", CONFIG_STRING, bip, "CIDR", "Specify default-bridge IP"),
	OPT("bridge", 'b', "bridge", CONFIG_STRING, bridge, "NAME",
	    "Attach containers to a network bridge (\"none\": no default bridge)"),
	OPT("bridge-accept-fwmark", 0, "bridge-accept-fwmark", CONFIG_STRING, bridge_accept_fwmark, "MARK[/MASK]",
	    "nftables: accept forwarded packets with this firewall mark, set by the admin's own tables "
	    "(default \"0x800000/0x800000\"; \"0\": none)"),
	OPT("data-root", 0, "data-root", CONFIG_STRING, data_root, "DIR",
	    "Root directory of persistent berth state (default \"/var/lib/berth\")"),
	OPT("default-address-pool", 0, "default-address-pools", CONFIG_POOL, pools, "base=CIDR,size=N",
	    "Default address pools for node specific local networks"),
	OPT("exec-root", 0, "exec-root", CONFIG_STRING, exec_root, "DIR",
	    "Root directory for execution state files (default \"/run/berth\")"),
	OPT("firewall-backend", 0, "firewall-backend", CONFIG_STRING, firewall_backend, "iptables|nftables",
	    "Firewall backend to use (default \"iptables\")"),
	OPT("fixed-cidr", 0, "fixed-cidr", CONFIG_STRING, fixed_cidr, "CIDR",
	    "IPv4 subnet for fixed IPs"),
	OPT("host", 'H', "hosts", CONFIG_STRING, host, "unix://PATH",
	    "Daemon socket to connect to (default \"unix:///run/berth.sock\")"),
	OPT("icc", 0, "icc", CONFIG_BOOL, icc, NULL, "Enable inter-container communication (default true)"),
	OPT("ip-forward", 0, "ip-forward", CONFIG_BOOL, ip_forward, NULL, "Enable net.ipv4.ip_forward (default true)"),
	OPT("ip-masq", 0, "ip-masq", CONFIG_BOOL, ip_masq, NULL, "Enable IP masquerading (default true)"),
	OPT("iptables", 0, "iptables", CONFIG_BOOL, iptables, NULL, "Enable addition of iptables rules (default true)"),
	OPT("log-level", 'l', "log-level", CONFIG_STRING, log_level, "LEVEL",
	    "Set the logging level (\"debug\"|\"info\"|\"warn\"|\"error\"|\"fatal\") (default \"info\")"),
	OPT("pidfile", 'p', "pidfile", CONFIG_STRING, pidfile, "FILE",
	    "Path to use for daemon PID file (default \"/run/berthd.pid\")"),
	OPT("userland-proxy", 0, "userland-proxy", CONFIG_BOOL, userland_proxy, NULL,
	    "Use userland proxy for loopback traffic (default true)"),
};
const size_t config_n_options = sizeof(config_options) / sizeof(config_options[0]);

void config_defaults(struct berth_config *c)
{
	*c = (struct berth_config){
		.iptables = true, .ip_forward = true, .ip_masq = true, .icc = true, .userland_proxy = true,
		.bridge = "docker0", .firewall_backend = "iptables", .bridge_accept_fwmark = "0x800000/0x800000", .data_root = "/var/lib/berth",
		.exec_root = "/run/berth", .host = "unix:///run/berth.sock", .pidfile = "/run/berthd.pid",
		.log_level = "info",
	};
}

static int parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True" };
	static const char *const no[] = { "0", "f", "F", "false", "FALSE", "False" };

	for (size_t i = 0; i < 6; i++) {
		if (strcmp(s, yes[i]) == 0)
			return *ret = true, 0;
		if (strcmp(s, no[i]) == 0)
			return *ret = false, 0;
	}
	return -EINVAL;
}

/* "MARK[/MASK]" (Docker 29's --bridge-accept-fwmark): numbers in C syntax (0x.., decimal); no
 * mask means the whole mark must match. "" or "0": no accept mark. */
static int parse_fwmark(const char *s, uint32_t *mark, uint32_t *mask, struct berr *err)
{
	unsigned long long m, k = 0xffffffffULL;
	char *end;

	*mark = *mask = 0;
	if (!*s || strcmp(s, "0") == 0)
		return 0;
	errno = 0;
	m = strtoull(s, &end, 0);
	if (end != s && *end == '/') {
		const char *ks = end + 1;

		k = strtoull(ks, &end, 0);
		if (end == ks)
			end = (char *)ks - 1;   /* "1/" */
	}
	if (errno || end == s || *end || *s == '-' || strchr(s, ' ') || m > 0xffffffffULL || k > 0xffffffffULL ||
	    k == 0 || m == 0 || (m & ~k))
		return berr_set(err, -EINVAL, "invalid --bridge-accept-fwmark \"%s\" (expected MARK[/MASK], e.g. "
				"0x800000/0x800000, the mark non-zero and inside the mask; \"0\" for none)", s);
	*mark = (uint32_t)m;
	*mask = (uint32_t)k;
	return 0;
}

/* "base=172.80.0.0/16,size=24", dockerd's --default-address-pool syntax. */
static int parse_pool(const char *s, struct address_pool *ret, struct berr *err)
{
	char buf[128], *tok, *save = NULL, *end;
	bool have_base = false, have_size = false;
	struct address_pool p = { 0 };
	int r;

	if (strlen(s) >= sizeof(buf))
		return berr_set(err, -EINVAL, "invalid address pool \"%s\"", s);
	memcpy(buf, s, strlen(s) + 1);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (strncmp(tok, "base=", 5) == 0) {
			r = cidr4_parse(tok + 5, &p.base, err);
			if (r < 0)
				return berr_wrap(err, r, "address pool \"%s\"", s);
			p.base = cidr4_network(p.base);
			have_base = true;
		} else if (strncmp(tok, "size=", 5) == 0) {
			long v;

			errno = 0;
			v = strtol(tok + 5, &end, 10);
			if (tok[5] == '\0' || *end || errno || v < 1 || v > 32)
				return berr_set(err, -EINVAL, "address pool \"%s\": size must be 1-32", s);
			p.size = (unsigned)v;
			have_size = true;
		} else {
			return berr_set(err, -EINVAL, "address pool \"%s\": unknown field \"%s\" (expected base=CIDR,size=N)",
					s, tok);
		}
	}
	if (!have_base || !have_size)
		return berr_set(err, -EINVAL, "address pool \"%s\": needs both base=CIDR and size=N", s);
	if (p.size < p.base.prefix)
		return berr_set(err, -EINVAL, "address pool \"%s\": size %u is larger than the pool /%u", s, p.size,
				p.base.prefix);
	r = cidr4_check_container_network(p.base, "base", err);
	if (r < 0)
		return berr_wrap(err, r, "address pool \"%s\"", s);
	*ret = p;
	return 0;
}

int config_set(struct berth_config *c, size_t i, const char *value, struct berr *err)
{
	const struct config_option *o = &config_options[i];
	char *field = (char *)c + o->offset;

	switch (o->type) {
	case CONFIG_BOOL:
		if (parse_bool(value, (bool *)field) < 0)
			return berr_set(err, -EINVAL, "invalid value \"%s\" for --%s: expected true or false", value, o->name);
		return 0;
	case CONFIG_STRING:
		if (strlen(value) >= o->size)
			return berr_set(err, -ENAMETOOLONG, "value for --%s is too long (at most %zu characters)", o->name,
					o->size - 1);
		memcpy(field, value, strlen(value) + 1);
		return 0;
	case CONFIG_POOL: {
		int r;

		if (c->n_pools == CONFIG_MAX_POOLS)
			return berr_set(err, -E2BIG, "too many address pools (at most %d)", CONFIG_MAX_POOLS);
		r = parse_pool(value, &c->pools[c->n_pools], err);
		if (r < 0)
			return berr_wrap(err, r, "--%s", o->name);
		c->n_pools++;
		return 0;
	}
	}
	return -EINVAL;
}

/* The single-valued settings: log level, backend, the API socket, the mark, paths, bridge name. */
static int check_settings(struct berth_config *c, struct berr *err)
{
	static const char *const levels[] = { "debug", "info", "warn", "error", "fatal" };
	bool level_ok = false;
	int r;

	for (size_t i = 0; i < 5; i++)
		level_ok |= strcmp(c->log_level, levels[i]) == 0;
	if (!level_ok)
		return berr_set(err, -EINVAL, "invalid log level \"%s\" (expected debug, info, warn, error or fatal)",
				c->log_level);
	if (strcmp(c->firewall_backend, "iptables") != 0 && strcmp(c->firewall_backend, "nftables") != 0)
		return berr_set(err, -EINVAL, "invalid firewall backend \"%s\" (expected iptables or nftables)",
				c->firewall_backend);
	if (strncmp(c->host, "unix://", 7) != 0 || c->host[7] != '/')
		return berr_set(err, -EINVAL, "invalid host \"%s\": berthd listens only on a unix socket, unix:///PATH",
				c->host);
	c->socket_path = c->host + 7;
	r = parse_fwmark(c->bridge_accept_fwmark, &c->accept_mark, &c->accept_mask, err);
	if (r < 0)
		return r;
	if (strlen(c->socket_path) >= 108)
		return berr_set(err, -ENAMETOOLONG, "socket path \"%s\" is too long (at most 107 bytes)", c->socket_path);
	if (c->data_root[0] != '/' || c->exec_root[0] != '/' || (c->pidfile[0] && c->pidfile[0] != '/'))
		return berr_set(err, -EINVAL, "--data-root, --exec-root and --pidfile must be absolute paths");
	if (strcmp(c->bridge, "none") != 0 && !ifname_valid(c->bridge))
		return berr_set(err, -EINVAL, "invalid bridge name \"%s\" (1-15 of A-Z a-z 0-9 _ . -)",
				c->bridge);
	return 0;
}

/* Options that dockerd refuses together, or turns off for one another. */
static int check_combinations(struct berth_config *c, struct berr *err)
{
	/* dockerd: "You specified -b & --bip, mutually exclusive options." */
	if (c->bip[0] && strcmp(c->bridge, "docker0") != 0)
		return berr_set(err, -EINVAL, "--bridge and --bip are mutually exclusive: --bip configures the default "
				"bridge docker0 only");
	/* dockerd: ICC=false uses iptables to function. */
	if (!c->iptables && !c->icc)
		return berr_set(err, -EINVAL, "--iptables=false with --icc=false: icc=false uses iptables to work; set "
				"--icc or --iptables to true");
	/* dockerd silently turns masquerading off without iptables: there is nothing to write it into. */
	if (!c->iptables)
		c->ip_masq = false;
	return 0;
}

/* --bip (or docker0's default): the bridge's own address, with room for containers. */
static int parse_bridge_cidr(struct berth_config *c, struct berr *err)
{
	int r = cidr4_parse(c->bip[0] ? c->bip : "172.17.0.1/16", &c->bridge_cidr, err);

	if (r < 0)
		return berr_wrap(err, r, "--bip");
	r = cidr4_check_container_network(c->bridge_cidr, "--bip", err);
	if (r < 0)
		return r;
	if (c->bridge_cidr.prefix > 30)
		return berr_set(err, -EINVAL, "--bip %s: prefix /%u leaves no room for containers (at most /30)", c->bip,
				c->bridge_cidr.prefix);
	if (c->bridge_cidr.addr.s_addr == cidr4_network(c->bridge_cidr).addr.s_addr)
		return berr_set(err, -EINVAL, "--bip %s: is a network address; give the bridge's own address, e.g. "
				"172.17.0.1/16", c->bip);
	return 0;
}

/* --fixed-cidr: the part of the bridge network containers get addresses from (none: all of it). */
static int parse_fixed_cidr(struct berth_config *c, struct berr *err)
{
	int r;

	c->fixed = (struct cidr4){ 0 };
	if (!c->fixed_cidr[0])
		return 0;
	r = cidr4_parse(c->fixed_cidr, &c->fixed, err);
	if (r < 0)
		return berr_wrap(err, r, "--fixed-cidr");
	r = cidr4_check_container_network(c->fixed, "--fixed-cidr", err);
	if (r < 0)
		return r;
	if (!cidr4_within(c->bridge_cidr, c->fixed))
		return berr_set(err, -EINVAL, "--fixed-cidr %s is not inside the bridge network %s", c->fixed_cidr,
				c->bip[0] ? c->bip : "172.17.0.1/16");
	return 0;
}

int config_finish(struct berth_config *c, struct berr *err)
{
	int r = check_settings(c, err);

	if (r < 0 || (r = check_combinations(c, err)) < 0 || (r = parse_bridge_cidr(c, err)) < 0)
		return r;
	return parse_fixed_cidr(c, err);
}
