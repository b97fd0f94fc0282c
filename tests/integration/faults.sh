#!/usr/bin/env bash
# Fault matrix for `rdiag run` (issue 18): a disk that fills while the
# product collector copies files (tmpfs of several sizes in a private mount
# namespace, so nothing leaks), two runs at once into one directory, kill -9
# at random points followed by a normal run that removes the leftovers,
# SIGINT/SIGTERM during an upload and during a retry wait (nginx, real
# TLS), a bundle changed after its sidecar was written. A failed bundle
# never loses the verdict. A kill -9 while copying or bundling leaves no
# secret readable; the space a run may need is said up front; a memory
# cgroup too small is refused and an OOM-killed worker named. Passes under
# the ASan build too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-upload.sh"
export RDIAG_SYSTEM_CONFIG=""
# An ASan build: its shadow memory defeats ulimit -v and small memory
# cgroups, and it runs everything two to three times slower. Not
# `ldd | grep -q`: grep leaving early fails the pipe under pipefail.
asan=""
case "$(ldd "$RDIAG" 2>/dev/null)" in *libasan*) asan=1 ;; esac
# How long a stop signal may take to end the run (1 s and the reaping).
stop_ms=$([ -n "$asan" ] && echo 3000 || echo 1500)

app="$T_DIR/app"
mkdir -p "$app/log" "$T_DIR/mnt"
# 12 MB of logs that compress badly, so the copies fill a small tmpfs.
for i in 1 2 3; do
	head -c 4000000 /dev/urandom | base64 -w 100 >"$app/log/app$i.log"
done
echo "2026-11-27T10:01:00 ERROR connect failed" >>"$app/log/app1.log"
cat >"$T_DIR/rdiag.conf" <<CONF
[agent]
min_free_mb = 1
[product]
log = $app/log/*.log
error_pattern = ERROR
CONF

# --- a disk that fills during the run: 73, the reason, and the verdict ---
if unshare -m true 2>/dev/null; then
	for size in 3m 8m 14m; do
		rc=0
		unshare -m bash -c '
			mount --make-rprivate / &&
			mount -t tmpfs -o size='"$size"' tmpfs "$1" &&
			"$2" run --only system,product --config "$3" \
				--out "$1" --json >"$4/full.json" 2>"$4/full.err"
			rc=$?
			ls -A "$1" >"$4/full.ls"
			exit $rc' _ "$T_DIR/mnt" "$RDIAG" "$T_DIR/rdiag.conf" \
			"$T_DIR" || rc=$?
		mkdir -p "$T_DIR/mnt" 2>/dev/null || true
		[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || [ "$rc" -eq 2 ] && [ ! -s "$T_DIR/full.err" ] &&
			{ t_ok "tmpfs $size: big enough, bundle written"; continue; }
		t_check "tmpfs $size full: exit 73 (got $rc)" test "$rc" = 73
		t_check "tmpfs $size: says up front what the run may need" \
			bash -c "head -n1 '$T_DIR/full.err' | grep -q \"^rdiag: this run may need up to [0-9]* MB in '$T_DIR/mnt', [0-9]* MB free; free space or use --out\""
		t_check "tmpfs $size full: says no space and --out" \
			grep -q "no space left on '$T_DIR/mnt', no bundle written; free [0-9]* MB or use --out" "$T_DIR/full.err"
		t_check "tmpfs $size full: no Input/output error" \
			bash -c "! grep -q 'Input/output' '$T_DIR/full.err'"
		t_check "tmpfs $size full: the verdict is still printed" \
			t_has_finding "$T_DIR/full.json" "$(t_json "$T_DIR/full.json" 'j["findings"][0]["id"]')"
		t_check "tmpfs $size full: no staging or partial left" \
			test ! -s "$T_DIR/full.ls"
	done
	# The other side: caps that fit (2 x (4+1 + 0+1) + 2 x 4 = 20 MB of
	# 24): no warning, and the bundle is written.
	sed 's/^\[product\]$/[product]\ntotal_max_mb = 4/' "$T_DIR/rdiag.conf" \
		>"$T_DIR/fit.conf"
	rc=0
	unshare -m bash -c '
		mount --make-rprivate / &&
		mount -t tmpfs -o size=24m tmpfs "$1" &&
		"$2" run --only system,product --config "$3" --out "$1" \
			--quiet >/dev/null 2>"$4/fit.err"
		rc=$?
		ls "$1" >"$4/fit.ls"
		exit $rc' _ "$T_DIR/mnt" "$RDIAG" "$T_DIR/fit.conf" "$T_DIR" ||
		rc=$?
	t_check "tmpfs 24m, caps that fit: no warning, bundle written (got $rc)" \
		bash -c "[ $rc -lt 64 ] && [ ! -s '$T_DIR/fit.err' ] && grep -q '\.tar\.gz$' '$T_DIR/fit.ls'"
else
	echo "ok - # SKIP no mount namespaces here"
fi

# --- two runs at once (and in the same second) into one directory ---
out="$T_DIR/same"
mkdir -p "$out"
pids=()
for i in 1 2 3; do
	"$RDIAG" run --only system --config "$T_DIR/rdiag.conf" --out "$out" \
		--quiet --json >"$T_DIR/c$i.json" 2>"$T_DIR/c$i.err" &
	pids+=($!)
done
crc=()
for p in "${pids[@]}"; do
	r=0
	wait "$p" || r=$?
	crc+=("$r")
done
for i in 0 1 2; do
	t_check "concurrent run $i: not 70/73 (got ${crc[$i]})" \
		test "${crc[$i]}" -lt 64
done
t_check "three distinct bundles" \
	test "$(ls "$out" | grep -c '\.tar\.gz$')" = 3
t_check "three distinct sidecars" \
	test "$(ls "$out" | grep -c '\.sha256$')" = 3

# --- kill -9 at random points, then a normal run cleans up ---
kout="$T_DIR/kill"
mkdir -p "$kout"
for delay in 0.05 0.2 0.4 0.7 1.0; do
	"$RDIAG" run --only system,product --config "$T_DIR/rdiag.conf" \
		--out "$kout" --quiet >/dev/null 2>&1 &
	kp=$!
	sleep "$delay"
	kill -9 "$kp" 2>/dev/null || true
	wait "$kp" 2>/dev/null || true
done
# Orphaned workers may still hold a staging lock for a moment.
sleep 1
rm -f "$kout"/*.tar.gz "$kout"/*.sha256
r=0
"$RDIAG" run --only system --config "$T_DIR/rdiag.conf" --out "$kout" \
	--quiet --verbose >/dev/null 2>"$T_DIR/k.err" || r=$?
t_check "run after kills: verdict exit (got $r)" test "$r" -lt 64
t_check "run after kills: no staging left" \
	bash -c "! ls -A '$kout' | grep -q '^\.rdiag-staging-'"
t_check "run after kills: no bundle .partial left" \
	bash -c "! ls -A '$kout' | grep -q '\.tar\.[gz]*[zst]*\.partial$'"

# --- a SIGKILLed run leaves no unredacted copy anywhere ---
# A planted secret in a configuration file the product collector copies
# and in a log line; kill -9 while the collectors copy and while the bundle
# is written, then look through everything left under --out (staging
# included) for it. Staging is sealed under a key only the run's memory
# held, so the secret is never there in the clear.
secret="S3cr3tTestOnly"
sapp="$T_DIR/sapp"
sout="$T_DIR/secret"
mkdir -p "$sapp/log" "$sout"
printf '[db]\nhost = db.example\npassword = %s\n' "$secret" >"$sapp/app.ini"
cp "$app/log/app1.log" "$sapp/log/app.log"
echo "2026-11-27T10:02:00 INFO login user=svc password=$secret" \
	>>"$sapp/log/app.log"
cat >"$T_DIR/secret.conf" <<CONF
[agent]
min_free_mb = 1
[product]
config = $sapp/app.ini
log = $sapp/log/*.log
log = $app/log/app2.log
CONF
# kill_when WHAT: start a run, kill -9 it once WHAT is seen, then grep.
leaked=""
kill_when() {
	local kp found=""
	"$RDIAG" run --only product --config "$T_DIR/secret.conf" \
		--out "$sout" --quiet >/dev/null 2>&1 &
	kp=$!
	for _ in $(seq 1 400); do
		case $1 in
		copied) find "$sout" -name app.ini -size +0c | grep -q . ;;
		bundling) ls -A "$sout" | grep -q '\.partial$' ;;
		esac && { found=1; break; }
		sleep 0.02
	done
	kill -9 "$kp" 2>/dev/null || true
	wait "$kp" 2>/dev/null || true
	[ -n "$found" ] || leaked="$leaked $1:not-reached"
	grep -rqa "$secret" "$sout" && leaked="$leaked $1:at-once"
	# The orphaned worker finishes its copies; still nothing readable.
	sleep 0.5
	grep -rqa "$secret" "$sout" && leaked="$leaked $1:after"
	ls -A "$sout" | grep -q '^\.rdiag-staging-' ||
		leaked="$leaked $1:no-staging-left-to-look-at"
}
kill_when copied
kill_when bundling
t_check "kill -9 while copying and while bundling: secret never on disk (${leaked:-clean})" \
	test -z "$leaked"
r=0
"$RDIAG" run --only product --config "$T_DIR/secret.conf" --out "$sout" \
	--quiet >/dev/null 2>&1 || r=$?
sb=$(ls "$sout"/*.tar.gz | head -1)
t_check "after the kills a normal run bundles (got $r) and sweeps staging" \
	bash -c "[ $r -lt 64 ] && [ -n '$sb' ] && ! ls -A '$sout' | grep -q '^\.rdiag-staging-'"
mkdir -p "$T_DIR/sx"
tar -xzf "$sb" -C "$T_DIR/sx"
t_check "the bundle has the copies, redacted" \
	bash -c "grep -rq 'password = \[REDACTED' '$T_DIR/sx' && ! grep -rqa '$secret' '$T_DIR/sx'"
t_check "the manifest counts both redactions" \
	test "$(t_json "$(ls "$T_DIR"/sx/*/manifest.json)" 'sum(j["redactions"].values())')" -ge 2

# --- signals during an upload and during a retry wait: 130 within 1 s ---
ms() { date +%s%3N; }
# stop_and_time SIG PID: send SIG, wait; sets r (exit code), el (ms taken).
stop_and_time() {
	local t0
	t0=$(ms)
	kill -"$1" "$2"
	r=0
	wait "$2" || r=$?
	el=$(($(ms) - t0))
}
d="$T_DIR/nginx"
u_ca "$d" one
port=$(t_free_port)
u_nginx "$d" "$port"
pw=$(cat "$d/password")
cat >"$T_DIR/up.conf" <<CONF
[agent]
min_free_mb = 1
[product]
log = $app/log/*.log
[upload]
ca_file = $d/ca.pem
max_rate = 256K
retries = 5
retry_delay_ms = 10000
connect_timeout = 2
CONF
for sig in INT TERM; do
	uout="$T_DIR/up-$sig"
	mkdir -p "$uout"
	RDIAG_UPLOAD_PASSWORD=$pw "$RDIAG" run --only product \
		--config "$T_DIR/up.conf" --out "$uout" \
		--upload "https://vendor@127.0.0.1:$port/up/$sig/" \
		>/dev/null 2>"$T_DIR/up-$sig.err" &
	up=$!
	for _ in $(seq 1 200); do
		ls "$uout" 2>/dev/null | grep -q '\.tar\.gz$' && break
		sleep 0.1
	done
	sleep 1
	stop_and_time "$sig" "$up"
	t_check "SIG$sig during run --upload: exit 130 (got $r)" test "$r" = 130
	t_check "SIG$sig during run --upload: within 1 s (${el} ms)" \
		test "$el" -le "$stop_ms"
	t_check "SIG$sig during run --upload: bundle kept, no receipt" \
		bash -c "ls '$uout' | grep -q '\.tar\.gz$' && ! ls '$uout' | grep -q receipt"
	t_check "SIG$sig during run --upload: says how to send it later" \
		grep -q "to send it later run: rdiag upload '$uout/" "$T_DIR/up-$sig.err"
done

# A retry wait (10 s) against a port nobody listens on.
dead=$(t_free_port)
b="$T_DIR/retry.tar.gz"
u_file "$b" 64
for sig in INT TERM; do
	RDIAG_UPLOAD_PASSWORD=x "$RDIAG" upload "$b" \
		--to "https://vendor@127.0.0.1:$dead/up/" \
		--config "$T_DIR/up.conf" >/dev/null 2>"$T_DIR/rw-$sig.err" &
	up=$!
	for _ in $(seq 1 100); do
		grep -q "retrying in" "$T_DIR/rw-$sig.err" && break
		sleep 0.05
	done
	stop_and_time "$sig" "$up"
	t_check "SIG$sig in a retry wait: exit 130 (got $r)" test "$r" = 130
	t_check "SIG$sig in a retry wait: within 1 s (${el} ms)" \
		test "$el" -le "$stop_ms"
done

# --- the receipt describes what was sent: a changed bundle is refused ---
b="$T_DIR/changed.tar.gz"
u_file "$b" 64
(cd "$T_DIR" && sha256sum changed.tar.gz >changed.tar.gz.sha256)
printf 'x' | dd of="$b" bs=1 seek=100 conv=notrunc status=none
r=0
RDIAG_UPLOAD_PASSWORD=$pw "$RDIAG" upload "$b" \
	--to "https://vendor@127.0.0.1:$port/up/changed/" \
	--config "$T_DIR/up.conf" >/dev/null 2>"$T_DIR/ch.err" || r=$?
t_check "bundle changed after its sidecar: exit 65 (got $r)" test "$r" = 65
t_check "bundle changed after its sidecar: not sent" \
	test ! -e "$d/www/up/changed/changed.tar.gz"
t_check "bundle changed after its sidecar: says so" \
	grep -q "no longer matches its sidecar" "$T_DIR/ch.err"

# --- inspect checks the compression trailer, sidecar or not ---
tout="$T_DIR/trailer"
mkdir -p "$tout"
for comp in gzip zstd; do
	"$RDIAG" run --only system --config "$T_DIR/rdiag.conf" --out "$tout" \
		--compress "$comp" --quiet >/dev/null 2>&1 || true
done
gz=$(ls "$tout"/*.tar.gz | head -1)
zst=$(ls "$tout"/*.tar.zst | head -1)
t_check "intact gzip and zstd bundles inspect clean" \
	bash -c "'$RDIAG' inspect '$gz' >/dev/null 2>&1 && '$RDIAG' inspect '$zst' >/dev/null 2>&1"
# flip OFFSET-FROM-END SRC NAME: a copy with one bit flipped, no sidecar.
flip() {
	$PY -c 'import sys
d = bytearray(open(sys.argv[1], "rb").read())
d[len(d) - int(sys.argv[2])] ^= 1
open(sys.argv[3], "wb").write(d)' "$2" "$1" "$T_DIR/$3"
}
flip 8 "$gz" crc.tar.gz     # CRC-32
flip 1 "$gz" isize.tar.gz   # ISIZE
flip 1 "$zst" sum.tar.zst   # XXH64 content checksum
cp "$gz" "$T_DIR/tail.tar.gz" && printf 'junk' >>"$T_DIR/tail.tar.gz"
for f in crc.tar.gz isize.tar.gz sum.tar.zst tail.tar.gz; do
	r=0
	"$RDIAG" inspect "$T_DIR/$f" >/dev/null 2>"$T_DIR/tr.err" || r=$?
	t_check "inspect $f: damaged, 65 (got $r)" test "$r" = 65
done
t_check "inspect names the damaged gzip checksum" \
	bash -c "'$RDIAG' inspect '$T_DIR/crc.tar.gz' 2>&1 | grep -q 'damaged gzip compression'"

# --- --out on a hung share: 73 with the explanation, within the timeout ---
# In a private mount namespace, so no other test sees the FUSE mount.
hmnt="$T_DIR/hung"
mkdir -p "$hmnt"
r=0
unshare -m bash -c '
	mount --make-rprivate /
	exec 7< <(exec /usr/bin/python3 "$1/fuse_hang.py" "$2")
	read -r ready hpid <&7
	[ "$ready" = ready ] || exit 99
	# The same run against a missing --out (73 at once): what start-up
	# and exit cost on this machine now, so a loaded CI host or the ASan
	# build cannot be mistaken for a deadline overrun.
	t0=$(date +%s%3N)
	"$3" run --only system --config "$4" --out "$5/no-such-dir" \
		--timeout 3 >/dev/null 2>&1 || true
	echo $(($(date +%s%3N) - t0)) >"$5/hung-base.ms"
	t0=$(date +%s%3N)
	rc=0
	"$3" run --only system --config "$4" --out "$2/out" --timeout 3 \
		>/dev/null 2>"$5/hung.err" || rc=$?
	echo $(($(date +%s%3N) - t0)) >"$5/hung.ms"
	dev=$(awk -v m="$2" '"'"'$5 == m { print $3 }'"'"' /proc/self/mountinfo | tail -n1)
	{ echo 1 >"/sys/fs/fuse/connections/${dev#0:}/abort"; } 2>/dev/null || true
	umount -l "$2" 2>/dev/null || true
	kill "$hpid" 2>/dev/null || true
	exit $rc' _ "$(dirname "$0")/../helpers" "$hmnt" "$RDIAG" \
	"$T_DIR/rdiag.conf" "$T_DIR" || r=$?
t_check "hung --out: exit 73 (got $r)" test "$r" = 73
# The deadline (3 s), the 1 s the kill may take to be reaped, start-up
# and exit as measured just before, and 500 ms of slack.
hung_ms=$(cat "$T_DIR/hung.ms" 2>/dev/null || echo 99999)
base_ms=$(cat "$T_DIR/hung-base.ms" 2>/dev/null || echo 0)
t_check "hung --out: within --timeout 3 ($hung_ms ms, start-up $base_ms ms)" \
	test "$hung_ms" -le $((4500 + base_ms))
t_check "hung --out: says it is a hung mount and what to do" \
	grep -q "did not answer within 3 s: it is on a hung network or FUSE mount; use --out" "$T_DIR/hung.err"

# --- config lines of any length up to 64 KiB, never split; hostile ones ---
tok=$(head -c 600 /dev/urandom | base64 -w0 | tr -d '+/=' | head -c 800)
long_glob="$app/log/$(printf 'x%.0s' $(seq 1 290))*.log"
val210=$(printf 'v%.0s' $(seq 1 210))
{
	printf '[agent]\nmin_free_mb = 1\nhost_label = h%s\n' "$(printf '1%.0s' $(seq 1 40))"
	printf '[product]\nlog = %s\n' "$long_glob"
	printf 'error_pattern = %s\n' "$val210"
} >"$T_DIR/long.conf"
r=0
"$RDIAG" run --only system --config "$T_DIR/long.conf" --no-bundle --quiet \
	>/dev/null 2>"$T_DIR/long.err" || r=$?
t_check "a 304-character glob and a 210-character value are read (got $r)" \
	test "$r" -lt 64
# A line over the cap: refused with its real line number.
{
	printf '[agent]\nmin_free_mb = 1\n'
	printf 'host_label = %s\n' "$(head -c 70000 /dev/zero | tr '\0' a)"
} >"$T_DIR/huge.conf"
r=0
"$RDIAG" run --only system --config "$T_DIR/huge.conf" --no-bundle \
	>/dev/null 2>"$T_DIR/huge.err" || r=$?
t_check "a 70000-byte line: 64 and line 3 named (got $r)" \
	bash -c "[ $r = 64 ] && grep -q 'huge.conf:3: line longer than 65536 bytes' '$T_DIR/huge.err'"
# NUL bytes and control characters: refused, never echoed.
printf '[agent]\nmin_free_mb = 1\nhost\000label = x\n' >"$T_DIR/nul.conf"
printf '[agent]\nmin_free_mb = 1\n\033]0;owned\007key = x\n' >"$T_DIR/esc.conf"
for f in nul esc; do
	r=0
	"$RDIAG" run --only system --config "$T_DIR/$f.conf" --no-bundle \
		>/dev/null 2>"$T_DIR/$f.err" || r=$?
	t_check "$f in a config: 64 naming line 3 (got $r)" \
		bash -c "[ $r = 64 ] && grep -q '$f.conf:3: NUL byte or control character' '$T_DIR/$f.err'"
	t_check "$f in a config: no control character echoed" \
		bash -c "! LC_ALL=C grep -q '[[:cntrl:]]' <(tr -d '\n' <'$T_DIR/$f.err')"
done
# --config on a FIFO is refused at once, not waited on.
mkfifo "$T_DIR/fifo.conf"
r=0
timeout 5 "$RDIAG" run --only system --config "$T_DIR/fifo.conf" --no-bundle \
	>/dev/null 2>"$T_DIR/fifo.err" || r=$?
t_check "--config FIFO: refused at once with 64 (got $r)" \
	bash -c "[ $r = 64 ] && grep -q 'is not a regular file' '$T_DIR/fifo.err'"
r=0
timeout 5 "$RDIAG" run --only system --config /dev/zero --no-bundle \
	>/dev/null 2>/dev/null || r=$?
t_check "--config /dev/zero: refused with 64 (got $r)" test "$r" = 64

# --- Ctrl-C while the bundle is written: 130 within 1 s, nothing left ---
big="$T_DIR/biglog"
mkdir -p "$big" "$T_DIR/bw"
for i in 1 2 3 4 5 6; do
	head -c 8000000 /dev/urandom | base64 -w 100 >"$big/a$i.log"
done
printf '[agent]\nmin_free_mb = 1\n[product]\nlog = %s/*.log\n' "$big" \
	>"$T_DIR/bw.conf"
"$RDIAG" run --only product --config "$T_DIR/bw.conf" --out "$T_DIR/bw" \
	>"$T_DIR/bw.out" 2>"$T_DIR/bw.err" &
up=$!
for _ in $(seq 1 400); do
	grep -q "writing bundle" "$T_DIR/bw.err" && break
	sleep 0.05
done
sleep 0.3
stop_and_time INT "$up"
t_check "SIGINT while writing the bundle: 130 (got $r)" test "$r" = 130
t_check "SIGINT while writing the bundle: within 1 s (${el} ms)" \
	test "$el" -le "$stop_ms"
t_check "SIGINT while writing the bundle: no bundle, staging or .partial" \
	test -z "$(ls -A "$T_DIR/bw")"

# --- ulimit -v sweep: a clear end (70/73 or the verdict), never an abort
# that leaves staging behind. ASan reserves terabytes of address space, so
# ulimit -v cannot work with it: skipped there.
if [ -n "$asan" ]; then
	echo "ok - # SKIP ulimit -v sweep under ASan"
else
	bad=""
	for v in $(seq 56000 3000 110000); do
		mo="$T_DIR/mem-$v"
		mkdir -p "$mo"
		r=0
		(ulimit -v "$v"; exec "$RDIAG" run --only system,product \
			--config "$T_DIR/bw.conf" --out "$mo" --quiet) \
			>/dev/null 2>"$T_DIR/mem.err" || r=$?
		case $r in
		0 | 1 | 2 | 3 | 70 | 73) ;;
		127) grep -q 'error while loading shared libraries' \
			"$T_DIR/mem.err" || bad="$bad $v:$r" ;;
		*) bad="$bad $v:$r" ;;
		esac
		ls -A "$mo" | grep -q -e '^\.rdiag-staging-' -e '\.partial$' &&
			bad="$bad $v:left-staging"
		if [ "$r" = 70 ] || [ "$r" = 73 ]; then
			grep -q 'rdiag: ' "$T_DIR/mem.err" || bad="$bad $v:silent"
		fi
	done
	t_check "ulimit -v sweep: 70/73 or a verdict, no staging left (${bad:-clean})" \
		test -z "$bad"
fi

# --- memory exhaustion under a cgroup memory limit: 70 with a clear
# message, nothing left behind, never the run killed in silence. A child
# cgroup of /sys/fs/cgroup (v2, memory delegated), else of this process's
# v1 memory cgroup. The kernel never lets malloc fail in a cgroup; it
# kills the biggest process, so a run refuses a limit too small for it
# (8M) and, above that (24M), a worker the OOM killer took is reported
# as such (memory.events oom_kill) with 70, never as a verdict.
cg=""
if [ -n "$asan" ]; then
	echo "ok - # SKIP cgroup memory limit under ASan (its shadow memory needs more than the limit)"
elif grep -qw memory /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null &&
	mkdir "/sys/fs/cgroup/rdiag-faults-$$" 2>/dev/null; then
	cg="/sys/fs/cgroup/rdiag-faults-$$" cgv=2
elif own=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup) &&
	[ -n "$own" ] && mkdir "/sys/fs/cgroup/memory$own/rdiag-faults-$$" 2>/dev/null; then
	cg="/sys/fs/cgroup/memory$own/rdiag-faults-$$" cgv=1
else
	echo "ok - # SKIP no writable memory cgroup here (v2 with the memory controller delegated, or v1)"
fi
if [ -n "$cg" ]; then
	cg_limit() {
		if [ "$cgv" = 2 ]; then
			echo "$1" >"$cg/memory.max"
			echo 0 >"$cg/memory.swap.max" 2>/dev/null || true
		else
			# memsw may never be below the limit: raise it first.
			echo "$1" >"$cg/memory.memsw.limit_in_bytes" 2>/dev/null || true
			echo "$1" >"$cg/memory.limit_in_bytes"
			echo "$1" >"$cg/memory.memsw.limit_in_bytes" 2>/dev/null || true
		fi
	}
	cg_ooms() {
		awk '$1 == "oom_kill" { print $2 }' \
			"$cg/$([ "$cgv" = 2 ] && echo memory.events || echo memory.oom_control)"
	}
	for lim in 8M 24M; do
		mo="$T_DIR/cg-$lim"
		mkdir -p "$mo"
		cg_limit "$lim"
		before=$(cg_ooms)
		r=0
		bash -c 'echo $$ >"$1/cgroup.procs" && exec "$2" run \
			--only system,product --config "$3" --out "$4" --quiet' \
			_ "$cg" "$RDIAG" "$T_DIR/rdiag.conf" "$mo" \
			>/dev/null 2>"$T_DIR/cg.err" || r=$?
		after=$(cg_ooms)
		left=$(ls -A "$mo" | grep -e '^\.rdiag-staging-' -e '\.partial$' || true)
		case $lim:$r in
		8M:70)
			t_check "memory.max $lim: refused up front with 70 and why" \
				grep -q "not enough memory: this process's memory cgroup allows 8 MB, a run needs at least 16 MB" "$T_DIR/cg.err" ;;
		*:70 | *:73)
			t_check "memory.max $lim: $r says which collector ran out of memory" \
				grep -q "was killed by the kernel: out of memory" "$T_DIR/cg.err" ;;
		24M:[0-3])
			t_check "memory.max $lim: a verdict ($r) only when nothing was OOM-killed ($before -> $after)" \
				test "$before" = "$after" ;;
		*)
			t_fail "memory.max $lim: exit $r (oom_kill $before -> $after): $(head -c 300 "$T_DIR/cg.err")" ;;
		esac
		t_check "memory.max $lim: no staging or .partial left ($left)" test -z "$left"
	done
	# Orphaned sub-workers may still be leaving it; the trap tries again.
	for _ in $(seq 1 25); do rmdir "$cg" 2>/dev/null && break; sleep 0.2; done
	T_CLEANUPS+=("rmdir '$cg' 2>/dev/null")
fi

t_done
