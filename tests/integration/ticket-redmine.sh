#!/usr/bin/env bash
# rdiag against a real Redmine 5 (Debian package, SQLite copy) behind a TLS
# proxy: the bundle is attached and byte-identical when downloaded, the note
# is the verdict in Textile with hostile finding texts escaped, a bundle
# over the limit goes to the store and the note links it with findings.json
# attached, a limit Redmine enforces itself (422) falls back to the store,
# a wrong key and a missing issue say so (exit 69, bundle kept), and
# `rdiag run --ticket --upload` posts its own verdict.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-upload.sh"
. "$(dirname "$0")/lib-ticket.sh"

d="$T_DIR/redmine"
u_ca "$d" redmine
port=$(t_free_port)
sport=$(t_free_port)
t0=$(date +%s.%N)
tk_redmine "$d" "$port"
echo "# redmine set up and started in $($PY -c "print(round($(date +%s.%N) - $t0, 1))") s"
tk_tls_proxy "$d" "$sport" "$port"
key=$TK_REDMINE_KEY
issue=$TK_REDMINE_ISSUE
url="redmine+https://127.0.0.1:$sport"
tk_config "$d"
api() { curl -sf --cacert "$d/ca.pem" -H "X-Redmine-API-Key: $key" "https://127.0.0.1:$sport$1"; }
journal_notes() { api "/issues/$issue.json?include=journals" | $PY -c 'import json,sys; print("\n".join(x["notes"] or "" for x in json.load(sys.stdin)["issue"]["journals"]))'; }

b="$T_DIR/rdiag-host1-4711-20260101T000000Z.tar.gz"
tk_bundle "$b" host1 4711 "$TK_FINDINGS" 300
rc=0
RDIAG_TICKET_TOKEN=$key "$RDIAG" upload "$b" --to "$url" --ticket "$issue" \
	--config "$T_DIR/t.conf" >"$T_DIR/o1" 2>"$T_DIR/e1" || rc=$?
t_check "attach exits 0" test "$rc" = 0
att=$(api "/issues/$issue.json?include=attachments" | $PY -c 'import json,sys; a=[x for x in json.load(sys.stdin)["issue"]["attachments"] if x["filename"]=="'"$(basename "$b")"'"]; print(a[-1]["id"] if a else "")')
api "/attachments/download/$att" >"$T_DIR/down1" || true
t_check "downloaded attachment is byte-identical" cmp -s "$b" "$T_DIR/down1"
t_check "verified with Redmine's SHA-256" grep -q "SHA-256 matches" "$T_DIR/o1"
journal_notes >"$T_DIR/notes1"
t_check "note is Textile with the groups" \
	grep -q '^h4\. For the customer&#39;s IT or another vendor' "$T_DIR/notes1"
t_check "note lists the failure with its id" grep -q '^\* \*FAIL\* PostgreSQL refuses &#42;this&#42; host &#60;script&#62;' "$T_DIR/notes1"
t_check "note escapes markup, links and macros" \
	bash -c "grep -q '&#91;&#91;Wiki&#93;&#93; &#123;&#123;toc&#125;&#125; &#35;1' '$T_DIR/notes1' && ! grep -q '<script>\\|{{toc}}\\|\\[\\[Wiki' '$T_DIR/notes1'"
t_check "note counts passed checks and names the bundle and hash" \
	bash -c "grep -q '^2 checks passed, 3 problems found' '$T_DIR/notes1' && grep -q '$(sha256sum "$b" | cut -c1-64)' '$T_DIR/notes1' && grep -q 'Posted by rdiag 0.1.0 from host host1' '$T_DIR/notes1'"
t_check "receipt says posted and verified" \
	test "$(t_json "$b.receipt.json" 'j["status"], j["ticket"], j["verified"]')" = "posted $issue True"
t_check "key appears nowhere" bash -c "! grep -rqF -- '$key' '$T_DIR/o1' '$T_DIR/e1' '$b.receipt.json'"

rc=0
RDIAG_TICKET_TOKEN=$key "$RDIAG" upload "$b" --to "$url" --ticket "$issue" \
	--config "$T_DIR/t.conf" >/dev/null 2>"$T_DIR/e2" || rc=$?
t_check "second post refused by the receipt" \
	bash -c "[ $rc = 0 ] && grep -q 'already posted' '$T_DIR/e2'"

# Over the 5 MB default: stored, linked, findings.json attached.
big="$T_DIR/rdiag-host1-4711-20260101T000001Z.tar.gz"
tk_bundle "$big" host1 "$issue" "$TK_FINDINGS" 6000
rc=0
RDIAG_TICKET_TOKEN=$key "$RDIAG" upload "$big" --to "$url" \
	--config "$T_DIR/t.conf" >"$T_DIR/o3" 2>"$T_DIR/e3" || rc=$?
t_check "too large: stored and linked (exit 0, ticket from the manifest)" \
	bash -c "[ $rc = 0 ] && cmp -s '$big' '$T_DIR/store/$(basename "$big")'"
journal_notes >"$T_DIR/notes3"
# The link as Textile-escaped text (file:// is not a web link).
link=$($PY -c 'import sys; print("".join("&#%d;" % ord(c) if c.isascii() and not c.isalnum() and c not in " .,/?" else c for c in sys.argv[1]))' "file://$T_DIR/store/$(basename "$big")")
t_check "note carries the link, size and hash" \
	bash -c "grep -qF 'Stored at&#58; $link' '$T_DIR/notes3' && grep -q '$(sha256sum "$big" | cut -c1-64)' '$T_DIR/notes3' && grep -q '&#40;$(stat -c %s "$big") bytes' '$T_DIR/notes3'"
fj=$(api "/issues/$issue.json?include=attachments" | $PY -c 'import json,sys; a=[x for x in json.load(sys.stdin)["issue"]["attachments"] if x["filename"]=="findings.json"]; print(a[-1]["id"] if a else "")')
api "/attachments/download/$fj" >"$T_DIR/down3" || true
t_check "findings.json attached instead" \
	$PY -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))[0]["id"]=="db.pg.no_hba_entry" else 1)' "$T_DIR/down3"
api "/issues/$issue.json?include=attachments" >"$T_DIR/att3"
t_check "big bundle not attached" \
	bash -c "grep -q findings.json '$T_DIR/att3' && ! grep -q '$(basename "$big")' '$T_DIR/att3'"

# Configured limit above Redmine's: Redmine's own 422 sends it to the store.
big2="$T_DIR/rdiag-host1-4711-20260101T000002Z.tar.gz"
tk_bundle "$big2" host1 "$issue" "$TK_FINDINGS" 6000
{ cat "$T_DIR/t.conf"; echo "max_attachment = 100M"; } >"$T_DIR/big.conf"
rc=0
RDIAG_TICKET_TOKEN=$key "$RDIAG" upload "$big2" --to "$url" -v \
	--config "$T_DIR/big.conf" >"$T_DIR/o4" 2>"$T_DIR/e4" || rc=$?
t_check "Redmine's 422 falls back to the store" \
	bash -c "[ $rc = 0 ] && grep -q 'HTTP 422' '$T_DIR/e4' && cmp -s '$big2' '$T_DIR/store/$(basename "$big2")'"
sed '/^store/d' "$T_DIR/big.conf" >"$T_DIR/nostore.conf"
rm -f "$big2.receipt.json"
rc=0
RDIAG_TICKET_TOKEN=$key "$RDIAG" upload "$big2" --to "$url" \
	--config "$T_DIR/nostore.conf" >/dev/null 2>"$T_DIR/e5" || rc=$?
t_check "422 without a store: exit 69, too large, bundle kept" \
	bash -c "[ $rc = 69 ] && grep -q 'HTTP 422.*too large for Redmine' '$T_DIR/e5' && grep -q 'maximum allowed file size' '$T_DIR/e5' && [ -f '$big2' ]"
sed '/^store/d' "$T_DIR/t.conf" >"$T_DIR/nostore2.conf"
rc=0
RDIAG_TICKET_TOKEN=$key "$RDIAG" upload "$big2" --to "$url" \
	--config "$T_DIR/nostore2.conf" >/dev/null 2>"$T_DIR/e5b" || rc=$?
t_check "over the known limit without a store: says the limit" \
	bash -c "[ $rc = 69 ] && grep -q \"larger than Redmine's attachment limit (5.0 MiB)\" '$T_DIR/e5b'"

rc=0
RDIAG_TICKET_TOKEN=wrong-$key "$RDIAG" upload "$b" --to "$url" --ticket "$issue" --force \
	--config "$T_DIR/t.conf" >/dev/null 2>"$T_DIR/e6" || rc=$?
t_check "wrong key: exit 69 with a clear 401, bundle kept" \
	bash -c "[ $rc = 69 ] && grep -q 'HTTP 401: Redmine refused the credentials' '$T_DIR/e6' && grep -q 'bundle is kept' '$T_DIR/e6' && [ -f '$b' ]"
t_check "wrong key not echoed" bash -c "! grep -qF -- 'wrong-$key' '$T_DIR/e6'"

rc=0
RDIAG_TICKET_TOKEN=$key "$RDIAG" upload "$b" --to "$url" --ticket 99999 --force \
	--config "$T_DIR/t.conf" >/dev/null 2>"$T_DIR/e7" || rc=$?
t_check "missing issue: exit 69 with a clear 404" \
	bash -c "[ $rc = 69 ] && grep -q 'HTTP 404: no issue #99999 in Redmine' '$T_DIR/e7'"

rc=0
"$RDIAG" upload "$b" --to "$url" --ticket "$issue" --force \
	--config "$T_DIR/t.conf" >/dev/null 2>"$T_DIR/e8" || rc=$?
t_check "no credentials: usage error naming the variable" \
	bash -c "[ $rc = 64 ] && grep -q 'RDIAG_TICKET_TOKEN' '$T_DIR/e8'"
rc=0
"$RDIAG" upload "$b" --to "redmine+https://u:secret@127.0.0.1:$sport" --ticket "$issue" \
	>/dev/null 2>"$T_DIR/e9" || rc=$?
t_check "password in the URL refused, not echoed" \
	bash -c "[ $rc = 64 ] && ! grep -q secret '$T_DIR/e9'"
printf '[ticket]\ntoken = %s\n' "$key" >"$T_DIR/loose.conf"
chmod 0644 "$T_DIR/loose.conf"
rc=0
"$RDIAG" upload "$b" --to "$url" --ticket "$issue" --config "$T_DIR/loose.conf" \
	>/dev/null 2>"$T_DIR/e10" || rc=$?
t_check "token in a world-readable config refused" \
	bash -c "[ $rc = 64 ] && grep -q 'chmod 600' '$T_DIR/e10'"

# rdiag run posts its own verdict.
mkdir -p "$T_DIR/out"
rc=0
RDIAG_TICKET_TOKEN=$key "$RDIAG" run --only system --ticket "$issue" --out "$T_DIR/out" \
	--upload "$url" --config "$T_DIR/t.conf" -q >"$T_DIR/o11" 2>"$T_DIR/e11" || rc=$?
rb=$(ls "$T_DIR"/out/rdiag-*.tar.gz 2>/dev/null | head -1)
t_check "run --ticket --upload attaches its bundle" \
	bash -c "[ $rc -le 2 ] && [ -n '$rb' ] && api_out=\$(curl -sf --cacert '$d/ca.pem' -H 'X-Redmine-API-Key: $key' 'https://127.0.0.1:$sport/issues/$issue.json?include=attachments') && grep -q \"\$(basename '$rb')\" <<<\"\$api_out\""
journal_notes >"$T_DIR/notes11"
t_check "run's note names its bundle and hash" \
	bash -c "[ -n '$rb' ] && grep -q \"\$(sha256sum '$rb' | cut -c1-64)\" '$T_DIR/notes11'"
t_done
