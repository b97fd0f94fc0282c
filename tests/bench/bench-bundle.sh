#!/usr/bin/env bash
# Benchmark (not a test): bundle writing against `tar czf` over the same tree
# of realistic text logs. Generates a 200 MB and a 50 MB tree once into a
# temp dir, runs each tool 3 times, and prints wall-time throughput (median
# of 3), peak RSS, CPU time and the speed ratio against tar czf. The 50 MB
# run is there to show that memory does not grow with the input. Wall time
# is only meaningful on an otherwise idle machine: the bundle overlaps
# compression with reading and redaction on two threads, as tar czf does
# with its gzip child.
#
# Usage: RDIAG_BUILD=build-release bash tests/bench/bench-bundle.sh
#   RDIAG_BENCH_SIZES="200 50"   tree sizes in MB
#   RDIAG_BENCH_RUNS=3           runs per tool
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build=${RDIAG_BUILD:-$top/build-release}
driver=$build/tests/bench/bench_bundle
sizes=${RDIAG_BENCH_SIZES:-200 50}
runs=${RDIAG_BENCH_RUNS:-3}

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

median() { # median of column $2 in file $1
	sort -n -k"$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { print v[int((NR + 1) / 2)] }'
}

printf '%-6s %-12s %7s %11s %7s %8s %10s\n' "tree" "tool" "MB/s" \
	"peak RSS" "CPU s" "out MB" "vs tar czf"
for mb in $sizes; do
	tree=$work/tree-$mb
	mkdir -p "$tree"
	gen_tree "$tree" "$mb"
	in_bytes=$(du -sb --apparent-size "$tree" | cut -f1)
	files=$(find "$tree" -type f | wc -l)
	cat "$tree"/*/* >/dev/null # warm the page cache for every tool alike
	tar_s=
	for tool in "tar czf" "bundle gzip" "bundle zstd"; do
		res=$work/res
		: >"$res"
		for ((i = 0; i < runs; i++)); do
			out=$work/out
			rm -rf "$out"
			mkdir "$out"
			case $tool in
			"tar czf")
				measure "$res" tar czf "$out/t.tar.gz" -C "$tree" .
				;;
			"bundle gzip")
				measure "$res" "$driver" "$tree" "$out" gzip
				;;
			"bundle zstd")
				measure "$res" "$driver" "$tree" "$out" zstd
				;;
			esac
			out_bytes=$(du -cb --apparent-size "$out"/*.tar.* | tail -1 | cut -f1)
		done
		s=$(median "$res" 1)
		rss=$(median "$res" 2)
		cpu=$(median "$res" 3)
		[[ -n $tar_s ]] || tar_s=$s
		awk -v mb="$mb" -v tool="$tool" -v s="$s" -v rss="$rss" \
			-v cpu="$cpu" -v inb="$in_bytes" -v outb="$out_bytes" \
			-v tar="$tar_s" \
			'BEGIN { printf "%-6s %-12s %7.1f %7.1f MiB %7.2f %8.1f %9.2fx\n",
				mb " MB", tool, inb / 1e6 / s, rss / 1024, cpu,
				outb / 1e6, tar / s }'
	done
	echo "       ($files files, $in_bytes bytes; median of $runs runs;" \
		"CPU = user + sys; vs tar czf = wall-time speed-up)"
	rm -rf "$tree"
done
