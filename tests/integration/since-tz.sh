#!/usr/bin/env bash
# `run --since` with a local date-time is read in the machine's time zone
# (TZ): the same "2026-12-01 14:00" keeps different log lines in Berlin
# (13:00 UTC) and Moscow (11:00 UTC); a zone in the value wins over TZ.
. "$(dirname "$0")/lib.sh"
export RDIAG_SYSTEM_CONFIG=""

mkdir -p "$T_DIR/log" "$T_DIR/out"
cat >"$T_DIR/log/app.log" <<'LOG'
2026-12-01T10:30:00Z ERROR before both
2026-12-01T12:30:00Z ERROR after Moscow's 14:00, before Berlin's
2026-12-01T13:30:00Z ERROR after both
LOG
cat >"$T_DIR/rdiag.conf" <<CONF
[agent]
min_free_mb = 1
[product]
log = $T_DIR/log/app.log
CONF

# errors TZ SINCE: the title of product.log.errors
errors() {
	TZ=$1 "$RDIAG" run --only product --config "$T_DIR/rdiag.conf" \
		--out "$T_DIR/out" --no-bundle --json --since "$2" \
		>"$T_DIR/v.json" 2>"$T_DIR/err" || true
	t_json "$T_DIR/v.json" \
		'[f["title"] for f in j["findings"] if f["id"].startswith("product.log")]'
}

t_check "Berlin 14:00 is 13:00 UTC" \
	test "$(errors Europe/Berlin '2026-12-01 14:00')" = "['1 error lines in 1 log file']"
t_check "Moscow 14:00 is 11:00 UTC" \
	test "$(errors Europe/Moscow '2026-12-01 14:00')" = "['2 error lines in 1 log file']"
t_check "T form, seconds, Berlin" \
	test "$(errors Europe/Berlin '2026-12-01T14:00:00')" = "['1 error lines in 1 log file']"
t_check "a zone wins over TZ" \
	test "$(errors Europe/Berlin '2026-12-01T14:00+03:00')" = "['2 error lines in 1 log file']"
t_check "Z wins over TZ" \
	test "$(errors Europe/Moscow '2026-12-01T10:00Z')" = "['3 error lines in 1 log file']"
t_check "UTC machine" \
	test "$(errors UTC '2026-12-01 13:00')" = "['1 error lines in 1 log file']"
rc=0
TZ=Europe/Berlin "$RDIAG" run --only product --no-bundle \
	--since '2026-12-01 14:00 Berlin' 2>"$T_DIR/err" >/dev/null || rc=$?
t_check "junk after the time is a usage error" test "$rc" = 64

echo "$T_PASSED passed, $T_FAILED failed"
[ "$T_FAILED" -eq 0 ]
