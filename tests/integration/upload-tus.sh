#!/usr/bin/env bash
# rdiag upload to a tus 1.0 server (@tus/server over HTTPS): an upload
# killed half way resumes from the server's offset and arrives
# byte-identical. Also file:// (atomic local copy, resumed from .partial).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-upload.sh"

d="$T_DIR/tus"
u_ca "$d" tus
port=$(t_free_port)
u_tus "$d" "$port"
cat >"$T_DIR/tus.conf" <<CONF
[upload]
ca_file = $d/ca.pem
retries = 1
retry_delay_ms = 100
CONF
{ cat "$T_DIR/tus.conf"; echo "max_rate = 512K"; } >"$T_DIR/slow.conf"
url="tus+https://127.0.0.1:$port/files"

small="$T_DIR/small.tar.gz"
u_file "$small" 300
rc=0
"$RDIAG" upload "$small" --to "$url" --config "$T_DIR/tus.conf" >/dev/null 2>"$T_DIR/e1" || rc=$?
t_check "tus upload arrives byte-identical" bash -c "[ $rc = 0 ] && [ -n \"\$(cd '$d/store' && for f in *; do cmp -s '$small' \"\$f\" && echo \$f; done)\" ]"
t_check "no tus resume file left" test ! -e "$small.tus-resume.json"

big="$T_DIR/big.tar.gz"
u_file "$big" 3072
"$RDIAG" upload "$big" --to "$url" --config "$T_DIR/slow.conf" >/dev/null 2>&1 &
pid=$!
t_check "resume file written once the upload was created" u_wait_size "$big.tus-resume.json" 10 20
sleep 2.5
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null || true
loc=$(t_json "$big.tus-resume.json" 'j["location"]')
id=${loc##*/}
have=$(stat -c %s "$d/store/$id" 2>/dev/null || echo 0)
t_check "interrupted half way ($have bytes on the server)" \
	bash -c "[ $have -gt 0 ] && [ $have -lt $(stat -c %s "$big") ]"
rc=0
"$RDIAG" upload "$big" --to "$url" --config "$T_DIR/tus.conf" -v >/dev/null 2>"$T_DIR/e2" || rc=$?
t_check "second run resumed from the server's offset" \
	bash -c "[ $rc = 0 ] && grep -q 'tus: resuming at byte' '$T_DIR/e2'"
t_check "the PATCH started at that offset" grep -q "PATCH /files/$id offset=$have" "$d/tus.log"
t_check "resumed upload byte-identical" cmp -s "$big" "$d/store/$id"

# file://: atomic copy into a directory, resumed from a .partial.
dest="$T_DIR/store"
mkdir -p "$dest"
head -c 100000 "$big" >"$dest/big.tar.gz.partial"
rc=0
"$RDIAG" upload "$big" --to "file://$dest/" --force -v >/dev/null 2>"$T_DIR/e3" || rc=$?
t_check "file:// copy resumed from .partial and renamed" \
	bash -c "[ $rc = 0 ] && cmp -s '$big' '$dest/big.tar.gz' && [ ! -e '$dest/big.tar.gz.partial' ] && grep -q 'file: resuming at byte 100000' '$T_DIR/e3'"
rc=0
"$RDIAG" upload "$small" --to "file://relative/path" >/dev/null 2>&1 || rc=$?
t_check "file:// with a host part refused (64)" test "$rc" = 64

t_done
