#!/usr/bin/env bash
# Requests no HTTP client writes, sent as raw bytes on berthd's socket: ambiguous message framing
# (RFC 9112 §6: Content-Length with Transfer-Encoding, several lengths, codings other than
# chunked), control bytes in the request line, the target and header fields, NULs in JSON
# bodies, invalid UTF-8 echoed in a message. Each is refused with its status and message, and
# then: berthd answers /_ping, the ruleset and the store are byte-identical, the container "vic"
# still runs, and the request hidden behind the refused one (POST /networks/create "smuggled")
# did not run. A refusal of the framing also closes the connection ("Connection: close"), so
# nothing the client sent after it is read as a request.
#
#    raw_http.py --unix socket--> berthd (sandbox host ns)
source "$(dirname "$0")/lib.sh"
RAW=$(realpath "$(dirname "$0")/raw_http.py")

sandbox framing
berthd_start || { fail "berthd starts" "$(tail -3 "$DIR/berthd.log")"; exit 1; }
berth run -d --name vic -- sleep 1000 >/dev/null
berth network create known >/dev/null
S="$DIR/berth.sock"
store_dump() { python3 -c "
import sqlite3, sys
db = sqlite3.connect('file:$DIR/data/berth.db?mode=ro', uri=True)
for line in db.iterdump(): print(line)"; }
saved >"$DIR/rules-before"
store_dump >"$DIR/store-before"

# The request a filtering proxy would not let through, hidden where the proxy sees a body.
HIDDEN_BODY='{"Name":"smuggled"}'
HIDDEN="POST /networks/create HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${#HIDDEN_BODY}\r\n\r\n$HIDDEN_BODY"
# bytes TEXT: the length of TEXT once printf %b has expanded its escapes.
bytes() { printf '%b' "$1" | wc -c; }

unchanged() {
	saved >"$DIR/rules-after"
	store_dump >"$DIR/store-after"
	if ! curl -sf --unix-socket "$S" http://localhost/_ping >/dev/null; then
		fail "$1: berthd still answers"
	elif berth network ls | grep -qw smuggled; then
		fail "$1: the hidden request did not run" "network \"smuggled\" exists"
	elif [ "$(curl -s --unix-socket "$S" http://localhost/containers/vic/json | python3 -c 'import json, sys
print(json.load(sys.stdin)["State"]["Status"])' 2>&1)" != running ]; then
		fail "$1: vic still runs" "$(berth ps -a)"
	elif cmp -s "$DIR/rules-before" "$DIR/rules-after" && cmp -s "$DIR/store-before" "$DIR/store-after"; then
		pass "$1: berthd answers, ruleset and store unchanged, the hidden request did not run"
	else
		fail "$1: ruleset and store unchanged" "$(diff "$DIR/rules-before" "$DIR/rules-after"; diff "$DIR/store-before" "$DIR/store-after" | head -5)"
	fi
}

# send REQUEST: writes the request (printf %b escapes: \r\n, \x00) and sends it; raw_http.py's
# report in $DIR/out: one line per response (STATUS, Connection header, message), then
# "closed" or "open".
send() {
	printf '%b' "$1" >"$DIR/req"
	python3 "$RAW" "$S" "$DIR/req" 3 >"$DIR/out" 2>&1
}

# refused NAME STATUS MESSAGE REQUEST: exactly one reply, with STATUS, "Connection: close" and
# exactly MESSAGE, and the connection closed after it (no second request read).
refused() {
	local name=$1 status=$2 message=$3 want
	send "$4"
	want=$(printf '%s\tclose\t%s\nclosed' "$status" "$message")
	if [ "$(cat "$DIR/out")" != "$want" ]; then
		fail "$name: $status \"$message\", connection closed" "got: $(head -c 400 "$DIR/out")"
		return
	fi
	pass "$name: $status \"$message\", connection closed"
	unchanged "$name"
}

# answered NAME STATUS MESSAGE REQUEST: like refused, for a refusal by a handler, after the body
# was read (the request asks for Connection: close itself).
answered() {
	local name=$1 status=$2 message=$3 want
	send "$4"
	want=$(printf '%s\tclose\t%s\nclosed' "$status" "$message")
	if [ "$(cat "$DIR/out")" != "$want" ]; then
		fail "$name: $status \"$message\"" "got: $(head -c 400 "$DIR/out")"
		return
	fi
	pass "$name: $status \"$message\""
	unchanged "$name"
}

# --- framing (RFC 9112 §6) -----------------------------------------------------------------------
chunked_then_hidden="0\r\n\r\n$HIDDEN"
n=$(bytes "$chunked_then_hidden")
refused "Content-Length and Transfer-Encoding: chunked, a request hidden after the chunked body" 400 \
	"both Content-Length and Transfer-Encoding: the end of the request would be ambiguous" \
	"POST /networks/create HTTP/1.1\r\nHost: x\r\nContent-Length: $n\r\nTransfer-Encoding: chunked\r\n\r\n$chunked_then_hidden"
refused "Transfer-Encoding: chunked before Content-Length" 400 \
	"both Content-Length and Transfer-Encoding: the end of the request would be ambiguous" \
	"POST /networks/create HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: $n\r\n\r\n$chunked_then_hidden"
refused "two equal Content-Length fields, a request pipelined after" 400 "more than one Content-Length header field" \
	"POST /networks/create HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n$HIDDEN"
refused "two different Content-Length fields, the first one covering a body" 400 "more than one Content-Length header field" \
	"POST /networks/create HTTP/1.1\r\nHost: x\r\nContent-Length: ${#HIDDEN_BODY}\r\nContent-Length: 0\r\n\r\n$HIDDEN_BODY"
refused "Transfer-Encoding: gzip, chunked (answered at once, not after 30 s)" 400 \
	'transfer coding "gzip, chunked" is not supported (only "chunked")' \
	"POST /networks/create HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n$chunked_then_hidden"
refused "Transfer-Encoding: identity" 400 'transfer coding "identity" is not supported (only "chunked")' \
	"POST /networks/create HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n$HIDDEN"
refused "two Transfer-Encoding: chunked fields" 400 "more than one Transfer-Encoding header field" \
	"POST /networks/create HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n$chunked_then_hidden"
refused "whitespace between Transfer-Encoding and its colon" 400 \
	'header field name "Transfer-Encoding " is not a token (no whitespace before the colon, no control characters)' \
	"POST /networks/create HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\nContent-Length: $n\r\n\r\n$chunked_then_hidden"
refused "Transfer-Encoding in an HTTP/1.0 request" 400 "Transfer-Encoding in an HTTP/1.0 request" \
	"POST /networks/create HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n$chunked_then_hidden"
refused "two Host fields" 400 "more than one Host header field" \
	"POST /networks/create HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: 0\r\n\r\n$HIDDEN"
refused "no Host in HTTP/1.1" 400 "an HTTP/1.1 request needs a Host header field" \
	"POST /networks/create HTTP/1.1\r\nContent-Length: 0\r\n\r\n$HIDDEN"

# A Content-Length that is not a number, and a chunk size that is not hexadecimal, are refused
# by libmicrohttpd itself, before berthd sees the request: 400 with its own (HTML) text, and
# the connection closed. (libmicrohttpd 0.9.75 sends the status line and header fields of the
# first reply twice; only its status and text are checked.)
# mhd_refused NAME WORDS REQUEST
mhd_refused() {
	send "$3"
	if [ "$(head -c 10 "$DIR/out")" = "$(printf '400\tclose\t')" ] && grep -qF "$2" "$DIR/out" &&
		[ "$(tail -1 "$DIR/out")" = closed ]; then
		pass "$1 (libmicrohttpd's own 400): 400, connection closed"
		unchanged "$1"
	else
		fail "$1 (libmicrohttpd's own 400): 400, connection closed" "got: $(head -c 300 "$DIR/out")"
	fi
}
for cl in abc "${#HIDDEN_BODY}, ${#HIDDEN_BODY}" -1; do
	mhd_refused "Content-Length \"$cl\"" 'wrong value for <b>Content-Length</b>' \
		"POST /networks/create HTTP/1.1\r\nHost: x\r\nContent-Length: $cl\r\n\r\n$HIDDEN_BODY$HIDDEN"
done
mhd_refused "a chunk size that is not hexadecimal" 'chunked encoding was syntactically incorrect' \
	"POST /networks/create HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n$HIDDEN"

# --- NUL and control bytes -------------------------------------------------------------------------
refused "%00 in a path segment (DELETE /containers/vic%00/anything?force=1)" 400 \
	"request target: %00 in the path is a control character" \
	"DELETE /containers/vic%00/anything?force=1 HTTP/1.1\r\nHost: x\r\n\r\n"
refused "%00 in a query value (kill ?signal=SIGKILL%00)" 400 \
	"request target: %00 in a query parameter value is a control character" \
	"POST /containers/vic/kill?signal=SIGKILL%00 HTTP/1.1\r\nHost: x\r\n\r\n"
create_body='{"Cmd":["true"]}'
refused "%00 in a container name (?name=ab%00cd)" 400 \
	"request target: %00 in a query parameter value is a control character" \
	"POST /containers/create?name=ab%00cd HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${#create_body}\r\n\r\n$create_body"
refused "%0a in a query value (?force=1%0a)" 400 \
	"request target: %0a in a query parameter value is a control character" \
	"DELETE /containers/vic?force=1%0a HTTP/1.1\r\nHost: x\r\n\r\n"
refused "%7F in a query name" 400 "request target: %7F in a query parameter name is a control character" \
	"DELETE /containers/vic?force%7F=1 HTTP/1.1\r\nHost: x\r\n\r\n"
refused "a query parameter given twice (?force=0&force=1)" 400 \
	'request target: query parameter "force" given more than once' \
	"DELETE /containers/vic?force=0&force=1 HTTP/1.1\r\nHost: x\r\n\r\n"
refused "a malformed percent-escape" 400 \
	'request target: "%zz" in the path is not a percent-escape (% and two hex digits)' \
	"DELETE /containers/vic%zz?force=1 HTTP/1.1\r\nHost: x\r\n\r\n"
refused "a raw NUL byte in the target (DELETE /containers/vic\\0/x?force=1)" 400 \
	"request line: a NUL byte, or more than one space between its parts" \
	"DELETE /containers/vic\x00/x?force=1 HTTP/1.1\r\nHost: x\r\n\r\n"
refused "a raw NUL byte in the method" 400 "request line: a NUL byte, or more than one space between its parts" \
	"DELETE\x00X /containers/vic?force=1 HTTP/1.1\r\nHost: x\r\n\r\n"
refused "a raw control byte in the target" 400 \
	"request target: byte 0x01 at offset 15 is not allowed (a client percent-encodes spaces and bytes above 0x7e; control characters are refused in any form)" \
	"DELETE /containers/vic\x01?force=1 HTTP/1.1\r\nHost: x\r\n\r\n"
refused "a CR inside a header value" 400 "header field X-Note: control character 0x0d in its value" \
	"DELETE /containers/vic?force=1 HTTP/1.1\r\nHost: x\r\nX-Note: a\rb\r\n\r\n"
refused "a control byte in a header value" 400 "header field X-Note: control character 0x01 in its value" \
	"DELETE /containers/vic?force=1 HTTP/1.1\r\nHost: x\r\nX-Note: a\x01b\r\n\r\n"

# JSON bodies: read over their real length, so a NUL byte and what follows it are refused.
nul_body='{"Name":"n5"}\x00{"Name":"smuggled"}'
answered "a NUL byte between two JSON objects" 400 "request body is not valid JSON: a NUL byte at byte 13" \
	"POST /networks/create HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: $(bytes "$nul_body")\r\n\r\n$nul_body"
check "  ... and the network before the NUL was not created either" bash -c "! berth network ls 2>&1 | grep -qw n5"
esc_body='{"Name":"a\\u0000b"}'
answered "\\u0000 in a JSON string" 400 "request body is not valid JSON: \\u0000 (NUL) in a string, near byte 17" \
	"POST /networks/create HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: $(bytes "$esc_body")\r\n\r\n$esc_body"

# Invalid UTF-8 echoed in a message: replaced (U+FFFD), never an empty reply.
answered "a container name of invalid UTF-8, echoed in the message" 404 "No such container: $(printf '\xef\xbf\xbd\xef\xbf\xbd')" \
	"GET /containers/%ff%fe/json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
answered "a network name of invalid UTF-8, echoed in the message" 404 "network $(printf '\xef\xbf\xbd') not found" \
	"DELETE /networks/%c3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

# A well-formed request on the same kind of connection still works, pipelined ones included.
send "GET /_ping HTTP/1.1\r\nHost: x\r\n\r\nGET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
check_out "two pipelined pings are both answered" "$(printf '200\t\tOK\n200\tclose\tOK\nclosed')" cat "$DIR/out"
berthd_stop
