#!/usr/bin/env bash
# rdiag request create and rdiag run --request: a good token runs exactly
# the requested collectors for the ticket and lands at its upload target;
# tampered, unknown-key, expired, replayed, oversized and malformed tokens
# are refused with exit 65 and the reason; no terminal means no run unless
# the config allows it; consent is asked on a terminal.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-request.sh"

k="$T_DIR/k"
r_keys "$k"
state="$T_DIR/state"
out="$T_DIR/out"
drop="$T_DIR/drop"
mkdir -p "$out" "$drop"
cat >"$T_DIR/yes.conf" <<CONF
[requests]
trusted_keys_dir = $k/trusted
state_dir = $state
allow_unattended = yes
CONF
cat >"$T_DIR/ask.conf" <<CONF
[requests]
trusted_keys_dir = $k/trusted
state_dir = $state
CONF

create() { "$RDIAG" request create --sign-key "$k/vendor.key" "$@"; }
# allow_unattended counts only from the system configuration.
run_req() { RDIAG_SYSTEM_CONFIG="$T_DIR/${2:-yes}.conf" "$RDIAG" run --request "$1" --config "$T_DIR/${2:-yes}.conf" --out "$out" -q; }

tok=$(create --ticket 4711 --collectors system --upload "file://$drop/" --expires 72h --note "db slow since Monday")
t_check "token is compact: rdreq1.<payload>.<signature>, under 1 KiB" \
	bash -c "[[ '$tok' =~ ^rdreq1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$ ]] && [ ${#tok} -lt 1024 ]"
t_check "token names ticket, collectors and target" \
	bash -c "[ '$(r_field "$tok" ticket)' = 4711 ] && [ \"$(r_field "$tok" collectors)\" = \"['system']\" ]"

rc=0
create --ticket 4711 --collectors system --upload "file://$drop/" --expires 72h -o "$T_DIR/tok.txt" 2>/dev/null || rc=$?
t_check "-o writes the token to a file" bash -c "[ $rc = 0 ] && grep -q '^rdreq1\.' '$T_DIR/tok.txt'"
rc=0
create --ticket 4711 --collectors system --upload "file://$drop/" --expires 72h -o "$T_DIR/tok.txt" 2>/dev/null || rc=$?
t_check "-o never overwrites" test "$rc" = 73
rc=0
create --ticket 4711 --collectors nosuch --upload "file://$drop/" --expires 72h >/dev/null 2>"$T_DIR/e0" || rc=$?
t_check "unknown collector refused at create" bash -c "[ $rc = 64 ] && grep -q \"no collector 'nosuch'\" '$T_DIR/e0'"
rc=0
create --ticket 4711 --collectors system --upload "file://$drop/" --expires 90d >/dev/null 2>&1 || rc=$?
t_check "validity over 30 days refused" test "$rc" = 64

# No terminal, no allow_unattended: not run, nothing claimed.
rc=0
"$RDIAG" run --request "$tok" --config "$T_DIR/ask.conf" --out "$out" -q </dev/null >/dev/null 2>"$T_DIR/e1" || rc=$?
t_check "no terminal: refused (64) and says why" \
	bash -c "[ $rc = 64 ] && grep -q 'no terminal to ask for consent' '$T_DIR/e1' && [ -z \"\$(ls '$drop')\" ]"
t_check "the customer saw ticket, collectors and target" \
	bash -c "grep -q 'ticket:      4711' '$T_DIR/e1' && grep -q 'collects:    system' '$T_DIR/e1' && grep -q 'sends to:    file://$drop/' '$T_DIR/e1' && grep -q 'note:        db slow since Monday' '$T_DIR/e1'"
t_check "a refused consent does not use up the request" test ! -e "$state/seen/$(r_field "$tok" id)"

# A user's --config cannot give consent in advance: only the root-owned
# system configuration may say allow_unattended = yes.
rc=0
RDIAG_SYSTEM_CONFIG="$T_DIR/ask.conf" "$RDIAG" run --request "$tok" --config "$T_DIR/yes.conf" \
	--out "$out" -q </dev/null >/dev/null 2>"$T_DIR/e-user" || rc=$?
t_check "allow_unattended in a user's --config: ignored, not run (64)" \
	bash -c "[ $rc = 64 ] && grep -q 'is ignored: only the system configuration' '$T_DIR/e-user' && [ -z \"\$(ls '$drop')\" ]"
chmod 0666 "$T_DIR/yes.conf"
rc=0
run_req "$tok" >/dev/null 2>"$T_DIR/e-ww" || rc=$?
t_check "a system configuration others may write cannot allow it either (64)" \
	bash -c "[ $rc = 64 ] && grep -q 'must be owned by root and not writable' '$T_DIR/e-ww'"
chmod 0644 "$T_DIR/yes.conf"
# A token bound to another machine is refused; one bound to this one runs.
other=$(create --ticket 4711 --collectors system --upload "file://$drop/" --expires 1h --for not-this-host)
rc=0
run_req "$other" >/dev/null 2>"$T_DIR/e-aud" || rc=$?
t_check "a token --for another machine is refused (65)" \
	bash -c "[ $rc = 65 ] && grep -q \"is for 'not-this-host', not for this machine\" '$T_DIR/e-aud' && [ -z \"\$(ls '$drop')\" ]"
t_check "request show names the machine a token is for" \
	bash -c "'$RDIAG' request show '$other' --trusted-keys '$k/trusted' 2>&1 | grep -q 'only for:    not-this-host'"

# On a terminal: "n" refuses, "y" runs.
pty() { $PY -c 'import os,pty,sys
pid,fd=pty.fork()
if pid==0:
    os.execv(sys.argv[2],sys.argv[2:])
out=b""; sent=False
while True:
    try: d=os.read(fd,4096)
    except OSError: break
    if not d: break
    out+=d
    if not sent and b"[y/N]" in out:
        os.write(fd,sys.argv[1].encode()+b"\n"); sent=True
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid,0)[1]))' "$@"; }
rc=0
pty n "$RDIAG" run --request "$tok" --config "$T_DIR/ask.conf" --out "$out" -q >"$T_DIR/p1" 2>&1 || rc=$?
t_check "terminal, answer n: not run (64)" bash -c "[ $rc = 64 ] && grep -q 'no consent' '$T_DIR/p1' && [ -z \"\$(ls '$drop')\" ]"
rc=0
pty y "$RDIAG" run --request "$tok" --config "$T_DIR/ask.conf" --out "$out" -q >"$T_DIR/p2" 2>&1 || rc=$?
t_check "terminal, answer y: runs and uploads" \
	bash -c "[ $rc -le 2 ] && ls '$drop' | grep -q '^rdiag-.*-4711-.*\.tar\.gz$'"
b=$(ls "$drop"/rdiag-*-4711-*.tar.gz | head -1)
t_check "exactly the requested collectors ran" \
	bash -c "tar -tzf '$b' | grep -q '/collectors/system/records.jsonl' && ! tar -tzf '$b' | grep -q '/collectors/antivirus/'"
t_check "the local bundle was removed after the upload" bash -c "! ls '$out'/rdiag-*-4711-*.tar.gz 2>/dev/null"
t_check "replay store holds the claim" test -s "$state/seen/$(r_field "$tok" id)"

# refusals: each exit 65 with its reason, nothing run
refused() {
	local what=$1 token=$2 pattern=$3 rc=0 before
	before=$(ls "$drop" | wc -l)
	run_req "$token" >/dev/null 2>"$T_DIR/err" || rc=$?
	t_check "$what: exit 65, reason '$pattern'" \
		bash -c "[ $rc = 65 ] && grep -q -- '$pattern' '$T_DIR/err' && [ \$(ls '$drop' | wc -l) = $before ]"
}
refused "replayed (same token again)" "$tok" "replayed request"
tok2=$(create --ticket 4712 --collectors system --upload "file://$drop/" --expires 1h)
refused "tampered ticket" "$(r_tamper "$tok2" ticket 9999)" "^rdiag: tampered request"
refused "tampered upload target" "$(r_tamper "$tok2" upload "file:///tmp/evil/")" "^rdiag: tampered request"
refused "tampered signature" "${tok2%?}$( [ "${tok2: -1}" = A ] && echo B || echo A)" "tampered request\|malformed request"
other=$("$RDIAG" request create --sign-key "$k/other.key" --ticket 4712 --collectors system --upload "file://$drop/" --expires 1h)
refused "signed by an untrusted key" "$other" "^rdiag: unknown key request"
refused "kid swapped to the trusted key" "$(r_tamper "$other" kid "$(r_field "$tok2" kid)")" "^rdiag: tampered request"
short=$(create --ticket 4713 --collectors system --upload "file://$drop/" --expires 1s)
sleep 2
refused "expired" "$short" "^rdiag: expired request"
head -c 9000 /dev/zero | tr '\0' 'A' | sed 's/^/rdreq1./' >"$T_DIR/big.tok"
refused "oversized file" "$T_DIR/big.tok" "^rdiag: oversized request"
refused "oversized argument" "rdreq1.$(head -c 9000 /dev/zero | tr '\0' A).x" "^rdiag: oversized request"
refused "malformed (cut in half)" "${tok2:0:60}" "^rdiag: malformed request"
refused "malformed (not base64url)" "rdreq1.%%%.abc" "^rdiag: malformed request"
refused "malformed (JSON not an object)" "rdreq1.$(printf '[1,2]' | base64 | tr -d '=').$(head -c 64 /dev/zero | base64 -w0 | tr '+/' '-_' | tr -d '=')" "^rdiag: malformed request"
rc=0
"$RDIAG" run --request "$tok2" --only system --config "$T_DIR/yes.conf" >/dev/null 2>"$T_DIR/e2" || rc=$?
t_check "--request with --only is a usage error" bash -c "[ $rc = 64 ] && grep -q 'drop' '$T_DIR/e2'"
rc=0
run_req "$tok2" >/dev/null 2>&1 || rc=$?
t_check "the untouched second token still runs" bash -c "[ $rc -le 2 ] && ls '$drop' | grep -q -- '-4712-'"
rc=0
RDIAG_TRUSTED_KEYS="$T_DIR/empty" "$RDIAG" run --request "$tok2" --config "$T_DIR/yes.conf" >/dev/null 2>"$T_DIR/e3" || rc=$?
t_check "RDIAG_TRUSTED_KEYS overrides the directory" bash -c "[ $rc = 65 ] && grep -q 'trusted keys' '$T_DIR/e3'"

# A refused request (here the replay of the token run above) still ends
# run --json with one object saying why; its exit_code is the process's.
rc=0
"$RDIAG" run --request "$tok" --config "$T_DIR/ask.conf" --out "$out" --json \
	</dev/null >"$T_DIR/j1" 2>/dev/null || rc=$?
t_check "refused request, --json: one object with the error and exit_code $rc" \
	$PY -c '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["exit_code"] == int(sys.argv[2]) != 0, j
assert "replayed request" in j["error"], j
assert j["format"] == "rdiag-verdict/1" and j["upload"] is None, j' "$T_DIR/j1" "$rc"

t_done
