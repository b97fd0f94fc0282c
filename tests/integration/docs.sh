#!/usr/bin/env bash
# The documentation stays true: every config key of every collector and of
# the agent is in the man page, every collector has its page under
# docs/collectors/, and the man page renders without warnings.
. "$(dirname "$0")/lib.sh"
: "${RDIAG_SRC:?}"
export RDIAG_SYSTEM_CONFIG=""

"$RDIAG" list --json >"$T_DIR/list.json"
man="$RDIAG_SRC/docs/rdiag.1"
while read -r section key; do
	# A key is documented when it stands as .B KEY (or in a .BR list)
	# after the section's .SS heading.
	t_check "man page documents [$section] $key" \
		$PY - "$man" "$section" "$key" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"^\.SS \[" + re.escape(sys.argv[2]) + r"\].*?(?=^\.SS |^\.SH |\Z)",
              text, re.S | re.M)
key = sys.argv[3].replace("-", "\\-")
sys.exit(0 if m and re.search(r"^\.BR? .*\b" + re.escape(key) + r"\b", m.group(0), re.M) else 1)
PY
done < <(t_json "$T_DIR/list.json" '"\n".join(c["name"] + " " + k["name"] for c in j["collectors"] for k in c["config_keys"])')

for name in $(t_json "$T_DIR/list.json" '" ".join(c["name"] for c in j["collectors"])'); do
	page="$RDIAG_SRC/docs/collectors/${name//_/-}.md"
	[ -f "$page" ] || page="$RDIAG_SRC/docs/collectors/$name.md"
	t_check "collector $name has its page" test -s "$page"
done

for key in out_dir jobs timeout compress min_free_mb host_label; do
	t_check "man page documents [agent] $key" grep -q "^\.B $key\$" "$man"
done

t_check "man page renders without warnings" \
	bash -c "LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l '$man' 2>&1 >/dev/null | (! grep -q .)"
t_done
