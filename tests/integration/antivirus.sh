#!/usr/bin/env bash
# The antivirus collector against a real ClamAV 1.4: clamd with a local
# signature database (no official signatures) and clamonacc watching the
# application's directory with OnAccessPrevention. The collector must find
# clamonacc's fanotify marks, attribute them to ClamAV, measure the
# slowdown, see EICAR blocked with --av-test, see the excluded directory as
# excluded; then the same without root; then with clamd down; then two
# real-time products at once, from processes started under product names.
. "$(dirname "$0")/lib.sh"
export RDIAG_SYSTEM_CONFIG=""

if [ "$(id -u)" != 0 ]; then
	echo "skipped: clamonacc needs root (fanotify)"
	exit 0
fi
for b in clamd clamonacc sigtool setpriv; do
	command -v "$b" >/dev/null || { echo "missing $b (scripts/install-deps)" >&2; exit 1; }
done

app="$T_DIR/data/app"
excl="$T_DIR/data/excluded"
mkdir -p "$app" "$excl" "$T_DIR/db" "$T_DIR/out"
chmod 0777 "$app" "$T_DIR/out"
# EICAR from pieces, so this script is not a test file itself.
$PY -c 'import sys; sys.stdout.write("X5O!P%@AP[4\\PZX54(P^)7CC)7}" + "$EICAR-STANDARD-" + "ANTIVIRUS-TEST-" + "FILE!$H+H*")' >"$T_DIR/eicar.bin"
(cd "$T_DIR" && sigtool --md5 eicar.bin >db/local.hdb)
rm -f "$T_DIR/eicar.bin"

port=$(t_free_port)
conf="$T_DIR/clamd.conf"
cat >"$conf" <<CONF
DatabaseDirectory $T_DIR/db
LocalSocket $T_DIR/clamd.sock
LocalSocketMode 666
TCPSocket $port
TCPAddr 127.0.0.1
Foreground yes
LogFile $T_DIR/clamd.log
OnAccessIncludePath $T_DIR/data
OnAccessExcludePath $excl
OnAccessPrevention yes
OnAccessExcludeUname clamav
CONF

clamd -c "$conf" >"$T_DIR/clamd.out" 2>&1 &
clamd_pid=$!
T_PIDS+=("$clamd_pid")
t_wait_port "$port" 30
clamonacc -c "$conf" --foreground --fdpass >"$T_DIR/clamonacc.out" 2>&1 &
onacc_pid=$!
T_PIDS+=("$onacc_pid")
# clamonacc marks the include path and its subdirectories within seconds.
marked=no
for _ in $(seq 1 100); do
	n=$(cat /proc/"$onacc_pid"/fdinfo/* 2>/dev/null | grep -c '^fanotify ino:' || true)
	if [ "${n:-0}" -ge 2 ]; then marked=yes; break; fi
	sleep 0.1
done
t_check "clamonacc set its fanotify marks" test "$marked" = yes

cfg="$T_DIR/rdiag.conf"
cat >"$cfg" <<CONF
[product]
data_dir = $app
[antivirus]
path = $excl
clamd_conf = $conf
files = 20
eicar_wait_ms = 1000
CONF

run() { # run OUT [args...]: the verdict JSON into OUT
	local out=$1
	shift
	"$RDIAG" run --only antivirus --config "$cfg" --json --no-bundle \
		--out "$T_DIR/out" "$@" >"$out" 2>"$out.err" || true
}
title() { # title FILE ID: the titles of all findings with that id
	t_json "$1" "'; '.join(f['title'] for f in j['findings'] if f['id']=='$2')"
}
# av_has FILE ID TEXT [FIELD]: a finding with this id whose FIELD (title)
# contains TEXT.
av_has() {
	$PY -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if any(sys.argv[3] in (f.get(sys.argv[4]) or "") for f in j["findings"] if f["id"]==sys.argv[2]) else 1)' "$1" "$2" "$3" "${4:-title}"
}
# av_count FILE ID: how many findings have this id.
av_count() {
	t_json "$1" "sum(1 for f in j['findings'] if f['id']=='$2')"
}

v="$T_DIR/watched.json"
run "$v" --av-test
t_check "collector finished" test "$(t_json "$v" 'j["collectors"][0]["status"]')" = ok
t_check "fanotify watcher found on the app dir" t_has_finding "$v" antivirus.watch.no_exclusion
t_check "exactly one watcher finding for the app dir" test "$(av_count "$v" antivirus.watch.no_exclusion)" = 1
t_check "watcher is ClamAV's clamonacc, by pid" \
	av_has "$v" antivirus.watch.no_exclusion "clamonacc (pid $onacc_pid) of ClamAV can block opens under $app"
t_check "hint has the exact exclusion line" \
	av_has "$v" antivirus.watch.no_exclusion "'OnAccessExcludePath $app'" hint
t_check "evidence is clamonacc's inode mark" \
	av_has "$v" antivirus.watch.no_exclusion "inode mark on $app" detail
t_check "slowdown measured" t_has_finding "$v" antivirus.timing.slow
echo "# $(title "$v" antivirus.timing.slow)"
t_check "EICAR blocked in the app dir" t_has_finding "$v" antivirus.eicar.blocked
echo "# $(title "$v" antivirus.eicar.blocked)"
t_check "EICAR denied with EPERM in the app dir" \
	av_has "$v" antivirus.eicar.blocked "under $app: the EICAR test file was denied with Operation not permitted"
t_check "excluded directory reported as excluded" \
	av_has "$v" antivirus.watch.excluded "ClamAV excludes $excl"
t_check "EICAR not blocked in the excluded directory" \
	av_has "$v" antivirus.eicar.not_blocked "in $excl was neither"
t_check "excluded directory not slower" av_has "$v" antivirus.timing.ok "under $excl"
t_check "clamd answers" t_has_finding "$v" antivirus.clamav.engine_ok
t_check "no official signatures reported" t_has_finding "$v" antivirus.clamav.signatures_missing
t_check "ClamAV listed as present with real-time scanning" \
	av_has "$v" antivirus.product.present "ClamAV 1.4"
t_check "... running with real-time scanning" \
	av_has "$v" antivirus.product.present "running with real-time scanning"
t_check "failures give exit code 2" test "$(t_json "$v" 'j["exit_code"]')" = 2
t_check "no test files left in the app dir" test -z "$(ls -A "$app")"
t_check "no test files left in the excluded dir" test -z "$(ls -A "$excl")"
t_check "no control directory left behind" \
	test -z "$(ls -d /dev/shm/.rdiag-av-ctl-* /tmp/.rdiag-av-ctl-* 2>/dev/null || true)"

# Without root: no fdinfo, but products, clamd.conf and timing still work.
chmod 0644 "$cfg" "$conf"
v="$T_DIR/nobody.json"
setpriv --reuid=nobody --regid=nogroup --clear-groups \
	"$RDIAG" run --only antivirus --config "$cfg" --json --no-bundle \
	--out "$T_DIR/out" >"$v" 2>"$v.err" || true
t_check "non-root run finished" test "$(t_json "$v" 'j["collectors"][0]["status"]')" = ok
t_check "non-root: fanotify part skipped with its reason" t_has_finding "$v" antivirus.fanotify.not_root
t_check "non-root: reason names root" av_has "$v" antivirus.fanotify.not_root "needs root"
t_check "non-root: ClamAV still found" t_has_finding "$v" antivirus.product.present
t_check "non-root: watch still known from clamd.conf" \
	av_has "$v" antivirus.watch.no_exclusion "from $conf" detail
t_check "non-root: timing still ran" t_has_finding "$v" antivirus.timing.slow
t_check "non-root: no watcher claimed absent" test "$(av_count "$v" antivirus.watch.none)" = 0

# clamd down (and clamonacc with it): no watcher, the engine is reported.
kill "$onacc_pid" "$clamd_pid" 2>/dev/null || true
wait "$onacc_pid" "$clamd_pid" 2>/dev/null || true
v="$T_DIR/down.json"
run "$v"
t_check "clamd down reported" t_has_finding "$v" antivirus.clamav.engine_down
# OnAccess is configured, so clamd should run: a warning for the AV's owner.
t_check "clamd down while on-access is configured: warn, level 4" \
	test "$(t_json "$v" "[(f['severity'], f['level']) for f in j['findings'] if f['id']=='antivirus.clamav.engine_down'][0]")" = "('warn', 4)"
t_check "clamd down: the detail says why it should run" \
	av_has "$v" antivirus.clamav.engine_down "$conf configures on-access scanning" detail
t_check "clamd down: not called 'not in use'" \
	test "$(av_count "$v" antivirus.clamav.not_used)" = 0

t_check "no fanotify watcher once clamonacc stopped" t_has_finding "$v" antivirus.watch.none
t_check "no watch warning once clamonacc stopped" \
	test "$(av_count "$v" antivirus.watch.no_exclusion)" = 0
t_check "no slowdown without clamonacc" t_has_finding "$v" antivirus.timing.ok

# ClamAV installed but not used: a clamd.conf without on-access scanning,
# no clamd, no clamonacc, nothing names its socket: information only.
cat >"$T_DIR/idle.conf" <<CONF
DatabaseDirectory $T_DIR/db
LocalSocket $T_DIR/idle.sock
Foreground yes
CONF
cat >"$T_DIR/idle-rdiag.conf" <<CONF
[product]
data_dir = $app
[antivirus]
clamd_conf = $T_DIR/idle.conf
files = 5
CONF
v="$T_DIR/idle.json"
"$RDIAG" run --only antivirus --config "$T_DIR/idle-rdiag.conf" --json \
	--no-bundle >"$v" 2>"$v.err" || true
t_check "installed, not used: information" \
	test "$(t_json "$v" "[(f['severity'], f['level']) for f in j['findings'] if f['id']=='antivirus.clamav.not_used'][0]")" = "('info', 4)"
t_check "installed, not used: no engine warning" \
	test "$(av_count "$v" antivirus.clamav.engine_down)" = 0
t_check "installed, not used: the detail names the socket asked" \
	av_has "$v" antivirus.clamav.not_used "$T_DIR/idle.sock" detail
# The same clamd.conf served by a real clamd: the engine answers.
clamd -c "$T_DIR/idle.conf" >"$T_DIR/idle.out" 2>&1 &
idle_pid=$!
T_PIDS+=("$idle_pid")
for _ in $(seq 1 300); do [ -S "$T_DIR/idle.sock" ] && break; sleep 0.1; done
v="$T_DIR/idle-up.json"
"$RDIAG" run --only antivirus --config "$T_DIR/idle-rdiag.conf" --json \
	--no-bundle >"$v" 2>"$v.err" || true
t_check "clamd started with it: the engine answers" \
	t_has_finding "$v" antivirus.clamav.engine_ok
t_check "clamd started with it: not 'not in use'" \
	test "$(av_count "$v" antivirus.clamav.not_used)" = 0
kill "$idle_pid" 2>/dev/null || true
wait "$idle_pid" 2>/dev/null || true

# Two real-time products, from processes started under their names.
mkdir -p "$T_DIR/opt/sophos-spl/plugins/av/sbin" "$T_DIR/opt/microsoft/mdatp/sbin"
cp /bin/sleep "$T_DIR/opt/sophos-spl/plugins/av/sbin/sophos_threat_detector"
cp /bin/sleep "$T_DIR/opt/microsoft/mdatp/sbin/wdavdaemon"
"$T_DIR/opt/sophos-spl/plugins/av/sbin/sophos_threat_detector" 120 &
T_PIDS+=("$!")
"$T_DIR/opt/microsoft/mdatp/sbin/wdavdaemon" 120 &
T_PIDS+=("$!")
sleep 0.2
v="$T_DIR/conflict.json"
run "$v"
t_check "two real-time products are a conflict" t_has_finding "$v" antivirus.product.conflict
t_check "the conflict names Sophos" av_has "$v" antivirus.product.conflict "Sophos"
t_check "the conflict names Microsoft Defender" \
	av_has "$v" antivirus.product.conflict "Microsoft Defender"
t_check "Sophos found by its process" \
	av_has "$v" antivirus.product.present "process sophos_threat_d (pid" detail
t_check "conflict is a failure" test "$(t_json "$v" 'j["exit_code"]')" = 2
for p in "${T_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
sleep 0.2
v="$T_DIR/alone.json"
run "$v"
t_check "no conflict once they are gone" \
	test "$(av_count "$v" antivirus.product.conflict)" = 0

t_done
