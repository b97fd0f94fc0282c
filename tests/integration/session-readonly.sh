#!/usr/bin/env bash
# `rdiag session --read-only`: the customer's own shell runs on a terminal
# rdiag mirrors; the engineer sees what the customer types and what it
# prints, and the engineer's keystrokes never reach the shell. The
# recording holds the customer's session; Ctrl-] on the customer's terminal
# ends it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-session.sh"

s_relay_start
s_config </dev/null
PWNED="$T_DIR/pwned"

# The engineer types a command as soon as the session is up and stays on
# for a while; the customer types one after the engineer joined.
{
	declare -p S_KEYS T_DIR S_ENG_PORT S_LISTEN S_USER S_STATE
	declare -f s_eng s_known_hosts
} >"$T_DIR/engineer.sh"
cat >>"$T_DIR/engineer.sh" <<EOF
s_known_hosts
(printf 'touch $PWNED\\r'; sleep 1; printf 'touch $PWNED\\n'; sleep 5) |
	s_eng engineer -tt >"$T_DIR/eng.out" 2>"$T_DIR/eng.err"
echo \$? >"$T_DIR/eng.rc"
EOF
cat >"$T_DIR/steps" <<EOF
expect is open
expect Ctrl-\\]
bg bash '$T_DIR/engineer.sh'
expect engineer joined
sleep 1.5
send echo MARK-\$((6*7))\\r
expect MARK-42
sleep 1.5
send \\x1d
expect ended: ended by the customer
wait 15
waitfile $T_DIR/eng.rc 15
EOF
rc=0
$PY "$S_PTY" "$T_DIR/customer.log" "$T_DIR/steps" -- "$RDIAG" session \
	--config "$T_DIR/session.conf" --engineer-key "$S_KEYS/engineer.pub" \
	--read-only --yes >"$T_DIR/pty.err" 2>&1 || rc=$?
t_check "read-only session ended by Ctrl-] with 0 (got $rc)" test "$rc" = 0
t_check "the consent text said read-only" grep -q "mode:      read-only" "$T_DIR/customer.log"
t_check "the engineer saw the customer's command and its output" \
	grep -q "MARK-42" "$T_DIR/eng.out"
t_check "the engineer was told it is read-only" \
	grep -q "read-only session.*keystrokes are not sent" "$T_DIR/eng.out"
t_check "the engineer's keystrokes did not reach the shell" test ! -e "$PWNED"
t_check "the customer's shell never saw them either" \
	s_not grep -q "touch $PWNED" "$T_DIR/customer.log"
t_check "the customer saw the engineer join" grep -q "engineer joined" "$T_DIR/customer.log"
cast=$(ls "$S_STATE"/*.cast 2>/dev/null | head -n1 || true)
t_check "one recording, of the customer's terminal" test -n "$cast"
t_check "the recording holds the customer's session" grep -q "MARK-42" "$cast"
t_check "audit: join in read-only mode" s_audit "e['event']=='join' and e['mode']=='read-only'"
t_check "audit: the engineer's keystrokes were counted as dropped" \
	s_audit "e['event']=='bytes' and e['dropped']>0"
t_check "audit: end by the customer" s_audit "e['event']=='end' and e['reason']=='ended by the customer' and e['exit_code']==0"

# Without a terminal there is nothing to mirror.
rc=0
"$RDIAG" session --config "$T_DIR/session.conf" --engineer-key "$S_KEYS/engineer.pub" \
	--read-only --yes </dev/null >"$T_DIR/noterm.out" 2>&1 || rc=$?
t_check "read-only without a terminal: 64 (got $rc)" test "$rc" = 64
t_done
