#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpus of fuzz_ipam (tests/fuzz/corpus/ipam/) in the binary layout that
tests/fuzz/fuzz_ipam.c reads, from readable scenarios. Run from anywhere; overwrites the seeds:
    python3 tests/fuzz/gen_ipam_seeds.py
"""
import ipaddress
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "ipam")


def cidr(text):
    if text is None:   # not given: 0.0.0.0/0
        return bytes(5)
    addr, prefix = text.split("/")
    return ipaddress.IPv4Address(addr).packed + bytes([int(prefix)])


def seed(pools=(), taken=(), subnet=None, gateway="0.0.0.0", ip_range=None, labels=False, no_gateway=False):
    assert len(pools) <= 7 and len(taken) <= 31
    b = bytes([len(pools) | len(taken) << 3])
    for base, size in pools:
        b += cidr(base) + bytes([size])
    for t in taken:
        b += cidr(t)
    b += cidr(subnet) + ipaddress.IPv4Address(gateway).packed + cidr(ip_range)
    b += bytes([(1 if labels else 0) | (2 if no_gateway else 0)])
    return b


SEEDS = {
    # berthd's --default-address-pool with docker0 and one user network taken
    "pool-172-80-in-24s": seed(pools=[("172.80.0.0/16", 24)], taken=["172.17.0.1/16", "172.80.0.0/24"],
                               subnet="172.20.0.0/16", gateway="172.20.0.1"),
    # the host's routes cover the first candidates: a taken block larger than the step is skipped at once
    "routes-cover-start": seed(pools=[("10.0.0.0/8", 16), ("192.168.0.0/16", 20)],
                               taken=["10.0.0.0/9", "0.0.0.0/0", "10.128.0.0/16"], subnet="10.200.0.0/16",
                               ip_range="10.200.5.0/24", labels=True),
    # every subnet of the only pool taken: -ENOSPC
    "pool-exhausted": seed(pools=[("172.30.0.0/16", 17)], taken=["172.30.0.0/17", "172.30.128.1/17"],
                           subnet="172.30.0.0/16", labels=True),
    # invalid pools: size shorter than the base prefix, size over 32
    "pool-size-invalid": seed(pools=[("172.80.0.0/16", 8), ("10.0.0.0/8", 39)], subnet="172.20.0.5/16"),
    # a gateway outside, on the network address, on the broadcast address
    "gateway-outside": seed(pools=[("192.168.0.0/16", 20)], subnet="192.168.0.0/20", gateway="192.168.16.1"),
    "gateway-broadcast": seed(subnet="192.168.0.0/30", gateway="192.168.0.3"),
    "ip-range-outside": seed(subnet="172.21.0.0/16", ip_range="172.22.0.0/24"),
    # Docker's default pools with many user networks taken
    "defaults-mostly-taken": seed(taken=["172.%d.0.0/16" % n for n in range(17, 32)] + ["192.168.0.0/20"],
                                  subnet="172.25.0.0/16", labels=True),
    # /32 pool sizes, /0 base
    "tiny-subnets": seed(pools=[("0.0.0.0/0", 32)], taken=["0.0.0.0/32", "0.0.0.1/32"], subnet="10.0.0.0/31",
                         no_gateway=True),
}

os.makedirs(OUT, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print("gen_ipam_seeds: wrote %d seeds to %s" % (len(SEEDS), OUT))
