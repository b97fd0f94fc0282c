#!/usr/bin/env bash
# rdiag against a real Request Tracker 5 (Debian package, SQLite copy)
# behind a TLS proxy: REST2 comment with the bundle attached, byte-identical
# when downloaded; the note is HTML (or text) with finding texts escaped;
# a wrong token and a missing ticket say so (exit 69, bundle kept); over
# RT's limit with a store, the bundle is stored and linked.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-upload.sh"
. "$(dirname "$0")/lib-ticket.sh"

d="$T_DIR/rt"
u_ca "$d" rt
port=$(t_free_port)
sport=$(t_free_port)
t0=$(date +%s.%N)
tk_rt "$d" "$port" "$sport"
echo "# rt set up and started in $($PY -c "print(round($(date +%s.%N) - $t0, 1))") s"
tk_tls_proxy "$d" "$sport" "$port"
tok=$TK_RT_TOKEN
tkt=$TK_RT_TICKET
url="rt+https://127.0.0.1:$sport"
tk_config "$d"
api() { curl -sf --cacert "$d/ca.pem" -H "Authorization: token $tok" "https://127.0.0.1:$sport/REST/2.0$1"; }
# rt_download NAME OUT: the newest attachment called NAME, decoded.
rt_download() {
	api "/ticket/$tkt/attachments?fields=Filename&orderby=id&order=DESC&per_page=100" >"$T_DIR/list"
	local id
	id=$($PY -c 'import json,sys; a=[x["id"] for x in json.load(open(sys.argv[1]))["items"] if x.get("Filename")==sys.argv[2]]; print(a[0] if a else "")' "$T_DIR/list" "$1")
	[ -n "$id" ] || return 1
	api "/attachment/$id" | $PY -c 'import base64,json,sys; sys.stdout.buffer.write(base64.b64decode(json.load(sys.stdin)["Content"]))' >"$2"
}
# The newest comment's text (the HTML part we posted).
rt_last_note() {
	api "/ticket/$tkt/attachments?fields=ContentType,Content,Subject&orderby=id&order=DESC&per_page=100" |
		$PY -c 'import base64,json,sys
for x in json.load(sys.stdin)["items"]:
    if x.get("ContentType") in ("text/html","text/plain") and x.get("Content"):
        c = x["Content"]
        try: c = base64.b64decode(c, validate=True).decode()
        except Exception: pass  # RT gives text parts as text
        sys.stdout.write(c); break'
}

b="$T_DIR/rdiag-host1-4711-20260101T000000Z.tar.gz"
tk_bundle "$b" host1 4711 "$TK_FINDINGS" 300
rc=0
RDIAG_TICKET_TOKEN=$tok "$RDIAG" upload "$b" --to "$url" --ticket "$tkt" \
	--config "$T_DIR/t.conf" >"$T_DIR/o1" 2>"$T_DIR/e1" || rc=$?
t_check "comment with attachment exits 0" test "$rc" = 0

rt_download "$(basename "$b")" "$T_DIR/down1" || true
t_check "downloaded attachment is byte-identical" cmp -s "$b" "$T_DIR/down1"
t_check "verified by size" grep -q "verified: .* $(stat -c %s "$b") bytes" "$T_DIR/o1"
rt_last_note >"$T_DIR/note1"
t_check "note is HTML with the groups and the failure" \
	bash -c "grep -q '<h4>For the customer&#39;s IT or another vendor' '$T_DIR/note1' && grep -q '<li><strong>FAIL</strong> PostgreSQL refuses \*this\* host' '$T_DIR/note1'"
t_check "note escapes HTML from findings" \
	bash -c "grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' '$T_DIR/note1' && ! grep -q '<script>' '$T_DIR/note1'"
t_check "note names bundle, size and hash" \
	bash -c "grep -q '$(sha256sum "$b" | cut -c1-64)' '$T_DIR/note1' && grep -q '($(stat -c %s "$b") bytes)' '$T_DIR/note1'"
t_check "token appears nowhere" bash -c "! grep -rqF -- '$tok' '$T_DIR/o1' '$T_DIR/e1' '$b.receipt.json'"

rc=0
RDIAG_TICKET_TOKEN=bad-$tok "$RDIAG" upload "$b" --to "$url" --ticket "$tkt" --force \
	--config "$T_DIR/t.conf" >/dev/null 2>"$T_DIR/e2" || rc=$?
t_check "wrong token: exit 69 with a clear 401, bundle kept" \
	bash -c "[ $rc = 69 ] && grep -q 'HTTP 401: RT refused the credentials' '$T_DIR/e2' && [ -f '$b' ] && ! grep -qF 'bad-$tok' '$T_DIR/e2'"
rc=0
RDIAG_TICKET_TOKEN=$tok "$RDIAG" upload "$b" --to "$url" --ticket 4242 --force \
	--config "$T_DIR/t.conf" >/dev/null 2>"$T_DIR/e3" || rc=$?
t_check "missing ticket: exit 69 with a clear 404" \
	bash -c "[ $rc = 69 ] && grep -q 'HTTP 404: no ticket #4242 in RT' '$T_DIR/e3'"

# A text/plain note is report.c's verdict text.
{ cat "$T_DIR/t.conf"; echo "rt_format = text"; echo "max_attachment = 100k"; } >"$T_DIR/text.conf"
b2="$T_DIR/rdiag-host1-4711-20260101T000001Z.tar.gz"
tk_bundle "$b2" host1 "$tkt" "$TK_FINDINGS" 300
rc=0
RDIAG_TICKET_TOKEN=$tok "$RDIAG" upload "$b2" --to "$url" \
	--config "$T_DIR/text.conf" >"$T_DIR/o4" 2>"$T_DIR/e4" || rc=$?
t_check "over the configured limit: stored, exit 0" \
	bash -c "[ $rc = 0 ] && cmp -s '$b2' '$T_DIR/store/$(basename "$b2")'"
rt_last_note >"$T_DIR/note4"
t_check "text note is the verdict text with the link" \
	bash -c "grep -q '^rdiag verdict for host1, ticket $tkt' '$T_DIR/note4' && grep -q '^Stored at: file://$T_DIR/store/$(basename "$b2")' '$T_DIR/note4'"
rt_download findings.json "$T_DIR/down4" || true
t_check "findings.json attached instead" cmp -s "$T_DIR/down4" <(tar -xzOf "$b2" "$(basename "$b2" .tar.gz)/findings.json")
t_done
