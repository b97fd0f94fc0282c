#!/usr/bin/env bash
# Reviewing real bundles from `rdiag run`: keygen, inspect, extract, diff and
# export round trips; signatures (trusted, wrong key, missing with --trust,
# tampered) and encryption (wrong key, truncated, changed, fail closed).
. "$(dirname "$0")/lib.sh"
export RDIAG_SYSTEM_CONFIG=""

app="$T_DIR/app"
out="$T_DIR/out"
mkdir -p "$app/etc" "$app/log" "$out"
echo "[db]" >"$app/etc/app.ini"
echo "host = db.internal" >>"$app/etc/app.ini"
for i in $(seq 1 50); do echo "2026-11-27T10:00:00 INFO request $i ok"; done >"$app/log/app.log"
echo "2026-11-27T10:01:00 ERROR connect failed" >>"$app/log/app.log"
conf() { # conf FILE ERROR_PATTERN
	cat >"$1" <<CONF
[agent]
min_free_mb = 1
host_label = itest
[product]
config = $app/etc/*.ini
log = $app/log/*.log
error_pattern = $2
CONF
}
conf "$T_DIR/a.conf" ERROR
conf "$T_DIR/b.conf" NEVER-MATCHES

run() { # run OUTDIR CONF [args...] -> prints the bundle path
	local o=$1 c=$2
	shift 2
	"$RDIAG" run --only system,product --config "$c" --ticket 4711 \
		--out "$o" --json "$@" >"$T_DIR/v.json" 2>"$T_DIR/run.err" || true
	t_json "$T_DIR/v.json" 'j["bundle"]'
}

# --- keygen ---------------------------------------------------------------
cd "$T_DIR"
"$RDIAG" keygen --type sign signer >"$T_DIR/kg.out"
"$RDIAG" keygen --type sign other >/dev/null
"$RDIAG" keygen --type encrypt vendor >/dev/null
"$RDIAG" keygen --type encrypt stranger >/dev/null
t_check "keygen: secret key is 0600" test "$(stat -c %a signer.key)" = 600
t_check "keygen: encryption secret key is 0600" test "$(stat -c %a vendor.key)" = 600
t_check "keygen: public key is 0644" test "$(stat -c %a signer.pub)" = 644
secret_hex=$(sed -n 2p signer.key)
t_check "keygen: the secret is never printed" bash -c "! grep -q '$secret_hex' '$T_DIR/kg.out'"
rc=0; "$RDIAG" keygen --type sign signer >/dev/null 2>&1 || rc=$?
t_check "keygen: refuses to overwrite a key (73)" test "$rc" = 73
t_check "keygen: the refused run left the key alone" test "$(sed -n 2p signer.key)" = "$secret_hex"
rc=0; "$RDIAG" keygen --type rsa x >/dev/null 2>&1 || rc=$?
t_check "keygen: unknown type is a usage error (64)" test "$rc" = 64
chmod 0644 vendor.key
rc=0; "$RDIAG" inspect /dev/null --key vendor.key 2>"$T_DIR/e" || rc=$?
t_check "a group/world-readable secret key is refused (64)" test "$rc" = 64
t_check "and the message says chmod 600" grep -q "chmod 600" "$T_DIR/e"
chmod 0600 vendor.key

# --- two plain bundles: before and after the "fix" ------------------------
mkdir -p "$out/a" "$out/b"
A=$(run "$out/a" "$T_DIR/a.conf")
cp "$T_DIR/v.json" "$T_DIR/a.verdict.json"
B=$(run "$out/b" "$T_DIR/b.conf")
t_check "run wrote bundle A" test -f "$A"
t_check "run wrote bundle B" test -f "$B"

# Independent reader for the assertions (Python's tarfile, not rdiag).
cat >"$T_DIR/read.py" <<'PY'
import hashlib, json, sys, tarfile
def load(path):
    t = tarfile.open(path)
    files = {}
    for m in t.getmembers():
        if m.isfile():
            files[m.name.split("/", 1)[1]] = t.extractfile(m).read()
    return files
def facts(files):
    out = {}
    for p, d in files.items():
        if p.startswith("collectors/") and p.endswith("/records.jsonl"):
            for line in d.decode().splitlines():
                r = json.loads(line)
                if r.get("kind") == "fact":
                    v = r["value"]
                    out["%s/%s" % (p.split("/")[1], r["key"])] = v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))
    return out
PY

rc=0; "$RDIAG" inspect "$A" >"$T_DIR/insp.txt" 2>&1 || rc=$?
t_check "inspect: a real bundle is intact (0)" test "$rc" = 0
t_check "inspect: says the sidecar matches" grep -q "sidecar    matches" "$T_DIR/insp.txt"
t_check "inspect: shows the customer's verdict" grep -q "^rdiag verdict for itest, ticket 4711" "$T_DIR/insp.txt"
t_check "inspect: lists collector statuses" grep -qE "^  (product|system) +ok" "$T_DIR/insp.txt"
t_check "inspect: shows key facts" grep -q "os.pretty_name = " "$T_DIR/insp.txt"
"$RDIAG" inspect "$A" --json >"$T_DIR/insp.json"
t_check "inspect --json: intact" test "$(t_json "$T_DIR/insp.json" 'j["intact"]')" = True
t_check "inspect --json: file count is the manifest's" test \
	"$(t_json "$T_DIR/insp.json" 'j["files"]')" = \
	"$($PY -c "import json,sys; sys.path.insert(0,'$T_DIR'); import read; print(len(json.loads(read.load('$A')['manifest.json'])['files']))")"
t_check "inspect --json: the verdict's exit code is the run's" test \
	"$(t_json "$T_DIR/insp.json" 'j["verdict"]["exit_code"]')" = "$(t_json "$T_DIR/a.verdict.json" 'j["exit_code"]')"
t_check "inspect --json: the findings are the run's" test \
	"$(t_json "$T_DIR/insp.json" 'sorted(f["id"] for f in j["verdict"]["findings"])')" = \
	"$(t_json "$T_DIR/a.verdict.json" 'sorted(f["id"] for f in j["findings"])')"
t_check "inspect --json: the facts are the bundle's" test \
	"$(t_json "$T_DIR/insp.json" 'sorted("%s/%s" % (c["name"], f["key"]) for c in j["collectors"] for f in c["facts"])')" = \
	"$($PY -c "import sys; sys.path.insert(0,'$T_DIR'); import read; print(sorted(read.facts(read.load('$A'))))")"

# --- extract --------------------------------------------------------------
rc=0; "$RDIAG" extract "$A" "$T_DIR/x" >/dev/null || rc=$?
t_check "extract: into a new directory (0)" test "$rc" = 0
cat >"$T_DIR/cmp.py" <<'PY'
import hashlib, json, os, sys
d = sys.argv[1]
m = json.load(open(os.path.join(d, "manifest.json")))
for f in m["files"]:
    data = open(os.path.join(d, f["path"]), "rb").read()
    assert hashlib.sha256(data).hexdigest() == f["sha256"], f["path"]
found = set()
for root, dirs, files in os.walk(d):
    for n in files:
        found.add(os.path.relpath(os.path.join(root, n), d))
    for n in dirs + files:
        assert not os.path.islink(os.path.join(root, n)), n
want = {f["path"] for f in m["files"]} | {"manifest.json"} | ({"manifest.sig"} & found)
assert found == want, found ^ want
PY
t_check "extract: every file is there and matches the manifest, nothing else" $PY "$T_DIR/cmp.py" "$T_DIR/x"
mkdir "$T_DIR/full" && echo keep >"$T_DIR/full/mine"
rc=0; "$RDIAG" extract "$A" "$T_DIR/full" 2>"$T_DIR/e" || rc=$?
t_check "extract: refuses a non-empty directory (73)" test "$rc" = 73
t_check "extract: and leaves it alone" test "$(ls "$T_DIR/full")" = mine
mkdir "$T_DIR/empty"
rc=0; "$RDIAG" extract "$A" "$T_DIR/empty" >/dev/null || rc=$?
t_check "extract: into an existing empty directory (0)" test "$rc" = 0

# --- diff -----------------------------------------------------------------
"$RDIAG" diff "$A" "$B" --json >"$T_DIR/diff.json"
"$RDIAG" diff "$A" "$B" >"$T_DIR/diff.txt"
cat >"$T_DIR/expect.py" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[4])
import read
a, b = read.load(sys.argv[1]), read.load(sys.argv[2])
d = json.load(open(sys.argv[3]))
def keyed(files):
    out, n = {}, {}
    for f in json.loads(files["findings.json"]):
        base = "%s/%s" % (f["collector"], f["id"])
        out["%s#%d" % (base, n.get(base, 0))] = f
        n[base] = n.get(base, 0) + 1
    return out
fa, fb = keyed(a), keyed(b)
want_app = sorted(fb[k]["id"] for k in set(fb) - set(fa))
want_gone = sorted(fa[k]["id"] for k in set(fa) - set(fb))
want_sev = sorted(fb[k]["id"] for k in set(fa) & set(fb) if fa[k]["severity"] != fb[k]["severity"])
xa, xb = read.facts(a), read.facts(b)
want_facts = sorted(k for k in set(xa) | set(xb) if xa.get(k) != xb.get(k))
assert sorted(f["id"] for f in d["appeared"]) == want_app, (d["appeared"], want_app)
assert sorted(f["id"] for f in d["disappeared"]) == want_gone, (d["disappeared"], want_gone)
assert sorted(f["id"] for f in d["severity_changed"]) == want_sev
assert sorted(f["fact"] for f in d["facts_changed"]) == want_facts, (sorted(f["fact"] for f in d["facts_changed"]), want_facts)
assert want_app or want_gone or want_sev, "the two runs should differ in findings"
print("diff matches: +%d -%d ~%d facts %d" % (len(want_app), len(want_gone), len(want_sev), len(want_facts)))
PY
t_check "diff --json: appeared, disappeared, severity and facts match an independent diff" \
	$PY "$T_DIR/expect.py" "$A" "$B" "$T_DIR/diff.json" "$T_DIR"
t_check "diff: text says how many problems are gone" grep -qE "^[0-9]+ problems? gone, [0-9]+ new problems?\.$" "$T_DIR/diff.txt"
"$RDIAG" diff "$A" "$A" >"$T_DIR/same.txt"
t_check "diff: a bundle against itself has no differences" grep -q "No differences" "$T_DIR/same.txt"

# --- export ---------------------------------------------------------------
rc=0; "$RDIAG" export "$A" --only product -o "$T_DIR/part.tar.gz" >/dev/null || rc=$?
t_check "export: wrote a part (0)" test "$rc" = 0
rc=0; "$RDIAG" inspect "$T_DIR/part.tar.gz" >/dev/null || rc=$?
t_check "export: the part is an intact bundle of its own" test "$rc" = 0
t_check "export: the part has its own sidecar" bash -c "cd '$T_DIR' && sha256sum -c --quiet part.tar.gz.sha256"
cat >"$T_DIR/part.py" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[3])
import read
src, part = read.load(sys.argv[1]), read.load(sys.argv[2])
m = json.loads(part["manifest.json"])
assert [c["name"] for c in m["collectors"]] == ["product"], m["collectors"]
assert m["exported_from"]["collectors"] == ["product"]
paths = set(part) - {"manifest.json"}
assert {f["path"] for f in m["files"]} == paths
want = {p for p in src if p.startswith("collectors/product/")} | {"findings.json", "report.txt"}
assert paths == want, paths ^ want
assert all(f["collector"] == "product" for f in json.loads(part["findings.json"]))
assert any(f["collector"] == "product" for f in json.loads(src["findings.json"]))
# None of the system collector's facts, in any file of the part.
blob = b"".join(part.values())
sysvals = [v for k, v in read.facts(src).items() if k.startswith("system/") and len(v) > 6]
assert sysvals, "the source should have system facts"
leaked = [v for v in sysvals if v.encode() in blob]
assert not leaked, leaked
assert b"collectors/system" not in blob
print("part holds exactly product:", len(paths), "files")
PY
t_check "export: exactly the chosen collector's files and findings, none of the other's facts" \
	$PY "$T_DIR/part.py" "$A" "$T_DIR/part.tar.gz" "$T_DIR"
rc=0; "$RDIAG" export "$A" --only database -o "$T_DIR/p2.tar.gz" 2>/dev/null || rc=$?
t_check "export: a collector not in the bundle is a usage error (64)" test "$rc" = 64
t_check "export: and writes nothing" test ! -e "$T_DIR/p2.tar.gz"
rc=0; "$RDIAG" export "$A" --only product -o "$T_DIR/p3.zip" 2>/dev/null || rc=$?
t_check "export: -o must end in .tar.gz or .tar.zst (64)" test "$rc" = 64
t_check "export: leaves no temporary directory" test -z "$(ls -A "$T_DIR" | grep '^\.rdiag-export' || true)"

# --- signatures -----------------------------------------------------------
mkdir -p "$out/s"
S=$(run "$out/s" "$T_DIR/a.conf" --sign signer.key)
t_check "run --sign: the bundle holds manifest.sig" bash -c "tar tzf '$S' | grep -q '/manifest.sig$'"
rc=0; "$RDIAG" inspect "$S" --trust signer.pub >"$T_DIR/s.txt" || rc=$?
t_check "signed: inspect --trust the right key (0)" test "$rc" = 0
t_check "signed: inspect names the trusted key" grep -q "signature  valid, key .* (trusted)" "$T_DIR/s.txt"
for cmd in inspect extract diff export; do
	case $cmd in
	inspect) args=("$S") ;;
	extract) args=("$S" "$T_DIR/sx-$RANDOM") ;;
	diff) args=("$S" "$S") ;;
	export) args=("$S" --only system -o "$T_DIR/sp-$RANDOM.tar.gz") ;;
	esac
	rc=0; "$RDIAG" $cmd "${args[@]}" --trust other.pub >/dev/null 2>"$T_DIR/e" || rc=$?
	t_check "signed: $cmd --trust a different key is refused (65)" test "$rc" = 65
	t_check "signed: $cmd says which key signed" grep -q "not by the trusted key" "$T_DIR/e"
	rc=0; "$RDIAG" $cmd "${args[@]/$S/$A}" --trust signer.pub >/dev/null 2>"$T_DIR/e" || rc=$?
	t_check "unsigned: $cmd --trust is refused (65)" test "$rc" = 65
	t_check "unsigned: $cmd says the bundle is not signed" grep -q "not signed" "$T_DIR/e"
done
t_check "refused extracts left no directory" test -z "$(ls -d "$T_DIR"/sx-* 2>/dev/null || true)"
t_check "refused exports left no part" test -z "$(ls "$T_DIR"/sp-* 2>/dev/null || true)"
# Tamper: change the host in the signed manifest and fix the hashes up, so
# only the signature can notice.
cat >"$T_DIR/tamper.py" <<'PY'
import io, json, sys, tarfile
src, dst, what = sys.argv[1:4]
t = tarfile.open(src)
with tarfile.open(dst, "w:gz", format=tarfile.PAX_FORMAT) as o:
    for m in t.getmembers():
        data = t.extractfile(m).read() if m.isfile() else None
        if m.name.endswith("/manifest.json") and what == "manifest":
            j = json.loads(data); j["host"] = "forged"
            data = (json.dumps(j, indent=2) + "\n").encode()
        if m.name.endswith("/manifest.sig") and what == "sig":
            data = data[:-5] + (b"0000\n" if data[-5:] != b"0000\n" else b"1111\n")
        if data is not None:
            m.size = len(data)
        o.addfile(m, io.BytesIO(data) if data is not None else None)
PY
$PY "$T_DIR/tamper.py" "$S" "$T_DIR/forged.tar.gz" manifest
$PY "$T_DIR/tamper.py" "$S" "$T_DIR/badsig.tar.gz" sig
rc=0; "$RDIAG" inspect "$T_DIR/forged.tar.gz" 2>"$T_DIR/e" >/dev/null || rc=$?
t_check "tampered manifest of a signed bundle is refused (65)" test "$rc" = 65
t_check "and the reason is the signature" grep -q "does not match manifest.json" "$T_DIR/e"
rc=0; "$RDIAG" inspect "$T_DIR/badsig.tar.gz" --trust signer.pub 2>"$T_DIR/e" >/dev/null || rc=$?
t_check "a changed signature is refused (65)" test "$rc" = 65

# --- encryption -----------------------------------------------------------
mkdir -p "$out/e"
E=$(run "$out/e" "$T_DIR/a.conf" --encrypt-to vendor.pub --sign signer.key)
t_check "run --encrypt-to: the bundle is NAME.tar.gz.age" bash -c "[[ '$E' == *.tar.gz.age ]] && test -f '$E'"
t_check "run --encrypt-to: only the encrypted file, its sidecar and signature, no plain bundle" \
	test "$(cd "$out/e" && ls -A | sed 's/^rdiag-itest-4711-[0-9TZ]*//' | sort | tr '\n' ' ')" = ".tar.gz.age .tar.gz.age.sha256 .tar.gz.sig "
t_check "run --encrypt-to: the sidecar verifies the encrypted file" bash -c "cd '$out/e' && sha256sum -c --quiet *.sha256"
t_check "run --encrypt-to: no plain text inside" bash -c "! grep -q 'rdiag-bundle/1' '$E' && ! gzip -t '$E' 2>/dev/null"
rc=0; "$RDIAG" inspect "$E" 2>"$T_DIR/e" >/dev/null || rc=$?
t_check "encrypted: inspect without --key is refused (65)" test "$rc" = 65
t_check "encrypted: and says to give --key" grep -q "give the secret key with --key" "$T_DIR/e"
rc=0; "$RDIAG" inspect "$E" --key stranger.key 2>"$T_DIR/e" >/dev/null || rc=$?
t_check "encrypted: the wrong key is refused (65)" test "$rc" = 65
t_check "encrypted: and says so" grep -q "not encrypted for this key" "$T_DIR/e"
rc=0; "$RDIAG" inspect "$E" --key vendor.key --trust signer.pub >"$T_DIR/e.txt" || rc=$?
t_check "encrypted+signed: inspect --key --trust (0)" test "$rc" = 0
t_check "encrypted: inspect says it was decrypted" grep -q "encrypted  yes" "$T_DIR/e.txt"
rc=0; "$RDIAG" extract "$E" "$T_DIR/ex" --key vendor.key >/dev/null || rc=$?
t_check "encrypted: extract --key (0) and files verify" bash -c "test $rc = 0 && $PY '$T_DIR/cmp.py' '$T_DIR/ex'"
rc=0; "$RDIAG" diff "$E" "$A" --key vendor.key >/dev/null || rc=$?
t_check "encrypted: diff --key against a plain bundle (0)" test "$rc" = 0
rc=0; "$RDIAG" export "$E" --key vendor.key --only system -o "$T_DIR/ep.tar.zst" >/dev/null || rc=$?
t_check "encrypted: export --key to a zstd part (0)" bash -c "test $rc = 0 && '$RDIAG' inspect '$T_DIR/ep.tar.zst' >/dev/null"
size=$(stat -c %s "$E")
for cut in 10 100 $((size / 2)) $((size - 1)); do
	head -c "$cut" "$E" >"$T_DIR/cut.age"
	rc=0; "$RDIAG" inspect "$T_DIR/cut.age" --key vendor.key 2>"$T_DIR/e" >/dev/null || rc=$?
	t_check "encrypted: truncated to $cut bytes is refused (65)" test "$rc" = 65
done
t_check "encrypted: truncation names itself" grep -qE "truncated|cut" "$T_DIR/e"
cp "$E" "$T_DIR/flip.age"
$PY -c 'import sys
f = open(sys.argv[1], "r+b"); f.seek(-40, 2); b = f.read(1)
f.seek(-40, 2); f.write(bytes([b[0] ^ 0xff]))' "$T_DIR/flip.age"
rc=0; "$RDIAG" inspect "$T_DIR/flip.age" --key vendor.key 2>"$T_DIR/e" >/dev/null || rc=$?
t_check "encrypted: one changed byte is refused (65)" test "$rc" = 65
{ cat "$E"; echo extra; } >"$T_DIR/long.age"
rc=0; "$RDIAG" inspect "$T_DIR/long.age" --key vendor.key 2>"$T_DIR/e" >/dev/null || rc=$?
t_check "encrypted: data after the end is refused (65)" test "$rc" = 65

# Fail closed: the encrypted name is taken for every second of the run, so
# encryption must fail after the plain bundle was written. Nothing plain may
# be left under any name.
mkdir -p "$out/fc"
now=$(date -u +%s)
for s in $(seq 0 90); do
	mkdir "$out/fc/rdiag-itest-4711-$(date -u -d "@$((now + s))" +%Y%m%dT%H%M%SZ).tar.gz.age"
done
rc=0; "$RDIAG" run --only system --config "$T_DIR/a.conf" --ticket 4711 --out "$out/fc" \
	--encrypt-to vendor.pub --sign signer.key -q >/dev/null 2>"$T_DIR/e" || rc=$?
t_check "fail closed: run reports the failed encryption" bash -c "test $rc -ne 0 && test $rc -ne 1 && grep -q 'cannot write the bundle' '$T_DIR/e'"
t_check "fail closed: no plain bundle, signature, partial or staging left" \
	test -z "$(cd "$out/fc" && find . -mindepth 1 ! -name '*.tar.gz.age' -print)"
t_check "fail closed: no file inside the taken names" test -z "$(find "$out/fc" -type f)"
rc=0; "$RDIAG" run --only system --config "$T_DIR/a.conf" --out "$out/fc" \
	--encrypt-to signer.pub -q >/dev/null 2>"$T_DIR/e" || rc=$?
t_check "run --encrypt-to a signing key is a usage error (64)" test "$rc" = 64
rc=0; "$RDIAG" run --only system --config "$T_DIR/a.conf" --no-bundle \
	--sign signer.key -q >/dev/null 2>&1 || rc=$?
t_check "run --sign --no-bundle is a usage error (64)" test "$rc" = 64

t_done
