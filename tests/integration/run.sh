#!/usr/bin/env bash
# `rdiag run` end to end with the real binary: a bundle that verifies, whose
# text went through redaction, written atomically, with staging removed; and
# a run killed while bundling leaves nothing under the final name.
. "$(dirname "$0")/lib.sh"
export RDIAG_SYSTEM_CONFIG=""

app="$T_DIR/app"
out="$T_DIR/out"
mkdir -p "$app/etc" "$app/log" "$out"
# Fake secrets, generated now; none may survive into the bundle.
pw="FAKE-pw-$RANDOM$RANDOM"
tok="FAKE-tok-$RANDOM$RANDOM"
cat >"$app/etc/app.ini" <<INI
[db]
host = db.internal
password = $pw
[api]
token: $tok
url = https://svc:$pw@api.internal/v1
INI
for i in $(seq 1 200); do
	echo "2026-11-27T10:00:$((i % 60)) INFO request $i ok"
done >"$app/log/app.log"
echo "2026-11-27T10:01:00 ERROR connect failed Authorization: Bearer $tok" >>"$app/log/app.log"
cat >"$T_DIR/rdiag.conf" <<CONF
[agent]
min_free_mb = 1
[product]
config = $app/etc/*.ini
log = $app/log/*.log
error_pattern = ERROR
CONF

rc=0
"$RDIAG" run --only system,product --config "$T_DIR/rdiag.conf" \
	--ticket 4711 --out "$out" --json >"$T_DIR/v.json" 2>"$T_DIR/err" || rc=$?
t_check "run exits with its verdict code" test "$rc" = "$(t_json "$T_DIR/v.json" 'j["exit_code"]')"
bundle=$(t_json "$T_DIR/v.json" 'j["bundle"]')
t_check "bundle exists" test -f "$bundle"
t_check "bundle name has host, ticket and UTC stamp" \
	bash -c "basename '$bundle' | grep -qE '^rdiag-[A-Za-z0-9._-]+-4711-[0-9]{8}T[0-9]{6}Z\.tar\.gz$'"
t_check "bundle mode is 0600" test "$(stat -c %a "$bundle")" = 600
t_check "sidecar verifies" bash -c "cd '$out' && sha256sum -c --quiet '$(basename "$bundle").sha256'"
t_check "verdict sha256 matches the file" \
	test "$(t_json "$T_DIR/v.json" 'j["sha256"]')" = "$(sha256sum "$bundle" | cut -d' ' -f1)"
t_check "no partial or staging left" \
	test -z "$(ls -A "$out" | grep -vE '\.tar\.gz(\.sha256)?$' || true)"

# Every manifest entry verifies; nothing extra, nothing missing.
cat >"$T_DIR/verify.py" <<'PY'
import hashlib, json, sys, tarfile
t = tarfile.open(sys.argv[1])
names = [m for m in t.getmembers() if m.isfile()]
top = names[0].name.split("/")[0]
files = {m.name[len(top) + 1:]: t.extractfile(m).read() for m in names}
man = json.loads(files["manifest.json"])
assert man["format"] == "rdiag-bundle/1", man["format"]
listed = {f["path"]: f for f in man["files"]}
assert set(listed) == set(files) - {"manifest.json"}, (set(listed) ^ set(files))
for p, f in listed.items():
    assert hashlib.sha256(files[p]).hexdigest() == f["sha256"], p
    assert len(files[p]) == f["size"], p
for need in ("findings.json", "report.txt", "rdiag.log",
             "collectors/system/records.jsonl", "collectors/product/records.jsonl"):
    assert need in files, need
assert [c["name"] for c in man["collectors"]] == ["product", "system"] or \
       sorted(c["name"] for c in man["collectors"]) == ["product", "system"]
assert man["ticket"] == "4711"
blob = b"".join(files.values())
for secret in sys.argv[2:]:
    assert secret.encode() not in blob, "secret survived"
assert sum(man["redactions"].values()) >= 3, man["redactions"]
print("verified", len(listed), "entries")
PY
t_check "manifest hashes, layout and redaction verify" $PY "$T_DIR/verify.py" "$bundle" "$pw" "$tok"
t_check "config copied into the bundle" \
	bash -c "tar xzf '$bundle' -O --wildcards '*/collectors/product/files/*app.ini' | grep -q 'host = db.internal'"
t_check "customer verdict on the terminal names the bundle" \
	bash -c "'$RDIAG' run --only system --config '$T_DIR/rdiag.conf' --out '$out' 2>/dev/null | grep -q '^Bundle: '"

# SIGKILL while bundling: a big log makes the bundle step take a while.
big="$T_DIR/big"
mkdir -p "$big"
$PY - "$big/huge.log" <<'PY'
import os, sys
with open(sys.argv[1], "w") as f:
    line = "2026-11-27T10:00:00 INFO " + "x" * 100 + "\n"
    for i in range(1_500_000):
        f.write(f"{i} {line}")
PY
cat >"$T_DIR/big.conf" <<CONF
[agent]
min_free_mb = 1
[product]
log = $big/huge.log
log_max_mb = 500
CONF
kill_out="$T_DIR/kill"
mkdir -p "$kill_out"
"$RDIAG" run --only product --config "$T_DIR/big.conf" --out "$kill_out" --quiet >/dev/null 2>&1 &
pid=$!
killed=no
for _ in $(seq 1 600); do
	if ls "$kill_out"/*.partial >/dev/null 2>&1; then
		kill -9 "$pid"
		killed=yes
		break
	fi
	sleep 0.05
done
wait "$pid" 2>/dev/null || true
t_check "killed while the .partial was being written" test "$killed" = yes
t_check "nothing under a final bundle name" \
	test -z "$(ls "$kill_out" | grep -E '\.tar\.gz$' || true)"

# Nothing configured for the selected collectors: every one is skipped, so
# nothing was checked. That is UNKNOWN (exit 3), never "No problems found".
printf '[agent]\nmin_free_mb = 1\n' >"$T_DIR/empty.conf"
rc=0
"$RDIAG" run --only nas,database --config "$T_DIR/empty.conf" --no-bundle \
	>"$T_DIR/none.txt" 2>"$T_DIR/none.err" || rc=$?
t_check "nothing checked: exit 3 (got $rc)" test "$rc" = 3
t_check "nothing checked: said so" grep -q '^Nothing was checked' "$T_DIR/none.txt"
t_check "nothing checked: never 'No problems found'" \
	bash -c "! grep -q 'No problems found' '$T_DIR/none.txt'"
t_check "nothing checked: why, per collector" \
	grep -q '^  database *no database configured' "$T_DIR/none.txt"
rc=0
"$RDIAG" run --only nas,database --config "$T_DIR/empty.conf" --no-bundle \
	--json >"$T_DIR/none.json" 2>/dev/null || rc=$?
t_check "nothing checked: --json exit_code 3" \
	test "$(t_json "$T_DIR/none.json" 'j["exit_code"]')/$rc" = 3/3
t_check "nothing checked: --json says it" \
	test "$(t_json "$T_DIR/none.json" 'j["nothing_checked"]')" = True
rc=0
"$RDIAG" run --only nas,system --config "$T_DIR/empty.conf" --no-bundle \
	>/dev/null 2>"$T_DIR/some.err" || rc=$?
t_check "one collector that ran is a check (exit $rc, not 3)" test "$rc" != 3
t_check "progress names problems or ok, not a bare status, for what ran" \
	grep -qE '^  system +(ok|[0-9]+ (problems?|warnings?)) +[0-9.]+ s' "$T_DIR/some.err"

# Gentle by default: the run log says the workers and the bundle run at
# nice 10 in the idle I/O class; --priority normal leaves it alone.
for prio in low normal; do
	po="$T_DIR/prio-$prio"
	mkdir -p "$po"
	"$RDIAG" run --only system --config "$T_DIR/empty.conf" --out "$po" \
		--priority "$prio" --quiet >/dev/null 2>&1 || true
	tar -xzOf "$po"/*.tar.gz --wildcards '*/rdiag.log' >"$po/log" 2>/dev/null || true
done
t_check "--priority low (default): nice 10 and idle I/O in the run log" \
	grep -q "priority: nice 10, idle I/O class" "$T_DIR/prio-low/log"
t_check "--priority normal: left alone" \
	grep -q "priority: normal" "$T_DIR/prio-normal/log"
# The bundle step's threads run in SCHED_IDLE (policy 5 in field 41 of
# /proc/PID/task/TID/stat) by default and never with --priority normal:
# seen by polling a real run that compresses 60 MB of logs.
mkdir -p "$T_DIR/big"
for i in 1 2 3 4; do
	head -c 11000000 /dev/urandom | base64 -w 100 >"$T_DIR/big/b$i.log"
done
printf '[agent]\nmin_free_mb = 1\n[product]\nlog = %s/big/*.log\n' \
	"$T_DIR" >"$T_DIR/big.conf"
policies() { # policies PRIORITY: the scheduling policies seen, sorted
	local out="$T_DIR/pol-$1" pid
	mkdir -p "$out"
	"$RDIAG" run --only product --config "$T_DIR/big.conf" --out "$out" \
		--priority "$1" --quiet >/dev/null 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		for st in /proc/"$pid"/task/*/stat; do
			sed 's/.*) //' "$st" 2>/dev/null | awk '{ print $39 }'
		done
		sleep 0.02
	done | sort -u | tr '\n' ' '
	wait "$pid" || true
}
pol=$(policies low)
t_check "--priority low: the bundle step in SCHED_IDLE (policies: $pol)" \
	grep -qw 5 <<<"$pol"
pol=$(policies normal)
t_check "--priority normal: nothing in SCHED_IDLE (policies: $pol)" \
	bash -c "! grep -qw 5 <<<'$pol'"
# The floor: with its one processor kept busy by a normal-priority loop,
# the idle class would starve the bundle for ever; after 5 s without
# progress rdiag goes back to nice 10 and the run ends with its bundle.
mkdir -p "$T_DIR/sat/log" "$T_DIR/sat/out"
head -c 6000000 /dev/urandom | base64 -w 100 >"$T_DIR/sat/log/a.log"
printf '[agent]\nmin_free_mb = 1\n[product]\nlog = %s/sat/log/*.log\n' \
	"$T_DIR" >"$T_DIR/sat.conf"
taskset -c 0 sh -c 'while :; do :; done' &
hog=$!
rc=0
timeout 120 taskset -c 0 "$RDIAG" run --only product --config "$T_DIR/sat.conf" \
	--out "$T_DIR/sat/out" -v >/dev/null 2>"$T_DIR/sat.err" || rc=$?
kill "$hog" 2>/dev/null || true
wait "$hog" 2>/dev/null || true
t_check "saturated host: the run ends with its bundle (exit $rc)" \
	bash -c "[ $rc -le 1 ] && ls '$T_DIR'/sat/out/*.tar.gz >/dev/null"
t_check "saturated host: the log says the idle class was left and why" \
	grep -q "processors were saturated (under 5 % of one for 5 s): back to nice 10" \
	"$T_DIR/sat.err"
rc=0
"$RDIAG" run --priority high --no-bundle >/dev/null 2>"$T_DIR/prio.err" || rc=$?
t_check "--priority high: usage error 64 (got $rc)" test "$rc" = 64

t_done
