#!/usr/bin/env bash
# Contract test (Zendesk cannot run here): a responder that checks each
# request against Zendesk's API documentation, the two steps above all:
# POST /api/v2/uploads.json?filename=NAME with the raw bytes
# (application/binary), then PUT /api/v2/tickets/ID.json with
# ticket.comment.uploads naming the token; authentication as
# "EMAIL/token:TOKEN"; read-back through comments.json.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-upload.sh"
. "$(dirname "$0")/lib-ticket.sh"
SRC=${RDIAG_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}

d="$T_DIR/zendesk"
u_ca "$d" zendesk
echo "tok-$RANDOM$RANDOM" >"$d/token"
port=$(t_free_port)
$PY -W ignore "$SRC/tests/helpers/ticket_contract.py" zendesk "$port" "$d/srv.pem" "$d/srv.key" "$d" 2>>"$d/stderr" &
T_PIDS+=("$!")
t_wait_port "$port"
tok=$(cat "$d/token")
url="zendesk+https://127.0.0.1:$port"
cat >"$T_DIR/t.conf" <<CONF
[upload]
ca_file = $d/ca.pem
retries = 0
CONF
export RDIAG_TICKET_USER=agent@example.com

b="$T_DIR/rdiag-host1-4711-20260101T000000Z.tar.gz"
tk_bundle "$b" host1 4711 "$TK_FINDINGS" 80
rc=0
RDIAG_TICKET_TOKEN=$tok "$RDIAG" upload "$b" --to "$url" \
	--config "$T_DIR/t.conf" >"$T_DIR/o1" 2>"$T_DIR/e1" || rc=$?
t_check "exit 0" test "$rc" = 0
t_check "no request broke the contract" bash -c "! grep -q VIOLATION '$d/log' && ! grep -q DENIED '$d/log'"
t_check "the two documented steps, then the read-back" \
	test "$(grep -o '^OK [A-Z]* [a-z]*' "$d/log" | tr '\n' ' ')" = "OK GET ticket OK POST uploads OK PUT ticket OK GET comments "
t_check "the comment names the upload and is internal" grep -q 'OK PUT ticket uploads=1 public=False' "$d/log"
t_check "upload stored byte-identical" cmp -s "$b" "$d/files/$(basename "$b")"
t_check "html_body escapes the findings" \
	$PY -c 'import json,sys; b=json.loads(open(sys.argv[1]).readline())["ticket"]["comment"]["html_body"]; sys.exit(0 if "&lt;script&gt;alert(1)&lt;/script&gt;" in b and "<script>" not in b and "<h4>For the customer" in b else 1)' "$d/comments"
t_check "token appears nowhere" bash -c "! grep -rqF -- '$tok' '$T_DIR/o1' '$T_DIR/e1' '$b.receipt.json'"

rc=0
RDIAG_TICKET_TOKEN=wrong "$RDIAG" upload "$b" --to "$url" --force \
	--config "$T_DIR/t.conf" >/dev/null 2>"$T_DIR/e2" || rc=$?
t_check "wrong token: exit 69, clear 401 with Zendesk's words" \
	bash -c "[ $rc = 69 ] && grep -q \"HTTP 401: Zendesk refused the credentials.*Couldn't authenticate you\" '$T_DIR/e2'"
rc=0
RDIAG_TICKET_TOKEN=$tok "$RDIAG" upload "$b" --to "$url" --ticket 5 --force \
	--config "$T_DIR/t.conf" >/dev/null 2>"$T_DIR/e3" || rc=$?
t_check "unknown ticket: exit 69, clear 404" \
	bash -c "[ $rc = 69 ] && grep -q 'HTTP 404: no ticket #5 in Zendesk' '$T_DIR/e3'"
{ cat "$T_DIR/t.conf"; echo "[ticket]"; echo "max_attachment = 10k"; } >"$T_DIR/small.conf"
rc=0
RDIAG_TICKET_TOKEN=$tok "$RDIAG" upload "$b" --to "$url" --force \
	--config "$T_DIR/small.conf" >/dev/null 2>"$T_DIR/e4" || rc=$?
t_check "over the limit without a store: exit 69 naming the limit" \
	bash -c "[ $rc = 69 ] && grep -q \"larger than Zendesk's attachment limit (10.0 KiB)\" '$T_DIR/e4'"
t_done
