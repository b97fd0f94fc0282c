# Shared helpers for the database integration tests (sourced after lib.sh):
# one rdiag run per scenario with its verdict in $T_DIR/NAME.json, checks on
# finding ids, a private PostgreSQL 15 and MariaDB 10.11 on loopback, and a
# test CA with server certificates that are good, expired, for another
# name, or self-signed. Credentials are made up per run.

PGBIN=/usr/lib/postgresql/15/bin
rand() { od -An -tx1 -N12 /dev/urandom | tr -d ' \n'; }

# run_db NAME URL [VAR=VALUE...]: one rdiag run, verdict in $T_DIR/NAME.json
# and its exit code in $T_DIR/NAME.rc ($CONF is the config file)
run_db() {
	local name=$1 url=$2 rc=0
	shift 2
	env "$@" "$RDIAG" run --only database --config "$CONF" --db "$url" \
		--json --no-bundle >"$T_DIR/$name.json" \
		2>"$T_DIR/$name.err" || rc=$?
	echo "$rc" >"$T_DIR/$name.rc"
}

# db_ids NAME: the ids the run NAME reported, space-separated
db_ids() {
	t_json "$T_DIR/$1.json" '" ".join(f["id"] for f in j["findings"])' \
		2>/dev/null || cat "$T_DIR/$1.err"
}

# expect NAME ID...: the run NAME reported every finding ID
expect() {
	local name=$1 id
	shift
	for id in "$@"; do
		if t_has_finding "$T_DIR/$name.json" "$id"; then
			t_ok "$name: $id"
		else
			t_fail "$name: $id (got: $(db_ids "$name"))"
		fi
	done
}

# expect_not NAME ID...: the run NAME reported none of the IDs
expect_not() {
	local name=$1 id
	shift
	for id in "$@"; do
		if t_has_finding "$T_DIR/$name.json" "$id"; then
			t_fail "$name: unexpected $id"
		else
			t_ok "$name: no $id"
		fi
	done
}

# finding_field NAME ID FIELD: a field of the finding ID in run NAME
finding_field() {
	$PY -c 'import json,sys
j = json.load(open(sys.argv[1]))
print(next((f.get(sys.argv[3], "") for f in j["findings"]
	if f["id"] == sys.argv[2]), ""))' "$T_DIR/$1.json" "$2" "$3"
}

# pg_start: a PostgreSQL 15 cluster on 127.0.0.1:$PGPORT, superuser
# postgres over the socket in $PGSOCK; psql_do SQL, set_hba LINES, pg_reload
pg_start() {
	PGD=$T_DIR/pg
	PGSOCK=$T_DIR/pgsock
	PGPORT=$(t_free_port)
	mkdir -p "$PGD" "$PGSOCK"
	chown postgres "$PGD" "$PGSOCK"
	rand >"$T_DIR/pgpw"
	chown postgres "$T_DIR/pgpw"
	runuser -u postgres -- "$PGBIN/initdb" -D "$PGD" -A scram-sha-256 \
		--pwfile="$T_DIR/pgpw" -U postgres >"$T_DIR/initdb.log" 2>&1
	T_CLEANUPS+=("runuser -u postgres -- $PGBIN/pg_ctl -D $PGD -m immediate stop >/dev/null 2>&1")
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGD" -l "$PGSOCK/pg.log" \
		-w -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGSOCK" \
		start >/dev/null
	set_hba "local all all trust"
}
psql_do() {
	"$PGBIN/psql" -h "$PGSOCK" -p "$PGPORT" -U postgres -d postgres \
		-v ON_ERROR_STOP=1 -qAtc "$1"
}
pg_reload() {
	runuser -u postgres -- "$PGBIN/pg_ctl" -D "$PGD" reload >/dev/null
	sleep 0.3
}
# The local line keeps the test's own psql working whatever the host lines.
set_hba() {
	printf 'local all all trust\n%s\n' "$1" >"$PGD/pg_hba.conf"
	pg_reload
}

# my_start [mariadbd options...]: MariaDB 10.11 on 127.0.0.1:$MYPORT (or
# $MYADDR), root over the socket; my_do SQL
my_start() {
	MYD=$T_DIR/my
	MYPORT=$(t_free_port)
	mkdir -p "$MYD"
	chown mysql "$MYD"
	mariadb-install-db --user=mysql --datadir="$MYD" \
		>"$T_DIR/my-install.log" 2>&1
	mariadbd --no-defaults --user=mysql --datadir="$MYD" \
		--bind-address="${MYADDR:-127.0.0.1}" --port="$MYPORT" \
		--socket="$MYD/my.sock" --pid-file="$MYD/my.pid" \
		--max-connections=10 "$@" >"$T_DIR/my.log" 2>&1 &
	T_PIDS+=($!)
	for _ in $(seq 300); do
		mariadb-admin -S "$MYD/my.sock" -u root ping >/dev/null 2>&1 &&
			return 0
		sleep 0.1
	done
	echo "mariadbd did not start" >&2
	return 1
}
my_do() { mariadb -S "$MYD/my.sock" -u root -N -B -e "$1"; }

# make_certs DIR [IP]: ca.pem (a test CA), and key/cert pairs signed by it
# for IP (default 127.0.0.1): good, expired (2020), future (valid from
# 2099), other (names another host); self (self-signed); app (a client certificate for user app).
make_certs() {
	local d=$1 ip=${2:-127.0.0.1} n
	mkdir -p "$d"
	(
		cd "$d"
		printf '%s\n' '[ca]' 'default_ca = c' '[c]' 'dir = .' \
			'database = index.txt' 'new_certs_dir = .' \
			'serial = serial' 'default_md = sha256' 'policy = p' \
			'copy_extensions = copy' 'unique_subject = no' '[p]' \
			'commonName = supplied' >ca.cnf
		: >index.txt
		echo 01 >serial
		openssl req -x509 -newkey rsa:2048 -nodes -days 3650 \
			-subj "/CN=rdiag test CA" -keyout ca.key -out ca.pem
		for n in good expired future other; do
			openssl req -newkey rsa:2048 -nodes -subj "/CN=$n" \
				-addext "subjectAltName=$([ $n = other ] &&
					echo DNS:other.test.invalid ||
					echo "IP:$ip")" \
				-keyout $n.key -out $n.csr
		done
		openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key \
			-days 400 -in good.csr -out good.pem
		openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key \
			-days 400 -in other.csr -out other.pem
		openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key \
			-startdate 20200101000000Z -enddate 20210101000000Z \
			-in expired.csr -out expired.pem
		openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key \
			-startdate 20990101000000Z -enddate 21000101000000Z \
			-in future.csr -out future.pem
		openssl req -x509 -newkey rsa:2048 -nodes -days 400 \
			-subj "/CN=$ip" -addext "subjectAltName=IP:$ip" \
			-keyout self.key -out self.pem
		openssl req -newkey rsa:2048 -nodes -subj /CN=app \
			-keyout app.key -out app.csr
		openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca.key \
			-days 30 -in app.csr -out app.pem
		chmod 0644 ./*.pem
		chmod 0600 ./*.key
	) >"$T_DIR/certs.log" 2>&1
}
