#!/usr/bin/env python3
"""berth trace against the kernel, live (../shared/spec/trace.md section 4).

Usage: trace_diff.py SPEC.json
SPEC: {"berth": [argv of the berth client], "host_ns": NS, "client_ns": NS,
       "containers": {"name": {"netns": PATH, "ip": A}}, "host_addrs": [...], "ports": [...],
       "count": N, "out": DIR, "monitor": "xtables" | "nft"}

With "monitor": "nft" (the nftables backend: berth's native tables next to iptables-nft's),
the kernel's trace is `nft monitor trace`, which names a rule by its text as nft prints it, not
by a handle or a number: a matched rule is compared as table, chain and verdict (with a jump's
target), and rules that change nothing (verdict continue: LOG, counters, nftrace) are left out
on both sides, as berth's "depends" rules are (limit, recent: the kernel resolved them).

Every packet is sent for real (socat from the outside client, from containers, from the host),
each from a source port of its own (an ICMP echo, from a raw socket: with the flow's number as
its id and in its length, see ECHO), while `xtables-monitor --trace` records what the kernel
does in the host namespace (an nft table zz_tracer, outside the ruleset under test, turns
tracing on before raw). For each flow, the kernel's packets (the first one, and the reply and
the next packet when there are some) are compared with `berth trace --follow --format json`:
every hook visit's header (IN, OUT, SRC, DST, ports) and its matched rules and policies, with
the kernel's verdict names. A packet whose answer depends on state the model does not have
(berth's "depends") is counted apart, and the kernel's events for rules berth marked "depends"
are left out of the comparison (the kernel resolved them; berth said it could not).
Prints PASS:/FAIL: lines and a summary; exits 1 on any disagreement.
"""
import json
import os
import re
import subprocess
import sys
import time

spec = json.load(open(sys.argv[1]))
BERTH = spec["berth"]
HOST, CLIENT = spec["host_ns"], spec["client_ns"]
OUT = spec["out"]
KV = {"0xfffffffb": "RETURN"}
NATV = {"DNAT": "ACCEPT", "SNAT": "ACCEPT", "MASQUERADE": "ACCEPT", "REDIRECT": "ACCEPT", "REJECT": "DROP",
        "NOTRACK": "CONTINUE"}


def sources():
    yield ("client", "198.18.0.2", ["ip", "netns", "exec", CLIENT])
    yield ("host", "host", ["ip", "netns", "exec", HOST])
    for name, c in sorted(spec["containers"].items()):
        yield (name, name, ["nsenter", "--net=" + c["netns"]])


def destinations(src):
    addrs = list(spec["host_addrs"])
    if src == "host":
        addrs.append("127.0.0.1")
    for a in addrs:
        for p in spec["ports"]:
            yield (a, p, "tcp")
        for p in (8082, 9999, 53):
            yield (a, p, "udp")
    for name, c in sorted(spec["containers"].items()):
        if name != src:
            yield (c["ip"], 80, "tcp")
            yield (c["ip"], 53, "udp")
    if src != "client":
        yield ("198.18.0.2", 7, "tcp")    # to the outside client (no listener: RST)
        yield ("198.18.0.2", 7, "udp")


def icmp_destinations(src):
    """Echo requests: every host address (127.0.0.1 from the host), every other container, the
    outside client from inside."""
    addrs = list(spec["host_addrs"]) + (["127.0.0.1"] if src == "host" else [])
    addrs += [c["ip"] for name, c in sorted(spec["containers"].items()) if name != src]
    if src != "client":
        addrs.append("198.18.0.2")
    for a in addrs:
        yield (a, 0, "icmp")


ICMP_FEW = 8   # echo flows added to a short run (the suite's 60)


def spread(out, n):
    """n of out, spread over the whole list."""
    if n >= len(out):
        return out
    step = len(out) / n
    return [out[int(i * step)] for i in range(n)]


def packets():
    out, echo = [], []
    for s in sources():
        for d in destinations(s[0]):
            out.append((s, d))
        for d in icmp_destinations(s[0]):
            echo.append((s, d))
    n = spec["count"]
    # a spread over the whole cross product when fewer are asked for; a short run adds a few
    # echo flows to the n
    full = n >= len(out) + len(echo)
    return spread(out, n) + (echo if full else spread(echo, ICMP_FEW))


ECHO = r"""
import socket, struct, sys
addr, ident = sys.argv[1], int(sys.argv[2])
pad = ident - LEN_BASE - 28   # the IP length tells the flow (the reply copies the payload)
def csum(b):
    b += b"\0" * (len(b) % 2)
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff
body = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + b"b" * pad
body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(0.3)
s.sendto(body, (addr, 0))
try:
    while True:
        d = s.recv(2048)
        if d[20] == 0 and struct.unpack("!H", d[24:26])[0] == ident:
            break
except OSError:
    pass
""".replace("LEN_BASE", "29872")
LEN_BASE = 29872   # an echo of flow N is LEN_BASE + N bytes long: 128 for the first flow, under the MTU for 1,400


def send(i, pkt):
    (sname, _, prefix), (addr, port, proto) = pkt
    sport = 30000 + i
    if proto == "icmp":
        # one echo request whose id is the flow's number ("icmp id" in nft monitor trace) and
        # whose length tells it too (xtables-monitor prints no ICMP field, only the IP header's
        # LEN, which the reply has the same), and its reply, if any, within 0.3 s
        subprocess.run(prefix + ["python3", "-c", ECHO, addr, str(sport)], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=10)
    elif proto == "tcp":
        cmd = prefix + ["socat", "-T", "1", "-", "TCP:%s:%d,sourceport=%d,reuseaddr,connect-timeout=0.4" % (addr, port, sport)]
        subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
    else:
        cmd = prefix + ["socat", "-T", "0.2", "-", "UDP:%s:%d,sourceport=%d,reuseaddr" % (addr, port, sport)]
        subprocess.run(cmd, input=b"x\n", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
    return sport


def marker(mon_path, sport):
    """Sends a UDP packet from the client with this source port until its trace is in the
    monitor's output (at most 10 s)."""
    seen = re.compile(r"(SPORT=|udp sport )%d\b" % sport)
    deadline = time.time() + 10
    while time.time() < deadline:
        subprocess.run(["ip", "netns", "exec", CLIENT, "socat", "-T", "0.1", "-",
                        "UDP:%s:9,sourceport=%d,reuseaddr" % (spec["host_addrs"][0], sport)],
                       input=b"m\n", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
        with open(mon_path, errors="replace") as f:
            if seen.search(f.read()):
                return True
        time.sleep(0.05)
    return False


def field(line, key):
    m = re.search(r" %s=(\S+)" % key, line)
    return m.group(1) if m else ""


def kernel_flows(path):
    """xtables-monitor text -> {sport: [packet, ...]}; a packet is a list of visits (header, events)."""
    pkts, cur_pkt, cur, tracer = [], None, None, False

    def close():
        nonlocal cur, tracer, cur_pkt
        if cur is None:
            return
        if tracer and cur["hdr"][0] == "lo" and cur_pkt is not None:
            pass   # a packet looped back through lo: the same packet entering again
        elif tracer:
            cur_pkt = {"hdr": cur["hdr"], "visits": [], "id": cur["id"]}
            pkts.append(cur_pkt)
        elif cur["events"] and cur_pkt is not None:
            cur_pkt["visits"].append(cur)
        cur, tracer = None, False

    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        if line.startswith("PACKET: "):
            close()
            hdr = tuple(field(line, k) for k in ("IN", "OUT", "SRC", "DST", "SPORT", "DPORT"))
            # an echo (no ports) is told by its length: see ECHO
            ln = field(line, "LEN")
            ident = str(int(ln) + LEN_BASE) if not hdr[4] and not hdr[5] and ln.isdigit() else ""
            cur = {"hdr": hdr, "events": [], "id": ident}
            continue
        if cur is None:
            continue
        if " zz_tracer:" in line:
            tracer = True
            continue
        m = re.match(r"^ TRACE: \d+ [0-9a-f]+ ([^:]+):([^:]+):(rule|policy|return):?(\S*)\s*(.*)$", line)
        if not m:
            continue
        table, chain, kind, rest, text = m.groups()
        if kind == "policy":
            cur["events"].append("%s:%s:policy:%s" % (table, chain, rest))
        elif kind == "rule":
            verdict = rest.split(":", 1)[1] if ":" in rest else rest
            verdict = KV.get(verdict, verdict)
            rule = re.sub(r"^-4 -t \S+ -A \S+ ", "", text.strip())
            cur["events"].append("%s:%s:%s:%s" % (table, chain, verdict, rule))
    close()
    return by_flow(pkts)


def by_flow(pkts):
    """{flow number: [packet, ...]}: a flow is told by its source or destination port, or an
    echo's id (the same in the request and its reply)."""
    flows = {}
    for p in pkts:
        for port in (p["hdr"][4], p["hdr"][5], p.get("id", "")):
            if port.isdigit() and 30000 <= int(port) < 40000:
                flows.setdefault(int(port), []).append(p)
                break
    return flows


TRACER = "ip zz_tracer"


NFT = spec.get("monitor") == "nft"
XT_TABLES = ("raw", "mangle", "nat", "filter", "security")


def kernel_flows_nft(path):
    """`nft monitor trace` text -> {sport: [packet, ...]}, as kernel_flows."""
    pkts, cur_pkt, cur = [], None, None
    for line in open(path, errors="replace"):
        m = re.match(r"^trace id [0-9a-f]+ (\S+) (\S+) (\S+) (packet:|rule|policy)\s*(.*)$", line.rstrip("\n"))
        if not m:
            continue
        fam, table, chain, kind, rest = m.groups()
        tname = table if fam == "ip" and table in XT_TABLES else "%s %s" % (fam, table)
        if kind == "packet:":
            def f(k):
                mm = re.search(r"(?:^| )%s (\S+)" % k, rest)
                return mm.group(1).strip('"') if mm else ""
            proto = "tcp" if " tcp sport " in " " + rest else "udp" if " udp sport " in " " + rest else ""
            hdr = (f("iif"), f("oif"), f("ip saddr"), f("ip daddr"), f(proto + " sport") if proto else "",
                   f(proto + " dport") if proto else "")
            ident = f("icmp id")
            if "%s %s" % (fam, table) == TRACER:
                if hdr[0] == "lo" and cur_pkt is not None:
                    cur = None   # a packet looped back through lo: the same packet entering again
                    continue
                cur_pkt = {"hdr": hdr, "visits": [], "id": ident}
                pkts.append(cur_pkt)
                cur = None
            elif cur_pkt is not None:
                if fam == "bridge":   # iif/oif are the bridge's ports, which berth does not know
                    hdr = ("", "") + hdr[2:]
                cur = {"hdr": hdr, "events": []}
                cur_pkt["visits"].append(cur)
            continue
        if cur is None:
            continue
        if kind == "policy":
            cur["events"].append("%s:%s:policy:%s" % (tname, chain, rest.strip().upper()))
            continue
        v = re.search(r"\(verdict (\S+)(?: (\S+))?\)\s*$", rest)
        if not v:
            continue
        verdict = v.group(1).upper()
        if verdict == "CONTINUE":
            continue
        if verdict in ("JUMP", "GOTO"):
            verdict = "%s:%s" % (verdict, v.group(2))
        cur["events"].append("%s:%s:%s" % (tname, chain, verdict))
    for p in pkts:
        p["visits"] = [v for v in p["visits"] if v["events"]]
    return by_flow(pkts)


def berth_packets(answer):
    out, depends = [], []
    for p in [answer] + answer.get("follow", []):
        dep_rules = set()
        visits = {}
        for s in p["steps"]:
            if s["table"] == TRACER:   # the harness's own table: berth models it, the monitor hides it
                continue
            if s["matched"] == "depends":
                dep_rules.add("%s:%s:%s" % (s["table"], s["chain"], s["rule"]))
                continue
            if s["type"] == "policy":
                ev = "%s:%s:policy:%s" % (s["table"], s["chain"], s["verdict"])
            elif s["matched"] is True:
                v = s["verdict"]
                if v in ("JUMP", "GOTO"):
                    v = "%s:%s" % (v, s["target"])
                v = NATV.get(v, v)
                if NFT and v == "CONTINUE":
                    continue
                ev = "%s:%s:%s" % (s["table"], s["chain"], v) if NFT else "%s:%s:%s:%s" % (s["table"], s["chain"], v, s["rule"])
            else:
                continue
            visits.setdefault(s["visit"], []).append(ev)
        vl = []
        for i, v in enumerate(p["visits"]):
            if i in visits:
                sp = str(v["sport"]) if v["proto"] != "icmp" else ""
                dp = str(v["dport"]) if v["proto"] != "icmp" else ""
                io = ("", "") if NFT and v["table"].startswith("bridge ") else (v["in"], v["out"])
                vl.append({"hdr": io + (v["src"], v["dst"], sp, dp), "events": visits[i]})
        out.append({"title": p["title"], "visits": vl, "depends": p["depends"], "fate": p["verdict"]["fate"]})
        depends.append(dep_rules)
    return out, depends


def record(batch):
    """Sends each (index, packet) of batch while the kernel's trace monitor records; returns the
    flows it saw by source port, and how long the sending took. The monitor is recording once a
    marker packet's trace is in its output, and has written the last flow once a second marker's
    is (markers use source ports below the flows', so they are never compared)."""
    mon_path = os.path.join(OUT, "nft-monitor.txt" if NFT else "xtables-monitor.txt")
    mon = subprocess.Popen(["ip", "netns", "exec", HOST] + (["nft", "monitor", "trace"] if NFT else ["xtables-monitor", "--trace"]),
                           stdout=open(mon_path, "w"), stderr=subprocess.STDOUT)
    try:
        if not marker(mon_path, 29998):
            raise RuntimeError("the kernel's trace monitor recorded nothing within 10 s")
        t0 = time.time()
        for i, p in batch:
            send(i, p)
        send_s = time.time() - t0
        if not marker(mon_path, 29999):
            raise RuntimeError("the kernel's trace monitor did not catch up within 10 s")
    finally:
        mon.terminate()
        mon.wait()
    return (kernel_flows_nft(mon_path) if NFT else kernel_flows(mon_path)), send_s


def judge(sport, pkt, flows):
    """berth's answer for one flow against the kernel's: ("agree"|"depends"|"wrong", detail,
    packets compared)."""
    (sname, sfrom, _), (addr, port, proto) = pkt
    to = addr if proto == "icmp" else "%s:%d" % (addr, port)   # an echo's id changes nothing a rule reads
    q = BERTH + ["trace", "--from", sfrom, "--sport", str(sport), "--to", to, "--proto", proto,
                 "--follow", "--format", "json"]
    r = subprocess.run(q, capture_output=True, text=True)
    if r.returncode != 0:
        return "wrong", "berth trace failed: %s" % r.stderr.strip()[:200], 0
    bp, deps = berth_packets(json.loads(r.stdout))
    kp = flows.get(sport, [])
    if bp[0]["depends"]:
        d = bp[0]["depends"]
        return "depends", d.split(": ")[-2] if ": " in d else d, 0
    # The first packet always; then every packet the kernel saw: the second is berth's reply
    # (or a dropped SYN's retransmission), each later one berth's reply or next packet by
    # its direction (conntrack: ESTABLISHED both ways, no nat).
    pairs = [(0, 0)]
    for k in range(1, len(kp)):
        if len(bp) >= 3 and k >= 2:
            b = 2 if kp[k]["hdr"][4] == str(sport) or (proto == "icmp" and kp[k]["hdr"][2] == kp[0]["hdr"][2]) else 1
        elif len(bp) >= 2:
            b = 1
        else:
            break
        pairs.append((k, b))
    detail = []
    for k, bi in pairs:
        b = bp[bi]
        kv = kp[k]["visits"] if k < len(kp) else []
        dr = deps[bi]
        if not NFT:
            kv = [{"hdr": v["hdr"], "events": [e for e in v["events"] if e.split(":", 2)[0] + ":" + e.split(":", 2)[1] + ":" + e.split(":", 3)[-1] not in dr]}
                  for v in kv]
        kv = [v for v in kv if v["events"]]
        bv = [{"hdr": v["hdr"], "events": v["events"]} for v in b["visits"]]
        if kv != bv:
            detail.append((k, kv, bv))
    return ("wrong" if detail else "agree"), detail, len(pairs)


def label_of(sport, pkt):
    (sname, _, _), (addr, port, proto) = pkt
    if proto == "icmp":
        return "%s -> %s/icmp echo (id %d)" % (sname, addr, sport)
    return "%s -> %s:%d/%s (sport %d)" % (sname, addr, port, proto, sport)


def show(label, detail, shown):
    with open(os.path.join(OUT, "disagreements.txt"), "a") as f:
        f.write("%s\n" % label)
        if isinstance(detail, str):
            f.write("  %s\n" % detail)
            return
        for k, kv, bv in detail:
            f.write("  packet %d kernel: %s\n  packet %d berth:  %s\n" % (k + 1, json.dumps(kv), k + 1, json.dumps(bv)))
            if shown:
                print("#  packet %d kernel: %s" % (k + 1, json.dumps(kv)))
                print("#  packet %d berth:  %s" % (k + 1, json.dumps(bv)))


def main():
    plist = packets()
    try:
        flows, send_s = record(list(enumerate(plist)))
    except RuntimeError as e:
        print("FAIL: trace diff: %s" % e)
        return 1
    agreed = dep = compared = 0
    dep_why = {}
    suspects = []
    for i, p in enumerate(plist):
        verdict, detail, n = judge(30000 + i, p, flows)
        compared += n
        if verdict == "agree":
            agreed += 1
        elif verdict == "depends":
            dep += 1
            dep_why[detail] = 1 + dep_why.get(detail, 0)
        else:
            suspects.append((i, p, detail))
    # The kernel's trace lines of packets handled at once on two CPUs can interleave in the
    # monitor's output (seen about once in 13 runs, a reply's visit filed under the packet
    # before it): a flow that disagrees is sent again once, from a fresh source port, and
    # judged on that recording. A wrong model disagrees both times.
    wrong = 0
    if suspects:
        retry = [(1000 + i, p) for i, p, _ in suspects]
        try:
            flows2, _ = record(retry)
        except RuntimeError as e:
            print("FAIL: trace diff: %s" % e)
            return 1
        for (i, p, first), (j, _) in zip(suspects, retry):
            verdict, detail, n = judge(30000 + j, p, flows2)
            if verdict == "agree":
                agreed += 1
                print("# trace diff: %s: disagreed once, agrees when sent again" % label_of(30000 + i, p))
                show(label_of(30000 + i, p) + " (first recording; agrees when sent again)", first, False)
                continue
            wrong += 1
            print("FAIL: trace diff: %s: berth and the kernel disagree (twice)" % label_of(30000 + j, p))
            show(label_of(30000 + j, p), detail, wrong <= 3)
    total = len(plist)
    for why, n in sorted(dep_why.items(), key=lambda x: -x[1]):
        print("# depends (%d flows): %s" % (n, why[:160]))
    print("# trace diff: %d flows sent in %.1f s, %d packets compared; %d flows agree with the kernel, %d depend "
          "on state the model does not have, %d disagree" % (total, send_s, compared, agreed, dep, wrong))
    line = "trace diff: berth agrees with the kernel on every flow it claims (%d of %d flows, %d packets; %d depends)" % (
        agreed, total, compared, dep)
    print(("PASS: " if wrong == 0 and agreed > 0 else "FAIL: ") + line)
    return 0 if wrong == 0 else 1


sys.exit(main())
