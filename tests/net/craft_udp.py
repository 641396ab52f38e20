#!/usr/bin/env python3
"""Sends one crafted UDP datagram over a packet socket, as a neighbour on the link could:

    craft_udp.py IFACE DST_MAC SRC_IP DST_IP DST_PORT PAYLOAD

Used to send a datagram addressed to 127.0.0.1 to the host's MAC (CVE-2020-8558): the tests then
look at whether the container behind a port published on 127.0.0.1 received it. Runs inside a
test namespace only."""
import socket
import struct
import sys


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def main():
    iface, dst_mac, src_ip, dst_ip, dst_port, payload = sys.argv[1:7]
    payload = payload.encode() + b"\n"
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
    s.bind((iface, 0))
    src_mac = s.getsockname()[4]
    udp = struct.pack("!HHHH", 40001, int(dst_port), 8 + len(payload), 0) + payload
    pseudo = socket.inet_aton(src_ip) + socket.inet_aton(dst_ip) + struct.pack("!BBH", 0, 17, len(udp))
    udp = udp[:6] + struct.pack("!H", checksum(pseudo + udp) or 0xFFFF) + udp[8:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0x4000, 64, 17, 0,
                     socket.inet_aton(src_ip), socket.inet_aton(dst_ip))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    s.send(bytes.fromhex(dst_mac.replace(":", "")) + src_mac + struct.pack("!H", 0x0800) + ip + udp)


main()
