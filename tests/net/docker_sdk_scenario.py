#!/usr/bin/python3
# The Docker SDK for Python (Debian's python3-docker) driving berthd: networks and containers as
# a user's script would, with what the SDK returns checked. Run by test_docker_sdk_python.sh
# with DOCKER_HOST pointing at the sandbox's berthd; argv: the client namespace's tcp_get
# command (prints what the published port answers). Prints PASS:/FAIL: lines; exits 0.
import re
import subprocess
import sys
import time

import docker
from docker.errors import APIError, NotFound

GET = sys.argv[1:]   # e.g. ["ip", "netns", "exec", NS, "socat", ...]: the published port's answer


def report(name, ok, detail=""):
    print(("PASS: " if ok else "FAIL: ") + name + ("" if ok or not detail else ": " + str(detail)), flush=True)


def eq(name, got, want):
    report(name, got == want, "wanted %r, got %r" % (want, got))


def step(name, fn):
    """Runs fn; a raised exception is this check's failure, not the end of the scenario."""
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - any SDK error is the check's failure
        report(name, False, "%s: %s" % (type(e).__name__, e))
        return None


client = docker.from_env(version="auto", timeout=20)

# --- the daemon --------------------------------------------------------------------------------
eq("ping() is True", step("ping", client.ping), True)
v = step("version", client.version) or {}
report("version(): ApiVersion and the server's Version", re.match(r"^1\.\d+$", v.get("ApiVersion", "")) is not None
       and bool(v.get("Version")), v)
eq("version(): the SDK negotiated the server's API version", client.api.api_version, v.get("ApiVersion"))
info = step("info", client.info) or {}
report("info(): Containers, Images, Driver, KernelVersion, OperatingSystem, NCPU, MemTotal, Name, ServerVersion",
       all(info.get(k) not in (None, "") for k in ("Driver", "KernelVersion", "OperatingSystem", "Name", "ServerVersion"))
       and info.get("NCPU", 0) > 0 and info.get("MemTotal", 0) > 0 and info.get("Containers") == 0
       and info.get("Images") == 1, {k: info.get(k) for k in ("Containers", "Images", "Driver", "NCPU", "Name")})

# --- networks ----------------------------------------------------------------------------------
ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet="172.30.0.0/24", gateway="172.30.0.1",
                                                                   iprange="172.30.0.128/25")])
net = step("networks.create with IPAM and labels",
           lambda: client.networks.create("sdknet", driver="bridge", ipam=ipam, labels={"team": "sdk"}))
report("networks.create returns the Network", net is not None and len(net.id) == 64, net)
other = step("networks.create without IPAM", lambda: client.networks.create("sdkother", labels={"team": "other"}))
dup = None
try:
    client.networks.create("sdknet")
except APIError as e:
    dup = e
report("networks.create of a taken name: APIError 409", dup is not None and dup.status_code == 409, dup)

eq("networks.list(names=[sdknet])", [n.name for n in client.networks.list(names=["sdknet"])], ["sdknet"])
eq("networks.list(filters={label: team=sdk})", [n.name for n in client.networks.list(filters={"label": "team=sdk"})],
   ["sdknet"])
eq("networks.list(filters={driver: bridge, type: custom}) (sorted)",
   sorted(n.name for n in client.networks.list(filters={"driver": "bridge", "type": "custom"})), ["sdknet", "sdkother"])
eq("networks.list(filters={type: builtin})", [n.name for n in client.networks.list(filters={"type": "builtin"})],
   ["bridge"])
eq("networks.list(ids=[the id])", [n.name for n in client.networks.list(ids=[net.id])] if net else None, ["sdknet"])

got = step("networks.get", lambda: client.networks.get("sdknet"))
a = got.attrs if got else {}
eq("networks.get: Name, Driver, Scope, Internal, Attachable",
   [a.get(k) for k in ("Name", "Driver", "Scope", "Internal", "Attachable")], ["sdknet", "bridge", "local", False, False])
eq("networks.get: IPAM Config", a.get("IPAM", {}).get("Config"),
   [{"Subnet": "172.30.0.0/24", "Gateway": "172.30.0.1", "IPRange": "172.30.0.128/25"}])
eq("networks.get: IPAM Driver", a.get("IPAM", {}).get("Driver"), "default")
eq("networks.get: Labels", a.get("Labels"), {"team": "sdk"})
report("networks.get: Created is an RFC 3339 time", re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", a.get("Created", "")) is not None,
       a.get("Created"))
eq("networks.get(id prefix) finds it", step("get by prefix", lambda: client.networks.get(net.id[:12]).name), "sdknet")
nf = None
try:
    client.networks.get("nosuchnet")
except NotFound as e:
    nf = e
report("networks.get of a missing network: NotFound", nf is not None, nf)

# --- containers: run -d with a published port ---------------------------------------------------
CMD = ["sh", "-c", "echo started; echo oops >&2; exec socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'echo hi'"]
web = step("containers.run(detach=True, ports, network, name, labels, environment)", lambda: client.containers.run(
    "host", CMD, detach=True, ports={"80/tcp": 8080}, network="sdknet", name="web", labels={"app": "web"},
    environment={"GREETING": "hello"}, hostname="webhost"))
report("containers.run returns a Container", web is not None and len(web.id) == 64, web)
out = subprocess.run(GET, capture_output=True, text=True)
eq("real traffic from outside reaches the published port", out.stdout.strip(), "hi")

web = step("containers.get", lambda: client.containers.get("web"))
c = web.attrs if web else {}
st = c.get("State", {})
eq("attrs: Name, State.Status, State.Running", [c.get("Name"), st.get("Status"), st.get("Running")], ["/web", "running", True])
report("attrs: State.Pid, StartedAt, FinishedAt", st.get("Pid", 0) > 0 and st.get("StartedAt", "").endswith("Z")
       and st.get("FinishedAt") == "0001-01-01T00:00:00Z", st)
eq("attrs: State has every key dockerd sends", sorted(st), sorted(["Status", "Running", "Paused", "Restarting",
   "OOMKilled", "Dead", "Pid", "ExitCode", "Error", "StartedAt", "FinishedAt"]))
eq("attrs: Path and Args", [c.get("Path"), c.get("Args")], ["sh", CMD[1:]])
report("attrs: Image is an image id (sha256:...)", re.match(r"^sha256:[0-9a-f]{64}$", c.get("Image", "")) is not None,
       c.get("Image"))
cfg = c.get("Config", {})
eq("attrs: Config.Image, Cmd, Entrypoint, Hostname", [cfg.get("Image"), cfg.get("Cmd"), cfg.get("Entrypoint"),
                                                      cfg.get("Hostname")], ["host", CMD, None, "webhost"])
eq("attrs: Config.Labels", cfg.get("Labels"), {"app": "web"})
eq("attrs: Config.Env", cfg.get("Env"), ["GREETING=hello"])
eq("attrs: Config.ExposedPorts", cfg.get("ExposedPorts"), {"80/tcp": {}})
hc = c.get("HostConfig", {})
eq("attrs: HostConfig.PortBindings", hc.get("PortBindings"), {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]})
eq("attrs: HostConfig.NetworkMode, PublishAllPorts, AutoRemove",
   [hc.get("NetworkMode"), hc.get("PublishAllPorts"), hc.get("AutoRemove")], ["sdknet", False, False])
ns = c.get("NetworkSettings", {})
eq("attrs: NetworkSettings.Ports", ns.get("Ports"), {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]})
report("attrs: NetworkSettings.SandboxKey is the namespace's path", ns.get("SandboxKey", "").startswith("/"), ns.get("SandboxKey"))
ep = ns.get("Networks", {}).get("sdknet", {})
report("attrs: NetworkSettings.Networks.sdknet address in the IP range, gateway, MAC, EndpointID, NetworkID",
       ep.get("IPAddress", "").startswith("172.30.0.") and int(ep.get("IPAddress", "0.0.0.0").split(".")[3]) >= 128
       and ep.get("Gateway") == "172.30.0.1" and ep.get("IPPrefixLen") == 24
       and re.match(r"^02:42(:[0-9a-f]{2}){4}$", ep.get("MacAddress", "")) is not None
       and bool(ep.get("EndpointID")) and ep.get("NetworkID") == (net.id if net else None), ep)
eq("Container.name, status, labels, ports", [web.name, web.status, web.labels, web.ports] if web else None,
   ["web", "running", {"app": "web"}, {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}])
eq("Container.image is the host image", step("Container.image", lambda: web.image.tags), ["host:latest"])

eq("containers.list()", [x.name for x in client.containers.list()], ["web"])
eq("containers.list(filters={label: app=web, network: sdknet})",
   [x.name for x in client.containers.list(filters={"label": "app=web", "network": "sdknet"})], ["web"])
eq("containers.list(filters={name: nope})", [x.name for x in client.containers.list(filters={"name": "nope"})], [])
eq("containers.list(filters={status: exited})", [x.name for x in client.containers.list(filters={"status": "exited"})], [])

# logs: stdout and stderr, demultiplexed by the SDK; wait for the command's first lines
deadline = time.time() + 10
while time.time() < deadline and b"started" not in (web.logs(stderr=False) if web else b"started"):
    time.sleep(0.05)
eq("logs(stdout only)", web.logs(stdout=True, stderr=False) if web else None, b"started\n")
eq("logs(stderr only)", web.logs(stdout=False, stderr=True) if web else None, b"oops\n")
eq("logs(tail=1, stdout only)", web.logs(stderr=False, tail=1) if web else None, b"started\n")

# --- the low-level API: EndpointsConfig {"sdknet": null}; the network named "default" -----------
api = client.api
low = step("api.create_container with EndpointsConfig {sdknet: null}", lambda: api.create_container(
    "host", ["sleep", "300"], name="low", detach=True, host_config=api.create_host_config(network_mode="sdknet"),
    networking_config=api.create_networking_config({"sdknet": None})))
if low:
    step("api.start", lambda: api.start(low["Id"]))
    eq("EndpointsConfig {sdknet: null}: the container is on sdknet",
       sorted(api.inspect_container(low["Id"])["NetworkSettings"]["Networks"]), ["sdknet"])
    step("api.remove_container(force=True)", lambda: api.remove_container(low["Id"], force=True))
dflt = step('containers.run(network="default")', lambda: client.containers.run(
    "host", ["sleep", "300"], detach=True, name="dflt", network="default"))
if dflt:
    dflt.reload()
    eq('network "default" is the default network bridge', sorted(dflt.attrs["NetworkSettings"]["Networks"]), ["bridge"])
    step("remove dflt", lambda: dflt.remove(force=True))

# --- connect (ipv4_address, aliases), disconnect ------------------------------------------------
side = step("containers.run a second container on the default network",
            lambda: client.containers.run("host", ["sleep", "300"], detach=True, name="side"))
step("Network.connect(container, ipv4_address, aliases)",
     lambda: net.connect("side", ipv4_address="172.30.0.10", aliases=["db", "cache"]))
side.reload()
sep = side.attrs["NetworkSettings"]["Networks"].get("sdknet", {})
eq("after connect: the container's address and aliases", [sep.get("IPAddress"), sep.get("IPAMConfig"), sep.get("Aliases")],
   ["172.30.0.10", {"IPv4Address": "172.30.0.10"}, ["db", "cache"]])
net.reload()
members = {v["Name"]: v for v in net.attrs.get("Containers", {}).values()}
eq("Network.containers after connect (sorted)", sorted(x.name for x in net.containers), ["side", "web"])
eq("network attrs: the connected container's IPv4Address", members.get("side", {}).get("IPv4Address"), "172.30.0.10/24")
step("Network.disconnect", lambda: net.disconnect("side"))
side.reload()
eq("after disconnect: the container's networks", sorted(side.attrs["NetworkSettings"]["Networks"]), ["bridge"])
net.reload()
eq("Network.containers after disconnect", [x.name for x in net.containers], ["web"])

# --- prune, remove ------------------------------------------------------------------------------
busy = None
try:
    net.remove()
except APIError as e:
    busy = e
report("Network.remove while in use: APIError 403", busy is not None and busy.status_code == 403, busy)
pr = step("networks.prune", client.networks.prune)
eq("networks.prune removes the unused network only", pr, {"NetworksDeleted": ["sdkother"]})

step("Container.stop", lambda: web.stop(timeout=1))
web.reload()
eq("after stop: status exited, exit code 143", [web.status, web.attrs["State"]["ExitCode"]], ["exited", 143])
eq("containers.list(filters={status: exited})", [x.name for x in client.containers.list(filters={"status": "exited"})],
   ["web"])
eq("containers.list(all=True) (sorted)", sorted(x.name for x in client.containers.list(all=True)), ["side", "web"])
step("Container.remove", web.remove)
step("Container.remove(force=True) of a running one", lambda: side.remove(force=True))
eq("containers.list(all=True) after remove", client.containers.list(all=True), [])
gone = None
try:
    client.containers.get("web")
except NotFound as e:
    gone = e
report("containers.get of a removed container: NotFound", gone is not None, gone)
step("Network.remove", net.remove)
eq("networks.list() after remove", sorted(n.name for n in client.networks.list()), ["bridge"])

# --- what berth refuses, as the SDK reports it --------------------------------------------------
img = None
try:
    client.containers.run("alpine", ["true"], detach=True)
except (APIError, docker.errors.ImageNotFound) as e:
    img = e
report("containers.run of another image: refused, berth has no images", img is not None and "berth has no images" in str(img),
       img)
eq("images.list(): the one image host", step("images.list", lambda: [t for i in client.images.list() for t in i.tags]),
   ["host:latest"])
eq("volumes.list(): none", step("volumes.list", client.volumes.list), [])
eq("info(): Containers after everything is removed", client.info().get("Containers"), 0)
