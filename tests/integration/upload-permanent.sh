#!/usr/bin/env bash
# Which upload failures are retried: a permanent one (a file:// directory
# that is not there, HTTP 400/401/403/404 on a fixed URL, a host name that
# does not resolve) fails at the first attempt; only transient ones (5xx,
# 429, connection refused) are retried. Each failure still keeps the
# bundle and prints the command to send it later. The DNS case runs in a
# network namespace of its own (unshare -rn: loopback only), so no name is
# ever looked up outside this machine.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-upload.sh"

d="$T_DIR/nginx"
u_ca "$d" perm
port=$(t_free_port)
u_nginx_tls "$d" "$port" <<CONF
		location /e400/ { return 400; }
		location /e401/ { return 401; }
		location /e403/ { return 403; }
		location /e404/ { return 404; }
		location /e429/ { return 429; }
		location /e503/ { return 503; }
CONF
cat >"$T_DIR/up.conf" <<CONF
[upload]
ca_file = $d/ca.pem
retries = 2
retry_delay_ms = 50
retry_max_delay = 1
CONF
b="$T_DIR/bundle.tar.gz"
u_file "$b" 64

# try NAME URL [RUNNER...]: upload b to URL; stderr in $T_DIR/NAME.err.
try() {
	local name=$1 url=$2
	shift 2
	rc=0
	"$@" "$RDIAG" upload "$b" --to "$url" --config "$T_DIR/up.conf" \
		>"$T_DIR/$name.out" 2>"$T_DIR/$name.err" || rc=$?
}

# permanent NAME URL WHY [RUNNER...]: one attempt, exit 69, the cause and
# the command for later.
permanent() {
	local name=$1 url=$2 why=$3
	shift 3
	try "$name" "$url" "$@"
	local e="$T_DIR/$name.err"
	t_check "$name: fails at once (exit 69, 1 attempt, no retry)" \
		bash -c "[ $rc = 69 ] && grep -q 'after 1 attempt:' '$e' && ! grep -q retrying '$e'"
	t_check "$name: says why" grep -qF -- "$why" "$e"
	t_check "$name: prints the command to send it later" \
		grep -qF -- "to send it later run: rdiag upload '$b' --to '$url'" "$e"
}

# transient NAME URL: retried (3 attempts with retries = 2), exit 69.
transient() {
	try "$1" "$2"
	local e="$T_DIR/$1.err"
	t_check "$1: retried (exit 69, 3 attempts)" \
		bash -c "[ $rc = 69 ] && grep -q 'after 3 attempts:' '$e' && [ \$(grep -c retrying '$e') = 2 ]"
}

base="https://127.0.0.1:$port"
permanent http400 "$base/e400/" "HTTP 400"
permanent http401 "$base/e401/" "HTTP 401"
permanent http403 "$base/e403/" "HTTP 403"
permanent http404 "$base/e404/" "HTTP 404"
transient http429 "$base/e429/"
transient http503 "$base/e503/"
closed=$(t_free_port)
transient refused "https://127.0.0.1:$closed/in/"

permanent nodir "file://$T_DIR/no/such/dir/" "directory '$T_DIR/no/such/dir' does not exist"
t_check "nodir: nothing written" test ! -e "$T_DIR/no"
mkdir "$T_DIR/drop"
try filedir "file://$T_DIR/drop/"
t_check "file:// to a directory that exists still works" \
	bash -c "[ $rc = 0 ] && cmp -s '$b' '$T_DIR/drop/bundle.tar.gz'"
rm -f "$b.receipt.json" # the receipt would stop the sends below

# A name that does not exist (curl code 6), resolved only inside a
# namespace with nothing but loopback: the lookup cannot leave the machine.
if unshare -rn true 2>/dev/null; then
	permanent nxdomain "https://upload.rdiag-test.invalid/in/" \
		"Could not resolve host: upload.rdiag-test.invalid (the host name does not resolve" \
		unshare -rn
else
	t_ok "nxdomain: skipped (no user and network namespaces here)"
fi

# The public half where the secret ssh key belongs is named before any
# connection is tried.
ssh-keygen -q -t ed25519 -N '' -C test -f "$T_DIR/id" </dev/null >/dev/null
cat >>"$T_DIR/up.conf" <<CONF
ssh_key = $T_DIR/id.pub
ssh_host_key_sha256 = SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
CONF
try sshpub "sftp://u@127.0.0.1:$closed/in/"
t_check "sftp ssh_key .pub: refused as a public key" \
	bash -c "[ $rc != 0 ] && grep -qF \"ssh_key '$T_DIR/id.pub' is a public key (OpenSSH public key); give the secret key file\" '$T_DIR/sshpub.err'"

t_check "rdiag help upload says what is retried" \
	bash -c '"$RDIAG" help upload | grep -q "are retried" && "$RDIAG" help upload | grep -q "fail at once"'

t_done
