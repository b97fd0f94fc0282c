#!/usr/bin/env bash
# What a run shows while it works and how it ends, on a real terminal (a
# pty from script(1)) and in a pipe: the redrawn progress line names the
# running collector with its elapsed time against its deadline (a database
# peer that accepts and never answers keeps it busy for seconds), the bundle
# step shows bytes written, TERM=dumb gets plain lines and a pipe or --json
# nothing of it. The run ends with the next step, offers the configured
# [upload] to on a terminal, and `run --json` carries the version, start
# and end, the upload's result and an exit_code equal to the process's —
# clean, problems, nothing checked, uploaded and failed uploads (nginx and
# file:// targets as the upload tests use them).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-upload.sh"

if ! command -v script >/dev/null; then
	echo "skipped: needs script(1)"
	exit 0
fi

# A database peer that accepts and never says a word.
cat >"$T_DIR/silent.py" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
held = []
while True:
    held.append(s.accept()[0])
PY
port=$(t_free_port)
$PY "$T_DIR/silent.py" "$port" &
T_PIDS+=("$!")
t_wait_port "$port"
db="postgresql://u@127.0.0.1:$port/x"
mkdir -p "$T_DIR/data" "$T_DIR/out"
cat >"$T_DIR/slow.conf" <<CONF
[agent]
min_free_mb = 1
[database]
connect_timeout_ms = 3000
[product]
data_dir = $T_DIR/data
CONF

# tty_run TERM OUTFILE ARGS...: rdiag run on a pty; the exit code is rdiag's.
tty_run() {
	local term=$1 out=$2 cmd
	shift 2
	printf -v cmd '%q ' "$RDIAG" run "$@"
	TERM=$term script -q -e -c "$cmd" /dev/null </dev/null >"$out"
}

# --- the progress line on a terminal --------------------------------------
rc=0
tty_run xterm "$T_DIR/tty.out" --only database --db "$db" \
	--config "$T_DIR/slow.conf" --out "$T_DIR/out" --timeout 30 || rc=$?
t_check "tty: the run ends with the database's verdict (2)" test "$rc" = 2
t_check "tty: the redrawn line names the collector and its time against the deadline" \
	grep -qaE $'\r\\[running: database [0-9] s/30 s\\]' "$T_DIR/tty.out"
cat >"$T_DIR/gaps.py" <<'PY'
import re, sys
text = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
secs = [int(s) for s in re.findall(r"\[running: database (\d+) s/30 s\]", text)]
# Every second from 0 to the end was shown: nothing went silent longer
# (one second may be lost when a loaded machine does not schedule us).
want = set(range(0, max(secs) + 1))
assert len(want - set(secs)) <= 1, (sorted(set(secs)), sorted(want))
assert max(secs) >= 2, secs
PY
t_check "tty: every second of the slow collector was shown" \
	$PY "$T_DIR/gaps.py" "$T_DIR/tty.out"
t_check "tty: the bundle step shows bytes written" \
	grep -qaE $'\r\\[writing bundle: [0-9.]+ (B|KiB|MiB), [0-9]+ s\\]' "$T_DIR/tty.out"
t_check "tty: the progress line has no escape sequence" \
	bash -c "! grep -qaF \$'\\e[running' '$T_DIR/tty.out' && ! grep -qaF \$'\\e[K' '$T_DIR/tty.out'"
t_check "tty: the next step is said" \
	grep -qaE "^Send this file to your support: rdiag upload $T_DIR/out/rdiag-.*\.tar\.gz --to URL" "$T_DIR/tty.out"

# --- TERM=dumb: no redraw, plain lines ------------------------------------
rc=0
NO_COLOR=1 tty_run dumb "$T_DIR/dumb.out" --only database --db "$db" \
	--config "$T_DIR/slow.conf" --no-bundle --timeout 30 || rc=$?
t_check "TERM=dumb: exit 2" test "$rc" = 2
t_check "TERM=dumb: a plain progress line" \
	grep -qaE '^\[running: database 0 s/30 s\]'$'\r''?$' "$T_DIR/dumb.out"
t_check "TERM=dumb: never redrawn in place, no escape sequence" \
	bash -c "! grep -qaF \$'\\r[' '$T_DIR/dumb.out' && ! grep -qaF \$'\\e' '$T_DIR/dumb.out'"
t_check "TERM=dumb: at most one line per 5 s (a 3 s collector)" \
	test "$(grep -ac '\[running:' "$T_DIR/dumb.out")" -le 2

# --- pipes and --json stay clean ------------------------------------------
rc=0
"$RDIAG" run --only database --db "$db" --config "$T_DIR/slow.conf" \
	--out "$T_DIR/out" >"$T_DIR/pipe.out" 2>"$T_DIR/pipe.err" || rc=$?
t_check "pipe: exit 2" test "$rc" = 2
t_check "pipe: no progress line, no carriage return, no escape" \
	bash -c "! grep -qaE '\\[running|\\[writing bundle|'\$'\\r|\\e' '$T_DIR/pipe.out' '$T_DIR/pipe.err'"
t_check "pipe: still the collector's line and the next step" \
	bash -c "grep -q '^  database ' '$T_DIR/pipe.err' && grep -q '^Send this file to your support: rdiag upload ' '$T_DIR/pipe.out'"
rc=0
tty_run xterm "$T_DIR/json.tty" --only database --db "$db" \
	--config "$T_DIR/slow.conf" --no-bundle --json || rc=$?
t_check "--json on a terminal: no progress line" \
	bash -c "! grep -qa '\\[running' '$T_DIR/json.tty'"

# --- run --json: exit_code is the process's -------------------------------
# json_case NAME WANT ARGS...: run --json in a pipe and compare.
json_case() {
	local name=$1 want=$2 rc=0
	shift 2
	"$RDIAG" run --json "$@" >"$T_DIR/$name.json" 2>"$T_DIR/$name.err" || rc=$?
	t_check "--json $name: exit $want" test "$rc" = "$want"
	t_check "--json $name: exit_code in the JSON is the process's" \
		test "$(t_json "$T_DIR/$name.json" 'j["exit_code"]')" = "$rc"
	t_check "--json $name: version, RFC 3339 UTC start and end" $PY - "$T_DIR/$name.json" <<'PY'
import json, re, sys, datetime
j = json.load(open(sys.argv[1]))
assert j["format"] == "rdiag-verdict/1"
assert re.fullmatch(r"\d+\.\d+\.\d+.*", j["rdiag_version"]), j["rdiag_version"]
ts = [datetime.datetime.strptime(j[k], "%Y-%m-%dT%H:%M:%SZ") for k in ("started", "finished")]
assert ts[0] <= ts[1], ts
PY
}
json_case clean 0 --only product --config "$T_DIR/slow.conf" --no-bundle
json_case problems 2 --only database --db "$db" --config "$T_DIR/slow.conf" --no-bundle
RDIAG_SYSTEM_CONFIG="" json_case nothing 3 --only product,database --no-bundle
json_case refused 73 --only product --config "$T_DIR/slow.conf" --out "$T_DIR/no/such/dir"
t_check "--json refused: no verdict, the error says why" \
	test "$(t_json "$T_DIR/refused.json" '("findings" in j, j["error"])')" = \
	"(False, \"output directory '$T_DIR/no/such/dir' does not exist\")"
json_case badtarget 64 --only product --config "$T_DIR/slow.conf" --upload "gopher://127.0.0.1/x"
t_check "--json badtarget: the error names the target's problem" \
	bash -c "[ -n \"\$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"error\"] or \"\")' '$T_DIR/badtarget.json')\" ]"
t_check "--json nothing: upload is null without --upload" \
	test "$(t_json "$T_DIR/nothing.json" 'j["upload"]')" = None

# --- [upload] to: --upload without a URL, to nginx ------------------------
d="$T_DIR/nginx"
u_ca "$d" one
nport=$(t_free_port)
u_nginx "$d" "$nport"
export RDIAG_UPLOAD_PASSWORD
RDIAG_UPLOAD_PASSWORD=$(cat "$d/password")
target="https://vendor@127.0.0.1:$nport/up/t1/"
cat >"$T_DIR/up.conf" <<CONF
[agent]
min_free_mb = 1
[product]
data_dir = $T_DIR/data
[upload]
to = $target
ca_file = $d/ca.pem
retries = 1
retry_delay_ms = 100
CONF
mkdir -p "$T_DIR/o1"
json_case uploaded 0 --only product --config "$T_DIR/up.conf" --out "$T_DIR/o1" --upload
t_check "--upload alone: the bundle arrived at [upload] to" \
	bash -c "cmp -s '$T_DIR/o1/'rdiag-*.tar.gz '$d/www/up/t1/'\$(basename '$T_DIR/o1/'rdiag-*.tar.gz)"
t_check "--json uploaded: target, status and receipt" $PY - "$T_DIR/uploaded.json" "$target" <<'PY'
import json, sys
u = json.load(open(sys.argv[1]))["upload"]
assert u["target"] == sys.argv[2], u
assert u["status"] == "uploaded" and u["exit_code"] == 0, u
assert u["receipt"]["format"] == "rdiag-upload-receipt/1", u
assert u["receipt"]["status"] == "uploaded" and u["error"] is None and u["retry"] is None, u
PY
t_check "--json uploaded: the password appears nowhere" \
	bash -c "! grep -rqF -- \"\$RDIAG_UPLOAD_PASSWORD\" '$T_DIR/uploaded.json' '$T_DIR/uploaded.err'"
# A server that is gone: transient, retried, then failed with the retry.
dead=$(t_free_port)
mkdir -p "$T_DIR/o2"
json_case failed 69 --only product --config "$T_DIR/up.conf" --out "$T_DIR/o2" \
	--upload "https://127.0.0.1:$dead/up/"
t_check "--json failed: status, error and the retry command" $PY - "$T_DIR/failed.json" "$dead" <<'PY'
import json, sys
u = json.load(open(sys.argv[1]))["upload"]
assert u["status"] == "failed" and u["exit_code"] == 69 and u["receipt"] is None, u
assert u["error"] and u["retry"].startswith("rdiag upload '"), u
assert "--to 'https://127.0.0.1:%s/up/'" % sys.argv[2] in u["retry"], u
PY
rc=0
"$RDIAG" run --only product --upload >/dev/null 2>"$T_DIR/nourl.err" || rc=$?
t_check "--upload alone without [upload] to: usage error (64)" test "$rc" = 64
t_check "--upload alone without [upload] to: says what to give" \
	grep -q "give --upload URL" "$T_DIR/nourl.err"

# --- on a terminal the configured target is offered -----------------------
mkdir -p "$T_DIR/in" "$T_DIR/o3" "$T_DIR/o4"
cat >"$T_DIR/file.conf" <<CONF
[agent]
min_free_mb = 1
[product]
data_dir = $T_DIR/data
[upload]
to = file://$T_DIR/in
CONF
# script(1) turns echo off when its stdin is not a terminal: the answer
# is read but not shown.
ask_run() { # ANSWER OUT OUTFILE
	local cmd
	printf -v cmd '%q ' "$RDIAG" run --only product --config "$T_DIR/file.conf" --out "$2"
	printf '%s\n' "$1" | TERM=xterm script -q -e -c "$cmd" /dev/null >"$3"
}
rc=0
ask_run n "$T_DIR/o3" "$T_DIR/ask-n.out" || rc=$?
t_check "asked, no: exit 0" test "$rc" = 0
t_check "asked, no: the question names the target" \
	grep -qaF "Send it now to file://$T_DIR/in? [y/N]" "$T_DIR/ask-n.out"
t_check "asked, no: nothing sent, the next step without --to" \
	bash -c "[ -z \"\$(ls '$T_DIR/in')\" ] && grep -qaE 'Send this file to your support: rdiag upload $T_DIR/o3/rdiag-[^ ]*\\.tar\\.gz'\$'\\r''?\$' '$T_DIR/ask-n.out'"
rc=0
ask_run y "$T_DIR/o4" "$T_DIR/ask-y.out" || rc=$?
t_check "asked, yes: exit 0" test "$rc" = 0
t_check "asked, yes: the bundle arrived and the receipt is printed" \
	bash -c "cmp -s '$T_DIR/o4/'rdiag-*.tar.gz '$T_DIR/in/'\$(basename '$T_DIR/o4/'rdiag-*.tar.gz) && grep -qa '^uploaded .* to file://' '$T_DIR/ask-y.out' && grep -qa 'receipt:' '$T_DIR/ask-y.out'"
rc=0
"$RDIAG" run --only product --config "$T_DIR/file.conf" --out "$T_DIR/o3" \
	</dev/null >"$T_DIR/noask.out" 2>&1 || rc=$?
t_check "not a terminal: never asks, says the next step" \
	bash -c "[ $rc = 0 ] && ! grep -q 'Send it now' '$T_DIR/noask.out' && grep -q '^Send this file to your support: rdiag upload ' '$T_DIR/noask.out'"
rc=0
"$RDIAG" upload "$(ls "$T_DIR/o3/"rdiag-*.tar.gz | head -1)" --config "$T_DIR/file.conf" >/dev/null 2>&1 || rc=$?
t_check "rdiag upload FILE without --to sends to [upload] to" \
	bash -c "[ $rc = 0 ] && [ -n \"\$(ls '$T_DIR/in')\" ]"

# --- [upload] to an S3 store that verifies SigV4 (as upload-s3.sh) --------
s3="$T_DIR/s3"
u_ca "$s3" s3
secret="sk-$RANDOM$RANDOM$RANDOM"
sport=$(t_free_port)
vport=$(t_free_port)
u_s3 "$s3" "$sport" "$vport" "$secret"
mkdir -p "$T_DIR/o5"
cat >"$T_DIR/s3.conf" <<CONF
[agent]
min_free_mb = 1
[product]
data_dir = $T_DIR/data
[upload]
to = s3://bkt/in/
ca_file = $s3/ca.pem
s3_endpoint = https://127.0.0.1:$vport
s3_path_style = yes
s3_region = eu-central-1
retries = 1
retry_delay_ms = 100
CONF
AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=$secret \
	json_case s3 0 --only product --config "$T_DIR/s3.conf" --out "$T_DIR/o5" --upload
b5=$(basename "$T_DIR/o5/"rdiag-*.tar.gz)
t_check "--upload alone to s3: stored and signed" \
	bash -c "cmp -s '$T_DIR/o5/$b5' '$s3/data/bkt/in/$b5._S3rver_object' && grep -q 'OK PUT /bkt/in/$b5' '$s3/verifier.log'"
t_check "--upload alone to s3: the receipt in --json has the object's ETag" \
	test "$(t_json "$T_DIR/s3.json" 'j["upload"]["receipt"]["etag"].strip(chr(34))')" = \
	"$(md5sum <"$T_DIR/o5/$b5" | cut -d' ' -f1)"
t_check "--upload alone to s3: the secret appears nowhere" \
	bash -c "! grep -rqF -- '$secret' '$T_DIR/s3.json' '$T_DIR/s3.err'"

t_done
