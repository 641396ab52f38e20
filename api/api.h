/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The HTTP API between berth and berthd: HTTP/1.1 with JSON bodies on a unix socket, shaped
 * like Docker Engine's API where the concept is the same (GET /_ping, /version, /info; errors
 * as {"message": "..."}), so `curl --unix-socket` works and Docker users find their way.
 */
/* Docker Engine API versions served: every route answers under /vX.Y/ for X.Y in
 * [API_MIN_VERSION, API_VERSION] and without a prefix. berth's own version is BERTH_VERSION. */
#define API_VERSION "1.47"
#define API_MIN_VERSION "1.24"
#define API_DEFAULT_HOST "unix:///run/berth.sock"
#define API_BODY_MAX (1u << 20)      /* request bodies above 1 MiB are refused (413) */
#define API_GROUP "berth"            /* besides root, its members may use the socket */

/*
 * Every request body, and the error reply, has one struct in api/, encoded by the sender and
 * decoded by the receiver with the same code (api_X_encode / api_X_decode / api_X_free), so
 * the two sides cannot drift apart and the decoders do all checking of a body's shape:
 *   api_container.h    POST /containers/create?name=NAME   (the body and its wire format)
 *   api_network.h      POST /networks/create, /networks/{id}/connect, /networks/{id}/disconnect
 *   api_error.h        every error reply: {"message", "Reason"} (Reason: a machine-readable why)
 * The other routes take no body; their replies are still written by the daemon's routes:
 *
 * Every route is also served under /vX.Y/ (API_MIN_VERSION..API_VERSION); the berth client always
 * sends the prefix. Other versions: 400 with dockerd's "client version X is too new/old" words.
 *
 * GET|HEAD /_ping          -> "OK" (text/plain), with dockerd's Api-Version, Ostype,
 *                             Docker-Experimental, Cache-Control and Pragma headers
 * GET /version             -> dockerd's: {"Platform":{"Name":"berth"},"Components":[{"Name":"Engine",...}],
 *                             "Version","ApiVersion","MinAPIVersion","GitCommit","GoVersion" (the C
 *                             compiler),"Os","Arch" (Go's names),"KernelVersion","BuildTime","FirewallBackend"}
 * GET /info                -> dockerd's fields (ID, Containers*, Images 0, OperatingSystem, NCPU, MemTotal,
 *                             Swarm, Plugins, FirewallBackend {"Driver","Info"}, ...) and berth's own:
 *                             {"ServerVersion","DataRoot","ExecRoot","Socket","DefaultBridge","BridgeIP",
 *                              "FixedCIDR","IPTables","IPForward","IPMasq","ICC","UserlandProxy",
 *                              "AllowDirectRouting","Networks","Containers","KernelVersion","LogLevel",
 *                              "NoFileLimit*"}
 * GET /rules?view=desired|live|diff
 *                          -> {"View","Backend","Rules","Differ"}
 * POST /containers/create  -> 201 {"Id","Warnings"}        (body: api_container.h)
 * GET /containers/json?all=1, GET /containers/{id}/json, GET /containers/{id}/logs
 * POST /containers/{id}/start|stop?t=|kill?signal=|wait, DELETE /containers/{id}?force=1
 * GET /networks?filters=  -> [NetworkResource] (filters: name, id, driver, label, type, scope, dangling)
 * GET|DELETE /networks/{id}  (DELETE of a network in use: 403, as dockerd)
 * POST /networks/create    -> 201 {"Id","Warning"}         (body: api_network.h)
 * POST /networks/prune?filters= -> {"NetworksDeleted":[names]} (filters: until, label, label!)
 * POST /networks/{id}/connect|disconnect -> 200            (body: api_network.h)
 * GET /events?since=&until=&filters= -> a stream of dockerd's messages, one a line (api_events.h)
 * POST /containers/{id}/rename?name= -> 204
 */
