/* SPDX-License-Identifier: MIT */
#include "model/portspec.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cidr.h"
#include "model/ip4_scope.h"

#define PUBLISH_FORM "[HOSTIP:][HOSTPORT[-END]:]CPORT[-END][/tcp|udp|sctp]"
#define EXPOSE_FORM "PORT[-END][/tcp|udp|sctp]"

static const char *const proto_names[] = {
	[PROTO_TCP] = "tcp",
	[PROTO_UDP] = "udp",
	[PROTO_SCTP] = "sctp",
};

const char *proto_name(uint8_t proto)
{
	if (proto >= sizeof(proto_names) / sizeof(proto_names[0]))
		return "unknown";
	return proto_names[proto];
}

int proto_parse(const char *s, uint8_t *ret, struct berr *err)
{
	uint8_t i;

	for (i = 0; s && i < sizeof(proto_names) / sizeof(proto_names[0]); i++) {
		if (strcmp(s, proto_names[i]) == 0) {
			*ret = i;
			return 0;
		}
	}
	return berr_set(err, -EINVAL, "unknown protocol \"%s\" (expected tcp, udp or sctp)", s ? s : "");
}

/* Long text is cut in messages, so that the reason still fits in a struct berr. */
#define CLIP_MAX 100
#define CLIP(len) (int)((len) > CLIP_MAX ? CLIP_MAX : (len))
#define ELLIPSIS(len) ((len) > CLIP_MAX ? "..." : "")

/* What is being parsed, for messages: "invalid port spec \"8080:x\": ... (expected ...)". */
struct what {
	const char *spec;
	const char *kind;      /* "port spec", "exposed port" */
	const char *form;
};

static int refuse(struct berr *err, const struct what *w, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct berr *err, const struct what *w, const char *fmt, ...)
{
	char reason[BERR_MSG_MAX];
	va_list ap;

	if (!err)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return berr_set(err, -EINVAL, "invalid %s \"%.*s%s\": %s (expected %s)", w->kind, CLIP(strlen(w->spec)), w->spec,
			ELLIPSIS(strlen(w->spec)), reason, w->form);
}

/* A piece of the spec: not NUL-terminated. */
struct span {
	const char *p;
	size_t len;
};

struct range {
	uint16_t start, end;
	bool is_range;         /* written START-END (even if START == END) */
};

/* Decimal digits only; 1-65535. Leading zeros are decimal ("080" is 80), as in docker. */
static int parse_num(struct span s, const char *name, struct span field, uint16_t *ret, struct berr *err,
		     const struct what *w)
{
	unsigned long v = 0;
	size_t i;

	if (s.len == 0 && field.len == 0)
		return refuse(err, w, "empty %s", name);
	if (s.len == 0)
		goto nan;
	for (i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			goto nan;
		if (v <= 65535)
			v = v * 10 + (unsigned long)(s.p[i] - '0');
	}
	if (v < 1 || v > 65535)
		return refuse(err, w, "port %.*s%s out of range 1-65535", CLIP(s.len), s.p, ELLIPSIS(s.len));
	*ret = (uint16_t)v;
	return 0;
nan:
	return refuse(err, w, "%s \"%.*s%s\" is not a number (or a range START-END)", name, CLIP(field.len), field.p,
		      ELLIPSIS(field.len));
}

/* "N" or "N-M" with N <= M. */
static int parse_range(struct span s, const char *name, struct range *ret, struct berr *err, const struct what *w)
{
	const char *dash = memchr(s.p, '-', s.len);
	struct span a = s, b;
	int r;

	ret->is_range = dash != NULL;
	if (!dash) {
		r = parse_num(s, name, s, &ret->start, err, w);
		ret->end = ret->start;
		return r;
	}
	a.len = (size_t)(dash - s.p);
	b.p = dash + 1;
	b.len = s.len - a.len - 1;
	r = parse_num(a, name, s, &ret->start, err, w);
	if (r < 0)
		return r;
	r = parse_num(b, name, s, &ret->end, err, w);
	if (r < 0)
		return r;
	if (ret->end < ret->start)
		return refuse(err, w, "%s range %u-%u ends before it starts", name, ret->start, ret->end);
	return 0;
}

static unsigned range_len(const struct range *r)
{
	return (unsigned)r->end - r->start + 1;
}

/* Splits "PORTS[/PROTO]" at the first '/'. */
static int split_proto(const char *spec, struct span *ports, uint8_t *proto, struct berr *err,
		       const struct what *w)
{
	const char *slash = strchr(spec, '/');

	ports->p = spec;
	ports->len = slash ? (size_t)(slash - spec) : strlen(spec);
	*proto = PROTO_TCP;
	if (slash && proto_parse(slash + 1, proto, NULL) < 0)
		return refuse(err, w, "unknown protocol \"%.*s%s\"", CLIP(strlen(slash + 1)),
			      slash + 1, ELLIPSIS(strlen(slash + 1)));
	return 0;
}

static bool has_char(struct span s, char c)
{
	return memchr(s.p, c, s.len) != NULL;
}

/* The host address of HIP:HPORT:CPORT: a strict IPv4 dotted quad. */
static int parse_host(struct span h, struct in_addr *ret, struct berr *err, const struct what *w)
{
	char buf[64];
	struct in6_addr a6;
	struct berr why = { 0 };
	bool v6 = false;

	if (h.len == 0)
		return refuse(err, w, "empty host address (leave out \"HOSTIP:\" to publish on every address)");
	if (h.len < sizeof(buf)) {
		memcpy(buf, h.p, h.len);
		buf[h.len] = '\0';
		if (h.len >= 2 && buf[0] == '[' && buf[h.len - 1] == ']') {
			memmove(buf, buf + 1, h.len - 2);
			buf[h.len - 2] = '\0';
		}
		v6 = inet_pton(AF_INET6, buf, &a6) == 1;
	}
	if (v6 || (h.len >= 2 && memmem(h.p, h.len, "::", 2)))
		return refuse(err, w, "IPv6 host address \"%.*s%s\": only IPv4 host addresses are supported",
			      CLIP(h.len), h.p, ELLIPSIS(h.len));
	if (h.p[0] == '[')
		return refuse(err, w, "host address \"%.*s\" in brackets: only IPv4 host addresses are supported, "
			      "written A.B.C.D", CLIP(h.len), h.p);
	if (has_char(h, ':'))
		return refuse(err, w, "too many colons");
	if (h.len >= sizeof(buf) || ip4_parse(buf, ret, NULL) < 0)
		return refuse(err, w, "bad host address \"%.*s%s\" (only IPv4 host addresses A.B.C.D are supported)",
			      CLIP(h.len), h.p, ELLIPSIS(h.len));
	if (ip4_check_host_ip(*ret, "host address", &why) < 0)
		return refuse(err, w, "%s", why.msg);
	return 0;
}

/* Makes room for count more bindings; nothing changes on error. */
static int grow(struct port_binding **v, size_t *n, size_t count, struct berr *err, const struct what *w)
{
	struct port_binding *nv;

	if (*n > PORTSPEC_MAX || count > PORTSPEC_MAX - *n)
		return berr_set(err, -E2BIG,
				"%s \"%.*s%s\": %zu more port bindings on top of %zu would exceed the %d one container may have",
				w->kind, CLIP(strlen(w->spec)), w->spec, ELLIPSIS(strlen(w->spec)), count, *n, PORTSPEC_MAX);
	nv = realloc(*v, (*n + count) * sizeof(**v));
	if (!nv)
		return berr_errno(err, -ENOMEM, "%s \"%.*s%s\"", w->kind, CLIP(strlen(w->spec)), w->spec,
				  ELLIPSIS(strlen(w->spec)));
	*v = nv;
	return 0;
}

/* The three parts of a -p spec (without its "/proto"): CPORT, HPORT:CPORT, HIP:HPORT:CPORT. The
 * last two colons split; the rest is the address. An absent part has length 0. */
struct publish_parts {
	struct span host, hport, cport;
	bool has_host, has_hport;    /* their colons are there (the part may still be empty) */
};

static struct publish_parts split_publish(struct span ports)
{
	struct publish_parts pp = { 0 };
	const char *c1 = NULL, *c2 = NULL, *p;

	for (p = ports.p + ports.len; p > ports.p; p--) {
		if (p[-1] != ':')
			continue;
		if (!c1) {
			c1 = p - 1;
		} else {
			c2 = p - 1;
			break;
		}
	}
	pp.cport.p = c1 ? c1 + 1 : ports.p;
	pp.cport.len = (size_t)(ports.p + ports.len - pp.cport.p);
	if (c2) {
		pp.host.p = ports.p;
		pp.host.len = (size_t)(c2 - ports.p);
		pp.hport.p = c2 + 1;
		pp.hport.len = (size_t)(c1 - pp.hport.p);
	} else if (c1) {
		pp.hport.p = ports.p;
		pp.hport.len = (size_t)(c1 - ports.p);
	}
	pp.has_host = c2 != NULL;
	pp.has_hport = c1 != NULL;
	return pp;
}

/* A host range maps onto a container range of the same length, or onto one container port. */
static int check_range_lengths(const struct range *hr, const struct range *cr, struct berr *err,
			       const struct what *w)
{
	if (range_len(hr) == range_len(cr) || range_len(cr) == 1)
		return 0;
	if (hr->is_range)
		return refuse(err, w, "host range %u-%u and container range %u-%u differ in length", hr->start, hr->end,
			      cr->start, cr->end);
	return refuse(err, w, "host port %u and container range %u-%u differ in length", hr->start, cr->start,
		      cr->end);
}

/* Appends the bindings of one parsed spec, each a copy of base (protocol and host address) with
 * its ports; hr is NULL when no host port was given. A host range for one container port is one
 * binding: berthd picks a free port in it. */
static int append_published(struct port_binding **v, size_t *n, const struct port_binding *base,
			    const struct range *hr, const struct range *cr, struct berr *err, const struct what *w)
{
	size_t count = hr && range_len(cr) == 1 ? 1 : range_len(cr);
	int r = grow(v, n, count, err, w);

	if (r < 0)
		return r;
	for (size_t i = 0; i < count; i++) {
		struct port_binding *b = &(*v)[*n + i];

		memset(b, 0, sizeof(*b));
		b->proto = base->proto;
		b->host_ip = base->host_ip;
		b->host_ip_default = base->host_ip_default;
		b->container_port = (uint16_t)(cr->start + i);
		if (!hr) {
			b->host_port = b->host_port_end = 0;
		} else if (count == 1) {
			b->host_port = hr->start;
			b->host_port_end = hr->end;
		} else {
			b->host_port = b->host_port_end = (uint16_t)(hr->start + i);
		}
	}
	*n += count;
	return 0;
}

int portspec_parse(const char *spec, struct port_binding **v, size_t *n, struct berr *err)
{
	struct what w = { .spec = spec ? spec : "", .kind = "port spec", .form = PUBLISH_FORM };
	struct span ports;
	struct publish_parts pp;
	struct port_binding base = { .host_ip.s_addr = htonl(INADDR_ANY) };
	struct range hr = { 0 }, cr;
	int r;

	if (!v || !n)
		return berr_set(err, -EINVAL, "portspec_parse: no array to append to");
	if (!spec || !*spec)
		return refuse(err, &w, "empty");
	r = split_proto(spec, &ports, &base.proto, err, &w);
	if (r < 0)
		return r;
	/* "[::1]:80" has too few colons after the address to be split like the others. */
	if (ports.len && ports.p[0] == '[') {
		const char *close = memchr(ports.p, ']', ports.len);
		struct span host = { .p = ports.p, .len = close ? (size_t)(close - ports.p) + 1 : ports.len };

		return parse_host(host, &base.host_ip, err, &w);   /* refuses: brackets are for IPv6 */
	}
	pp = split_publish(ports);
	if (pp.has_host && (r = parse_host(pp.host, &base.host_ip, err, &w)) < 0)
		return r;
	if (pp.has_hport && !pp.has_host && !pp.hport.len)
		return refuse(err, &w, "empty host port (leave out \"HOSTPORT:\" to have one picked)");
	r = parse_range(pp.cport, "container port", &cr, err, &w);
	if (r < 0)
		return r;
	if (pp.hport.len) {
		r = parse_range(pp.hport, "host port", &hr, err, &w);
		if (r < 0 || (r = check_range_lengths(&hr, &cr, err, &w)) < 0)
			return r;
	}
	base.host_ip_default = pp.host.len == 0;
	return append_published(v, n, &base, pp.hport.len ? &hr : NULL, &cr, err, &w);
}

int portspec_parse_expose(const char *spec, struct port_binding **v, size_t *n, struct berr *err)
{
	struct what w = { .spec = spec ? spec : "", .kind = "exposed port", .form = EXPOSE_FORM };
	struct span ports;
	struct range cr;
	size_t count, i;
	uint8_t proto;
	int r;

	if (!v || !n)
		return berr_set(err, -EINVAL, "portspec_parse_expose: no array to append to");
	if (!spec || !*spec)
		return refuse(err, &w, "empty");
	r = split_proto(spec, &ports, &proto, err, &w);
	if (r < 0)
		return r;
	if (has_char(ports, ':'))
		return refuse(err, &w, "no host address or host port here (publish with -p HOSTPORT:CPORT)");
	r = parse_range(ports, "port", &cr, err, &w);
	if (r < 0)
		return r;
	count = range_len(&cr);
	r = grow(v, n, count, err, &w);
	if (r < 0)
		return r;
	for (i = 0; i < count; i++) {
		struct port_binding *b = &(*v)[*n + i];

		memset(b, 0, sizeof(*b));
		b->proto = proto;
		b->host_ip.s_addr = htonl(INADDR_ANY);
		b->host_ip_default = true;
		b->container_port = (uint16_t)(cr.start + i);
	}
	*n += count;
	return 0;
}

char *port_binding_format(const struct port_binding *b, char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN];

	if (!len)
		return buf;
	if (b->host_port == 0)
		snprintf(buf, len, "%u/%s", b->container_port, proto_name(b->proto));
	else if (b->host_port_end > b->host_port)
		snprintf(buf, len, "%s:%u-%u->%u/%s", ip4_format(b->host_ip, ip, sizeof(ip)), b->host_port,
			 b->host_port_end, b->container_port, proto_name(b->proto));
	else
		snprintf(buf, len, "%s:%u->%u/%s", ip4_format(b->host_ip, ip, sizeof(ip)), b->host_port,
			 b->container_port, proto_name(b->proto));
	return buf;
}
