#!/bin/bash
# MySQL/MariaDB against a real MariaDB 10.11: rdiag logs in over TLS when
# the server offers it; TLS required by the server (require_secure_transport)
# or by the account (REQUIRE SSL) is named as such, never as a wrong
# password, also when the application's ssl-mode disables TLS; client
# certificates and verification follow the url; and rdiag's own probes never
# count as connection errors (max_connect_errors = 2, repeated runs, then a
# real login still works and the host cache shows no error).
#
# MariaDB does not count errors from 127.0.0.1, so the test runs in its own
# network and mount namespace: 192.0.2.10 on its loopback device (nothing
# leaves the namespace) and a private /etc/hosts naming it, so the server's
# host cache tracks the client.
if [ -z "${RDIAG_DB_NS:-}" ]; then
	exec unshare -n -m env RDIAG_DB_NS=1 bash "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-db.sh"

ip link set lo up
ip addr add 192.0.2.10/32 dev lo
printf '127.0.0.1 localhost\n192.0.2.10 appclient.test\n' >"$T_DIR/hosts"
mount --bind "$T_DIR/hosts" /etc/hosts

CONF=$T_DIR/rdiag.conf
printf '[database]\nconnect_timeout_ms = 3000\n' >"$CONF"
CERTS=$T_DIR/certs
make_certs "$CERTS" 192.0.2.10
chown mysql "$CERTS/good.pem" "$CERTS/good.key" "$CERTS/ca.pem"
MYADDR=192.0.2.10 my_start --max-connect-errors=2 --performance-schema=ON \
	--ssl-cert="$CERTS/good.pem" --ssl-key="$CERTS/good.key" \
	--ssl-ca="$CERTS/ca.pem"
MY_PW=$(rand)
my_do "CREATE DATABASE appdb;
	CREATE USER app@'%' IDENTIFIED BY '$MY_PW';
	CREATE USER tlsapp@'%' IDENTIFIED BY '$MY_PW' REQUIRE SSL;
	CREATE USER certapp@'%' IDENTIFIED BY '$MY_PW' REQUIRE X509;
	GRANT ALL ON appdb.* TO app@'%', tlsapp@'%', certapp@'%'"
URL() { echo "mysql://$1@192.0.2.10:$MYPORT/appdb${2:+?$2}"; }
PW=RDIAG_DB_PASSWORD=$MY_PW

# host_cache: "SUM_CONNECT_ERRORS COUNT_HANDSHAKE_ERRORS" for the client
host_errors() {
	my_do "SELECT SUM_CONNECT_ERRORS, COUNT_HANDSHAKE_ERRORS FROM
		performance_schema.host_cache WHERE IP = '192.0.2.10'"
}

# --- rdiag's probes do not count as connection errors --------------------
for i in 1 2 3 4; do
	run_db "probe-$i" "$(URL app)"
done
expect probe-4 db.mysql.greeting db.mysql.tls.offered db.mysql.login.skipped
expect_not probe-4 db.mysql.host_blocked
t_check "4 probes leave no connect or handshake error ($(host_errors))" \
	test "$(host_errors | tr -s '\t ' ' ')" = "0 0"
t_check "a real login still works after the probes" \
	mariadb -h 192.0.2.10 -P "$MYPORT" -u app -p"$MY_PW" -N -e "SELECT 1" \
	>/dev/null
# The control: clients that drop the handshake are counted and block.
for i in 1 2 3; do
	$PY -c 'import socket, sys
s = socket.create_connection(("192.0.2.10", int(sys.argv[1]))); s.recv(4096)
s.close()' "$MYPORT"
done
run_db blocked "$(URL app)" "$PW"
expect blocked db.mysql.host_blocked
my_do "FLUSH HOSTS"

# --- TLS when offered; required by the server or the account -------------
run_db good "$(URL app)" "$PW"
expect good db.mysql.login.ok
t_check "good: logged in over TLS" grep -q "over TLS" "$T_DIR/good.json"
run_db bad "$(URL app)" RDIAG_DB_PASSWORD="$(rand)"
expect bad db.mysql.login.denied

run_db acct "$(URL tlsapp)" "$PW"
expect acct db.mysql.login.ok db.mysql.tls.required
run_db acct-disabled "$(URL tlsapp ssl-mode=DISABLED)" "$PW"
expect acct-disabled db.mysql.tls.required_by_account
expect_not acct-disabled db.mysql.login.denied db.mysql.login.ok
t_check "acct-disabled: the finding names ssl-mode=DISABLED" \
	grep -q "ssl-mode=DISABLED" "$T_DIR/acct-disabled.json"

my_do "SET GLOBAL require_secure_transport = ON"
run_db rst "$(URL app)" "$PW"
expect rst db.mysql.login.ok db.mysql.tls.required
run_db rst-disabled "$(URL app ssl-mode=disabled)" "$PW"
expect rst-disabled db.mysql.tls.required_by_server
expect_not rst-disabled db.mysql.login.denied db.mysql.tls.required_by_account
my_do "SET GLOBAL require_secure_transport = OFF"
run_db plain-disabled "$(URL app ssl-mode=DISABLED)" "$PW"
expect plain-disabled db.mysql.login.ok
t_check "plain-disabled: logged in without TLS, as the setting says" \
	grep -q "without TLS" "$T_DIR/plain-disabled.json"

# --- client certificates and verification from the url -------------------
run_db cert-none "$(URL certapp)" "$PW"
expect cert-none db.mysql.login.denied
t_check "cert-none: the hint names the client certificate" \
	grep -q "REQUIRE X509" "$T_DIR/cert-none.json"
run_db cert "$(URL certapp "ssl-cert=$CERTS/app.pem&ssl-key=$CERTS/app.key")" "$PW"
expect cert db.mysql.login.ok
run_db verify "$(URL app "ssl-mode=VERIFY_IDENTITY&ssl-ca=$CERTS/ca.pem")" "$PW"
expect verify db.mysql.login.ok db.tls.ok
run_db verify-noca "$(URL app ssl-mode=VERIFY_CA)" "$PW"
expect verify-noca db.tls.untrusted
t_check "verify-noca: untrusted is a failure when the application verifies" \
	test "$(finding_field verify-noca db.tls.untrusted severity)" = fail

# --- accounts that cannot log in for reasons of their own -----------------
my_do "CREATE USER locked@'%' IDENTIFIED BY '$MY_PW' ACCOUNT LOCK;
	CREATE USER expired@'%' IDENTIFIED BY '$MY_PW' PASSWORD EXPIRE;
	CREATE USER limited@'%' IDENTIFIED BY '$MY_PW' WITH MAX_USER_CONNECTIONS 1;
	CREATE USER blocked@'%' IDENTIFIED BY '$MY_PW';
	GRANT ALL ON appdb.* TO limited@'%', locked@'%', expired@'%', blocked@'%'"
run_db locked "$(URL locked)" "$PW"
expect locked db.mysql.account_locked
expect_not locked db.mysql.login.denied
run_db expired "$(URL expired)" "$PW"
expect expired db.mysql.password_expired
expect_not expired db.mysql.login.ok db.mysql.login.denied
mariadb -h 192.0.2.10 -P "$MYPORT" -u limited -p"$MY_PW" -N \
	-e "SELECT SLEEP(20)" >/dev/null 2>&1 &
T_PIDS+=($!)
sleep 1
run_db limited "$(URL limited)" "$PW"
expect limited db.mysql.user_connection_limit
my_do "SET GLOBAL max_password_errors = 2"
for i in 1 2; do
	mariadb -h 192.0.2.10 -P "$MYPORT" -u blocked -p"$(rand)" \
		-e "SELECT 1" >/dev/null 2>&1 || true
done
run_db blocked-user "$(URL blocked)" "$PW"
expect blocked-user db.mysql.user_blocked
expect_not blocked-user db.mysql.login.denied
# The probe never sends the application's user: it cannot add to the count.
my_do "FLUSH PRIVILEGES"
for i in 1 2 3; do
	run_db "blocked-probe-$i" "$(URL blocked)"
done
run_db blocked-after "$(URL blocked)" "$PW"
expect blocked-after db.mysql.login.ok
my_do "SET GLOBAL max_password_errors = DEFAULT"

# --- url parameters rdiag cannot honour: exit 64 --------------------------
run_db param "$(URL app useSSL=false)"
t_check "useSSL=false: exit 64" test "$(cat "$T_DIR/param.rc")" = 64
t_check "useSSL=false: the message names the parameter" \
	grep -q "parameter 'useSSL'" "$T_DIR/param.err"

t_check "no password in any verdict" \
	bash -c "! grep -rq -e '$MY_PW' $T_DIR/*.json"
t_done
