#!/usr/bin/env bash
# The limits of `rdiag session`: the TTL ends the session for everyone
# connected; the idle limit ends a session nobody uses; a relay that stops
# answering mid-session (its sshd SIGSTOPped, so TCP stays up and only the
# SSH layer goes silent) ends the session within the idle limit, through the
# keepalives, with 69 — no libssh call may block past the deadlines.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-session.sh"

s_relay_start
s_config <<EOF
keepalive = 1s
EOF

# TTL: an engineer in a long command is cut off when the time is up.
start=$(date +%s.%N)
s_agent_start --ttl 4s
s_eng engineer -tt 'echo started; sleep 60' >"$T_DIR/ttl-eng.out" 2>&1 </dev/null &
eng=$!
s_wait "$S_AGENT" 20 || true
agent_rc=$S_RC
took=$($PY -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 1))" "$start" "$(date +%s.%N)")
t_check "TTL: the session ended by itself with 0 (got $agent_rc)" test "$agent_rc" = 0
t_check "TTL: after about 4 s (took $took s)" $PY -c "import sys; sys.exit(not 3.5 <= $took <= 12)"
s_wait "$eng" 10 || true
t_check "TTL: the engineer's ssh ended too (rc $S_RC)" test "$S_RC" != 124
t_check "TTL: the engineer was connected" grep -q started "$T_DIR/ttl-eng.out"
t_check "TTL: the engineer was told" grep -q "the session has ended" "$T_DIR/ttl-eng.out"
t_check "TTL: audit end reason" s_audit "e['event']=='end' and e['reason']=='time limit reached'"
t_check "TTL: audit leave for the engineer" s_audit "e['event']=='leave' and e['reason']=='session ended'"
t_check "TTL: the forward was cancelled" s_not s_listening "$S_LISTEN"

# Idle: nobody comes.
start=$(date +%s.%N)
s_agent_start --idle 2s
s_wait "$S_AGENT" 20 || true
took=$($PY -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 1))" "$start" "$(date +%s.%N)")
t_check "idle: ended with 0 (got $S_RC)" test "$S_RC" = 0
t_check "idle: after about 2 s (took $took s)" $PY -c "import sys; sys.exit(not 1.5 <= $took <= 8)"
t_check "idle: audit end reason" s_audit "e['event']=='end' and e['reason']=='idle limit reached'"

# The relay stops answering mid-session: idle limit 20 s, keepalive 1 s.
s_agent_start --idle 20s
s_eng engineer -tt 'echo started; while :; do echo tick; sleep 0.5; done' \
	>"$T_DIR/stop-eng.out" 2>&1 </dev/null &
eng=$!
for ((i = 0; i < 300; i++)); do
	grep -q tick "$T_DIR/stop-eng.out" 2>/dev/null && break
	sleep 0.05
done
t_check "stop: the engineer was in the session" grep -q tick "$T_DIR/stop-eng.out"
start=$(date +%s.%N)
s_relay_stop
s_wait "$S_AGENT" 25 || true
took=$($PY -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 1))" "$start" "$(date +%s.%N)")
s_relay_cont
t_check "stop: the session ended with 69 (got $S_RC)" test "$S_RC" = 69
t_check "stop: within the idle limit, by the keepalives (took $took s)" \
	$PY -c "import sys; sys.exit(not $took < 10)"
t_check "stop: audit end reason" s_audit "e['event']=='end' and e['reason']=='the relay stopped answering'"
t_check "stop: the customer was told" grep -q "ended: the relay stopped answering" "$T_DIR/agent.out"
s_wait "$eng" 15 || true
t_check "stop: the engineer's ssh ended once the relay ran again (rc $S_RC)" test "$S_RC" != 124
t_check "no sanitizer report" s_not grep -q Sanitizer "$T_DIR/agent.err"
t_done
