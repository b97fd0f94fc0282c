#!/usr/bin/env bash
# Benchmark: `rdiag run` (default collectors, nothing configured) against
# `sos report --batch` (Debian package sosreport) on the same machine, in
# the same run: median wall time of 5 each, and peak RSS — of the whole
# process tree as wait4 reports it (GNU time), and of rdiag's parent and
# each worker as rdiag.log records them (wait4 per worker, getrusage for
# the parent). Not a test: run it with `scripts/dev bench`.
#   RDIAG_BENCH_RUNS=5          runs per tool
#   RDIAG_BENCH_NO_ANCHOR=1     do not run sos (the smoke test)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/lib-bench.sh"
rdiag=${RDIAG_BUILD:-$top/build-release}/rdiag
runs=${RDIAG_BENCH_RUNS:-5}
work=$(mktemp -d "${TMPDIR:-/tmp}/rdiag-bench-run.XXXXXX")
trap 'rm -rf "$work"' EXIT

[[ -x $rdiag ]] || { echo "build $rdiag first (scripts/dev bench)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "needs GNU time (apt-get install time)" >&2; exit 1; }

# measure NAME CMD...: one "wall_s maxrss_kib" line per run into NAME.times.
measure() {
	local name=$1 i
	shift
	: >"$work/$name.times"
	for ((i = 0; i < runs; i++)); do
		rm -rf "$work/out" && mkdir -p "$work/out"
		/usr/bin/time -f '%e %M' -o "$work/t" "$@" >/dev/null 2>&1 || true
		tail -1 "$work/t" >>"$work/$name.times"
	done
}

export RDIAG_SYSTEM_CONFIG=""
measure rdiag "$rdiag" run --out "$work/out" --quiet
r_wall=$(bench_median "$work/rdiag.times" 1)
r_rss=$(bench_median "$work/rdiag.times" 2)
# The last run's own account of each process (rdiag.log in its bundle).
tar -xzOf "$work"/out/rdiag-*.tar.gz --wildcards '*/rdiag.log' 2>/dev/null |
	grep -Eo "(collector [a-z_]+: peak RSS|rdiag's own peak RSS so far:) [0-9]+" \
		>"$work/procs" || true
parent=$(awk '/own peak/ { print $NF }' "$work/procs")
worst=$(awk '/collector/ { if ($NF > m) { m = $NF; n = $2 } }
	END { sub(":", "", n); if (m) printf "%d %s", m, n }' "$work/procs")
echo "per process (KiB):"
sed 's/^/  /' "$work/procs"

s_wall= s_rss= why=
if [[ -n ${RDIAG_BENCH_NO_ANCHOR:-} ]]; then
	why="skipped (RDIAG_BENCH_NO_ANCHOR)"
elif ! command -v sos >/dev/null; then
	why="sos is not installed (apt-get install sosreport)"
elif ! sos report --batch --quiet --tmp-dir "$work/out" >"$work/sos.log" 2>&1; then
	why="sos report --batch failed: $(tail -1 "$work/sos.log")"
else
	measure sos sos report --batch --quiet --tmp-dir "$work/out"
	s_wall=$(bench_median "$work/sos.times" 1)
	s_rss=$(bench_median "$work/sos.times" 2)
fi

if [[ -n $s_wall ]]; then
	ratio=$(bench_calc "$s_wall / $r_wall")
	bench_row "rdiag run vs sos report --batch, wall (median of $runs)" \
		"${r_wall} s" "${s_wall} s" "${ratio}×" "≥ 30× faster" \
		"$(bench_verdict "$ratio" ">=" 30)"
	bench_row "peak RSS of the whole run" \
		"$(bench_calc "$r_rss / 1024") MiB" \
		"$(bench_calc "$s_rss / 1024") MiB" \
		"$(bench_calc "$s_rss / $r_rss")×" "≤ 10 MiB" \
		"$(bench_verdict "$r_rss" "<=" 10240)"
else
	echo "sos: $why" >&2
	bench_row "rdiag run wall (median of $runs)" "${r_wall} s" \
		"n/a: $why" "n/a" "≥ 30× faster than sos" "not measured"
	bench_row "peak RSS of the whole run" \
		"$(bench_calc "$r_rss / 1024") MiB" "n/a" "n/a" "≤ 10 MiB" \
		"$(bench_verdict "$r_rss" "<=" 10240)"
fi
if [[ -n $parent && -n $worst ]]; then
	bench_row "peak RSS: parent / largest worker (${worst#* })" \
		"$(bench_calc "$parent / 1024") / $(bench_calc "${worst%% *} / 1024") MiB" \
		"—" "—" "≤ 10 MiB each" "$(bench_verdict "$parent" "<=" 10240)"
fi
