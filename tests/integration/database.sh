#!/bin/bash
# The database collector against real servers on loopback: PostgreSQL 15 and
# MariaDB 10.11 driven through every state the collector names, a replayed
# SQL Server (tests/integration/db-tds-responder.py), a silent listener,
# nothing listening, and SQLite files. Credentials are made up per run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-db.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
START=$(date +%s)

CONF=$T_DIR/rdiag.conf
BROWSER_PORT=$(t_free_port)
printf '[database]\nconnect_timeout_ms = 1000\nbrowser_port = %s\n' \
	"$BROWSER_PORT" >"$CONF"

# --- PostgreSQL ---------------------------------------------------------
APP_PW=$(rand)
pg_start
PG_PW=$(cat "$T_DIR/pgpw")
set_hba "local all all trust"
psql_do "CREATE ROLE app LOGIN PASSWORD '$APP_PW'"
psql_do "CREATE DATABASE appdb OWNER app"
psql_do "CREATE DATABASE limited"
psql_do "ALTER DATABASE limited CONNECTION LIMIT 0"
psql_do "SET password_encryption = 'md5'; CREATE ROLE legacy LOGIN PASSWORD '$(rand)'"

PG=postgresql://app@127.0.0.1:$PGPORT/appdb
set_hba "host all all 127.0.0.1/32 scram-sha-256"
run_db pg-scram "$PG"
expect pg-scram db.tcp.ok db.pg.auth.scram db.pg.tls.not_offered \
	db.pg.login.skipped
run_db pg-good "$PG" RDIAG_DB_PASSWORD="$APP_PW"
expect pg-good db.pg.login.ok db.pg.connections_ok
run_db pg-bad "$PG" RDIAG_DB_PASSWORD="$(rand)"
expect pg-bad db.pg.login.bad_password
expect_not pg-bad db.pg.login.ok
# RDIAG_DB_PASSWORD_1 wins over RDIAG_DB_PASSWORD
run_db pg-nth "$PG" RDIAG_DB_PASSWORD="$(rand)" RDIAG_DB_PASSWORD_1="$APP_PW"
expect pg-nth db.pg.login.ok

set_hba "host all all 127.0.0.1/32 md5"
run_db pg-md5 "postgresql://legacy@127.0.0.1:$PGPORT/appdb"
expect pg-md5 db.pg.auth.md5

set_hba "host all all 127.0.0.1/32 trust"
run_db pg-trust "$PG"
expect pg-trust db.pg.auth.trust db.pg.login.ok
run_db pg-nodb "postgresql://app@127.0.0.1:$PGPORT/nosuchdb"
expect pg-nodb db.pg.database_missing
run_db pg-limit "postgresql://app@127.0.0.1:$PGPORT/limited"
expect pg-limit db.pg.too_many_connections

set_hba "host otherdb all 127.0.0.1/32 trust"
run_db pg-nohba "$PG"
expect pg-nohba db.pg.no_hba_entry

openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj /CN=db.test.invalid \
	-keyout "$PGD/server.key" -out "$PGD/server.crt" >/dev/null 2>&1
chown postgres "$PGD/server.key" "$PGD/server.crt"
chmod 0600 "$PGD/server.key"
psql_do "ALTER SYSTEM SET ssl = on"
set_hba "host all all 127.0.0.1/32 scram-sha-256"
run_db pg-ssl "$PG" RDIAG_DB_PASSWORD="$APP_PW"
expect pg-ssl db.pg.tls.offered db.tls.untrusted db.tls.name_mismatch \
	db.pg.auth.scram db.pg.login.ok
expect_not pg-ssl db.pg.tls.not_offered

# password_file: refused unless 0600
printf '%s\n' "$APP_PW" >"$T_DIR/dbpw"
chmod 0644 "$T_DIR/dbpw"
cp "$CONF" "$T_DIR/pwfile.conf"
printf 'password_file = %s\n' "$T_DIR/dbpw" >>"$T_DIR/pwfile.conf"
"$RDIAG" run --only database --config "$T_DIR/pwfile.conf" --db "$PG" \
	--json --no-bundle >"$T_DIR/pg-pwfile-open.json" 2>/dev/null || true
expect pg-pwfile-open db.password_file.unsafe
chmod 0600 "$T_DIR/dbpw"
"$RDIAG" run --only database --config "$T_DIR/pwfile.conf" --db "$PG" \
	--json --no-bundle >"$T_DIR/pg-pwfile.json" 2>/dev/null || true
expect pg-pwfile db.pg.login.ok
t_check "no password in any verdict" \
	bash -c "! grep -rq -e '$APP_PW' -e '$PG_PW' $T_DIR/*.json"

# --- MariaDB ------------------------------------------------------------
MY_PW=$(rand)
mkdir -p "$T_DIR/mycert"
openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj /CN=127.0.0.1 \
	-addext "subjectAltName=IP:127.0.0.1" \
	-keyout "$T_DIR/mycert/key.pem" -out "$T_DIR/mycert/cert.pem" \
	>/dev/null 2>&1
chown -R mysql "$T_DIR/mycert"
# skip-name-resolve: 127.0.0.1 is not 'localhost', so no account matches
# a TCP client until the test creates one (error 1130 at greeting time).
my_start --skip-name-resolve --ssl-cert="$T_DIR/mycert/cert.pem" \
	--ssl-key="$T_DIR/mycert/key.pem"
MY=mysql://app@127.0.0.1:$MYPORT/appdb

run_db my-host "$MY"
expect my-host db.mysql.host_not_allowed

my_do "CREATE DATABASE appdb; CREATE USER app@'127.0.0.1' IDENTIFIED BY '$MY_PW'; GRANT ALL ON appdb.* TO app@'127.0.0.1'"
run_db my-greet "$MY"
expect my-greet db.mysql.greeting db.mysql.tls.offered db.tls.untrusted \
	db.mysql.login.skipped
expect_not my-greet db.tls.name_mismatch
run_db my-good "$MY" RDIAG_DB_PASSWORD="$MY_PW"
expect my-good db.mysql.login.ok db.mysql.connections_ok
run_db my-bad "$MY" RDIAG_DB_PASSWORD="$(rand)"
expect my-bad db.mysql.login.denied

# Fill the connection table: 10 slots plus the one kept for SUPER.
$PY -c '
import socket, sys, time
s = [socket.create_connection(("127.0.0.1", int(sys.argv[1])))
     for _ in range(11)]
for c in s: c.recv(4096)
time.sleep(30)' "$MYPORT" &
FILLER=$!
T_PIDS+=($FILLER)
sleep 0.5
run_db my-full "$MY"
expect my-full db.mysql.too_many_connections
kill "$FILLER" 2>/dev/null || true

# --- SQL Server (replayed) ----------------------------------------------
TDS_REQ=$(t_free_port)
TDS_OFF=$(t_free_port)
TDS_SILENT=$(t_free_port)
$PY "$HERE/db-tds-responder.py" tcp "$TDS_REQ" required &
T_PIDS+=($!)
$PY "$HERE/db-tds-responder.py" tcp "$TDS_OFF" off &
T_PIDS+=($!)
$PY "$HERE/db-tds-responder.py" tcp "$TDS_SILENT" silent &
T_PIDS+=($!)
$PY "$HERE/db-tds-responder.py" browser "$BROWSER_PORT" SQLEXPRESS "$TDS_REQ" &
T_PIDS+=($!)
t_wait_port "$TDS_REQ"
t_wait_port "$TDS_OFF"
t_wait_port "$TDS_SILENT"

run_db tds-req "sqlserver://127.0.0.1:$TDS_REQ"
expect tds-req db.mssql.encryption.required
run_db tds-off "sqlserver://127.0.0.1:$TDS_OFF"
expect tds-off db.mssql.encryption.off
T0=$(date +%s%N)
run_db tds-silent "sqlserver://127.0.0.1:$TDS_SILENT"
T1=$(date +%s%N)
expect tds-silent db.mssql.no_prelogin_reply
t_check "tds-silent ends within its deadlines ($(((T1 - T0) / 1000000)) ms)" \
	test $(((T1 - T0) / 1000000)) -lt 4000
run_db tds-browser "sqlserver://127.0.0.1/SQLEXPRESS"
expect tds-browser db.mssql.browser.ok db.mssql.encryption.required
run_db tds-browser-silent "sqlserver://127.0.0.1/NOSUCH"
expect tds-browser-silent db.mssql.browser.no_answer
printf '[database]\nconnect_timeout_ms = 1000\nbrowser_port = %s\n' \
	"$(t_free_port)" >"$T_DIR/nobrowser.conf"
"$RDIAG" run --only database --config "$T_DIR/nobrowser.conf" \
	--db "sqlserver://127.0.0.1/SQLEXPRESS" --json --no-bundle \
	>"$T_DIR/tds-nobrowser.json" 2>/dev/null || true
expect tds-nobrowser db.mssql.browser.refused

# --- nothing listening, and a listener that never speaks -----------------
DEAD=$(t_free_port)
run_db refused "postgresql://app@127.0.0.1:$DEAD/appdb"
expect refused db.tcp.refused
SILENT=$(t_free_port)
$PY -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
time.sleep(120)' "$SILENT" &
T_PIDS+=($!)
t_wait_port "$SILENT"
for kind in postgresql:db.pg.no_reply mysql:db.mysql.no_greeting; do
	T0=$(date +%s%N)
	run_db "silent-${kind%%:*}" "${kind%%:*}://app@127.0.0.1:$SILENT/appdb"
	T1=$(date +%s%N)
	expect "silent-${kind%%:*}" db.tcp.ok "${kind#*:}"
	t_check "silent-${kind%%:*} ends within its deadline ($(((T1 - T0) / 1000000)) ms)" \
		test $(((T1 - T0) / 1000000)) -lt 3000
done

# --- SQLite ---------------------------------------------------------------
SQ=$T_DIR/sqlite
mkdir -p "$SQ"
chmod 0755 "$SQ"
mkdb() {
	sqlite3 "$1" "$2 CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT);
		CREATE INDEX tb ON t(b);
		WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c
		WHERE x < 3000) INSERT INTO t SELECT x, hex(randomblob(40)) FROM c;" \
		>/dev/null
}
mkdb "$SQ/ok.db" ""
run_db sqlite-ok "sqlite://$SQ/ok.db"
expect sqlite-ok db.sqlite.ok
cp "$SQ/ok.db" "$SQ/bad.db"
$PY -c '
import sys
with open(sys.argv[1], "r+b") as f:
    for off in range(8192, 8192 * 6, 256):
        f.seek(off); f.write(b"corrupted by the test!")' "$SQ/bad.db"
run_db sqlite-corrupt "sqlite://$SQ/bad.db"
expect sqlite-corrupt db.sqlite.corrupt
mkdb "$SQ/wal.db" "PRAGMA journal_mode=WAL;"
run_db sqlite-wal "sqlite://$SQ/wal.db"
expect sqlite-wal db.sqlite.wal db.sqlite.ok
cp "$SQ/ok.db" "$SQ/private.db"
chmod 0600 "$SQ/private.db"
setpriv --reuid=65534 --regid=65534 --clear-groups "$RDIAG" run \
	--only database --config "$CONF" --db "sqlite://$SQ/private.db" \
	--json --no-bundle >"$T_DIR/sqlite-unreadable.json" \
	2>"$T_DIR/sqlite-unreadable.err" || true
expect sqlite-unreadable db.sqlite.unreadable
run_db sqlite-missing "sqlite://$SQ/missing.db"
expect sqlite-missing db.sqlite.missing

echo "database integration run took $(($(date +%s) - START)) s"
t_done
