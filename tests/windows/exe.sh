#!/usr/bin/env bash
# rdiag.exe under wine against Linux rdiag: the same words for version,
# help and bad input; keys made by either side work on the other; a bundle
# made by rdiag.exe (system, product, database collectors in re-executed
# workers) is verified by Linux `rdiag inspect`, and a Linux bundle signed
# with a key rdiag.exe made is inspected, extracted and diffed by rdiag.exe.
#   RDIAG      Linux rdiag            RDIAG_EXE  build-windows/rdiag.exe
#   RDIAG_WINE wine's 64-bit loader   (WINEPREFIX set up by the caller)
. "$(dirname "$0")/../integration/lib.sh"
: "${RDIAG_EXE:?RDIAG_EXE must name rdiag.exe}"
WINE=${RDIAG_WINE:-/usr/lib/wine/wine64}
export RDIAG_SYSTEM_CONFIG="" WINEDEBUG=-all
# Wine passes the Linux environment through: no CA file of the host's.
unset SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE

exe() { "$WINE" "$RDIAG_EXE" "$@"; }

# Same output and exit code on both sides.
same() {
	local what=$1 rl=0 rw=0
	shift
	"$RDIAG" "$@" >"$T_DIR/l.out" 2>"$T_DIR/l.err" || rl=$?
	exe "$@" >"$T_DIR/w.out" 2>"$T_DIR/w.err" || rw=$?
	if [ "$rl" = "$rw" ] && cmp -s "$T_DIR/l.out" "$T_DIR/w.out" &&
		cmp -s "$T_DIR/l.err" "$T_DIR/w.err"; then
		t_ok "$what (exit $rl)"
	else
		t_fail "$what (linux exit $rl, windows exit $rw)"
		diff "$T_DIR/l.out" "$T_DIR/w.out" | head -5 || true
		diff "$T_DIR/l.err" "$T_DIR/w.err" | head -5 || true
	fi
}

same "version" version
same "help" help
same "help run" help run
same "help inspect" help inspect
same "unknown command" frobnicate
same "bad --timeout" run --timeout soon
same "unknown collector" run --only nosuch
same "bad --since" run --since yesterday
# getopt_long's edges, where glibc and mingw-w64 differ underneath.
same "a value for a flag that takes none" run --json=1
same "a missing value" run --timeout
same "an unknown long option" run --bogus
same "an unknown letter in a cluster" run -jq
same "one dash too few" run -timeout 5
exe list >"$T_DIR/list" 2>&1
t_check "list names database, product, system" \
	bash -c "grep -q '^database ' '$T_DIR/list' && grep -q '^product ' '$T_DIR/list' && grep -q '^system ' '$T_DIR/list'"
t_check "list names the Windows antivirus, nas, terminal_server and eventlog" \
	bash -c "grep -q '^antivirus .*Defender' '$T_DIR/list' && grep -q '^nas .*SMB client' '$T_DIR/list' && grep -q '^terminal_server .*RDS' '$T_DIR/list' && grep -q '^eventlog ' '$T_DIR/list'"
t_check "list has the Windows system collector, not the Linux one" \
	grep -q '^system .*Windows version' "$T_DIR/list"

# Keys: made by rdiag.exe, used by Linux rdiag, and the reverse.
(cd "$T_DIR" && exe keygen --type sign wsign >/dev/null 2>&1 &&
	exe keygen --type encrypt wcrypt >/dev/null 2>&1 &&
	"$RDIAG" keygen --type sign lsign >/dev/null 2>&1)
t_check "rdiag.exe keygen writes both halves" \
	test -s "$T_DIR/wsign.key" -a -s "$T_DIR/wsign.pub" -a -s "$T_DIR/wcrypt.pub"
rc=0
(cd "$T_DIR" && exe keygen --type sign wsign) >/dev/null 2>&1 || rc=$?
t_check "rdiag.exe keygen never overwrites (exit $rc)" test "$rc" != 0

# A product to look at, with fake secrets that must not survive.
app="$T_DIR/app"
mkdir -p "$app/etc" "$app/log" "$T_DIR/lout" "$T_DIR/wout"
pw="FAKE-pw-$RANDOM$RANDOM"
printf '[db]\nhost = db.internal\npassword = %s\n' "$pw" >"$app/etc/app.ini"
for i in $(seq 1 50); do echo "2026-11-27T10:00:$((i % 60)) INFO request $i ok"; done >"$app/log/app.log"
echo "2026-11-27T10:01:00 ERROR connect failed" >>"$app/log/app.log"
# A PostgreSQL-speaking port that refuses: the database probe must answer.
port=$(t_free_port)
cat >"$T_DIR/rdiag.conf" <<CONF
[agent]
min_free_mb = 1
[product]
config = $app/etc/*.ini
log = $app/log/*.log
error_pattern = ERROR
[database]
url = postgresql://app@127.0.0.1:$port/app
CONF

# Windows bundle -> Linux inspect.
rc=0
exe run --only system,product,database --config "$T_DIR/rdiag.conf" \
	--out "$T_DIR/wout" --json \
	>"$T_DIR/w.json" 2>"$T_DIR/w.err" || rc=$?
wb=$(ls "$T_DIR"/wout/*.tar.gz 2>/dev/null | head -1 || true)
t_check "rdiag.exe run makes a bundle (exit $rc)" test -n "$wb"
t_check "rdiag.exe run: verdict JSON parses" t_json "$T_DIR/w.json" 'j["format"]'
for c in system product database; do
	t_check "rdiag.exe run: $c collector ran in a worker" \
		test "$(t_json "$T_DIR/w.json" "[x['status'] for x in j['collectors'] if x['name'] == '$c'][0] in ('ok', 'partial')")" = True
done
t_check "rdiag.exe run: the database probe found nothing listening" \
	grep -q 'db\.' "$T_DIR/w.json"
rc=0
"$RDIAG" inspect "$wb" >"$T_DIR/li.out" 2>&1 || rc=$?
t_check "Linux rdiag inspect verifies rdiag.exe's bundle (exit $rc)" test "$rc" = 0
t_check "the secret did not survive into rdiag.exe's bundle" \
	bash -c "! tar -xzOf '$wb' | grep -qa -- '$pw'"
t_check "rdiag.exe's bundle has the system facts" \
	bash -c "tar -xzOf '$wb' | grep -qa 'mem.total_kb'"

# Linux bundle, signed with a key rdiag.exe made -> rdiag.exe inspect
# (trusting that key), extract, diff. (Wine maps rdiag.exe's private DACL
# to no Unix mode: the key is made 0600 for Linux rdiag's check here.)
chmod 600 "$T_DIR/wsign.key"
rc=0
"$RDIAG" run --only product --config "$T_DIR/rdiag.conf" --out "$T_DIR/lout" \
	--sign "$T_DIR/wsign.key" --json >"$T_DIR/l.json" 2>/dev/null || rc=$?
lb=$(t_json "$T_DIR/l.json" 'j["bundle"]')
same "inspect of a Linux bundle signed with rdiag.exe's key" inspect "$lb" --trust "$T_DIR/wsign.pub"
same "inspect --json of a Linux bundle" inspect "$lb" --json
rc=0
exe extract "$lb" "$T_DIR/wx" >/dev/null 2>&1 || rc=$?
"$RDIAG" extract "$lb" "$T_DIR/lx" >/dev/null 2>&1 || true
t_check "rdiag.exe extract (exit $rc) gives Linux extract's files" \
	diff -r "$T_DIR/lx" "$T_DIR/wx"
same "diff of a Linux and a Windows bundle" diff "$lb" "$wb"
# (rdiag.exe --sign and inspect --key with keys from either side, signed and
# encrypted bundles both ways: peers-roundtrip.sh.)
t_done
