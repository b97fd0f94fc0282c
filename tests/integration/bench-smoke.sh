#!/usr/bin/env bash
# The benchmark scripts still work (not the benchmarks themselves: those
# are run by `scripts/dev bench`, never by ctest): bench-run.sh with one
# run and no anchor adds its rows to the summary table, and the table
# prints as Markdown with the figures in it.
. "$(dirname "$0")/lib.sh"
SRC=${RDIAG_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
export RDIAG_SYSTEM_CONFIG=""

table="$T_DIR/rows"
rc=0
RDIAG_BUILD=$(dirname "$RDIAG") RDIAG_BENCH_RUNS=1 RDIAG_BENCH_NO_ANCHOR=1 \
	RDIAG_BENCH_TABLE="$table" bash "$SRC/tests/bench/bench-run.sh" \
	>"$T_DIR/out" 2>&1 || rc=$?
t_check "bench-run.sh ran (exit $rc)" test "$rc" = 0
t_check "it timed rdiag run in seconds" \
	grep -qE '^rdiag run wall \(median of 1\)\|[0-9]+\.[0-9]+ s\|' "$table"
t_check "it recorded the parent's and the workers' peak RSS" \
	grep -qE '^peak RSS: parent / largest worker \([a-z_]+\)\|[0-9.]+ / [0-9.]+ MiB' "$table"
bash "$SRC/tests/bench/lib-bench.sh" table "$table" >"$T_DIR/md"
t_check "the table prints as Markdown, a header, a rule and one line per row" \
	bash -c "[ \$(grep -c '^| ' '$T_DIR/md') = \$((\$(wc -l <'$table') + 2)) ]"
t_check "the machine line names the processors" \
	bash -c "bash '$SRC/tests/bench/lib-bench.sh' machine | grep -q 'cores'"
t_done
