#!/usr/bin/env bash
# rdiag upload over SFTP to a private sshd (internal-sftp): the host key pin
# is mandatory and checked, and an upload killed half way resumes by
# appending and ends byte-identical.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-upload.sh"

d="$T_DIR/ssh"
port=$(t_free_port)
u_sshd "$d" "$port"
ssh-keygen -q -t ed25519 -N '' -f "$T_DIR/otherhost" -C other
url="sftp://root@127.0.0.1:$port$d/files/in/"
cat >"$T_DIR/nopin.conf" <<CONF
[upload]
ssh_key = $d/client
retries = 1
retry_delay_ms = 100
CONF
{ cat "$T_DIR/nopin.conf"; echo "ssh_host_key_sha256 = $(cat "$d/hostpin")"; } >"$T_DIR/pin.conf"
{ cat "$T_DIR/nopin.conf"; echo "ssh_host_key_sha256 = $(ssh-keygen -lf "$T_DIR/otherhost.pub" | awk '{print $2}')"; } >"$T_DIR/badpin.conf"
b="$T_DIR/bundle.tar.gz"
u_file "$b" 1500

rc=0
"$RDIAG" upload "$b" --to "$url" --config "$T_DIR/nopin.conf" >/dev/null 2>"$T_DIR/e1" || rc=$?
t_check "no pin: refused with the command that prints one" \
	bash -c "[ $rc = 64 ] && grep -q \"ssh-keyscan -p $port -t ed25519 127.0.0.1 2>/dev/null | ssh-keygen -lf -\" '$T_DIR/e1' && [ ! -e '$d/files/in/bundle.tar.gz' ]"
# The printed command really prints the pin that works.
t_check "that command prints the right pin" \
	test "$(ssh-keyscan -p "$port" -t ed25519 127.0.0.1 2>/dev/null | ssh-keygen -lf - | awk '{print $2}')" = "$(cat "$d/hostpin")"
rc=0
"$RDIAG" upload "$b" --to "$url" --config "$T_DIR/badpin.conf" >/dev/null 2>"$T_DIR/e2" || rc=$?
t_check "wrong pin refused (exit 69)" \
	bash -c "[ $rc = 69 ] && grep -qi 'host key' '$T_DIR/e2' && [ ! -e '$d/files/in/bundle.tar.gz' ] && [ ! -e '$d/files/in/bundle.tar.gz.partial' ]"
rc=0
"$RDIAG" upload "$b" --to "$url" --config "$T_DIR/pin.conf" >"$T_DIR/o3" 2>"$T_DIR/e3" || rc=$?
t_check "right pin: uploaded" test "$rc" = 0
t_check "remote file byte-identical" cmp -s "$b" "$d/files/in/bundle.tar.gz"
t_check "no .partial left" test ! -e "$d/files/in/bundle.tar.gz.partial"
t_check "receipt says sftp" test "$(t_json "$b.receipt.json" 'j["scheme"], j["status"]')" = "sftp uploaded"

# Killed half way, then resumed by a second run.
big="$T_DIR/big.tar.gz"
u_file "$big" 3072
{ cat "$T_DIR/pin.conf"; echo "max_rate = 512K"; } >"$T_DIR/slow.conf"
"$RDIAG" upload "$big" --to "$url" --config "$T_DIR/slow.conf" >/dev/null 2>&1 &
pid=$!
t_check "partial file grows on the server" u_wait_size "$d/files/in/big.tar.gz.partial" 700000 20
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null || true
have=$(stat -c %s "$d/files/in/big.tar.gz.partial")
t_check "interrupted half way" test "$have" -lt "$(stat -c %s "$big")"
rc=0
"$RDIAG" upload "$big" --to "$url" --config "$T_DIR/pin.conf" -v >/dev/null 2>"$T_DIR/e4" || rc=$?
t_check "second run resumed by appending" \
	bash -c "[ $rc = 0 ] && grep -q 'resuming at byte' '$T_DIR/e4'"
t_check "resumed file byte-identical" cmp -s "$big" "$d/files/in/big.tar.gz"
t_check "private key path and pin not needed in argv (no secret in output)" \
	bash -c "! grep -q 'BEGIN OPENSSH' '$T_DIR/e4'"

t_done
