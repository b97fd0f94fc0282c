#!/usr/bin/env bash
# Redaction on real customer files: the corpus in tests/data/redact/corpus
# (more than 100 fake secrets in the formats customers' machines hold, and
# harmless look-alikes) is laid out as an application's files, partly
# compressed the way logrotate leaves them and partly re-encoded the way
# Windows and older programs write them. `rdiag run --only product` bundles
# it; the test extracts the bundle and asserts that no secret reached any
# file (as UTF-8, UTF-16 or base64) and that every look-alike line arrived
# unchanged.
. "$(dirname "$0")/lib.sh"

corpus="$RDIAG_TEST_DATA/redact/corpus"
root="$T_DIR/root"
out="$T_DIR/out"
mkdir -p "$out"
cp -a "$corpus/." "$root/"
rm -f "$root/SECRETS" "$root/LOOKALIKES"

# Rotated logs, compressed four ways.
log="$root/var/log/dms"
gzip -9 "$log/app.log.1"
zstd -q --rm "$log/app.log.2"
xz "$log/app.log.3"
bzip2 "$log/app.log.4"
# Windows and legacy encodings of the same settings.
ini="$root/etc/dms"
{
	printf '\xff\xfe'
	iconv -f UTF-8 -t UTF-16LE "$ini/legacy-win.ini"
} >"$ini/win-utf16le-bom.ini"
iconv -f UTF-8 -t UTF-16BE "$ini/legacy-win.ini" >"$ini/win-utf16be.ini"
iconv -f UTF-8 -t CP1252 "$ini/legacy-win.ini" >"$ini/win-cp1252.ini"
iconv -f UTF-8 -t CP1251 "$ini/legacy-ru.ini" >"$ini/ru-cp1251.ini"
iconv -f UTF-8 -t SHIFT_JIS "$ini/legacy-jp.ini" >"$ini/jp-sjis.ini"
# A compressed UTF-16 file: both steps at once.
iconv -f UTF-8 -t UTF-16LE "$ini/more.conf" | gzip >"$log/export.utf16.gz"

cat >"$T_DIR/rdiag.conf" <<CONF
[agent]
min_free_mb = 1
[product]
config = $root/home/dms/.[a-z]*
config = $root/home/dms/*
config = $root/home/dms/.ssh/*
config = $root/home/dms/.kube/*
config = $root/etc/*
config = $root/etc/*/*
config = $root/etc/*/*/*
config = $root/opt/dms/.env
config = $root/opt/dms/*
log = $root/var/log/dms/*
CONF

rc=0
"$RDIAG" run --only product --config "$T_DIR/rdiag.conf" --out "$out" \
	--json >"$T_DIR/v.json" 2>"$T_DIR/err" || rc=$?
t_check "run --only product finished (exit $rc)" test "$rc" -le 2
bundle=$(t_json "$T_DIR/v.json" 'j["bundle"]')
mkdir "$T_DIR/x"
tar -xzf "$bundle" -C "$T_DIR/x"

cat >"$T_DIR/check.py" <<'PY'
import base64, json, os, sys

top, corpus = sys.argv[1], sys.argv[2]
tree = os.path.join(top, os.listdir(top)[0])
files = {}
for d, _, names in os.walk(tree):
    for n in names:
        p = os.path.join(d, n)
        files[os.path.relpath(p, tree)] = open(p, "rb").read()

secrets = [l for l in open(os.path.join(corpus, "SECRETS"), encoding="utf-8")
           .read().splitlines() if l and not l.startswith("#")]
assert len(secrets) >= 100, len(secrets)


def forms(s):
    b = s.encode()
    yield "utf-8", b
    yield "utf-16le", s.encode("utf-16-le")
    yield "utf-16be", s.encode("utf-16-be")
    # base64 of the secret at each of the three alignments, without the
    # edge characters that depend on its neighbours.
    for pad in range(3):
        e = base64.b64encode(b"\0" * pad + b).decode().rstrip("=")
        core = e[(pad * 4 + 2) // 3 + 1:-2]
        if len(core) >= 8:
            yield "base64", core.encode()


leaks = []
for s in secrets:
    for how, f in forms(s):
        for path, data in files.items():
            if f in data:
                leaks.append("%s (%s) in %s" % (s, how, path))
for l in leaks:
    print("leak:", l)
print("ok - %d secrets, %d files, %d leaks" % (len(secrets), len(files),
                                              len(leaks)))

man = json.loads(files["manifest.json"])
prefix = "collectors/product/files"
copies = {p: d for p, d in files.items() if p.startswith(prefix)}


def copy_of(rel):
    for p, d in copies.items():
        if p.endswith(rel.replace("/", "_")) or p.endswith(rel):
            return d
    return None


over = []
looks = [l.split("\t", 1) for l in open(os.path.join(corpus, "LOOKALIKES"),
         encoding="utf-8").read().splitlines() if l and not l.startswith("#")]
assert len(looks) >= 50, len(looks)
for rel, line in looks:
    d = copy_of(rel)
    if d is None:
        over.append("%s: file missing from the bundle" % rel)
    elif (line + "\n").encode() not in d and (line + "\r\n").encode() not in d:
        over.append("%s: %r changed" % (rel, line))
for o in over:
    print("over-redacted:", o)
print("ok - %d look-alikes, %d changed" % (len(looks), len(over)))

# What the manifest says of the decoded files.
src = {f["path"]: f.get("source") for f in man["files"]}
want = {"app.log.1": "gzip", "app.log.2": "zstd", "app.log.3": "xz",
        "app.log.4": "bzip2", "export.utf16": "gzip"}
bad = []
for name, comp in want.items():
    hit = [s for p, s in src.items() if p.endswith(name)]
    if not hit or not hit[0] or hit[0].get("compression") != comp:
        bad.append("%s: %r" % (name, hit))
encs = {"win-utf16le-bom.ini": "UTF-16LE", "win-utf16be.ini": "UTF-16BE",
        "win-cp1252.ini": "CP1252", "ru-cp1251.ini": "CP1251",
        "jp-sjis.ini": "SHIFT_JIS", "export.utf16": "UTF-16LE"}
for name, enc in encs.items():
    hit = [s for p, s in src.items() if p.endswith(name)]
    if not hit or not hit[0] or hit[0].get("encoding") != enc:
        bad.append("%s: %r" % (name, hit))
for b in bad:
    print("manifest:", b)
# Decoded text is UTF-8 and readable: the Cyrillic user name survives.
ru = copy_of("ru-cp1251.ini") or b""
if "Иванов".encode() not in ru:
    bad.append("ru-cp1251.ini not readable as UTF-8")
print("ok - manifest sources, %d wrong" % len(bad))
sys.exit(1 if leaks or over or bad else 0)
PY
t_check "no secret in the bundle, no look-alike changed, sources recorded" \
	$PY "$T_DIR/check.py" "$T_DIR/x" "$corpus"
t_check "the report and findings name no secret" \
	bash -c "! grep -rqF -f <(grep -v '^#' '$corpus/SECRETS') '$T_DIR/v.json' '$T_DIR/err'"
# The first error line of app.log is quoted in a finding, cut to 200 bytes
# right inside a token: redacted before the cut, nothing of it remains.
t_check "an excerpt cut inside a token leaves no part of it" \
	bash -c "grep -q 'upload failed' '$T_DIR/v.json' && ! grep -rq 'ghp_FAKEex' '$T_DIR/v.json' '$T_DIR/x'"

# --obfuscate: this machine's name and every address become stable
# placeholders in every file; the map stays beside the bundle, 0600, and
# never enters it.
out2="$T_DIR/out2"
mkdir -p "$out2"
rc=0
"$RDIAG" run --only product,system --config "$T_DIR/rdiag.conf" --out "$out2" \
	--obfuscate hosts,ips,users --json >"$T_DIR/v2.json" 2>/dev/null || rc=$?
b2=$(t_json "$T_DIR/v2.json" 'j["bundle"]')
map="$b2.obfuscation.json"
mkdir "$T_DIR/x2"
tar -xzf "$b2" -C "$T_DIR/x2"
t_check "--obfuscate: the bundle is named without the host" \
	bash -c "basename '$b2' | grep -q '^rdiag-obfuscated-'"
t_check "--obfuscate: the map is beside the bundle, 0600, not in it" \
	bash -c "[ \"\$(stat -c %a '$map')\" = 600 ] && ! tar -tzf '$b2' | grep -q obfuscation"
t_check "--obfuscate: the corpus's address 10.0.0.1 is gone from every file" \
	bash -c "! grep -rqF '10.0.0.1 ' '$T_DIR/x2' && ! grep -rq 'ip=10\.0\.0\.1' '$T_DIR/x2'"
t_check "--obfuscate: the host name is gone from every file" \
	bash -c "! grep -rqw -- '$(hostname)' '$T_DIR/x2'"
t_check "--obfuscate: the map leads back (10.0.0.1 and the host name)" \
	$PY -c 'import json,sys; m=json.load(open(sys.argv[1])); sys.exit(not ("10.0.0.1" in m["ips"].values() and sys.argv[2] in m["hosts"].values()))' "$map" "$(hostname)"
ph=$($PY -c 'import json,sys; m=json.load(open(sys.argv[1])); print([k for k,v in m["ips"].items() if v=="10.0.0.1"][0])' "$map")
t_check "--obfuscate: one placeholder ($ph) for the address in the log" \
	grep -rq "ip=$ph" "$T_DIR/x2"
t_check "--obfuscate: secrets are still redacted" \
	bash -c "! grep -rqF -f <(grep -v '^#' '$corpus/SECRETS') '$T_DIR/x2'"

echo "# $T_PASSED passed, $T_FAILED failed"
[ "$T_FAILED" -eq 0 ]
