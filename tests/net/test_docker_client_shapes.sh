#!/usr/bin/env bash
# What the real docker CLI (the machine's /usr/local/bin/docker; no Docker daemon is started)
# prints from berthd's answers, field by field with --format: every field that dockerd fills for
# a network, a container (running, stopped, connected to a second network with an alias, started
# with --entrypoint and -P), docker info, version, images and image inspect prints a value, never
# a blank or "<no value>"; the values that have a right answer are compared with it. Then what
# berth refuses (build, volume create, pull) says so, and volume ls answers empty.
source "$(dirname "$0")/lib.sh"

source "$(dirname "$0")/docker_lib.sh"

docker_sandbox shapes

# filled NAME FIELDS COMMAND...: the command succeeds and prints one line of "|"-separated
# fields (FIELDS names them, "|"-separated too); none is empty, "<no value>", "<nil>" or "map[]".
filled() {
	local name=$1 fields=$2 out i bad=""; shift 2
	local -a got names
	if ! out=$("$@" 2>&1); then fail "$name" "exit status $?: $out"; return; fi
	IFS='|' read -r -a got <<<"$out"
	IFS='|' read -r -a names <<<"$fields"
	[ "${#got[@]}" = "${#names[@]}" ] || bad=" (${#got[@]} fields printed, ${#names[@]} asked: $out)"
	for i in "${!names[@]}"; do
		case ${got[$i]:-} in
		'' | '<no value>' | '<nil>' | 'map[]' | '[]') bad+=" ${names[$i]}=[${got[$i]:-}]" ;;
		esac
	done
	if [ -z "$bad" ]; then pass "$name"; else fail "$name" "blank:$bad"; fi
}
# fmt FIELDS: the --format template printing FIELDS ("A.B|C") as {{.A.B}}|{{.C}}
fmt() { local f out="" sep=""; IFS='|' read -r -a f <<<"$1"; for x in "${f[@]}"; do out+="$sep{{.$x}}"; sep='|'; done; echo "$out"; }
refused() {
	local name=$1 words=$2 rc=0; shift 2
	"$@" >"$DIR/out" 2>"$DIR/err" || rc=$?
	if [ "$rc" = 1 ] && grep -qF -- "$words" "$DIR/err"; then pass "$name"; else fail "$name" "exit $rc, stderr: $(cat "$DIR/err")"; fi
}

docker network create --subnet 172.30.0.0/24 --gateway 172.30.0.1 --label team=shapes N >/dev/null || fail "network create"
docker run -d -p 8080:80 --name web --network N -l app=web -e GREETING=hi --hostname webhost host sleep 300 >/dev/null ||
	fail "docker run web"
docker run -d --name side --entrypoint sleep --expose 7000 -P host 300 >/dev/null || fail "docker run side"
docker network connect --ip 172.30.0.9 --alias db N side || fail "network connect"

# --- docker inspect: a running container --------------------------------------------------------
F='Id|Created|Path|Args|State.Status|State.Running|State.Paused|State.Restarting|State.OOMKilled|State.Dead|State.Pid|State.ExitCode|State.StartedAt|State.FinishedAt|Image|ResolvConfPath|HostnamePath|HostsPath|LogPath|Name|RestartCount|Driver|Platform|HostConfig.NetworkMode|HostConfig.PortBindings|HostConfig.PublishAllPorts|HostConfig.AutoRemove|HostConfig.RestartPolicy.Name|HostConfig.LogConfig.Type|Config.Hostname|Config.Image|Config.Cmd|Config.Env|Config.Labels|Config.ExposedPorts|NetworkSettings.SandboxID|NetworkSettings.SandboxKey|NetworkSettings.Ports|NetworkSettings.EndpointID|NetworkSettings.Gateway|NetworkSettings.IPAddress|NetworkSettings.IPPrefixLen|NetworkSettings.MacAddress'
filled "docker inspect (running): every ContainerJSON field has a value" "$F" docker inspect --format "$(fmt "$F")" web
out_is "docker inspect: Image is the host image's id" "sha256:4740ae6347b0172c01254ff55bae5aff5199f4446e7f6d643d40185b3f475145" \
	docker inspect --format '{{.Image}}' web
out_is "docker inspect: NetworkSettings.SandboxKey is the container's network namespace (its bind mount)" \
	"$DIR/run/netns/$(docker inspect --format '{{.Id}}' web)" docker inspect --format '{{.NetworkSettings.SandboxKey}}' web
out_is "docker inspect: Path, Args, Config.Cmd, Config.Entrypoint without --entrypoint" "sleep [300] [sleep 300] []" \
	docker inspect --format '{{.Path}} {{.Args}} {{.Config.Cmd}} {{.Config.Entrypoint}}' web
out_is "docker inspect: --entrypoint kept apart from Cmd" "sleep [300] [300] [sleep]" \
	docker inspect --format '{{.Path}} {{.Args}} {{.Config.Cmd}} {{.Config.Entrypoint}}' side
out_is "docker inspect: HostConfig.PublishAllPorts as run asked (-P, no -P)" "true false" \
	sh -c "'$DOCKER' inspect --format '{{.HostConfig.PublishAllPorts}}' side web | tr '\n' ' ' | sed 's/ \$//'"
out_is "docker inspect: Config, labels, env, exposed ports" "webhost host map[app:web] [GREETING=hi] map[80/tcp:{}]" \
	docker inspect --format '{{.Config.Hostname}} {{.Config.Image}} {{.Config.Labels}} {{.Config.Env}} {{.Config.ExposedPorts}}' web
NF='NetworkID|EndpointID|Gateway|IPAddress|IPPrefixLen|MacAddress|Aliases|IPAMConfig.IPv4Address'
filled "docker inspect: NetworkSettings.Networks.N of a connected container has every field" "$NF" \
	docker inspect --format "{{with .NetworkSettings.Networks.N}}$(fmt "$NF"){{end}}" side
out_is "docker inspect: the alias and address connect recorded" "[db] 172.30.0.9 172.30.0.9" \
	docker inspect --format '{{.NetworkSettings.Networks.N.Aliases}} {{.NetworkSettings.Networks.N.IPAMConfig.IPv4Address}} {{.NetworkSettings.Networks.N.IPAddress}}' side
out_is "docker inspect: the networks of a connected container (Go sorts the keys)" "N bridge " \
	docker inspect --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}' side
check "docker inspect: EndpointID differs per network" bash -c \
	"[ \"\$('$DOCKER' inspect --format '{{.NetworkSettings.Networks.N.EndpointID}}' side)\" != \"\$('$DOCKER' inspect --format '{{.NetworkSettings.Networks.bridge.EndpointID}}' side)\" ]"

# --- docker network inspect / ls -----------------------------------------------------------------
NI='Name|Id|Created|Scope|Driver|EnableIPv4|EnableIPv6|IPAM.Driver|Internal|Attachable|Ingress|ConfigOnly|Options|Labels'
filled "docker network inspect: every NetworkResource field has a value" "$NI" docker network inspect --format "$(fmt "$NI")" N
out_is "docker network inspect: IPAM.Config" "172.30.0.0/24 172.30.0.1" \
	docker network inspect --format '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}' N
CF='Name|EndpointID|MacAddress|IPv4Address'
filled "docker network inspect: each container's Name, EndpointID, MacAddress, IPv4Address" "$CF|$CF" \
	docker network inspect --format "{{range \$id, \$c := .Containers}}{{with \$c}}$(fmt "$CF"){{end}}|{{end}}" N
check "... and the container's EndpointID is its inspect's" bash -c \
	"'$DOCKER' network inspect --format '{{range .Containers}}{{.EndpointID}} {{end}}' N | grep -qw \"\$('$DOCKER' inspect --format '{{.NetworkSettings.Networks.N.EndpointID}}' side)\""
LF='ID|Name|Driver|Scope|IPv6|Internal|Labels|CreatedAt'
filled "docker network ls --format: every field" "$LF" docker network ls --filter name=N --format "$(fmt "$LF")"

# --- docker ps ------------------------------------------------------------------------------------
PF='ID|Image|Command|CreatedAt|RunningFor|Ports|Status|Size|Names|Labels|Networks|State'
filled "docker ps --format: every field of a running container" "$PF" docker ps --filter name=web --format "$(fmt "$PF")"

# --- a stopped container ---------------------------------------------------------------------------
docker stop -t 1 web >/dev/null || fail "docker stop"
SF='State.Status|State.ExitCode|State.StartedAt|State.FinishedAt|State.Pid|HostConfig.PortBindings|Config.Cmd|NetworkSettings.SandboxKey|NetworkSettings.Networks.N.NetworkID'
filled "docker inspect (exited): State, bindings, command, networks" "$SF" docker inspect --format "$(fmt "$SF")" web
check "docker inspect (exited): FinishedAt is a time after StartedAt" bash -c \
	"'$DOCKER' inspect --format '{{.State.FinishedAt}}' web | grep -qv '^0001-'"

# --- docker info, version --------------------------------------------------------------------------
IF='ID|Containers|ContainersRunning|ContainersPaused|ContainersStopped|Images|Driver|KernelVersion|OperatingSystem|OSType|Architecture|NCPU|MemTotal|Name|ServerVersion|DockerRootDir|LoggingDriver|CgroupDriver|CgroupVersion|Swarm.LocalNodeState|Plugins.Network|LiveRestoreEnabled|FirewallBackend.Driver'
filled "docker info --format: every field" "$IF" docker info --format "$(fmt "$IF")"
out_is "docker info: counts of containers (2: 1 running, 1 stopped), images (1), CPUs" "2 1 0 1 1 $(nproc)" \
	docker info --format '{{.Containers}} {{.ContainersRunning}} {{.ContainersPaused}} {{.ContainersStopped}} {{.Images}} {{.NCPU}}'
out_is "docker info: MemTotal is the kernel's MemTotal" "$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) * 1024))" \
	docker info --format '{{.MemTotal}}'
out_is "docker info: KernelVersion, OSType, Architecture" "$(uname -r) linux $(uname -m)" \
	docker info --format '{{.KernelVersion}} {{.OSType}} {{.Architecture}}'
# Plugins: is a heading; its Volume: is empty because berth has no volume plugin (dockerd: local).
check "docker info prints no error and no field without a value (but Plugins' Volume: berth has none)" bash -c \
	"'$DOCKER' info >$DIR/info.txt 2>&1 && ! grep -vE '^ +(Plugins|Volume):' $DIR/info.txt | grep -qE '^ +[A-Za-z][A-Za-z ]*:\s*$'"
VF='Server.Version|Server.APIVersion|Server.MinAPIVersion|Server.GitCommit|Server.GoVersion|Server.Os|Server.Arch|Server.KernelVersion|Server.BuildTime|Server.Platform.Name'
filled "docker version --format: every server field" "$VF" docker version --format "$(fmt "$VF")"

# --- images: the one image host; volumes: none ----------------------------------------------------
out_is "docker images: the one image, host:latest" "host latest 4740ae6347b0 0B" \
	docker images --format '{{.Repository}} {{.Tag}} {{.ID}} {{.Size}}'
MF='ID|Repository|Tag|CreatedSince|CreatedAt|Size'
filled "docker images --format: every field" "$MF" docker images --format "$(fmt "$MF")"
GF='Id|RepoTags|Created|Os|Architecture|Size'
filled "docker image inspect host: every field" "$GF" docker image inspect --format "$(fmt "$GF")" host
out_is "docker image inspect host: the host's architecture" "$(docker version --format '{{.Server.Arch}}')" \
	docker image inspect --format '{{.Architecture}}' host
out_is "docker image inspect by the id inspect gives" "[host:latest]" \
	docker image inspect --format '{{.RepoTags}}' "$(docker inspect --format '{{.Image}}' web)"
out_is "docker volume ls: empty" "" docker volume ls -q
out_is "docker volume prune -f: nothing to remove" "Total reclaimed space: 0B" docker volume prune -f

# --- refusals -------------------------------------------------------------------------------------
mkdir -p "$DIR/ctx" && echo 'FROM host' >"$DIR/ctx/Dockerfile"
refused "docker build: refused, berth has no images" "docker build is not supported" env DOCKER_BUILDKIT=0 "$DOCKER" build -q "$DIR/ctx"
refused "docker volume create: refused, berth has no volumes" "berth has no volumes" docker volume create v1
refused "docker volume inspect: no such volume" "no such volume" docker volume inspect v1
refused "docker pull alpine: refused, berth has no images" "berth has no images" docker pull alpine
refused "docker rmi host: refused" "cannot be removed" docker rmi host
refused "docker top: refused by name" "docker top is not supported" docker top side
refused "docker stats NAME: refused by name" "docker stats is not supported" docker stats --no-stream side

# --- run --network-alias: recorded and shown as connect --alias's --------------------------------
docker run -d --name al --network N --network-alias web2 --network-alias w3 host sleep 300 >/dev/null ||
	fail "docker run --network-alias"
out_is "docker run --network-alias: inspect shows the aliases" "[web2 w3]" \
	docker inspect --format '{{.NetworkSettings.Networks.N.Aliases}}' al
out_is "docker run --network-alias: network inspect shows them too" "[web2 w3]" \
	docker network inspect --format '{{range .Containers}}{{if eq .Name "al"}}{{.Aliases}}{{end}}{{end}}' N
code=$(curl -s -o "$DIR/alias.out" -w '%{http_code}' --unix-socket "$DIR/berth.sock" -H 'Content-Type: application/json' \
	-d '{"Image":"host","Cmd":["true"],"NetworkingConfig":{"EndpointsConfig":{"bridge":{"Aliases":["x"]}}}}' \
	'http://localhost/v1.47/containers/create?name=bad')
check "aliases on the default network: 400 in dockerd's words, nothing created" bash -c \
	"[ '$code' = 400 ] && grep -q 'only supported for user-defined networks' '$DIR/alias.out' && ! '$DOCKER' inspect bad >/dev/null 2>&1"
docker rm -f al >/dev/null

# --- the network named "default" is the default network -------------------------------------------
docker run -d --name dflt --network default host sleep 300 >/dev/null || fail "docker run --network default"
out_is "docker run --network default: on the default network bridge" "bridge" \
	docker inspect --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' dflt

docker rm -f web side dflt >/dev/null || fail "docker rm -f"
docker network rm N >/dev/null || fail "docker network rm"
berthd_stop && pass "berthd exits cleanly (no sanitizer report)"
