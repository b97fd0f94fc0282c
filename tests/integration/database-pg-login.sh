#!/bin/bash
# PostgreSQL login failures named by their real cause against a real
# PostgreSQL 15: an explicit reject rule in pg_hba.conf, a role without
# LOGIN, no CONNECT privilege, a database that does not accept connections,
# an expired password, a client certificate required, no pg_hba.conf entry
# (with a proposed line that matches the server's ssl setting), and the
# application's own sslmode locking it out. Url parameters are honoured or
# refused with exit 64.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-db.sh"

CONF=$T_DIR/rdiag.conf
printf '[database]\nconnect_timeout_ms = 2000\n' >"$CONF"
APP_PW=$(rand)
pg_start
psql_do "CREATE ROLE app LOGIN PASSWORD '$APP_PW'"
psql_do "CREATE DATABASE appdb OWNER app"
psql_do "CREATE ROLE grp NOLOGIN PASSWORD '$APP_PW'"
psql_do "CREATE ROLE old LOGIN PASSWORD '$APP_PW' VALID UNTIL '2001-01-01'"
psql_do "CREATE ROLE nopw LOGIN"
psql_do "SET password_encryption = 'md5'; CREATE ROLE legacy LOGIN PASSWORD '$APP_PW'"
psql_do "CREATE DATABASE closed"
psql_do "ALTER DATABASE closed ALLOW_CONNECTIONS false"
psql_do "CREATE DATABASE private"
psql_do "REVOKE CONNECT ON DATABASE private FROM PUBLIC"
PG=postgresql://app@127.0.0.1:$PGPORT
PW=RDIAG_DB_PASSWORD=$APP_PW
SCRAM="host all all 127.0.0.1/32 scram-sha-256"

# ssl = off: the proposed line is 'host', never 'hostssl'
set_hba "host otherdb all 127.0.0.1/32 scram-sha-256"
run_db nohba-plain "$PG/appdb" "$PW"
expect nohba-plain db.pg.no_hba_entry
t_check "nohba-plain: the hint proposes 'host appdb app 127.0.0.1/32'" \
	grep -q "'host appdb app 127.0.0.1/32 scram-sha-256'" \
	"$T_DIR/nohba-plain.json"

# The application demands TLS from a server without it.
run_db require-nossl "$PG/appdb?sslmode=require" "$PW"
expect require-nossl db.pg.tls.required_not_offered
expect_not require-nossl db.pg.login.failed

# An explicit reject line before an allowing one: adding lines cannot help.
set_hba "host appdb app 127.0.0.1/32 reject
$SCRAM"
run_db reject "$PG/appdb" "$PW"
expect reject db.pg.hba_reject
expect_not reject db.pg.no_hba_entry db.pg.login.bad_password
t_check "reject: the hint says the first matching line wins" \
	grep -q "first line that matches wins" "$T_DIR/reject.json"
# The server runs here: rdiag reads its pg_hba.conf and names the rule.
t_check "reject: the finding names line 2 and its text" \
	grep -q "line 2 of $PGD/pg_hba.conf: 'host appdb app 127.0.0.1/32 reject'" \
	"$T_DIR/reject.json"

# ident over TCP asks port 113 of this host, where nothing answers.
set_hba "host all all 127.0.0.1/32 ident"
run_db ident "$PG/appdb" "$PW"
expect ident db.pg.auth_method_failed
expect_not ident db.pg.login.bad_password db.pg.server_error

set_hba "$SCRAM"
run_db nologin "postgresql://grp@127.0.0.1:$PGPORT/appdb" "$PW"
expect nologin db.pg.role_no_login
expect_not nologin db.pg.login.bad_password db.pg.login.failed
run_db noconnect "$PG/private" "$PW"
expect noconnect db.pg.no_connect_privilege
run_db closed "$PG/closed" "$PW"
expect closed db.pg.database_not_accepting
# PostgreSQL tells the client "password authentication failed" for all of
# these; on this host its log says which (the server's stderr is its log).
run_db expired "postgresql://old@127.0.0.1:$PGPORT/appdb" "$PW"
expect expired db.pg.login.password_expired
expect_not expired db.pg.login.bad_password
run_db nopw "postgresql://nopw@127.0.0.1:$PGPORT/appdb" "$PW"
expect nopw db.pg.login.no_password_set
run_db md5 "postgresql://legacy@127.0.0.1:$PGPORT/appdb" "$PW"
expect md5 db.pg.login.md5_password
run_db ghost "postgresql://ghost@127.0.0.1:$PGPORT/appdb" "$PW"
expect ghost db.pg.role_missing
run_db wrong "$PG/appdb" RDIAG_DB_PASSWORD="$(rand)"
expect wrong db.pg.login.bad_password
t_check "wrong: the detail quotes the server log's reason" \
	grep -q "does not match" "$T_DIR/wrong.json"
t_check "wrong: the detail names the pg_hba.conf line that matched" \
	grep -q "pg_hba.conf line 2" "$T_DIR/wrong.json"
# Where the log cannot be read, the client's view names all causes.
chmod 0600 "$PGSOCK/pg.log"
chown postgres "$PGSOCK/pg.log"
setpriv --reuid=65534 --regid=65534 --clear-groups env "$PW" "$RDIAG" run \
	--only database --config "$CONF" \
	--db "postgresql://old@127.0.0.1:$PGPORT/appdb" --json --no-bundle \
	>"$T_DIR/expired-nolog.json" 2>/dev/null || true
expect expired-nolog db.pg.login.bad_password
t_check "expired-nolog: the hint names VALID UNTIL" \
	grep -q "VALID UNTIL" "$T_DIR/expired-nolog.json"
run_db good "$PG/appdb" "$PW"
expect good db.pg.login.ok

# Under trust the probe itself meets the post-login refusals.
set_hba "host all all 127.0.0.1/32 trust"
run_db trust-nologin "postgresql://grp@127.0.0.1:$PGPORT/appdb"
expect trust-nologin db.pg.role_no_login
run_db trust-norole "postgresql://ghost@127.0.0.1:$PGPORT/appdb"
expect trust-norole db.pg.role_missing

# ssl = on with a test CA; hostssl-only and cert rules.
CERTS=$T_DIR/certs
make_certs "$CERTS"
cp "$CERTS/good.pem" "$PGD/server.crt"
cp "$CERTS/good.key" "$PGD/server.key"
cp "$CERTS/ca.pem" "$PGD/ca.pem"
chown postgres "$PGD/server.crt" "$PGD/server.key" "$PGD/ca.pem"
chmod 0600 "$PGD/server.key"
psql_do "ALTER SYSTEM SET ssl = on"
psql_do "ALTER SYSTEM SET ssl_ca_file = 'ca.pem'"
set_hba "hostssl otherdb all 127.0.0.1/32 scram-sha-256"
run_db nohba-ssl "$PG/appdb" "$PW"
expect nohba-ssl db.pg.no_hba_entry
t_check "nohba-ssl: the hint proposes 'hostssl appdb app 127.0.0.1/32'" \
	grep -q "'hostssl appdb app 127.0.0.1/32 scram-sha-256'" \
	"$T_DIR/nohba-ssl.json"

# The application connects without TLS: the line it needs is 'host'.
run_db nohba-clearapp "$PG/appdb?sslmode=disable" "$PW"
expect nohba-clearapp db.pg.no_hba_entry
t_check "nohba-clearapp: the hint proposes 'host', not 'hostssl'" \
	grep -q "'host appdb app 127.0.0.1/32 scram-sha-256'" \
	"$T_DIR/nohba-clearapp.json"

set_hba "hostssl all all 127.0.0.1/32 scram-sha-256"
run_db sslonly-default "$PG/appdb" "$PW"
expect sslonly-default db.pg.login.ok
run_db sslonly-disable "$PG/appdb?sslmode=disable" "$PW"
expect sslonly-disable db.pg.tls.required_by_server
expect_not sslonly-disable db.pg.no_hba_entry db.pg.login.bad_password
t_check "sslonly-disable: the title names the application's setting" \
	grep -q "sslmode=disable" "$T_DIR/sslonly-disable.json"
run_db sslonly-verify "$PG/appdb?sslmode=verify-full&sslrootcert=$CERTS/ca.pem" "$PW"
expect sslonly-verify db.tls.ok db.pg.login.ok

set_hba "hostnossl all all 127.0.0.1/32 scram-sha-256"
run_db nossl-prefer "$PG/appdb" "$PW"
expect nossl-prefer db.pg.login.ok
run_db nossl-require "$PG/appdb?sslmode=require" "$PW"
expect nossl-require db.pg.tls.refused_by_server
expect_not nossl-require db.pg.login.ok

# The application verifies the server: an untrusted chain is a failure.
set_hba "$SCRAM"
run_db verify-noca "$PG/appdb?sslmode=verify-ca" "$PW"
expect verify-noca db.tls.untrusted
t_check "verify-noca: untrusted is a failure when the application verifies" \
	test "$(finding_field verify-noca db.tls.untrusted severity)" = fail

set_hba "hostssl all all 127.0.0.1/32 cert"
run_db cert-none "$PG/appdb" "$PW"
expect cert-none db.pg.client_cert_required
expect_not cert-none db.pg.login.bad_password
run_db cert-app "$PG/appdb?sslcert=$CERTS/app.pem&sslkey=$CERTS/app.key" "$PW"
expect cert-app db.pg.login.ok
# A certificate from a CA the server does not trust fails in the handshake.
run_db cert-self "$PG/appdb?sslcert=$CERTS/self.pem&sslkey=$CERTS/self.key" "$PW"
expect cert-self db.tls.client_cert_rejected
expect_not cert-self db.pg.login.bad_password db.tls.handshake_failed
run_db cert-missing "$PG/appdb?sslcert=$T_DIR/nonexistent.pem" "$PW"
expect cert-missing db.tls.client_files_unusable

# connect_timeout is the application's: a silent server is given that long.
SILENT=$(t_free_port)
$PY -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
time.sleep(60)' "$SILENT" &
T_PIDS+=($!)
t_wait_port "$SILENT"
printf '[database]\nconnect_timeout_ms = 10000\n' >"$T_DIR/slow.conf"
T0=$(date +%s%N)
CONF=$T_DIR/slow.conf run_db timeout "postgresql://app@127.0.0.1:$SILENT/appdb?connect_timeout=2"
T1=$(date +%s%N)
expect timeout db.pg.no_reply
t_check "timeout: connect_timeout=2 is honoured ($(((T1 - T0) / 1000000)) ms)" \
	test $(((T1 - T0) / 1000000)) -lt 4000

# A parameter rdiag cannot honour is refused before the run: exit 64.
for q in "ssl=true" "sslmode=on" "connect_timeout=soon"; do
	run_db "param-$q" "$PG/appdb?$q"
	t_check "$q: exit 64" test "$(cat "$T_DIR/param-$q.rc")" = 64
	t_check "$q: the message names the parameter" \
		grep -q "parameter '${q%%=*}'" "$T_DIR/param-$q.err"
done

t_done
