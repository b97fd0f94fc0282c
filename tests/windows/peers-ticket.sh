#!/usr/bin/env bash
# rdiag.exe's ticket attachment under wine against the same real Redmine 5
# and Request Tracker 5 as Linux rdiag (tests/integration/lib-ticket.sh:
# packaged servers on SQLite copies behind an nginx TLS proxy with a test
# CA): the same bundle posted by each side gives the same exit code,
# output, receipt and note, and rdiag.exe's attachment downloads
# byte-identical; a wrong key is refused alike with the bundle kept; a
# bundle over Redmine's limit goes to the file:// store on both sides.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/lib-upload.sh"
. "$(dirname "$0")/../integration/lib-ticket.sh"
. "$(dirname "$0")/lib/peers.sh"

t0=$(date +%s.%N)
rd="$T_DIR/redmine"
u_ca "$rd" redmine
rport=$(t_free_port)
rsport=$(t_free_port)
tk_redmine "$rd" "$rport"
tk_tls_proxy "$rd" "$rsport" "$rport"
rt="$T_DIR/rt"
mkdir -p "$rt"
cp "$rd/ca.pem" "$rd/srv.pem" "$rd/srv.key" "$rt/"
tport=$(t_free_port)
tsport=$(t_free_port)
tk_rt "$rt" "$tport" "$tsport"
tk_tls_proxy "$rt" "$tsport" "$tport"
tk_config "$rd"
echo "# redmine and rt up in $($PY -c "print(round($(date +%s.%N) - $t0, 1))") s"

rkey=$TK_REDMINE_KEY
issue=$TK_REDMINE_ISSUE
rtok=$TK_RT_TOKEN
tkt=$TK_RT_TICKET
src="$T_DIR/rdiag-host1-4711-20260101T000000Z.tar.gz"
tk_bundle "$src" host1 4711 "$TK_FINDINGS" 300
big="$T_DIR/rdiag-host1-4711-20260101T000001Z.tar.gz"
tk_bundle "$big" host1 "$issue" "$TK_FINDINGS" 6000

# tk_pair NAME BUNDLE TOKEN URL [ARGS...]: BUNDLE copied to $T_DIR/NAME/S/
# and posted by each side (S = l, w); outputs NAME.S.{out,err,rc}, both
# normalised to NAME.S.norm
tk_pair() {
	local name=$1 b=$2 tok=$3 url=$4 s rc f
	shift 4
	for s in l w; do
		mkdir -p "$T_DIR/$name/$s"
		f="$T_DIR/$name/$s/$(basename "$b")"
		cp "$b" "$f"
		rc=0
		if [ $s = l ]; then
			RDIAG_TICKET_TOKEN=$tok "$RDIAG" upload "$f" --to "$url" \
				--config "$T_DIR/t.conf" "$@" >"$T_DIR/$name.$s.out" \
				2>"$T_DIR/$name.$s.err" || rc=$?
		else
			RDIAG_TICKET_TOKEN=$tok exe upload "$f" --to "$url" \
				--config "$T_DIR/t.conf" "$@" >"$T_DIR/$name.$s.out" \
				2>"$T_DIR/$name.$s.err" || rc=$?
		fi
		echo "$rc" >"$T_DIR/$name.$s.rc"
		cat "$T_DIR/$name.$s.out" "$T_DIR/$name.$s.err" |
			sed "s#/$s/#/S/#g" >"$T_DIR/$name.$s.norm"
	done
}
# receipt NAME S BUNDLE: the side's receipt without its time
receipt() {
	t_json "$T_DIR/$1/$2/$(basename "$3").receipt.json" \
		'json.dumps({k: v for k, v in j.items() if k != "time"}, sort_keys=True)' |
		sed "s#/$2/#/S/#g"
}
same_posted() {
	w_same_rc "$1: exit code" "$1" 0
	w_same_file "$1: same output" "$T_DIR/$1.l.norm" "$T_DIR/$1.w.norm"
	if [ -e "$T_DIR/$1/w/$(basename "$2").receipt.json" ] &&
		[ "$(receipt "$1" l "$2")" = "$(receipt "$1" w "$2")" ]; then
		t_ok "$1: same receipt"
	else
		t_fail "$1: receipts differ"
	fi
}
same_refused() {
	w_same_rc "$1: exit code" "$1" 69
	w_same_file "$1: same message" "$T_DIR/$1.l.norm" "$T_DIR/$1.w.norm"
	t_check "$1 (w): bundle kept, no receipt" bash -c \
		"cmp -s '$2' '$T_DIR/$1/w/$(basename "$2")' && [ ! -e '$T_DIR/$1/w/$(basename "$2").receipt.json' ]"
}

# Redmine: attachment and note.
rapi() { curl -sf --cacert "$rd/ca.pem" -H "X-Redmine-API-Key: $rkey" "https://127.0.0.1:$rsport$1"; }
# the last N journal notes, each as one JSON string a line
rnotes() {
	rapi "/issues/$issue.json?include=journals" | $PY -c 'import json, sys
n = [x["notes"] for x in json.load(sys.stdin)["issue"]["journals"] if x["notes"]]
for x in n[-int(sys.argv[1]):]: print(json.dumps(x))' "$1"
}
tk_pair redmine "$src" "$rkey" "redmine+https://127.0.0.1:$rsport" --ticket "$issue"
same_posted redmine "$src"
att=$(rapi "/issues/$issue.json?include=attachments" | $PY -c 'import json,sys; a=[x for x in json.load(sys.stdin)["issue"]["attachments"] if x["filename"]==sys.argv[1]]; print(a[-1]["id"] if len(a) == 2 else "")' "$(basename "$src")")
rapi "/attachments/download/$att" >"$T_DIR/rdown" || true
t_check "redmine: rdiag.exe's attachment is byte-identical" cmp -s "$src" "$T_DIR/rdown"
rnotes 2 >"$T_DIR/rnotes"
t_check "redmine: both notes are the same Textile" bash -c \
	"[ \$(wc -l <'$T_DIR/rnotes') = 2 ] && [ \"\$(sed -n 1p '$T_DIR/rnotes')\" = \"\$(sed -n 2p '$T_DIR/rnotes')\" ] && grep -q 'PostgreSQL refuses' '$T_DIR/rnotes'"
tk_pair redmine-key "$src" "wrong-$rkey" "redmine+https://127.0.0.1:$rsport" --ticket "$issue"
same_refused redmine-key "$src"
# Over Redmine's 5 MB: stored by file://, linked, findings.json attached.
tk_pair redmine-big "$big" "$rkey" "redmine+https://127.0.0.1:$rsport"
same_posted redmine-big "$big"
t_check "redmine-big: rdiag.exe's copy is in the store" \
	bash -c "ls '$T_DIR/store/' | grep -q . && cmp -s '$big' '$T_DIR/store/$(basename "$big")'"
rnotes 2 | sed "s#/[lw]/#/S/#g" >"$T_DIR/rbig"
t_check "redmine-big: both notes link the stored bundle alike" bash -c \
	"[ \"\$(sed -n 1p '$T_DIR/rbig')\" = \"\$(sed -n 2p '$T_DIR/rbig')\" ] && grep -q 'Stored at' '$T_DIR/rbig'"

# Request Tracker: REST2 comment with the attachment.
tapi() { curl -sf --cacert "$rt/ca.pem" -H "Authorization: token $rtok" "https://127.0.0.1:$tsport/REST/2.0$1"; }
# The newest N text parts we posted, each as one JSON string a line.
tnotes() {
	tapi "/ticket/$tkt/attachments?fields=ContentType,Content,Filename&orderby=id&order=DESC&per_page=100" |
		$PY -c 'import base64, json, sys
out = []
for x in json.load(sys.stdin)["items"]:
    if x.get("ContentType") in ("text/html", "text/plain") and x.get("Content") and not x.get("Filename"):
        c = x["Content"]
        try: c = base64.b64decode(c, validate=True).decode()
        except Exception: pass
        out.append(c)
for c in out[:int(sys.argv[1])]: print(json.dumps(c))' "$1"
}
tk_pair rt "$src" "$rtok" "rt+https://127.0.0.1:$tsport" --ticket "$tkt"
same_posted rt "$src"
tapi "/ticket/$tkt/attachments?fields=Filename&orderby=id&order=DESC&per_page=100" >"$T_DIR/tlist" || true
aid=$($PY -c 'import json,sys; a=[x["id"] for x in json.load(open(sys.argv[1]))["items"] if x.get("Filename")==sys.argv[2]]; print(a[0] if a else "")' "$T_DIR/tlist" "$(basename "$src")")
tapi "/attachment/$aid" | $PY -c 'import base64,json,sys; sys.stdout.buffer.write(base64.b64decode(json.load(sys.stdin)["Content"]))' >"$T_DIR/tdown" || true
t_check "rt: rdiag.exe's attachment is byte-identical" cmp -s "$src" "$T_DIR/tdown"
tnotes 2 >"$T_DIR/tnotes"
t_check "rt: both comments are the same HTML" bash -c \
	"[ \$(wc -l <'$T_DIR/tnotes') = 2 ] && [ \"\$(sed -n 1p '$T_DIR/tnotes')\" = \"\$(sed -n 2p '$T_DIR/tnotes')\" ] && grep -q 'PostgreSQL refuses' '$T_DIR/tnotes'"
tk_pair rt-key "$src" "wrong-$rtok" "rt+https://127.0.0.1:$tsport" --ticket "$tkt"
same_refused rt-key "$src"
echo "# peers-ticket.sh took $($PY -c "print(round($(date +%s.%N) - $t0, 1))") s"
t_done
