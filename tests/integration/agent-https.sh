#!/usr/bin/env bash
# rdiag agent --once reading an https request location (one token per line,
# served by a Python HTTPS server with a test CA): nothing published yet
# (404) is not an error; published tokens run and their bundles land at
# their targets (an https PUT to the same server, a file:// directory);
# comments and blank lines are ignored; garbage, oversized and tampered
# lines are logged with their line number and skipped, once; nothing runs
# twice; an untrusted certificate fails the poll (69) and is logged.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-upload.sh"
. "$(dirname "$0")/lib-request.sh"
HELPERS="${RDIAG_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/helpers"

d="$T_DIR/srv"
u_ca "$d" agent-https
u_ca "$T_DIR/other" other
mkdir -p "$d/www/requests"
port=$(t_free_port)
$PY "$HELPERS/https_server.py" "$port" "$d/srv.pem" "$d/srv.key" "$d/www" "$d/log.jsonl" \
	2>>"$d/stderr" &
T_PIDS+=("$!")
t_wait_port "$port"
base="https://127.0.0.1:$port"
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
poll_url = $base/requests/
poll_interval = 1
unattended = system
[upload]
ca_file = $1
retries = 0
CONF
}
conf "$d/ca.pem" >"$T_DIR/agent.conf"
conf "$T_DIR/other/ca.pem" >"$T_DIR/wrongca.conf"
create() { "$RDIAG" request create --sign-key "$k/vendor.key" --expires 1h "$@"; }
agent_once() { "$RDIAG" agent --once --config "${1:-$T_DIR/agent.conf}" >>"$T_DIR/agent.out" 2>&1; }
# refused_as REASON: some "refused" audit record has a reason starting so.
refused_as() {
	$PY -c 'import json,sys
sys.exit(0 if any(j["event"]=="refused" and j.get("reason","").startswith(sys.argv[2])
                  for j in map(json.loads, open(sys.argv[1]))) else 1)' "$audit" "$1"
}
# refused_objects: "OBJECT:FIRST-WORD-OF-REASON,..." of the refusals.
refused_objects() {
	$PY -c 'import json,sys
print(",".join("%s:%s" % (j.get("object"), j.get("reason","").split()[0])
               for j in map(json.loads, open(sys.argv[1])) if j["event"]=="refused"))' "$audit"
}
# accepted_objects: "OBJECT:TICKET,..." of the accepted requests.
accepted_objects() {
	$PY -c 'import json,sys
print(",".join("%s:%s" % (j.get("object"), j.get("ticket"))
               for j in map(json.loads, open(sys.argv[1])) if j["event"]=="accepted"))' "$audit"
}
export audit PY
export -f r_audit_count
# gets STATUS: how many GETs of the agent's location got STATUS.
gets() { grep -c '"method": "GET", "path": "/requests/shop-01", .*"status": '"$1"'}$' "$d/log.jsonl" || true; }

# 1. nothing published for this agent yet: 404 is "no requests"
rc=0
agent_once || rc=$?
t_check "404 at the location: exit 0, one GET of BASE/requests/ID" \
	bash -c "[ $rc = 0 ] && [ $(gets 404) = 1 ]"
t_check "404: nothing refused, nothing started" \
	bash -c "[ \$(r_audit_count '$audit' refused) = 0 ] && [ \$(r_audit_count '$audit' started) = 0 ]"

# 2. a location with comments, blank lines, garbage and two good tokens
create --ticket 4711 --collectors system --upload "$base/up/4711/" >"$T_DIR/r1"
create --ticket 4712 --collectors system --upload "file://$T_DIR/landing/4712/" >"$T_DIR/r2"
mkdir -p "$T_DIR/landing/4712"
id1=$(r_field "$(cat "$T_DIR/r1")" id)
id2=$(r_field "$(cat "$T_DIR/r2")" id)
r_tamper "$(cat "$T_DIR/r2")" upload "$base/up/evil/" >"$T_DIR/r2-evil"
{
	echo "# requests for shop-01"                 # line 1
	printf '%s\r\n' "$(cat "$T_DIR/r1")"          # line 2 (CRLF)
	echo                                          # line 3
	echo "this is not a token"                    # line 4
	echo "rdreq1.$(head -c 9000 /dev/zero | tr '\0' A).x" # line 5
	cat "$T_DIR/r2"                               # line 6
	cat "$T_DIR/r2-evil"                          # line 7
} >"$d/www/requests/shop-01"
rc=0
agent_once || rc=$?
t_check "agent --once exits 0 with hostile lines in the location" test "$rc" = 0
put=$(find "$d/www/up/4711" -name 'rdiag-*-4711-*.tar.gz' 2>/dev/null | head -1) || true
t_check "request 1 ran; its bundle landed by https PUT at its target" \
	bash -c "[ -n '$put' ] && [ \$(r_audit_count '$audit' started $id1) = 1 ] && grep -q '\"event\":\"finished\".*\"id\":\"$id1\".*\"result\":\"uploaded\"' '$audit'"
t_check "the PUT bundle holds the requested collector" \
	bash -c "tar -tzf '$put' | grep -q '/collectors/system/'"
t_check "the PUT bundle has the sha256 the run recorded in its receipt" \
	bash -c "[ -n '$put' ] && [ \"\$(sha256sum <'$put' | cut -d' ' -f1)\" = \"\$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"sha256\"])' '$state/work/$(basename "$put").receipt.json')\" ]"
landed=$(find "$T_DIR/landing/4712" -name 'rdiag-*-4712-*.tar.gz' 2>/dev/null | head -1) || true
t_check "request 2 ran; its bundle landed in its file:// target" \
	bash -c "[ -n '$landed' ] && tar -tzf '$landed' | grep -q '/collectors/system/' && [ \$(r_audit_count '$audit' started $id2) = 1 ]"
t_check "no bundle left in the work directory (receipts kept)" \
	bash -c "! ls '$state/work'/*.tar.gz 2>/dev/null && [ \$(ls '$state/work'/*.receipt.json | wc -l) = 2 ]"
t_check "garbage line logged as malformed" refused_as 'malformed request'
t_check "oversized line logged as oversized" refused_as 'oversized request'
t_check "tampered line logged as tampered" refused_as 'tampered request'
# The audit names a line of the location by its number in the file, as an
# admin reading it counts (blank lines too), so that it can be found.
t_check "refusals name their line in the file (garbage 4, oversized 5, tampered 7)" \
	test "$(refused_objects)" = "line 4:malformed,line 5:oversized,line 7:tampered"
t_check "accepted requests name their line in the file (2, 6)" \
	test "$(accepted_objects)" = "line 2:4711,line 6:4712"
t_check "exactly three lines refused (comment and blank line ignored)" \
	test "$(r_audit_count "$audit" refused)" = 3
t_check "nothing went to the tampered target" test ! -e "$d/www/up/evil"
t_check "no token in the audit log or the agent's output" \
	bash -c "! grep -qF -- \"\$(cut -d. -f3 '$T_DIR/r1')\" '$audit' '$T_DIR/agent.out'"

# 3. the next poll: nothing runs again, nothing is logged again
n_audit=$(wc -l <"$audit")
rc=0
agent_once || rc=$?
t_check "second poll exits 0 and read the location again" \
	bash -c "[ $rc = 0 ] && [ $(gets 200) = 2 ]"
t_check "no request ran twice" \
	bash -c "[ \$(r_audit_count '$audit' started $id1) = 1 ] && [ \$(r_audit_count '$audit' started $id2) = 1 ] && [ \$(find '$d/www/up/4711' -name '*.tar.gz' | wc -l) = 1 ]"
t_check "refused lines are logged once, not at every poll" test "$(r_audit_count "$audit" refused)" = 3
t_check "the second poll only logged start and stop" \
	test "$(tail -n +$((n_audit + 1)) "$audit" | grep -vc '"event":"agent st')" = 0

# 4. a location whose certificate is not from the configured CA
rc=0
agent_once "$T_DIR/wrongca.conf" || rc=$?
t_check "untrusted certificate: exit 69, poll failed logged with the cause" \
	bash -c "[ $rc = 69 ] && tail -3 '$audit' | grep '\"poll failed\"' | grep -q 'not trusted'"
t_check "the failed poll ran nothing" test "$(r_audit_count "$audit" started)" = 2

t_done
