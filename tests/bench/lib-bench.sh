#!/usr/bin/env bash
# Shared by the benchmark scripts in tests/bench/ (sourced, or run as
# `lib-bench.sh table FILE` to print the summary). Every benchmark appends
# rows "what|rdiag|anchor|ratio|target|verdict" to $RDIAG_BENCH_TABLE, so
# `scripts/dev bench` prints one table with each ratio and the anchor's
# figure beside rdiag's. Benchmarks are not tests: nothing here fails a
# build when a target is missed.

# bench_row WHAT RDIAG ANCHOR RATIO TARGET VERDICT: one line of the table.
bench_row() {
	local line
	line=$(printf '%s|%s|%s|%s|%s|%s' "$@")
	echo "row: $line"
	if [[ -n ${RDIAG_BENCH_TABLE:-} ]]; then
		echo "$line" >>"$RDIAG_BENCH_TABLE"
	fi
}

# bench_median FILE [COLUMN]: the median of a column of numbers.
bench_median() {
	sort -g -k"${2:-1}" "$1" | awk -v c="${2:-1}" '{ v[NR] = $c }
		END { if (NR) print v[int((NR + 1) / 2)]; else print "nan" }'
}

# bench_calc EXPR: floating-point arithmetic ("%.2f" unless the
# expression is a printf format already).
bench_calc() {
	awk "BEGIN { printf \"%.2f\", $1 }"
}

# bench_verdict VALUE OP LIMIT: "met" or "missed" (OP is >= or <=).
bench_verdict() {
	awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
		ok = (op == ">=") ? (v >= l) : (v <= l)
		print ok ? "met" : "missed" }'
}

# bench_machine: one line describing where the figures come from.
bench_machine() {
	local cpu mem
	cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
	mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
	printf '%s cores (%s), %s, Linux %s, load %s at the start' \
		"$(nproc)" "${cpu:-unknown CPU}" "$mem" "$(uname -r)" \
		"$(cut -d' ' -f1-3 /proc/loadavg)"
}

# bench_table FILE: the rows as one Markdown table.
bench_table() {
	printf '| what | rdiag | anchor | ratio | target | verdict |\n'
	printf '| --- | ---: | ---: | ---: | --- | --- |\n'
	awk -F'|' '{ printf "| %s | %s | %s | %s | %s | %s |\n",
		$1, $2, $3, $4, $5, $6 }' "$1"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	case ${1:-} in
	table)
		bench_table "$2"
		;;
	machine)
		bench_machine
		echo
		;;
	*)
		echo "usage: lib-bench.sh table FILE | machine" >&2
		exit 64
		;;
	esac
fi
