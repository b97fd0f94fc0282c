#!/usr/bin/env bash
# Benchmark (not a test): how much slower the customer's work gets while
# rdiag collects. The load is one CPU-bound job per processor (gzip -6 of
# a file held in the page cache) and one disk-bound job (writing and
# fsyncing a file), timed alone and then beside a loop of `rdiag run`
# bundling 200 MB of logs (the default --priority low, then --priority
# normal for contrast). Median of RDIAG_BENCH_RUNS. Target: the load at
# most 5 % slower. On a machine shared with other work the noise can be
# larger than the effect; compare the low and normal rows.
#   RDIAG_BENCH_RUNS=3   runs per case
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/lib-bench.sh"
rdiag=${RDIAG_BUILD:-$top/build-release}/rdiag
runs=${RDIAG_BENCH_RUNS:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/rdiag-bench-gentle.XXXXXX")
loop=
trap '[[ -n $loop ]] && kill "$loop" 2>/dev/null; rm -rf "$work"' EXIT

[[ -x $rdiag ]] || { echo "build $rdiag first (scripts/dev bench)" >&2; exit 1; }
cpus=$(nproc)
head -c 60000000 /dev/urandom | base64 >"$work/cpu.in" # ~80 MB
mkdir -p "$work/logs"
for i in $(seq 1 20); do
	head -c 7500000 /dev/urandom | base64 -w 120 >"$work/logs/app$i.log"
done
printf '[agent]\nmin_free_mb = 1\n[product]\nlog = %s/logs/*.log\n' "$work" \
	>"$work/rdiag.conf"

# load: the timed customer work, all jobs at once; prints seconds.
load() {
	local t0 i
	t0=$(date +%s%N)
	for ((i = 0; i < cpus; i++)); do
		gzip -6 -c "$work/cpu.in" >/dev/null &
	done
	dd if=/dev/zero of="$work/disk.out" bs=1M count=200 conv=fsync \
		status=none &
	wait $(jobs -p | grep -v "^${loop:-x}\$") 2>/dev/null || true
	rm -f "$work/disk.out"
	awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }'
}

# beside PRIORITY: rdiag runs back to back while the load is timed; at the
# end the loop and the run in progress (by its pid) are stopped with
# SIGTERM, which rdiag answers by ending within one archive block.
beside() {
	local prio=$1 cur
	(
		while [[ ! -e $work/stop ]]; do
			rm -rf "$work/out"
			mkdir -p "$work/out"
			RDIAG_SYSTEM_CONFIG="" "$rdiag" run --config "$work/rdiag.conf" \
				--out "$work/out" --priority "$prio" --quiet \
				>/dev/null 2>&1 &
			echo $! >"$work/cur.pid"
			wait $! || true
		done
	) &
	loop=$!
	sleep 1 # rdiag is busy bundling
	load
	touch "$work/stop"
	cur=$(cat "$work/cur.pid" 2>/dev/null || true)
	[[ -n $cur ]] && kill -TERM "$cur" 2>/dev/null
	wait "$loop" 2>/dev/null || true
	loop=
	rm -f "$work/stop" "$work/cur.pid"
}

cat "$work/cpu.in" "$work"/logs/* >/dev/null
: >"$work/alone" >"$work/low" >"$work/normal"
for ((r = 0; r < runs; r++)); do
	load >>"$work/alone"
	beside low >>"$work/low"
	beside normal >>"$work/normal"
done
a=$(bench_median "$work/alone")
l=$(bench_median "$work/low")
n=$(bench_median "$work/normal")
echo "load alone ${a} s, beside rdiag --priority low ${l} s, normal ${n} s"
slow_l=$(bench_calc "($l / $a - 1) * 100")
slow_n=$(bench_calc "($n / $a - 1) * 100")
bench_row "CPU+disk load beside rdiag run (--priority low, default)" \
	"${l} s (+${slow_l} %)" "${a} s alone" "$(bench_calc "$a / $l")×" \
	"≤ 5 % slower" "$(bench_verdict "$slow_l" "<=" 5)"
bench_row "CPU+disk load beside rdiag run --priority normal" \
	"${n} s (+${slow_n} %)" "${a} s alone" "$(bench_calc "$a / $n")×" \
	"(contrast)" "—"
