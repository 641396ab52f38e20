#!/usr/bin/env python3
"""reqtime: berthd's side of a command's time, measured between the client and berthd.

    reqtime.py LISTEN UPSTREAM CONTROL

Relays every connection made to the unix socket LISTEN to berthd's socket UPSTREAM, byte for
byte, and times each request: from its first byte arriving to the last byte of berthd's answer
(the next request on the connection, or its end, closes the cycle). A line "sum" on the unix
socket CONTROL waits until no relayed connection is open, answers "REQUESTS TOTAL_MS" for the
requests since the last "sum", and starts counting afresh. The relay adds one local socket hop
each way (tens of microseconds) to what it measures; berthd itself is not touched.
"""
import os, selectors, socket, sys, time

listen_path, upstream_path, control_path = sys.argv[1:4]
sel = selectors.DefaultSelector()
conns = {}          # socket -> relay
done = []           # finished cycles, ms
waiting = []        # control sockets waiting for a "sum"


class Relay:
    def __init__(self, client):
        self.client = client
        self.daemon = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.daemon.connect(upstream_path)
        self.start = None       # first byte of the current request
        self.answered = None    # last byte of the answer so far
        for s in (self.client, self.daemon):
            s.setblocking(False)
            conns[s] = self
            sel.register(s, selectors.EVENT_READ)

    def close_cycle(self):
        if self.start is not None and self.answered is not None:
            done.append((self.answered - self.start) * 1e3)
        self.start = self.answered = None

    def on_read(self, s, now):
        try:
            data = s.recv(1 << 16)
        except ConnectionError:
            data = b""
        if not data:
            self.close()
            return
        if s is self.client:
            if self.answered is not None:
                self.close_cycle()
            if self.start is None:
                self.start = now
            self.daemon.sendall(data)
        else:
            self.answered = now
            self.client.setblocking(True)
            self.client.sendall(data)
            self.client.setblocking(False)

    def close(self):
        self.close_cycle()
        for s in (self.client, self.daemon):
            if s in conns:
                sel.unregister(s)
                del conns[s]
                s.close()


def serve(path):
    if os.path.exists(path):
        os.unlink(path)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(64)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
    return s


lsock, csock = serve(listen_path), serve(control_path)
while True:
    for key, _ in sel.select(timeout=0.5 if waiting else None):
        now = time.perf_counter()
        s = key.fileobj
        if s is lsock:
            Relay(s.accept()[0])
        elif s is csock:
            c = s.accept()[0]
            c.recv(16)
            waiting.append(c)
        else:
            r = conns.get(s)
            if r:
                r.on_read(s, now)
    if waiting and not conns:
        line = "%d %.3f\n" % (len(done), sum(done))
        done.clear()
        for c in waiting:
            c.sendall(line.encode())
            c.close()
        waiting.clear()
