/* SPDX-License-Identifier: MIT */
/*
 * The shape of what berth owns with iptables, as drift: the kernel's ruleset is the desired one
 * written out as iptables-save text, then changed as someone else would (a policy, a renamed
 * chain). `rules --diff` compares ipt_view_desired with ipt_view_live; a repair is ipt_batch.
 * FORWARD's policy DROP is berth's only in a plan that sets it (berthd switched forwarding on);
 * the policies of built-in chains berth never sets are the admin's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "golden.h"
#include "fw/iptables/iptables.h"

/* Replaces every FROM in text (malloc'ed, freed) by TO; the text unchanged if FROM is empty. */
static char *replaced(char *text, const char *from, const char *to)
{
	char *at, *out;
	size_t n;

	while (text && *from && (at = strstr(text, from))) {
		n = strlen(text) - strlen(from) + strlen(to) + 1;
		out = malloc(n);
		if (out)
			snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
		free(text);
		text = out;
	}
	return text;
}

struct seen {
	char *want, *have, *filter_batch, *raw_batch;
};

static void seen_release(struct seen *s)
{
	free(s->want);
	free(s->have);
	free(s->filter_batch);
	free(s->raw_batch);
}

/* The desired ruleset of p, the kernel's made from it with FROM (which must be there) replaced
 * by TO, and what --diff and a repair make of them. */
static bool look(const struct fw_plan *p, const char *from, const char *to, struct seen *ret)
{
	struct ipt_ruleset desired = { 0 }, live = { 0 };
	char *text = NULL;
	bool ok;

	memset(ret, 0, sizeof(*ret));
	ok = ipt_render(p, &desired, NULL) == 0;
	if (ok)
		ipt_view_desired(&desired, NULL, 0, &text, NULL);
	ok = ok && text && (!*from || strstr(text, from));   /* the change must be one */
	text = replaced(text, from, to);
	ok = ok && text && ipt_ruleset_parse(text, &live, NULL) == 0;
	if (ok) {
		ok = ipt_view_desired(&desired, &live, IPT_VIEW_SKIP_USER_RULES, &ret->want, NULL) == 0 &&
		     ipt_view_live(&desired, &live, NULL, IPT_VIEW_SKIP_USER_RULES, &ret->have, NULL) == 0 &&
		     ipt_batch(&desired, &live, IPT_FILTER, NULL, &ret->filter_batch, NULL) == 0 &&
		     ipt_batch(&desired, &live, IPT_RAW, NULL, &ret->raw_batch, NULL) == 0;
	}
	free(text);
	ipt_ruleset_release(&desired);
	ipt_ruleset_release(&live);
	return ok;
}

static bool has(const char *text, const char *line)
{
	return text && strstr(text, line);
}

int main(void)
{
	struct network docker0 = golden_network("docker0", "172.17.0.1/16", 0);
	struct plan_input in = { .iptables = true, .userland_proxy = true, .networks = &docker0, .n_networks = 1,
				 .set_forward_drop = true };
	struct fw_plan *owned = NULL, *not_owned = NULL;
	struct seen s;

	CHECK("plan that owns the FORWARD drop", plan_build(&in, &owned, NULL) == 0);
	in.set_forward_drop = false;
	CHECK("plan that does not", plan_build(&in, &not_owned, NULL) == 0);
	if (!owned || !not_owned)
		CHECK_DONE();

	CHECK("unchanged: look", look(owned, "", "", &s));
	CHECK("unchanged: --diff sees no difference", s.want && s.have && strcmp(s.want, s.have) == 0);
	CHECK("unchanged: nothing to repair", !s.filter_batch && !s.raw_batch);
	seen_release(&s);

	CHECK("FORWARD ACCEPT: look", look(owned, ":FORWARD DROP\n", ":FORWARD ACCEPT\n", &s));
	CHECK("FORWARD ACCEPT, berth's drop: --diff shows it",
	      has(s.want, "\n:FORWARD DROP\n") && has(s.have, "\n:FORWARD ACCEPT\n"));
	CHECK("FORWARD ACCEPT, berth's drop: the repair sets DROP", has(s.filter_batch, ":FORWARD DROP [0:0]\n"));
	seen_release(&s);

	/* The plan of a daemon that found forwarding on: the policy is the admin's. */
	CHECK("FORWARD DROP, not berth's: look", look(not_owned, ":FORWARD ACCEPT\n", ":FORWARD DROP\n", &s));
	CHECK("FORWARD DROP, not berth's: --diff shows nothing", s.want && s.have && strcmp(s.want, s.have) == 0);
	CHECK("FORWARD DROP, not berth's: nothing to repair", !s.filter_batch);
	seen_release(&s);

	CHECK("raw PREROUTING DROP: look", look(owned, "*raw\n:PREROUTING ACCEPT\n", "*raw\n:PREROUTING DROP\n", &s));
	CHECK("raw PREROUTING DROP (a policy berth never sets): --diff shows nothing",
	      s.want && s.have && strcmp(s.want, s.have) == 0);
	CHECK("raw PREROUTING DROP: nothing to repair", !s.raw_batch);
	seen_release(&s);

	CHECK("renamed chain: look", look(owned, "DOCKER-ISOLATION-STAGE-2", "RENAMED", &s));
	CHECK("DOCKER-ISOLATION-STAGE-2 missing: --diff shows it",
	      has(s.want, ":DOCKER-ISOLATION-STAGE-2 -\n") && !has(s.have, ":DOCKER-ISOLATION-STAGE-2 -\n"));
	CHECK("DOCKER-ISOLATION-STAGE-2 missing: the repair creates it",
	      has(s.filter_batch, ":DOCKER-ISOLATION-STAGE-2 - [0:0]\n"));
	seen_release(&s);

	fw_plan_free(owned);
	fw_plan_free(not_owned);
	CHECK_DONE();
}
