#!/usr/bin/env bash
# rdiag upload to nginx over HTTPS (WebDAV PUT) with a test CA: the stored
# file is byte-identical, receipts stop a second send, and every refusal
# (untrusted CA, wrong password, too large, pin mismatch) says why; through
# a CONNECT proxy; a server that dies mid-transfer leaves the bundle and the
# command to run later.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-upload.sh"

d="$T_DIR/nginx"
u_ca "$d" one
u_ca "$T_DIR/other" two
port=$(t_free_port)
u_nginx "$d" "$port"
pw=$(cat "$d/password")
base="https://vendor@127.0.0.1:$port"
cat >"$T_DIR/up.conf" <<CONF
[upload]
ca_file = $d/ca.pem
retries = 1
retry_delay_ms = 100
CONF
b="$T_DIR/bundle.tar.gz"
u_file "$b" 3000

rc=0
RDIAG_UPLOAD_PASSWORD=$pw "$RDIAG" upload "$b" --to "$base/up/t1/" --config "$T_DIR/up.conf" >"$T_DIR/o1" 2>"$T_DIR/e1" || rc=$?
t_check "https PUT exits 0" test "$rc" = 0
t_check "stored file is byte-identical" cmp -s "$b" "$d/www/up/t1/bundle.tar.gz"
t_check "receipt written with status and size" \
	test "$(t_json "$b.receipt.json" 'j["status"], j["size"]')" = "uploaded $(stat -c %s "$b")"
t_check "receipt names the target without credentials" \
	test "$(t_json "$b.receipt.json" 'j["target"]')" = "$base/up/t1/"
t_check "receipt printed" grep -q "^uploaded .* to $base/up/t1/" "$T_DIR/o1"
t_check "password appears nowhere" bash -c "! grep -rqF -- '$pw' '$T_DIR/o1' '$T_DIR/e1' '$b.receipt.json'"

rc=0
RDIAG_UPLOAD_PASSWORD=$pw "$RDIAG" upload "$b" --to "$base/up/t2/" --config "$T_DIR/up.conf" >/dev/null 2>"$T_DIR/e2" || rc=$?
t_check "second send refused by the receipt" \
	bash -c "[ $rc = 0 ] && grep -q 'already arrived' '$T_DIR/e2' && [ ! -e '$d/www/up/t2/bundle.tar.gz' ]"
rc=0
RDIAG_UPLOAD_PASSWORD=$pw "$RDIAG" upload "$b" --to "$base/up/t2/" --config "$T_DIR/up.conf" --force --json >"$T_DIR/j2" 2>/dev/null || rc=$?
t_check "--force sends again; --json summary" \
	bash -c "[ $rc = 0 ] && cmp -s '$b' '$d/www/up/t2/bundle.tar.gz' && [ \"\$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j[\"status\"], j[\"exit_code\"])' '$T_DIR/j2')\" = 'uploaded 0' ]"

small="$T_DIR/small.bin"
u_file "$small" 40
rc=0
RDIAG_UPLOAD_PASSWORD=$pw "$RDIAG" upload "$small" --to "$base/up/ca/" >/dev/null 2>"$T_DIR/e3" || rc=$?
t_check "untrusted CA refused (exit 69, names the cause)" \
	bash -c "[ $rc = 69 ] && grep -q 'not trusted' '$T_DIR/e3' && [ ! -e '$d/www/up/ca/small.bin' ]"
sed "s#$d/ca.pem#$T_DIR/other/ca.pem#" "$T_DIR/up.conf" >"$T_DIR/wrongca.conf"
rc=0
RDIAG_UPLOAD_PASSWORD=$pw "$RDIAG" upload "$small" --to "$base/up/ca/" --config "$T_DIR/wrongca.conf" >/dev/null 2>"$T_DIR/e3b" || rc=$?
t_check "wrong CA file refused" bash -c "[ $rc = 69 ] && grep -q 'not trusted' '$T_DIR/e3b'"

rc=0
RDIAG_UPLOAD_PASSWORD=wrong-$pw "$RDIAG" upload "$small" --to "$base/up/pw/" --config "$T_DIR/up.conf" >/dev/null 2>"$T_DIR/e4" || rc=$?
t_check "wrong password: exit 69 with a clear 401" \
	bash -c "[ $rc = 69 ] && grep -q 'HTTP 401.*credentials' '$T_DIR/e4' && grep -q 'rdiag upload' '$T_DIR/e4'"
t_check "wrong password not echoed" bash -c "! grep -qF -- 'wrong-$pw' '$T_DIR/e4'"

rc=0
RDIAG_UPLOAD_PASSWORD=$pw "$RDIAG" upload "$small" --to "$base/small/" --config "$T_DIR/up.conf" >/dev/null 2>"$T_DIR/e5" || rc=$?
t_check "too large: exit 69 with a clear 413" \
	bash -c "[ $rc = 69 ] && grep -q 'HTTP 413.*too large' '$T_DIR/e5'"

{ cat "$T_DIR/up.conf"; echo "pin_sha256 = $(cat "$d/pin")"; } >"$T_DIR/pin.conf"
rc=0
RDIAG_UPLOAD_PASSWORD=$pw "$RDIAG" upload "$small" --to "$base/up/pin/" --config "$T_DIR/pin.conf" >/dev/null 2>"$T_DIR/e6" || rc=$?
t_check "matching pin works" bash -c "[ $rc = 0 ] && cmp -s '$small' '$d/www/up/pin/small.bin'"
{ cat "$T_DIR/up.conf"; echo "pin_sha256 = sha256//$(cat "$T_DIR/other/pin")"; } >"$T_DIR/badpin.conf"
rm -f "$small.receipt.json"
rc=0
RDIAG_UPLOAD_PASSWORD=$pw "$RDIAG" upload "$small" --to "$base/up/badpin/" --config "$T_DIR/badpin.conf" >/dev/null 2>"$T_DIR/e7" || rc=$?
t_check "pin mismatch refused" \
	bash -c "[ $rc = 69 ] && grep -q 'pin_sha256' '$T_DIR/e7' && [ ! -e '$d/www/up/badpin/small.bin' ]"

rc=0
"$RDIAG" upload "$small" --to "https://vendor:$pw@127.0.0.1:$port/up/x/" >/dev/null 2>"$T_DIR/e8" || rc=$?
t_check "password in the URL refused, not echoed" \
	bash -c "[ $rc = 64 ] && grep -q 'never go on the command line' '$T_DIR/e8' && ! grep -qF -- '$pw' '$T_DIR/e8'"
{ cat "$T_DIR/up.conf"; echo "password = $pw"; } >"$T_DIR/open.conf"
chmod 0644 "$T_DIR/open.conf"
rc=0
"$RDIAG" upload "$small" --to "$base/up/x/" --config "$T_DIR/open.conf" >/dev/null 2>"$T_DIR/e9" || rc=$?
t_check "password in a 0644 config refused, naming the file" \
	bash -c "[ $rc = 64 ] && grep -q \"'$T_DIR/open.conf'.*0644\" '$T_DIR/e9'"
chmod 0600 "$T_DIR/open.conf"
rm -f "$small.receipt.json"
rc=0
"$RDIAG" upload "$small" --to "$base/up/cfgpw/" --config "$T_DIR/open.conf" >/dev/null 2>&1 || rc=$?
t_check "password from a 0600 config works" bash -c "[ $rc = 0 ] && cmp -s '$small' '$d/www/up/cfgpw/small.bin'"
rc=0
"$RDIAG" upload "$T_DIR/nope" --to "$base/up/x/" >/dev/null 2>&1 || rc=$?
t_check "missing bundle: exit 65" test "$rc" = 65
rc=0
"$RDIAG" upload "$small" --to "ftp://127.0.0.1/x" >/dev/null 2>&1 || rc=$?
t_check "unknown scheme: exit 64" test "$rc" = 64

# Through a CONNECT proxy, from the environment and from [upload] proxy.
pport=$(t_free_port)
u_tinyproxy "$T_DIR/proxy" "$pport"
rm -f "$small.receipt.json"
rc=0
HTTPS_PROXY="http://127.0.0.1:$pport" RDIAG_UPLOAD_PASSWORD=$pw "$RDIAG" upload "$small" \
	--to "$base/up/proxy-env/" --config "$T_DIR/up.conf" >/dev/null 2>"$T_DIR/e10" || rc=$?
t_check "upload through HTTPS_PROXY" bash -c "[ $rc = 0 ] && cmp -s '$small' '$d/www/up/proxy-env/small.bin'"
t_check "the proxy saw the CONNECT" grep -q "CONNECT 127.0.0.1:$port" "$T_DIR/proxy/tinyproxy.log"
before=$(grep -c "CONNECT 127.0.0.1:$port" "$T_DIR/proxy/tinyproxy.log")
{ cat "$T_DIR/up.conf"; echo "proxy = http://127.0.0.1:$pport"; } >"$T_DIR/proxy.conf"
rm -f "$small.receipt.json"
rc=0
RDIAG_UPLOAD_PASSWORD=$pw "$RDIAG" upload "$small" --to "$base/up/proxy-cfg/" --config "$T_DIR/proxy.conf" >/dev/null 2>&1 || rc=$?
t_check "upload through [upload] proxy, CONNECT seen" \
	bash -c "[ $rc = 0 ] && cmp -s '$small' '$d/www/up/proxy-cfg/small.bin' && [ \$(grep -c 'CONNECT 127.0.0.1:$port' '$T_DIR/proxy/tinyproxy.log') -gt $before ]"

# rdiag run --upload, with --remove-after-upload.
out="$T_DIR/out"
mkdir -p "$out"
printf '[agent]\nmin_free_mb = 1\n' >>"$T_DIR/up.conf"
rc=0
RDIAG_UPLOAD_PASSWORD=$pw "$RDIAG" run --only system --out "$out" --config "$T_DIR/up.conf" \
	--upload "$base/up/run/" --remove-after-upload --quiet >/dev/null 2>"$T_DIR/e11" || rc=$?
sent=$(ls "$d/www/up/run/" 2>/dev/null | head -1)
t_check "run --upload sent the bundle (verdict exit code kept)" \
	bash -c "[ $rc -le 2 ] && [ -n '$sent' ] && tar tzf '$d/www/up/run/$sent' | grep -q manifest.json"
t_check "--remove-after-upload removed it, kept the receipt" \
	bash -c "[ ! -e '$out/$sent' ] && [ -e '$out/$sent.receipt.json' ]"

# The server dies mid-transfer and stays down: retries run out.
d2="$T_DIR/nginx2"
mkdir -p "$d2" && cp "$d"/{srv.pem,srv.key,ca.pem} "$d2/"
port2=$(t_free_port)
u_nginx "$d2" "$port2"
big="$T_DIR/big.tar.gz"
u_file "$big" 4096
cat >"$T_DIR/slow.conf" <<CONF
[upload]
ca_file = $d/ca.pem
max_rate = 512K
retries = 2
retry_delay_ms = 200
connect_timeout = 2
CONF
rc=0
( sleep 1.5; kill "$U_NGINX_PID" ) &
RDIAG_UPLOAD_PASSWORD=$(cat "$d2/password") "$RDIAG" upload "$big" \
	--to "https://vendor@127.0.0.1:$port2/up/dead/" --config "$T_DIR/slow.conf" >/dev/null 2>"$T_DIR/e12" || rc=$?
t_check "server killed, retries exhausted: exit 69" test "$rc" = 69
t_check "bundle still there, no receipt" bash -c "[ -f '$big' ] && [ ! -e '$big.receipt.json' ]"
t_check "message says 3 attempts and what to run later" \
	bash -c "grep -q 'after 3 attempts' '$T_DIR/e12' && grep -q \"rdiag upload '$big' --to 'https://vendor@127.0.0.1:$port2/up/dead/'\" '$T_DIR/e12'"

t_done
