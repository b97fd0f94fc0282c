#!/usr/bin/env bash
# Benchmark: `rdiag run` against `sos report --batch` on the same machine.
# Prints wall time and peak RSS (of the whole process tree, as wait4 reports
# it) for each, and the ratios. Not a test: run it with `scripts/dev bench`.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
rdiag=${RDIAG_BUILD:-$top/build-release}/rdiag
runs=${BENCH_RUNS:-3}
work=$(mktemp -d /tmp/rdiag-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

[ -x "$rdiag" ] || { echo "build $rdiag first (scripts/dev bench)" >&2; exit 1; }
command -v sos >/dev/null || { echo "sos is missing: apt-get install sosreport" >&2; exit 1; }

# measure NAME CMD...: median wall seconds and max peak RSS (KiB) of runs.
measure() {
	local name=$1 i
	shift
	: >"$work/$name.times"
	for ((i = 0; i < runs; i++)); do
		rm -rf "$work/out" && mkdir -p "$work/out"
		/usr/bin/time -f '%e %M' -o "$work/t" "$@" >/dev/null 2>&1 || true
		tail -1 "$work/t" >>"$work/$name.times"
	done
	sort -n "$work/$name.times" | awk -v n="$name" '
		{ t[NR] = $1; if ($2 > m) m = $2 }
		END { printf "%s %s %d\n", n, t[int((NR + 1) / 2)], m }'
}

export RDIAG_SYSTEM_CONFIG=""
r=$(measure rdiag "$rdiag" run --out "$work/out" --quiet)
s=$(measure sos sos report --batch --quiet --tmp-dir "$work/out")

echo "$r" "$s" | awk '{
	printf "%-28s %10s %14s\n", "tool", "wall (s)", "peak RSS (MiB)"
	printf "%-28s %10.2f %14.1f\n", "rdiag run", $2, $3 / 1024
	printf "%-28s %10.2f %14.1f\n", "sos report --batch", $5, $6 / 1024
	printf "%-28s %9.1fx %13.1fx\n", "ratio (sos / rdiag)", $5 / $2, $6 / $3
}'
