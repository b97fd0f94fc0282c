#!/usr/bin/python3
# A DNS server for tests/integration/database-names.sh on ADDR:53 (loopback):
# "nxdomain" answers every query "no such name", "silent" never answers.
# Usage: db-dns-responder.py nxdomain|silent ADDR
import socket, sys
mode, addr = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, 53))
while True:
    q, peer = s.recvfrom(512)
    if mode == "silent" or len(q) < 12:
        continue
    # header: same id, QR=1, RD copied, RA=1, RCODE=3 (NXDOMAIN); question echoed
    r = q[:2] + bytes([0x80 | (q[2] & 0x01), 0x83]) + q[4:6] + b"\0\0\0\0\0\0" + q[12:]
    s.sendto(r, peer)
