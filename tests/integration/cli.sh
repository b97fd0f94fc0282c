#!/usr/bin/env bash
# The command line: every bad input gets exit 64 and one line naming the
# problem; list/version/help work; --json is one parseable object.
. "$(dirname "$0")/lib.sh"
export RDIAG_SYSTEM_CONFIG=""  # never read the machine's /etc/rdiag here

# expect_usage DESCRIPTION EXPECTED-SUBSTRING ARGS...
expect_usage() {
	local what=$1 want=$2 rc=0
	shift 2
	"$RDIAG" "$@" >"$T_DIR/out" 2>"$T_DIR/err" || rc=$?
	if [ "$rc" -eq 64 ] && grep -qF -- "$want" "$T_DIR/err" &&
		[ "$(wc -l <"$T_DIR/err")" -eq 1 ]; then
		t_ok "$what"
	else
		t_fail "$what (rc=$rc, stderr: $(cat "$T_DIR/err"))"
	fi
}

rc=0
"$RDIAG" >/dev/null 2>"$T_DIR/err" || rc=$?
t_check "no command: overview on stderr, exit 64" \
	bash -c "[ $rc -eq 64 ] && grep -q '^usage: rdiag COMMAND' '$T_DIR/err'"
expect_usage "unknown command" "unknown command 'frobnicate'" frobnicate
expect_usage "unknown option" "unknown option '--bogus'" run --bogus
expect_usage "missing value" "option '--timeout' needs a value" run --timeout
expect_usage "bad timeout" "--timeout must be a duration from 1 to 86400 seconds (90s, 15m, 1h30m, 2d), not 'soon'" run --timeout soon
expect_usage "zero jobs" "--jobs must be a whole number from 1 to 64, not '0'" run --jobs 0
expect_usage "unknown collector in --only" "unknown collector 'nosuch' in --only" run --only system,nosuch
expect_usage "unknown collector in --skip" "unknown collector 'nosuch' in --skip" run --skip nosuch
expect_usage "bad compression" "--compress must be gzip or zstd, not 'rar'" run --compress rar
expect_usage "bad ticket" "--ticket may use only letters" run --ticket '../../etc'
expect_usage "bad since" "--since must be a date" run --since yesterday
expect_usage "unreadable config" "cannot read config '$T_DIR/nope.conf'" run --config "$T_DIR/nope.conf"
printf '[agent]\njobs = 2\n[bogus]\nx = 1\n' >"$T_DIR/bad-section.conf"
expect_usage "unknown section" "bad-section.conf:4: unknown section [bogus]" run --config "$T_DIR/bad-section.conf"
printf '[agent]\njobs = 2\nnope = 1\n' >"$T_DIR/bad-key.conf"
expect_usage "unknown key" "bad-key.conf:3: unknown key 'nope' in [agent]" run --config "$T_DIR/bad-key.conf"
printf '[agent]\njobs = many\n' >"$T_DIR/bad-value.conf"
expect_usage "bad config value" "[agent] jobs must be a whole number" run --config "$T_DIR/bad-value.conf"
expect_usage "nothing left" "no collector left to run" run --only system --skip system
: >"$T_DIR/afile"
expect_usage "--out names a file" "--out: '$T_DIR/afile' is not a directory" run --only system --out "$T_DIR/afile"
expect_usage "help for unknown command" "unknown command 'nosuch'" help nosuch
# A person's typo gets the closest name (edit distance over the tables).
expect_usage "did you mean: command" "unknown command 'requst'; did you mean 'request'?" requst
expect_usage "did you mean: swapped letters" "unknown command 'uplaod'; did you mean 'upload'?" uplaod
expect_usage "did you mean: help COMMAND" "unknown command 'inspekt'; did you mean 'inspect'?" help inspekt
expect_usage "did you mean: option" "unknown option '--timout'; did you mean '--timeout'?" run --timout 5
expect_usage "did you mean: option with value" "unknown option '--too=x'; did you mean '--to'?" upload b --too=x
expect_usage "did you mean: one dash" "unknown option '-j'; did you mean '--jobs'?" run -jobs 2
expect_usage "did you mean: subcommand" "unknown subcommand 'crate'; did you mean 'create'?" request crate
expect_usage "nothing close: no guess" "unknown command 'frobnicate' (see" frobnicate

# -h, --help and `rdiag help CMD` work for every command in the table.
cmds=$("$RDIAG" help | awk '/^commands:/ { f = 1; next } f && /^  [a-z]/ { print $1 }')
t_check "help lists at least 12 commands" test "$(echo "$cmds" | wc -w)" -ge 12
for c in $cmds; do
	for h in -h --help; do
		rc=0
		"$RDIAG" "$c" "$h" >"$T_DIR/out" 2>"$T_DIR/err" || rc=$?
		t_check "$c $h: usage on stdout, exit 0" \
			bash -c "[ $rc -eq 0 ] && grep -q '^usage: rdiag $c' '$T_DIR/out' && [ ! -s '$T_DIR/err' ]"
	done
	rc=0
	"$RDIAG" help "$c" >"$T_DIR/out" 2>&1 || rc=$?
	t_check "help $c: usage, exit 0" bash -c "[ $rc -eq 0 ] && grep -q 'usage: rdiag $c' '$T_DIR/out'"
done
rc=0
"$RDIAG" request create --help >"$T_DIR/out" 2>&1 || rc=$?
t_check "request create --help" bash -c "[ $rc -eq 0 ] && grep -q -- '--sign-key' '$T_DIR/out'"
rc=0
"$RDIAG" help request create >"$T_DIR/out" 2>&1 || rc=$?
t_check "help request create" bash -c "[ $rc -eq 0 ] && grep -q -- '--sign-key' '$T_DIR/out'"
expect_usage "help for a subcommand that is not" "'run' has no subcommand 'foo'" help run foo

# A public key where the secret one is needed is called that (not "chmod 600").
"$RDIAG" keygen --type sign "$T_DIR/vendor" >/dev/null
"$RDIAG" keygen --type encrypt "$T_DIR/enc" >/dev/null
expect_usage "public key for --sign" "key '$T_DIR/vendor.pub' is a public signing key, need a secret signing key" run --only system --out "$T_DIR" --sign "$T_DIR/vendor.pub"
t_check "no chmod advice for a public key" bash -c "! grep -q chmod '$T_DIR/err'"
expect_usage "public key for request --sign-key" "is a public signing key, need a secret signing key" request create --ticket 1 --collectors system --upload https://127.0.0.1/x --expires 2h --sign-key "$T_DIR/vendor.pub"

t_check "version" bash -c '"$RDIAG" version | grep -qE "^rdiag [0-9]+\.[0-9]+\.[0-9]+$"'
t_check "help lists run" bash -c '"$RDIAG" help | grep -q "^  run "'
t_check "help run shows --only" bash -c '"$RDIAG" help run | grep -q -- "--only"'
t_check "list shows system" bash -c '"$RDIAG" list | grep -q "^system "'
"$RDIAG" list --json >"$T_DIR/list.json"
t_check "list --json has system with a deadline" \
	test "$(t_json "$T_DIR/list.json" '[c["deadline_ms"] > 0 for c in j["collectors"] if c["name"] == "system"]')" = "[True]"

# --no-bundle --json: one JSON object on stdout, nothing else.
rc=0
"$RDIAG" run --only system --no-bundle --json --quiet >"$T_DIR/v.json" 2>"$T_DIR/err" || rc=$?
t_check "json verdict parses" t_json "$T_DIR/v.json" 'j["format"]'
t_check "json exit code matches verdict" test "$(t_json "$T_DIR/v.json" 'j["exit_code"]')" = "$rc"
t_check "json bundle is null without a bundle" test "$(t_json "$T_DIR/v.json" 'j["bundle"]')" = "None"
t_check "json names the system collector ok" \
	test "$(t_json "$T_DIR/v.json" '[c["status"] for c in j["collectors"]]')" = "['ok']"
t_check "json findings carry who can act" \
	t_json "$T_DIR/v.json" 'all(0 <= f["level"] <= 4 and f["collector"] == "system" for f in j["findings"]) or sys.exit(1)'

# Free-space floor: refuse to start, naming the path and the figures.
printf '[agent]\nmin_free_mb = 1048576\n' >"$T_DIR/floor.conf"
rc=0
"$RDIAG" run --only system --config "$T_DIR/floor.conf" --out "$T_DIR" >"$T_DIR/out" 2>"$T_DIR/err" || rc=$?
t_check "space floor refuses with 73" test "$rc" -eq 73
t_check "space floor names path and figures" grep -qE "only .* free under '$T_DIR', need at least 1.0 TiB" "$T_DIR/err"
t_check "space floor leaves nothing behind" test -z "$(ls -A "$T_DIR" | grep -E 'rdiag-|staging' || true)"

t_done
