#!/usr/bin/env bash
# Upload progress is drawn on stderr only when it is a terminal: rdiag
# upload runs under a pseudo-terminal to an HTTPS server (test CA) with
# [upload] max_rate making the transfer take about 2 s, and the terminal
# shows "DONE of TOTAL  RATE/s  ETA M:SS" frames growing to the total; with
# stderr a pipe, and with --json or --quiet on a terminal, no frame at all.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-upload.sh"
HELPERS="${RDIAG_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/helpers"

d="$T_DIR/srv"
u_ca "$d" progress
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
max_rate = 512K
retries = 0
CONF
b="$T_DIR/bundle.tar.gz"
u_file "$b" 1024

# frames FILE: the progress frames (text between carriage returns) drawn
# in FILE, one a line, as rdiag's draw_progress() prints them.
frames() {
	$PY -c 'import re,sys
t=open(sys.argv[1],"rb").read().decode("utf-8","replace")
pat=re.compile(r"^  (\d+ B|\d+\.\d (?:KiB|MiB)) of (\d+ B|\d+\.\d (?:KiB|MiB))  (\d+ B|\d+\.\d (?:KiB|MiB))/s  ETA (--:--|\d+:\d\d) *$")
for f in re.split(r"[\r\n]", t):
    if pat.match(f): print(f.strip())' "$1"
}

# 1. stderr on a terminal: progress.
rc=0
start=$(date +%s.%N)
$PY "$HELPERS/https_pty_run.py" "$T_DIR/tty1" "$T_DIR/out1" -- \
	"$RDIAG" upload "$b" --to "$base/up/tty/" --config "$T_DIR/up.conf" || rc=$?
secs=$($PY -c "import sys; print(round($(date +%s.%N) - $start, 1))")
frames "$T_DIR/tty1" >"$T_DIR/frames1"
t_check "upload on a terminal exits 0, bytes arrived" \
	bash -c "[ $rc = 0 ] && cmp -s '$b' '$d/www/up/tty/bundle.tar.gz'"
t_check "max_rate made the transfer take at least 1.5 s ($secs s)" \
	$PY -c "import sys; sys.exit(0 if $secs >= 1.5 else 1)"
t_check "progress frames were drawn on the terminal ($(wc -l <"$T_DIR/frames1"))" \
	test "$(wc -l <"$T_DIR/frames1")" -ge 3
t_check "an intermediate frame shows part of the total, a rate and an ETA" \
	grep -qE '^[0-9.]+ (B|KiB) of 1\.0 MiB  [1-9][0-9.]* (B|KiB|MiB)/s  ETA [0-9]+:[0-9]{2}$' "$T_DIR/frames1"
t_check "the rate shown is about max_rate (128 KiB/s to 1 MiB/s)" \
	$PY -c 'import re,sys
r=[re.search(r"  ([\d.]+) (KiB|MiB)/s", l) for l in open(sys.argv[1])]
r=[float(m.group(1))*(1024 if m.group(2)=="MiB" else 1) for m in r if m]
sys.exit(0 if r and 128 <= r[-1] <= 1024 else 1)' "$T_DIR/frames1"
t_check "the last frame shows the whole bundle" \
	bash -c "tail -1 '$T_DIR/frames1' | grep -q '^1\.0 MiB of 1\.0 MiB '"
t_check "bytes shown never go down" \
	$PY -c 'import sys
u={"B":1,"KiB":1024,"MiB":1048576}
v=[float(l.split()[0])*u[l.split()[1]] for l in open(sys.argv[1])]
sys.exit(0 if v and all(a<=b for a,b in zip(v,v[1:])) else 1)' "$T_DIR/frames1"
t_check "the progress line is ended (newline after the last frame)" \
	$PY -c 'import sys; sys.exit(0 if open(sys.argv[1],"rb").read().endswith(b"ETA 0:00   \r\n") else 1)' "$T_DIR/tty1"
t_check "progress goes to stderr only, stdout has the summary" \
	bash -c "! grep -qaE 'ETA|/s  ' '$T_DIR/out1' && grep -q '^uploaded ' '$T_DIR/out1'"

# 2. stderr a pipe (not a terminal): no progress at all.
rc=0
"$RDIAG" upload "$b" --to "$base/up/pipe/" --config "$T_DIR/up.conf" --force \
	2>&1 >"$T_DIR/out2" | cat >"$T_DIR/err2" || rc=$?
t_check "upload through pipes exits 0, bytes arrived" \
	bash -c "[ $rc = 0 ] && cmp -s '$b' '$d/www/up/pipe/bundle.tar.gz'"
t_check "no progress frame on a pipe (stderr)" bash -c "! grep -qaE 'ETA|[0-9] of [0-9]|/s  ' '$T_DIR/err2'"
t_check "no progress frame on a pipe (stdout)" bash -c "! grep -qaE 'ETA|/s  ' '$T_DIR/out2'"
t_check "no carriage return on a pipe" bash -c "! grep -qa $'\r' '$T_DIR/err2' '$T_DIR/out2'"
t_check "the summary is still printed" grep -q '^uploaded ' "$T_DIR/out2"

# 3. on a terminal, --json and --quiet draw nothing either.
for flag in --json --quiet; do
	rc=0
	$PY "$HELPERS/https_pty_run.py" "$T_DIR/tty$flag" "$T_DIR/out$flag" -- \
		"$RDIAG" upload "$b" --to "$base/up/tty$flag/" --config "$T_DIR/up.conf" --force $flag || rc=$?
	t_check "$flag on a terminal: exit 0, no progress" \
		bash -c "[ $rc = 0 ] && cmp -s '$b' '$d/www/up/tty$flag/bundle.tar.gz' && ! grep -qaE 'ETA|[0-9] of [0-9]|/s  ' '$T_DIR/tty$flag'"
done
t_check "--json on a terminal: stdout is one JSON object" \
	test "$(t_json "$T_DIR/out--json" 'j["status"]')" = uploaded

t_done
