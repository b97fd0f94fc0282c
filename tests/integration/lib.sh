# Shared helpers for integration tests (sourced, not run). Each test starts
# the real servers it needs on loopback in a private directory and stops them
# on exit, so a test is self-contained and leaves nothing behind.
set -euo pipefail

: "${RDIAG:?RDIAG must name the rdiag binary}"
PY=/usr/bin/python3
T_DIR=$(mktemp -d /tmp/rdiag-it.XXXXXX)
chmod 0755 "$T_DIR"
T_PIDS=()
T_CLEANUPS=()
T_FAILED=0
T_PASSED=0

t_cleanup() {
	local pid c
	for c in "${T_CLEANUPS[@]:-}"; do [ -n "$c" ] && eval "$c" || true; done
	for pid in "${T_PIDS[@]:-}"; do
		[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	done
	for pid in "${T_PIDS[@]:-}"; do
		[ -n "$pid" ] && wait "$pid" 2>/dev/null || true
	done
	rm -rf "$T_DIR"
}
trap t_cleanup EXIT

# A free TCP port on 127.0.0.1 (asks the kernel, then releases it).
t_free_port() {
	$PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Wait until 127.0.0.1:PORT accepts connections, at most SECONDS (default 20).
t_wait_port() {
	local port=$1 secs=${2:-20} i
	for ((i = 0; i < secs * 20; i++)); do
		if $PY -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',$port)))" 2>/dev/null; then
			return 0
		fi
		sleep 0.05
	done
	echo "port $port did not open within ${secs}s" >&2
	return 1
}

t_ok() { T_PASSED=$((T_PASSED + 1)); echo "ok - $*"; }
t_fail() { T_FAILED=$((T_FAILED + 1)); echo "not ok - $*"; }

# t_check DESCRIPTION COMMAND...: runs the command, records pass/fail.
t_check() {
	local what=$1
	shift
	if "$@"; then t_ok "$what"; else t_fail "$what"; fi
}

# Extract with a Python expression over the JSON document in FILE, bound to j.
# e.g. t_json out.json 'sorted(f["id"] for f in j["findings"])'
t_json() {
	$PY -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"
}

# Does the --json verdict in FILE contain a finding with this id?
t_has_finding() {
	$PY -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if any(f["id"]==sys.argv[2] for f in j["findings"]) else 1)' "$1" "$2"
}

t_done() {
	echo "$T_PASSED passed, $T_FAILED failed"
	[ "$T_FAILED" -eq 0 ]
}
