/* SPDX-License-Identifier: MIT */
#include "model/container.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void container_release(struct container *c)
{
	if (!c)
		return;
	for (size_t i = 0; c->argv && i < c->argc; i++)
		free(c->argv[i]);
	free(c->argv);
	for (size_t i = 0; c->env && i < c->n_env; i++)
		free(c->env[i]);
	free(c->env);
	for (size_t i = 0; c->labels && i < 2 * c->n_labels; i++)
		free(c->labels[i]);
	free(c->labels);
	free(c->ports);
	free(c->exposed);
	c->argv = NULL;
	c->ports = c->exposed = NULL;
	c->argc = c->n_ports = c->n_exposed = 0;
}

/* A NULL-terminated copy of n strings (NULL stays NULL). */
static int strv_copy(char **src, size_t n, char ***ret)
{
	char **v;

	*ret = NULL;
	if (!src)
		return 0;
	v = calloc(n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	*ret = v;   /* the caller releases a partial copy */
	for (size_t i = 0; i < n; i++)
		if (src[i] && !(v[i] = strdup(src[i])))
			return -ENOMEM;
	return 0;
}

static int array_copy(const void *src, size_t n, size_t size, void **ret)
{
	*ret = NULL;
	if (!src)
		return 0;
	*ret = calloc(n + 1, size);
	if (!*ret)
		return -ENOMEM;
	if (n)
		memcpy(*ret, src, n * size);
	return 0;
}

int container_copy(const struct container *src, struct container *ret)
{
	struct container c = *src;
	void *ports = NULL, *exposed = NULL;
	int r;

	c.argv = c.env = c.labels = NULL;
	c.ports = c.exposed = NULL;
	r = strv_copy(src->argv, src->argc, &c.argv);
	if (r >= 0)
		r = strv_copy(src->env, src->n_env, &c.env);
	if (r >= 0)
		r = strv_copy(src->labels, 2 * src->n_labels, &c.labels);
	if (r >= 0)
		r = array_copy(src->ports, src->n_ports, sizeof(*src->ports), &ports);
	c.ports = ports;
	if (r >= 0)
		r = array_copy(src->exposed, src->n_exposed, sizeof(*src->exposed), &exposed);
	c.exposed = exposed;
	if (r < 0) {
		container_release(&c);
		return r;
	}
	*ret = c;
	return 0;
}

const char *container_state_name(enum container_state s)
{
	return s == CONTAINER_RUNNING ? "running" : s == CONTAINER_EXITED ? "exited" : "created";
}

void container_mac_from_ip(struct in_addr ip, unsigned char mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0x42;
	memcpy(mac + 2, &ip.s_addr, 4);   /* network order: 172.17.0.2 -> ac:11:00:02 */
}

int container_endpoint_index(const struct container *c, const char *network_id)
{
	for (size_t i = 0; i < c->n_eps; i++)
		if (strcmp(c->eps[i].network_id, network_id) == 0)
			return (int)i;
	return -1;
}

int container_add_endpoint(struct container *c, const char *network_id, struct in_addr fixed_ip, struct berr *err)
{
	struct endpoint *ep;
	unsigned slot;

	if (container_endpoint_index(c, network_id) >= 0)
		return berr_set(err, -EEXIST, "container %s is already connected to network %.12s", c->name, network_id);
	if (c->n_eps == CONTAINER_MAX_ENDPOINTS)
		return berr_set(err, -E2BIG, "container %s: at most %d networks", c->name, CONTAINER_MAX_ENDPOINTS);
	/* The lowest ethN and veth suffix no other endpoint uses (a disconnect leaves gaps). */
	for (slot = 0; slot < CONTAINER_MAX_ENDPOINTS; slot++) {
		char name[IFNAMSIZ];
		bool used = false;

		snprintf(name, sizeof(name), "eth%u", slot);
		for (size_t i = 0; i < c->n_eps; i++)
			used |= strcmp(c->eps[i].ifname, name) == 0;
		if (!used)
			break;
	}
	ep = &c->eps[c->n_eps++];
	*ep = (struct endpoint){ .fixed_ip = fixed_ip };
	snprintf(ep->network_id, sizeof(ep->network_id), "%s", network_id);
	snprintf(ep->ifname, sizeof(ep->ifname), "eth%u", slot);
	char prefix[8];

	snprintf(prefix, sizeof(prefix), "%.7s", c->id);   /* a copy: c->id and ep->veth share c */
	snprintf(ep->veth, sizeof(ep->veth), "veth%s%x", prefix, slot);
	return 0;
}

bool container_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > CONTAINER_NAME_MAX || !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') ||
						   (name[0] >= '0' && name[0] <= '9')))
		return false;
	for (size_t i = 1; i < n; i++) {
		char ch = name[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
		      ch == '.' || ch == '-'))
			return false;
	}
	return true;
}

static json_t *bindings_to_json(const struct port_binding *b, size_t n)
{
	json_t *a = json_array();
	char ip[INET_ADDRSTRLEN];

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:b, s:i, s:i, s:i}", "proto", proto_name(b[i].proto),
						   "host_ip", ip4_format(b[i].host_ip, ip, sizeof(ip)), "host_ip_default",
						   b[i].host_ip_default, "host_port", b[i].host_port, "host_port_end",
						   b[i].host_port_end, "container_port", b[i].container_port));
	return a;
}

static int env_from_json(json_t *list, struct container *c)
{
	size_t i;
	json_t *a;

	if (!json_array_size(list))
		return 0;
	c->env = calloc(json_array_size(list) + 1, sizeof(*c->env));
	if (!c->env)
		return -ENOMEM;
	json_array_foreach(list, i, a) {
		if (!container_env_valid(json_string_value(a)))
			return -EINVAL;
		if (!(c->env[c->n_env] = strdup(json_string_value(a))))
			return -ENOMEM;
		c->n_env++;
	}
	return 0;
}

static int labels_from_json(json_t *map, struct container *c)
{
	const char *k;
	json_t *v;

	if (!json_object_size(map))
		return 0;
	c->labels = calloc(2 * json_object_size(map) + 1, sizeof(*c->labels));
	if (!c->labels)
		return -ENOMEM;
	json_object_foreach(map, k, v) {
		if (!json_is_string(v))
			return -EINVAL;
		if (!(c->labels[2 * c->n_labels] = strdup(k)))
			return -ENOMEM;
		if (!(c->labels[2 * c->n_labels + 1] = strdup(json_string_value(v)))) {
			free(c->labels[2 * c->n_labels]);
			c->labels[2 * c->n_labels] = NULL;
			return -ENOMEM;
		}
		c->n_labels++;
	}
	return 0;
}

char *container_to_json(const struct container *c)
{
	char ip[INET_ADDRSTRLEN], fixed[INET_ADDRSTRLEN];
	json_t *argv = json_array(), *eps = json_array(), *env = json_array(), *labels = json_object(), *o;
	char *s;

	for (size_t i = 0; argv && i < c->argc; i++)
		json_array_append_new(argv, json_string(c->argv[i]));
	for (size_t i = 0; env && i < c->n_env; i++)
		json_array_append_new(env, json_string(c->env[i]));
	for (size_t i = 0; labels && i < c->n_labels; i++)
		json_object_set_new(labels, c->labels[2 * i], json_string(c->labels[2 * i + 1]));
	for (size_t i = 0; eps && i < c->n_eps; i++) {
		const unsigned char *m = c->eps[i].mac;
		json_t *ep = json_pack("{s:s, s:s, s:s, s:s, s:s}", "network_id", c->eps[i].network_id, "ifname",
				       c->eps[i].ifname, "veth", c->eps[i].veth, "ip", ip4_format(c->eps[i].ip, ip, sizeof(ip)),
				       "fixed_ip", ip4_format(c->eps[i].fixed_ip, fixed, sizeof(fixed)));
		char mac[18];

		/* Only an asked-for MAC is stored: the others follow the address (records stay as
		 * they were before). */
		if (ep && c->eps[i].fixed_mac) {
			snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
			json_object_set_new(ep, "mac", json_string(mac));
		}
		json_array_append_new(eps, ep);
	}
	o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:b, s:b, s:s, s:i, s:I, s:i, s:I, s:I, s:I, s:I, s:o, s:o}",
		      "id", c->id, "name", c->name, "hostname", c->hostname, "endpoints", eps, "argv", argv,
		      "auto_remove", c->auto_remove, "detached",
		      c->detached, "state", container_state_name(c->state), "pid", (int)c->pid, "start_time",
		      (json_int_t)c->start_time, "exit_code", c->exit_code, "created_at", (json_int_t)c->created_at,
		      "started_at", (json_int_t)c->started_at, "finished_at", (json_int_t)c->finished_at, "start_seq",
		      (json_int_t)c->start_seq, "ports", bindings_to_json(c->ports, c->n_ports), "exposed",
		      bindings_to_json(c->exposed, c->n_exposed));
	if (o && (json_object_set_new(o, "env", env) < 0 || json_object_set_new(o, "labels", labels) < 0)) {
		json_decref(o);
		o = NULL;
	} else if (!o) {
		json_decref(env);
		json_decref(labels);
	}
	/* Absent in older records, and in records where they are 0/false. */
	if (o && c->n_entrypoint)
		json_object_set_new(o, "entrypoint_len", json_integer((json_int_t)c->n_entrypoint));
	if (o && c->publish_all)
		json_object_set_new(o, "publish_all", json_true());
	if (o && container_is_external(c)) {
		json_object_set_new(o, "external_netns", json_string(c->external_netns));
		json_object_set_new(o, "external_id", json_string(c->external_id));
	}
	if (!o)
		return NULL;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static int bindings_from_json(json_t *a, struct port_binding **ret, size_t *ret_n)
{
	size_t i, n = json_array_size(a);
	struct port_binding *b;
	json_t *e;

	*ret = NULL;
	*ret_n = 0;
	if (n == 0)
		return 0;
	b = calloc(n, sizeof(*b));
	if (!b)
		return -ENOMEM;
	json_array_foreach(a, i, e) {
		const char *proto = json_string_value(json_object_get(e, "proto"));
		const char *hip = json_string_value(json_object_get(e, "host_ip"));

		if (!proto || !hip || proto_parse(proto, &b[i].proto, NULL) < 0 || ip4_parse(hip, &b[i].host_ip, NULL) < 0) {
			free(b);
			return -EINVAL;
		}
		/* Absent in records written before it existed: the address stays as recorded. */
		b[i].host_ip_default = json_is_true(json_object_get(e, "host_ip_default"));
		b[i].host_port = (uint16_t)json_integer_value(json_object_get(e, "host_port"));
		b[i].host_port_end = (uint16_t)json_integer_value(json_object_get(e, "host_port_end"));
		b[i].container_port = (uint16_t)json_integer_value(json_object_get(e, "container_port"));
	}
	*ret = b;
	*ret_n = n;
	return 0;
}

static int copy_field(char *dst, size_t size, json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	if (!v || strlen(v) >= size)
		return -EINVAL;
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int mac_parse(const char *s, unsigned char ret[6])
{
	unsigned v[6];
	char end;

	if (!s || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &end) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		ret[i] = (unsigned char)v[i];
	return 0;
}

/* The endpoints of a record into c (at most CONTAINER_MAX_ENDPOINTS, each complete). */
static int endpoints_from_json(json_t *eps, struct container *c)
{
	json_t *a;
	size_t i;

	if (json_array_size(eps) > CONTAINER_MAX_ENDPOINTS)
		return -EINVAL;
	json_array_foreach(eps, i, a) {
		struct endpoint *ep = &c->eps[i];
		const char *ip = json_string_value(json_object_get(a, "ip"));
		const char *fixed = json_string_value(json_object_get(a, "fixed_ip"));

		if (copy_field(ep->network_id, sizeof(ep->network_id), a, "network_id") ||
		    copy_field(ep->ifname, sizeof(ep->ifname), a, "ifname") || copy_field(ep->veth, sizeof(ep->veth), a, "veth") ||
		    !ip || ip4_parse(ip, &ep->ip, NULL) < 0 || !fixed || ip4_parse(fixed, &ep->fixed_ip, NULL) < 0)
			return -EINVAL;
		if (json_object_get(a, "mac")) {
			if (mac_parse(json_string_value(json_object_get(a, "mac")), ep->mac) < 0)
				return -EINVAL;
			ep->fixed_mac = true;
		} else {
			container_mac_from_ip(ep->ip, ep->mac);
		}
		c->n_eps++;
	}
	return 0;
}

/* The command line of a record into c->argv (NULL-terminated; a non-string is ""). */
static int argv_from_json(json_t *argv, struct container *c)
{
	json_t *a;
	size_t i;

	c->argc = json_array_size(argv);
	c->argv = calloc(c->argc + 1, sizeof(*c->argv));
	if (!c->argv)
		return -ENOMEM;
	json_array_foreach(argv, i, a) {
		c->argv[i] = strdup(json_string_value(a) ? json_string_value(a) : "");
		if (!c->argv[i])
			return -ENOMEM;
	}
	return 0;
}

/* Where the container is in its life: state, process, exit and times (absent ones are 0). */
static void lifecycle_from_json(json_t *o, struct container *c)
{
	const char *state = json_string_value(json_object_get(o, "state"));

	c->auto_remove = json_is_true(json_object_get(o, "auto_remove"));
	c->publish_all = json_is_true(json_object_get(o, "publish_all"));
	c->detached = json_is_true(json_object_get(o, "detached"));
	c->state = state && strcmp(state, "running") == 0 ? CONTAINER_RUNNING :
		   state && strcmp(state, "exited") == 0   ? CONTAINER_EXITED :
							     CONTAINER_CREATED;
	c->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
	c->start_time = (unsigned long long)json_integer_value(json_object_get(o, "start_time"));
	c->exit_code = (int)json_integer_value(json_object_get(o, "exit_code"));
	c->created_at = json_integer_value(json_object_get(o, "created_at"));
	c->started_at = json_integer_value(json_object_get(o, "started_at"));
	c->finished_at = json_integer_value(json_object_get(o, "finished_at"));
	c->start_seq = (uint64_t)json_integer_value(json_object_get(o, "start_seq"));
}

bool container_env_valid(const char *s)
{
	return s && *s != '=' && strchr(s, '=');
}

uint64_t container_next_start_seq(const struct container *all, size_t n)
{
	uint64_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (all[i].start_seq > m)
			m = all[i].start_seq;
	return m + 1;
}

int container_from_json(const char *doc, struct container *ret, struct berr *err)
{
	struct container c = { 0 };
	json_error_t jerr;
	json_t *o;
	int r = 0;

	o = json_loads(doc, 0, &jerr);
	if (!o)
		return berr_set(err, -EINVAL, "container record: %s", jerr.text);
	if (copy_field(c.id, sizeof(c.id), o, "id") || copy_field(c.name, sizeof(c.name), o, "name") ||
	    copy_field(c.hostname, sizeof(c.hostname), o, "hostname"))
		r = -EINVAL;
	if (r >= 0)
		r = endpoints_from_json(json_object_get(o, "endpoints"), &c);
	if (r >= 0)
		r = argv_from_json(json_object_get(o, "argv"), &c);
	if (r >= 0) {
		json_int_t n = json_integer_value(json_object_get(o, "entrypoint_len"));

		c.n_entrypoint = n > 0 && (size_t)n <= c.argc ? (size_t)n : 0;
	}
	if (r >= 0)   /* env and labels are absent in records older than -e and -l */
		r = env_from_json(json_object_get(o, "env"), &c);
	if (r >= 0)
		r = labels_from_json(json_object_get(o, "labels"), &c);
	if (r >= 0) {
		lifecycle_from_json(o, &c);
		r = bindings_from_json(json_object_get(o, "ports"), &c.ports, &c.n_ports);
	}
	if (r >= 0)
		r = bindings_from_json(json_object_get(o, "exposed"), &c.exposed, &c.n_exposed);
	if (r >= 0 && json_object_get(o, "external_netns") &&
	    (copy_field(c.external_netns, sizeof(c.external_netns), o, "external_netns") ||
	     copy_field(c.external_id, sizeof(c.external_id), o, "external_id")))
		r = -EINVAL;
	json_decref(o);
	if (r < 0) {
		container_release(&c);
		return berr_set(err, r, "container record: malformed or incomplete");
	}
	*ret = c;
	return 0;
}
