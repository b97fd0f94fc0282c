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

for key in out_dir jobs timeout compress priority min_free_mb host_label; do
	t_check "man page documents [agent] $key" grep -q "^\.B $key\$" "$man"
done

# A default the man page states is the key table's (what rdiag list
# prints): the table is where each default is written down.
while IFS=$'\t' read -r section key def; do
	t_check "man page default of [$section] $key is $def" \
		$PY - "$man" "$section" "$key" "$def" <<'PY'
import re, sys
text, section, key, want = open(sys.argv[1]).read(), *sys.argv[2:]
m = re.search(r"^\.SS \[" + re.escape(section) + r"\].*?(?=^\.SS |^\.SH |\Z)",
              text, re.S | re.M)
key = key.replace("-", "\\-")
p = m and re.search(r"^\.BR? [^\n]*\b" + re.escape(key) + r"\b.*?(?=^\.TP|\Z)",
                    m.group(0), re.S | re.M)
flat = re.sub(r"\n\.[A-Z]+ ", " ", p.group(0) if p else "")
flat = flat.replace("\\-", "-").replace("\n", " ")
d = re.search(r"default:?\s+([^\s,;)]+?)\.?(?:[\s,;)]|$)", flat)
got = d.group(1) if d else None
# "default: the current directory" describes rather than states a value.
if got in (None, "the", "a", "an"):
    sys.exit(0)
if got != want:
    print(f"man page says default {got}, the key table {want}", file=sys.stderr)
    sys.exit(1)
PY
done < <(t_json "$T_DIR/list.json" '"\n".join("\t".join((s["name"], k["name"], k["default"])) for s in j["sections"] + j["collectors"] for k in s["config_keys"] if k.get("default"))')

# Every command of the program's table has its SYNOPSIS line and its
# entry under COMMANDS (test_manpage.c checks their options).
for cmd in $("$RDIAG" help | sed -n 's/^  \([a-z]*\) .*/\1/p'); do
	t_check "man page SYNOPSIS has rdiag $cmd" grep -q "^\.B rdiag $cmd\b" "$man"
	t_check "man page COMMANDS has $cmd" \
		bash -c "sed -n '/^\.SH COMMANDS/,/^\.SH /p' '$man' | grep -A1 '^\.TP' | grep -q '^\.B $cmd\b'"
done

t_check "man page has no control characters (a stray form feed)" \
	bash -c "! grep -qP '[\\x00-\\x08\\x0b-\\x1f\\x7f]' '$man'"

t_check "man page renders without warnings" \
	bash -c "LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l '$man' 2>&1 >/dev/null | (! grep -q .)"
t_done
