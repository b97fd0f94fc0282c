#!/bin/bash
# Throughput of the redaction pass against gzip (what `tar czf` costs) on
# about 100 MB of generated application-log text. Usage:
#   tests/bench/bench-redact.sh [build-dir] [MB]
# The build dir must hold a non-sanitizer build (bench_redact is compiled
# here from agent/core/redact.c, buf.c and util.c so no other module is needed).
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
mb=${2:-100}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat >"$work/bench.c" <<'C'
#include <stdio.h>
#include "core/redact.h"
int main(void)
{
	struct redactor *r = redactor_new();
	int rc = redact_fd(r, 0, 1);

	for (size_t i = 0; i < redact_rule_count(); i++)
		if (redactor_count(r, i))
			fprintf(stderr, "%-22s %llu\n", redact_rule_name(i),
				(unsigned long long)redactor_count(r, i));
	redactor_free(r);
	return rc != 0;
}
C
cc -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -I"$src/include" -I"$src/agent" \
	"$work/bench.c" "$src/agent/core/redact.c" "$src/agent/core/obfuscate.c" "$src/agent/core/buf.c" \
	"$src/agent/core/util.c" -ljansson -o "$work/bench"

# Realistic mix: timestamps, levels, key=value, URLs, JSON, a few secrets.
awk -v mb="$mb" 'BEGIN {
	srand(42); target = mb * 1000000; n = 0
	split("INFO DEBUG WARN ERROR", lv, " ")
	while (n < target) {
		i++; t = sprintf("2024-05-01 %02d:%02d:%02d,%03d", i % 24, i % 60, (i * 7) % 60, i % 1000)
		k = i % 10
		if (k == 0) l = t " INFO [http-nio-8080-exec-" i % 200 "] GET /api/v1/documents/" i " status=200 duration_ms=" i % 900 " user=u" i % 50
		else if (k == 1) l = t " DEBUG [pool-3] SQL: SELECT id, name, size FROM documents WHERE folder_id = ? AND deleted = 0 ORDER BY name"
		else if (k == 2) l = t " WARN  [scheduler] Job index-refresh took 1234 ms (threshold 1000 ms), queue length 17"
		else if (k == 3) l = "{\"ts\":\"" t "\",\"level\":\"" lv[i % 4 + 1] "\",\"msg\":\"file stored\",\"path\":\"/srv/dms/store/" i "/a.pdf\",\"bytes\":" i * 3 "}"
		else if (k == 4) l = t " INFO  [main] Connected to jdbc:postgresql://db01.example.com:5432/dms as dms (pool size 20)"
		else if (k == 5) l = t " ERROR [worker-2] java.io.IOException: Stale file handle: /mnt/nas/dms/store/" i
		else if (k == 6) l = "\tat com.example.dms.store.FileStore.write(FileStore.java:" i % 400 ")"
		else if (k == 7) l = t " INFO  [auth] login ok for user bob@example.com from 10.0.0." i % 255 " session " i
		else if (k == 8) l = t " DEBUG [http] > Authorization: Bearer FAKEtoken" i ".x"
		else l = t " INFO  [cfg] reload: password=FAKE" i " cache_size=512 timeout=30"
		print l; n += length(l) + 1
	}
}' >"$work/log.txt"

size=$(stat -c %s "$work/log.txt")
rate() { awk -v b="$size" -v s="$1" 'BEGIN { printf "%.0f", b / s / 1e6 }'; }
secs() { local t0 t1; t0=$(date +%s.%N); "$@"; t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }'; }

cat "$work/log.txt" >/dev/null
r=$(secs sh -c "'$work/bench' <'$work/log.txt' >'$work/out.txt' 2>'$work/counts'")
g=$(secs sh -c "gzip -6 <'$work/log.txt' >/dev/null")
t=$(secs sh -c "tar czf - -C '$work' log.txt >/dev/null")
printf 'input            %d bytes\n' "$size"
printf 'redact           %6s MB/s\n' "$(rate "$r")"
printf 'gzip -6          %6s MB/s\n' "$(rate "$g")"
printf 'tar czf          %6s MB/s\n' "$(rate "$t")"
cat "$work/counts"
if grep -q 'FAKE' "$work/out.txt"; then
	echo "bench-redact: a fake secret survived" >&2
	exit 1
fi
