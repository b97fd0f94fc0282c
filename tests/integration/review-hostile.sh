#!/usr/bin/env bash
# The hostile corpus (tests/helpers/make_hostile.py, made now into a temp
# dir): every reviewing command refuses each bad bundle with a clear message
# and exit 65, or neutralises it (HTML and terminal escapes), writes nothing
# outside its target, and stays within a time and memory bound measured with
# GNU time.
. "$(dirname "$0")/lib.sh"

# The bounds docs/review.md promises: every review command on any bundle
# within the caps ends in 5 s and 256 MiB. The sanitizer build (ASan's
# shadow memory, slower code; scripts/dev sets ASAN_OPTIONS for it) gets
# room for its own overhead.
if [ -n "${ASAN_OPTIONS:-}" ]; then
	MAX_SECONDS=30
	MAX_RSS_KB=$((1024 * 1024))
else
	MAX_SECONDS=5
	MAX_RSS_KB=$((256 * 1024))
fi
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "GNU time (/usr/bin/time) is missing: apt-get install time" >&2; exit 1; }

corpus="$T_DIR/corpus"
$PY "$RDIAG_SRC/tests/helpers/make_hostile.py" "$corpus"
good="$corpus/good.tar.gz"
work="$T_DIR/work"
M="$T_DIR/meta" # the test's own files, not part of the snapshot
mkdir -p "$work" "$M"
cd "$work"

worst_s=0
worst_kb=0
# measured NAME CMD...: runs CMD under GNU time; sets $rc, checks the bounds.
measured() {
	local name=$1 s kb
	shift
	rc=0
	"$TIME" -o "$M/time" -f '%e %M' "$@" >"$M/out" 2>"$M/err" || rc=$?
	read -r s kb < <(tail -n 1 "$M/time")
	if awk -v s="$s" -v m="$MAX_SECONDS" 'BEGIN { exit !(s <= m) }' && [ "$kb" -le "$MAX_RSS_KB" ]; then
		:
	else
		t_fail "$name: $s s, $kb KiB (bounds $MAX_SECONDS s, $MAX_RSS_KB KiB)"
	fi
	worst_s=$(awk -v a="$worst_s" -v b="$s" 'BEGIN { print (b > a ? b : a) }')
	[ "$kb" -gt "$worst_kb" ] && worst_kb=$kb
	return 0
}

# Nothing may appear outside the command's own target.
snapshot() {
	(find "$T_DIR" \( -path "$T_DIR/work/target" -o -path "$M" \) -prune -o -print | sort
	 ls -d /tmp/rdiag-hostile-* 2>/dev/null || true) >"$1"
}

# Every element and attribute of the report must be from its fixed skeleton.
cat >"$M/tags.py" <<'PY'
import sys
from html.parser import HTMLParser
TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3",
        "p", "strong", "div", "span", "table", "thead", "tbody", "tr", "th",
        "td"}
ATTRS = {"lang", "charset", "name", "content", "http-equiv", "class", "data-l"}
class P(HTMLParser):
    bad = []
    def handle_starttag(self, tag, attrs):
        if tag not in TAGS:
            self.bad.append(tag)
        self.bad += [a for a, _ in attrs if a not in ATTRS]
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
sys.exit("unexpected markup: %s" % p.bad if p.bad else 0)
PY
t_check "corpus has at least 20 hostile bundles" \
	test "$(grep -c refuse "$corpus/cases.tsv")" -ge 20

n=0
while IFS=$'\t' read -r name file expect msg; do
	n=$((n + 1))
	snapshot "$M/before"
	if [ "$expect" = refuse ]; then
		measured "$name: inspect" "$RDIAG" inspect "$file"
		t_check "$name: inspect refuses (65)" test "$rc" = 65
		t_check "$name: inspect says '$msg'" grep -qF -- "$msg" "$M/err"
		t_check "$name: the message is one line naming the bundle" \
			bash -c "test \$(wc -l <'$M/err') = 1 && grep -qF '$file' '$M/err'"

		measured "$name: extract" "$RDIAG" extract "$file" "$work/target"
		t_check "$name: extract refuses (65)" test "$rc" = 65
		t_check "$name: extract says '$msg'" grep -qF -- "$msg" "$M/err"
		t_check "$name: extract left no target directory" test ! -e "$work/target"

		mkdir "$work/target"
		measured "$name: extract into an empty dir" "$RDIAG" extract "$file" "$work/target"
		t_check "$name: extract into an empty dir refuses (65) and leaves it empty" \
			bash -c "test $rc = 65 && test -z \"\$(ls -A '$work/target')\""
		rmdir "$work/target"

		measured "$name: export" "$RDIAG" export "$file" --only system -o "$work/target.tar.gz"
		t_check "$name: export refuses (65)" test "$rc" = 65
		t_check "$name: export wrote no part" test ! -e "$work/target.tar.gz"

		measured "$name: diff" "$RDIAG" diff "$good" "$file"
		t_check "$name: diff refuses (65)" test "$rc" = 65
		t_check "$name: diff says '$msg'" grep -qF -- "$msg" "$M/err"

		measured "$name: inspect --json" "$RDIAG" inspect "$file" --json
		t_check "$name: inspect --json says intact false with the reason" \
			$PY -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(not (sys.argv[3] == "65" and j["intact"] is False and sys.argv[2] in j["error"]))' "$M/out" "$msg" "$rc"
	else
		# Neutralise (or accept, for shapes at the caps): accepted,
		# within the bounds, and nothing from the bundle may act.
		measured "$name: inspect" "$RDIAG" inspect "$file" --html "$work/target.html"
		t_check "$name: inspect accepts it (0)" test "$rc" = 0
		cp "$M/out" "$M/inspect.txt"
		t_check "$name: no ESC, BEL, CR or C1 CSI reaches the terminal" \
			$PY -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.exit(any(c in d for c in (b"\x1b", b"\x07", b"\r", b"\xc2\x9b")))' "$M/inspect.txt"
		t_check "$name: HTML has no script element" bash -c "! grep -qi '<script' '$work/target.html'"
		if [ "$expect" = neutralise ]; then
			t_check "$name: the title is shown, defanged" grep -qF "<script>alert('title')</script>?[2J" "$M/inspect.txt"
			t_check "$name: HTML shows the script as text" grep -qF "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" "$work/target.html"
			t_check "$name: HTML fact cell stays a cell" grep -qF "&lt;/td&gt;&lt;script&gt;" "$work/target.html"
		fi
		t_check "$name: HTML has only the report's own elements and attributes" \
			$PY "$M/tags.py" "$work/target.html"
		rm -f "$work/target.html"
		measured "$name: extract" "$RDIAG" extract "$file" "$work/target"
		t_check "$name: extract accepts it (0)" test "$rc" = 0
		rm -rf "$work/target"
		measured "$name: export" "$RDIAG" export "$file" --only system -o "$work/target.tar.gz"
		t_check "$name: export accepts it (0)" test "$rc" = 0
		rm -f "$work/target.tar.gz" "$work/target.tar.gz.sha256"
		measured "$name: diff" "$RDIAG" diff "$good" "$file"
		t_check "$name: diff accepts it (0) and prints no escape" \
			bash -c "test $rc = 0 && ! grep -q $'\x1b' '$M/out'"
	fi
	snapshot "$M/after"
	t_check "$name: nothing written outside the target" cmp -s "$M/before" "$M/after"
done <"$corpus/cases.tsv"

t_check "no file escaped to /tmp" test -z "$(ls -d /tmp/rdiag-hostile-* 2>/dev/null || true)"
echo "# $n cases; slowest command ${worst_s} s, largest RSS ${worst_kb} KiB (bounds ${MAX_SECONDS} s, ${MAX_RSS_KB} KiB)"
t_done
