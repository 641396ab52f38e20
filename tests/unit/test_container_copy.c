/* SPDX-License-Identifier: MIT */
/* container_copy: berthd keeps each decoded container record and hands out copies of it instead
 * of parsing the document again, so a copy must be the record itself (the same document when
 * encoded) and owe nothing to the original (each released on its own; ASan checks the frees). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model/container.h"

static struct container sample(void)
{
	struct container c = { 0 };
	char *argv[] = { "socat", "TCP-LISTEN:80,fork", "SYSTEM:echo hi", NULL };
	char *env[] = { "A=1", "B=two", NULL };
	char *labels[] = { "tier", "web", "owner", "ci", NULL };

	memcpy(c.id, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", CONTAINER_ID_LEN);
	snprintf(c.name, sizeof(c.name), "brave_curie");
	snprintf(c.hostname, sizeof(c.hostname), "0123456789ab");
	container_add_endpoint(&c, "net0000000000000000000000000000000000000000000000000000000000000", (struct in_addr){ 0 }, NULL);
	c.argc = 3;
	c.argv = calloc(4, sizeof(*c.argv));
	for (size_t i = 0; i < 3; i++)
		c.argv[i] = strdup(argv[i]);
	c.n_env = 2;
	c.env = calloc(3, sizeof(*c.env));
	for (size_t i = 0; i < 2; i++)
		c.env[i] = strdup(env[i]);
	c.n_labels = 2;
	c.labels = calloc(5, sizeof(*c.labels));
	for (size_t i = 0; i < 4; i++)
		c.labels[i] = strdup(labels[i]);
	c.n_ports = 2;
	c.ports = calloc(3, sizeof(*c.ports));
	c.ports[0] = (struct port_binding){ .proto = PROTO_TCP, .host_port = 8080, .host_port_end = 8080, .container_port = 80 };
	c.ports[1] = (struct port_binding){ .proto = PROTO_UDP, .host_port = 5353, .host_port_end = 5353, .container_port = 53 };
	c.n_exposed = 1;
	c.exposed = calloc(2, sizeof(*c.exposed));
	c.exposed[0] = (struct port_binding){ .proto = PROTO_TCP, .container_port = 9000 };
	c.state = CONTAINER_RUNNING;
	c.pid = 4242;
	c.start_seq = 7;
	return c;
}

int main(void)
{
	struct container c = sample(), copy = { 0 }, none = { 0 }, copy_none = { 0 };
	char *a, *b;

	CHECK("copy succeeds", container_copy(&c, &copy) == 0);
	a = container_to_json(&c);
	b = container_to_json(&copy);
	CHECK_STR("the copy encodes to the same document", b, a);
	CHECK("argv, env, labels and ports are the copy's own",
	      copy.argv != c.argv && copy.argv[0] != c.argv[0] && copy.env[1] != c.env[1] &&
		      copy.labels[3] != c.labels[3] && copy.ports != c.ports && copy.exposed != c.exposed);
	CHECK("the string arrays stay NULL-terminated", copy.argv[3] == NULL && copy.env[2] == NULL && copy.labels[4] == NULL);
	copy.argv[0][0] = 'X';
	copy.ports[0].host_port = 1;
	CHECK("changing the copy leaves the original", c.argv[0][0] == 's' && c.ports[0].host_port == 8080);
	free(a);
	free(b);
	container_release(&c);
	container_release(&copy);

	CHECK("a record without arrays copies", container_copy(&none, &copy_none) == 0);
	CHECK("... and has none", !copy_none.argv && !copy_none.env && !copy_none.labels && !copy_none.ports && !copy_none.exposed);
	container_release(&copy_none);
	CHECK_DONE();
}
