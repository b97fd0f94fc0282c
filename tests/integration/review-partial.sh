#!/usr/bin/env bash
# A part says it is one. From a real run (system with its artifacts,
# product), `rdiag export --only product` writes a part whose manifest
# names its source and the collectors left out; `inspect` of the part says
# so first in text, JSON and HTML; `diff FULL PART` (and the reverse) says
# system is absent from one side instead of counting its problems as gone
# or printing "(null)"; the HTML report lists every collector's files with
# their sizes as the manifest has them. A hand-made part whose source name
# and file names carry markup and escape sequences shows them only
# sanitised and HTML-escaped.
. "$(dirname "$0")/lib.sh"
export RDIAG_SYSTEM_CONFIG=""

mkdir -p "$T_DIR/data" "$T_DIR/out"
cat >"$T_DIR/c.conf" <<CONF
[agent]
min_free_mb = 1
[product]
data_dir = $T_DIR/data
data_dir = $T_DIR/missing
CONF
"$RDIAG" run --only system,product --config "$T_DIR/c.conf" --out "$T_DIR/out" \
	--json >"$T_DIR/run.json" 2>/dev/null || true
F=$(t_json "$T_DIR/run.json" 'j["bundle"]')
name=$(basename "$F" .tar.gz)
P="$T_DIR/part.tar.gz"
"$RDIAG" export "$F" --only product -o "$P" >/dev/null

# --- the part's manifest ---------------------------------------------------
t_check "export: exported_from names the source, what was kept and left out" \
	$PY - "$P" "$name" "$F" <<'PY'
import hashlib, json, sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    m = json.load(t.extractfile([n for n in t.getnames() if n.endswith("/manifest.json")][0]))
e = m["exported_from"]
assert e["bundle"] == sys.argv[2], e
assert e["sha256"] == hashlib.sha256(open(sys.argv[3], "rb").read()).hexdigest(), e
assert e["collectors"] == ["product"] and e["left_out"] == ["system"], e
PY

# --- inspect: text, JSON, HTML ----------------------------------------------
"$RDIAG" inspect "$P" >"$T_DIR/part.txt"
t_check "inspect text: the first line says partial and from which bundle" \
	test "$(head -1 "$T_DIR/part.txt")" = "PARTIAL BUNDLE: exported from $name"
t_check "inspect text: the collectors kept and left out" \
	bash -c "grep -qE '^  collectors kept +product\$' '$T_DIR/part.txt' && grep -qE '^  left out +system\$' '$T_DIR/part.txt'"
"$RDIAG" inspect "$F" >"$T_DIR/full.txt"
t_check "inspect text: a whole bundle is not called partial" \
	bash -c "! grep -qi partial '$T_DIR/full.txt'"
"$RDIAG" inspect "$P" --json >"$T_DIR/part.json"
t_check "inspect --json: partial and exported_from" $PY - "$T_DIR/part.json" "$name" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["partial"] is True, j["partial"]
e = j["exported_from"]
assert e["bundle"] == sys.argv[2] and e["collectors"] == ["product"] and e["left_out"] == ["system"], e
assert len(e["sha256"]) == 64 and len(e["manifest_sha256"]) == 64, e
PY
"$RDIAG" inspect "$F" --json >"$T_DIR/full.json"
t_check "inspect --json: a whole bundle has partial false, exported_from null" \
	test "$(t_json "$T_DIR/full.json" '(j["partial"], j["exported_from"])')" = "(False, None)"
"$RDIAG" inspect "$P" --html "$T_DIR/part.html" >/dev/null
t_check "inspect --html: the part says so before the findings, with its source" \
	$PY - "$T_DIR/part.html" "$name" <<'PY'
import sys
t = open(sys.argv[1]).read()
i = t.find('<div class="partial">')
assert 0 < i < t.find("Findings by who can act"), i
box = t[i:t.find("</div>", i)]
assert "Partial bundle." in box and sys.argv[2] in box, box
assert "left out</th><td>system<" in box and "collectors kept</th><td>product<" in box, box
PY

# --- the HTML lists every collector's files and sizes -----------------------
"$RDIAG" inspect "$F" --html "$T_DIR/full.html" >/dev/null
t_check "inspect --html: every file of each collector with its size" \
	$PY - "$T_DIR/full.html" "$F" <<'PY'
import html, json, re, sys, tarfile
page = open(sys.argv[1]).read()
with tarfile.open(sys.argv[2]) as t:
    m = json.load(t.extractfile([n for n in t.getnames() if n.endswith("/manifest.json")][0]))
sec = page[page.index("<h2>Evidence files</h2>"):]
sec = sec[:sec.find("<h2>", 5)]
rows = re.findall(r'<td class="v" data-l="file">(.*?)</td><td class="n" data-l="size">[^<]*\((\d+) bytes\)', sec)
shown = {(html.unescape(n), int(s)) for n, s in rows}
want = set()
for f in m["files"]:
    p = f["path"]
    parts = p.split("/", 2)
    want.add((parts[2] if p.startswith("collectors/") else p, f["size"]))
assert shown == want, (shown ^ want)
assert any(p.startswith("collectors/system/") and not p.endswith("records.jsonl") for p in (f["path"] for f in m["files"])), "system should have artifacts"
for c in m["collectors"]:
    assert "<h3>%s</h3>" % c["name"] in sec, c["name"]
print(len(shown), "files listed")
PY

# --- diff FULL PART and PART FULL ------------------------------------------
"$RDIAG" diff "$F" "$P" >"$T_DIR/d1.txt"
"$RDIAG" diff "$F" "$P" --json >"$T_DIR/d1.json"
"$RDIAG" diff "$P" "$F" >"$T_DIR/d2.txt"
"$RDIAG" diff "$P" "$F" --json >"$T_DIR/d2.json"
t_check "diff: never prints (null)" bash -c "! grep -q '(null)' '$T_DIR/d1.txt' '$T_DIR/d2.txt'"
t_check "diff FULL PART: system is absent from the new bundle, a part" \
	grep -qF "Collectors absent from the new bundle (a part made by rdiag export), not compared (1):" "$T_DIR/d1.txt"
t_check "diff PART FULL: system is absent from the old bundle" \
	grep -qF "Collectors absent from the old bundle (a part made by rdiag export), not compared (1):" "$T_DIR/d2.txt"
t_check "diff FULL PART: no problem counted as gone" \
	grep -qE "^0 problems gone, 0 new problems in the collectors both bundles have\.$" "$T_DIR/d1.txt"
t_check "diff --json: only_in_old/only_in_new, nothing of system compared" \
	$PY - "$T_DIR/d1.json" "$T_DIR/d2.json" "$T_DIR/run.json" <<'PY'
import json, sys
d1, d2 = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
run = json.load(open(sys.argv[3]))
# system has findings (passed checks at least): without the rule they
# would all count as disappeared.
assert any(f["collector"] == "system" for f in run["findings"])
for d, old, new in ((d1, ["system"], []), (d2, [], ["system"])):
    assert d["only_in_old"] == old and d["only_in_new"] == new, d
    for k in ("appeared", "disappeared", "severity_changed"):
        assert not [f for f in d[k] if f["collector"] == "system"], (k, d[k])
    assert not [f for f in d["facts_changed"] if f["fact"].startswith("system/")], d["facts_changed"]
    assert d["collectors_changed"] == [], d["collectors_changed"]
assert d1["new"]["partial"] is True and d1["old"]["partial"] is False
PY

# --- hostile names: sanitised and escaped -----------------------------------
$PY - "$T_DIR/evil.tar.gz" "$RDIAG_SRC/tests/helpers" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[2])
import make_hostile as mh
files = mh.base_files()
files.insert(2, ("collectors/system/<img src=x onerror=alert(1)>&.txt", b"evidence\n"))
m = json.loads(mh.manifest(files))
m["exported_from"] = {
    "bundle": "<script>alert(1)</script>\x1b]0;PWNED\x07\u202eevil",
    "sha256": "0" * 64, "collectors": ["system", "nas"], "left_out": ["database"],
}
mh.write_tar(sys.argv[1], mh.members_of(files, json.dumps(m).encode() + b"\n"))
PY
rc=0
"$RDIAG" inspect "$T_DIR/evil.tar.gz" --html "$T_DIR/evil.html" >"$T_DIR/evil.txt" || rc=$?
t_check "hostile part: inspected (0)" test "$rc" = 0
t_check "hostile part: the text is sanitised (no ESC, no bidi override)" \
	bash -c "head -1 '$T_DIR/evil.txt' | grep -q '^PARTIAL BUNDLE: exported from <script>' && ! grep -qaP '\\x1b|\\x{202e}' '$T_DIR/evil.txt'"
t_check "hostile part: the HTML escapes the source name and the file name" \
	$PY - "$T_DIR/evil.html" <<'PY'
import sys
t = open(sys.argv[1], encoding="utf-8").read()
assert "<script>" not in t and "<img" not in t, "markup leaked"
assert "&lt;script&gt;alert(1)&lt;/script&gt;" in t
assert "&lt;img src=x onerror=alert(1)&gt;&amp;.txt" in t
assert "\x1b" not in t and "\u202e" not in t
PY

t_done
