#!/usr/bin/env bash
# `rdiag export` under faults: a finding without a collector does not crash
# it; Ctrl-C, SIGTERM and a crash of the exporting process leave neither
# the extracted copy of the customer's bundle nor a half-written part
# anywhere; the working copy is never beside the part.
. "$(dirname "$0")/lib.sh"
export RDIAG_SYSTEM_CONFIG=""
export TMPDIR="$T_DIR/tmp"
mkdir -p "$TMPDIR" "$T_DIR/out"

cat >"$T_DIR/mk.py" <<'PY'
import json, os, sys
sys.path.insert(0, os.path.join(os.environ["RDIAG_SRC"], "tests/helpers"))
import make_hostile as mh
out = sys.argv[1]
# A finding that names no collector.
fs = [{"id": "system.disk.low", "collector": "system", "severity": "warn",
       "level": 0, "title": "disk", "detail": "", "hint": ""},
      {"id": "x.orphan", "severity": "info", "level": 0, "title": "orphan"}]
files = mh.base_files(fs)
mh.write_tar(os.path.join(out, "orphan.tar.gz"), mh.members_of(files))
# A big artifact so that an export takes long enough to interrupt.
big = os.urandom(1 << 20) * 160
files = mh.base_files() + [("collectors/system/big.bin", big)]
mh.write_tar(os.path.join(out, "big.tar.gz"), mh.members_of(files))
PY
$PY "$T_DIR/mk.py" "$T_DIR"

rc=0
"$RDIAG" export "$T_DIR/orphan.tar.gz" --only system -o "$T_DIR/out/p.tar.gz" \
	>"$T_DIR/o1" 2>&1 || rc=$?
t_check "a finding without a collector: export works (0, got $rc)" test "$rc" = 0
t_check "the part holds the collector's finding, not the orphan" \
	bash -c "tar -xzOf '$T_DIR/out/p.tar.gz' --wildcards '*/findings.json' | grep -q system.disk.low && ! tar -xzOf '$T_DIR/out/p.tar.gz' --wildcards '*/findings.json' | grep -q x.orphan"
rm -f "$T_DIR/out/"*

# interrupt SIGNAL: start an export, send SIGNAL to rdiag (or, for SEGV, to
# the exporting child), and check that nothing was left behind.
interrupt() {
	local sig=$1 target pid child rc=0
	"$RDIAG" export "$T_DIR/big.tar.gz" --only system -o "$T_DIR/out/big-part.tar.gz" \
		>"$T_DIR/o-$sig" 2>&1 &
	pid=$!
	# Strike while the part is being written: its .partial exists.
	for _ in $(seq 1 500); do
		[ -e "$T_DIR/out/big-part.tar.gz.partial" ] && break
		sleep 0.01
	done
	child=$(pgrep -P "$pid" | head -1 || true)
	target=$pid
	[ "$sig" = SEGV ] && target=$child
	kill -"$sig" "$target" 2>/dev/null || true
	wait "$pid" || rc=$?
	t_check "SIG$sig: export ends with an error ($rc)" test "$rc" -ne 0
	t_check "SIG$sig: no working copy left in \$TMPDIR" test -z "$(ls -A "$TMPDIR")"
	t_check "SIG$sig: nothing beside the part, no .partial" test -z "$(ls -A "$T_DIR/out")"
	t_check "SIG$sig: says nothing was written" grep -q "nothing was written" "$T_DIR/o-$sig"
}
interrupt INT
interrupt TERM
interrupt SEGV

# A normal export leaves only the part and its sidecar.
"$RDIAG" export "$T_DIR/big.tar.gz" --only system -o "$T_DIR/out/big-part.tar.gz" >/dev/null
t_check "a finished export leaves the part and its sidecar, nothing else" \
	test "$(ls -A "$T_DIR/out" | sort | tr '\n' ' ')" = "big-part.tar.gz big-part.tar.gz.sha256 "
t_check "and no working copy" test -z "$(ls -A "$TMPDIR")"

echo "# $T_PASSED passed, $T_FAILED failed"
[ "$T_FAILED" -eq 0 ]
