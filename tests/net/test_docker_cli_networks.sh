#!/usr/bin/env bash
# The real docker CLI (the machine's /usr/local/bin/docker; no Docker daemon is ever started)
# pointed at berthd in a sandbox: version, info and every `docker network` command, with what
# the user sees checked; the versioned API (/vX.Y/) and its refusals, with raw curl; and the
# ruleset a `docker network create` gives, byte-identical to `berth network create`'s.
source "$(dirname "$0")/lib.sh"

source "$(dirname "$0")/docker_lib.sh"

docker_sandbox dockercli

# refused NAME WORDS COMMAND...: the command exits 1 and prints WORDS on stderr.
refused() {
	local name=$1 words=$2 rc=0; shift 2
	"$@" >"$DIR/out" 2>"$DIR/err" || rc=$?
	if [ "$rc" = 1 ] && grep -qF -- "$words" "$DIR/err"; then pass "$name"; else
		fail "$name" "exit $rc, stderr: $(cat "$DIR/err")"; fi
}
# http METHOD PATH: the status line's code and the body, as one line ("400 {...}").
http() {
	local code
	code=$(curl -s -o "$DIR/http-body" -w '%{http_code}' --unix-socket "$S" -X "$1" "http://localhost$2")
	echo "$code $(cat "$DIR/http-body")"
}

# --- the versioned API --------------------------------------------------------------------------
out_is "/v1.99/_ping is refused as dockerd refuses it" \
	'400 {"message":"client version 1.99 is too new. Maximum supported API version is 1.47"}' http GET /v1.99/_ping
out_is "/v1.12/version is refused as dockerd refuses it" \
	'400 {"message":"client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version"}' \
	http GET /v1.12/version
check "/v1.47/version answers ApiVersion 1.47" bash -c \
	"curl -sf --unix-socket $S http://localhost/v1.47/version | python3 -c 'import json,sys; sys.exit(json.load(sys.stdin)[\"ApiVersion\"] != \"1.47\")'"
check "/version (no prefix) answers too" bash -c "curl -sf --unix-socket $S http://localhost/version >/dev/null"
check "/v1.24/rules: berth's own routes under the prefix" bash -c "curl -sf --unix-socket $S http://localhost/v1.24/rules >/dev/null"
curl -s -I --unix-socket "$S" http://localhost/_ping | tr -d '\r' >"$DIR/ping-headers"
check "HEAD /_ping: Api-Version, Ostype, Docker-Experimental, Pragma" bash -c \
	"grep -qx 'Api-Version: 1.47' $DIR/ping-headers && grep -qx 'Ostype: linux' $DIR/ping-headers && grep -qx 'Docker-Experimental: false' $DIR/ping-headers && grep -qx 'Pragma: no-cache' $DIR/ping-headers"
out_is "HEAD /_ping: no body" "200 0" curl -s -I -o /dev/null -w '%{http_code} %{size_download}' --unix-socket "$S" http://localhost/_ping

# --- docker version, docker info ------------------------------------------------------------------
out_is "docker version: server version, API versions, platform" "0.1.0 1.47 1.24 berth linux" \
	docker version --format '{{.Server.Version}} {{.Server.APIVersion}} {{.Server.MinAPIVersion}} {{.Server.Platform.Name}} {{.Server.Os}}'
check "docker version prints no error and no blank server field" bash -c \
	"'$DOCKER' version >$DIR/version.txt 2>&1 && ! grep -qE '^  +[A-Za-z ]+:\s*$' $DIR/version.txt"
berth run -d --name sleeper sleep 300 >/dev/null
out_is "docker info: counts (Images: the one image host), driver, swarm, kernel, OS type" \
	"1 1 0 1 bridge inactive $(uname -r) linux $(nproc)" \
	docker info --format "{{.Containers}} {{.ContainersRunning}} {{.ContainersStopped}} {{.Images}} {{index .Plugins.Network 0}} {{.Swarm.LocalNodeState}} {{.KernelVersion}} {{.OSType}} {{.NCPU}}"
out_is "docker info: the firewall backend berthd runs" "$BERTH_BACKEND" docker info --format '{{.FirewallBackend.Driver}}'
check "docker info prints without an error" bash -c "'$DOCKER' info >$DIR/info.txt 2>&1 && grep -q 'Server Version: 0.1.0' $DIR/info.txt && ! grep -qi error $DIR/info.txt"
check "berth info still prints the firewall backend" bash -c "'$BERTH' -H unix://$S info | grep -q '^FirewallBackend: $BERTH_BACKEND'"

# --- create, ls, inspect -------------------------------------------------------------------------
check "docker network create with --subnet --gateway --ip-range --label --internal -o" bash -c \
	"'$DOCKER' network create --subnet 172.30.0.0/24 --gateway 172.30.0.254 --ip-range 172.30.0.128/25 --label team=a --label solo \
	 --internal -o com.docker.network.bridge.enable_icc=false net1 >$DIR/net1.id"
check "create answers a 64-hex id" grep -qE '^[0-9a-f]{64}$' "$DIR/net1.id"
docker network create --label team=b net2 >/dev/null
docker network create net3 >/dev/null
out_is "inspect: Docker's fields" \
	"net1 local bridge true false default 172.30.0.0/24 172.30.0.254 172.30.0.128/25 true false false false a false" \
	docker network inspect net1 --format '{{.Name}} {{.Scope}} {{.Driver}} {{.EnableIPv4}} {{.EnableIPv6}} {{.IPAM.Driver}} {{(index .IPAM.Config 0).Subnet}} {{(index .IPAM.Config 0).Gateway}} {{(index .IPAM.Config 0).IPRange}} {{.Internal}} {{.Attachable}} {{.Ingress}} {{.ConfigOnly}} {{index .Labels "team"}} {{index .Options "com.docker.network.bridge.enable_icc" | eq "true"}}'
check "inspect: Created is RFC 3339 with nanoseconds, Id is the created one" bash -c \
	"'$DOCKER' network inspect net1 | python3 -c 'import json,re,sys; n=json.load(sys.stdin)[0]; sys.exit(not (re.fullmatch(r\"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z\", n[\"Created\"]) and n[\"Id\"] == open(\"$DIR/net1.id\").read().strip() and n[\"ConfigFrom\"] == {\"Network\": \"\"} and n[\"IPAM\"][\"Options\"] == {}))'"
out_is "ls --filter label=team=a" "net1 bridge" docker network ls --filter label=team=a --format '{{.Name}} {{.Driver}}'
out_is "ls --filter label=team (either value)" "net1 net2" bash -c "'$DOCKER' network ls --filter label=team --format '{{.Name}}' | sort | xargs"
out_is "ls: two label filters must both match, as dockerd's" "net1" docker network ls --filter label=team --filter label=solo --format '{{.Name}}'
c1=$(docker network inspect bridge --format '{{.Created}}')
c2=$(docker network inspect bridge --format '{{.Created}}')
check "the default bridge has a Created, the same each time" bash -c "[ '$c1' = '$c2' ] && [[ '$c1' != 0001-* ]]"
out_is "ls --filter name=net (substring)" "net1 net2 net3" bash -c "'$DOCKER' network ls --filter name=net --format '{{.Name}}' | sort | xargs"
out_is "ls --filter driver=bridge lists all" "bridge net1 net2 net3" bash -c "'$DOCKER' network ls --filter driver=bridge --format '{{.Name}}' | sort | xargs"
out_is "ls --filter type=builtin" "bridge" docker network ls --filter type=builtin --format '{{.Name}}'
out_is "ls --filter id=PREFIX" "net1" docker network ls --filter "id=$(cut -c1-10 "$DIR/net1.id")" --format '{{.Name}}'
refused "ls --filter nosuch: dockerd's words" "invalid filter 'nosuch'" docker network ls --filter nosuch=1
out_is "ls: Id (12), Name, Driver, Scope columns" "$(cut -c1-12 "$DIR/net1.id") net1 bridge local" \
	docker network ls --filter name=net1 --format '{{.ID}} {{.Name}} {{.Driver}} {{.Scope}}'
refused "--ipv6 is refused with berth's message" "berth has no IPv6 yet" docker network create --ipv6 net6
refused "a duplicate name: dockerd's words" "network with name net1 already exists" docker network create net1
refused "inspect nosuch: exit 1, dockerd's message" "network nosuch not found" docker network inspect nosuch
check "inspect nosuch prints [] first, as docker does" grep -qx '\[\]' "$DIR/out"
out_is "berth network ls still lists them" "bridge net1 net2 net3" bash -c "'$BERTH' -H unix://$S network ls --format json | python3 -c 'import json,sys; print(*sorted(n[\"Name\"] for n in json.load(sys.stdin)))'"

# --- connect, disconnect ---------------------------------------------------------------------------
docker network create --subnet 10.77.0.0/24 web >/dev/null
check "connect --ip --alias a berth run -d container" docker network connect --ip 10.77.0.10 --alias db --alias db2 web sleeper
out_is "inspect: the container, its address and aliases" "sleeper 10.77.0.10/24 [db db2] true" bash -c \
	"'$DOCKER' network inspect web --format '{{range .Containers}}{{.Name}} {{.IPv4Address}} {{.Aliases}} {{ne .EndpointID \"\"}}{{end}}'"
check "the address is on the container's interface" bash -c "'$BERTH' -H unix://$S exec sleeper ip -4 -o addr | grep -q ' 10.77.0.10/24 '"
refused "rm of a network in use: dockerd's words" "has active endpoints" docker network rm web
check "disconnect" docker network disconnect web sleeper
out_is "inspect after disconnect: no container" "0" docker network inspect web --format '{{len .Containers}}'
refused "connect --ip6: refused by name" "IPv6" docker network connect --ip6 fd00::5 web sleeper
refused "disconnect of a container not connected" "sleeper" docker network disconnect web sleeper

# --- older API versions, rm -f, dangling -------------------------------------------------------------
check "at API 1.43 (CheckDuplicate in the body) create works" bash -c "DOCKER_API_VERSION=1.43 '$DOCKER' network create v143 >/dev/null"
check "at API 1.24 ls works" bash -c "DOCKER_API_VERSION=1.24 '$DOCKER' network ls --format '{{.Name}}' | grep -qx v143"
out_is "ls --filter dangling=true: custom networks without containers" "net1 net2 net3 v143 web" \
	bash -c "'$DOCKER' network ls --filter dangling=true --format '{{.Name}}' | sort | xargs"
refused "ls --filter dangling=maybe: dockerd's words" "invalid filter 'dangling=maybe'" docker network ls --filter dangling=maybe
out_is "rm -f of a missing network is silent, exit 0" "" docker network rm -f nosuch
refused "rm bridge: pre-defined" "bridge is a pre-defined network and cannot be removed" docker network rm bridge
docker network rm v143 >/dev/null

# --- rm, prune -------------------------------------------------------------------------------------
check "rm one" bash -c "'$DOCKER' network rm net3 >/dev/null"
out_is "rm many prints the names" "net2 web" bash -c "'$DOCKER' network rm net2 web | xargs"
docker network create old1 >/dev/null
docker network create --label keep=1 kept >/dev/null
out_is "prune --filter label!=keep removes unused custom networks only" "Deleted Networks: net1 old1" \
	bash -c "'$DOCKER' network prune -f --filter label!=keep | xargs"
out_is "after prune: bridge and the labelled one" "bridge kept" bash -c "'$DOCKER' network ls --format '{{.Name}}' | sort | xargs"
out_is "prune --filter until=1h keeps the new one" "" bash -c "'$DOCKER' network prune -f --filter until=1h | xargs"
out_is "prune removes it now" "Deleted Networks: kept" bash -c "'$DOCKER' network prune -f | xargs"

# --- berth's client speaks the same API: labels and aliases too ---------------------------------------
berth network create --label tier=db --attachable bnet >/dev/null
berth network connect --alias store bnet sleeper
out_is "berth network create --label --attachable, connect --alias: docker sees them" "db true store" \
	docker network inspect bnet --format '{{index .Labels "tier"}} {{.Attachable}} {{range .Containers}}{{index .Aliases 0}}{{end}}'
berth network disconnect bnet sleeper
berth network rm bnet >/dev/null

# --- the same network, the same ruleset --------------------------------------------------------------
ARGS=(--subnet 10.88.0.0/24 --gateway 10.88.0.1 --internal -o com.docker.network.bridge.name=br-same
	-o com.docker.network.bridge.enable_icc=false)
berth network create "${ARGS[@]}" same >/dev/null
saved >"$DIR/by-berth"
berth network rm same >/dev/null
docker network create "${ARGS[@]}" same >/dev/null
saved >"$DIR/by-docker"
same "docker network create: the ruleset is byte-identical to berth network create's" "$DIR/by-berth" "$DIR/by-docker"
docker network rm same >/dev/null

berth rm -f sleeper >/dev/null
berthd_stop && pass "berthd exits cleanly"
