#!/usr/bin/env bash
# Every JSON rdiag writes has a JSON Schema in docs/schemas/ (draft
# 2020-12, installed under share/rdiag/schemas), and what the real binary
# writes passes it: run --json (with a bundle, without, with an upload),
# inspect --json (intact and refused), diff --json, the upload receipt
# (uploaded, already-uploaded, failed; file and --json), the request
# token's JSON, the requests audit log (rdiag agent, rdiag approve), the
# session audit log, a bundle's manifest.json and findings.json, list
# --json and the --obfuscate map. Each schema also refuses a document with a wrong type
# or a missing member, so the check can fail.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-request.sh"
: "${RDIAG_SRC:?}"
SCHEMAS="$RDIAG_SRC/docs/schemas"
CHECK="/usr/bin/python3 $RDIAG_SRC/tests/helpers/schema_check.py $SCHEMAS"
cd "$T_DIR"

t_check "the schemas are valid draft 2020-12 with their file name as \$id" \
	$CHECK --check-schemas
# valid SCHEMA FILE [--lines]: the document(s) pass SCHEMA.
valid() { local s=$1 f=$2; shift 2; t_check "$f passes $s" $CHECK "$s.schema.json" "$f" "$@"; }
# refused SCHEMA FILE PYTHON: FILE changed by PYTHON (on j) is refused.
refused() {
	$PY -c 'import json,sys
j=json.load(open(sys.argv[1])); exec(sys.argv[2]); json.dump(j,open(sys.argv[3],"w"))' "$2" "$3" bad.json
	t_check "$1 refuses $2 with: $3" $CHECK "$1.schema.json" bad.json --invalid
}

# run --json: a bundle, no bundle, an upload to file://.
mkdir out dest
"$RDIAG" run --only system --ticket 4711 --out out --json >run.json 2>/dev/null || true
valid rdiag-verdict-1 run.json
"$RDIAG" run --only system,product --no-bundle --json >run-nobundle.json 2>/dev/null || true
valid rdiag-verdict-1 run-nobundle.json
"$RDIAG" run --only product --out out --upload "file://$T_DIR/dest/" --json >run-upload.json 2>/dev/null || true
t_check "run --json reports the upload with its receipt" \
	test "$(t_json run-upload.json 'j["upload"]["receipt"]["status"]')" = uploaded
valid rdiag-verdict-1 run-upload.json
# A run that stopped before a verdict (the output directory cannot be
# written) still ends with one object: the reason and the exit code.
"$RDIAG" run --only system --out /proc/sys --json >run-error.json 2>/dev/null || true
t_check "run --json without a verdict says why" \
	test "$(t_json run-error.json 'j["exit_code"]')" = 73
valid rdiag-verdict-1 run-error.json
refused rdiag-verdict-1 run-error.json 'j["error"] = 5'
refused rdiag-verdict-1 run.json 'del j["exit_code"]'
refused rdiag-verdict-1 run.json 'j["findings"][0]["level"] = "4"'
refused rdiag-verdict-1 run-upload.json 'j["upload"]["receipt"]["size"] = -1'

bundle=$(t_json run.json 'j["bundle"]')
bundle2=$(ls out/*.tar.gz | grep -v 4711 | head -1)

# inspect --json, intact and refused; diff --json.
"$RDIAG" inspect "$bundle" --json >inspect.json
valid rdiag-inspect-1 inspect.json
"$RDIAG" inspect nosuch.tar.gz --json >inspect-refused.json 2>/dev/null || true
valid rdiag-inspect-1 inspect-refused.json
refused rdiag-inspect-1 inspect.json 'j["intact"] = "yes"'
refused rdiag-inspect-1 inspect.json 'del j["verdict"]["findings"]'
"$RDIAG" diff "$bundle" "$bundle2" --json >diff.json
valid rdiag-diff-1 diff.json
refused rdiag-diff-1 diff.json 'del j["appeared"]'
refused rdiag-diff-1 diff.json 'j["collectors_changed"] = [{"name": "product", "old": None, "new": 3}]'

# Inside the bundle: manifest.json and findings.json.
mkdir x
tar -xzf "$bundle" -C x
valid rdiag-bundle-1 x/*/manifest.json
valid rdiag-findings-1 x/*/findings.json
refused rdiag-bundle-1 x/*/manifest.json 'j["files"][0]["sha256"] = "abc"'
refused rdiag-findings-1 x/*/findings.json 'j[0]["severity"] = "bad"'

# list --json and the --obfuscate map.
"$RDIAG" list --json >list.json
valid rdiag-list-1 list.json
refused rdiag-list-1 list.json 'j["collectors"][0]["deadline_ms"] = "120 s"'
"$RDIAG" run --only system --obfuscate hosts,ips,users --out out -q >/dev/null 2>&1 || true
map=$(ls out/*.obfuscation.json | head -1)
valid rdiag-obfuscation-map-1 "$map"
refused rdiag-obfuscation-map-1 "$map" 'j["hosts"]["host-1"] = 1'

# upload: uploaded (--json and the receipt file), already-uploaded, failed.
"$RDIAG" upload "$bundle" --to "file://$T_DIR/dest/" --json >up.json
valid rdiag-upload-receipt-1 up.json
valid rdiag-upload-receipt-1 "$bundle.receipt.json"
"$RDIAG" upload "$bundle" --to "file://$T_DIR/dest/" --json >up-again.json 2>/dev/null
t_check "second upload says already-uploaded" \
	test "$(t_json up-again.json 'j["status"]')" = already-uploaded
valid rdiag-upload-receipt-1 up-again.json
printf '[upload]\nretries = 0\n' >noretry.conf
"$RDIAG" upload "$bundle" --to "file://$T_DIR/nodir/sub/" --config noretry.conf \
	--force --json >up-failed.json 2>/dev/null || true
t_check "failed upload says failed" test "$(t_json up-failed.json 'j["status"]')" = failed
valid rdiag-upload-receipt-1 up-failed.json
refused rdiag-upload-receipt-1 up.json 'j["size"] = "4906"'
refused rdiag-upload-receipt-1 up-failed.json 'del j["error"]'

# A request token's JSON.
r_keys keys
tok=$("$RDIAG" request create --ticket 4711 --collectors system,product \
	--upload "file://$T_DIR/dest/" --expires 2h --sign-key keys/vendor.key \
	--note "please" --for box-1)
$PY -c 'import base64,json,sys
p=sys.argv[1].split(".")[1]
json.dump(json.loads(base64.urlsafe_b64decode(p+"="*(-len(p)%4))),open("token.json","w"))' "$tok"
valid rdiag-request-1 token.json
refused rdiag-request-1 token.json 'j["collectors"] = "system"'
refused rdiag-request-1 token.json 'del j["exp"]'

# The requests audit log: an agent poll that fails, then a request
# approved and another denied by rdiag approve.
port=$(t_free_port)
state="$T_DIR/state"
printf '[agentd]\npoll_url = https://127.0.0.1:%s/requests/\nid = box-1\n' "$port" >agent.conf
RDIAG_STATE_DIR="$state" RDIAG_TRUSTED_KEYS="$T_DIR/keys/trusted" \
	"$RDIAG" agent --once --config agent.conf >/dev/null 2>&1 || true
id=$(r_field "$tok" id)
mkdir -p "$state/pending"
printf '%s\n' "$tok" >"$state/pending/$id"
RDIAG_STATE_DIR="$state" RDIAG_TRUSTED_KEYS="$T_DIR/keys/trusted" \
	"$RDIAG" approve --config agent.conf "$id" >/dev/null 2>&1 || true
tok2=$("$RDIAG" request create --ticket 4712 --collectors system \
	--upload "file://$T_DIR/dest/" --expires 2h --sign-key keys/vendor.key)
id2=$(r_field "$tok2" id)
printf '%s\n' "$tok2" >"$state/pending/$id2"
RDIAG_STATE_DIR="$state" RDIAG_TRUSTED_KEYS="$T_DIR/keys/trusted" \
	"$RDIAG" approve --config agent.conf --deny "$id2" >/dev/null 2>&1 || true
audit="$state/audit.jsonl"
t_check "requests audit has agent started, poll failed, approved, denied" \
	bash -c "for e in 'agent started' 'poll failed' approved denied; do grep -q \"\\\"event\\\":\\\"\$e\\\"\" '$audit' || exit 1; done"
valid rdiag-request-audit-1 "$audit" --lines
grep '"approved"' "$audit" | head -1 >approved.json
refused rdiag-request-audit-1 approved.json 'j["time"] = 12'
refused rdiag-request-audit-1 approved.json 'j["collectors"] = [1]'

# The session audit log: consent given in advance, a relay that refuses.
ssh-keygen -q -t ed25519 -N '' -C eng@example -f eng >/dev/null
ssh-keygen -q -t ed25519 -N '' -f agent_key >/dev/null
printf '[session]\nallow_unattended = yes\n' >system.conf
chmod 0644 system.conf
RDIAG_SYSTEM_CONFIG="$T_DIR/system.conf" timeout 60 "$RDIAG" session \
	--engineer-key eng.pub --relay "127.0.0.1:$port" --relay-user u \
	--relay-host-key SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA \
	--key agent_key --listen-port 40000 --state-dir "$T_DIR/sessions" \
	--yes </dev/null >/dev/null 2>&1 || true
t_check "session audit has consent, error and end" \
	bash -c "for e in consent error end; do grep -q \"\\\"event\\\":\\\"\$e\\\"\" '$T_DIR/sessions/audit.jsonl' || exit 1; done"
valid rdiag-session-audit-1 "$T_DIR/sessions/audit.jsonl" --lines
head -1 "$T_DIR/sessions/audit.jsonl" >consent.json
refused rdiag-session-audit-1 consent.json 'del j["session"]'
refused rdiag-session-audit-1 consent.json 'j["ttl_s"] = [3600]'
t_done
