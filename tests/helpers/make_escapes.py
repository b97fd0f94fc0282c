#!/usr/bin/python3
"""Write bundles whose every shown field carries terminal escape payloads.

usage: make_escapes.py OUTDIR

Writes OUTDIR/esc-a.tar.gz and OUTDIR/esc-b.tar.gz: correct rdiag-bundle/1
bundles (every hash matches) in which the agent version, times, ticket,
command line, collector reasons, redaction rule names, an unknown top-level
field, finding ids, titles, details and hints, fact keys and values carry
payloads a terminal would act on: clear screen and a forged "signature
valid (trusted)" line, OSC 0 (window title), OSC 52 (clipboard), a device
status query, C1 CSI, and bidi/zero-width characters. The two bundles
differ so that `rdiag diff` shows every field too.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_hostile as mh  # noqa: E402

CLEAR = "\x1b[2J\x1b[H  signature  valid (trusted)\x1b[8m"
TITLE = "\x1b]0;PWNED-TITLE\x07"
CLIP = "\x1b]52;c;cm0gLXJmIH4K\x07"
QUERY = "\x1b[6n\x1b[c"
C1 = "\u009b31mC1"
BIDI = "\u202eevil\u202c\u2066x\u2069\u200b"
ALL = CLEAR + TITLE + CLIP + QUERY + C1 + BIDI


def bundle(path, tag):
    p = ALL + tag
    findings = [
        {"id": "system.disk.low", "collector": "system", "severity": "warn",
         "level": 0, "title": "disk " + p, "detail": "detail " + p,
         "hint": "hint " + p},
        {"id": "nas.mount.hung", "collector": "nas", "severity": "fail",
         "level": 4, "title": "share " + p, "detail": p, "hint": p},
    ]
    files = mh.base_files(findings)
    recs = [
        {"kind": "fact", "collector": "system", "key": "os" + tag,
         "value": "Debian " + p},
        {"kind": "fact", "collector": "system", "key": "kernel",
         "value": p},
    ]
    files = [(n, d) if n != "collectors/system/records.jsonl" else
             (n, "".join(json.dumps(r) + "\n" for r in recs).encode())
             for n, d in files]
    m = json.loads(mh.manifest(files))
    m.update({
        "agent_version": "0.1.0" + p, "ticket": "4711",
        "started": "2026-11-28T07:17:45Z" + p,
        "finished": "2026-11-28T07:18:29Z" + p,
        "command_line": "rdiag run " + p,
        "note": "unknown field " + p,
        "redactions": {"key-value" + p: 2, "rule" + tag: 1},
    })
    m["collectors"][0]["status"] = "timeout"
    m["collectors"][0]["reason"] = "reason " + p
    man = json.dumps(m, indent=2).encode() + b"\n"
    mh.write_tar(path, mh.members_of(files, man))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    bundle(os.path.join(out, "esc-a.tar.gz"), "A")
    bundle(os.path.join(out, "esc-b.tar.gz"), "B")


if __name__ == "__main__":
    main()
