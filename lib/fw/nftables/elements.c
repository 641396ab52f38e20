/* SPDX-License-Identifier: MIT */
/*
 * Published ports as the elements of the pub4_* maps and sets (publish.nft): a port is only
 * elements, never a rule. Identity ranges become interval elements, overlapping ones on the
 * container side merge, and an element two bindings share is written once.
 */
#include "fw/nftables/elements.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T "inet berth"

/* The order of publish.nft. */
const char *const nft_pub_name[NFT_PUB_N] = {
	[NFT_PUB4_ANY] = "pub4_any",             [NFT_PUB4_HOST] = "pub4_host",
	[NFT_PUB4_ANY_RANGE] = "pub4_any_range", [NFT_PUB4_HOST_RANGE] = "pub4_host_range",
	[NFT_PUB4_ALLOW] = "pub4_allow",         [NFT_PUB4_ALLOW_RANGE] = "pub4_allow_range",
	[NFT_PUB4_HELD_ANY] = "pub4_held_any",   [NFT_PUB4_HELD_HOST] = "pub4_held_host",
};



static struct nft_elem *elem_push(struct nft_elems *e, enum nft_pub_set set)
{
	struct nft_elem *x;

	if (e->err)
		return NULL;
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 16;
		struct nft_elem *v = realloc(e->v, cap * sizeof(*v));

		if (!v) {
			e->err = -ENOMEM;
			return NULL;
		}
		e->v = v;
		e->cap = cap;
	}
	x = &e->v[e->n];
	*x = (struct nft_elem){ .set = set, .seq = e->n };
	e->n++;
	return x;
}

/* The parts of a one-port element, for the kernel's encoding (netlink.c). */
static void one_port_parts(struct nft_elem *x, const struct plan_port *a)
{
	x->host_ip = a->host_ip;
	x->ctr_ip = a->container_ip;
	x->l4 = a->proto;
	x->host_port = (uint16_t)a->host_port;
	x->ctr_port = (uint16_t)a->container_port;
}

static bool identity(const struct plan_port *x)
{
	return !x->internal && x->host_port == x->container_port;
}

/* The last index of the identity run that starts at i: consecutive ports of the plan with the same
 * bridge, container, host address and protocol, host port == container port, each one more than
 * the one before (`-p 9000-9009:9000-9009`, or `-p 9000:9000 -p 9001:9001`). i itself when there
 * is no run: a single port never goes into an interval map (spec 3.2: pipapo is linear). */
static size_t run_end(const struct fw_plan *p, size_t i)
{
	size_t j = i;

	if (!identity(&p->ports[i]))
		return i;
	while (j + 1 < p->n_ports) {
		const struct plan_port *a = &p->ports[j], *b = &p->ports[j + 1];

		if (!identity(b) || b->host_port != a->host_port + 1 || b->container_ip.s_addr != a->container_ip.s_addr ||
		    b->host_ip.s_addr != a->host_ip.s_addr || strcmp(b->proto, a->proto) != 0 ||
		    strcmp(b->bridge, a->bridge) != 0)
			break;
		j++;
	}
	return j;
}

int nft_elem_same(const struct nft_elem *a, const struct nft_elem *b)
{
	int c;

	if (a->set != b->set)
		return a->set < b->set ? -1 : 1;
	if ((c = strcmp(a->key, b->key)) != 0)
		return c;
	return strcmp(a->val, b->val);
}

/* Then by publish order, so that the first of equal elements is the one kept. */
static int elem_cmp(const void *x, const void *y)
{
	const struct nft_elem *a = *(const struct nft_elem *const *)x, *b = *(const struct nft_elem *const *)y;
	int c = nft_elem_same(a, b);

	if (c)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

int nft_elems_sorted(struct nft_elems *e, struct nft_elem ***ret, size_t *ret_n, struct berr *err)
{
	struct nft_elem **s = calloc(e->n ? e->n : 1, sizeof(*s));
	size_t k = 0, m = 0;

	if (!s)
		return berr_set(err, -ENOMEM, "nftables: out of memory");

	/* Elements already merged into another (merge_allow_ranges) are not in the kernel: left out. */
	for (size_t i = 0; i < e->n; i++)
		if (!e->v[i].dup)
			s[m++] = &e->v[i];
	qsort(s, m, sizeof(*s), elem_cmp);
	for (size_t i = 0; i < m; i++) {
		if (k && nft_elem_same(s[k - 1], s[i]) == 0) {
			s[i]->dup = true;
			continue;
		}
		s[k++] = s[i];
	}
	*ret = s;
	*ret_n = k;
	return 0;
}

static int range_cmp(const void *x, const void *y)
{
	const struct nft_elem *a = *(const struct nft_elem *const *)x, *b = *(const struct nft_elem *const *)y;
	int c;

	if (a->ip.s_addr != b->ip.s_addr)
		return ntohl(a->ip.s_addr) < ntohl(b->ip.s_addr) ? -1 : 1;
	if ((c = strcmp(a->proto, b->proto)) != 0)
		return c;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/*
 * The container side of identity ranges, one interval element per container, protocol and run
 * of ports: ranges published on two host addresses (-p A:9000-9009:9000-9009 -p
 * B:9005-9014:9005-9014) overlap on the container, and an interval set refuses overlapping
 * elements ("File exists", spec 5.9). Overlapping ranges become their union, kept in the first
 * one (by port); the others are marked duplicates. Then the keys are written.
 */
static int merge_allow_ranges(struct nft_elems *e)
{
	struct nft_elem **r;
	size_t n = 0;

	for (size_t i = 0; i < e->n; i++)
		n += e->v[i].set == NFT_PUB4_ALLOW_RANGE;
	if (!n)
		return 0;
	r = calloc(n, sizeof(*r));
	if (!r)
		return -ENOMEM;
	n = 0;
	for (size_t i = 0; i < e->n; i++)
		if (e->v[i].set == NFT_PUB4_ALLOW_RANGE)
			r[n++] = &e->v[i];
	qsort(r, n, sizeof(*r), range_cmp);
	for (size_t i = 0, keep = 0; i < n; i++) {
		struct nft_elem *k = r[keep];

		if (i > keep && r[i]->ip.s_addr == k->ip.s_addr && strcmp(r[i]->proto, k->proto) == 0 &&
		    r[i]->lo <= k->hi) {
			if (r[i]->hi > k->hi)
				k->hi = r[i]->hi;
			r[i]->dup = true;
		} else {
			keep = i;
		}
	}
	for (size_t i = 0; i < n; i++) {
		char cip[INET_ADDRSTRLEN];

		ip4_format(r[i]->ip, cip, sizeof(cip));
		snprintf(r[i]->key, sizeof(r[i]->key), "%s . %s . %u-%u", cip, r[i]->proto, r[i]->lo, r[i]->hi);
	}
	free(r);
	return 0;
}

/*
 * With the proxy on, a port its runtime holds (plan_port_nat_loopback) is also an element of
 * pub4_held_any or pub4_held_host, one per port even inside a range: the keys are those of
 * pub4_any/pub4_host, looked up by dnat-held for loopback and hairpin, which the proxy serves
 * for berth's own ports.
 */
static void held_elements(const struct fw_plan *p, size_t from, size_t to, struct nft_elems *e)
{
	char cip[INET_ADDRSTRLEN], hip[INET_ADDRSTRLEN];
	struct nft_elem *x;

	for (size_t i = from; p->userland_proxy && i <= to; i++) {
		const struct plan_port *a = &p->ports[i];
		bool any = a->host_ip.s_addr == htonl(INADDR_ANY);

		if (a->internal || !a->runtime_held)
			continue;
		ip4_format(a->container_ip, cip, sizeof(cip));
		ip4_format(a->host_ip, hip, sizeof(hip));
		if (!(x = elem_push(e, any ? NFT_PUB4_HELD_ANY : NFT_PUB4_HELD_HOST)))
			return;
		if (any)
			snprintf(x->key, sizeof(x->key), "%s . %u", a->proto, a->host_port);
		else
			snprintf(x->key, sizeof(x->key), "%s . %s . %u", hip, a->proto, a->host_port);
		snprintf(x->val, sizeof(x->val), "%s . %u", cip, a->container_port);
		one_port_parts(x, a);
	}
}

/* Ports on internal networks have none (published, no rule: Docker); with the firewall off
 * nothing is published in nftables. */
int nft_elems_of_plan(const struct fw_plan *p, struct nft_elems *e, struct berr *err)
{
	char cip[INET_ADDRSTRLEN], hip[INET_ADDRSTRLEN];
	struct nft_elem **sorted;
	struct nft_elem *x;
	size_t n;
	int r;

	if (!p || !p->firewall)
		return 0;
	for (size_t i = 0, j; i < p->n_ports; i = j + 1) {
		const struct plan_port *a = &p->ports[i], *z;
		bool any = a->host_ip.s_addr == htonl(INADDR_ANY);

		j = run_end(p, i);
		z = &p->ports[j];
		if (a->internal)
			continue;
		ip4_format(a->container_ip, cip, sizeof(cip));
		ip4_format(a->host_ip, hip, sizeof(hip));
		if (j > i) {
			/* Identity range: one interval element, the value is the address only (the port is kept). */
			if ((x = elem_push(e, any ? NFT_PUB4_ANY_RANGE : NFT_PUB4_HOST_RANGE))) {
				if (any)
					snprintf(x->key, sizeof(x->key), "%s . %u-%u", a->proto, a->host_port, z->host_port);
				else
					snprintf(x->key, sizeof(x->key), "%s . %s . %u-%u", hip, a->proto, a->host_port,
						 z->host_port);
				snprintf(x->val, sizeof(x->val), "%s", cip);
			}
			if ((x = elem_push(e, NFT_PUB4_ALLOW_RANGE))) {
				x->ip = a->container_ip;
				x->proto = a->proto;
				x->lo = a->container_port;
				x->hi = z->container_port;
			}
		} else {
			/* One port, or one port of an offset range (nft cannot add an offset to a port): hash elements. */
			if ((x = elem_push(e, any ? NFT_PUB4_ANY : NFT_PUB4_HOST))) {
				if (any)
					snprintf(x->key, sizeof(x->key), "%s . %u", a->proto, a->host_port);
				else
					snprintf(x->key, sizeof(x->key), "%s . %s . %u", hip, a->proto, a->host_port);
				snprintf(x->val, sizeof(x->val), "%s . %u", cip, a->container_port);
				one_port_parts(x, a);
			}
			if ((x = elem_push(e, NFT_PUB4_ALLOW))) {
				snprintf(x->key, sizeof(x->key), "%s . %s . %u", cip, a->proto, a->container_port);
				one_port_parts(x, a);
			}
		}
		held_elements(p, i, j, e);
	}
	if (!e->err && merge_allow_ranges(e) < 0)
		e->err = -ENOMEM;
	if (e->err)
		return berr_set(err, e->err, "nftables: out of memory");
	r = nft_elems_sorted(e, &sorted, &n, err);   /* marks the duplicates */
	if (r < 0)
		return e->err = r;
	free(sorted);
	return 0;
}

int nft_elems_delta(const struct fw_plan *before, const struct fw_plan *after, struct nft_elems *eb,
		    struct nft_elems *ea, struct berr *err)
{
	struct nft_elem **sb = NULL, **sa = NULL;
	size_t nb = 0, na = 0, i = 0, j = 0;
	int r;

	r = nft_elems_of_plan(before, eb, err);
	if (r >= 0)
		r = nft_elems_of_plan(after, ea, err);
	if (r >= 0)
		r = nft_elems_sorted(eb, &sb, &nb, err);
	if (r >= 0)
		r = nft_elems_sorted(ea, &sa, &na, err);
	/* A merge of the two sorted lists: an element (key and value) only before is deleted, only
	 * after is added. */
	while (r >= 0 && (i < nb || j < na)) {
		int c = i == nb ? 1 : j == na ? -1 : nft_elem_same(sb[i], sa[j]);

		if (c < 0)
			sb[i++]->changed = true;
		else if (c > 0)
			sa[j++]->changed = true;
		else
			i++, j++;
	}
	free(sb);
	free(sa);
	return r;
}

void nft_elems_put(struct strbuf *b, const char *verb, const struct nft_elems *e, bool only_changed)
{
	bool del = strcmp(verb, "delete") == 0;

	for (int s = 0; s < NFT_PUB_N; s++) {
		bool first = true;

		for (size_t i = 0; i < e->n; i++) {
			const struct nft_elem *x = &e->v[i];

			if ((int)x->set != s || x->dup || (only_changed && !x->changed))
				continue;
			if (first)
				strbuf_addf(b, "%s element " T " %s { ", verb, nft_pub_name[s]);
			else
				strbuf_add(b, ", ");
			first = false;
			if (x->val[0] && !del)
				strbuf_addf(b, "%s : %s", x->key, x->val);
			else
				strbuf_add(b, x->key);
		}
		if (!first)
			strbuf_add(b, " }\n");
	}
}

void nft_elems_release(struct nft_elems *e)
{
	free(e->v);
	*e = (struct nft_elems){ 0 };
}
