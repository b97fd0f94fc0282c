#!/usr/bin/python3
"""A tiny SQL Server stand-in for tests/integration/database.sh.

Replays PRELOGIN replies built from MS-TDS 2.2.6.5 and SQL Browser answers
built from MC-SQLR on 127.0.0.1. No real SQL Server is packaged for Debian,
so the bytes come from the specifications.

usage: db-tds-responder.py tcp PORT required|off|silent
       db-tds-responder.py browser PORT INSTANCE TCPPORT
"""
import socket
import struct
import sys
import threading

ENCRYPT = {"off": 0, "required": 3}


def prelogin_reply(enc):
    # SQL Server 2019 (15.0.2000), then ENCRYPTION, INSTOPT, THREADID, MARS.
    opts = [(0x00, bytes([15, 0]) + struct.pack(">HH", 2000, 0)),
            (0x01, bytes([enc])), (0x02, b"\x00"), (0x03, b""),
            (0x04, b"\x00")]
    off = len(opts) * 5 + 1
    table, data = b"", b""
    for token, value in opts:
        table += bytes([token]) + struct.pack(">HH", off + len(data),
                                              len(value))
        data += value
    payload = table + b"\xff" + data
    return bytes([0x04, 0x01]) + struct.pack(">H", 8 + len(payload)) + \
        b"\x00\x00\x01\x00" + payload


def serve_tcp(port, mode):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(16)
    held = []
    while True:
        conn, _ = srv.accept()
        if mode == "silent":
            held.append(conn)  # read nothing, answer nothing
            continue
        threading.Thread(target=answer, args=(conn, mode),
                         daemon=True).start()


def answer(conn, mode):
    try:
        conn.settimeout(5)
        hdr = conn.recv(8)
        if len(hdr) == 8 and hdr[0] == 0x12:
            need = struct.unpack(">H", hdr[2:4])[0] - 8
            while need > 0:
                chunk = conn.recv(need)
                if not chunk:
                    break
                need -= len(chunk)
            conn.sendall(prelogin_reply(ENCRYPT[mode]))
        conn.recv(1)
    except OSError:
        pass
    finally:
        conn.close()


def serve_browser(port, instance, tcp_port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    text = ("ServerName;TESTHOST;InstanceName;%s;IsClustered;No;"
            "Version;15.0.2000.5;tcp;%d;;" % (instance, tcp_port)).encode()
    reply = b"\x05" + struct.pack("<H", len(text)) + text
    while True:
        req, peer = s.recvfrom(1024)
        if req[:1] in (b"\x02", b"\x03") or (
                req[:1] == b"\x04" and
                req[1:].rstrip(b"\x00").decode(errors="replace").upper()
                == instance.upper()):
            s.sendto(reply, peer)


def main():
    if sys.argv[1] == "tcp":
        serve_tcp(int(sys.argv[2]), sys.argv[3])
    else:
        serve_browser(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))


if __name__ == "__main__":
    main()
