#!/usr/bin/env bash
# proxy.sh: berth's userland proxy, which runs in berthd's one event loop, against Docker's
# docker-proxy, which runs as one process per published port. Both are measured in one run, in
# the same sandbox, and relay to the same container servers:
#
#   1. throughput: MB/s (10^6 bytes/s) over one TCP connection 127.0.0.1:HOSTPORT -> proxy ->
#      CONTAINER_IP:5001, where a server streams zeros (SECS seconds, median of REPS runs)
#   2. connections/s: CONNS sequential short connections 127.0.0.1:HOSTPORT -> proxy ->
#      CONTAINER_IP:5002. Each one is connect, read the server's banner up to EOF, close.
#      The server is tcpbench from ../shared/bench-peers. Median of REPS runs.
#   3. memory: berthd's VmRSS with 0 published ports (baseline), then with one container that
#      publishes 1, 100 and 1000 ports (`berth run -d -p 20000-2000X:20000-2000X`). Against it,
#      the summed VmRSS of 1, 100 and 1000 docker-proxy processes, one per host port, as Docker
#      runs them. PSS (shared pages split between the processes) is reported as well.
#
# It prints one table with the ratios: berth/docker-proxy for throughput and conn/s, and
# docker-proxy/berth for memory, so a ratio above 1 always means berth is better.
#
#   sudo bench/proxy.sh
#
# Knobs (environment):
#   SECS=5 REPS=5     seconds per throughput run; repetitions of the throughput and conn/s runs
#   CONNS=10000       connections per conn/s run (100 more as an untimed warm-up)
#   NS="1 100 1000"   port counts for the memory part
#   SKIP_INSTALL=1    skip the package check and `make`
#
# Sandbox: one namespace plays the host. It has only `lo`, nothing links it to the root
# namespace, and berthd runs in it with default flags, so the userland proxy is on. berthd puts
# the containers on its docker0 (172.17.0.0/16) in that namespace. Every docker-proxy runs
# there too, through `ip netns exec HOST`, so both proxies take the same path:
#
#   sandbox host ns: client -> 127.0.0.1:HOSTPORT -> proxy (berthd | docker-proxy)
#                    -> docker0 ---veth--- container ns: eth0 172.17.0.x, server :5001 / :5002
#
# 127.0.0.1 is not DNATed (Docker's OUTPUT rule excludes 127.0.0.0/8), so these connections go
# through the proxy. The script checks that with `ss -p` before it measures. dockerd is never
# started: docker-proxy is a standalone binary of the docker.io package, started here with the
# flags Docker 20.10 passes it. Namespace names contain this script's pid. The EXIT trap
# (bench/lib.sh) removes the containers through the API and stops, by pid, only the processes
# this script started. It then deletes the namespace and reports whether the root namespace's
# `iptables-save` or nft ruleset changed.
set -u
SELF=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
source "$SELF/lib.sh"
bench_need_root proxy
PEERS_DIR=$(cd "$SELF/../../shared/bench-peers" 2>/dev/null && pwd) ||
	{ echo "proxy: ../shared/bench-peers not found next to the repository" >&2; exit 1; }
SECS=${SECS:-5} REPS=${REPS:-5} CONNS=${CONNS:-10000} NS=${NS:-"1 100 1000"}
PFX="berth-proxy-$$"
DOCKER_PROXY=/usr/sbin/docker-proxy
DP_PIDS=()          # every docker-proxy this script started and has not reaped yet

# --- dependencies and build ----------------------------------------------------------------------
# docker.io's postinst would start dockerd (and containerd): --deny-starts prevents that.
[ -n "${SKIP_INSTALL:-}" ] || bench_deps --deny-starts docker.io socat gcc python3 iproute2
[ -x "$DOCKER_PROXY" ] || { echo "proxy: $DOCKER_PROXY missing (package docker.io)" >&2; exit 1; }
if pgrep -x dockerd >/dev/null; then
	echo "proxy: a dockerd is running on this machine; not benchmarking next to it" >&2
	exit 1
fi

PRE_DP=" $(pgrep -x docker-proxy | tr '\n' ' ') "   # not ours: the final check leaves them out
bench_begin

dp_stop() { # dp_stop: SIGTERM to every docker-proxy still in DP_PIDS, and reap them
	local pid
	for pid in "${DP_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for pid in "${DP_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	DP_PIDS=()
}

# The EXIT trap's part for docker-proxy: stop them first; at the end, no dockerd runs (checked
# at start), so a docker-proxy that did not exist then is ours.
bench_cleanup_hook() { dp_stop; }
bench_left_hook() {
	local pid
	for pid in $(pgrep -x docker-proxy); do
		[[ " $PRE_DP " == *" $pid "* ]] || printf ' docker-proxy:%s' "$pid"
	done
}

# --- the load generators, compiled for this run ------------------------------------------------
# tcpbench (../shared/bench-peers) is the banner server. pxb is the streaming server and the two
# clients; it is small enough to live here.
cat >"$TMP/pxb.c" <<'EOF'
/* pxb source PORT            accept loop; each connection (a forked child) gets zeros until it goes
 * pxb stream IP PORT SECS    one connection, read for SECS s from the first byte; prints "MB/s bytes s"
 * pxb conns IP PORT N WARM   N sequential connect + read to EOF (must get >0 bytes) + close;
 *                            prints "total_s conn_per_s median_us p90_us failures" */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#define BUF (256 * 1024)
static char buf[BUF];
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static int cmpd(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }
static int dial(const char *ip, int port) {
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	struct timeval tv = {2, 0};
	int s = socket(AF_INET, SOCK_STREAM, 0);
	inet_pton(AF_INET, ip, &a.sin_addr);
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(s, (void *)&a, sizeof a)) { close(s); return -1; }
	return s;
}
static int source(int port) {
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_IGN);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(s, (void *)&a, sizeof a) || listen(s, 64)) { perror("pxb: bind/listen"); return 1; }
	for (;;) {
		int c = accept(s, NULL, NULL);
		if (c < 0) continue;
		if (fork() == 0) {   /* a peer that vanished without a word: give up after 5 s */
			struct timeval tv = {5, 0};
			close(s);
			setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
			while (write(c, buf, BUF) > 0) {}
			_exit(0);
		}
		close(c);
	}
}
static int stream(const char *ip, int port, double secs) {
	struct linger lg = {1, 0};
	long long got = 0;
	double t0 = 0, t = 0;
	int s = dial(ip, port);
	if (s < 0) { perror("pxb: connect"); return 1; }
	for (;;) {
		ssize_t r = read(s, buf, BUF);
		if (r <= 0) { fprintf(stderr, "pxb: stream ended after %lld bytes\n", got); return 1; }
		t = now();
		if (!t0) t0 = t; else got += r;   /* the first read starts the clock */
		if (t - t0 >= secs) break;
	}
	setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);   /* RST: the source stops at once */
	close(s);
	printf("%.1f %lld %.3f\n", got / (t - t0) / 1e6, got, t - t0);
	return 0;
}
static int conns(const char *ip, int port, int n, int warm) {
	double *lat = calloc(n, sizeof *lat), t0 = 0;
	int fails = 0;
	for (int i = -warm; i < n; i++) {
		if (i == 0) t0 = now();
		double s0 = now();
		int s = dial(ip, port), ok = 0;
		ssize_t r;
		if (s >= 0) {
			while ((r = read(s, buf, 4096)) > 0) ok = 1;
			if (r < 0) ok = 0;
			close(s);
		}
		if (!ok && ++fails >= 5) { fprintf(stderr, "pxb: 5 failed connections, giving up\n"); return 1; }
		if (i >= 0) lat[i] = (now() - s0) * 1e6;
	}
	double tot = now() - t0;
	qsort(lat, n, sizeof *lat, cmpd);
	printf("%.4f %.0f %.1f %.1f %d\n", tot, n / tot, lat[n / 2], lat[n * 9 / 10], fails);
	return fails ? 1 : 0;
}
int main(int argc, char **argv) {
	if (argc == 3 && !strcmp(argv[1], "source")) return source(atoi(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "stream")) return stream(argv[2], atoi(argv[3]), atof(argv[4]));
	if (argc == 6 && !strcmp(argv[1], "conns")) return conns(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
	fprintf(stderr, "usage: see source\n");
	return 2;
}
EOF
gcc -O2 -Wall -o "$TMP/pxb" "$TMP/pxb.c" && gcc -O2 -o "$TMP/tcpbench" "$PEERS_DIR/tcpbench.c" || exit 1
PXB=$TMP/pxb TCPBENCH=$TMP/tcpbench

# --- the sandbox: one host namespace, berthd in it, as tests/net/lib.sh runs it -----------------
HOSTNS=$PFX-host
hx() { ip netns exec "$HOSTNS" "$@"; }
netns_add "$HOSTNS" && berthd_start berth "$HOSTNS" || exit 1
D=$TMP/berth BPID=${BERTHD_PID[berth]}
berth() { "$BERTH" -H "unix://${SOCK[berth]}" "$@"; }
# run_ctr ARGS...: `berth run -d ARGS`; sets CTR_ID and records the container's pid for the trap
# (not through $(...): the record would stay in the subshell)
run_ctr() {
	CTR_ID=$(berth run -d "$@") || return 1
	ctr_track berth "$CTR_ID"
}
ctr_ip() { berth inspect "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["NetworkSettings"]["IPAddress"])'; }

# mem PID: "VmRSS_kB Pss_kB" of one process
mem() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" | tr '\n' ' '
	awk '/^Pss:/ { print $2 }' "/proc/$1/smaps_rollup"
}
listening() { hx ss -Htln sport ge ":$1" and sport le ":$2" | wc -l; } # listening LO HI: TCP listeners
kib_mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# Other namespaces on the machine are a hint that something else (a test suite) runs meanwhile.
log "$(nproc) cpus, kernel $(uname -r), $(others); SECS=$SECS REPS=$REPS CONNS=$CONNS NS=\"$NS\""
log "$("$BERTH" --version 2>/dev/null | head -1) ($(git_desc));" \
	"docker-proxy from docker.io $(dpkg-query -W -f='${Version}' docker.io 2>/dev/null)"

# --- 3a. memory: berthd with 0, 1, 100, 1000 published ports ------------------------------------
declare -A BR BP DR DP
sleep 1
read -r "BR[0]" "BP[0]" < <(mem "$BPID")
log "berthd, 0 ports: VmRSS ${BR[0]} kB, Pss ${BP[0]} kB"
for n in $NS; do
	last=$((20000 + n - 1))
	spec="20000-$last:20000-$last"
	[ "$n" = 1 ] && spec=20000:20000
	run_ctr -p "$spec" -- sleep 100000 || { log "berth run -p $spec failed"; exit 1; }
	id=$CTR_ID
	sleep 0.5
	l=$(listening 20000 "$last")
	[ "$l" = "$n" ] || { log "berth, $n ports: $l listeners on 20000-$last, expected $n"; exit 1; }
	read -r "BR[$n]" "BP[$n]" < <(mem "$BPID")
	log "berthd, $n port(s) ($l listening): VmRSS ${BR[$n]} kB, Pss ${BP[$n]} kB"
	berth rm -f "$id" >/dev/null || exit 1
done

# --- the container servers, and one docker-proxy per server -------------------------------------
run_ctr -p 20000:5001 -- "$PXB" source 5001 || { log "source container failed"; exit 1; }
SRC=$CTR_ID
run_ctr -p 20001:5002 -- "$TCPBENCH" serve 5002 || { log "banner container failed"; exit 1; }
BAN=$CTR_ID
SRC_IP=$(ctr_ip "$SRC") BAN_IP=$(ctr_ip "$BAN")
log "containers: streaming source $SRC_IP:5001 (host port 20000), banner $BAN_IP:5002 (host port 20001)"

# dp_start HOSTPORT CONTAINER_IP CONTAINER_PORT: one docker-proxy with Docker 20.10's flags for
# `-p HOSTPORT:CONTAINER_PORT`. Like dockerd, it hands the proxy fd 3 and reads "0\n" back once
# the proxy listens ("1\n<error>" if it could not).
dp_start() {
	ip netns exec "$HOSTNS" "$DOCKER_PROXY" -proto tcp -host-ip 0.0.0.0 -host-port "$1" -container-ip "$2" -container-port "$3" \
		3>"$TMP/dp/$1" 2>>"$TMP/dp/log" &
	DP_PIDS+=($!)
}
# dp_ready PORT...: waits (at most 20 s) until every named proxy reported; 1 if one failed
dp_ready() {
	local p deadline=$((SECONDS + 20))
	for p in "$@"; do
		until [ -s "$TMP/dp/$p" ]; do
			[ $SECONDS -ge $deadline ] && { log "docker-proxy on port $p did not report in 20 s"; return 1; }
			sleep 0.01
		done
		[ "$(head -c1 "$TMP/dp/$p")" = 0 ] || { log "docker-proxy on port $p: $(cat "$TMP/dp/$p")"; return 1; }
	done
}
mkdir -p "$TMP/dp"
dp_start 30000 "$SRC_IP" 5001
dp_start 30001 "$BAN_IP" 5002
dp_ready 30000 30001 || exit 1

# wait_up IP PORT: the banner server answers (at most 10 s)
wait_up() {
	local deadline=$((SECONDS + 10))
	until hx "$TCPBENCH" check "$1" "$2" >/dev/null 2>&1; do
		[ $SECONDS -ge $deadline ] && { log "no answer from $1:$2"; return 1; }
		sleep 0.05
	done
}
wait_up "$BAN_IP" 5002 && wait_up 127.0.0.1 20001 && wait_up 127.0.0.1 30001 || exit 1
deadline=$((SECONDS + 10))
until hx "$PXB" stream "$SRC_IP" 5001 0.05 >/dev/null 2>&1; do
	[ $SECONDS -ge $deadline ] && { log "no stream from $SRC_IP:5001"; exit 1; }
	sleep 0.05
done

# Which process relays 127.0.0.1:PORT? The one that holds the connection to the container.
path_check() { # path_check HOSTPORT EXPECTED_PID NAME
	local who
	hx "$PXB" stream 127.0.0.1 "$1" 1 >/dev/null 2>&1 &
	local c=$!
	sleep 0.4
	who=$(hx ss -Htnp state established dst "$SRC_IP:5001" | grep -o 'pid=[0-9]*' | sort -u | tr '\n' ' ')
	wait "$c"
	if [ "$who" = "pid=$2 " ]; then
		log "path: 127.0.0.1:$1 -> $3 (pid $2) -> $SRC_IP:5001"
	else
		log "path: 127.0.0.1:$1 is relayed by [$who], not by $3 (pid $2)"
		return 1
	fi
}
path_check 20000 "$BPID" berthd && path_check 30000 "${DP_PIDS[0]}" docker-proxy || exit 1

# --- 1. throughput and 2. connections/s, the tools interleaved in every repetition ------------
# direct: the client talks to the container itself (no proxy), for reference.
declare -A TARGET_S=([direct]="$SRC_IP 5001" [berth]="127.0.0.1 20000" [docker-proxy]="127.0.0.1 30000")
declare -A TARGET_C=([direct]="$BAN_IP 5002" [berth]="127.0.0.1 20001" [docker-proxy]="127.0.0.1 30001")
TOOLS="direct berth docker-proxy"
declare -A TP CS LAT
for tool in $TOOLS; do TP[$tool]='' CS[$tool]='' LAT[$tool]=''; done
for r in $(seq "$REPS"); do
	log "rep $r/$REPS: $(others)"
	for tool in $TOOLS; do
		out=$(hx "$PXB" stream ${TARGET_S[$tool]} "$SECS") || { log "$tool: stream failed"; exit 1; }
		TP[$tool]+=" ${out%% *}"
		log "$tool rep $r/$REPS: throughput $out (MB/s bytes s)"
	done
	for tool in $TOOLS; do
		out=$(hx "$PXB" conns ${TARGET_C[$tool]} "$CONNS" 100) || { log "$tool: conns failed: $out"; exit 1; }
		read -r _ cps med _ _ <<<"$out"
		CS[$tool]+=" $cps" LAT[$tool]+=" $med"
		log "$tool rep $r/$REPS: conns $out (total_s conn/s median_us p90_us failures)"
	done
done
for tool in $TOOLS; do
	TP[$tool]=$(median ${TP[$tool]}) CS[$tool]=$(median ${CS[$tool]}) LAT[$tool]=$(median ${LAT[$tool]})
done
grep -qE 'level=(error|warn)' "$D/berthd.log" && log "berthd logged: $(grep -m3 -E 'level=(error|warn)' "$D/berthd.log")"
dp_stop

# --- 3b. memory: 1, 100, 1000 docker-proxy processes, one per host port -----------------------
for n in $NS; do
	rm -f "$TMP"/dp/2*
	s=$SECONDS
	for ((i = 0; i < n; i += 50)); do            # batches of 50, each awaited (20 s deadline)
		ports=()
		for ((k = i; k < i + 50 && k < n; k++)); do
			dp_start $((22000 + k)) "$SRC_IP" $((20000 + k))
			ports+=($((22000 + k)))
		done
		dp_ready "${ports[@]}" || exit 1
	done
	sleep 0.5
	l=$(listening 22000 $((22000 + n - 1)))
	[ "$l" = "$n" ] || { log "docker-proxy: $l listeners on 22000-$((22000 + n - 1)), expected $n"; exit 1; }
	rss=0 pss=0
	for pid in "${DP_PIDS[@]}"; do
		read -r a b < <(mem "$pid")
		rss=$((rss + a)) pss=$((pss + b))
	done
	DR[$n]=$rss DP[$n]=$pss
	log "docker-proxy x$n ($l listening, started in $((SECONDS - s)) s): VmRSS sum $rss kB, Pss sum $pss kB"
	dp_stop
done

log "measurements done: $(others)"

# --- the table ----------------------------------------------------------------------------------
echo
echo "userland proxy: berth (inside berthd) vs docker-proxy (one process per port); same sandbox, same container servers"
echo "ratio = berth/docker-proxy for throughput and conn/s, docker-proxy/berth for memory: >1 means berth is better"
fmt='%-38s %12s %14s %8s %12s\n'
printf "$fmt" metric berth docker-proxy ratio "direct(ref)"
printf "$fmt" "throughput, 1 conn, ${SECS}s, MB/s" "${TP[berth]}" "${TP[docker-proxy]}" \
	"$(ratio "${TP[berth]}" "${TP[docker-proxy]}")" "${TP[direct]}"
printf "$fmt" "conn/s, $CONNS sequential" "${CS[berth]}" "${CS[docker-proxy]}" \
	"$(ratio "${CS[berth]}" "${CS[docker-proxy]}")" "${CS[direct]}"
printf "$fmt" "  median connection, us" "${LAT[berth]}" "${LAT[docker-proxy]}" \
	"$(ratio "${LAT[docker-proxy]}" "${LAT[berth]}")" "${LAT[direct]}"
printf "$fmt" "RSS MiB, 0 ports (berthd baseline)" "$(kib_mib "${BR[0]}")" "-" "-" "-"
for n in $NS; do
	printf "$fmt" "RSS MiB, $n port(s)" "$(kib_mib "${BR[$n]}")" "$(kib_mib "${DR[$n]}")" \
		"$(ratio "${DR[$n]}" "${BR[$n]}")" "-"
done
big=${NS##* }
if [ "$big" -gt 1 ]; then   # berth: growth over its 0-port baseline; docker-proxy: all of it
	b=$(( (BR[$big] - BR[0]) * 1024 / big )) d=$((DR[$big] * 1024 / big))
	printf "$fmt" "  RSS bytes per port, at $big ports" "$b" "$d" "$(ratio "$d" "$b")" "-"
fi
for n in $NS; do
	printf "$fmt" "  PSS MiB, $n port(s)" "$(kib_mib "${BP[$n]}")" "$(kib_mib "${DP[$n]}")" \
		"$(ratio "${DP[$n]}" "${BP[$n]}")" "-"
done
echo "medians of $REPS runs; MB = 10^6 bytes; berth's memory is all of berthd (API, SQLite, containers, proxy),"
echo "docker-proxy's is the sum over its processes (dockerd not counted); PSS splits the pages they share."
