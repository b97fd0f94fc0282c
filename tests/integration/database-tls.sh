#!/bin/bash
# TLS faults named one by one against real PostgreSQL and MariaDB servers
# with certificates made by the test: a certificate from a trusted CA that
# expired, or that names another host, is that fault alone; "untrusted" is
# only for a chain that does not lead to a trusted CA. The test CA is made
# trusted with SSL_CERT_FILE (OpenSSL's default verify paths).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-db.sh"

CONF=$T_DIR/rdiag.conf
printf '[database]\nconnect_timeout_ms = 2000\n' >"$CONF"
CERTS=$T_DIR/certs
make_certs "$CERTS"
TRUST=SSL_CERT_FILE=$CERTS/ca.pem

pg_start
set_hba "host all all 127.0.0.1/32 scram-sha-256"
psql_do "ALTER SYSTEM SET ssl = on"
PG=postgresql://app@127.0.0.1:$PGPORT/postgres
# pg_use CERT: the server presents CERT (reloaded without a restart)
pg_use() {
	cp "$CERTS/$1.pem" "$PGD/server.crt"
	cp "$CERTS/$1.key" "$PGD/server.key"
	chown postgres "$PGD/server.crt" "$PGD/server.key"
	chmod 0600 "$PGD/server.key"
	pg_reload
}

pg_use good
run_db pg-good "$PG" "$TRUST"
expect pg-good db.pg.tls.offered db.tls.ok
expect_not pg-good db.tls.untrusted db.tls.name_mismatch db.tls.cert_expired

pg_use expired
run_db pg-expired "$PG" "$TRUST"
expect pg-expired db.tls.cert_expired
expect_not pg-expired db.tls.untrusted db.tls.name_mismatch db.tls.ok

pg_use future
run_db pg-future "$PG" "$TRUST"
expect pg-future db.tls.cert_not_yet_valid
expect_not pg-future db.tls.untrusted db.tls.cert_expired db.tls.ok

pg_use other
run_db pg-other "$PG" "$TRUST"
expect pg-other db.tls.name_mismatch
expect_not pg-other db.tls.untrusted db.tls.cert_expired db.tls.ok

pg_use self
run_db pg-self "$PG" "$TRUST"
expect pg-self db.tls.untrusted
expect_not pg-self db.tls.name_mismatch db.tls.cert_expired db.tls.ok
t_check "pg-self: the detail says self-signed" \
	grep -q "self-signed" "$T_DIR/pg-self.json"

# Without the CA the good certificate's chain is untrusted, and only that.
pg_use good
run_db pg-noca "$PG"
expect pg-noca db.tls.untrusted
expect_not pg-noca db.tls.name_mismatch db.tls.cert_expired

# MariaDB reloads its certificate with FLUSH SSL.
cp "$CERTS/expired.pem" "$T_DIR/my-cert.pem"
cp "$CERTS/expired.key" "$T_DIR/my-key.pem"
chown mysql "$T_DIR/my-cert.pem" "$T_DIR/my-key.pem"
my_start --skip-name-resolve --ssl-cert="$T_DIR/my-cert.pem" \
	--ssl-key="$T_DIR/my-key.pem"
MY=mysql://app@127.0.0.1:$MYPORT/
my_do "CREATE USER app@'127.0.0.1' IDENTIFIED BY '$(rand)'"
run_db my-expired "$MY" "$TRUST"
expect my-expired db.mysql.tls.offered db.tls.cert_expired
expect_not my-expired db.tls.untrusted db.tls.name_mismatch
cp "$CERTS/other.pem" "$T_DIR/my-cert.pem"
cp "$CERTS/other.key" "$T_DIR/my-key.pem"
my_do "FLUSH SSL"
run_db my-other "$MY" "$TRUST"
expect my-other db.tls.name_mismatch
expect_not my-other db.tls.untrusted db.tls.cert_expired

t_done
