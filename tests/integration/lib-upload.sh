# Helpers for the upload integration tests (sourced after lib.sh): a test
# CA, and the real servers an upload goes to, each started on 127.0.0.1 on a
# free high port in T_DIR and stopped by lib.sh's trap.
PEERS="${RDIAG_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}/tests/peers"
export RDIAG_SYSTEM_CONFIG=""
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy no_proxy NO_PROXY
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN RDIAG_UPLOAD_PASSWORD

# u_ca DIR: a CA (DIR/ca.pem) and a server cert for IP:127.0.0.1
# (DIR/srv.pem, DIR/srv.key); DIR/pin holds the server key's sha256 pin.
u_ca() {
	local d=$1
	mkdir -p "$d"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/ca.key" -out "$d/ca.pem" -days 2 -subj "/CN=rdiag test CA $2" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$d/srv.key" -out "$d/srv.csr" -subj /CN=127.0.0.1 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >"$d/ext"
	openssl x509 -req -in "$d/srv.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		-CAcreateserial -days 2 -out "$d/srv.pem" -extfile "$d/ext" 2>/dev/null
	openssl x509 -in "$d/srv.pem" -pubkey -noout | openssl pkey -pubin -outform der |
		openssl dgst -sha256 -binary | base64 >"$d/pin"
}

# u_file PATH SIZE_KB: a file of random bytes.
u_file() {
	head -c "$(($2 * 1024))" /dev/urandom >"$1"
}

# u_nginx_tls DIR PORT: nginx on 127.0.0.1:PORT with TLS from DIR's test
# cert (u_ca), its pid, logs and temp files in DIR; the rest of the server
# block comes on stdin. Sets U_NGINX_PID. lib-ticket.sh's proxy uses it too.
u_nginx_tls() {
	local d=$1 port=$2
	mkdir -p "$d/tmp" "$d/logs"
	chmod 0777 "$d/tmp"
	{
		cat <<CONF
worker_processes 1;
pid $d/nginx.pid;
error_log $d/logs/error.log;
events { worker_connections 64; }
http {
	access_log $d/logs/access.log;
	client_body_temp_path $d/tmp/body;
	proxy_temp_path $d/tmp/proxy;
	fastcgi_temp_path $d/tmp/fcgi;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	server {
		listen 127.0.0.1:$port ssl;
		ssl_certificate $d/srv.pem;
		ssl_certificate_key $d/srv.key;
CONF
		cat
		printf '\t}\n}\n'
	} >"$d/nginx.conf"
	nginx -c "$d/nginx.conf" -p "$d" -g 'daemon off;' 2>>"$d/logs/stderr" &
	U_NGINX_PID=$!
	T_PIDS+=("$U_NGINX_PID")
	t_wait_port "$port"
}

# u_nginx DIR PORT: nginx with WebDAV PUT under /up/ (basic auth user
# "vendor", password in DIR/password) and /small/ (10 KiB limit).
u_nginx() {
	local d=$1 port=$2
	mkdir -p "$d/www/up" "$d/www/small"
	chmod -R 0777 "$d/www"
	echo "pw-$RANDOM$RANDOM" >"$d/password"
	printf 'vendor:%s\n' "$(openssl passwd -apr1 "$(cat "$d/password")")" >"$d/htpasswd"
	u_nginx_tls "$d" "$port" <<CONF
		root $d/www;
		auth_basic "rdiag test";
		auth_basic_user_file $d/htpasswd;
		location /up/ {
			dav_methods PUT;
			create_full_put_path on;
			client_max_body_size 2g;
		}
		location /small/ {
			dav_methods PUT;
			client_max_body_size 10k;
		}
CONF
}

# u_sshd DIR PORT: sshd serving internal-sftp from DIR/files; a client key
# DIR/client (ed25519), the host key's pin in DIR/hostpin (SHA256:...).
u_sshd() {
	local d=$1 port=$2
	mkdir -p -m 0755 /run/sshd
	mkdir -p "$d/files"
	ssh-keygen -q -t ed25519 -N '' -f "$d/host" -C host
	ssh-keygen -q -t ed25519 -N '' -f "$d/client" -C client
	cp "$d/client.pub" "$d/authorized_keys"
	ssh-keygen -lf "$d/host.pub" | awk '{print $2}' >"$d/hostpin"
	cat >"$d/sshd_config" <<CONF
ListenAddress 127.0.0.1:$port
HostKey $d/host
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
Subsystem sftp internal-sftp
ForceCommand internal-sftp -d $d/files
CONF
	/usr/sbin/sshd -D -e -f "$d/sshd_config" 2>>"$d/sshd.log" &
	U_SSHD_PID=$!
	T_PIDS+=("$U_SSHD_PID")
	t_wait_port "$port"
}

# u_s3 DIR S3PORT VPORT SECRET: s3rver (data in DIR/data, bucket "bkt")
# behind the SigV4 verifier on VPORT (HTTPS, DIR's cert); key id S3RVER.
u_s3() {
	local d=$1 sport=$2 vport=$3 secret=$4
	mkdir -p "$d/data"
	node "$PEERS/s3-server.js" "$sport" "$d/data" bkt >>"$d/s3rver.log" 2>&1 &
	U_S3_PID=$!
	T_PIDS+=("$U_S3_PID")
	VERIFY_KEY_ID=S3RVER VERIFY_SECRET=$secret \
		node "$PEERS/s3-verify-proxy.js" "$vport" "$sport" "$d/srv.pem" "$d/srv.key" \
		>>"$d/verifier.log" 2>&1 &
	U_VERIFY_PID=$!
	T_PIDS+=("$U_VERIFY_PID")
	t_wait_port "$sport"
	t_wait_port "$vport"
}

# u_tus DIR PORT: a tus 1.0 server over HTTPS at /files.
u_tus() {
	local d=$1 port=$2
	mkdir -p "$d/store"
	node "$PEERS/tus-server.mjs" "$port" "$d/store" "$d/srv.pem" "$d/srv.key" \
		>>"$d/tus.log" 2>&1 &
	U_TUS_PID=$!
	T_PIDS+=("$U_TUS_PID")
	t_wait_port "$port"
}

# u_tinyproxy DIR PORT: a CONNECT proxy logging each request.
u_tinyproxy() {
	local d=$1 port=$2
	mkdir -p -m 0777 "$d"
	cat >"$d/tinyproxy.conf" <<CONF
User nobody
Group nogroup
Port $port
Listen 127.0.0.1
Timeout 60
LogFile "$d/tinyproxy.log"
LogLevel Connect
MaxClients 10
Allow 127.0.0.1
DisableViaHeader Yes
CONF
	tinyproxy -d -c "$d/tinyproxy.conf" >>"$d/stderr" 2>&1 &
	T_PIDS+=("$!")
	t_wait_port "$port"
}

# u_wait_size FILE BYTES [SECONDS]: until FILE has at least BYTES.
u_wait_size() {
	local i
	for ((i = 0; i < ${3:-30} * 20; i++)); do
		if [ -f "$1" ] && [ "$(stat -c %s "$1")" -ge "$2" ]; then return 0; fi
		sleep 0.05
	done
	return 1
}

# u_wait_grep FILE PATTERN COUNT [SECONDS]: until PATTERN matches COUNT lines.
u_wait_grep() {
	local i
	for ((i = 0; i < ${4:-30} * 20; i++)); do
		if [ -f "$1" ] && [ "$(grep -c -- "$2" "$1" || true)" -ge "$3" ]; then return 0; fi
		sleep 0.05
	done
	return 1
}
