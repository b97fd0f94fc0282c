#!/usr/bin/env bash
# rdiag.exe's upload under wine against the same real servers on loopback
# as Linux rdiag (each started once): https (nginx WebDAV, CA file; a wrong
# CA file and a certificate for another address refused), S3 (s3rver behind
# the SigV4 verifier), sftp (sshd internal-sftp; host-key pin, a wrong pin
# refused), tus and file://. For each, Linux rdiag and rdiag.exe send the
# same bundle: same exit code, same output and receipt (up to the target
# directory and time), the stored file byte-identical, and a bundle is
# never removed before the server confirmed it.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../integration/lib-upload.sh"
. "$(dirname "$0")/lib/peers.sh"

t0=$(date +%s.%N)
# One CA for every server; "other" is a CA nobody uses.
d="$T_DIR/nginx"
u_ca "$d" one
u_ca "$T_DIR/other" two
# A certificate from the same CA for another address (127.0.0.9).
x="$T_DIR/xip"
mkdir -p "$x"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$x/srv.key" -out "$x/srv.csr" -subj /CN=127.0.0.9 2>/dev/null
printf 'subjectAltName=IP:127.0.0.9\nbasicConstraints=CA:FALSE\n' >"$x/ext"
openssl x509 -req -in "$x/srv.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
	-CAcreateserial -days 2 -out "$x/srv.pem" -extfile "$x/ext" 2>/dev/null
for s in s3 tus; do
	mkdir -p "$T_DIR/$s"
	cp "$d/srv.pem" "$d/srv.key" "$d/ca.pem" "$T_DIR/$s/"
done
port=$(t_free_port)
u_nginx "$d" "$port"
xport=$(t_free_port)
u_nginx_tls "$x" "$xport" <<CONF
		location / { return 204; }
CONF
sport=$(t_free_port)
u_sshd "$T_DIR/ssh" "$sport"
s3secret="sk-$RANDOM$RANDOM$RANDOM"
s3port=$(t_free_port)
vport=$(t_free_port)
u_s3 "$T_DIR/s3" "$s3port" "$vport" "$s3secret"
tport=$(t_free_port)
u_tus "$T_DIR/tus" "$tport"
echo "# servers up in $($PY -c "print(round($(date +%s.%N) - $t0, 1))") s"

pw=$(cat "$d/password")
cat >"$T_DIR/up.conf" <<CONF
[agent]
min_free_mb = 1
[upload]
ca_file = $d/ca.pem
retries = 1
retry_delay_ms = 100
s3_endpoint = https://127.0.0.1:$vport
s3_path_style = yes
s3_region = eu-central-1
part_size = 256K
multipart_threshold = 512K
ssh_key = $T_DIR/ssh/client
ssh_host_key_sha256 = $(cat "$T_DIR/ssh/hostpin")
CONF
sed "s#^ca_file = .*#ca_file = $T_DIR/other/ca.pem#" "$T_DIR/up.conf" \
	>"$T_DIR/wrongca.conf"
ssh-keygen -q -t ed25519 -N '' -f "$T_DIR/otherhost" -C other
sed "s#^ssh_host_key_sha256 = .*#ssh_host_key_sha256 = $(ssh-keygen -lf "$T_DIR/otherhost.pub" | awk '{print $2}')#" \
	"$T_DIR/up.conf" >"$T_DIR/badpin.conf"
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=$s3secret
export RDIAG_UPLOAD_PASSWORD=$pw
src="$T_DIR/src.tar.gz"
u_file "$src" 700 # over multipart_threshold: S3 sends parts

# up_pair NAME URL CONF: the same bundle sent by each side, to URL with
# @S@ replaced by l (Linux) or w (rdiag.exe); bundles in $T_DIR/NAME/S/,
# outputs in NAME.S.{out,err,rc}, output normalised to NAME.S.norm.
up_pair() {
	local name=$1 url=$2 conf=$3 s rc
	for s in l w; do
		mkdir -p "$T_DIR/$name/$s"
		cp "$src" "$T_DIR/$name/$s/b.tar.gz"
		rc=0
		if [ $s = l ]; then
			"$RDIAG" upload "$T_DIR/$name/$s/b.tar.gz" --to "${url//@S@/$s}" \
				--config "$conf" >"$T_DIR/$name.$s.out" \
				2>"$T_DIR/$name.$s.err" || rc=$?
		else
			exe upload "$T_DIR/$name/$s/b.tar.gz" --to "${url//@S@/$s}" \
				--config "$conf" >"$T_DIR/$name.$s.out" \
				2>"$T_DIR/$name.$s.err" || rc=$?
		fi
		echo "$rc" >"$T_DIR/$name.$s.rc"
		# The side's directory, and libcurl's own words (OpenSSL vs
		# Schannel) between "after N attempt(s): " and rdiag's hint.
		cat "$T_DIR/$name.$s.out" "$T_DIR/$name.$s.err" |
			sed -e "s#/$s/#/S/#g" \
				-e 's#\(attempts\{0,1\}: [a-z ]*: \).*\( (the server\)#\1LIBCURL\2#' \
				>"$T_DIR/$name.$s.norm"
	done
}
# receipt NAME S: the side's receipt without time and target directory
receipt() {
	t_json "$T_DIR/$1/$2/b.tar.gz.receipt.json" \
		'json.dumps({k: v for k, v in j.items() if k != "time"}, sort_keys=True)' |
		sed "s#/$2/#/S/#g"
}
# same_ok NAME STORED_L STORED_W: both sides uploaded, alike, byte-identical
same_ok() {
	w_same_rc "$1: exit code" "$1" 0
	w_same_file "$1: same output" "$T_DIR/$1.l.norm" "$T_DIR/$1.w.norm"
	if [ -e "$T_DIR/$1/w/b.tar.gz.receipt.json" ] &&
		[ "$(receipt "$1" l)" = "$(receipt "$1" w)" ]; then
		t_ok "$1: same receipt"
	else
		t_fail "$1: receipts differ"
		receipt "$1" l || true
		receipt "$1" w || true
	fi
	if [ -n "${2:-}" ]; then
		t_check "$1: stored files byte-identical" \
			bash -c "cmp -s '$src' '$2' && cmp -s '$src' '$3'"
	fi
}
# same_refused NAME RC WORDS: both sides refused alike with RC, the message
# has WORDS, the bundle is kept and no receipt written
same_refused() {
	w_same_rc "$1: exit code" "$1" "$2"
	w_same_file "$1: same message (but libcurl's words)" \
		"$T_DIR/$1.l.norm" "$T_DIR/$1.w.norm"
	t_check "$1 (w): says '$3'" grep -q -- "$3" "$T_DIR/$1.w.err"
	t_check "$1 (w): bundle kept, no receipt" bash -c \
		"cmp -s '$src' '$T_DIR/$1/w/b.tar.gz' && [ ! -e '$T_DIR/$1/w/b.tar.gz.receipt.json' ]"
}

# https: WebDAV PUT with the CA file.
base="https://vendor@127.0.0.1:$port/up"
up_pair https "$base/@S@/" "$T_DIR/up.conf"
same_ok https "$d/www/up/l/b.tar.gz" "$d/www/up/w/b.tar.gz"
# The receipt stops a second send on both sides.
for s in l w; do rm -rf "$d/www/up/again$s"; done
rc=0
exe upload "$T_DIR/https/w/b.tar.gz" --to "$base/againw/" \
	--config "$T_DIR/up.conf" >/dev/null 2>"$T_DIR/again.err" || rc=$?
t_check "https (w): second send refused by the receipt (exit $rc)" bash -c \
	"[ $rc = 0 ] && grep -q 'already arrived' '$T_DIR/again.err' && [ ! -e '$d/www/up/againw/b.tar.gz' ]"
up_pair wrongca "$base/ca/@S@/" "$T_DIR/wrongca.conf"
same_refused wrongca 69 "not trusted"
up_pair otherip "https://127.0.0.1:$xport/x/@S@/" "$T_DIR/up.conf"
same_refused otherip 69 "not trusted"
t_check "otherip (w): nothing reached the server" \
	bash -c "! grep -q 'PUT /x/' '$x/logs/access.log'"
RDIAG_UPLOAD_PASSWORD=wrong-$pw up_pair badpw "$base/pw/@S@/" "$T_DIR/up.conf"
same_refused badpw 69 "HTTP 401"

# S3: multipart through the SigV4 verifier.
up_pair s3 "s3://bkt/in/@S@/" "$T_DIR/up.conf"
same_ok s3 "$T_DIR/s3/data/bkt/in/l/b.tar.gz._S3rver_object" \
	"$T_DIR/s3/data/bkt/in/w/b.tar.gz._S3rver_object"
t_check "s3: the verifier checked rdiag.exe's signatures" \
	bash -c "! grep -q REJECT '$T_DIR/s3/verifier.log'"

# sftp: the host-key pin (CURLOPT_SSH_KEYFUNCTION in rdiag.exe).
surl="sftp://root@127.0.0.1:$sport$T_DIR/ssh/files/@S@/"
up_pair sftp "$surl" "$T_DIR/up.conf"
same_ok sftp "$T_DIR/ssh/files/l/b.tar.gz" "$T_DIR/ssh/files/w/b.tar.gz"
up_pair sftppin "${surl%/@S@/}/pin/@S@/" "$T_DIR/badpin.conf"
same_refused sftppin 69 "host key"
t_check "sftppin (w): nothing written on the server" \
	test ! -e "$T_DIR/ssh/files/pin/w"

# Killed half way, then resumed by appending (curl's libssh backend in
# rdiag.exe, libssh2 on Linux). wine itself, not a shell around it, is
# killed; sshd may still write what it had received: wait until the
# .partial stops growing.
mkdir -p "$T_DIR/resume"
u_file "$T_DIR/resume/big.tar.gz" 3072
{ cat "$T_DIR/up.conf"; echo "max_rate = 512K"; } >"$T_DIR/slow.conf"
rurl="sftp://root@127.0.0.1:$sport$T_DIR/ssh/files/resume/"
part="$T_DIR/ssh/files/resume/big.tar.gz.partial"
"$WINE" "$RDIAG_EXE" upload "$T_DIR/resume/big.tar.gz" --to "$rurl" \
	--config "$T_DIR/slow.conf" >/dev/null 2>&1 &
pid=$!
t_check "sftp resume (w): the .partial grows on the server" \
	u_wait_size "$part" 500000 20
kill -9 "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
last=-1
for _ in $(seq 50); do
	now=$(stat -c %s "$part" 2>/dev/null || echo 0)
	[ "$now" = "$last" ] && break
	last=$now
	sleep 0.2
done
t_check "sftp resume (w): interrupted half way" \
	test "$(stat -c %s "$part")" -lt "$(stat -c %s "$T_DIR/resume/big.tar.gz")"
rc=0
exe upload "$T_DIR/resume/big.tar.gz" --to "$rurl" --config "$T_DIR/up.conf" -v \
	>/dev/null 2>"$T_DIR/resume.err" || rc=$?
t_check "sftp resume (w): the second run appended (exit $rc)" \
	bash -c "[ $rc = 0 ] && grep -q 'resuming at byte' '$T_DIR/resume.err'"
t_check "sftp resume (w): byte-identical, no .partial left" bash -c \
	"cmp -s '$T_DIR/resume/big.tar.gz' '$T_DIR/ssh/files/resume/big.tar.gz' && [ ! -e '$part' ]"

# tus: the server names the upload; compare the stored bytes.
up_pair tus "tus+https://127.0.0.1:$tport/files" "$T_DIR/up.conf"
same_ok tus
t_check "tus: both uploads stored byte-identical" bash -c \
	"[ \$(cd '$T_DIR/tus/store' && for f in *; do cmp -s '$src' \"\$f\" && echo \$f; done | wc -l) -ge 2 ]"

# file://: an atomic copy.
mkdir -p "$T_DIR/dest/l" "$T_DIR/dest/w"
up_pair file "file://$T_DIR/dest/@S@/" "$T_DIR/up.conf"
same_ok file "$T_DIR/dest/l/b.tar.gz" "$T_DIR/dest/w/b.tar.gz"

# run --upload --remove-after-upload: removed only after the server took
# it; a refused upload keeps the bundle (and the verdict's exit code).
mkdir -p "$T_DIR/run-ok" "$T_DIR/run-bad"
rc=0
exe run --only system --out "$T_DIR/run-ok" --config "$T_DIR/up.conf" \
	--upload "$base/run/" --remove-after-upload --quiet \
	>/dev/null 2>"$T_DIR/run-ok.err" || rc=$?
sent=$(ls "$d/www/up/run/" 2>/dev/null | head -1)
t_check "run --upload (w): sent (exit $rc), Linux rdiag inspects it" \
	bash -c "[ $rc -le 2 ] && [ -n '$sent' ] && '$RDIAG' inspect '$d/www/up/run/$sent' >/dev/null"
t_check "run --upload (w): removed after upload, receipt kept" bash -c \
	"[ ! -e '$T_DIR/run-ok/$sent' ] && [ -e '$T_DIR/run-ok/$sent.receipt.json' ]"
rc=0
RDIAG_UPLOAD_PASSWORD=wrong-$pw exe run --only system --out "$T_DIR/run-bad" \
	--config "$T_DIR/up.conf" --upload "$base/runbad/" \
	--remove-after-upload --quiet >/dev/null 2>"$T_DIR/run-bad.err" || rc=$?
kept=$(ls "$T_DIR/run-bad/"*.tar.gz 2>/dev/null | head -1 || true)
t_check "run --upload refused (w): exit 69, bundle kept, no receipt" bash -c \
	"[ $rc = 69 ] && [ -n '$kept' ] && [ ! -e '$kept.receipt.json' ]"
echo "# peers-upload.sh took $($PY -c "print(round($(date +%s.%N) - $t0, 1))") s"
t_done
