#!/usr/bin/env bash
# rdiag upload --form FIELD: a multipart/form-data POST over HTTPS (test CA
# made here) to a Python server that parses the body strictly. The file
# arrives byte-identical in exactly FIELD, with the bundle's name and
# application/octet-stream; the receipt is written; a 413 (before the body
# via Expect: 100-continue, and after it) fails at once with exit 69, keeps
# the bundle and prints a command that would send it the same way.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-upload.sh"
HELPERS="${RDIAG_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/helpers"

d="$T_DIR/srv"
u_ca "$d" form
mkdir -p "$d/www"
port=$(t_free_port)
$PY "$HELPERS/https_server.py" "$port" "$d/srv.pem" "$d/srv.key" "$d/www" "$d/log.jsonl" \
	2>>"$d/stderr" &
T_PIDS+=("$!")
t_wait_port "$port"
base="https://127.0.0.1:$port"
cat >"$T_DIR/up.conf" <<CONF
[upload]
ca_file = $d/ca.pem
retries = 1
retry_delay_ms = 100
CONF
# srvlog PYEXPR: PYEXPR over the list r of logged requests matching METHOD
# and PATH (given as $1 $2), e.g. srvlog POST /form/t1/ 'len(r)'.
srvlog() {
	$PY -c 'import json,sys
r=[j for j in map(json.loads, open(sys.argv[1])) if j["method"]==sys.argv[2] and j["path"]==sys.argv[3]]
print(eval(sys.argv[4]))' "$d/log.jsonl" "$1" "$2" "$3"
}
sha() { sha256sum "$1" | cut -d' ' -f1; }
export d PY
export -f srvlog

# Larger than 1 MiB, so libcurl asks with Expect: 100-continue first.
b="$T_DIR/rdiag-app01-4711-20261128T081502Z.tar.gz"
u_file "$b" 1500
field=vendor_bundle.v2
rc=0
"$RDIAG" upload "$b" --to "$base/form/t1/" --form "$field" --config "$T_DIR/up.conf" \
	>"$T_DIR/o1" 2>"$T_DIR/e1" || rc=$?
t_check "multipart POST exits 0" test "$rc" = 0
t_check "one POST to the URL as given (no name appended, no PUT)" \
	bash -c "[ \"\$(srvlog POST /form/t1/ 'len(r), r[0][\"status\"]')\" = '(1, 201)' ] && ! grep -q '\"method\": \"PUT\"' '$d/log.jsonl'"
t_check "request is multipart/form-data with a boundary" \
	bash -c "srvlog POST /form/t1/ 'r[0][\"content_type\"]' | grep -q '^multipart/form-data; *boundary=.'"
t_check "exactly one part" test "$(srvlog POST /form/t1/ 'len(r[0]["parts"])')" = 1
t_check "the part is form-data named exactly '$field'" \
	test "$(srvlog POST /form/t1/ 'r[0]["parts"][0]["disposition"], r[0]["parts"][0]["name"]')" = "('form-data', '$field')"
t_check "the part's filename is the bundle's name" \
	test "$(srvlog POST /form/t1/ 'r[0]["parts"][0]["filename"]')" = "$(basename "$b")"
t_check "the part's Content-Type is application/octet-stream" \
	test "$(srvlog POST /form/t1/ 'r[0]["parts"][0]["content_type"]')" = application/octet-stream
stored="$d/www/form/t1/$(basename "$b")"
t_check "stored bytes equal the bundle (sha256)" \
	bash -c "[ -f '$stored' ] && [ \"\$(sha256sum <'$stored')\" = \"\$(sha256sum <'$b')\" ]"
t_check "the part the server parsed has the bundle's sha256" \
	test "$(srvlog POST /form/t1/ 'r[0]["parts"][0]["sha256"]')" = "$(sha "$b")"
t_check "receipt written: uploaded, size, https, target" \
	test "$(t_json "$b.receipt.json" 'j["status"], j["size"], j["scheme"], j["target"]')" = \
	"uploaded $(stat -c %s "$b") https $base/form/t1/"
etag=$(t_json "$b.receipt.json" 'j["etag"]')
t_check "receipt keeps the server's ETag" test "${etag#\"rdiag-test-}" != "$etag"
t_check "summary printed" grep -q "^uploaded $b .* to $base/form/t1/" "$T_DIR/o1"
t_check "bundle kept (no --remove-after-upload)" test -f "$b"

# A second field name, under 1 MiB (no Expect), also arrives exactly.
s="$T_DIR/small.bin"
u_file "$s" 20
rc=0
"$RDIAG" upload "$s" --to "$base/form/t2/" --form file --config "$T_DIR/up.conf" -q >/dev/null 2>&1 || rc=$?
t_check "small form upload: field 'file', same bytes" \
	bash -c "[ $rc = 0 ] && [ \"\$(srvlog POST /form/t2/ 'r[0][\"parts\"][0][\"name\"]')\" = file ] && cmp -s '$s' '$d/www/form/t2/small.bin'"

# later_has_form ERR BUNDLE URL: the "to send it later run:" command names
# the bundle, the target and --form FIELD.
later_has_form() {
	grep -F "to send it later run: rdiag upload '$2'" "$1" | grep -F -- "--to '$3'" |
		grep -qE -- "--form '?${field//./\\.}'?( |\$)"
}

# 413 before the body (Expect: 100-continue) and after it.
for kind in big small; do
	f=$b
	[ "$kind" = small ] && f=$s
	rm -f "$f.receipt.json"
	rc=0
	"$RDIAG" upload "$f" --to "$base/small/$kind/" --form "$field" --config "$T_DIR/up.conf" \
		>/dev/null 2>"$T_DIR/e413-$kind" || rc=$?
	t_check "413 ($kind): exit 69" test "$rc" = 69
	t_check "413 ($kind): the message says HTTP 413, too large, and names the target" \
		bash -c "grep -q 'HTTP 413.*too large' '$T_DIR/e413-$kind' && grep -qF '$base/small/$kind/' '$T_DIR/e413-$kind'"
	t_check "413 ($kind): not retried" test "$(srvlog POST "/small/$kind/" 'len(r)')" = 1
	t_check "413 ($kind): bundle kept, no receipt" bash -c "[ -f '$f' ] && [ ! -e '$f.receipt.json' ]"
	# Without --form the command printed would PUT instead: not the same.
	t_check "413 ($kind): the command to run later sends the form again" \
		later_has_form "$T_DIR/e413-$kind" "$f" "$base/small/$kind/"
done
t_check "the 413 before the body came from Expect: 100-continue" \
	test "$(srvlog POST /small/big/ 'r[0].get("expect")')" = True

rc=0
"$RDIAG" upload "$s" --to "file://$T_DIR/copy/" --form "$field" >/dev/null 2>"$T_DIR/e-file" || rc=$?
t_check "--form with a file:// target refused (64)" \
	bash -c "[ $rc = 64 ] && grep -q -- '--form works only with https://' '$T_DIR/e-file' && [ ! -e '$T_DIR/copy/small.bin' ]"

t_done
