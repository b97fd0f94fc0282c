#!/usr/bin/env bash
# rdiag agent against s3rver behind the SigV4 verifier: a request that
# appears at the agent's prefix is run and its bundle lands at the
# request's S3 target; it is never run again; garbage, oversized and
# replayed objects are logged and skipped without stopping the agent; a
# request outside the unattended policy waits for `rdiag approve`; a second
# agent refuses while one runs (lock); an agent killed with SIGKILL in the
# middle of a run does not run that request again after a restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-upload.sh"
. "$(dirname "$0")/lib-request.sh"

d="$T_DIR/s3"
u_ca "$d" agent
secret="sk-$RANDOM$RANDOM$RANDOM"
sport=$(t_free_port)
vport=$(t_free_port)
u_s3 "$d" "$sport" "$vport" "$secret"
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=$secret
k="$T_DIR/k"
r_keys "$k"
state="$T_DIR/state"
audit="$state/audit.jsonl"
conf() {
	cat <<CONF
[requests]
trusted_keys_dir = $k/trusted
state_dir = $state
[agentd]
id = shop-01
poll_url = s3://bkt/requests/
poll_interval = 1
unattended = system
[upload]
ca_file = $d/ca.pem
s3_endpoint = https://127.0.0.1:$vport
s3_path_style = yes
s3_region = eu-central-1
retries = 1
retry_delay_ms = 100
CONF
}
conf >"$T_DIR/agent.conf"
(conf && echo "max_rate = 1K") >"$T_DIR/slow.conf"
objs() { find "$d/data/bkt/$1" -name '*._S3rver_object' 2>/dev/null | grep -v '\.receipt\.json' | wc -l; }
# put NAME FILE: publish FILE at the agent's prefix (through rdiag upload).
put() {
	cp "$2" "$T_DIR/pub/$1"
	"$RDIAG" upload "$T_DIR/pub/$1" --to "s3://bkt/requests/shop-01/" --config "$T_DIR/agent.conf" -q >/dev/null
}
mkdir -p "$T_DIR/pub"
export d PY
export -f objs r_audit_count
create() { "$RDIAG" request create --sign-key "$k/vendor.key" --expires 1h "$@"; }
agent_once() { "$RDIAG" agent --once --config "${1:-$T_DIR/agent.conf}" >>"$T_DIR/agent.out" 2>&1; }

# 1. a request appears, is run, the bundle lands at its target
create --ticket 4711 --collectors system --upload s3://bkt/out/4711/ >"$T_DIR/r1"
id1=$(r_field "$(cat "$T_DIR/r1")" id)
put r1.tok "$T_DIR/r1"
rc=0
agent_once || rc=$?
t_check "agent --once exits 0" test "$rc" = 0
t_check "the bundle landed at the request's S3 target" test "$(objs out/4711)" = 1
b=$(find "$d/data/bkt/out/4711" -name 'rdiag-*-4711-*.tar.gz._S3rver_object' | head -1)
t_check "it holds exactly the requested collector" \
	bash -c "tar -tzf '$b' | grep -q '/collectors/system/' && ! tar -tzf '$b' | grep -q '/collectors/nas/'"
t_check "the bundle was signed with SigV4 and checked" grep -q "OK PUT /bkt/out/4711/rdiag-" "$d/verifier.log"
t_check "audit: accepted, started, finished (uploaded)" \
	bash -c "[ \$(r_audit_count '$audit' accepted $id1) = 1 ] && [ \$(r_audit_count '$audit' started $id1) = 1 ] && grep -q '\"event\":\"finished\".*\"id\":\"$id1\".*\"result\":\"uploaded\"' '$audit'"
t_check "audit log is 0600 JSON lines" \
	bash -c "[ \$(stat -c %a '$audit') = 600 ] && python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' '$audit'"
t_check "no secret in the audit log or the agent's output" \
	bash -c "! grep -qF -- '$secret' '$audit' '$T_DIR/agent.out'"
t_check "no bundle left in the work directory (receipt kept)" \
	bash -c "! ls '$state/work'/*.tar.gz 2>/dev/null && ls '$state/work'/*-4711-*.receipt.json >/dev/null"

# 2. the next poll does not run it again; the same token under another
# name is refused as replayed
(cat "$T_DIR/r1" && echo) >"$T_DIR/r1-again"
put r1-again.tok "$T_DIR/r1-again"
agent_once
t_check "not run again on the next poll" \
	bash -c "[ \$(r_audit_count '$audit' started $id1) = 1 ] && [ \$(objs out/4711) = 1 ]"
t_check "a copy under another name is logged as replayed" \
	bash -c "grep -q '\"event\":\"refused\".*\"id\":\"$id1\".*replayed' '$audit'"

# 3. garbage, oversized, tampered and foreign-key objects are logged and
# skipped; a good request next to them still runs
echo "this is not a token" >"$T_DIR/garbage"
head -c 20000 /dev/urandom >"$T_DIR/huge"
create --ticket 4712 --collectors system --upload s3://bkt/out/4712/ >"$T_DIR/r2"
r_tamper "$(cat "$T_DIR/r2")" upload s3://bkt/evil/ >"$T_DIR/r2-evil"
"$RDIAG" request create --sign-key "$k/other.key" --expires 1h --ticket 4712 \
	--collectors system --upload s3://bkt/evil/ >"$T_DIR/foreign"
for f in garbage huge r2-evil foreign r2; do put "$f.tok" "$T_DIR/$f"; done
rc=0
agent_once || rc=$?
t_check "agent survives hostile objects (exit 0)" test "$rc" = 0
t_check "garbage logged as malformed" grep -q '"object":"requests/shop-01/garbage.tok".*malformed request' "$audit"
t_check "huge object logged as oversized, never downloaded" \
	bash -c "grep -q '\"object\":\"requests/shop-01/huge.tok\".*oversized' '$audit' && ! grep -q 'GET /bkt/requests/shop-01/huge.tok' '$d/verifier.log'"
t_check "tampered request logged" grep -q '"object":"requests/shop-01/r2-evil.tok".*tampered request' "$audit"
t_check "untrusted key logged" grep -q '"object":"requests/shop-01/foreign.tok".*unknown key request' "$audit"
t_check "nothing went to the attacker's target" test "$(objs evil)" = 0
t_check "the good request beside them ran" test "$(objs out/4712)" = 1
n_refused=$(r_audit_count "$audit" refused)
agent_once
t_check "hostile objects are logged once, not on every poll" test "$(r_audit_count "$audit" refused)" = "$n_refused"

# 4. outside the unattended policy: waits for rdiag approve
create --ticket 4713 --collectors system,antivirus --upload s3://bkt/out/4713/ >"$T_DIR/r3"
id3=$(r_field "$(cat "$T_DIR/r3")" id)
put r3.tok "$T_DIR/r3"
agent_once
t_check "waits for approval, says which collector and how" \
	bash -c "grep -q '\"approve\":\"rdiag approve $id3\".*\"event\":\"waiting\".*\"id\":\"$id3\".*not allowed unattended: antivirus' '$audit' && [ \$(objs out/4713) = 0 ]"
agent_once
t_check "still waiting on the next poll" \
	bash -c "[ \$(r_audit_count '$audit' started $id3) = 0 ] && [ \$(objs out/4713) = 0 ]"
"$RDIAG" approve --list --config "$T_DIR/agent.conf" >"$T_DIR/list"
t_check "approve --list shows it" bash -c "grep -q 'rdiag approve $id3' '$T_DIR/list' && grep -q 'ticket:      4713' '$T_DIR/list'"
rc=0
"$RDIAG" approve --config "$T_DIR/agent.conf" 0123456789abcdef0123456789abcdef >/dev/null 2>&1 || rc=$?
t_check "approving an unknown id fails" test "$rc" = 64
rc=0
"$RDIAG" approve --config "$T_DIR/agent.conf" "$id3" >"$T_DIR/approve.out" || rc=$?
t_check "rdiag approve ID" bash -c "[ $rc = 0 ] && grep -q 'approved' '$T_DIR/approve.out'"
agent_once
t_check "runs after approval, bundle lands" \
	bash -c "[ \$(r_audit_count '$audit' approved $id3) = 1 ] && [ \$(r_audit_count '$audit' started $id3) = 1 ] && [ \$(objs out/4713) = 1 ]"
create --ticket 4714 --collectors antivirus --upload s3://bkt/out/4714/ >"$T_DIR/r4"
id4=$(r_field "$(cat "$T_DIR/r4")" id)
put r4.tok "$T_DIR/r4"
agent_once
"$RDIAG" approve --deny --config "$T_DIR/agent.conf" "$id4" >/dev/null
agent_once
t_check "a denied request never runs" \
	bash -c "[ \$(r_audit_count '$audit' denied $id4) = 1 ] && [ \$(r_audit_count '$audit' started $id4) = 0 ] && [ \$(objs out/4714) = 0 ]"

# 5. one instance: a second agent refuses while the service runs
"$RDIAG" agent --config "$T_DIR/agent.conf" >>"$T_DIR/agent.out" 2>&1 &
svc=$!
T_PIDS+=("$svc")
u_wait_grep "$audit" '"event":"agent started".*"once":false' 1 10
rc=0
"$RDIAG" agent --once --config "$T_DIR/agent.conf" >/dev/null 2>"$T_DIR/lock.err" || rc=$?
t_check "second agent refuses (75, names the lock)" \
	bash -c "[ $rc = 75 ] && grep -q 'another rdiag agent is running' '$T_DIR/lock.err'"
# the service picks up a new request on its own
create --ticket 4715 --collectors system --upload s3://bkt/out/4715/ >"$T_DIR/r5"
put r5.tok "$T_DIR/r5"
for i in $(seq 1 200); do [ "$(objs out/4715)" = 1 ] && break; sleep 0.1; done
t_check "the running service ran a new request" test "$(objs out/4715)" = 1
kill -TERM "$svc"
rc=0
wait "$svc" || rc=$?
t_check "SIGTERM stops the service cleanly" bash -c "[ $rc = 0 ] && tail -1 '$audit' | grep -q 'agent stopped'"

# 6. killed with SIGKILL in the middle of a run: never run twice
create --ticket 4716 --collectors system --upload s3://bkt/out/4716/ >"$T_DIR/r6"
id6=$(r_field "$(cat "$T_DIR/r6")" id)
put r6.tok "$T_DIR/r6"
"$RDIAG" agent --once --config "$T_DIR/slow.conf" >>"$T_DIR/agent.out" 2>&1 &
apid=$!
t_check "the slow run started its upload" u_wait_grep "$d/verifier.log" "OK PUT /bkt/out/4716/" 1 30
child=$($PY -c 'import json,sys
for l in open(sys.argv[1]):
    j=json.loads(l)
    if j["event"]=="started" and j.get("id")==sys.argv[2]: print(j["pid"])' "$audit" "$id6")
T_PIDS+=("$child")
kill -9 "$apid"
wait "$apid" 2>/dev/null || true
rc=0
agent_once || rc=$?
t_check "restarted agent records the interrupted run" \
	bash -c "[ $rc = 0 ] && [ \$(r_audit_count '$audit' interrupted $id6) = 1 ]"
kill "$child" 2>/dev/null || true
agent_once
t_check "and never starts it again" test "$(r_audit_count "$audit" started "$id6")" = 1
t_check "at most one upload of it" test "$(grep -c 'OK PUT /bkt/out/4716/rdiag-' "$d/verifier.log")" -le 1

# 7. an unreachable location: the poll fails (69), it is logged
sed "s/127.0.0.1:$vport/127.0.0.1:$(t_free_port)/" "$T_DIR/agent.conf" >"$T_DIR/down.conf"
rc=0
agent_once "$T_DIR/down.conf" || rc=$?
t_check "unreachable location: exit 69, logged" \
	bash -c "[ $rc = 69 ] && tail -3 '$audit' | grep -q 'poll failed'"

t_done
