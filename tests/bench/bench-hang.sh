#!/usr/bin/env bash
# Benchmark (not a test): the whole `rdiag run` (default collectors) with a
# hung share and a dead database host configured must end within the
# longest configured deadline + 1 s. The share is a bindfs mount whose
# daemon is stopped (a killable hang), in a private mount namespace so no
# other process on the machine sees it; the database host is a port on
# 127.0.0.1 whose accept queue is full, so a connect gets no answer, as
# with a host that is down. Needs root, /dev/fuse, bindfs and unshare.
#   RDIAG_BENCH_DEADLINE_MS=3000   the per-check deadlines configured
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/lib-bench.sh"
rdiag=${RDIAG_BUILD:-$top/build-release}/rdiag
deadline_ms=${RDIAG_BENCH_DEADLINE_MS:-3000}
work=$(mktemp -d "${TMPDIR:-/tmp}/rdiag-bench-hang.XXXXXX")
trap 'kill "$dbpid" 2>/dev/null || true; rm -rf "$work"' EXIT
dbpid=

[[ -x $rdiag ]] || { echo "build $rdiag first (scripts/dev bench)" >&2; exit 1; }
if [[ $(id -u) != 0 || ! -w /dev/fuse ]] || ! command -v bindfs >/dev/null; then
	bench_row "hung share + dead database: whole run" "n/a" \
		"n/a" "n/a" "≤ longest deadline + 1 s" \
		"not measured: needs root, /dev/fuse and bindfs"
	exit 0
fi

# The dead host: listen with a backlog of 0, fill it, never accept.
/usr/bin/python3 - "$work/db.port" <<'PY' &
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(0)
port = s.getsockname()[1]
fill = [socket.socket() for _ in range(2)]
for f in fill:
    f.setblocking(False)
    try:
        f.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
open(sys.argv[1], "w").write(str(port))
time.sleep(600)
PY
dbpid=$!
for _ in $(seq 1 100); do [[ -s $work/db.port ]] && break; sleep 0.05; done
port=$(cat "$work/db.port")

cat >"$work/rdiag.conf" <<CONF
[agent]
min_free_mb = 1
[database]
connect_timeout_ms = $deadline_ms
[nas]
op_timeout_ms = $deadline_ms
probe_timeout_ms = $deadline_ms
[product]
network_timeout_ms = $deadline_ms
CONF

unshare -m bash -s "$rdiag" "$work" "$port" <<'SH'
set -u
rdiag=$1 work=$2 port=$3
mount --make-rprivate /
mkdir -p "$work/src/data" "$work/share" "$work/out"
bindfs -f "$work/src" "$work/share" </dev/null >/dev/null 2>&1 &
bpid=$!
for _ in $(seq 1 100); do grep -q " $work/share " /proc/self/mountinfo && break; sleep 0.05; done
ls "$work/share" >/dev/null
kill -STOP "$bpid"
t0=$(date +%s%3N)
RDIAG_SYSTEM_CONFIG="" "$rdiag" run --config "$work/rdiag.conf" --out "$work/out" \
	--nas "$work/share/data" --db "postgresql://app@127.0.0.1:$port/app" \
	--json >"$work/run.json" 2>/dev/null
echo "$? $(($(date +%s%3N) - t0))" >"$work/result"
dev=$(awk -v m="$work/share" '$5 == m { print $3 }' /proc/self/mountinfo | tail -n1)
{ echo 1 >"/sys/fs/fuse/connections/${dev#0:}/abort"; } 2>/dev/null || true
kill -CONT "$bpid" 2>/dev/null
umount -l "$work/share" 2>/dev/null
kill "$bpid" 2>/dev/null
exit 0
SH

read -r rc ms <"$work/result"
python3 - "$work/run.json" <<'PY' || true
import json, sys
j = json.load(open(sys.argv[1]))
for c in j.get("collectors", []):
    print("  %-16s %-8s %6s ms" % (c.get("name"), c.get("status"), c.get("duration_ms")))
PY
limit=$((deadline_ms + 1000))
bench_row "hung share + dead database: whole run (exit $rc)" \
	"$(bench_calc "$ms / 1000") s" "$(bench_calc "$limit / 1000") s (deadline + 1 s)" \
	"$(bench_calc "$limit / $ms")×" "≤ longest deadline + 1 s" \
	"$(bench_verdict "$ms" "<=" "$limit")"
