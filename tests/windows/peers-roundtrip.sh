#!/usr/bin/env bash
# Bundles cross between rdiag.exe under wine and Linux rdiag both ways,
# signed and encrypted: rdiag.exe signs with a Linux key (and Linux rdiag
# with one rdiag.exe made), each side verifies, inspects (the same --json),
# extracts (the same files) and diffs the other's bundles; a Linux bundle
# encrypted to a key rdiag.exe made is read by rdiag.exe and the reverse.
# The secret-key check reads the DACL on Windows: wine's DACL for a 0600
# file is private, a 0644 file is refused like on Linux.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/lib/peers.sh"

t0=$(date +%s.%N)
cd "$T_DIR"
"$RDIAG" keygen --type sign lsign >/dev/null 2>&1
"$RDIAG" keygen --type encrypt lcrypt >/dev/null 2>&1
exe keygen --type sign wsign >/dev/null 2>&1
exe keygen --type encrypt wcrypt >/dev/null 2>&1
# (wine keeps rdiag.exe's private DACL in an xattr and shows 0750 to
# Linux: Linux rdiag wants 0600)
chmod 600 wsign.key wcrypt.key
app="$T_DIR/app"
mkdir -p "$app" lo wo lx wx
printf '[db]\nhost = db.internal\n' >"$app/app.ini"
printf '2026-11-27T10:00:00 INFO ok\n2026-11-27T10:01:00 ERROR connect failed\n' >"$app/app.log"
cat >rdiag.conf <<CONF
[agent]
min_free_mb = 1
[product]
config = $app/*.ini
log = $app/*.log
error_pattern = ERROR
CONF

# bundle SIDE OUT ARGS...: one run, the bundle's path on stdout
bundle() {
	local side=$1 out=$2 rc=0
	shift 2
	if [ "$side" = l ]; then
		"$RDIAG" run --only system,product --config rdiag.conf --out "$out" \
			--json "$@" >"$out.json" 2>"$out.err" || rc=$?
	else
		exe run --only system,product --config rdiag.conf --out "$out" \
			--json "$@" >"$out.json" 2>"$out.err" || rc=$?
	fi
	[ "$rc" -le 2 ] || { tail -3 "$out.err" >&2; return 1; }
	t_json "$out.json" 'j["bundle"]'
}
mkdir -p wo/s wo/e lo/s lo/e
WS=$(bundle w wo/s --sign lsign.key) || true
t_check "rdiag.exe signs with a Linux key" test -s "$WS.sig"
WE=$(bundle w wo/e --sign wsign.key --encrypt-to "$(cat lcrypt.pub)") || true
t_check "rdiag.exe encrypts to a Linux recipient" \
	bash -c "[ -s '$WE' ] && [ ! -e '${WE%.age}' ]"
LS=$(bundle l lo/s --sign wsign.key) || true
LE=$(bundle l lo/e --sign lsign.key --encrypt-to "$(cat wcrypt.pub)") || true
t_check "Linux rdiag signs with rdiag.exe's key and encrypts to it" \
	bash -c "[ -s '$LS.sig' ] && [ -s '$LE' ]"

# Windows bundles read by Linux rdiag.
rc=0
"$RDIAG" inspect "$WS" --trust lsign.pub >insp1 2>&1 || rc=$?
t_check "Linux inspect --trust verifies rdiag.exe's signed bundle (exit $rc)" \
	bash -c "[ $rc = 0 ] && grep -q 'signature  valid.*(trusted)' insp1"
rc=0
"$RDIAG" inspect "$WE" --key lcrypt.key --trust wsign.pub >insp2 2>&1 || rc=$?
t_check "Linux inspect --key decrypts rdiag.exe's encrypted bundle (exit $rc)" \
	bash -c "[ $rc = 0 ] && grep -q 'decrypted with --key' insp2"
rc=0
"$RDIAG" inspect "$WS" --trust wsign.pub >/dev/null 2>&1 || rc=$?
t_check "Linux inspect: the wrong trusted key is refused (exit $rc)" test "$rc" = 65
w_pair insp-w inspect "$WS" --json
w_same_rc "inspect --json of rdiag.exe's bundle" insp-w 0
w_same_file "inspect --json of rdiag.exe's bundle: same output" \
	"$T_DIR/insp-w.l.out" "$T_DIR/insp-w.w.out"
"$RDIAG" extract "$WS" lx/ws >/dev/null 2>&1 || true
exe extract "$WS" wx/ws >/dev/null 2>&1 || true
t_check "extract of rdiag.exe's bundle: the same files on both sides" \
	bash -c "[ -s lx/ws/findings.json ] && diff -r lx/ws wx/ws"
w_pair diff-wl diff "$WS" "$LS"
w_same_rc "diff rdiag.exe bundle vs Linux bundle" diff-wl
w_same_file "diff rdiag.exe bundle vs Linux bundle: same output" \
	"$T_DIR/diff-wl.l.out" "$T_DIR/diff-wl.w.out"

# Linux bundles read by rdiag.exe.
w_pair insp-le inspect "$LE" --key wcrypt.key --trust lsign.pub --json
w_same_rc "inspect --key --trust of Linux's signed, encrypted bundle" insp-le 0
w_same_file "inspect --key --trust --json: same output" \
	"$T_DIR/insp-le.l.out" "$T_DIR/insp-le.w.out"
w_pair insp-ls inspect "$LS" --trust wsign.pub
w_same_rc "inspect --trust of a Linux bundle signed with rdiag.exe's key" insp-ls 0
w_same_file "inspect --trust: same output" "$T_DIR/insp-ls.l.out" "$T_DIR/insp-ls.w.out"
"$RDIAG" extract "$LE" lx/le --key wcrypt.key >/dev/null 2>&1 || true
exe extract "$LE" wx/le --key wcrypt.key >/dev/null 2>&1 || true
t_check "extract --key of Linux's encrypted bundle: the same files" \
	bash -c "[ -s lx/le/findings.json ] && diff -r lx/le wx/le"
w_pair diff-lw diff "$LS" "$WS"
w_same_file "diff Linux bundle vs rdiag.exe bundle: same output" \
	"$T_DIR/diff-lw.l.out" "$T_DIR/diff-lw.w.out"
# A secret key others can read is refused on both sides (wine's DACL
# for a 0644 file lets Everyone in).
cp wcrypt.key open.key
chmod 644 open.key
w_pair openkey inspect "$LE" --key open.key
w_same_rc "a secret key readable by others is refused" openkey 64
t_check "rdiag.exe names the key" grep -q "secret key 'open.key' is readable by others" "$T_DIR/openkey.w.err"
echo "# peers-roundtrip.sh took $($PY -c "print(round($(date +%s.%N) - $t0, 1))") s"
t_done
