/* SPDX-License-Identifier: MIT */
/*
 * The nftables backend: berth's tables `inet berth` and `bridge berth` (render.c) applied
 * in-process, one transaction per change.
 *
 * What berth knows about the kernel: the plan it applied last, the ruleset generation right
 * after, and its tables at that generation as listing.h splits them: the shape (listed after
 * a whole replace) and the published-port elements (derived from the plan, so a change of ports
 * lists nothing: with 10,000 ports a listing costs ~190 ms, the element change a few). An apply
 * first asks the generation (one netlink round trip): unchanged means nobody committed since,
 * and a change of ports is sent as element adds and deletes only. What berth then knows is
 * taken only if the generation after the commit is the one before it plus one; otherwise someone
 * else committed in between and berth forgets its reference, so that the next check replaces.
 * A changed generation means someone committed something, usually elsewhere (iptables-nft,
 * another table): the tables are listed and compared with what berth knows; equal, the new
 * generation is taken; different, the tables are replaced whole — the drift repair. Networks
 * that come and go are a delta too (their chains and dispatch elements; the shape is listed
 * after). Only a start, a drift, or a bridge that changed its network replaces the tables
 * whole, in one transaction that re-emits the admin's part read just before (admin.h):
 * otherwise berth never touches it.
 */
#include "fw/fw_ops.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw/nftables/admin.h"
#include "fw/nftables/elements.h"
#include "fw/nftables/listing.h"
#include "fw/nftables/netlink.h"
#include "fw/nftables/render.h"
#include "fw/nftables/tool.h"
#include "util/linediff.h"
#include "util/strbuf.h"

struct nft_backend {
	struct nft_tool *tool;
	struct nft_netlink *nl;    /* port changes (netlink.h) */
	char notice[512];          /* something about the host the operator should know; "" if nothing */
	struct fw_plan *applied;   /* NULL: nothing applied by this process yet */
	bool forward_drop;         /* berth's forward chain has policy drop (see forward_policy) */
	uint32_t genid;
	char *shape;               /* NULL: unknown, list before comparing */
	struct strv ports;
};

static void nft_free(void *be)
{
	struct nft_backend *s = be;

	if (!s)
		return;
	nft_tool_free(s->tool);
	nft_netlink_free(s->nl);
	fw_plan_free(s->applied);
	free(s->shape);
	strv_release(&s->ports);
	free(s);
}

/* Both of berth's tables, as nft lists them ("" for a table that does not exist). */
static int list_tables(struct nft_tool *t, char **ret, struct berr *err)
{
	char *inet = NULL, *bridge = NULL;
	struct strbuf b = { 0 };
	int r;

	r = nft_tool_list(t, "inet", "berth", &inet, err);
	if (r >= 0)
		r = nft_tool_list(t, "bridge", "berth", &bridge, err);
	if (r >= 0) {
		strbuf_add(&b, inet);
		strbuf_add(&b, bridge);
		*ret = strbuf_steal(&b);
		if (!*ret)
			r = berr_set(err, -ENOMEM, "nftables: out of memory");
	}
	free(inet);
	free(bridge);
	return r;
}

/* Berth's tables as the kernel has them, split. A generation that moves while listing means
 * someone else committed in between; listing again gives a listing of one generation. */
static int list_split(struct nft_backend *s, char **shape, struct strv *ports, uint32_t *gen, struct berr *err)
{
	char *live = NULL;
	uint32_t g1 = 0, g2 = 0;
	int r;

	for (int i = 0; i < 3; i++) {
		free(live);
		live = NULL;
		r = nft_tool_genid(s->tool, &g1, err);
		if (r >= 0)
			r = list_tables(s->tool, &live, err);
		if (r >= 0)
			r = nft_tool_genid(s->tool, &g2, err);
		if (r < 0 || g1 == g2)
			break;
	}
	if (r >= 0)
		r = nft_listing_split(live, shape, ports, err);
	free(live);
	if (r >= 0 && gen)
		*gen = g2;
	return r;
}

static int keep_applied(struct nft_backend *s, const struct fw_plan *p, struct berr *err)
{
	struct fw_plan *c = fw_plan_dup(p);

	if (!c)
		return berr_set(err, -ENOMEM, "nftables: out of memory");
	fw_plan_free(s->applied);
	s->applied = c;
	return 0;
}

/*
 * Runs a script and learns what the kernel then holds. Only a generation one past the one just
 * before the commit is berth's own state: a listing of any other generation may hold someone
 * else's change made meanwhile (a firewalld reload during a container start), which must not
 * become the reference it is compared with. Then the reference is dropped, and the next check —
 * the notification of that other commit schedules one — lists and replaces. Without a change of
 * shape nothing is listed at all: the elements are the plan's.
 */
struct change {
	const char *script;                  /* through libnftables, or */
	const struct nft_elems *del, *add;   /* their changed elements over netlink */
};

static int commit(struct nft_backend *s, const struct change *c, bool shape_changed, const struct fw_plan *p,
		  struct berr *err)
{
	struct strv ports = { 0 };
	char *shape = NULL;
	uint32_t before = 0, after = 0;
	int r;

	r = nft_tool_genid(s->tool, &before, err);
	if (r >= 0)
		r = c->script ? nft_tool_run(s->tool, c->script, err) : nft_netlink_apply(s->nl, c->del, c->add, err);
	if (r < 0)
		return r;
	if (shape_changed) {
		r = list_split(s, &shape, &ports, &after, err);
	} else {
		r = nft_tool_genid(s->tool, &after, err);
		if (r >= 0 && after == before + 1 && s->shape)
			r = nft_port_elements(p, &ports, err);
	}
	if (r >= 0 && after == before + 1 && (shape || s->shape)) {
		if (shape) {
			free(s->shape);
			s->shape = shape;
			shape = NULL;
		}
		strv_release(&s->ports);
		s->ports = ports;
		ports = (struct strv){ 0 };
		s->genid = after;
	} else if (r >= 0) {
		free(s->shape);
		s->shape = NULL;   /* unknown: the next check lists and replaces */
	}
	free(shape);
	strv_release(&ports);
	if (r >= 0)
		r = keep_applied(s, p, err);
	return r;
}

/*
 * The policy of berth's forward chain in a replace: drop when the plan says berth owns the drop
 * (berthd switched forwarding on, now or at an earlier start: the iptables backend's FORWARD
 * DROP). The first replace of this process also carries over a drop the live chain has (left by
 * a berthd that kept no record of it; a deleted table must not turn the host into a router);
 * from then on the policy is what berth decided, never read back, so that someone's
 * `nft chain inet berth forward { policy accept; }` is drift, repaired like any other.
 */
static bool forward_policy_drop(const struct nft_backend *s, const struct fw_plan *p, const char *live)
{
	const char *chain = strstr(live, "\n\tchain forward {\n"), *type, *end;

	if (p->set_forward_drop)
		return true;
	if (s->applied || !chain)
		return s->forward_drop;
	type = chain + strlen("\n\tchain forward {\n");
	end = strchr(type, '\n');
	return end && memmem(type, (size_t)(end - type), "policy drop;", strlen("policy drop;"));
}

/* The tables replaced whole, in one transaction, with the admin's user-forward rules kept. */
static int replace(struct nft_backend *s, const struct fw_plan *p, struct berr *err)
{
	char *live = NULL, *user = NULL, *objects = NULL, *script = NULL;
	struct fw_plan keep;
	int r;

	r = nft_tool_list(s->tool, "inet", "berth", &live, err);
	if (r < 0)
		return berr_wrap(err, r, "read the user-forward chain");
	keep = *p;
	keep.set_forward_drop = forward_policy_drop(s, p, live);
	p = &keep;
	r = nft_user_forward_rules(live, &user, err);
	if (r >= 0)
		r = nft_admin_objects(live, &objects, err);
	if (r >= 0)
		r = nft_render_full(p, &(struct nft_admin){ .forward_rules = user, .objects = objects }, &script, err);
	if (r >= 0)
		r = commit(s, &(struct change){ .script = script }, true, p, err);
	if (r >= 0)
		s->forward_drop = p->set_forward_drop;
	free(live);
	free(user);
	free(objects);
	free(script);
	return r < 0 ? r : 1;
}

/* A change of one-port elements only (most starts and stops), over netlink in one batch;
 * -ENOTSUP for anything else, which the script says. */
static int update_ports(struct nft_backend *s, const struct fw_plan *p, struct berr *err)
{
	struct nft_elems del = { 0 }, add = { 0 };
	int r;

	if (!s->nl)
		return -ENOTSUP;
	r = nft_elems_delta(s->applied, p, &del, &add, err);
	if (r >= 0 && !nft_netlink_writable(&del, &add))
		r = -ENOTSUP;
	if (r >= 0)
		r = commit(s, &(struct change){ .del = &del, .add = &add }, false, p, err);
	nft_elems_release(&del);
	nft_elems_release(&add);
	return r < 0 ? r : 1;
}

/* What changed since the applied plan, as one transaction: element deletes and adds, and the
 * chains of networks that came or went. -ENOTSUP when only a whole replace can express it. */
static int update(struct nft_backend *s, const struct fw_plan *p, struct berr *err)
{
	bool networks = !fw_plan_same_shape(s->applied, p);
	char *delta = NULL;
	int r;

	if (!networks) {
		r = update_ports(s, p, err);
		if (r != -ENOTSUP)
			return r;
	}
	r = nft_render_delta(s->applied, p, &delta, err);
	if (r < 0)
		return r;
	if (!*delta) {
		free(delta);
		return keep_applied(s, p, err);
	}
	r = commit(s, &(struct change){ .script = delta }, networks, p, err);
	free(delta);
	return r < 0 ? r : 1;
}

/* Is the kernel still what berth left? Cheap when nobody committed since. */
static int intact(struct nft_backend *s, bool *ret, struct berr *err)
{
	struct strv ports = { 0 };
	char *shape = NULL;
	uint32_t g;
	int r;

	r = nft_tool_genid(s->tool, &g, err);
	if (r < 0)
		return r;
	if (g == s->genid && s->shape) {
		*ret = true;
		return 0;
	}
	r = list_split(s, &shape, &ports, &g, err);
	if (r < 0)
		return r;
	*ret = s->shape && strcmp(shape, s->shape) == 0 && strv_equal(&ports, &s->ports);
	if (*ret)
		s->genid = g;   /* someone else's commit, elsewhere; and a user-forward edit lands here */
	free(shape);
	strv_release(&ports);
	return 0;
}

/* Pitfall 1 of the spec: an accept is final only in its own base chain, so another table's
 * forward chain with policy drop (iptables-nft's FORWARD after Docker or ufw, firewalld) drops
 * what berth accepts. Said once, at start; berth does not touch other tables. */
static void notice_forward_drops(struct nft_backend *s)
{
	struct strv drops = { 0 };
	struct berr ignored = { 0 };
	struct strbuf b = { 0 };
	char *text;

	if (nft_tool_forward_drops(s->tool, &drops, &ignored) < 0 || drops.n == 0) {
		strv_release(&drops);
		return;
	}
	for (size_t i = 0; i < drops.n; i++)
		strbuf_addf(&b, "%s%s", i ? ", " : "", drops.v[i]);
	text = strbuf_steal(&b);
	snprintf(s->notice, sizeof(s->notice),
		 "forward chain(s) of other tables drop by default (%s): an accept in berth's tables cannot "
		 "override them, so published ports and containers' outgoing traffic are dropped there unless "
		 "those chains accept them",
		 text ? text : "?");
	free(text);
	strv_release(&drops);
}

static int nft_open(void **ret, struct berr *err)
{
	struct nft_backend *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return berr_set(err, -ENOMEM, "nftables: out of memory");
	r = nft_tool_open(&s->tool, err);
	if (r >= 0)
		r = nft_netlink_open(&s->nl, err);
	if (r < 0) {
		nft_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

static const char *nft_describe(const void *be)
{
	(void)be;
	return "nftables";
}

static const char *nft_variant(const void *be)
{
	(void)be;
	return "nf_tables";
}

static const char *nft_notice(const void *be)
{
	const struct nft_backend *s = be;

	return s->notice;
}

/* history is the iptables backend's: berth's tables are its own, found by listing them. */
static int nft_apply(void *be, const struct fw_plan *p, char *const *history, struct berr *err)
{
	struct nft_backend *s = be;
	struct berr first = { 0 };
	bool ok = false;
	int r;

	(void)history;
	if (!s->applied) {
		notice_forward_drops(s);
		return replace(s, p, err);
	}
	r = intact(s, &ok, err);
	if (r < 0)
		return r;
	if (!ok)
		return replace(s, p, err);
	r = update(s, p, &first);
	if (r >= 0)
		return r;
	if (r == -ENOTSUP)
		return replace(s, p, err);
	/* Something the kernel refused (someone added a conflicting element between our generation
	 * check and the commit): the whole tables, from the plan, settle it. */
	r = replace(s, p, err);
	return r < 0 ? berr_wrap(err, r, "%s; then replacing the tables", first.msg) : r;
}

/* Deletes berth's tables if they exist (the iptables backend's start, after a run with
 * nftables). */
static int nft_remove(void *be, const struct fw_plan *p, char *const *history, struct berr *err)
{
	static const char script[] = "table inet berth {}\ndelete table inet berth\n"
				     "table bridge berth {}\ndelete table bridge berth\n";
	struct nft_backend *s = be;
	char *live = NULL;
	int r;

	(void)p;
	(void)history;
	r = list_tables(s->tool, &live, err);
	if (r >= 0 && *live)
		r = nft_tool_run(s->tool, script, err) < 0 ? -EINVAL : 1;
	free(live);
	return r < 0 ? berr_wrap(err, r, "remove the nftables backend's tables") : r;
}

/* What berth wants, in the form nft_listing_join() writes: what berth knows of its tables when
 * the plan is the applied one (it is, once the daemon reconciled), otherwise the script berth
 * would load. */
static int desired_text(struct nft_backend *s, const struct fw_plan *p, char **ret, struct berr *err)
{
	char *delta = NULL;
	bool same = false;

	/* A plan no delta can reach from the applied one is not the applied one: no error here. */
	if (s->applied && s->shape && fw_plan_same_shape(s->applied, p) &&
	    nft_render_delta(s->applied, p, &delta, NULL) >= 0) {
		same = !*delta;
		free(delta);
	}
	if (same)
		return nft_listing_join(s->shape, &s->ports, ret, err);
	return nft_render_full(p, NULL, ret, err);
}

static int nft_show(void *be, const struct fw_plan *p, char *const *history, enum fw_view view, char **ret,
		    bool *ret_differ, struct berr *err)
{
	struct nft_backend *s = be;
	char *want = NULL, *have = NULL, *shape = NULL, *text = NULL;
	struct strv ports = { 0 };
	bool differ = false;
	int r = 0;

	(void)history;
	if (view != FW_VIEW_LIVE) {
		r = desired_text(s, p, &want, err);
		if (r < 0)
			goto out;
	}
	if (view == FW_VIEW_LIVE) {
		r = list_tables(s->tool, &have, err);   /* as nft lists it, the admin's rules included */
		if (r < 0)
			goto out;
	} else if (view == FW_VIEW_DIFF) {
		r = list_split(s, &shape, &ports, NULL, err);
		if (r < 0)
			goto out;
		r = nft_listing_join(shape, &ports, &have, err);
		if (r < 0)
			goto out;
	}
	if (view == FW_VIEW_DIFF) {
		text = linediff(want, have, "berth (desired)", "kernel (live)", &differ);
		if (!text) {
			r = berr_set(err, -ENOMEM, "nftables: out of memory");
			goto out;
		}
	} else if (view == FW_VIEW_DESIRED) {
		text = want;
		want = NULL;
	} else {
		text = have;
		have = NULL;
	}
	*ret = text;
	if (ret_differ)
		*ret_differ = differ;
out:
	free(want);
	free(have);
	free(shape);
	strv_release(&ports);
	return r;
}

/* The iptables backend's leftovers go before berth's tables are loaded: if its FORWARD DROP
 * cannot be lifted, the start fails before the tables accept traffic that the drop would
 * drop anyway (an accept is final only within its own base chain). */
const struct fw_ops fw_nftables_ops = {
	.name = "nftables",
	.open = nft_open,
	.free = nft_free,
	.describe = nft_describe,
	.variant = nft_variant,
	.notice = nft_notice,
	.apply = nft_apply,
	.show = nft_show,
	.remove = nft_remove,
	.remove_other_first = true,
};
