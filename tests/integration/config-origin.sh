#!/usr/bin/env bash
# A bad value is traced back to where it was written: collectors' hints
# name the file as it was given (--config site.conf) or the system
# configuration, with the line; [agent], [upload] and [agentd] values
# refuse the command naming the same; a bad --db on the command line is
# exit 64 naming the flag.
. "$(dirname "$0")/lib.sh"
export RDIAG_SYSTEM_CONFIG=""
cd "$T_DIR"

cat >site.conf <<'CONF'
# a site's settings
[database]

url = http://x
connect_timeout_ms = 5
[system]
disk_warn_percent = 300
[product]
data_dir = rel
[terminal_server]
rdp_timeout_ms = x
[nas]
nfs_port = 0
[antivirus]
files = 0
CONF
"$RDIAG" run --only database,system,product,terminal_server,nas,antivirus \
	--config site.conf --no-bundle --json >out.json 2>/dev/null || true
hint_has() { # ID TEXT: the finding's hint (or detail) names TEXT
	$PY - out.json "$1" "$2" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
f = [f for f in j["findings"] if f["id"] == sys.argv[2]]
ok = f and sys.argv[3] in ((f[0]["hint"] or "") + " " + (f[0]["detail"] or ""))
if not ok:
    print(f, file=sys.stderr)
sys.exit(0 if ok else 1)
PY
}
for c in "db.url.invalid:line 4" "db.config.invalid:line 5" \
	"system.config.invalid:line 7" "product.setting.invalid:line 9" \
	"terminal_server.config.invalid:line 11" "nas.config.invalid:line 13" \
	"antivirus.setting.invalid:line 15"; do
	t_check "${c%%:*} names --config site.conf ${c#*:}" \
		hint_has "${c%%:*}" "--config site.conf ${c#*:}"
done
t_check "no hint sends the reader to a file that was not read" \
	bash -c "! grep -q '/etc/rdiag/rdiag.conf' out.json"

# The same values in the system configuration name that file.
RDIAG_SYSTEM_CONFIG="$T_DIR/site.conf" "$RDIAG" run --only system \
	--no-bundle --json >out.json 2>/dev/null || true
t_check "system configuration named with its path and line" \
	hint_has system.config.invalid "$T_DIR/site.conf line 7"

printf '[agent]\njobs = 2\n\n[agent]\ntimeout = never\n' >agent.conf
rc=0
"$RDIAG" run --config agent.conf --no-bundle 2>err || rc=$?
t_check "[agent] value: exit 64 naming --config agent.conf line 5" \
	bash -c "[ $rc = 64 ] && grep -q '^rdiag: --config agent.conf line 5: \[agent\] timeout' err"

printf 'bundle' >b.tar.gz
printf '[upload]\n\nretries = often\n' >up.conf
rc=0
"$RDIAG" upload b.tar.gz --to "file://$T_DIR/" --config up.conf 2>err || rc=$?
t_check "[upload] value: exit 64 naming --config up.conf line 3" \
	bash -c "[ $rc = 64 ] && grep -q '^rdiag: --config up.conf line 3: \[upload\] retries' err"
printf '[agentd]\npoll_url = https://127.0.0.1:9/r/\npoll_interval = 3d\n' >agentd.conf
rc=0
RDIAG_STATE_DIR="$T_DIR/state" "$RDIAG" approve --list --config agentd.conf 2>err || rc=$?
t_check "[agentd] value: exit 64 naming --config agentd.conf line 3" \
	bash -c "[ $rc = 64 ] && grep -q -- '--config agentd.conf line 3: \[agentd\] poll_interval' err"

rc=0
"$RDIAG" run --db 'postgresql://db01:99999/app' --no-bundle 2>err >out || rc=$?
t_check "bad --db URL: exit 64 naming --db, no verdict" \
	bash -c "[ $rc = 64 ] && grep -q '^rdiag: --db: ' err && [ ! -s out ]"
rc=0
"$RDIAG" run --only nas --nas relative/share --no-bundle 2>err >out || rc=$?
t_check "relative --nas PATH: exit 64 naming --nas, no verdict" \
	bash -c "[ $rc = 64 ] && grep -q '^rdiag: --nas: .relative/share. is not an absolute path' err && [ ! -s out ]"
t_done
