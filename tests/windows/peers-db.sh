#!/usr/bin/env bash
# rdiag.exe's database collector under wine against the same real
# PostgreSQL 15 and MariaDB 10.11 on loopback as Linux rdiag (TLS with a
# test CA given by sslrootcert): for each case, up without and with a
# password, the port refused, a host name that does not exist, both sides
# report the same finding ids at the same levels and the same TLS facts;
# the login itself is Linux-only (rdiag.exe has no libpq/libmariadb) and
# rdiag.exe says so in the facts pg.login / mysql.login.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/lib-db.sh"
. "$(dirname "$0")/lib/peers.sh"
HERE=$(cd "$(dirname "$0")/../integration" && pwd)

t0=$(date +%s.%N)
CONF=$T_DIR/rdiag.conf
printf '[agent]\nmin_free_mb = 1\n[database]\nconnect_timeout_ms = 2000\n' >"$CONF"
CERTS=$T_DIR/certs
make_certs "$CERTS"
mkdir -p "$T_DIR/lo" "$T_DIR/wo"

pg_start
set_hba "hostssl all all 127.0.0.1/32 scram-sha-256"
cp "$CERTS/good.pem" "$PGD/server.crt"
cp "$CERTS/good.key" "$PGD/server.key"
chown postgres "$PGD/server.crt" "$PGD/server.key"
chmod 0600 "$PGD/server.key"
psql_do "ALTER SYSTEM SET ssl = on"
pg_reload
APPPW=$(rand)
psql_do "CREATE ROLE app LOGIN PASSWORD '$APPPW'"
cp "$CERTS/good.pem" "$T_DIR/my-cert.pem"
cp "$CERTS/good.key" "$T_DIR/my-key.pem"
chown mysql "$T_DIR/my-cert.pem" "$T_DIR/my-key.pem"
my_start --skip-name-resolve --ssl-cert="$T_DIR/my-cert.pem" \
	--ssl-key="$T_DIR/my-key.pem"
my_do "CREATE DATABASE app CHARACTER SET utf8mb4; CREATE USER 'app'@'127.0.0.1' IDENTIFIED BY '$APPPW'; GRANT ALL ON app.* TO 'app'@'127.0.0.1'"
echo "# servers up in $($PY -c "print(round($(date +%s.%N) - $t0, 1))") s"

# db_pair NAME URL [VAR=VALUE...]: the database collector on both sides
# with a bundle each (the facts are in it); verdicts in NAME.{l,w}.out
db_pair() {
	local name=$1 url=$2
	shift 2
	rm -f "$T_DIR"/lo/*.tar.gz "$T_DIR"/wo/*.tar.gz
	(
		for v in "$@"; do export "${v?}"; done
		w_pair_out "$name" run --only database --config "$CONF" \
			--db "$url" --json
	)
	LB=$(ls "$T_DIR"/lo/*.tar.gz 2>/dev/null | head -1 || true)
	WB=$(ls "$T_DIR"/wo/*.tar.gz 2>/dev/null | head -1 || true)
	mv "$LB" "$T_DIR/$name.l.tar.gz" 2>/dev/null && LB=$T_DIR/$name.l.tar.gz
	mv "$WB" "$T_DIR/$name.w.tar.gz" 2>/dev/null && WB=$T_DIR/$name.w.tar.gz
}
# w_pair with each side's own --out directory
w_pair_out() {
	local name=$1 rc
	shift
	rc=0
	"$RDIAG" "$@" --out "$T_DIR/lo" >"$T_DIR/$name.l.out" \
		2>"$T_DIR/$name.l.err" || rc=$?
	echo "$rc" >"$T_DIR/$name.l.rc"
	rc=0
	exe "$@" --out "$T_DIR/wo" >"$T_DIR/$name.w.out" \
		2>"$T_DIR/$name.w.err" || rc=$?
	echo "$rc" >"$T_DIR/$name.w.rc"
}

# same_ids NAME [EXCLUDE_RE]: both sides found the same ids at the same
# levels (without the ids matching EXCLUDE_RE), and at least one
same_ids() {
	w_ids "$T_DIR/$1.l.out" "${2:-}" >"$T_DIR/$1.l.ids" 2>/dev/null || true
	w_ids "$T_DIR/$1.w.out" "${2:-}" >"$T_DIR/$1.w.ids" 2>/dev/null || true
	w_same_file "$1: same findings and levels ($(tr '\n' ' ' <"$T_DIR/$1.l.ids"))" \
		"$T_DIR/$1.l.ids" "$T_DIR/$1.w.ids" nonempty
	[ -s "$T_DIR/$1.w.ids" ] || tail -3 "$T_DIR/$1.w.err" || true
}
# has NAME SIDE ID/LEVEL: that side found ID at LEVEL
has() {
	t_check "$1 ($2): $3" grep -qx -- "$3" "$T_DIR/$1.$2.ids"
}
# same_facts NAME RE: the facts whose keys match RE are equal on both sides
# (and there are some); timings (*_ms, *.ms) are left out
same_facts() {
	local s
	for s in l w; do
		tar -xzOf "$T_DIR/$1.$s.tar.gz" --wildcards '*/records.jsonl' |
			$PY -c 'import json, re, sys
for line in sys.stdin:
	r = json.loads(line)
	k = r.get("key", "")
	if r.get("kind") == "fact" and re.search(sys.argv[1], k) and \
			not re.search(r"(_ms|\.ms)$", k):
		print(k, "=", r["value"])' "$2" | sort >"$T_DIR/$1.$s.facts"
	done
	w_same_file "$1: same facts $2 ($(wc -l <"$T_DIR/$1.l.facts"))" \
		"$T_DIR/$1.l.facts" "$T_DIR/$1.w.facts" nonempty
}

PG="postgresql://app@127.0.0.1:$PGPORT/postgres?sslrootcert=$CERTS/ca.pem"
MY="mysql://app@127.0.0.1:$MYPORT/app?sslrootcert=$CERTS/ca.pem"

# Up, no password: the wire probe and TLS alone, on both sides alike.
db_pair pg-up "$PG"
w_same_rc "pg-up: exit code" pg-up
same_ids pg-up
has pg-up w db.pg.login.skipped/0
has pg-up w db.tls.ok/4
same_facts pg-up '\.(tls|pg)\.'
db_pair my-up "$MY"
w_same_rc "my-up: exit code" my-up
same_ids my-up
has my-up w db.mysql.login.skipped/0
same_facts my-up '\.(tls|mysql)\.'

# Up with the password: Linux logs in, rdiag.exe probes only and says so.
# What only a login can find is left out of the comparison.
AFTER_LOGIN='^db\.(pg|mysql)\.(login\.|connections_|no_database_access)'
db_pair pg-login "$PG" "RDIAG_DB_PASSWORD=$APPPW"
w_same_rc "pg-login: exit code" pg-login
same_ids pg-login "$AFTER_LOGIN"
w_ids "$T_DIR/pg-login.l.out" >"$T_DIR/pg-login.l.ids"
has pg-login l db.pg.login.ok/4
t_check "pg-login (w): no login finding" \
	bash -c "! grep -q '^db.pg.login' '$T_DIR/pg-login.w.ids'"
t_check "pg-login (w): fact pg.login says wire probe only" \
	grep -q 'wire probe only' <(w_fact "$T_DIR/pg-login.w.tar.gz" db.1.pg.login)
t_check "the password is in neither bundle" bash -c \
	"! tar -xzOf '$T_DIR/pg-login.w.tar.gz' | grep -qaF -- '$APPPW' && ! tar -xzOf '$T_DIR/pg-login.l.tar.gz' | grep -qaF -- '$APPPW'"
db_pair my-login "$MY" "RDIAG_DB_PASSWORD=$APPPW"
w_same_rc "my-login: exit code" my-login
same_ids my-login "$AFTER_LOGIN"
w_ids "$T_DIR/my-login.l.out" >"$T_DIR/my-login.l.ids"
has my-login l db.mysql.login.ok/4
t_check "my-login (w): fact mysql.login says wire probe only" \
	grep -q 'wire probe only' <(w_fact "$T_DIR/my-login.w.tar.gz" db.1.mysql.login)

# Down: a port where nothing listens.
down=$(t_free_port)
db_pair pg-down "postgresql://app@127.0.0.1:$down/postgres"
w_same_rc "pg-down: exit code" pg-down
same_ids pg-down
has pg-down w db.tcp.refused/4
db_pair my-down "mysql://app@127.0.0.1:$down/mysql"
same_ids my-down
has my-down w db.tcp.refused/4

# A host name that does not exist: each side resolves through a private
# resolv.conf naming a loopback DNS server that answers NXDOMAIN (as
# tests/integration/database-names.sh does), so nothing leaves loopback.
NX=127.0.0.64 # not database-names.sh's address: both may run at once
$PY "$HERE/db-dns-responder.py" nxdomain "$NX" &
T_PIDS+=($!)
sleep 0.5
printf 'nameserver %s\noptions timeout:1 attempts:1\n' "$NX" >"$T_DIR/nx.resolv"
nsrun() {
	unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf && shift &&
		exec "$@"' sh "$T_DIR/nx.resolv" "$@"
}
NAME=appdb.rdiag-test.invalid
rc=0
nsrun "$RDIAG" run --only database --config "$CONF" --no-bundle --json \
	--db "postgresql://app@$NAME:5432/appdb" >"$T_DIR/nx.l.out" 2>/dev/null || rc=$?
echo $rc >"$T_DIR/nx.l.rc"
rc=0
nsrun "$WINE" "$RDIAG_EXE" run --only database --config "$CONF" --no-bundle \
	--json --db "postgresql://app@$NAME:5432/appdb" >"$T_DIR/nx.w.out" 2>"$T_DIR/nx.w.err" || rc=$?
echo $rc >"$T_DIR/nx.w.rc"
w_same_rc "nx: exit code" nx
same_ids nx
has nx w db.dns.not_found/0
echo "# peers-db.sh took $($PY -c "print(round($(date +%s.%N) - $t0, 1))") s"
t_done
