#!/usr/bin/env python3
"""Sends raw bytes to berthd's unix socket and reports what came back, for requests no HTTP client
would write (two Content-Length headers, a request hidden in a chunked body, a NUL in a path):

    raw_http.py SOCKET REQUEST_FILE [IDLE_SECONDS]

Writes the whole file at once, then reads until the server closes the connection or is silent for
IDLE_SECONDS (default 3). Prints one line per response, "STATUS<TAB>CONNECTION<TAB>BODY" (BODY is
the "message" of a JSON body, else its bytes decoded as UTF-8 with replacement, newlines as
spaces), then a last line "closed" when the server closed the connection or "open" when it was
still open after the idle time. Responses are split by their Content-Length (berthd always sends
one)."""
import json
import socket
import sys


def split_responses(data):
    out = []
    while data:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            out.append(("incomplete", "", data))
            break
        lines = head.split(b"\r\n")
        status = lines[0].split(b" ")[1].decode() if len(lines[0].split(b" ")) > 1 else "?"
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            headers[k.strip().lower().decode()] = v.strip().decode(errors="replace")
        n = int(headers.get("content-length", "0"))
        out.append((status, headers.get("connection", ""), rest[:n]))
        data = rest[n:]
    return out


def main():
    path, request = sys.argv[1], open(sys.argv[2], "rb").read()
    idle = float(sys.argv[3]) if len(sys.argv) > 3 else 3.0
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(request)
    s.settimeout(idle)
    data, closed = b"", False
    while True:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            closed = True
            break
        if not chunk:
            closed = True
            break
        data += chunk
    s.close()
    for status, conn, body in split_responses(data):
        text = body.decode(errors="replace")
        try:
            text = json.loads(body)["message"]
        except (ValueError, KeyError, TypeError):
            pass
        text = text.replace("\n", " ").strip()
        print("%s\t%s\t%s" % (status, conn, text))
    print("closed" if closed else "open")


if __name__ == "__main__":
    main()
