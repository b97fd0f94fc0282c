#!/usr/bin/python3
"""Write the hostile-bundle corpus for `rdiag inspect/extract/diff/export`.

usage: make_hostile.py OUTDIR

Writes OUTDIR/<case>.tar.gz (or .tar.zst) for every case and OUTDIR/cases.tsv
with one line per case: name, file, what every command must do ("refuse",
"neutralise" or "accept") and a piece of the message a refusal must contain. The bundles
are made here at test time (some are large when unpacked, none is large on
disk) rather than committed as binaries. Every case but the one under test
is a correct rdiag-bundle/1, so each refusal is for the stated reason.
"""
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import zlib

TOP = "rdiag-hostile-4711-20261128T071745Z"
MTIME = 1795000000


def base_files(findings=None):
    """The entries of a small, correct bundle (path -> bytes), in order."""
    recs = [
        {"kind": "fact", "collector": "system", "key": "os", "value": "Debian 12"},
        {"kind": "fact", "collector": "system", "key": "disk_free", "value": "12 GiB"},
        {"kind": "fact", "collector": "nas", "key": "share", "value": "//nas/docs"},
    ]
    if findings is None:
        findings = [
            {"id": "system.disk.low", "collector": "system", "severity": "warn",
             "level": 0, "title": "disk nearly full", "detail": "91% used",
             "hint": "free some space"},
            {"id": "nas.mount.ok", "collector": "nas", "severity": "ok",
             "level": 4, "title": "share mounted"},
        ]
    sysrecs = [r for r in recs if r["collector"] == "system"]
    nasrecs = [r for r in recs if r["collector"] == "nas"]
    return [
        ("collectors/nas/records.jsonl",
         "".join(json.dumps(r) + "\n" for r in nasrecs).encode()),
        ("collectors/system/records.jsonl",
         "".join(json.dumps(r) + "\n" for r in sysrecs).encode()),
        ("findings.json", json.dumps(findings, indent=2).encode() + b"\n"),
        ("report.txt", b"rdiag verdict for hostile\n"),
        ("rdiag.log", b"log line\n"),
    ]


def manifest(files, fmt="rdiag-bundle/1", lie=None):
    entries = []
    for path, data in files:
        e = {"path": path, "size": len(data),
             "sha256": hashlib.sha256(data).hexdigest()}
        if lie and lie[0] == path:
            e[lie[1]] = lie[2]
        entries.append(e)
    m = {
        "format": fmt, "agent_version": "0.1.0", "host": "hostile",
        "ticket": "4711", "started": "2026-11-28T07:17:45Z",
        "finished": "2026-11-28T07:18:29Z", "command_line": "rdiag run",
        "collectors": [
            {"name": "nas", "status": "ok", "reason": None, "duration_ms": 5,
             "records": 2, "truncated": False, "rejected": 0},
            {"name": "system", "status": "ok", "reason": None,
             "duration_ms": 7, "records": 3, "truncated": False,
             "rejected": 0},
        ],
        "files": entries, "redactions": {"key-value": 2},
    }
    return json.dumps(m, indent=2).encode() + b"\n"


def info(name, size=0, kind=tarfile.REGTYPE, link=""):
    ti = tarfile.TarInfo(name)
    ti.size = size
    ti.type = kind
    ti.linkname = link
    ti.mtime = MTIME
    ti.mode = 0o700 if kind == tarfile.DIRTYPE else 0o600
    return ti


def write_tar(path, members, fmt=tarfile.PAX_FORMAT):
    """members: list of (TarInfo, bytes or None)."""
    with gzip.GzipFile(path, "wb", mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=fmt,
                          encoding="utf-8", errors="surrogateescape") as t:
            for ti, data in members:
                t.addfile(ti, io.BytesIO(data) if data is not None else None)


def members_of(files, man=None, extra_before_manifest=(), after=()):
    out = [(info(TOP, kind=tarfile.DIRTYPE), None)]
    dirs = set()
    for p, data in files:
        parts = p.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in dirs:
                dirs.add(d)
                out.append((info(TOP + "/" + d, kind=tarfile.DIRTYPE), None))
        out.append((info(TOP + "/" + p, len(data)), data))
    out.extend(extra_before_manifest)
    m = man if man is not None else manifest(files)
    out.append((info(TOP + "/manifest.json", len(m)), m))
    out.extend(after)
    return out


class Zeros(io.RawIOBase):
    """n zero bytes, produced lazily (for bombs)."""

    def __init__(self, n):
        self.left = n

    def readable(self):
        return True

    def readinto(self, b):
        n = min(len(b), self.left)
        b[:n] = bytes(n)
        self.left -= n
        return n


def bomb_tar_stream(size):
    """Yield the tar bytes of a correct-looking bundle whose report.txt
    is size zero bytes (the manifest cannot be reached anyway)."""
    hdr = info(TOP + "/report.txt", size).tobuf(tarfile.PAX_FORMAT,
                                                 "utf-8", "surrogateescape")
    yield info(TOP, kind=tarfile.DIRTYPE).tobuf(tarfile.PAX_FORMAT, "utf-8",
                                                "surrogateescape")
    yield hdr
    chunk = bytes(1 << 20)
    left = size
    while left > 0:
        n = min(left, len(chunk))
        yield chunk[:n]
        left -= n
    yield bytes(1024)


def gzip_bomb(path, size):
    co = zlib.compressobj(9, zlib.DEFLATED, 31)
    with open(path, "wb") as f:
        for part in bomb_tar_stream(size):
            f.write(co.compress(part))
        f.write(co.flush())


def zstd_bomb(path, size):
    with open(path, "wb") as f:
        p = subprocess.Popen(["zstd", "-q", "-3", "-c"], stdin=subprocess.PIPE,
                             stdout=f)
        for part in bomb_tar_stream(size):
            p.stdin.write(part)
        p.stdin.close()
        if p.wait() != 0:
            raise SystemExit("zstd failed")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    cases = []

    def case(name, expect, msg, members=None, writer=None, ext="tar.gz"):
        path = os.path.join(out, name + "." + ext)
        if writer:
            writer(path)
        else:
            write_tar(path, members)
        cases.append((name, path, expect, msg))

    files = base_files()
    good = os.path.join(out, "good.tar.gz")
    write_tar(good, members_of(files))

    case("absolute-path", "refuse", "absolute path",
         members_of(files, after=()) [:1] + [(info("/tmp/rdiag-hostile-abs", 4), b"evil")]
         + members_of(files)[1:])
    case("dotdot", "refuse", "'..' component",
         members_of(files, extra_before_manifest=[
             (info(TOP + "/../../rdiag-hostile-dotdot", 4), b"evil")]))
    case("symlink-out", "refuse", "symbolic link",
         members_of(files, extra_before_manifest=[
             (info(TOP + "/collectors/nas/passwd", kind=tarfile.SYMTYPE,
                   link="/etc/passwd"), None)]))
    case("symlink-dir-then-write", "refuse", "symbolic link",
         members_of(files, extra_before_manifest=[
             (info(TOP + "/collectors/out", kind=tarfile.SYMTYPE,
                   link="/tmp"), None),
             (info(TOP + "/collectors/out/rdiag-hostile-via-link", 4),
              b"evil")]))
    case("hardlink-out", "refuse", "hard link",
         members_of(files, extra_before_manifest=[
             (info(TOP + "/collectors/nas/shadow", kind=tarfile.LNKTYPE,
                   link="/etc/shadow"), None)]))
    case("char-device", "refuse", "character device",
         members_of(files, extra_before_manifest=[
             (info(TOP + "/null", kind=tarfile.CHRTYPE), None)]))
    case("block-device", "refuse", "block device",
         members_of(files, extra_before_manifest=[
             (info(TOP + "/sda", kind=tarfile.BLKTYPE), None)]))
    case("fifo", "refuse", "FIFO",
         members_of(files, extra_before_manifest=[
             (info(TOP + "/pipe", kind=tarfile.FIFOTYPE), None)]))
    dup = members_of(files)
    fj = [m for m in dup if m[0].name.endswith("/findings.json")][0]
    dup.insert(-1, (info(fj[0].name, len(b"[]\n")), b"[]\n"))
    case("duplicate-entry", "refuse", "duplicate entry", dup)
    case("file-below-file", "refuse", "below a file",
         members_of(files, extra_before_manifest=[
             (info(TOP + "/report.txt/x", 1), b"x")]))
    case("manifest-lies-hash", "refuse", "does not match its SHA-256",
         members_of(files, man=manifest(files, lie=(
             "findings.json", "sha256", "0" * 64))))
    case("manifest-lies-size", "refuse", "the manifest says",
         members_of(files, man=manifest(files, lie=(
             "report.txt", "size", 3))))
    case("extra-file", "refuse", "not in the manifest",
         members_of(files, extra_before_manifest=[
             (info(TOP + "/smuggled.txt", 3), b"hi\n")]))
    missing = files[:-1]
    case("missing-file", "refuse", "not in the archive",
         members_of(missing, man=manifest(files)))
    case("manifest-not-last", "refuse", "must be last",
         members_of(files, after=[(info(TOP + "/late.txt", 2), b"x\n")]))
    case("two-top-dirs", "refuse", "outside the top directory",
         members_of(files, extra_before_manifest=[
             (info("other-top/x", 2), b"x\n")]))
    case("unknown-format", "refuse", "unknown bundle format",
         members_of(files, man=manifest(files, fmt="rdiag-bundle/9")))
    deep = b"[" * 100000 + b"]" * 100000 + b"\n"
    dfiles = [(p, deep if p == "findings.json" else d) for p, d in files]
    case("deep-json-findings", "refuse", "nested deeper",
         members_of(dfiles))
    case("deep-json-manifest", "refuse", "nested deeper",
         members_of(files, man=b'{"format":"rdiag-bundle/1","x":' +
                    b"[" * 100000 + b"]" * 100000 + b"}\n"))
    case("non-utf8-name", "refuse", "not printable UTF-8",
         members_of(files, extra_before_manifest=[
             (info(TOP + "/bad-\udcff\udcfe.txt", 2), b"x\n")]))
    case("control-char-name", "refuse", "not printable UTF-8",
         members_of(files, extra_before_manifest=[
             (info(TOP + "/\x1b[31mred.txt", 2), b"x\n")]))

    def truncated(path):
        data = open(good, "rb").read()
        with open(path, "wb") as f:
            f.write(data[: len(data) // 2])
    case("truncated", "refuse", "truncated or corrupt", writer=truncated)

    def garbage(path):
        with open(path, "wb") as f:
            f.write(b"\x1f\x8b\x08\x00" + bytes(range(256)) * 8)
    case("not-an-archive", "refuse", "truncated or corrupt", writer=garbage)

    case("gzip-bomb", "refuse", "compression bomb",
         writer=lambda p: gzip_bomb(p, 900 << 20))
    case("zstd-bomb", "refuse", "compression bomb",
         writer=lambda p: zstd_bomb(p, 900 << 20), ext="tar.zst")

    def huge(path):
        ti = info(TOP + "/report.txt", 0)
        ti.size = 100 << 30  # 100 GiB, in a pax header
        with gzip.GzipFile(path, "wb", mtime=0) as gz:
            gz.write(info(TOP, kind=tarfile.DIRTYPE).tobuf(
                tarfile.PAX_FORMAT, "utf-8", "surrogateescape"))
            gz.write(ti.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape"))
            gz.write(bytes(4096))
    case("huge-claimed-size", "refuse", "claims", writer=huge)

    def many(path):
        with gzip.GzipFile(path, "wb", mtime=0, compresslevel=1) as gz:
            gz.write(info(TOP, kind=tarfile.DIRTYPE).tobuf(
                tarfile.USTAR_FORMAT, "utf-8", "strict"))
            gz.write(info(TOP + "/many", kind=tarfile.DIRTYPE).tobuf(
                tarfile.USTAR_FORMAT, "utf-8", "strict"))
            for i in range(100000):
                gz.write(info("%s/many/%06d" % (TOP, i), 0).tobuf(
                    tarfile.USTAR_FORMAT, "utf-8", "strict"))
            gz.write(bytes(1024))
    case("100000-entries", "refuse", "entries", writer=many)

    bad_sig = members_of(files, after=[
        (info(TOP + "/manifest.sig", 20), b"rdiag-sig/1 ed25519 \n")])
    case("bad-signature", "refuse", "manifest.sig", bad_sig)

    def bad_sidecar(path):
        data = open(good, "rb").read()
        with open(path, "wb") as f:
            f.write(data)
        with open(path + ".sha256", "w") as f:
            f.write("0" * 64 + "  " + os.path.basename(path) + "\n")
    case("sidecar-mismatch", "refuse", "sidecar", writer=bad_sidecar)

    evil = [
        {"id": "system.evil", "collector": "system", "severity": "fail",
         "level": 0,
         "title": "<script>alert('title')</script>\x1b[2J\x1b]0;pwned\x07",
         "detail": "<img src=x onerror=alert(1)><a href='http://evil.example/'>"
                   "x</a>\r\x9b31m",
         "hint": "\"><script src=//evil.example/x.js></script>"},
    ]
    efiles = base_files(findings=evil)
    efiles[1] = ("collectors/system/records.jsonl", (json.dumps(
        {"kind": "fact", "collector": "system", "key": "<b>os</b>",
         "value": "</td><script>alert(2)</script>\x1b[31m"}) + "\n").encode())
    case("html-and-escapes-in-findings", "neutralise", "", members_of(efiles))

    # Review must stay bounded in time and memory on whatever fits the
    # caps: shapes that once cost minutes or gigabytes.
    def many_collectors(m):
        m["collectors"] = [
            {"name": "c%06d" % i, "status": "ok", "reason": None,
             "duration_ms": 1, "records": 0, "truncated": False,
             "rejected": 0} for i in range(60000)]
    m = json.loads(manifest(files))
    many_collectors(m)
    case("60000-collectors", "refuse", "collectors (at most",
         members_of(files, man=json.dumps(m).encode()))
    deep_files = list(files)
    for i in range(3000):
        deep_files.append(("collectors/system/" + "/".join(
            "abcdefg"[(i + k) % 7] for k in range(470)) + "/f%d" % i, b"x"))
    case("3000-entries-470-deep", "refuse", "directories deep",
         members_of(deep_files))
    flood = [{"id": "system.disk.low", "collector": "system",
              "severity": "warn", "level": 0, "title": "t%d" % i,
              "detail": "", "hint": ""} for i in range(70000)]
    case("70000-findings", "refuse", "findings, more than",
         members_of(base_files(findings=flood)))

    def facts(n, coll="system"):
        return "".join(json.dumps({"kind": "fact", "collector": coll,
                                   "key": "k%07d" % i, "value": "v" * 20})
                       + "\n" for i in range(n)).encode()
    ffiles = [(p, facts(25000) if p.endswith("system/records.jsonl")
               else d) for p, d in files]
    case("25000-facts", "refuse", "more records than rdiag writes",
         members_of(ffiles))
    cap_files = [(p, facts(19000, p.split("/")[1])
                  if p.endswith("records.jsonl") else d) for p, d in files]
    case("facts-at-the-cap", "accept", "", members_of(cap_files))

    def dumpdir(path):
        d = info(TOP + "/collectors/nas/incremental", 64, kind=b"D")
        write_tar(path, members_of(files, extra_before_manifest=[
            (d, b"Nfile\0" * 10 + b"\0" * 4)]), fmt=tarfile.GNU_FORMAT)
    case("gnu-dumpdir", "refuse", "GNU dumpdir", writer=dumpdir)

    def pax_bomb(path):
        # 700 directories, each behind a 900 KB pax header (under
        # libarchive's own limit): 630 MB unpacked that no entry's data
        # accounts for, from 0.7 MB.
        rec = b"comment=" + b"a" * (900 << 10) + b"\n"
        ln = len(rec) + 1 + len(str(len(rec)))
        ln = len(rec) + 1 + len(str(ln))
        body = str(ln).encode() + b" " + rec
        pad = bytes((512 - len(body) % 512) % 512)
        h = tarfile.TarInfo("././@PaxHeader")
        h.type = tarfile.XHDTYPE
        h.size = len(body)
        hb = h.tobuf(tarfile.USTAR_FORMAT, "utf-8", "strict")
        members = members_of(files)
        with gzip.GzipFile(path, "wb", mtime=0, compresslevel=9) as gz:
            for ti, data in members[:-1]:
                gz.write(ti.tobuf(tarfile.USTAR_FORMAT, "utf-8", "strict"))
                if data:
                    gz.write(data + bytes((512 - len(data) % 512) % 512))
            for i in range(700):
                gz.write(hb + body + pad)
                gz.write(info("%s/d%03d" % (TOP, i), kind=tarfile.DIRTYPE)
                         .tobuf(tarfile.USTAR_FORMAT, "utf-8", "strict"))
            ti, data = members[-1]
            gz.write(ti.tobuf(tarfile.USTAR_FORMAT, "utf-8", "strict"))
            gz.write(data + bytes((512 - len(data) % 512) % 512))
            gz.write(bytes(1024))
    case("pax-header-bomb", "refuse", "compression bomb", writer=pax_bomb)

    with open(os.path.join(out, "cases.tsv"), "w") as f:
        for name, path, expect, msg in cases:
            f.write("%s\t%s\t%s\t%s\n" % (name, path, expect, msg))
    print("%d cases in %s" % (len(cases), out))


if __name__ == "__main__":
    main()
