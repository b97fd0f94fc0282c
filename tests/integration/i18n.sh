#!/usr/bin/env bash
# The customer's language: the German and Russian catalogs are complete
# (msgfmt --statistics: nothing untranslated or fuzzy, every msgid of
# rdiag.pot present), `rdiag run` and `rdiag inspect` speak German and
# Russian on the terminal, while --json, the bundle's report.txt and the
# finding ids stay English and byte-identical whatever the locale.
. "$(dirname "$0")/lib.sh"
export RDIAG_SYSTEM_CONFIG=""
: "${RDIAG_SRC:?}"
export RDIAG_LOCALEDIR
RDIAG_LOCALEDIR="$(dirname "$RDIAG")/locale"
unset LC_ALL LC_MESSAGES LANGUAGE

for lang in de ru; do
	po="$RDIAG_SRC/po/$lang.po"
	stats=$(msgfmt --check --statistics -o /dev/null "$po" 2>&1)
	t_check "$lang.po: $stats" \
		bash -c '! grep -Eq "untranslated|fuzzy" <<<"$1"' _ "$stats"
	t_check "$lang.po has every msgid of rdiag.pot" \
		msgcmp "$po" "$RDIAG_SRC/po/rdiag.pot"
	t_check "$lang catalog is built" \
		test -s "$RDIAG_LOCALEDIR/$lang/LC_MESSAGES/rdiag.mo"
done
for l in de_DE ru_RU; do
	if ! locale -a | grep -qx "$l.utf8"; then
		t_fail "locale $l.UTF-8 is missing (scripts/install-deps makes it)"
		exit 1
	fi
done

app="$T_DIR/app"
mkdir -p "$app/log" "$T_DIR/out"
cat >"$app/log/app.log" <<'LOG'
2026-11-27T10:00:00 INFO started
2026-11-27T10:01:00 FEHLER Verbindung zur Datenbank fehlgeschlagen
2026-11-27T10:02:00 WARNUNG Speicher knapp
2026-11-27T10:03:00 ошибка соединения с базой данных
2026-11-27T10:04:00 ПРЕДУПРЕЖДЕНИЕ мало места
LOG
cat >"$T_DIR/rdiag.conf" <<CONF
[agent]
min_free_mb = 1
[product]
log = $app/log/*.log
data_dir = $T_DIR/no-such-dir
CONF

# run LANGUAGE LANG NAME [--json]: one run, stdout to NAME.out.
run() {
	local language=$1 lang=$2 name=$3
	shift 3
	LANGUAGE=$language LANG=$lang "$RDIAG" run --only product \
		--config "$T_DIR/rdiag.conf" --out "$T_DIR/out" "$@" \
		>"$T_DIR/$name.out" 2>"$T_DIR/$name.err" || true
}

run "" C en
run de de_DE.UTF-8 de
run ru ru_RU.UTF-8 ru
t_check "English verdict" grep -q "^rdiag verdict for" "$T_DIR/en.out"
t_check "German verdict" grep -q "^rdiag-Ergebnis für" "$T_DIR/de.out"
t_check "German group heading" grep -q "Das können Sie selbst beheben" "$T_DIR/de.out"
t_check "German counts" grep -Eq "^[0-9]+ Prüfung(en)? bestanden, 1 Problem gefunden\.$" "$T_DIR/de.out"
t_check "German finding title" grep -q "ein Datenverzeichnis der Anwendung existiert nicht" "$T_DIR/de.out"
t_check "finding id unchanged in German" grep -q "\[product.data_dir.missing\]" "$T_DIR/de.out"
t_check "Russian verdict" grep -q "^Результат rdiag для" "$T_DIR/ru.out"
t_check "Russian group heading" grep -q "Это вы можете исправить сами" "$T_DIR/ru.out"
t_check "Russian counts" grep -Eq "найден[аоы]? 1 проблема\.$" "$T_DIR/ru.out"
t_check "Russian finding title" grep -q "каталог данных приложения не существует" "$T_DIR/ru.out"
t_check "finding id unchanged in Russian" grep -q "\[product.data_dir.missing\]" "$T_DIR/ru.out"
t_check "German usage error" bash -c 'LANGUAGE=de LANG=de_DE.UTF-8 "$RDIAG" frobnicate 2>&1 | grep -q "siehe .rdiag help"'

# The progress lines on stderr, with plural forms.
t_check "German progress" grep -q "^rdiag: 1 Kollektor läuft" "$T_DIR/de.err"
t_check "Russian progress" grep -q "^rdiag: запущен 1 сборщик" "$T_DIR/ru.err"

# A signed request's summary, shown before consent, in the reader's language.
(cd "$T_DIR" && "$RDIAG" keygen --type sign vendor >/dev/null)
mkdir -p "$T_DIR/trusted" && cp "$T_DIR/vendor.pub" "$T_DIR/trusted/"
export RDIAG_TRUSTED_KEYS="$T_DIR/trusted"
tok=$("$RDIAG" request create --sign-key "$T_DIR/vendor.key" --ticket 4711 \
	--collectors system --upload "file://$T_DIR/drop/" --expires 1h)
LANGUAGE=de LANG=de_DE.UTF-8 "$RDIAG" request show "$tok" >"$T_DIR/req.de" 2>&1 || true
LANGUAGE=ru LANG=ru_RU.UTF-8 "$RDIAG" request show "$tok" >"$T_DIR/req.ru" 2>&1 || true
t_check "German request summary" grep -q "^Signierte Sammelanfrage" "$T_DIR/req.de"
t_check "German collector summary" grep -q "Betriebssystem, Kernel" "$T_DIR/req.de"
t_check "Russian request summary" grep -q "^Подписанный запрос на сбор данных" "$T_DIR/req.ru"

# Consent on a terminal in the customer's own word: "j" in German runs the
# request, "нет" in Russian refuses it ("н" shares its first byte with "д").
pty() { $PY -c 'import os,pty,sys
pid,fd=pty.fork()
if pid==0:
    os.execv(sys.argv[3],sys.argv[3:])
out=b""; sent=False
while True:
    try: d=os.read(fd,4096)
    except OSError: break
    if not d: break
    out+=d
    if not sent and sys.argv[1].encode() in out:
        os.write(fd,sys.argv[2].encode()+b"\n"); sent=True
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid,0)[1]))' "$@"; }
mkdir -p "$T_DIR/drop" "$T_DIR/state" "$T_DIR/rout"
cat >"$T_DIR/ask.conf" <<CONF
[agent]
min_free_mb = 1
[requests]
trusted_keys_dir = $T_DIR/trusted
state_dir = $T_DIR/state
CONF
rtok() {
	"$RDIAG" request create --sign-key "$T_DIR/vendor.key" --ticket "$1" \
		--collectors system --upload "file://$T_DIR/drop/" --expires 1h
}
rc=0
LANGUAGE=ru LANG=ru_RU.UTF-8 pty "[д/Н]" "нет" "$RDIAG" run --request "$(rtok 4801)" \
	--config "$T_DIR/ask.conf" --out "$T_DIR/rout" -q >"$T_DIR/c.ru" 2>&1 || rc=$?
t_check "Russian prompt, answer нет: not run" \
	bash -c "[ $rc = 64 ] && grep -q 'Выполнить этот запрос' '$T_DIR/c.ru' && ! ls '$T_DIR/drop' | grep -q 4801"
rc=0
LANGUAGE=de LANG=de_DE.UTF-8 pty "[j/N]" "j" "$RDIAG" run --request "$(rtok 4802)" \
	--config "$T_DIR/ask.conf" --out "$T_DIR/rout" -q >"$T_DIR/c.de" 2>&1 || rc=$?
t_check "German prompt, answer j: runs and uploads" \
	bash -c "[ $rc -le 2 ] && grep -q 'Diese Anfrage ausführen' '$T_DIR/c.de' && ls '$T_DIR/drop' | grep -q 4802"
rc=0
LANGUAGE=ru LANG=ru_RU.UTF-8 pty "[д/Н]" "да" "$RDIAG" run --request "$(rtok 4803)" \
	--config "$T_DIR/ask.conf" --out "$T_DIR/rout" -q >"$T_DIR/c.ru2" 2>&1 || rc=$?
t_check "Russian prompt, answer да: runs and uploads" \
	bash -c "[ $rc -le 2 ] && ls '$T_DIR/drop' | grep -q 4803"

# A language without a catalog reads English.
LANGUAGE=fr LANG=C.UTF-8 "$RDIAG" frobnicate 2>"$T_DIR/fr.err" || true
t_check "no catalog: English" grep -q "unknown command 'frobnicate'" "$T_DIR/fr.err"

# The bundle a German customer sends is read by an English engineer.
bundle=$(ls "$T_DIR"/out/*.tar.gz | head -1)
for b in "$T_DIR"/out/*.tar.gz; do
	tar -xzf "$b" -O --wildcards '*/report.txt' >"$T_DIR/report.txt"
	if ! grep -q "^rdiag verdict for" "$T_DIR/report.txt"; then
		t_fail "report.txt of $b is not English"
	fi
	if grep -q "Ergebnis\|Результат" "$T_DIR/report.txt"; then
		t_fail "report.txt of $b is translated"
	fi
done
t_ok "every bundle's report.txt is English"

# --json: byte-identical across locales but for what differs run to run.
strip='import json,sys
j=json.load(open(sys.argv[1]))
for k in ("bundle","sha256","bundle_size","started","finished","version"):
    j.pop(k, None)
for c in j["collectors"]:
    c.pop("duration_ms", None)
print(json.dumps(j, sort_keys=True, ensure_ascii=False))'
# product only: nas also reports whatever network mounts the machine has
# at the moment, which other tests may be making.
run "" C en_json --json
run de de_DE.UTF-8 de_json --json
run ru ru_RU.UTF-8 ru_json --json
for n in en de ru; do
	$PY -c "$strip" "$T_DIR/${n}_json.out" >"$T_DIR/$n.norm"
done
t_check "run --json: German = English" diff "$T_DIR/en.norm" "$T_DIR/de.norm"
t_check "run --json: Russian = English" diff "$T_DIR/en.norm" "$T_DIR/ru.norm"
t_check "run --json has the English title" grep -q "a data directory of the application does not exist" "$T_DIR/en.norm"
# The default error patterns count the German and the Russian error line
# (lower-case ошибка too), not the warnings.
t_check "German and Russian error lines counted" \
	grep -q '"title": "2 error lines in 1 log file"' "$T_DIR/en.norm"

# inspect: the same bundle, JSON byte for byte, text translated.
for n in en:C de:de_DE.UTF-8 ru:ru_RU.UTF-8; do
	LANGUAGE=${n%%:*} LANG=${n#*:} "$RDIAG" inspect --json "$bundle" \
		>"$T_DIR/${n%%:*}.inspect.json" 2>/dev/null || true
	LANGUAGE=${n%%:*} LANG=${n#*:} "$RDIAG" inspect "$bundle" \
		>"$T_DIR/${n%%:*}.inspect.txt" 2>/dev/null || true
done
t_check "inspect --json: German = English" cmp "$T_DIR/en.inspect.json" "$T_DIR/de.inspect.json"
t_check "inspect --json: Russian = English" cmp "$T_DIR/en.inspect.json" "$T_DIR/ru.inspect.json"
t_check "inspect text in German" grep -q "rdiag-Ergebnis für" "$T_DIR/de.inspect.txt"

# cmake --install puts the catalogs under share/locale/LL/LC_MESSAGES.
DESTDIR="$T_DIR/dest" cmake --install "$(dirname "$RDIAG")" --prefix /opt/rdiag \
	>/dev/null 2>&1 || true
for lang in de ru; do
	t_check "installed $lang catalog" \
		test -s "$T_DIR/dest/opt/rdiag/share/locale/$lang/LC_MESSAGES/rdiag.mo"
done

echo "$T_PASSED passed, $T_FAILED failed"
[ "$T_FAILED" -eq 0 ]
