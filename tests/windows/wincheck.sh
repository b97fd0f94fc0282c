#!/usr/bin/env bash
# The Windows collectors' live registry reads under wine: Defender, SMB
# client and RDP-Tcp values planted with `wine reg add` (in keys wine's
# prefix does not have; deleted again at the end) must give the findings
# the fixture tests give (tests/unit/test_wincheck.c). What wine lacks (WTS
# sessions, minifilters, the event log, WMI) must degrade, not fail.
#   RDIAG_EXE  build-windows/rdiag.exe   RDIAG_WINE wine's 64-bit loader
. "$(dirname "$0")/../integration/lib.sh"
: "${RDIAG_EXE:?RDIAG_EXE must name rdiag.exe}"
WINE=${RDIAG_WINE:-/usr/lib/wine/wine64}
export RDIAG_SYSTEM_CONFIG="" WINEDEBUG=-all
unset SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE

D='HKLM\SOFTWARE\Microsoft\Windows Defender'
P='HKLM\SOFTWARE\Policies\Microsoft\Windows Defender'
SVC='HKLM\SYSTEM\CurrentControlSet\Services'
RDP='HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp'

reg() { "$WINE" reg "$@" >/dev/null 2>&1; }
# A Linux path as wine's Z: drive names it.
wpath() { local p=${1//\//\\}; echo "Z:$p"; }
# (lib.sh runs with set -e: a key that is not there yet is no error here)
cleanup() {
	reg delete "$D" /f || true
	reg delete "$P" /f || true
	reg delete "$SVC\mrxsmb10" /f || true
	reg delete "$SVC\LanmanWorkstation\Parameters" /v \
		RequireSecuritySignature /f || true
	reg delete "$RDP" /v SecurityLayer /f || true
}
trap cleanup EXIT
cleanup

reg add "$D\Real-Time Protection" /v DisableRealtimeMonitoring /t REG_DWORD /d 0 /f
reg add "$D\Features" /v TamperProtection /t REG_DWORD /d 5 /f
reg add "$D\Exclusions\Paths" /v 'C:\Other' /t REG_DWORD /d 0 /f
reg add "$P\Windows Defender Exploit Guard\Controlled Folder Access" \
	/v EnableControlledFolderAccess /t REG_DWORD /d 1 /f
reg add "$P\Windows Defender Exploit Guard\ASR\Rules" \
	/v 01443614-cd74-433a-b99e-2ecdc07bfc25 /t REG_SZ /d 1 /f
reg add "$SVC\mrxsmb10" /v Start /t REG_DWORD /d 3 /f
reg add "$SVC\LanmanWorkstation\Parameters" /v RequireSecuritySignature \
	/t REG_DWORD /d 1 /f
reg add "$RDP" /v SecurityLayer /t REG_DWORD /d 0 /f

cat >"$T_DIR/rdiag.conf" <<'CONF'
[product]
data_dir = D:\DmsData
[antivirus]
executable = C:\Program Files\Dms\dms.exe
record_fixture = yes
[nas]
record_fixture = yes
[terminal_server]
record_fixture = yes
[eventlog]
record_fixture = yes
CONF
mkdir -p "$T_DIR/out"
rc=0
"$WINE" "$RDIAG_EXE" run --only antivirus,nas,terminal_server,eventlog \
	--config "$(wpath "$T_DIR/rdiag.conf")" --out "$(wpath "$T_DIR/out")" \
	--json \
	>"$T_DIR/w.json" 2>"$T_DIR/w.err" || rc=$?
t_check "rdiag.exe run of the Windows collectors writes a verdict (exit $rc)" \
	t_json "$T_DIR/w.json" 'j["format"]'

quiet() { "$@" >/dev/null; }
has() { # has ID SEVERITY LEVEL
	t_check "$1 ($2, level $3)" quiet t_json "$T_DIR/w.json" \
		"[f for f in j['findings'] if f['id'] == '$1' and f['severity'] == '$2' and f['level'] == $3][0]"
}
has antivirus.defender.realtime_blocks_app warn 2
has antivirus.defender.cfa_blocks_app warn 2
has antivirus.defender.asr_blocks_app warn 2
has antivirus.product.present info 4
has nas.smb_client.smb1_enabled warn 4
has nas.smb_client.signing_required info 4
has terminal_server.rdp.plain_security warn 4
has terminal_server.rds.not_installed ok 4
# wine has no wevtapi: said, not failed
has product.eventlog.unavailable info 0
t_check "... and says why" quiet t_json "$T_DIR/w.json" \
	"[f for f in j['findings'] if f['id'] == 'product.eventlog.unavailable' and f['detail'].startswith('EvtQuery: ')][0]"
t_check "the tamper-protection hint names Intune or Group Policy" \
	quiet t_json "$T_DIR/w.json" \
	"[f for f in j['findings'] if f['id'] == 'antivirus.defender.realtime_blocks_app' and 'Intune' in f['hint']][0]"

# record_fixture = yes: every collector's API results reach the bundle as
# windows-api.json (they once were refused there as "not a sealed staging
# file of this run"), and replayed through the fixture source they give
# exactly the findings the live registry gave.
mkdir -p "$T_DIR/x"
tar xzf "$T_DIR"/out/*.tar.gz -C "$T_DIR/x"
cp "$T_DIR/rdiag.conf" "$T_DIR/replay.conf"
sed -i '/^record_fixture/d' "$T_DIR/replay.conf"
for c in antivirus nas terminal_server eventlog; do
	f=$(ls "$T_DIR"/x/rdiag-*/collectors/$c/windows-api.json 2>/dev/null || true)
	t_check "$c: windows-api.json is in the bundle" test -s "$f"
	printf '[%s]\nfixture = %s\n' "$c" "$(wpath "$f")" >>"$T_DIR/replay.conf"
done
mkdir -p "$T_DIR/out2"
rc=0
"$WINE" "$RDIAG_EXE" run --only antivirus,nas,terminal_server,eventlog \
	--config "$(wpath "$T_DIR/replay.conf")" \
	--out "$(wpath "$T_DIR/out2")" --json \
	>"$T_DIR/r.json" 2>"$T_DIR/r.err" || rc=$?
same_findings() {
	python3 - "$T_DIR/w.json" "$T_DIR/r.json" <<'PY'
import json, sys
k = lambda p: sorted((f['id'], f['severity'], f['level'], f.get('detail', ''))
                     for f in json.load(open(p))['findings'])
a, b = k(sys.argv[1]), k(sys.argv[2])
sys.exit(0 if a == b and len(a) >= 9 else 1)
PY
}
t_check "the recorded results replayed give the same findings (exit $rc)" \
	same_findings
t_done
