#!/usr/bin/env bash
# `rdiag session` says no clearly: a relay with the wrong host key is
# refused before authenticating (both fingerprints shown), a relay that
# refuses the agent's key or the listen port gives its own error, an
# unreachable relay too (all exit 69); without consent nothing connects:
# no terminal and no --yes, --yes without allow_unattended, and "n" at the
# prompt; "y" at the prompt connects and Ctrl-C on that terminal ends it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-session.sh"

s_relay_start
s_config </dev/null
RELAY_FP=$(s_fp "$S_KEYS/relay_host.pub")
s_keygen impostor impostor@test
WRONG_FP=$(s_fp "$S_KEYS/impostor.pub")

# run_agent NAME [args...]: a foreground session, output in NAME.out/.err.
run_agent() {
	local name=$1
	shift
	RC=0
	timeout 30 "$RDIAG" session --config "$T_DIR/session.conf" \
		--engineer-key "$S_KEYS/engineer.pub" "$@" \
		>"$T_DIR/$name.out" 2>"$T_DIR/$name.err" </dev/null || RC=$?
}

# A public key where the agent's secret key belongs is named as such.
sed "s|^key = .*|key = $S_KEYS/agent.pub|" "$T_DIR/session.conf" >"$T_DIR/pubkey.conf"
RC=0
timeout 30 "$RDIAG" session --config "$T_DIR/pubkey.conf" --yes \
	--engineer-key "$S_KEYS/engineer.pub" \
	>"$T_DIR/pubkey.out" 2>"$T_DIR/pubkey.err" </dev/null || RC=$?
t_check "a public agent key: exit 64 (got $RC)" test "$RC" = 64
t_check "named as a public key, before anything else" \
	grep -q "\[session\] key '.*agent.pub' is a public key" "$T_DIR/pubkey.err"

# Wrong relay host key: refused before authentication.
before=$(grep -c "Accepted publickey" "$T_DIR/relay.log" || true)
run_agent wrongkey --yes --relay-host-key "$WRONG_FP"
t_check "wrong relay host key: exit 69 (got $RC)" test "$RC" = 69
t_check "the error says mismatch and shows the pinned fingerprint" \
	grep -q "relay host key mismatch.*expected $WRONG_FP" "$T_DIR/wrongkey.err"
t_check "and the relay's actual fingerprint" grep -q "offered $RELAY_FP" "$T_DIR/wrongkey.err"
t_check "the agent did connect (the key is only known after the key exchange)" \
	test "$(s_relay_connections)" -ge 1
t_check "but never authenticated" \
	test "$(grep -c "Accepted publickey" "$T_DIR/relay.log" || true)" = "$before"
t_check "the audit log records the refusal at the host-key stage" \
	s_audit "e['event']=='error' and e['stage']=='host_key' and e['relay_key']=='$RELAY_FP'"
t_check "its end record counts the seconds this session lived" \
	s_not s_audit "e['event']=='end' and not 0 <= e['duration_s'] <= 30"

# The backup pin is accepted (key rotation): refuse the listen port instead,
# so the run ends quickly, and check how far it got.
cat >>"$T_DIR/session.conf" <<EOF
relay_host_key_backup = $RELAY_FP
EOF
run_agent backup --yes --relay-host-key "$WRONG_FP" --listen-port "$S_OTHER_PORT"
t_check "a relay matching the backup pin is accepted" \
	s_not grep -q "mismatch" "$T_DIR/backup.err"

# Forward to a port the relay does not permit: a clear error.
t_check "forward refused: exit 69 (got $RC)" test "$RC" = 69
t_check "forward refused: the error names the port and permitlisten" \
	grep -q "relay refused to listen on 127.0.0.1:$S_OTHER_PORT.*permitlisten" "$T_DIR/backup.err"
t_check "nothing listens on the refused port" s_not s_listening "$S_OTHER_PORT"

# The relay does not know the agent's key.
run_agent authrefused --yes --key "$S_KEYS/rogue_agent"
t_check "auth refused: exit 69 (got $RC)" test "$RC" = 69
t_check "auth refused: the error names user and key" \
	grep -q "relay refused the agent key $(s_fp "$S_KEYS/rogue_agent.pub") for user '$S_USER'" "$T_DIR/authrefused.err"

# Nothing listens on the relay's port.
dead=$(t_free_port)
run_agent unreachable --yes --relay "127.0.0.1:$dead"
t_check "relay unreachable: exit 69 (got $RC)" test "$RC" = 69
t_check "relay unreachable: a clear error" \
	grep -q "cannot reach the relay 127.0.0.1:$dead" "$T_DIR/unreachable.err"

# A relay that accepts the TCP connection but never speaks: the
# connect_timeout bounds the blocking setup; Ctrl-C cuts it short.
silent=$(t_free_port)
$PY -c 'import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
conns = []
while True: conns.append(s.accept())' "$silent" &
T_PIDS+=("$!")
t_wait_port "$silent" 10
cp "$T_DIR/session.conf" "$T_DIR/silent.conf"
echo "connect_timeout = 2s" >>"$T_DIR/silent.conf"
start=$(date +%s%N)
RC=0
"$RDIAG" session --config "$T_DIR/silent.conf" --engineer-key "$S_KEYS/engineer.pub" \
	--yes --relay "127.0.0.1:$silent" >"$T_DIR/silent.out" 2>"$T_DIR/silent.err" </dev/null || RC=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
t_check "silent relay: exit 69 (got $RC)" test "$RC" = 69
t_check "silent relay: given up after the 2 s connect timeout (took $took ms)" \
	test "$took" -ge 1500 -a "$took" -lt 6000
"$RDIAG" session --config "$T_DIR/session.conf" --engineer-key "$S_KEYS/engineer.pub" \
	--yes --relay "127.0.0.1:$silent" >"$T_DIR/silent-int.out" 2>&1 </dev/null &
pid=$!
sleep 1
kill -INT "$pid"
start=$(date +%s%N)
s_wait "$pid" 20 || true
took=$(( ($(date +%s%N) - start) / 1000000 ))
t_check "Ctrl-C while connecting: 130 (got $S_RC)" test "$S_RC" = 130
t_check "Ctrl-C while connecting: at once (took $took ms)" test "$took" -lt 1500

# A bad command line or config: 64, nothing connects.
n0=$(s_relay_connections)
run_agent usage --yes --ttl forever
t_check "a bad --ttl is a usage error (got $RC)" test "$RC" = 64
run_agent noengineer --yes --engineer-key /nonexistent.pub
t_check "a missing engineer key file is a usage error (got $RC)" test "$RC" = 64

# No consent: no terminal and no --yes.
run_agent noconsent
t_check "no terminal, no --yes: refused with 64 (got $RC)" test "$RC" = 64
t_check "it says why" grep -q "no terminal to ask for consent" "$T_DIR/noconsent.err"
# --yes without allow_unattended in the config.
sed -i 's/^allow_unattended = yes/allow_unattended = no/' "$T_DIR/session.conf"
run_agent notallowed --yes
t_check "--yes without allow_unattended: refused (got $RC)" test "$RC" = 64
t_check "it says what the config needs" grep -q "needs \[session\] allow_unattended = yes" "$T_DIR/notallowed.err"
t_check "nothing reached the relay without consent" test "$(s_relay_connections)" = "$n0"
t_check "the refusals are in the audit log" \
	s_audit "e['event']=='consent' and e['answer']=='no terminal'"

# On a terminal: the prompt; "n" connects nothing.
cat >"$T_DIR/steps-no" <<'EOF'
expect Allow this session\? \[y/N\]
send n\r
expect declined; nothing was connected
wait 10
EOF
rc=0
$PY "$S_PTY" "$T_DIR/prompt-no.log" "$T_DIR/steps-no" -- "$RDIAG" session \
	--config "$T_DIR/session.conf" --engineer-key "$S_KEYS/engineer.pub" \
	>"$T_DIR/prompt-no.err" 2>&1 || rc=$?
t_check "'n' at the prompt: exit 0 (got $rc)" test "$rc" = 0
t_check "the prompt showed the engineer's key" \
	grep -q "$(s_fp "$S_KEYS/engineer.pub") engineer@test" "$T_DIR/prompt-no.log"
t_check "'n' at the prompt: nothing reached the relay" test "$(s_relay_connections)" = "$n0"

# "y" connects; Ctrl-C on the terminal ends it.
cat >"$T_DIR/steps-yes" <<'EOF'
expect Allow this session\? \[y/N\]
send y\r
expect is open
sleep 0.5
send \x03
expect ended: interrupted
wait 15
EOF
rc=0
$PY "$S_PTY" "$T_DIR/prompt-yes.log" "$T_DIR/steps-yes" -- "$RDIAG" session \
	--config "$T_DIR/session.conf" --engineer-key "$S_KEYS/engineer.pub" \
	>"$T_DIR/prompt-yes.err" 2>&1 || rc=$?
t_check "'y' at the prompt connects, Ctrl-C ends with 130 (got $rc)" test "$rc" = 130
t_check "'y' at the prompt: the relay saw the agent" test "$(s_relay_connections)" -gt "$n0"
t_check "audit: consent by prompt" s_audit "e['event']=='consent' and e['how']=='prompt' and e['answer']=='yes'"
t_done
