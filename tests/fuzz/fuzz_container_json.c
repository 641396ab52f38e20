/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the stored container record (lib/model/container.h), as berthd reads it back
 * from its database at start-up: container_from_json().
 *
 * Input: a JSON document. Checked, besides memory safety and leaks:
 *   - a refused record comes with a message;
 *   - anything that parsed survives a round trip: container_to_json() gives a document (never
 *     NULL) that container_from_json() accepts again;
 *   - and the round trip is stable: the first parse normalizes (a non-string argv entry becomes
 *     "", an unknown state becomes "created", integers are cut to their field's width), after
 *     which to_json -> from_json -> to_json must give the very same text, or a restart of
 *     berthd would change a container it merely loaded and saved;
 *   - the fields hold what the types promise: strings terminated within their arrays, at most
 *     CONTAINER_MAX_ENDPOINTS endpoints, argv NULL-terminated with argc entries, the MAC
 *     derived from the address.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "model/container.h"

static void check_fields(const struct container *c)
{
	FUZZ_ASSERT(memchr(c->id, '\0', sizeof(c->id)) && memchr(c->name, '\0', sizeof(c->name)) &&
		    memchr(c->hostname, '\0', sizeof(c->hostname)));
	FUZZ_ASSERT(c->n_eps <= CONTAINER_MAX_ENDPOINTS);
	for (size_t i = 0; i < c->n_eps; i++) {
		const struct endpoint *ep = &c->eps[i];
		unsigned char mac[6];

		FUZZ_ASSERT(memchr(ep->network_id, '\0', sizeof(ep->network_id)) &&
			    memchr(ep->ifname, '\0', sizeof(ep->ifname)) && memchr(ep->veth, '\0', sizeof(ep->veth)));
		container_mac_from_ip(ep->ip, mac);
		FUZZ_ASSERT(memcmp(mac, ep->mac, sizeof(mac)) == 0);
	}
	FUZZ_ASSERT(c->argv != NULL && c->argv[c->argc] == NULL);
	for (size_t i = 0; i < c->argc; i++)
		FUZZ_ASSERT(c->argv[i] != NULL);
	FUZZ_ASSERT((c->n_ports == 0) == (c->ports == NULL) && (c->n_exposed == 0) == (c->exposed == NULL));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *doc = fuzz_strdup(data, size), *json1, *json2;
	struct container c, c2, c3;
	struct berr err;

	berr_clear(&err);
	if (container_from_json(doc, &c, &err) < 0) {
		FUZZ_ASSERT(err.msg[0] != '\0');
		free(doc);
		return 0;
	}
	check_fields(&c);

	json1 = container_to_json(&c);
	FUZZ_ASSERT(json1 != NULL);
	berr_clear(&err);
	if (container_from_json(json1, &c2, &err) < 0) {
		fprintf(stderr, "round trip refused: %s\n--- record:\n%s\n---\n", err.msg, json1);
		FUZZ_ASSERT(!"a record berth wrote is read back");
	}
	check_fields(&c2);

	json2 = container_to_json(&c2);
	FUZZ_ASSERT(json2 != NULL);
	FUZZ_ASSERT(container_from_json(json2, &c3, NULL) == 0);
	if (strcmp(json1, json2) != 0) {
		fprintf(stderr, "--- written:\n%s\n--- read back and written again:\n%s\n---\n", json1, json2);
		FUZZ_ASSERT(!"the record round trip is stable");
	}
	container_release(&c3);
	container_release(&c2);
	container_release(&c);
	free(json2);
	free(json1);
	free(doc);
	return 0;
}
