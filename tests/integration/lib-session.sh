# Helpers for the session tests (sourced after lib.sh): a private OpenSSH
# sshd on loopback as the vendor's relay, ed25519 keys made now, the agent's
# config, and the engineer's ssh through the relay (ProxyCommand ssh -W,
# what ProxyJump does) with the inner server's host key pinned.
#
# The relay listens on two ports, set up the way docs/session.md tells an
# operator to: S_RELAY_PORT for agents (remote forwarding only, to the one
# port their key's permitlisten names) and S_ENG_PORT for engineers (local
# forwarding only, to the agents' ports).
S_KEYS="$T_DIR/keys"
S_STATE="$T_DIR/state"
S_USER=$(id -un)
S_PTY="$RDIAG_SRC/tests/helpers/session_pty.py"
S_SSHD_PID=""
mkdir -p "$S_KEYS"
# S_KEEP=DIR keeps a copy of the test's files there, for debugging.
[ -n "${S_KEEP:-}" ] && T_CLEANUPS+=("rm -rf '$S_KEEP'; cp -a '$T_DIR' '$S_KEEP'")
# The engineer's shell and the mirrored one: predictable prompts.
export SHELL=/bin/sh
# Consent in advance (allow_unattended) counts only from the system
# configuration, as on a customer's machine.
export RDIAG_SYSTEM_CONFIG="$T_DIR/system.conf"
printf '[session]\nallow_unattended = yes\n' >"$RDIAG_SYSTEM_CONFIG"

s_keygen() { ssh-keygen -q -t ed25519 -N '' -C "$2" -f "$S_KEYS/$1"; }

# The SHA256:... fingerprint of a public key file.
s_fp() { ssh-keygen -lf "$1" | awk '{print $2}'; }

# Start the relay. Extra sshd_config lines may come on stdin.
s_relay_start() {
	local pub
	mkdir -p -m 0755 /run/sshd
	S_RELAY_PORT=$(t_free_port)
	S_ENG_PORT=$(t_free_port)
	S_LISTEN=$(t_free_port)
	S_OTHER_PORT=$(t_free_port)
	for k in relay_host agent engineer stranger rogue_agent; do
		[ -f "$S_KEYS/$k" ] || s_keygen "$k" "$k@test"
	done
	{
		echo "restrict,port-forwarding,permitlisten=\"127.0.0.1:$S_LISTEN\" $(cat "$S_KEYS/agent.pub")"
		for k in engineer stranger; do
			echo "restrict,port-forwarding,permitopen=\"127.0.0.1:$S_LISTEN\" $(cat "$S_KEYS/$k.pub")"
		done
	} >"$T_DIR/authorized_keys"
	cat >"$T_DIR/sshd_config" <<EOF
ListenAddress 127.0.0.1:$S_RELAY_PORT
ListenAddress 127.0.0.1:$S_ENG_PORT
HostKey $S_KEYS/relay_host
PidFile $T_DIR/sshd.pid
AuthorizedKeysFile $T_DIR/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
LogLevel VERBOSE
PermitRootLogin prohibit-password
AllowAgentForwarding no
X11Forwarding no
PermitTTY no
AllowTcpForwarding no
Match LocalPort $S_RELAY_PORT
	AllowTcpForwarding remote
	PermitOpen none
Match LocalPort $S_ENG_PORT
	AllowTcpForwarding local
	PermitListen none
EOF
	/usr/sbin/sshd -D -e -f "$T_DIR/sshd_config" 2>>"$T_DIR/relay.log" &
	S_SSHD_PID=$!
	T_PIDS+=("$S_SSHD_PID")
	# A stopped relay must be running again before it is killed.
	T_CLEANUPS+=("s_relay_cont")
	t_wait_port "$S_RELAY_PORT" 10
	t_wait_port "$S_ENG_PORT" 10
	pub=$(cut -d' ' -f1,2 "$S_KEYS/relay_host.pub")
	echo "[127.0.0.1]:$S_ENG_PORT $pub" >"$T_DIR/relay_known_hosts"
}

# The relay's processes: sshd and everything below it.
s_relay_pids() {
	local todo=("$S_SSHD_PID") p kids
	while [ ${#todo[@]} -gt 0 ]; do
		p=${todo[0]}
		todo=("${todo[@]:1}")
		echo "$p"
		kids=$(ps -o pid= --ppid "$p" 2>/dev/null || true)
		for k in $kids; do todo+=("$k"); done
	done
}
s_relay_stop() { kill -STOP $(s_relay_pids); }
s_relay_cont() { [ -n "$S_SSHD_PID" ] && kill -CONT $(s_relay_pids) 2>/dev/null || true; }

# The agent's config; extra [session] lines on stdin.
s_config() {
	mkdir -p "$S_STATE"
	{
		cat <<EOF
[session]
relay_host = 127.0.0.1
relay_port = $S_RELAY_PORT
engineer_port = $S_ENG_PORT
relay_user = $S_USER
relay_host_key = $(s_fp "$S_KEYS/relay_host.pub")
key = $S_KEYS/agent
listen_port = $S_LISTEN
state_dir = $S_STATE
allow_unattended = yes
EOF
		cat
	} >"$T_DIR/session.conf"
}

# Start `rdiag session --yes` in the background with ARGS; wait until the
# relay listens for it and its host key is known. Sets S_AGENT.
s_agent_start() {
	local i
	rm -f "$S_STATE"/*.host_key.pub
	"$RDIAG" session --config "$T_DIR/session.conf" --yes \
		--engineer-key "$S_KEYS/engineer.pub" "$@" \
		>"$T_DIR/agent.out" 2>"$T_DIR/agent.err" </dev/null &
	S_AGENT=$!
	T_PIDS+=("$S_AGENT")
	for ((i = 0; i < 400; i++)); do
		grep -q "is open" "$T_DIR/agent.out" 2>/dev/null && break
		kill -0 "$S_AGENT" 2>/dev/null || break
		sleep 0.05
	done
	s_known_hosts
}

# Pin the inner server's key for the engineer's ssh.
s_known_hosts() {
	local f
	f=$(ls "$S_STATE"/*.host_key.pub 2>/dev/null | head -n1)
	[ -n "$f" ] || return 1
	echo "[127.0.0.1]:$S_LISTEN $(cut -d' ' -f1,2 "$f")" >"$T_DIR/inner_known_hosts"
}

# The engineer: s_eng KEYNAME [ssh options and command...]
s_eng() {
	local key="$S_KEYS/$1"
	shift
	local common=(-F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes
		-o StrictHostKeyChecking=yes -o ConnectTimeout=10 -i "$key")
	ssh "${common[@]}" -o UserKnownHostsFile="$T_DIR/inner_known_hosts" \
		-o ProxyCommand="ssh ${common[*]} -o UserKnownHostsFile=$T_DIR/relay_known_hosts -p $S_ENG_PORT -W %h:%p $S_USER@127.0.0.1" \
		-p "$S_LISTEN" engineer@127.0.0.1 "$@"
}

# Wait for PID to exit within SECS; its exit status in S_RC (124: still
# running, then it is killed).
s_wait() {
	local pid=$1 secs=$2 i
	S_RC=124
	for ((i = 0; i < secs * 20; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			S_RC=0
			wait "$pid" || S_RC=$?
			return 0
		fi
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	return 1
}

# Does the audit log hold an event matching a Python condition on e?
# s_audit 'e["event"]=="join" and e["key"]=="SHA256:..."'
s_audit() {
	$PY -c '
import json, sys
ok = any(eval(sys.argv[2], {}, {"e": json.loads(l)}) for l in open(sys.argv[1]))
sys.exit(0 if ok else 1)' "$S_STATE/audit.jsonl" "$1"
}

# Count relay log lines with a connection from the agent's side.
s_relay_connections() {
	grep -c "Connection from 127.0.0.1 port [0-9]* on 127.0.0.1 port $S_RELAY_PORT" "$T_DIR/relay.log" || true
}

# Is anything listening on 127.0.0.1:PORT?
s_listening() {
	$PY -c "import socket,sys; s=socket.socket(); s.settimeout(1); sys.exit(s.connect_ex(('127.0.0.1',$1)))" 2>/dev/null
}

# t_check with a negated command: t_check "..." s_not grep -q x FILE
s_not() { ! "$@"; }

# The recording of the join event matching a Python condition on e.
s_recording() {
	$PY -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["event"] == "join" and eval(sys.argv[2], {}, {"e": e}):
        print(e["recording"])
        break' "$S_STATE/audit.jsonl" "$1"
}
