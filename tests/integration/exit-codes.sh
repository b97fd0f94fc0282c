#!/usr/bin/env bash
# Every exit code rdiag can return (agent/core/exitcode.h is the list) is in
# README's exit-code table, in rdiag(1)'s EXIT STATUS, and in `rdiag help
# CMD` of the commands that return it: each code a command's own source
# names is in its help, each code is some command's, and a command's real
# exit codes (a usage error, a missing bundle) are among those it lists.
. "$(dirname "$0")/lib.sh"
: "${RDIAG_SRC:?}"
export RDIAG_SYSTEM_CONFIG=""
cd "$T_DIR"

$PY - "$RDIAG_SRC" "$RDIAG" <<'PY' >codes.txt
import re, subprocess, sys
src, rdiag = sys.argv[1], sys.argv[2]
names = dict(re.findall(r"\b(EXIT_[A-Z_]+)\s*=\s*(\d+)",
                        open(f"{src}/agent/core/exitcode.h").read()))
print("enum", " ".join(sorted(set(names.values()), key=int)))
readme = open(f"{src}/README.md").read()
sec = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
print("readme", " ".join(re.findall(r"^\| (\d+) \|", sec, re.M)))
man = open(f"{src}/docs/rdiag.1").read()
sec = man.split(".SH EXIT STATUS", 1)[1].split("\n.SH ", 1)[0]
print("man", " ".join(re.findall(r"^\.TP\n\.B (\d+)$", sec, re.M)))
over = subprocess.run([rdiag, "help"], capture_output=True, text=True).stdout
cmds = re.findall(r"^  ([a-z]+) ", over.split("commands:", 1)[1], re.M)
# The files whose EXIT_ names a command returns as they are.
own = {"run": ["cmd_run.c", "run_opts.c"], "upload": ["cmd_upload.c", "upload_cmd.c"],
       "inspect": ["cmd_inspect.c", "review_cli.c"], "extract": ["cmd_extract.c", "review_cli.c"],
       "diff": ["cmd_diff.c", "review_cli.c"], "export": ["cmd_export.c", "review_cli.c"],
       "help": ["main.c"], "version": ["main.c"]}
for c in cmds:
    h = subprocess.run([rdiag, "help", c], capture_output=True, text=True).stdout
    block = h.split("\nExit status:\n", 1)
    listed = re.findall(r"^  (\d+) +\S", block[1], re.M) if len(block) == 2 else []
    files = own.get(c, [f"cmd_{c}.c"])
    used = set()
    for f in files:
        # The code that returns them, not the help's own list.
        text = re.sub(r"_exits\[\] = \{.*?\n\};", "", open(f"{src}/agent/cli/{f}").read(), flags=re.S)
        for n in re.findall(r"\b(EXIT_[A-Z_]+)\b", text):
            if n in names:
                used.add(names[n])
    print("|".join(("help", c, " ".join(listed) or "-", " ".join(sorted(used, key=int)) or "-")))
PY
cat codes.txt
enum=$(sed -n 's/^enum //p' codes.txt)
t_check "exitcode.h lists codes ($enum)" test -n "$enum"
t_check "README's exit-code table is exitcode.h's list" \
	test "$(sed -n 's/^readme //p' codes.txt)" = "$enum"
t_check "rdiag(1) EXIT STATUS is exitcode.h's list" \
	test "$(sed -n 's/^man //p' codes.txt)" = "$enum"
all=""
while IFS='|' read -r _ cmd listed used; do
	t_check "rdiag help $cmd lists exit codes" test "$listed" != -
	ok=yes
	for c in $listed; do [[ " $enum " == *" $c "* ]] || ok=no; done
	t_check "rdiag help $cmd lists only codes of exitcode.h" test $ok = yes
	ok=yes
	for c in $used; do [ "$c" = - ] || [[ " $listed " == *" $c "* ]] || ok=no; done
	t_check "rdiag help $cmd lists the codes its source returns ($used)" test $ok = yes
	t_check "rdiag help $cmd lists 64 (usage)" bash -c "[[ ' $listed ' == *' 64 '* ]]"
	all="$all $listed"
	rc=0
	"$RDIAG" "$cmd" --no-such-option >/dev/null 2>&1 || rc=$?
	t_check "rdiag $cmd --no-such-option exits $rc, a listed code" \
		bash -c "[[ ' $listed ' == *' $rc '* ]]"
done < <(grep '^help|' codes.txt)
for c in $enum; do
	t_check "exit code $c is in some command's help" bash -c "[[ ' $all ' == *' $c '* ]]"
done
# Real failures end with a code the command lists.
for cmd in inspect extract diff export; do
	listed=$(awk -F'|' -v c="$cmd" '$1 == "help" && $2 == c { print $3 }' codes.txt)
	rc=0
	case $cmd in
	inspect) "$RDIAG" inspect nosuch.tar.gz ;;
	extract) "$RDIAG" extract nosuch.tar.gz out ;;
	diff) "$RDIAG" diff nosuch.tar.gz nosuch2.tar.gz ;;
	export) "$RDIAG" export nosuch.tar.gz --only system -o part.tar.gz ;;
	esac >/dev/null 2>&1 || rc=$?
	t_check "rdiag $cmd of a missing bundle exits $rc, a listed code ($listed)" \
		bash -c "[ $rc != 0 ] && [[ ' $listed ' == *' $rc '* ]]"
done
t_done
