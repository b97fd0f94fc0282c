#!/usr/bin/env bash
# Contract test (Jira cannot run here): a responder that checks each
# request against Jira's REST API documentation (attachment/meta, POST
# .../attachments with "X-Atlassian-Token: no-check" and multipart field
# "file", comment in wiki markup (API 2) or ADF (API 3), read-back) and
# answers as documented. Also: the limit from attachment/meta sends a large
# bundle to the store, a wrong token and an unknown issue say so.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-upload.sh"
. "$(dirname "$0")/lib-ticket.sh"
SRC=${RDIAG_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}

d="$T_DIR/jira"
u_ca "$d" jira
echo "tok-$RANDOM$RANDOM" >"$d/token"
echo 200000 >"$d/limit"
port=$(t_free_port)
$PY -W ignore "$SRC/tests/helpers/ticket_contract.py" jira "$port" "$d/srv.pem" "$d/srv.key" "$d" 2>>"$d/stderr" &
T_PIDS+=("$!")
t_wait_port "$port"
tok=$(cat "$d/token")
url="jira+https://127.0.0.1:$port"
mkdir -p "$T_DIR/store"
cat >"$T_DIR/t.conf" <<CONF
[upload]
ca_file = $d/ca.pem
retries = 0
[ticket]
store = file://$T_DIR/store/
CONF

b="$T_DIR/rdiag-host1-SUP-4711-20260101T000000Z.tar.gz"
tk_bundle "$b" host1 SUP-4711 "$TK_FINDINGS" 50
rc=0
RDIAG_TICKET_USER=agent@example.com RDIAG_TICKET_TOKEN=$tok "$RDIAG" upload "$b" --to "$url" \
	--config "$T_DIR/t.conf" >"$T_DIR/o1" 2>"$T_DIR/e1" || rc=$?
t_check "Cloud (e-mail + API token): exit 0" test "$rc" = 0
t_check "no request broke the contract" bash -c "! grep -q VIOLATION '$d/log'"
t_check "requests in the documented order" \
	test "$(grep -o '^OK [A-Z]* [a-z]*' "$d/log" | tr '\n' ' ')" = "OK GET issue OK GET meta OK POST attachments OK POST comment OK GET issue "
t_check "attachment stored byte-identical" cmp -s "$b" "$d/files/$(basename "$b")"
t_check "comment is wiki markup with escaped findings" \
	$PY -c 'import json,sys; b=json.loads(open(sys.argv[1]).readline())["body"]; sys.exit(0 if "h4. For the customer" in b and "* *FAIL* PostgreSQL refuses \\*this\\* host \\<script\\>" in b and "\\[\\[Wiki\\]\\] \\{\\{toc\\}\\}" in b else 1)' "$d/comments"

{ cat "$T_DIR/t.conf"; echo "jira_api = 3"; } >"$T_DIR/adf.conf"
: >"$d/log"
rc=0
RDIAG_TICKET_TOKEN=$tok "$RDIAG" upload "$b" --to "$url" --force \
	--config "$T_DIR/adf.conf" >/dev/null 2>"$T_DIR/e2" || rc=$?
t_check "Data Center (Bearer token), API 3: ADF comment" \
	bash -c "[ $rc = 0 ] && grep -q 'OK POST comment v3' '$d/log' && ! grep -q VIOLATION '$d/log'"
t_check "ADF keeps the finding text verbatim in text nodes" \
	$PY -c 'import json,sys
j=json.loads(open(sys.argv[1]).readlines()[-1])["body"]
def texts(n): return [n["text"]] if n.get("type")=="text" else sum((texts(c) for c in n.get("content",[])),[])
t="".join(texts(j)); sys.exit(0 if "PostgreSQL refuses *this* host <script>alert(1)</script>" in t else 1)' "$d/comments"

# Over the limit attachment/meta gives (200000 bytes): stored and linked.
big="$T_DIR/rdiag-host1-SUP-4711-20260101T000001Z.tar.gz"
tk_bundle "$big" host1 SUP-4711 "$TK_FINDINGS" 400
: >"$d/log"
rc=0
RDIAG_TICKET_TOKEN=$tok "$RDIAG" upload "$big" --to "$url" \
	--config "$T_DIR/t.conf" >/dev/null 2>"$T_DIR/e3" || rc=$?
t_check "over Jira's limit: stored, findings.json attached" \
	bash -c "[ $rc = 0 ] && cmp -s '$big' '$T_DIR/store/$(basename "$big")' && grep -q 'OK POST attachments findings.json' '$d/log' && ! grep -q 'OK POST attachments rdiag-' '$d/log'"
t_check "the note links the stored bundle (wiki-escaped)" \
	$PY -c 'import json,sys; b=json.loads(open(sys.argv[1]).readlines()[-1])["body"]; sys.exit(0 if "Stored at: file://" + sys.argv[2].replace("-", "\\-") in b else 1)' "$d/comments" "$T_DIR/store/$(basename "$big")"

rc=0
RDIAG_TICKET_TOKEN=wrong "$RDIAG" upload "$b" --to "$url" --force \
	--config "$T_DIR/t.conf" >/dev/null 2>"$T_DIR/e4" || rc=$?
t_check "wrong token: exit 69, clear 401" \
	bash -c "[ $rc = 69 ] && grep -q 'HTTP 401: Jira refused the credentials' '$T_DIR/e4'"
rc=0
RDIAG_TICKET_TOKEN=$tok "$RDIAG" upload "$b" --to "$url" --ticket SUP-1 --force \
	--config "$T_DIR/t.conf" >/dev/null 2>"$T_DIR/e5" || rc=$?
t_check "unknown issue: exit 69, clear 404 with Jira's words" \
	bash -c "[ $rc = 69 ] && grep -q 'HTTP 404: no issue SUP-1 in Jira.*Issue does not exist' '$T_DIR/e5'"
rc=0
RDIAG_TICKET_TOKEN=$tok "$RDIAG" upload "$b" --to "$url" --ticket 'sup 1' --force \
	--config "$T_DIR/t.conf" >/dev/null 2>"$T_DIR/e6" || rc=$?
t_check "malformed key refused before any request" \
	bash -c "[ $rc = 64 ] && grep -q 'not a Jira ticket id' '$T_DIR/e6'"
t_done
