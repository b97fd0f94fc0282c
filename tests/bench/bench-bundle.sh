#!/usr/bin/env bash
# Benchmark (not a test): bundle writing against tar over the same trees of
# realistic text logs: gzip bundles against `tar czf`, zstd bundles against
# `tar -I 'zstd -3 -T0' -cf`, at 200 MB and 2 GB (the 2 GB tree is ten
# copies of a 200 MB one, so generating it is quick), and a tree of
# 100 000 small files against `tar czf`. Prints throughput, peak RSS, CPU
# time and the speed ratio, and one summary row per comparison (see
# lib-bench.sh). Wall time is only meaningful on an otherwise idle machine.
#
# Usage: RDIAG_BUILD=build-release bash tests/bench/bench-bundle.sh
#   RDIAG_BENCH_SIZES="200 2000"   tree sizes in MB (multiples of 200 above 200)
#   RDIAG_BENCH_RUNS=3             runs per tool (1 for trees above 200 MB)
#   RDIAG_BENCH_SMALL=100000       small files (0 skips that part)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/lib-bench.sh"
build=${RDIAG_BUILD:-$top/build-release}
driver=$build/tests/bench/bench_bundle
sizes=${RDIAG_BENCH_SIZES:-200 2000}
runs=${RDIAG_BENCH_RUNS:-3}
small=${RDIAG_BENCH_SMALL:-100000}

if [[ ! -x $driver ]]; then
	echo "bench-bundle: no $driver; build a Release tree first" >&2
	exit 1
fi
if [[ ! -x /usr/bin/time ]]; then
	echo "bench-bundle: needs GNU time (apt-get install time)" >&2
	exit 1
fi
command -v python3 >/dev/null || {
	echo "bench-bundle: needs python3 to generate the logs" >&2
	exit 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/rdiag-bench-bundle.XXXXXX")
trap 'rm -rf "$work"' EXIT

# gen_tree DIR MB: a few hundred log files of mixed formats, ~MB in total,
# with the odd credential in them so the redactor has work to do.
gen_tree() {
	python3 - "$1" "$2" <<'EOF'
import os, random, sys

root, total = sys.argv[1], int(sys.argv[2]) * 1000 * 1000
rnd = random.Random(4711)
users = ["alice", "bob", "carol", "dave", "erin", "svc_dms", "backup"]
hosts = ["db01", "nas02", "ts03", "app04", "dc01"]
levels = ["INFO"] * 12 + ["DEBUG"] * 6 + ["WARN"] * 3 + ["ERROR"]
paths = ["/api/v2/documents", "/api/v2/search", "/login", "/static/app.js",
         "/api/v2/folders/%d", "/api/v2/documents/%d/versions"]
msgs = [
    "opened document {n} for {u} in {t} ms",
    "query took {t} ms: SELECT * FROM docs WHERE folder_id = {n}",
    "lock acquired on \\\\{h}\\share\\archive\\{n}.pdf after {t} ms",
    "session {x} for {u} from 10.{a}.{b}.{c} started",
    "cache miss for key doc:{n}:meta, reloading",
    "slow NAS response from {h}: {t} ms for stat()",
    "connecting to postgresql://{h}:5432/dms as {u}",
    "retrying connection to {h} (attempt {a})",
    "indexed {n} documents in {t} ms",
    "antivirus scan delayed open of {n}.docx by {t} ms",
]
secrets = [
    "password = FAKE-pw-{n}",
    "connecting to https://{u}:FAKE-{x}@{h}.example.com/api",
    "Authorization: Bearer FAKEtoken{x}{x}",
]
trace = ["\tat com.example.dms.Store.open(Store.java:{a})",
         "\tat com.example.dms.Api.handle(Api.java:{b})",
         "\tat java.base/java.lang.Thread.run(Thread.java:{c})"]

def fill(s):
    return s.format(n=rnd.randint(1, 999999), t=rnd.randint(1, 5000),
                    u=rnd.choice(users), h=rnd.choice(hosts),
                    x="%08x" % rnd.getrandbits(32), a=rnd.randint(1, 254),
                    b=rnd.randint(1, 254), c=rnd.randint(1, 254))

def app_line(ts):
    lv = rnd.choice(levels)
    msg = fill(rnd.choice(secrets) if rnd.random() < 0.002
               else rnd.choice(msgs))
    line = "2026-11-%02d %02d:%02d:%02d.%03d %-5s [%s] %s\n" % (
        ts[0], ts[1], ts[2], ts[3], rnd.randint(0, 999), lv,
        rnd.choice(["main", "worker-%d" % rnd.randint(1, 16), "indexer"]),
        msg)
    if lv == "ERROR":
        line += "java.io.IOException: " + fill("timeout after {t} ms\n")
        line += "".join(fill(t) + "\n" for t in trace)
    return line

def access_line(ts):
    p = rnd.choice(paths)
    if "%d" in p:
        p = p % rnd.randint(1, 99999)
    return '10.%d.%d.%d - %s [%02d/Nov/2026:%02d:%02d:%02d +0000] "GET %s ' \
           'HTTP/1.1" %d %d "-" "DMS-Client/7.%d"\n' % (
        rnd.randint(0, 255), rnd.randint(0, 255), rnd.randint(1, 254),
        rnd.choice(users), ts[0], ts[1], ts[2], ts[3], p,
        rnd.choice([200] * 20 + [304, 404, 500]), rnd.randint(200, 90000),
        rnd.randint(0, 9))

written, i = 0, 0
while written < total:
    kind = rnd.choice(["app", "access"])
    d = os.path.join(root, rnd.choice(["app", "web", "indexer", "nas"]))
    os.makedirs(d, exist_ok=True)
    size = min(total - written, rnd.randint(200, 1200) * 1000)
    chunks, n = [], 0
    ts = [rnd.randint(1, 28), 0, 0, 0]
    while n < size:
        ts[3] += rnd.randint(0, 3)
        if ts[3] >= 60:
            ts[3] -= 60; ts[2] += 1
        if ts[2] >= 60:
            ts[2] = 0; ts[1] = (ts[1] + 1) % 24
        s = app_line(ts) if kind == "app" else access_line(ts)
        chunks.append(s)
        n += len(s)
    with open(os.path.join(d, "%s-%04d.log" % (kind, i)), "w") as f:
        f.write("".join(chunks))
    written += n
    i += 1
EOF
}

# measure OUT CMD...: append "wall_s maxrss_kib cpu_s" of one run to OUT.
measure() {
	local out=$1
	shift
	/usr/bin/time -f '%e %M %U %S' -o "$work/time" "$@" >/dev/null
	awk '{ print $1, $2, $3 + $4 }' "$work/time" >"$work/time.sum"
	mv "$work/time.sum" "$work/time"
	cat "$work/time" >>"$out"
}

# one_run OUT_TIMES TOOL TREE: one timed run of TOOL over TREE into $work/out.
one_run() {
	local res=$1 tool=$2 tree=$3 out=$work/out
	rm -rf "$out"
	mkdir "$out"
	case $tool in
	"tar czf") measure "$res" tar czf "$out/t.tar.gz" -C "$tree" . ;;
	"tar zstd") measure "$res" tar -I 'zstd -3 -T0' -cf "$out/t.tar.zst" -C "$tree" . ;;
	"bundle gzip") measure "$res" "$driver" "$tree" "$out" gzip ;;
	"bundle zstd") measure "$res" "$driver" "$tree" "$out" zstd ;;
	esac
	out_bytes=$(du -cb --apparent-size "$out"/*.tar.* | tail -1 | cut -f1)
}

# compare LABEL TREE N ANCHOR TOOL TARGET: anchor and tool N times each,
# interleaved so that a change in the machine's load hits both alike;
# prints both lines and adds a summary row.
compare() {
	local label=$1 tree=$2 n=$3 anchor=$4 tool=$5 target=$6 i t
	local in_bytes a_s a_rss t_s t_rss ratio
	in_bytes=$(du -sb --apparent-size "$tree" | cut -f1)
	: >"$work/res.$anchor"
	: >"$work/res.$tool"
	for ((i = 0; i < n; i++)); do
		for t in "$anchor" "$tool"; do
			one_run "$work/res.$t" "$t" "$tree"
			echo "$out_bytes" >"$work/outb.$t"
		done
	done
	for t in "$anchor" "$tool"; do
		awk -v l="$label" -v tool="$t" -v s="$(bench_median "$work/res.$t" 1)" \
			-v rss="$(bench_median "$work/res.$t" 2)" \
			-v cpu="$(bench_median "$work/res.$t" 3)" -v inb="$in_bytes" \
			-v outb="$(cat "$work/outb.$t")" \
			'BEGIN { printf "%-14s %-12s %7.1f %7.1f MiB %7.2f %8.1f\n",
				l, tool, inb / 1e6 / s, rss / 1024, cpu, outb / 1e6 }'
	done
	a_s=$(bench_median "$work/res.$anchor" 1)
	t_s=$(bench_median "$work/res.$tool" 1)
	a_rss=$(bench_median "$work/res.$anchor" 2)
	t_rss=$(bench_median "$work/res.$tool" 2)
	ratio=$(bench_calc "$a_s / $t_s")
	bench_row "$label: $tool vs $anchor, wall (median of $n)" \
		"$t_s s, $(bench_calc "$t_rss / 1024") MiB" \
		"$a_s s, $(bench_calc "$a_rss / 1024") MiB" "${ratio}×" \
		"≥ ${target}×, ≤ 16 MiB" \
		"$(awk -v r="$ratio" -v t="$target" -v m="$t_rss" \
			'BEGIN { print (r >= t && m <= 16384) ? "met" : "missed" }')"
}

# gen_small DIR N: N small log files (~600 bytes) in 100 directories.
gen_small() {
	python3 - "$1" "$2" <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(42)
for i in range(n):
    d = os.path.join(root, "d%03d" % (i % 100))
    if i < 100:
        os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "job-%06d.log" % i), "w") as f:
        for _ in range(6):
            f.write("2026-11-%02d 12:%02d:%02d INFO job %d step %d done in %d ms\n" % (
                rnd.randint(1, 28), rnd.randint(0, 59), rnd.randint(0, 59),
                i, rnd.randint(1, 9), rnd.randint(1, 9999)))
PY
}

printf '%-14s %-12s %7s %11s %7s %8s\n' "tree" "tool" "MB/s" "peak RSS" \
	"CPU s" "out MB"
for mb in $sizes; do
	tree=$work/tree-$mb
	mkdir -p "$tree"
	if [[ $mb -le 200 ]]; then
		gen_tree "$tree" "$mb"
		n=$runs
	else
		gen_tree "$tree/copy0" 200
		for ((c = 1; c < mb / 200; c++)); do
			cp -r "$tree/copy0" "$tree/copy$c"
		done
		n=1
	fi
	files=$(find "$tree" -type f | wc -l)
	find "$tree" -type f -exec cat {} + >/dev/null # warm the page cache
	compare "$mb MB logs" "$tree" "$n" "tar czf" "bundle gzip" 1.5
	compare "$mb MB logs" "$tree" "$n" "tar zstd" "bundle zstd" 1.0
	echo "       ($files files; median of $n runs; CPU = user + sys)"
	rm -rf "$tree"
done
if [[ $small -gt 0 ]]; then
	tree=$work/small
	gen_small "$tree" "$small"
	find "$tree" -type f -exec cat {} + >/dev/null
	# the target is "at most 1.5x tar czf's time", i.e. a ratio >= 1/1.5
	compare "$small files" "$tree" "$runs" "tar czf" "bundle gzip" 0.67
	rm -rf "$tree"
fi
