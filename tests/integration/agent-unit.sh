#!/usr/bin/env bash
# The systemd unit and the default agent.conf as cmake --install writes
# them: the unit passes `systemd-analyze verify` (where systemd-analyze
# exists) with the hardening it documents, and the default agent.conf is
# valid config that refuses to poll until poll_url is set.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-request.sh"
SRC=${RDIAG_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}

b="$T_DIR/build"
cmake -S "$SRC" -B "$b" -DRDIAG_TESTS=OFF -DCMAKE_INSTALL_PREFIX="$T_DIR/inst" \
	-DRDIAG_SYSCONFDIR="$T_DIR/inst/etc/rdiag" >/dev/null
unit="$b/rdiag-agent.service"
t_check "cmake configures the unit with the install paths" \
	grep -q "^ExecStart=$T_DIR/inst/bin/rdiag agent --config $T_DIR/inst/etc/rdiag/agent.conf$" "$unit"
for k in NoNewPrivileges=yes ProtectSystem=full PrivateTmp=yes ProtectHome=read-only StateDirectory=rdiag \
	CPUQuota=50% IOWeight=10 MemoryMax=256M Nice=10 IOSchedulingClass=idle; do
	t_check "unit sets $k" grep -qx "$k" "$unit"
done
t_check "no secret on the unit's command line" bash -c "! grep -E '^ExecStart=.*(AWS|PASSWORD|SECRET)' '$unit'"
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$T_DIR/inst/bin" "$T_DIR/inst/etc/rdiag"
	cp "$RDIAG" "$T_DIR/inst/bin/rdiag"
	cp "$SRC/scripts/agent.conf" "$T_DIR/inst/etc/rdiag/"
	rc=0
	# --man=no: the man page is not installed in the test prefix. Other
	# units on this machine may warn; only lines about ours count.
	systemd-analyze verify --man=no "$unit" >"$T_DIR/verify" 2>&1 || rc=$?
	t_check "systemd-analyze verify passes" bash -c "[ $rc = 0 ] && ! grep 'rdiag-agent.service' '$T_DIR/verify'"
	[ "$rc" = 0 ] || cat "$T_DIR/verify"
	sed 's/^ProtectSystem=full/ProtectSystm=full/' "$unit" >"$T_DIR/bad.service"
	t_check "verify would catch a broken unit (the check can fail)" \
		bash -c "systemd-analyze verify --man=no '$T_DIR/bad.service' 2>&1 | grep -q \"bad.service:.*Unknown key 'ProtectSystm'\""
else
	echo "# systemd-analyze not installed: verify skipped"
fi

rc=0
RDIAG_STATE_DIR="$T_DIR/state" "$RDIAG" approve --list --config "$SRC/scripts/agent.conf" >"$T_DIR/list" 2>&1 || rc=$?
t_check "default agent.conf is valid config" bash -c "[ $rc = 0 ] && grep -q 'no request is waiting' '$T_DIR/list'"
rc=0
RDIAG_STATE_DIR="$T_DIR/state" "$RDIAG" agent --once --config "$SRC/scripts/agent.conf" >/dev/null 2>"$T_DIR/e" || rc=$?
t_check "agent refuses to start without poll_url (64, says so)" \
	bash -c "[ $rc = 64 ] && grep -q 'poll_url is not set' '$T_DIR/e'"

t_done
