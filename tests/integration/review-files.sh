#!/usr/bin/env bash
# Files the review commands write are written safely: `inspect --html` makes
# a new 0600 file, never replaces an existing one without --force, and never
# writes through a symbolic link planted at its name (a directory another
# user can write must not let root overwrite any file).
. "$(dirname "$0")/lib.sh"
export RDIAG_SYSTEM_CONFIG=""
$PY "$RDIAG_SRC/tests/helpers/make_hostile.py" "$T_DIR/c" >/dev/null
good="$T_DIR/c/good.tar.gz"
drop="$T_DIR/drop"
mkdir -m 1777 "$drop"

"$RDIAG" inspect "$good" --html "$drop/r.html" >/dev/null
t_check "--html: the report is mode 0600" test "$(stat -c %a "$drop/r.html")" = 600
rc=0
"$RDIAG" inspect "$good" --html "$drop/r.html" >/dev/null 2>"$T_DIR/e1" || rc=$?
t_check "--html over an existing file: refused, says --force (got $rc)" \
	bash -c "[ $rc -ne 0 ] && grep -q 'exists; use --force' '$T_DIR/e1'"
echo precious >"$T_DIR/victim"
ln -s "$T_DIR/victim" "$drop/planted.html"
rc=0
"$RDIAG" inspect "$good" --html "$drop/planted.html" >/dev/null 2>&1 || rc=$?
t_check "--html at a planted symlink: refused, the link target untouched" \
	bash -c "[ $rc -ne 0 ] && [ \"\$(cat '$T_DIR/victim')\" = precious ]"
rc=0
"$RDIAG" inspect "$good" --html "$drop/planted.html" --force >/dev/null 2>&1 || rc=$?
t_check "--force replaces the link itself, never writes through it" \
	bash -c "[ $rc = 0 ] && [ \"\$(cat '$T_DIR/victim')\" = precious ] && [ ! -L '$drop/planted.html' ] && grep -q '<html' '$drop/planted.html'"
t_check "no temporary file is left beside it" \
	test "$(ls "$drop" | sort | tr '\n' ' ')" = "planted.html r.html "

echo "# $T_PASSED passed, $T_FAILED failed"
[ "$T_FAILED" -eq 0 ]
