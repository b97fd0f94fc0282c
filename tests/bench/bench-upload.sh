#!/usr/bin/env bash
# Benchmark (not a test): `rdiag upload` against the curl command line doing
# the same transfer to the same server on loopback: an HTTPS PUT to nginx
# (WebDAV) and an S3 multipart upload through the SigV4 verifier to s3rver
# (curl: initiate, one `curl -T` per pre-split part, complete). Prints wall
# time, MB/s, the throughput ratio rdiag/curl (median of RUNS) and peak RSS
# (GNU time), for each size, so a flat RSS shows memory does not grow with
# the bundle. Servers come from tests/integration/lib-upload.sh.
#
# Usage: RDIAG_BUILD=build-upload-bench bash tests/bench/bench-upload.sh
#   RDIAG_BENCH_SIZES="100 500"   bundle sizes in MB
#   RDIAG_BENCH_RUNS=3            runs per tool
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${RDIAG_BUILD:-$top/build-upload-bench}
export RDIAG=$build/rdiag RDIAG_SRC=$top
sizes=${RDIAG_BENCH_SIZES:-100 500}
runs=${RDIAG_BENCH_RUNS:-3}
[[ -x $RDIAG ]] || { echo "bench-upload: no $RDIAG; build a Release tree" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "bench-upload: needs GNU time" >&2; exit 1; }

. "$top/tests/integration/lib.sh"
. "$top/tests/integration/lib-upload.sh"

d="$T_DIR/srv"
u_ca "$d" bench
nport=$(t_free_port)
u_nginx "$d" "$nport"
pw=$(cat "$d/password")
secret="bench-$RANDOM$RANDOM"
sport=$(t_free_port)
vport=$(t_free_port)
u_s3 "$d" "$sport" "$vport" "$secret"
part=$((64 * 1024 * 1024))
cat >"$T_DIR/up.conf" <<CONF
[upload]
ca_file = $d/ca.pem
user = vendor
s3_endpoint = https://127.0.0.1:$vport
s3_path_style = yes
part_size = 64M
multipart_threshold = 64M
CONF
export RDIAG_UPLOAD_PASSWORD=$pw AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=$secret
E=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
S3="--aws-sigv4 aws:amz:us-east-1:s3 -u S3RVER:$secret --cacert $d/ca.pem -sS"

# curl's S3 multipart: initiate, parts (pre-split files), complete.
cat >"$T_DIR/curl-s3.sh" <<SH
set -euo pipefail
url=https://127.0.0.1:$vport/bkt/curl/\$1
id=\$(curl $S3 -H "x-amz-content-sha256: $E" -X POST -d '' "\$url?uploads=" |
	sed -n 's:.*<UploadId>\(.*\)</UploadId>.*:\1:p')
xml="<CompleteMultipartUpload>"
n=0
for p in \$2/part.*; do
	n=\$((n + 1))
	etag=\$(curl $S3 -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -T "\$p" \
		"\$url?partNumber=\$n&uploadId=\$id" -D - -o /dev/null |
		tr -d '\r' | sed -n 's/^etag: //Ip')
	xml="\$xml<Part><PartNumber>\$n</PartNumber><ETag>\$etag</ETag></Part>"
done
xml="\$xml</CompleteMultipartUpload>"
h=\$(printf %s "\$xml" | sha256sum | cut -d' ' -f1)
curl $S3 -H "x-amz-content-sha256: \$h" -H 'Content-Type: application/xml' \
	--data-binary "\$xml" "\$url?uploadId=\$id" -o /dev/null
SH

# run LABEL CMD...: "seconds peak_kib" of one run (GNU time).
measure() {
	/usr/bin/time -f '%e %M' -o "$T_DIR/time" "$@" >/dev/null 2>"$T_DIR/err" ||
		{ cat "$T_DIR/err" >&2; return 1; }
	tail -1 "$T_DIR/time"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf '%-6s %-8s %-6s %9s %9s %10s\n' size target tool seconds MB/s peak_RSS
for mb in $sizes; do
	f="$T_DIR/rdiag-bench-$mb.tar.gz"
	head -c "$((mb * 1024 * 1024))" /dev/urandom >"$f"
	mkdir -p "$T_DIR/parts-$mb"
	split -b "$part" -a 3 "$f" "$T_DIR/parts-$mb/part."
	cat "$f" "$T_DIR"/parts-$mb/* >/dev/null # warm the page cache for both
	for target in https s3; do
		for tool in curl rdiag; do
			: >"$T_DIR/t" ; : >"$T_DIR/m"
			for i in $(seq 1 "$runs"); do
				rm -f "$f.receipt.json" "$d"/www/up/*
				if [[ $tool = curl && $target = https ]]; then
					out=$(measure curl -sS --cacert "$d/ca.pem" -u "vendor:$pw" -T "$f" \
						"https://127.0.0.1:$nport/up/curl-$mb")
				elif [[ $tool = curl ]]; then
					out=$(measure bash "$T_DIR/curl-s3.sh" "c$mb-$i" "$T_DIR/parts-$mb")
				elif [[ $target = https ]]; then
					out=$(measure "$RDIAG" upload "$f" --quiet --config "$T_DIR/up.conf" \
						--to "https://127.0.0.1:$nport/up/")
				else
					out=$(measure "$RDIAG" upload "$f" --quiet --config "$T_DIR/up.conf" \
						--to "s3://bkt/rdiag/r$mb-$i")
				fi
				echo "${out% *}" >>"$T_DIR/t"
				echo "${out#* }" >>"$T_DIR/m"
			done
			s=$(median <"$T_DIR/t")
			rss=$(sort -n "$T_DIR/m" | tail -1)
			echo "$s" >"$T_DIR/$target-$tool-$mb"
			printf '%-6s %-8s %-6s %9s %9.1f %7d KiB\n' "${mb}M" "$target" "$tool" "$s" \
				"$(echo "$mb / $s" | bc -l)" "$rss"
		done
		printf '%-6s %-8s ratio rdiag/curl throughput: %.2fx\n' "${mb}M" "$target" \
			"$(echo "$(cat "$T_DIR/$target-curl-$mb") / $(cat "$T_DIR/$target-rdiag-$mb")" | bc -l)"
	done
	rm -rf "$f" "$T_DIR/parts-$mb" "$d/data/bkt/curl" "$d/data/bkt/rdiag"
done
