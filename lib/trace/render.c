/* SPDX-License-Identifier: MIT */
/* The answer as text (one line per step, for a person) and as JSON (for programs and tests). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "trace/rule.h"
#include "util/utf8.h"

/* Runs of rules that did not match longer than this are summarised (a DOCKER chain of 10,000
 * published ports), unless verbose. */
#define TR_TEXT_RUN_MAX 6

static const char *proto_str(uint8_t p)
{
	return p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" : p == IPPROTO_ICMP ? "icmp" : "ip";
}

static void endpoint(const struct tr_pkt *p, bool src, char *buf, size_t len)
{
	char a[20];
	uint32_t ip = src ? p->src : p->dst;
	uint16_t port = src ? p->sport : p->dport;

	if (p->proto == IPPROTO_ICMP || !port)
		snprintf(buf, len, "%s", tr_ip_str(ip, a, sizeof(a)));
	else
		snprintf(buf, len, "%s:%u", tr_ip_str(ip, a, sizeof(a)), port);
}

static void step_outcome(const struct tr_packet_result *pr, const struct tr_step *s, char *buf, size_t len)
{
	char why[200];

	if (s->kind == TR_STEP_POLICY) {
		snprintf(buf, len, "policy %s", tr_verdict_name(s->verdict));
		return;
	}
	if (s->matched != TR_YES) {
		tr_step_reason(pr, s, why, sizeof(why));
		snprintf(buf, len, "%s%s", s->matched == TR_NO ? "no: " : "", why);
		return;
	}
	tr_step_reason(pr, s, why, sizeof(why));   /* a map's element, when one decided */
	switch (s->verdict) {
	case TR_V_JUMP: snprintf(buf, len, "match%s%s -> %s", why[0] ? " " : "", why, tr_step_target(s)); return;
	case TR_V_GOTO: snprintf(buf, len, "match%s%s -> goto %s", why[0] ? " " : "", why, tr_step_target(s)); return;
	default:
		snprintf(buf, len, "match%s%s: %s", why[0] ? " " : "", why, tr_verdict_name(s->verdict));
	}
}

static void render_packet(const struct tr_packet_result *pr, bool verbose, struct strbuf *out)
{
	char src[40], dst[40], outcome[300];
	int last_hook = -1, wwhere = 10, wrule = 20;
	size_t run = 0;

	/* columns as wide as what they hold, within reason (a longer rule pushes its own line) */
	for (size_t i = 0; i < pr->n_steps; i++) {
		const struct tr_step *s = &pr->steps[i];
		int w = (int)strlen(s->chain) + (s->kind == TR_STEP_RULE ? 6 : 0);
		int r = s->rule ? (int)s->rule->text_len : 0;

		if (w > wwhere)
			wwhere = w < 34 ? w : 34;
		if (r > wrule)
			wrule = r < 64 ? r : 64;
	}

	endpoint(&pr->start, true, src, sizeof(src));
	endpoint(&pr->start, false, dst, sizeof(dst));
	strbuf_addf(out, "%-11s %s %s -> %s  %s%s  ct=%s%s\n", pr->title, proto_str(pr->start.proto), src, dst,
		    pr->local_out ? "from=host" : "in=", pr->local_out ? "" : pr->start.in, tr_ct_name(pr->state),
		    pr->reply_dir ? " (reply)" : "");
	for (size_t i = 0; i < pr->n_steps; i++) {
		const struct tr_step *s = &pr->steps[i];
		const char *hook = (int)s->hook != last_hook ? tr_hook_name(s->hook) : "";
		char where[120];

		if (s->kind == TR_STEP_RULE && s->matched == TR_NO && !verbose) {
			/* consecutive misses in the same chain */
			run = (i && pr->steps[i - 1].kind == TR_STEP_RULE && pr->steps[i - 1].matched == TR_NO &&
			       pr->steps[i - 1].chain == s->chain && pr->steps[i - 1].visit == s->visit) ? run + 1 : 1;
			if (run == TR_TEXT_RUN_MAX) {
				size_t j = i;

				while (j < pr->n_steps && pr->steps[j].kind == TR_STEP_RULE && pr->steps[j].matched == TR_NO &&
				       pr->steps[j].chain == s->chain && pr->steps[j].visit == s->visit)
					j++;
				if (j - i > 1) {
					strbuf_addf(out, "%-11s %-7s %s: %zu more rules did not match (--verbose shows them)\n",
						    hook, tr_step_table(s), s->chain, j - i);
					last_hook = (int)s->hook;
					i = j - 1;
					continue;
				}
			}
		} else {
			run = 0;
		}
		last_hook = (int)s->hook;
		if (s->kind == TR_STEP_POLICY)
			snprintf(where, sizeof(where), "%s", s->chain);
		else
			snprintf(where, sizeof(where), "%s #%zu", s->chain, s->index);
		step_outcome(pr, s, outcome, sizeof(outcome));
		strbuf_addf(out, "%-11s %-7s %-*s %-*s  %s\n", hook, tr_step_table(s), wwhere, where, wrule,
			    s->rule ? s->rule->text : "", outcome);
	}
	if (pr->route[0])
		strbuf_addf(out, "%-11s %s\n", "route", pr->route);
	if (pr->nat_done && !pr->reply_dir) {
		char os[40], od[40], ts[40], td[40];

		endpoint(&pr->start, true, os, sizeof(os));
		endpoint(&pr->start, false, od, sizeof(od));
		endpoint(&pr->final, true, ts, sizeof(ts));
		endpoint(&pr->final, false, td, sizeof(td));
		strbuf_addf(out, "%-11s %s -> %s  becomes  %s -> %s\n", "nat", os, od, ts, td);
	}
	strbuf_addf(out, "%-11s %s\n", "verdict", pr->fate_text);
	if (pr->depends[0])
		strbuf_addf(out, "%-11s %s\n", "depends", pr->depends);
	for (size_t i = 0; i < pr->n_notes; i++)
		strbuf_addf(out, "%-11s %s\n", "note", pr->notes[i]);
}

void tr_render_text(const struct tr_result *r, bool verbose, struct strbuf *out)
{
	for (size_t i = 0; i < r->n; i++) {
		if (i)
			strbuf_add(out, "\n");
		render_packet(&r->packets[i], verbose, out);
	}
}

/* A JSON string of text the answer built from the ruleset's bytes: a name or a reason cut at a
 * buffer's end may end inside a UTF-8 sequence, which JSON cannot carry: repaired (U+FFFD). */
static json_t *jstr(const char *s)
{
	json_t *j = json_string(s);
	char *fixed;

	if (j)
		return j;
	fixed = utf8_repair(s);
	j = fixed ? json_string(fixed) : NULL;
	free(fixed);
	return j;
}

static json_t *pkt_json(const struct tr_pkt *p)
{
	char s[20], d[20];

	return json_pack("{s:s, s:s, s:i, s:s, s:i, s:o, s:o}", "proto", proto_str(p->proto), "src",
			 tr_ip_str(p->src, s, sizeof(s)), "sport", p->sport, "dst", tr_ip_str(p->dst, d, sizeof(d)), "dport",
			 p->dport, "in", jstr(p->in), "out", jstr(p->out));
}

static const char *fate_name(enum tr_fate f)
{
	static const char *const n[] = { "local", "forwarded", "bridged", "dropped", "rejected", "routing-drop" };

	return f <= TR_FATE_ROUTING_DROP ? n[f] : "?";
}

static json_t *packet_json(const struct tr_packet_result *pr)
{
	json_t *o = json_object(), *steps = json_array(), *notes = json_array(), *visits = json_array(), *verdict;

	if (!o || !steps || !notes || !visits)
		goto fail;
	for (size_t i = 0; i < pr->n_steps; i++) {
		const struct tr_step *s = &pr->steps[i];
		char why[200];
		json_t *m = s->kind == TR_STEP_POLICY ? json_true()
			    : s->matched == TR_DEPENDS ? json_string("depends") : json_boolean(s->matched == TR_YES);
		json_t *j;

		tr_step_reason(pr, s, why, sizeof(why));
		j = json_pack("{s:s, s:s, s:o, s:s, s:I, s:o, s:o, s:o, s:s, s:o, s:I}", "hook", tr_hook_name(s->hook),
				      "table", tr_step_table(s), "chain", jstr(s->chain), "type",
				      s->kind == TR_STEP_POLICY ? "policy" : "rule", "index", (json_int_t)s->index, "rule",
				      jstr(s->rule ? s->rule->text : ""), "matched", m, "reason", jstr(why), "verdict",
				      s->matched == TR_YES ? tr_verdict_name(s->verdict) : "", "target", jstr(tr_step_target(s)),
				      "visit", (json_int_t)s->visit);

		if (!j || json_array_append_new(steps, j) < 0)
			goto fail;
	}
	for (size_t i = 0; i < pr->n_visits; i++) {
		json_t *v = pkt_json(&pr->visits[i].pkt);

		if (!v || json_object_set_new(v, "hook", json_string(tr_hook_name(pr->visits[i].hook))) < 0 ||
		    json_object_set_new(v, "table", json_string(pr->visits[i].tname ? pr->visits[i].tname : tr_table_name(pr->visits[i].table))) < 0 ||
		    json_array_append_new(visits, v) < 0)
			goto fail;
	}
	for (size_t i = 0; i < pr->n_notes; i++)
		if (json_array_append_new(notes, jstr(pr->notes[i])) < 0)
			goto fail;
	verdict = json_pack("{s:s, s:o}", "fate", fate_name(pr->fate), "text", jstr(pr->fate_text));
	if (!verdict)
		goto fail;
	if (pr->fate_step) {
		json_object_set_new(verdict, "table", json_string(tr_step_table(pr->fate_step)));
		json_object_set_new(verdict, "chain", jstr(pr->fate_step->chain));
		json_object_set_new(verdict, "index", json_integer((json_int_t)pr->fate_step->index));
	}
	if (json_object_set_new(o, "title", json_string(pr->title)) < 0 ||
	    json_object_set_new(o, "packet", pkt_json(&pr->start)) < 0 ||
	    json_object_set_new(o, "ct", json_string(tr_ct_name(pr->state))) < 0 ||
	    json_object_set_new(o, "direction", json_string(pr->reply_dir ? "reply" : "original")) < 0 ||
	    json_object_set_new(o, "local_out", json_boolean(pr->local_out)) < 0 ||
	    json_object_set_new(o, "steps", steps) < 0 || json_object_set_new(o, "visits", visits) < 0 ||
	    json_object_set_new(o, "route", jstr(pr->route)) < 0 ||
	    json_object_set_new(o, "nat", json_pack("{s:o, s:o}", "orig", pkt_json(&pr->start), "translated",
						    pkt_json(&pr->final))) < 0 ||
	    json_object_set_new(o, "verdict", verdict) < 0 ||
	    json_object_set_new(o, "depends", pr->depends[0] ? jstr(pr->depends) : json_null()) < 0 ||
	    json_object_set_new(o, "notes", notes) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
fail:
	json_decref(o);
	json_decref(steps);
	json_decref(notes);
	json_decref(visits);
	return NULL;
}

int tr_render_json(const struct tr_result *r, char **ret, struct berr *err)
{
	json_t *root = NULL, *follow = json_array();
	char *s;

	if (!follow)
		return berr_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < r->n; i++) {
		json_t *p = packet_json(&r->packets[i]);

		if (!p)
			goto oom;
		if (i == 0)
			root = p;
		else if (json_array_append_new(follow, p) < 0)
			goto oom;
	}
	if (!root)
		goto oom;
	if (json_object_set_new(root, "follow", follow) < 0) {
		follow = NULL;
		goto oom;
	}
	s = json_dumps(root, JSON_INDENT(2));
	json_decref(root);
	if (!s)
		return berr_set(err, -ENOMEM, "out of memory");
	*ret = s;
	return 0;
oom:
	json_decref(follow);
	json_decref(root);
	return berr_set(err, -ENOMEM, "out of memory");
}
