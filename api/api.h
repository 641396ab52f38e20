/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The HTTP API between berth and berthd: HTTP/1.1 with JSON bodies on a unix socket, shaped
 * like Docker Engine's API where the concept is the same (GET /_ping, /version, /info; errors
 * as {"message": "..."}), so `curl --unix-socket` works and Docker users find their way.
 */
#define API_VERSION "1.0"
#define API_DEFAULT_HOST "unix:///run/berth.sock"
#define API_BODY_MAX (1u << 20)      /* request bodies above 1 MiB are refused (413) */
#define API_GROUP "berth"            /* besides root, its members may use the socket */

/* GET /_ping               -> "OK" (text/plain)
 * GET /version             -> {"Version","ApiVersion","Os","Arch","KernelVersion","FirewallBackend"}
 * GET /info                -> {"ServerVersion","DataRoot","ExecRoot","Socket","DefaultBridge","BridgeIP",
 *                              "FixedCIDR","IPTables","IPForward","IPMasq","ICC","UserlandProxy",
 *                              "AllowDirectRouting","FirewallBackend","Networks","Containers",
 *                              "KernelVersion","LogLevel"}
 * GET /rules?view=desired|live|diff
 *                          -> {"View","Backend","Rules","Differ"} */
