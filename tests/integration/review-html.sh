#!/usr/bin/env bash
# `rdiag inspect --html` in a real headless browser (Debian's chromium): the
# report renders at desktop and phone width and printed to PDF, its DOM has
# no script and loads nothing, and hostile finding texts stay text. The
# screenshots are kept in review-html-output/ of the directory the test runs
# in (the build tree under ctest) and their paths are printed.
. "$(dirname "$0")/lib.sh"
export RDIAG_SYSTEM_CONFIG=""

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
	echo "not ok - chromium is not installed: this test needs Debian's" \
		"chromium (scripts/deps/review.txt; apt-get install chromium)" >&2
	exit 1
fi
keep="${RDIAG_TEST_OUTPUT:-$PWD}/review-html-output"
mkdir -p "$keep"

chrome() { # chrome ARGS... (headless, offline, private profile)
	local profile
	profile=$(mktemp -d "$T_DIR/chrome.XXXXXX")
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-component-update \
		--disable-sync --no-first-run --disable-extensions \
		--user-data-dir="$profile" "$@" 2>>"$T_DIR/chrome.log"
}

# A real bundle, and the hostile one with script in its findings.
cat >"$T_DIR/c.conf" <<CONF
[agent]
min_free_mb = 1
host_label = htmltest
CONF
mkdir -p "$T_DIR/out"
"$RDIAG" run --only system --config "$T_DIR/c.conf" --ticket 4711 --out "$T_DIR/out" \
	--json >"$T_DIR/v.json" 2>/dev/null || true
real=$(t_json "$T_DIR/v.json" 'j["bundle"]')
$PY "$RDIAG_SRC/tests/helpers/make_hostile.py" "$T_DIR/corpus" >/dev/null
evil="$T_DIR/corpus/html-and-escapes-in-findings.tar.gz"

for which in real evil; do
	bundle=${!which}
	html="$T_DIR/$which.html"
	rc=0; "$RDIAG" inspect "$bundle" --html "$html" >/dev/null || rc=$?
	t_check "$which: inspect --html exits 0" test "$rc" = 0
	t_check "$which: has a viewport meta for phones" grep -q '<meta name="viewport" content="width=device-width' "$html"
	t_check "$which: has print styles" grep -q '@media print' "$html"
	t_check "$which: has a CSP that forbids scripts and remote loads" grep -q "default-src 'none'" "$html"
	t_check "$which: no <script in the file" bash -c "! grep -qi '<script' '$html'"
	t_check "$which: no remote resource in the file (no src/href, no url() or @import)" \
		$PY - "$html" <<'PY'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    bad, css, in_style = [], "", False
    def handle_starttag(self, tag, attrs):
        self.in_style = tag == "style"
        self.bad += [a for a, _ in attrs if a in ("src", "href", "srcset", "action", "data", "style")]
    def handle_data(self, d):
        if self.in_style:
            self.css += d
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
assert not p.bad, p.bad
assert "url(" not in p.css and "@import" not in p.css and len(p.css) > 500
PY

	chrome --dump-dom "file://$html" >"$T_DIR/$which.dom"
	t_check "$which: chromium parsed it (a DOM with the title)" grep -q "<h1>rdiag report for" "$T_DIR/$which.dom"
	t_check "$which: the rendered DOM has no script element" bash -c "! grep -qi '<script' '$T_DIR/$which.dom'"
	t_check "$which: the rendered DOM has no img, iframe, link or object" \
		bash -c "! grep -qiE '<(img|iframe|link|object|embed|a) ' '$T_DIR/$which.dom'"

	for size in 1280,1600 390,1400; do
		png="$keep/$which-${size/,/x}.png"
		rm -f "$png"
		chrome --hide-scrollbars --window-size="$size" --screenshot="$png" "file://$html" >/dev/null
		t_check "$which: screenshot at $size written" test -s "$png"
		t_check "$which: screenshot at $size is a real image (not blank)" \
			$PY - "$png" <<'PY'
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", d[16:24])
assert w > 300 and h > 300, (w, h)
# Enough distinct compressed data that it cannot be a blank page.
assert len(d) > 20000, len(d)
PY
		echo "# screenshot: $png"
	done
	pdf="$keep/$which.pdf"
	rm -f "$pdf"
	chrome --no-pdf-header-footer --print-to-pdf="$pdf" "file://$html" >/dev/null
	t_check "$which: prints to PDF" bash -c "test -s '$pdf' && head -c 5 '$pdf' | grep -q '%PDF-'"
	echo "# printed: $pdf"
done
t_check "evil: the script text is shown as text in the DOM" \
	grep -qF "&lt;script&gt;alert('title')&lt;/script&gt;" "$T_DIR/evil.dom"
t_check "real: the findings of the run are in the report" \
	$PY -c 'import json,sys; v=json.load(open(sys.argv[1])); h=open(sys.argv[2]).read(); sys.exit(not all(f["id"] in h for f in v["findings"]))' "$T_DIR/v.json" "$T_DIR/real.html"
t_done
