/* SPDX-License-Identifier: MIT */
/*
 * One table's base chain at one hook, rule by rule, as xt_do_table / nft_do_chain run it:
 *  - ACCEPT ends this base chain only (later tables and hooks still run); DROP and REJECT end
 *    everything;
 *  - -j pushes a return point, -g does not (so a RETURN, or the end, of a goto'd chain goes back
 *    to the caller of the chain that did the goto);
 *  - the end of a user chain is an implicit RETURN, the end (or a RETURN) of a base chain its
 *    policy;
 *  - LOG, MARK, ... and rules without a target go on to the next rule;
 *  - the NAT targets are terminal in nat and bind the flow's translation.
 * A rule whose conditions depend on unknown state is recorded as DEPENDS and the walk goes on
 * as if it did not match; the packet's answer carries the dependency, so nothing is guessed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/host.h"
#include "trace/nft.h"

static struct tr_step *add_step(struct tr_ctx *c)
{
	struct tr_packet_result *pr = c->pr;
	struct tr_step *s;

	if (c->total_steps++ >= TR_STEPS_MAX) {
		c->error = -ELOOP;
		return NULL;
	}
	if (pr->n_steps == pr->cap_steps) {
		size_t cap = pr->cap_steps ? pr->cap_steps * 2 : 64;
		struct tr_step *v = realloc(pr->steps, cap * sizeof(*v));

		if (!v) {
			c->error = -ENOMEM;
			return NULL;
		}
		pr->steps = v;
		pr->cap_steps = cap;
	}
	s = &pr->steps[pr->n_steps++];
	*s = (struct tr_step){ .hook = c->hook, .table = c->table, .visit = c->visit, .failed = -1,
			       .tname = c->nft ? c->nft->name : NULL,
			       .mark = c->p.mark, .untracked = c->flow->untracked };
	return s;
}

static int add_visit(struct tr_ctx *c, const struct tr_chain *base)
{
	struct tr_packet_result *pr = c->pr;

	if (pr->n_visits == pr->cap_visits) {
		size_t cap = pr->cap_visits ? pr->cap_visits * 2 : 16;
		struct tr_visit *v = realloc(pr->visits, cap * sizeof(*v));

		if (!v)
			return c->error = -ENOMEM;
		pr->visits = v;
		pr->cap_visits = cap;
	}
	pr->visits[pr->n_visits] = (struct tr_visit){ .hook = c->hook, .table = c->table, .pkt = c->p,
						      .tname = c->nft ? c->nft->name : NULL, .chain = base->name,
						      .orig = c->flow->orig, .state = c->state, .reply = c->reply,
						      .bridged = c->bridged, .dnat = c->flow->dnat, .snat = c->flow->snat };
	c->visit = pr->n_visits++;
	return 0;
}

int tr_note(struct tr_packet_result *pr, const char *fmt, ...)
{
	char buf[400], **v;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < pr->n_notes; i++)
		if (strcmp(pr->notes[i], buf) == 0)
			return 0;
	v = realloc(pr->notes, (pr->n_notes + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	pr->notes = v;
	if (!(v[pr->n_notes] = strdup(buf)))
		return -ENOMEM;
	pr->n_notes++;
	return 0;
}

/* The translation a NAT target binds, applied to the packet at once (the kernel's nf_nat
 * mangles the packet when the nat hook returns). */
static void apply_nat(struct tr_ctx *c, const struct tr_nft_action *r, const char *chain)
{
	struct tr_flow *f = c->flow;
	char a[20], nh[20];

	switch (r->verdict) {
	case TR_V_DNAT:
	case TR_V_REDIRECT: {
		uint32_t to = r->to_addr;

		if (r->verdict == TR_V_REDIRECT)
			to = c->hook == TR_OUTPUT ? 0x7f000001u : tr_select_addr(c->snap, c->p.in, c->p.dst);
		f->dnat = true;
		f->dnat_addr = to ? to : c->p.dst;
		f->dnat_port = r->to_port ? r->to_port : c->p.dport;
		c->p.dst = f->dnat_addr;
		c->p.dport = f->dnat_port;
		snprintf(f->dnat_rule, sizeof(f->dnat_rule), "%s", chain);
		break;
	}
	case TR_V_SNAT:
	case TR_V_MASQUERADE: {
		uint32_t to = r->to_addr;

		if (r->verdict == TR_V_MASQUERADE) {
			struct tr_route rt;
			uint32_t nexthop = c->p.dst;

			if (tr_route_lookup(c->snap, c->p.dst, &rt) && rt.via)
				nexthop = rt.via;
			to = tr_select_addr(c->snap, c->p.out, nexthop);
			snprintf(c->pr->masq_note, sizeof(c->pr->masq_note),
				 "MASQUERADE: source %s, the address of %s that fits next hop %s (port preserved if free)",
				 tr_ip_str(to, a, sizeof(a)), c->p.out, tr_ip_str(nexthop, nh, sizeof(nh)));
		}
		f->snat = true;
		f->snat_addr = to ? to : c->p.src;
		f->snat_port = r->to_port ? r->to_port : c->p.sport;
		c->p.src = f->snat_addr;
		c->p.sport = f->snat_port;
		break;
	}
	default:
		break;
	}
}

struct frame {
	const struct tr_chain *chain;
	size_t next;
};

static enum tr_verdict policy_step(struct tr_ctx *c, const struct tr_chain *base)
{
	struct tr_step *s = add_step(c);

	if (!s)
		return TR_V_DROP;
	s->kind = TR_STEP_POLICY;
	s->chain = base->name;
	s->matched = TR_YES;
	s->verdict = (enum tr_verdict)base->policy;
	return (enum tr_verdict)base->policy;
}

static enum tr_verdict walk_base(struct tr_ctx *c, enum tr_table t, const struct tr_chain *base, bool nat);

enum tr_verdict tr_walk_table(struct tr_ctx *c, enum tr_table t)
{
	const struct tr_chain *base;

	if (!c->rs->tables[t].present)
		return TR_V_NONE;
	base = tr_chain_find(c->rs, t, tr_hook_name(c->hook));
	if (!base || base->unhooked)
		return TR_V_NONE;
	c->table = t;
	c->nft = NULL;
	return walk_base(c, t, base, t == TR_NAT);
}

enum tr_verdict tr_walk_nft(struct tr_ctx *c, const struct tr_chain *base)
{
	enum tr_verdict v;

	c->table = base->nft_nat ? TR_NAT : TR_FILTER;   /* only for the notes' sake; tname names it */
	c->nft = base->nft;
	v = walk_base(c, c->table, base, base->nft_nat);
	c->nft = NULL;
	return v;
}

static enum tr_verdict walk_base(struct tr_ctx *c, enum tr_table t, const struct tr_chain *base, bool nat)
{
	const struct tr_chain *cur;
	struct frame stack[TR_CALL_DEPTH_MAX];
	size_t depth = 0, i = 0;

	if (add_visit(c, base) < 0)
		return TR_V_DROP;
	cur = base;
	for (;;) {
		const struct tr_rule *r;
		struct tr_step *s;
		enum tr_match_result m;
		struct tr_nft_action act;
		int failed;

		if (c->error)
			return TR_V_DROP;
		if (i >= cur->n) {
			if (depth == 0)
				return policy_step(c, base);   /* the base chain, or a chain it went to with -g */
			depth--;
			cur = stack[depth].chain;
			i = stack[depth].next;
			continue;
		}
		r = cur->rules[i];
		s = add_step(c);
		if (!s)
			return TR_V_DROP;
		s->kind = TR_STEP_RULE;
		s->chain = cur->name;
		s->index = i + 1;
		s->rule = r;
		m = tr_rule_eval(c, r, &failed, NULL, 0);
		s->matched = m;
		s->failed = (int16_t)failed;
		if (m == TR_NO) {
			i++;
			continue;
		}
		if (m == TR_DEPENDS) {
			/* A rule that only logs changes nothing whichever way it goes. */
			bool harmless = r->target == TR_V_CONTINUE && !r->sets_mark && !r->target_unknown;

			if (!harmless && !c->pr->depends[0]) {
				char why[160];

				tr_rule_eval(c, r, &failed, why, sizeof(why));
				snprintf(c->pr->depends, sizeof(c->pr->depends), "%s %s #%zu (%s): %s; shown as if it did not match",
					 tr_table_name(t), cur->name, i + 1, r->text, why);
			}
			i++;
			continue;
		}
		tr_nft_action(c, r, &act, NULL, 0);   /* the rule's target, or what its map says */
		s->verdict = act.verdict;
		if (act.verdict == TR_V_JUMP || act.verdict == TR_V_GOTO)
			s->target = act.target;
		switch (act.verdict) {
		case TR_V_CONTINUE:
			if (r->sets_mark)
				c->p.mark = (c->p.mark & ~r->mark_mask) ^ r->mark_value;
			i++;
			continue;
		case TR_V_NOTRACK:
			c->flow->untracked = true;
			i++;
			continue;
		case TR_V_ACCEPT:
		case TR_V_DROP:
		case TR_V_REJECT:
			return act.verdict;
		case TR_V_DNAT: case TR_V_SNAT: case TR_V_MASQUERADE: case TR_V_REDIRECT:
			if (!nat) {   /* iptables and nft refuse this; were it there, it would do nothing */
				i++;
				continue;
			}
			apply_nat(c, &act, cur->name);
			return TR_V_ACCEPT;
		case TR_V_RETURN:
			if (depth == 0)   /* RETURN in the base chain (or one it went to): the policy */
				return policy_step(c, base);
			depth--;
			cur = stack[depth].chain;
			i = stack[depth].next;
			continue;
		case TR_V_JUMP:
		case TR_V_GOTO: {
			const struct tr_chain *to = c->nft ? tr_nft_chain_find(c->nft, act.target) : tr_chain_find(c->rs, t, act.target);

			if (!to) {   /* the parser refuses this; a defensive end */
				c->error = -EINVAL;
				return TR_V_DROP;
			}
			if (act.verdict == TR_V_JUMP) {
				if (depth == TR_CALL_DEPTH_MAX) {
					c->error = -ELOOP;
					return TR_V_DROP;
				}
				stack[depth].chain = cur;
				stack[depth].next = i + 1;
				depth++;
			}
			cur = to;
			i = 0;
			continue;
		}
		default:
			i++;
			continue;
		}
	}
}

const char *tr_step_target(const struct tr_step *s)
{
	return s->target && (s->verdict == TR_V_JUMP || s->verdict == TR_V_GOTO) && s->matched == TR_YES ? s->target : "";
}

const char *tr_step_table(const struct tr_step *s)
{
	return s->tname ? s->tname : tr_table_name(s->table);
}

void tr_step_reason(const struct tr_packet_result *pr, const struct tr_step *s, char *buf, size_t len)
{
	const struct tr_visit *v;
	struct tr_flow flow = { 0 };
	struct tr_ctx c = { 0 };
	int failed;

	buf[0] = '\0';
	if (s->kind != TR_STEP_RULE || !s->rule || s->visit >= pr->n_visits)
		return;
	if (s->matched == TR_YES && !tr_nft_has_map(s->rule))
		return;
	/* The rule again, on the packet as it was when the walk met it: the same answer, in words. */
	v = &pr->visits[s->visit];
	flow.orig = v->orig;
	flow.dnat = v->dnat;
	flow.snat = v->snat;
	flow.untracked = s->untracked;
	c.snap = pr->snap;
	c.flow = &flow;
	c.p = v->pkt;
	c.p.mark = s->mark;
	c.state = v->state;
	c.reply = v->reply;
	c.bridged = v->bridged;
	c.hook = v->hook;
	c.table = v->table;
	if (s->matched == TR_YES) {   /* a map decided: which element */
		struct tr_nft_action act;

		tr_nft_action(&c, s->rule, &act, buf, len);
		return;
	}
	tr_rule_eval(&c, s->rule, &failed, buf, len);
}
