#!/usr/bin/env bash
# The terminal_server collector end to end with the real binary: a host
# without sessions is "not a terminal server"; three real xrdp 0.9.21
# listeners (security_layer negotiate, tls, rdp) give the security each
# selects and the failure code where one refuses; two test users with
# XRDP_SESSION processes and a synthetic utmp file make a terminal server
# whose sessions, MaxSessions, policy and locales are judged.
. "$(dirname "$0")/lib.sh"
export RDIAG_SYSTEM_CONFIG=""

command -v xrdp >/dev/null || { echo "xrdp is not installed" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "needs root (useradd, xrdp)" >&2; exit 1; }

run_ts() { # CONF OUT
	local rc=0
	"$RDIAG" run --only terminal_server --config "$1" --json --no-bundle \
		>"$2" 2>"$2.err" || rc=$?
	# 0/1/2 are verdicts; anything else is a broken run
	[ "$rc" -le 2 ] || { cat "$2.err" >&2; return 1; }
}

# finding_has OUT ID TEXT: a finding ID whose detail contains TEXT
finding_has() {
	$PY -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if any(f["id"]==sys.argv[2] and sys.argv[3] in (f.get("detail") or "") for f in j["findings"]) else 1)' "$1" "$2" "$3"
}

# lacks OUT ID TEXT: no finding ID whose detail contains TEXT
lacks() { ! finding_has "$@"; }

# finding_level OUT ID: the level of the first finding ID
finding_level() {
	t_json "$1" "[f['level'] for f in j['findings'] if f['id']=='$2'][0]"
}

: >"$T_DIR/empty-utmp"

# 1. Nothing here yet: not a terminal server, but configured hosts are
# still probed (nothing listens on the port yet).
p_none=$(t_free_port)
# (The Debian package enables xrdp at boot, so the system's xrdp.ini is kept
# out of this case: an enabled xrdp that does not run is case 2.)
cat >"$T_DIR/none.conf" <<CONF
[terminal_server]
utmp = $T_DIR/empty-utmp
sesman_ini = $T_DIR/missing/sesman.ini
xrdp_ini = $T_DIR/missing/xrdp.ini
rdp_host = 127.0.0.1:$p_none
CONF
run_ts "$T_DIR/none.conf" "$T_DIR/none.json"
t_check "no sessions: not a terminal server" \
	t_has_finding "$T_DIR/none.json" terminal_server.not_detected
t_check "no sessions: not called a terminal server" \
	lacks "$T_DIR/none.json" terminal_server.detected ""
t_check "configured host probed anyway: unreachable" \
	finding_has "$T_DIR/none.json" terminal_server.rdp.unreachable "127.0.0.1:$p_none"
t_check "wrong sesman_ini path is level 0" \
	test "$(finding_level "$T_DIR/none.json" terminal_server.config.path_missing)" = 0

openssl req -x509 -newkey rsa:2048 -nodes -days 10 -subj "/CN=rdiag-ts-test" \
	-keyout "$T_DIR/key.pem" -out "$T_DIR/cert.pem" 2>/dev/null
mkdir -p /run/xrdp/sockdir
# xrdp_ini FILE PORT MODE: an xrdp.ini listening on 127.0.0.1:PORT
xrdp_ini() {
	sed -e "s|^port=.*|port=tcp://.:$2|" \
		-e "s|^security_layer=.*|security_layer=$3|" \
		-e "s|^certificate=.*|certificate=$T_DIR/cert.pem|" \
		-e "s|^key_file=.*|key_file=$T_DIR/key.pem|" \
		-e "s|^LogFile=.*|LogFile=$1.log|" \
		-e "s|^EnableSyslog=.*|EnableSyslog=false|" \
		/etc/xrdp/xrdp.ini >"$1"
}

# 2. xrdp configured here (xrdp_ini) and running, then stopped: the RDP
# service is down (fail, level 4), not "not a terminal server".
p_svc=$(t_free_port)
xrdp_ini "$T_DIR/xrdp-svc.ini" "$p_svc" tls
cat >"$T_DIR/svc.conf" <<CONF
[terminal_server]
utmp = $T_DIR/empty-utmp
sesman_ini = $T_DIR/missing/sesman.ini
xrdp_ini = $T_DIR/xrdp-svc.ini
CONF
xrdp -n -c "$T_DIR/xrdp-svc.ini" >"$T_DIR/xrdp-svc.out" 2>&1 &
svc_pid=$!
T_PIDS+=($svc_pid)
t_wait_port "$p_svc" 10
run_ts "$T_DIR/svc.conf" "$T_DIR/svc-up.json"
t_check "xrdp configured and running: a terminal server" \
	t_has_finding "$T_DIR/svc-up.json" terminal_server.detected
t_check "xrdp configured and running: not down" \
	lacks "$T_DIR/svc-up.json" terminal_server.rdp.service_down ""
t_check "xrdp configured and running: its listener is probed" \
	finding_has "$T_DIR/svc-up.json" terminal_server.rdp.ok "127.0.0.1:$p_svc"
t_check "self-signed certificate is its own finding" \
	finding_has "$T_DIR/svc-up.json" terminal_server.rdp.cert_self_signed "CN=rdiag-ts-test"
t_check "a certificate without the address clients use: name mismatch" \
	finding_has "$T_DIR/svc-up.json" terminal_server.rdp.cert_name_mismatch "127.0.0.1:$p_svc"
t_check "self-signed is not also 'untrusted CA'" \
	lacks "$T_DIR/svc-up.json" terminal_server.rdp.cert_untrusted ""
t_check "an untrusted certificate is not 'valid'" \
	lacks "$T_DIR/svc-up.json" terminal_server.rdp.cert_ok ""
kill "$svc_pid"
wait "$svc_pid" 2>/dev/null || true
rc=0
"$RDIAG" run --only terminal_server --config "$T_DIR/svc.conf" --json \
	--no-bundle >"$T_DIR/svc-down.json" 2>/dev/null || rc=$?
t_check "xrdp configured but stopped: the RDP service is down" \
	finding_has "$T_DIR/svc-down.json" terminal_server.rdp.service_down "127.0.0.1:$p_svc: nothing listens there"
t_check "xrdp stopped: the detail names the configuration" \
	finding_has "$T_DIR/svc-down.json" terminal_server.rdp.service_down "xrdp_ini = $T_DIR/xrdp-svc.ini"
t_check "xrdp stopped: no xrdp process runs" \
	finding_has "$T_DIR/svc-down.json" terminal_server.rdp.service_down "no xrdp process runs"
t_check "xrdp stopped: fail at level 4, exit 2 (got $rc)" \
	test "$(t_json "$T_DIR/svc-down.json" "[(f['severity'], f['level']) for f in j['findings'] if f['id']=='terminal_server.rdp.service_down'][0]")/$rc" = "('fail', 4)/2"
t_check "xrdp stopped: not 'this host is not a terminal server'" \
	lacks "$T_DIR/svc-down.json" terminal_server.not_detected ""
t_check "xrdp stopped: said once, not also 'cannot be reached'" \
	lacks "$T_DIR/svc-down.json" terminal_server.rdp.unreachable ""

# 3. Three xrdp listeners with a self-signed certificate valid 10 days.
declare -A port
for mode in negotiate tls rdp; do
	port[$mode]=$(t_free_port)
	xrdp_ini "$T_DIR/xrdp-$mode.ini" "${port[$mode]}" "$mode"
	xrdp -n -c "$T_DIR/xrdp-$mode.ini" >"$T_DIR/xrdp-$mode.out" 2>&1 &
	T_PIDS+=($!)
done
for mode in negotiate tls rdp; do t_wait_port "${port[$mode]}" 10; done

cat >"$T_DIR/rdp.conf" <<CONF
[terminal_server]
utmp = $T_DIR/empty-utmp
rdp_host = 127.0.0.1:${port[negotiate]}
rdp_host = 127.0.0.1:${port[tls]}
rdp_host = 127.0.0.1:${port[rdp]}
CONF
run_ts "$T_DIR/rdp.conf" "$T_DIR/rdp.json"
neg="127.0.0.1:${port[negotiate]}"
tls="127.0.0.1:${port[tls]}"
rdp="127.0.0.1:${port[rdp]}"
t_check "negotiate: selects TLS for the best request" \
	finding_has "$T_DIR/rdp.json" terminal_server.rdp.plain_security "$neg: request 0x0b: selected TLS (0x01)"
t_check "negotiate: still accepts standard RDP security (warn)" \
	finding_has "$T_DIR/rdp.json" terminal_server.rdp.plain_security "request 0x00: selected standard RDP security"
t_check "tls: refuses standard RDP with failure 1 in plain words" \
	finding_has "$T_DIR/rdp.json" terminal_server.rdp.ok "$tls: request 0x0b: selected TLS (0x01); request 0x01: selected TLS (0x01); request 0x00: failure 1, the server requires TLS"
t_check "tls: no plain-security warning for it" \
	lacks "$T_DIR/rdp.json" terminal_server.rdp.plain_security "$tls"
t_check "rdp: selects standard RDP security even when TLS is asked" \
	finding_has "$T_DIR/rdp.json" terminal_server.rdp.plain_security "$rdp: request 0x0b: selected standard RDP security (0x00)"
t_check "xrdp does not require NLA" \
	finding_has "$T_DIR/rdp.json" terminal_server.rdp.nla_not_required "$tls"
t_check "certificate subject and expiry within 30 days" \
	finding_has "$T_DIR/rdp.json" terminal_server.rdp.cert_expiring "subject CN=rdiag-ts-test"
# Made with -days 10 moments ago: 10 days within the same second, else 9.
cert_days_shown() {
	finding_has "$T_DIR/rdp.json" terminal_server.rdp.cert_expiring "(in 9 days)" ||
		finding_has "$T_DIR/rdp.json" terminal_server.rdp.cert_expiring "(in 10 days)"
}
t_check "certificate days in the detail" cert_days_shown
t_check "rdp security level is 4 (the customer's IT)" \
	test "$(finding_level "$T_DIR/rdp.json" terminal_server.rdp.plain_security)" = 4

# 4. Sessions: two test users with xrdp session processes, one of them
# also logged in on a terminal (utmp), and a stale utmp entry.
u1=rdiagts1$$
u2=rdiagts2$$
S_PIDS=()
S_USERS=()
# Session processes must be gone before their users can be removed.
ts_cleanup() {
	local p u
	for p in "${S_PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
	for p in "${S_PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null; done
	for u in "${S_USERS[@]:-}"; do [ -n "$u" ] && userdel "$u"; done
	return 0
}
T_CLEANUPS+=(ts_cleanup)
for u in $u1 $u2; do
	useradd -M -d "$T_DIR/home/$u" -s /usr/sbin/nologin "$u"
	S_USERS+=("$u")
	mkdir -p "$T_DIR/home/$u"
	chown "$u" "$T_DIR/home/$u"
done
as_user() { # USER ENV... -- starts sleep as USER with only ENV
	local u=$1
	shift
	# its own session, as sesman and sshd give each login
	setsid setpriv --reuid="$u" --regid="$u" --clear-groups \
		env -i "$@" sleep 300 &
	S_PIDS+=($!)
}
as_user $u1 XRDP_SESSION=1 DISPLAY=:60.0 USER=$u1 HOME="$T_DIR/home/$u1" LANG=C.UTF-8
leader1=$!
as_user $u1 XRDP_SESSION=1 DISPLAY=:60.0 USER=$u1 HOME="$T_DIR/home/$u1" LANG=C.UTF-8
as_user $u2 XRDP_SESSION=1 DISPLAY=:61.0 USER=$u2 HOME="$T_DIR/home/$u2"
as_user $u2 USER=$u2 HOME="$T_DIR/home/$u2"
shell2=$!
sleep 0.3
$PY - "$T_DIR/utmp" "$leader1" "$u1" "$shell2" "$u2" <<'PY'
import struct, sys, time
# glibc x86-64 struct utmp: 384 bytes
def entry(kind, pid, line, user):
    return struct.pack("<hhi32s4s32s256shhiii16s20s", kind, 0, pid,
                       line.encode(), line[-2:].encode(), user.encode(),
                       b"127.0.0.1", 0, 0, 0, int(time.time()), 0,
                       b"", b"")
USER_PROCESS, DEAD_PROCESS = 7, 8
path, p1, u1, p2, u2 = sys.argv[1:]
with open(path, "wb") as f:
    f.write(entry(USER_PROCESS, int(p1), "pts/70", u1))
    f.write(entry(USER_PROCESS, int(p2), "pts/71", u2))
    f.write(entry(USER_PROCESS, 4194000, "pts/72", "gone"))
    f.write(entry(DEAD_PROCESS, int(p2), "pts/73", u2))
PY
sed -e "s|^MaxSessions=.*|MaxSessions=2|" /etc/xrdp/sesman.ini >"$T_DIR/sesman.ini"
cat >"$T_DIR/ts.conf" <<CONF
[terminal_server]
utmp = $T_DIR/utmp
sesman_ini = $T_DIR/sesman.ini
xrdp_ini = $T_DIR/xrdp-tls.ini
CONF
run_ts "$T_DIR/ts.conf" "$T_DIR/ts.json"
t_check "sessions: a terminal server" \
	t_has_finding "$T_DIR/ts.json" terminal_server.detected
t_check "sessions: 2 xrdp sessions and a utmp login of 2 users, stale entry left out" \
	finding_has "$T_DIR/ts.json" terminal_server.detected "2 remote sessions, 3 sessions of 2 users"
t_check "sessions: MaxSessions 2 reached" \
	finding_has "$T_DIR/ts.json" terminal_server.sessions.at_limit "2 sessions in use, MaxSessions = 2"
t_check "sessions: disconnected sessions kept (Debian default)" \
	finding_has "$T_DIR/ts.json" terminal_server.policy.disconnected_kept "DisconnectedTimeLimit = 0"
t_check "sessions: the user without LANG is named" \
	finding_has "$T_DIR/ts.json" terminal_server.locale.missing "$u2 (none)"
t_check "sessions: the local xrdp listener from xrdp_ini is probed" \
	finding_has "$T_DIR/ts.json" terminal_server.rdp.ok "$tls"
t_check "sessions: per-user limits checked" \
	bash -c "$PY -c 'import json,sys; j=json.load(open(sys.argv[1])); ids={f[\"id\"] for f in j[\"findings\"]}; sys.exit(0 if ids & {\"terminal_server.limits.ok\",\"terminal_server.limits.open_files\",\"terminal_server.limits.processes\",\"terminal_server.inotify.watches\",\"terminal_server.limits.cgroup_pids\",\"terminal_server.limits.cgroup_memory\"} else 1)' '$T_DIR/ts.json'"
t_check "sessions: home and temp space measured" \
	bash -c "$PY -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if any(f[\"id\"].startswith(\"terminal_server.space.\") and \"directories\" in (f.get(\"detail\") or \"\") or f[\"id\"]==\"terminal_server.space.low\" for f in j[\"findings\"]) else 1)' '$T_DIR/ts.json'"
t_check "sessions: nothing left for the rdiag config to fix" \
	lacks "$T_DIR/ts.json" terminal_server.config.path_missing ""

t_done
