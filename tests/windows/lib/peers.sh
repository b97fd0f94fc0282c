# Shared helpers for the tests/windows/peers-*.sh scripts (sourced after
# tests/integration/lib.sh, not run: scripts/dev runs only
# tests/windows/*.sh). They drive rdiag.exe under wine and Linux rdiag
# against the same real servers on loopback, started once per script with
# the integration tests' own helpers, and compare what both say.
#   RDIAG      Linux rdiag            RDIAG_EXE  build-windows/rdiag.exe
#   RDIAG_WINE wine's 64-bit loader   (WINEPREFIX set up by the caller)
: "${RDIAG_EXE:?RDIAG_EXE must name rdiag.exe}"
WINE=${RDIAG_WINE:-/usr/lib/wine/wine64}
export RDIAG_SYSTEM_CONFIG="" WINEDEBUG=-all
# Wine passes the Linux environment through: no CA file of the host's, so
# rdiag.exe trusts only what a test configures (or the wine store).
unset SSL_CERT_FILE SSL_CERT_DIR CURL_CA_BUNDLE
# One wine session for the whole script: a persistent wineserver makes each
# rdiag.exe start take ~0.1 s instead of ~1 s (scripts/dev starts it too;
# this is for a script run by hand).
wineserver -p >/dev/null 2>&1 || true

exe() { "$WINE" "$RDIAG_EXE" "$@"; }

# w_pair NAME CMD ARGS...: runs `rdiag ARGS` and `rdiag.exe ARGS` (CMD is
# ignored, it documents the command) with stdout in $T_DIR/NAME.{l,w}.out,
# stderr in .err and exit code in .rc. Environment set with `env` before
# w_pair reaches both.
w_pair() {
	local name=$1 rc
	shift
	rc=0
	"$RDIAG" "$@" >"$T_DIR/$name.l.out" 2>"$T_DIR/$name.l.err" || rc=$?
	echo "$rc" >"$T_DIR/$name.l.rc"
	rc=0
	exe "$@" >"$T_DIR/$name.w.out" 2>"$T_DIR/$name.w.err" || rc=$?
	echo "$rc" >"$T_DIR/$name.w.rc"
}

# w_rc NAME SIDE: the exit code of SIDE (l or w) of the pair NAME
w_rc() { cat "$T_DIR/$1.$2.rc"; }

# w_same_rc WHAT NAME [RC]: both sides exited alike (and with RC if given)
w_same_rc() {
	local l w
	l=$(w_rc "$2" l)
	w=$(w_rc "$2" w)
	if [ "$l" = "$w" ] && { [ -z "${3:-}" ] || [ "$l" = "$3" ]; }; then
		t_ok "$1 (exit $l on both)"
	else
		t_fail "$1 (linux exit $l, windows exit $w, want ${3:-same})"
		head -3 "$T_DIR/$2.l.err" "$T_DIR/$2.w.err" || true
	fi
}

# w_same_file WHAT A B [nonempty]: two files have the same bytes (diff
# shown if not); with "nonempty", two empty files prove nothing and fail
w_same_file() {
	if { [ "${4:-}" != nonempty ] || [ -s "$2" ]; } && cmp -s "$2" "$3"; then
		t_ok "$1"
	else
		t_fail "$1"
		diff "$2" "$3" | head -6 || true
	fi
}

# w_ids FILE [EXCLUDE_RE]: "id/level" of each finding of a --json verdict,
# sorted, one a line, without the ids matching EXCLUDE_RE
w_ids() {
	$PY -c 'import json, re, sys
j = json.load(open(sys.argv[1]))
ex = re.compile(sys.argv[2]) if sys.argv[2] else None
for s in sorted("%s/%s" % (f["id"], f["level"]) for f in j["findings"]
		if not (ex and ex.search(f["id"]))):
	print(s)' "$1" "${2:-}"
}

# w_fact BUNDLE KEY: the value of the fact KEY in the bundle's records
w_fact() {
	tar -xzOf "$1" --wildcards '*/records.jsonl' 2>/dev/null |
		$PY -c 'import json, sys
for line in sys.stdin:
	r = json.loads(line)
	if r.get("kind") == "fact" and r.get("key") == sys.argv[1]:
		print(r["value"])' "$2"
}
