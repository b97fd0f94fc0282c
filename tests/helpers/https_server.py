#!/usr/bin/python3
"""A small HTTPS server for the upload and agent integration tests.

    https_server.py PORT CERT KEY ROOT LOG

Listens on 127.0.0.1:PORT with CERT/KEY (a test CA's server certificate)
and serves the directory ROOT:

    GET  /PATH           the file ROOT/PATH, 404 when there is none
    PUT  /up/PATH        stores the body at ROOT/up/PATH, 201
    POST /form/PATH/     a multipart/form-data body, parsed strictly here
                         (boundary, CRLFs, Content-Disposition): every file
                         part is stored at ROOT/form/PATH/FILENAME, 201;
                         a malformed body gets 400
    PUT|POST /small/...  413, before the body when the client asks with
                         Expect: 100-continue, else after reading it

LOG gets one JSON object a line per request: method, path, status and, for
bodies, their size and sha256; for multipart bodies every part's name,
filename, content_type, size and sha256. Nothing is trusted from the
client beyond what a test asserts.
"""
import hashlib
import http.server
import json
import os
import re
import ssl
import sys
import threading

LOCK = threading.Lock()


def log(rec):
    with LOCK, open(sys.argv[5], "a") as f:
        f.write(json.dumps(rec, sort_keys=True) + "\n")


def safe_path(root, path):
    """ROOT/PATH with PATH's query dropped; None if it leaves ROOT."""
    path = path.split("?", 1)[0]
    full = os.path.realpath(os.path.join(root, path.lstrip("/")))
    if full != root and not full.startswith(root + os.sep):
        return None
    return full


def param(header, name):
    """A parameter of a header value: name="v" or name=v."""
    m = re.search(r';\s*%s="([^"]*)"' % re.escape(name), header)
    if not m:
        m = re.search(r";\s*%s=([^;\s]+)" % re.escape(name), header)
    return m.group(1) if m else None


def parse_multipart(ctype, body):
    """[(headers dict, data)] or raises ValueError: RFC 7578, strictly."""
    if not ctype.lower().startswith("multipart/form-data"):
        raise ValueError("not multipart/form-data: %r" % ctype)
    boundary = param(ctype, "boundary")
    if not boundary:
        raise ValueError("no boundary")
    delim = b"--" + boundary.encode()
    if not body.startswith(delim + b"\r\n"):
        raise ValueError("body does not start with the boundary")
    end = b"\r\n" + delim + b"--"
    close = body.rfind(end)
    if close < 0 or body[close + len(end):] not in (b"", b"\r\n"):
        raise ValueError("no closing boundary")
    parts = []
    for chunk in body[len(delim) + 2:close].split(b"\r\n" + delim + b"\r\n"):
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("part without a header/body separator")
        headers = {}
        for line in head.decode("latin-1").split("\r\n"):
            k, colon, v = line.partition(":")
            if not colon:
                raise ValueError("bad part header %r" % line)
            headers[k.strip().lower()] = v.strip()
        parts.append((headers, data))
    return parts


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "rdiag-test-https"

    def log_message(self, fmt, *args):
        pass

    def answer(self, status, text="", rec=None):
        body = (text + "\n").encode() if text else b""
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        if status == 201:
            self.send_header("ETag", '"rdiag-test-%d"' % os.getpid())
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True
        r = {"method": self.command, "path": self.path, "status": status}
        r.update(rec or {})
        log(r)

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(n)

    def small(self):
        return self.path.startswith("/small/")

    def handle_expect_100(self):
        if self.small():
            self.answer(413, "too large", {"expect": True})
            return False
        return super().handle_expect_100()

    def do_GET(self):
        root = self.server.root
        p = safe_path(root, self.path)
        if not p or not os.path.isfile(p):
            return self.answer(404, "not found")
        data = open(p, "rb").read()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True
        log({"method": "GET", "path": self.path, "status": 200,
             "size": len(data)})

    def do_PUT(self):
        body = self.read_body()
        rec = {"size": len(body), "sha256": hashlib.sha256(body).hexdigest()}
        if self.small():
            return self.answer(413, "too large", rec)
        p = safe_path(self.server.root, self.path)
        if not self.path.startswith("/up/") or not p or p.endswith("/"):
            return self.answer(405, "no PUT here", rec)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(body)
        self.answer(201, "stored", rec)

    def do_POST(self):
        body = self.read_body()
        rec = {"size": len(body),
               "content_type": self.headers.get("Content-Type", "")}
        if self.small():
            return self.answer(413, "too large", rec)
        if not self.path.startswith("/form/"):
            return self.answer(405, "no POST here", rec)
        try:
            parts = parse_multipart(rec["content_type"], body)
        except ValueError as e:
            rec["error"] = str(e)
            return self.answer(400, "bad multipart body", rec)
        rec["parts"] = []
        d = safe_path(self.server.root, self.path)
        for headers, data in parts:
            cd = headers.get("content-disposition", "")
            name, fname = param(cd, "name"), param(cd, "filename")
            rec["parts"].append({
                "disposition": cd.split(";")[0].strip(),
                "name": name, "filename": fname,
                "content_type": headers.get("content-type"),
                "size": len(data),
                "sha256": hashlib.sha256(data).hexdigest()})
            if fname:
                p = safe_path(d, fname) if d else None
                if not p or os.path.dirname(p) != d:
                    rec["error"] = "bad filename %r" % fname
                    return self.answer(400, "bad filename", rec)
                os.makedirs(d, exist_ok=True)
                with open(p, "wb") as f:
                    f.write(data)
        self.answer(201, "stored", rec)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def finish_request(self, request, client_address):
        # The TLS handshake happens in the connection's thread, so a
        # client that never finishes it (a port probe) blocks nobody.
        try:
            request = self.ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            super().finish_request(request, client_address)
        finally:
            try:
                request.shutdown(2)
            except OSError:
                pass
            request.close()


def main():
    srv = Server(("127.0.0.1", int(sys.argv[1])), Handler)
    srv.root = os.path.realpath(sys.argv[4])
    srv.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    srv.ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    srv.serve_forever()


if __name__ == "__main__":
    main()
