#!/usr/bin/env bash
# `rdiag session` end to end: a real OpenSSH sshd as the relay restricts the
# agent's key to one listen port; the agent connects out and serves its
# inner SSH server through the reverse forward; the engineer comes in with
# OpenSSH's client through the relay, runs commands in a PTY (with
# window-size changes), is refused with a key that is not listed and when
# asking for port forwarding; the recording and the audit log hold it all;
# Ctrl-C (SIGINT) ends the session and cancels the forward.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-session.sh"

s_relay_start
s_config <<EOF
keepalive = 2s
EOF
ENG_FP=$(s_fp "$S_KEYS/engineer.pub")
STRANGER_FP=$(s_fp "$S_KEYS/stranger.pub")

s_agent_start
t_check "the agent is up and the relay listens for it" s_listening "$S_LISTEN"
t_check "the agent says how to connect and shows its host key" \
	grep -q "host key: SHA256:" "$T_DIR/agent.out"
t_check "the consent text shows the engineer's fingerprint and comment" \
	grep -q "$ENG_FP engineer@test" "$T_DIR/agent.out"

# The command and known_hosts line the customer reads out work as printed:
# only the engineer's relay account, key and file names are filled in.
printed=$(sed -n 's/^rdiag: engineers connect with: //p' "$T_DIR/agent.out")
sed -n 's/^rdiag: their ~\/.ssh\/known_hosts_rdiag line: //p' "$T_DIR/agent.out" \
	>"$T_DIR/known_hosts_rdiag"
t_check "the command names the engineers' port on the relay" \
	grep -q -- "-J USER@127.0.0.1:$S_ENG_PORT -p $S_LISTEN " <<<"$printed"
t_check "the known_hosts line names the session's address and port" \
	grep -q "^\[127.0.0.1\]:$S_LISTEN ssh-ed25519 " "$T_DIR/known_hosts_rdiag"
cat >"$T_DIR/eng_ssh_config" <<EOF
Host *
	IdentityFile $S_KEYS/engineer
	IdentitiesOnly yes
	BatchMode yes
	ConnectTimeout 10
	UserKnownHostsFile $T_DIR/relay_known_hosts
	GlobalKnownHostsFile /dev/null
EOF
cmd=${printed/USER/$S_USER}
cmd=${cmd/\~\/.ssh\/known_hosts_rdiag/$T_DIR/known_hosts_rdiag}
rc=0
# A second -t: the test's stdin is no terminal, an engineer's is.
# shellcheck disable=SC2086 # the printed command, split as a shell would
ssh -F "$T_DIR/eng_ssh_config" ${cmd#ssh } -t 'echo printed-$((6*7))' \
	>"$T_DIR/printed.out" 2>"$T_DIR/printed.err" </dev/null || rc=$?
t_check "the printed command reaches the session (rc $rc)" \
	grep -q "printed-42" "$T_DIR/printed.out"

# The engineer runs a command in a PTY and reads its output.
rc=0
s_eng engineer -tt 'echo hello-$((6*7)); tty; id -un; exit 3' \
	>"$T_DIR/eng1.out" 2>"$T_DIR/eng1.err" </dev/null || rc=$?
t_check "the engineer's command ran and its output came back" \
	grep -q "hello-42" "$T_DIR/eng1.out"
t_check "it ran on a PTY" grep -q "^/dev/pts/" "$T_DIR/eng1.out"
t_check "as the user who started rdiag" grep -qx "$S_USER"$'\r' "$T_DIR/eng1.out"
t_check "the command's exit status reaches the engineer (3, got $rc)" test "$rc" = 3
t_check "the engineer sees the session banner" grep -q "\[rdiag\] support session" "$T_DIR/eng1.out"

# The command is the engineer's text: shown to the customer, it must not
# set the title or query the customer's terminal (which would answer into
# the shell).
s_eng engineer -tt "$(printf 'echo tame # \033]0;PWNED-TITLE\007\033[6n\342\200\256')" \
	>"$T_DIR/eng-esc.out" 2>&1 </dev/null || true
t_check "the customer is told the engineer's command, tamed" \
	grep -qF 'running: echo tame # ?]0;PWNED-TITLE??[6n?' "$T_DIR/agent.out"
t_check "no escape from the engineer reached the customer's terminal" \
	bash -c "! LC_ALL=C grep -qP '\x1b\]0;PWNED|\x1b\[6n|\xe2\x80\xae' '$T_DIR/agent.out'"

cast=$(s_recording "e['command'].startswith('echo hello')")
t_check "a recording was written for the connection" test -n "$cast"
cat >"$T_DIR/cast.py" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
head = json.loads(lines[0])
assert head["version"] == 2 and head["width"] > 0 and head["height"] > 0, head
out = ""
for l in lines[1:]:
    t, code, data = json.loads(l)
    assert isinstance(t, float) and code in "or", l
    out += data if code == "o" else ""
assert "hello-42" in out, out
PY
t_check "the recording is asciicast v2 and holds the output" $PY "$T_DIR/cast.py" "$cast"

# Window-size changes reach the PTY: an interactive engineer on a terminal.
cat >"$T_DIR/steps-winch" <<'EOF'
expect \[rdiag\] support session
send stty size\r
expect 24 80
resize 40 132
sleep 0.3
send stty size\r
expect 40 132
send exit\r
wait 20
EOF
rc=0
export S_KEYS T_DIR S_ENG_PORT S_LISTEN S_USER
export -f s_eng
$PY "$S_PTY" "$T_DIR/winch.log" "$T_DIR/steps-winch" -- bash -c 's_eng engineer -t' \
	>"$T_DIR/winch.err" 2>&1 || rc=$?
t_check "window-size changes reach the engineer's PTY (rc $rc)" test "$rc" = 0
cast=$(s_recording "e['command']==''")
t_check "the recording holds the resize" grep -q '"r","132x40"' "$cast"

# A key that is not listed is refused by the inner server (the relay let
# it through: only the agent decides who gets in).
rc=0
s_eng stranger -tt 'echo should-not-run' >"$T_DIR/eng2.out" 2>"$T_DIR/eng2.err" </dev/null || rc=$?
t_check "an unlisted engineer key is refused (rc $rc)" test "$rc" = 255
t_check "with 'Permission denied (publickey)'" grep -q "Permission denied (publickey)" "$T_DIR/eng2.err"
t_check "and nothing ran" s_not grep -q should-not-run "$T_DIR/eng2.out"
t_check "the audit log names the refused key" \
	s_audit "e['event']=='auth_refused' and e['key']=='$STRANGER_FP'"

# Port forwarding inside the session is refused, both ways.
rc=0
s_eng engineer -N -o ExitOnForwardFailure=yes -R "127.0.0.1:0:127.0.0.1:$S_RELAY_PORT" \
	>/dev/null 2>"$T_DIR/eng3.err" </dev/null || rc=$?
t_check "remote forwarding inside the session is refused (rc $rc)" \
	grep -q "remote port forwarding failed" "$T_DIR/eng3.err"
rc=0
timeout 20 ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes \
	-o UserKnownHostsFile="$T_DIR/inner_known_hosts" -i "$S_KEYS/engineer" \
	-o ProxyCommand="ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=$T_DIR/relay_known_hosts -i $S_KEYS/engineer -p $S_ENG_PORT -W %h:%p $S_USER@127.0.0.1" \
	-p "$S_LISTEN" -W "127.0.0.1:$S_RELAY_PORT" engineer@127.0.0.1 \
	</dev/null >"$T_DIR/eng4.out" 2>"$T_DIR/eng4.err" || rc=$?
t_check "local forwarding (-W) inside the session is refused (rc $rc)" \
	grep -q "open failed" "$T_DIR/eng4.err"
t_check "nothing of the relay's SSH banner came through" \
	s_not grep -q SSH- "$T_DIR/eng4.out"

t_check "audit: consent" s_audit "e['event']=='consent' and e['how']=='unattended' and e['answer']=='yes'"
t_check "audit: connect with the relay's key" \
	s_audit "e['event']=='connect' and e['relay_key']=='$(s_fp "$S_KEYS/relay_host.pub")'"
t_check "audit: join with the engineer's fingerprint" \
	s_audit "e['event']=='join' and e['key']=='$ENG_FP' and e['command'].startswith('echo hello')"
t_check "audit: bytes" s_audit "e['event']=='bytes' and e['out']>0 and e['in']>0"
t_check "audit: leave with a reason" s_audit "e['event']=='leave' and e['reason']=='shell exited'"
t_check "the customer saw the join and the leave" \
	bash -c "grep -q 'engineer joined (connection [0-9]*): $ENG_FP' '$T_DIR/agent.out' && grep -q 'engineer left (connection [0-9]*): shell exited' '$T_DIR/agent.out'"
t_check "the audit log is 0600" test "$(stat -c %a "$S_STATE/audit.jsonl")" = 600

# Ctrl-C ends it: exit 130, the forward is cancelled.
kill -INT "$S_AGENT"
s_wait "$S_AGENT" 15 || true
t_check "SIGINT ends the session with 130 (got $S_RC)" test "$S_RC" = 130
t_check "audit: end, interrupted, forward cancelled" \
	s_audit "e['event']=='end' and e['reason']=='interrupted' and e['forward_cancelled']=='yes' and e['exit_code']==130"
t_check "the relay no longer listens for the agent" s_not s_listening "$S_LISTEN"
t_check "no sanitizer report" s_not grep -q Sanitizer "$T_DIR/agent.err"
t_done
