#!/usr/bin/python3
"""Contract responder for the Jira and Zendesk adapters (they cannot run
here). It serves HTTPS on 127.0.0.1, checks every request against what the
public API documentation prescribes, answers as documented, and writes one
line per request to LOG: "OK METHOD PATH" or "VIOLATION what". The test
asserts on that log and on the stored files.

usage: ticket_contract.py jira|zendesk PORT CERT KEY DIR
  DIR/log           the request log
  DIR/files/NAME    what was attached
  DIR/comments      one JSON body per comment posted
Credentials: jira "Basic agent@example.com:TOKEN" (Cloud) or "Bearer TOKEN";
zendesk "Basic agent@example.com/token:TOKEN". TOKEN is in DIR/token.
Jira's attachment limit is DIR/limit bytes (attachment/meta).
"""
import base64, cgi, http.server, io, json, os, ssl, sys, urllib.parse

mode, port, cert, key, d = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
os.makedirs(os.path.join(d, "files"), exist_ok=True)
TOKEN = open(os.path.join(d, "token")).read().strip()
LIMIT = int(open(os.path.join(d, "limit")).read()) if os.path.exists(os.path.join(d, "limit")) else 10485760
ISSUE = "SUP-4711" if mode == "jira" else "4711"
attachments = []  # {"filename","size"}
uploads = {}  # zendesk token -> attachment
comments = []


def log(line):
    with open(os.path.join(d, "log"), "a") as f:
        f.write(line + "\n")


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send(self, status, obj=None):
        body = json.dumps(obj).encode() if obj is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def violation(self, what):
        log("VIOLATION %s %s: %s" % (self.command, self.path, what))
        self.send(400, {"errorMessages": ["contract violation: " + what]})

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n)

    def authed(self):
        a = self.headers.get("Authorization", "")
        if mode == "jira":
            ok = a == "Bearer " + TOKEN or a == "Basic " + base64.b64encode(
                ("agent@example.com:" + TOKEN).encode()).decode()
        else:
            ok = a == "Basic " + base64.b64encode(
                ("agent@example.com/token:" + TOKEN).encode()).decode()
        if not ok:
            log("DENIED %s %s" % (self.command, self.path))
            self.send(401, {"errorMessages": ["Client must be authenticated"]}
                      if mode == "jira" else {"error": "Couldn't authenticate you"})
        return ok

    def handle_one(self):
        if "json" not in self.headers.get("Accept", ""):
            return self.violation("Accept must ask for JSON")
        if not self.authed():
            self.body()
            return
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        (self.jira if mode == "jira" else self.zendesk)(u.path, q)

    do_GET = do_POST = do_PUT = handle_one

    # ---- Jira REST API 2/3 ----
    def jira(self, path, q):
        m = self.command
        base = "/rest/api/2/issue/" + ISSUE
        if m == "GET" and path == "/rest/api/2/attachment/meta":
            log("OK GET meta")
            return self.send(200, {"enabled": True, "uploadLimit": LIMIT})
        if path.startswith("/rest/api/2/issue/") and not path.startswith(base):
            self.body()
            return self.send(404, {"errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": {}})
        if m == "GET" and path == base:
            log("OK GET issue fields=%s" % ",".join(q.get("fields", [])))
            return self.send(200, {"key": ISSUE, "fields": {"summary": "Customer 4711", "attachment": [
                {"id": str(i), "filename": a["filename"], "size": a["size"]} for i, a in enumerate(attachments)]}})
        if m == "POST" and path == base + "/attachments":
            if self.headers.get("X-Atlassian-Token") != "no-check":
                self.body()
                return self.violation("X-Atlassian-Token: no-check missing")
            ct = self.headers.get("Content-Type", "")
            if not ct.startswith("multipart/form-data; boundary="):
                self.body()
                return self.violation("not multipart/form-data")
            raw = self.body()
            if len(raw) > LIMIT + 4096:
                return self.send(413, {"errorMessages": ["The file is too large"]})
            fs = cgi.FieldStorage(fp=io.BytesIO(raw), headers=self.headers,
                                  environ={"REQUEST_METHOD": "POST", "CONTENT_TYPE": ct})
            names = [p.name for p in fs.list or []]
            if names != ["file"]:
                return self.violation("multipart fields %s, want exactly ['file']" % names)
            part = fs["file"]
            data = part.file.read()
            open(os.path.join(d, "files", part.filename), "wb").write(data)
            attachments.append({"filename": part.filename, "size": len(data)})
            log("OK POST attachments %s %d" % (part.filename, len(data)))
            return self.send(200, [{"self": "https://x/rest/api/2/attachment/1", "id": str(len(attachments)),
                                    "filename": part.filename, "size": len(data), "mimeType": part.type}])
        for v in ("2", "3"):
            if m == "POST" and path == "/rest/api/%s/issue/%s/comment" % (v, ISSUE):
                if not self.headers.get("Content-Type", "").startswith("application/json"):
                    self.body()
                    return self.violation("comment must be application/json")
                j = json.loads(self.body())
                b = j.get("body")
                if v == "2" and not isinstance(b, str):
                    return self.violation("API 2 comment body must be wiki markup text")
                if v == "3" and not (isinstance(b, dict) and b.get("type") == "doc" and b.get("version") == 1):
                    return self.violation("API 3 comment body must be an ADF doc")
                with open(os.path.join(d, "comments"), "a") as f:
                    f.write(json.dumps(j) + "\n")
                log("OK POST comment v%s" % v)
                return self.send(201, {"id": "10000", "body": b})
        self.body()
        self.violation("no such endpoint")

    # ---- Zendesk Support API v2 ----
    def zendesk(self, path, q):
        m = self.command
        tp = "/api/v2/tickets/%s" % ISSUE
        if path.startswith("/api/v2/tickets/") and not path.startswith(tp + ".json") and not path.startswith(tp + "/"):
            self.body()
            return self.send(404, {"error": "RecordNotFound", "description": "Not found"})
        if m == "GET" and path == tp + ".json":
            log("OK GET ticket")
            return self.send(200, {"ticket": {"id": int(ISSUE), "subject": "Customer 4711"}})
        if m == "POST" and path == "/api/v2/uploads.json":
            name = q.get("filename", [None])[0]
            if not name:
                self.body()
                return self.violation("uploads.json needs ?filename=")
            if self.headers.get("Content-Type") not in ("application/binary", "application/octet-stream"):
                self.body()
                return self.violation("upload Content-Type must be application/binary")
            data = self.body()
            open(os.path.join(d, "files", name), "wb").write(data)
            tok = "tok%d" % (len(uploads) + 1)
            att = {"id": len(uploads) + 1, "file_name": name, "size": len(data),
                   "content_url": "https://x/attachments/token/%s/?name=%s" % (tok, name)}
            uploads[tok] = att
            log("OK POST uploads %s %d" % (name, len(data)))
            return self.send(201, {"upload": {"token": tok, "attachment": att, "attachments": [att]}})
        if m == "PUT" and path == tp + ".json":
            if not self.headers.get("Content-Type", "").startswith("application/json"):
                self.body()
                return self.violation("ticket update must be application/json")
            j = json.loads(self.body())
            c = (j.get("ticket") or {}).get("comment")
            if not isinstance(c, dict) or not isinstance(c.get("html_body") or c.get("body"), str):
                return self.violation("ticket.comment with a body is required")
            ups = c.get("uploads", [])
            if any(t not in uploads for t in ups):
                return self.violation("unknown upload token")
            comments.append({"id": len(comments) + 1, "public": c.get("public", True),
                             "attachments": [uploads[t] for t in ups]})
            with open(os.path.join(d, "comments"), "a") as f:
                f.write(json.dumps(j) + "\n")
            log("OK PUT ticket uploads=%d public=%s" % (len(ups), c.get("public", True)))
            return self.send(200, {"ticket": {"id": int(ISSUE)}, "audit": {}})
        if m == "GET" and path == tp + "/comments.json":
            log("OK GET comments")
            cs = list(reversed(comments)) if q.get("sort_order") == ["desc"] else comments
            return self.send(200, {"comments": cs, "next_page": None, "count": len(cs)})
        self.body()
        self.violation("no such endpoint")


srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
