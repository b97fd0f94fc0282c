#!/usr/bin/env bash
# rdiag upload to S3: s3rver behind a proxy that really verifies SigV4
# signatures. A wrong secret fails; a single PUT and a multipart upload of
# several parts arrive byte-identical; the server killed and restarted in
# the middle of a multipart upload is resumed from the resume file without
# sending the finished parts again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-upload.sh"

d="$T_DIR/s3"
u_ca "$d" s3
secret="sk-$RANDOM$RANDOM$RANDOM"
sport=$(t_free_port)
vport=$(t_free_port)
u_s3 "$d" "$sport" "$vport" "$secret"
cat >"$T_DIR/s3.conf" <<CONF
[upload]
ca_file = $d/ca.pem
s3_endpoint = https://127.0.0.1:$vport
s3_path_style = yes
s3_region = eu-central-1
part_size = 256K
multipart_threshold = 512K
retries = 1
retry_delay_ms = 100
CONF
export AWS_ACCESS_KEY_ID=S3RVER
obj() { echo "$d/data/bkt/$1._S3rver_object"; }

small="$T_DIR/small.tar.gz"
u_file "$small" 200
rc=0
AWS_SECRET_ACCESS_KEY="wrong-$secret" "$RDIAG" upload "$small" --to s3://bkt/in/ --config "$T_DIR/s3.conf" >/dev/null 2>"$T_DIR/e1" || rc=$?
t_check "wrong secret: exit 69 naming the S3 reason" \
	bash -c "[ $rc = 69 ] && grep -q 'HTTP 403.*SignatureDoesNotMatch' '$T_DIR/e1' && [ ! -e '$(obj in/small.tar.gz)' ]"
t_check "the verifier rejected it" grep -q "REJECT SignatureDoesNotMatch" "$d/verifier.log"
t_check "secret not echoed" bash -c "! grep -qF -- '$secret' '$T_DIR/e1'"

export AWS_SECRET_ACCESS_KEY=$secret
rc=0
"$RDIAG" upload "$small" --to s3://bkt/in/ --config "$T_DIR/s3.conf" >/dev/null 2>"$T_DIR/e2" || rc=$?
t_check "single PUT signed and stored" bash -c "[ $rc = 0 ] && cmp -s '$small' '$(obj in/small.tar.gz)'"
t_check "receipt holds the ETag" \
	test "$(t_json "$small.receipt.json" 'j["etag"].strip(chr(34))')" = "$(md5sum <"$small" | cut -d' ' -f1)"

b="$T_DIR/multi.tar.gz"
u_file "$b" 1400
rc=0
"$RDIAG" upload "$b" --to "s3://bkt/multi/key%20with%20space.tgz" --config "$T_DIR/s3.conf" >/dev/null 2>"$T_DIR/e3" || rc=$?
t_check "multipart upload of 6 parts" \
	bash -c "[ $rc = 0 ] && cmp -s '$b' '$(obj 'multi/key with space.tgz')'"
t_check "6 signed part PUTs and a complete" \
	bash -c "[ \$(grep -c 'OK PUT /bkt/multi/key%20with%20space.tgz?partNumber=' '$d/verifier.log') = 6 ] && grep -q 'OK POST /bkt/multi/key%20with%20space.tgz?uploadId=' '$d/verifier.log'"
t_check "resume file removed after completion" test ! -e "$b.s3-resume.json"
t_check "multipart ETag in the receipt" \
	bash -c "[ -n \"\$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"etag\"] or \"\")' '$b.receipt.json')\" ]"

# Killed and restarted mid-upload: the same run resumes from the resume file.
big="$T_DIR/big.tar.gz"
u_file "$big" 2048
cat >"$T_DIR/slow.conf" <<CONF
[upload]
ca_file = $d/ca.pem
s3_endpoint = https://127.0.0.1:$vport
s3_path_style = yes
part_size = 256K
multipart_threshold = 512K
max_rate = 384K
retries = 20
retry_delay_ms = 200
retry_max_delay = 1
connect_timeout = 2
CONF
: >"$d/verifier.log"
"$RDIAG" upload "$big" --to s3://bkt/big/ --config "$T_DIR/slow.conf" -v >/dev/null 2>"$T_DIR/e4" &
pid=$!
t_check "three parts done before the kill" u_wait_grep "$d/verifier.log" "OK PUT /bkt/big/big.tar.gz?partNumber=" 4 30
t_check "resume file lists the finished parts" \
	bash -c "[ \$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))[\"parts\"]))' '$big.s3-resume.json') -ge 3 ]"
kill "$U_VERIFY_PID" "$U_S3_PID"
wait "$U_VERIFY_PID" "$U_S3_PID" 2>/dev/null || true
sleep 1
u_s3 "$d" "$sport" "$vport" "$secret"
rc=0
wait "$pid" || rc=$?
t_check "upload finished after the restart" test "$rc" = 0
t_check "object byte-identical" cmp -s "$big" "$(obj big/big.tar.gz)"
t_check "a retry happened" grep -q "retrying\|attempt 2" "$T_DIR/e4"
t_check "finished parts were not sent again" \
	bash -c "for n in 1 2 3; do [ \$(grep -c \"OK PUT /bkt/big/big.tar.gz?partNumber=\$n&\" '$d/verifier.log') = 1 ] || exit 1; done"
t_check "all 8 parts present once" \
	test "$(grep -o 'OK PUT /bkt/big/big.tar.gz?partNumber=[0-9]*' "$d/verifier.log" | sort -u | wc -l)" = 8

t_done
