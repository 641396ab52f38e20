# Real podman (Debian's 4.3, CNI backend) against berthd in a sandbox. Source it after lib.sh.
#
# podman keeps its state in mounts: `podman run` bind-mounts the container's network namespace
# at /run/netns/netns-<uuid>, and the `podman container cleanup` that conmon runs when the
# container exits must find it there again. `ip netns exec` makes a new mount namespace per
# call, so every podman command, berthd and berth-cni (which podman executes) run inside ONE
# long-lived "holder": the sandbox network namespace plus a private mount namespace with a sysfs
# of that network namespace, the host's cgroups bound back under it, and tmpfs over /run,
# /var/lib and /var/tmp (nothing of the machine's podman state is seen or changed). berthd runs
# there too: CNI_NETNS is a path in the holder's mounts. Everything podman stores is under $TMP.
#
#    client ns                      holder = sandbox "host" ns + private mounts
#   198.18.0.2/30 ---veth--- 198.18.0.1/30    berthd, podman, conmon, berth-cni
#                                              bridge of network $PODMAN_NET --- container (busybox)
#
# Teardown is by pid: the conmon and container pids podman reported, every pid in the test's
# --cgroup-parent and in the holder's mount namespace, then the holder (and so its mounts); then
# the cgroups go.
PODMAN_NET=${PODMAN_NET:-berthpod}
PODMAN_IMAGE=localhost/berth-busybox:latest
HOLDER_PID=""
PODMAN_PIDS=()      # conmon and container pids, as podman inspect reported them
PODMAN_CGROUP=berth-t-$$

# in_host runs in the holder: berthd (lib.sh's berthd_start), iptables-save and nft see the
# same mounts as podman. Before the holder exists, lib.sh's way (never the root namespace).
in_host() {
	if [ -n "$HOLDER_PID" ]; then "${HOST_ENTER[@]}" "$@"; else ip netns exec "$HOST" "$@"; fi
}

# podman_holder: the holder process, in the sandbox made by `sandbox`. Sets HOLDER_PID.
podman_holder() {
	local fifo=$TMP/holder.ready
	mkfifo "$fifo"
	mkdir -p "$TMP/cgroup-keep"
	# A fresh sysfs over /sys shows this network namespace's devices (what `ip netns exec`
	# does); it also hides the machine's cgroup mounts, which runc needs: bound aside first,
	# then back under the new /sys.
	nsenter --net="/run/netns/$HOST" unshare -m --propagation private -- sh -c '
		mount --rbind /sys/fs/cgroup "$1" &&
		mount -t sysfs sysfs /sys &&
		mount --rbind "$1" /sys/fs/cgroup &&
		mount -t tmpfs -o mode=755 tmpfs /run &&
		mount -t tmpfs -o mode=755 tmpfs /var/lib &&
		mount -t tmpfs -o mode=1777 tmpfs /var/tmp &&
		mkdir -p /run/netns || exit 1
		echo ready >"$2"
		exec sleep infinity' holder "$TMP/cgroup-keep" "$fifo" &
	# nsenter, unshare and sh each exec the next: this is the pid of `sleep`.
	HOLDER_PID=$!
	local line=""
	exec 9<>"$fifo"     # read-write: the open does not wait for a writer that may never come
	read -r -t 10 -u 9 line
	exec 9<&-
	[ "$line" = ready ] || { kill -KILL "$HOLDER_PID" 2>/dev/null; HOLDER_PID=""; return 1; }
	HOST_ENTER=(nsenter -t "$HOLDER_PID" -m -n --)
}

# podman_config: containers.conf, storage.conf, the conflist and the plugin directory.
podman_config() {
	P=$TMP/podman
	mkdir -p "$P/net.d" "$P/cni-bin" "$P/tmp" "$P/static" "$P/volumes" "$P/root" "$P/runroot"
	ln -s "$(realpath "$BUILD/berth-cni")" "$P/cni-bin/berth"
	# root here lacks CAP_SYS_RESOURCE: podman's default nofile of 1048576 makes runc fail.
	local nofile
	nofile=$(ulimit -Hn)
	cat >"$P/containers.conf" <<EOF
[containers]
netns = "bridge"
default_ulimits = ["nofile=$nofile:$nofile", "nproc=32768:32768"]

[network]
network_backend = "cni"
cni_plugin_dirs = ["$P/cni-bin"]
network_config_dir = "$P/net.d"
default_network = "$PODMAN_NET"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$P/events.log"
runtime = "runc"
tmp_dir = "$P/tmp"
static_dir = "$P/static"
volume_path = "$P/volumes"
EOF
	cat >"$P/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$P/root"
runroot = "$P/runroot"
EOF
	cat >"$P/net.d/$PODMAN_NET.conflist" <<EOF
{"cniVersion":"1.0.0","name":"$PODMAN_NET","plugins":[{"type":"berth","network":"$PODMAN_NET","socket":"unix://$DIR/berth.sock","capabilities":{"portMappings":true,"ips":true,"mac":true}}]}
EOF
}

# podman ARGS...: podman in the holder, with only the test's configuration.
podman() {
	in_host env CONTAINERS_CONF="$P/containers.conf" CONTAINERS_STORAGE_CONF="$P/storage.conf" \
		podman --root "$P/root" --runroot "$P/runroot" --cgroup-manager cgroupfs --events-backend file \
		--network-config-dir "$P/net.d" "$@"
}

# podman_image: a busybox-static root file system, imported (no registry). busybox's httpd
# serves TCP; Debian's busybox has no UDP server, so socat and the libraries it links are
# copied in for the UDP one.
podman_image() {
	local rootfs=$TMP/rootfs a f
	mkdir -p "$rootfs/bin" "$rootfs/www" "$rootfs/tmp"
	cp /bin/busybox "$rootfs/bin/busybox"
	for a in sh httpd ip sleep echo cat; do ln -s busybox "$rootfs/bin/$a"; done
	for f in "$(command -v socat)" $(ldd "$(command -v socat)" | grep -o '/[^ ]*'); do
		mkdir -p "$rootfs$(dirname "$f")"
		cp -L "$f" "$rootfs$f"
	done
	echo podman-80 >"$rootfs/www/index.html"
	tar -C "$rootfs" -c . | podman import -q - "$PODMAN_IMAGE" >/dev/null
}

# podman_track NAME: records the container's conmon and process pids for the EXIT trap.
podman_track() {
	local pids
	pids=$(podman inspect --format '{{.State.ConmonPid}} {{.State.Pid}}' "$1" 2>/dev/null) || return 0
	for p in $pids; do [ "$p" -gt 0 ] && PODMAN_PIDS+=("$p"); done
	return 0
}

# The pids in our cgroup-parent: conmon and every container process, whatever podman reported.
# cgroup v1 has it once per controller hierarchy, v2 once.
podman_cgroup_dirs() {
	local d
	for d in /sys/fs/cgroup/"$PODMAN_CGROUP" /sys/fs/cgroup/*/"$PODMAN_CGROUP"; do [ -d "$d" ] && echo "$d"; done
}
podman_cgroup_pids() {
	local d
	for d in $(podman_cgroup_dirs); do find "$d" -name cgroup.procs -exec cat {} +; done 2>/dev/null | sort -u
}
# The pids in the holder's mount namespace: podman commands still running, conmon, berthd.
holder_pids() {
	local mnt p
	mnt=$(readlink "/proc/$HOLDER_PID/ns/mnt") || return 0
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$mnt" ] && [ "${p#/proc/}" != "$HOLDER_PID" ] && echo "${p#/proc/}"
	done
}

# A test killed with SIGKILL runs no EXIT trap: lib.sh's sweep stops what was in its sandbox
# (the holder, berthd, conmon), but the container processes live in podman's own namespaces.
# They are in the dead test's cgroup-parent (berth-t-<its pid>): stopped by pid, then the
# cgroups go.
sweep_stale_podman_cgroups() {
	local d pid p
	for d in /sys/fs/cgroup/berth-t-* /sys/fs/cgroup/*/berth-t-*; do
		[ -d "$d" ] || continue
		pid=${d##*/berth-t-}
		[[ $pid =~ ^[0-9]+$ ]] || continue
		[ -d "/proc/$pid" ] && continue
		for p in $(PODMAN_CGROUP=berth-t-$pid podman_cgroup_pids); do kill -KILL "$p" 2>/dev/null; done
		PODMAN_CGROUP=berth-t-$pid remove_podman_cgroups
	done
}

# Waits (at most 5 s) for the last process of our cgroups to exit, then removes them.
remove_podman_cgroups() {
	local d deadline=$((SECONDS + 5))
	while [ -n "$(podman_cgroup_pids)" ] && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
	for d in $(podman_cgroup_dirs); do
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
}

podman_cleanup() {
	local p
	if [ -n "$HOLDER_PID" ]; then
		for p in "${PODMAN_PIDS[@]}" $(podman_cgroup_pids) $(holder_pids); do kill -KILL "$p" 2>/dev/null; done
		kill -KILL "$HOLDER_PID" 2>/dev/null && wait "$HOLDER_PID" 2>/dev/null
	fi
	remove_podman_cgroups
}
sweep_stale_podman_cgroups
