#!/usr/bin/env bash
# Hostile text never reaches an engineer's terminal: bundles whose every
# shown field carries escape payloads (screen clear and a forged
# "signature valid (trusted)", OSC 0 window title, OSC 52 clipboard, a
# cursor-position query, C1 CSI, bidi and zero-width characters) are shown
# by inspect, diff, export (plain and signed) and the inspect of the part,
# and request show gets a token with a hostile note and one with a hostile
# key id, all inside a real terminal emulator (tmux). The test asserts
# that the window title and the clipboard are untouched, that nothing was
# cleared, and that the payloads show as visible text. A control run
# prints the raw payload first, to prove the detector sees an attack.
. "$(dirname "$0")/lib.sh"
export RDIAG_SYSTEM_CONFIG=""

sock="rdiag-esc-$$"
tm() { tmux -L "$sock" -f /dev/null "$@"; }
T_CLEANUPS+=("tmux -L '$sock' kill-server 2>/dev/null")
d="$T_DIR/b"
$PY "$RDIAG_SRC/tests/helpers/make_escapes.py" "$d"
"$RDIAG" keygen --type sign "$T_DIR/vendor" >/dev/null
mkdir "$T_DIR/trusted"
cp "$T_DIR/vendor.pub" "$T_DIR/trusted/"

# A token signed by a real key, its note hostile; and a forged one whose
# key id (shown before the signature can be checked) is hostile.
good=$("$RDIAG" request create --sign-key "$T_DIR/vendor.key" --ticket 4711 \
	--collectors system --upload "file://$T_DIR/drop/" --expires 1h \
	--note "$(printf 'db slow \033]0;PWNED-TITLE\007\033]52;c;cm0K\007 \342\200\256done')")
forged=$($PY - <<'PY'
import base64, json
b = lambda x: base64.urlsafe_b64encode(x).rstrip(b"=").decode()
p = {"v": 1, "id": "0123456789abcdef0123456789abcdef", "iat": 1795000000,
     "exp": 4102444800, "kid": "\x1b]0;PWNED-TITLE\x07abcd",
     "ticket": "4711", "collectors": ["system"], "upload": "file:///x/"}
print("rdreq1." + b(json.dumps(p).encode()) + "." + b(b"\0" * 64))
PY
)

cat >"$T_DIR/show.sh" <<SH
#!/bin/bash
echo START-OF-OUTPUT
"$RDIAG" inspect "$d/esc-a.tar.gz"
"$RDIAG" diff "$d/esc-a.tar.gz" "$d/esc-b.tar.gz"
"$RDIAG" export "$d/esc-a.tar.gz" --only nas,system -o "$T_DIR/part.tar.gz"
"$RDIAG" inspect "$T_DIR/part.tar.gz"
"$RDIAG" export "$d/esc-b.tar.gz" --only nas --sign "$T_DIR/vendor.key" -o "$T_DIR/signed.tar.gz"
"$RDIAG" inspect "$T_DIR/signed.tar.gz" --trust "$T_DIR/vendor.pub"
"$RDIAG" extract "$d/esc-a.tar.gz" "$T_DIR/x"
"$RDIAG" request show '$good' --trusted-keys "$T_DIR/trusted"
"$RDIAG" request show '$forged' --trusted-keys "$T_DIR/trusted"
echo END-OF-OUTPUT
[ -n "\${HOLD:-}" ] && sleep 30
exit 0
SH
chmod +x "$T_DIR/show.sh"

# run NAME COMMAND MARK: a fresh 200x60 terminal running COMMAND (with
# the clipboard on, as a terminal that honours OSC 52) until MARK shows.
tm start-server \; set-option -s set-clipboard on \; \
	set-option -g history-limit 20000 \; new-session -d -s idle
run() {
	tm new-session -d -s "$1" -x 200 -y 60 "$2"
	for _ in $(seq 1 200); do
		tm capture-pane -p -S - -t "$1" | grep -q "$3" && break
		sleep 0.1
	done
	sleep 0.3
}

# Control: the raw payload does change the title and fill the clipboard.
run ctl "printf '\033]0;PWNED-TITLE\007\033]52;c;cm0K\007raw-done\n'; sleep 30" raw-done
t_check "control: a raw OSC 0 sets the window title" \
	test "$(tm display -p -t ctl '#{pane_title}')" = PWNED-TITLE
t_check "control: a raw OSC 52 fills the clipboard" \
	test -n "$(tm list-buffers 2>/dev/null)"
tm kill-session -t ctl
tm delete-buffer 2>/dev/null || true

run esc "HOLD=1 $T_DIR/show.sh" END-OF-OUTPUT
tm capture-pane -p -S - -t esc >"$T_DIR/screen.txt"
t_check "all commands ran to the end" grep -q END-OF-OUTPUT "$T_DIR/screen.txt"
t_check "window title untouched" \
	test "$(tm display -p -t esc '#{pane_title}')" != PWNED-TITLE
t_check "clipboard untouched (no OSC 52)" test -z "$(tm list-buffers 2>/dev/null)"
t_check "nothing was cleared: the first line is still there" \
	grep -q START-OF-OUTPUT "$T_DIR/screen.txt"
t_check "payloads show as visible text" \
	grep -qF '?]0;PWNED-TITLE?' "$T_DIR/screen.txt"
t_check "the forged signature line is text inside a field, not a line" \
	bash -c "! grep -qE '^  signature  valid \(trusted\)' '$T_DIR/screen.txt'"
t_check "inspect of the unsigned bundle says not signed" \
	grep -q 'signature  not signed' "$T_DIR/screen.txt"
t_check "diff, export and the part were shown" \
	bash -c "grep -q 'wrote $T_DIR/part.tar.gz' '$T_DIR/screen.txt' && grep -q 'Bundle $T_DIR/part.tar.gz is intact' '$T_DIR/screen.txt'"
t_check "the forged token's key id is refused, not shown" \
	grep -q 'bad or missing kid' "$T_DIR/screen.txt"
t_check "the good token's hostile note is shown tame" \
	grep -qF 'db slow ?]0;PWNED-TITLE?' "$T_DIR/screen.txt"
# The same outputs through a pipe hold no ESC, CSI or bidi byte at all.
"$T_DIR/show.sh" 2>&1 | sed '/END-OF-OUTPUT/q' >"$T_DIR/piped.txt" || true
t_check "no ESC, C1 CSI, RLO or ZWSP byte in any output" \
	bash -c "! LC_ALL=C grep -qP '\x1b|\xc2\x9b|\xe2\x80\xae|\xe2\x80\x8b' '$T_DIR/piped.txt'"
# The signed export's manifest carries only tame text.
cat >"$T_DIR/tame.py" <<'PY'
import json, re, sys, tarfile
t = tarfile.open(sys.argv[1])
m = next(x for x in t.getmembers() if x.name.endswith("/manifest.json"))
bad = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
def walk(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, dict):
        for k, x in v.items():
            yield k
            yield from walk(x)
    elif isinstance(v, list):
        for x in v:
            yield from walk(x)
man = json.load(t.extractfile(m))
hits = [s for s in walk(man) if bad.search(s)]
print("\n".join(repr(h) for h in hits[:3]))
sys.exit(1 if hits else 0)
PY
t_check "export --sign: no string of the signed manifest holds a control" \
	$PY "$T_DIR/tame.py" "$T_DIR/signed.tar.gz"

echo "# $T_PASSED passed, $T_FAILED failed"
[ "$T_FAILED" -eq 0 ]
