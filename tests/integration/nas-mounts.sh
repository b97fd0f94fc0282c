#!/usr/bin/env bash
# The nas collector against real mounts: healthy, read-only bind, full
# tmpfs, a directory the user cannot write, a FIFO, a wrong path, a FUSE
# mount whose daemon is stopped (killable hang) and one whose daemon never
# answers (a sub-worker stuck in D state). Hung cases must end on time and
# name the stuck process. Needs root, /dev/fuse, bindfs and python3.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-nas.sh"
export RDIAG_SYSTEM_CONFIG=""

if [ "$(id -u)" != 0 ] || [ ! -w /dev/fuse ] || ! command -v bindfs >/dev/null; then
	echo "skipped: needs root, /dev/fuse and bindfs"
	exit 0
fi
HELPERS="${RDIAG_SRC:-$(dirname "$0")/../..}/tests/helpers"
mkdir -p "$T_DIR/out"
chmod 0777 "$T_DIR/out"

conf() { # conf FILE [LINES...]
	local f=$1
	shift
	{
		echo "[nas]"
		echo "discover = ${DISCOVER:-no}"
		echo "op_timeout_ms = 1000"
		printf '%s\n' "$@"
	} >"$f"
}

# --- healthy tmpfs, with a FIFO inside, and a data_dir from [product] ---
ok="$T_DIR/ok"
mkdir -p "$ok"
mount -t tmpfs -o size=8m tmpfs "$ok"
nas_umount_later "$ok"
mkdir "$ok/data"
mkfifo "$ok/data/pipe"
conf "$T_DIR/ok.conf" "throughput_mb = 2" "[product]" "data_dir = $ok/data"
ms=$(nas_run "$T_DIR/ok.json" "$T_DIR/ok.conf" --nas "$ok/data")
t_check "healthy: path listed" t_has_finding "$T_DIR/ok.json" nas.path.ok
t_check "healthy: writable" t_has_finding "$T_DIR/ok.json" nas.write.ok
t_check "healthy: locks work" t_has_finding "$T_DIR/ok.json" nas.lock.ok
t_check "healthy: space ok" t_has_finding "$T_DIR/ok.json" nas.space.ok
t_check "healthy: throughput measured" t_has_finding "$T_DIR/ok.json" nas.throughput.ok
t_check "healthy: nothing failed" test "$(t_json "$T_DIR/ok.json" 'sum(f["severity"] in ("warn","fail") for f in j["findings"])')" = 0
t_check "healthy: the FIFO inside was counted, not opened" \
	nas_contains "$(nas_detail "$T_DIR/ok.json" nas.path.ok)" "listing 1 entries"
t_check "healthy: probe files removed" test -z "$(ls -A "$ok/data" | grep rdiag-probe || true)"
t_check "healthy: data_dir checked too" \
	test "$(t_json "$T_DIR/ok.json" 'sum(f["id"]=="nas.write.ok" for f in j["findings"])')" = 2

# --- a FIFO as the configured path: reported, never opened ---
mkfifo "$T_DIR/fifo"
conf "$T_DIR/fifo.conf"
ms=$(nas_run "$T_DIR/fifo.json" "$T_DIR/fifo.conf" --nas "$T_DIR/fifo")
t_check "fifo: not a directory" t_has_finding "$T_DIR/fifo.json" nas.path.not_dir
t_check "fifo: detail names the FIFO" \
	nas_contains "$(nas_detail "$T_DIR/fifo.json" nas.path.not_dir)" FIFO
t_check "fifo: ends fast (${ms} ms)" test "$ms" -lt 5000

# --- a wrong path (level 0) ---
ms=$(nas_run "$T_DIR/miss.json" "$T_DIR/fifo.conf" --nas "$ok/nope")
t_check "missing: nas.path.missing" t_has_finding "$T_DIR/miss.json" nas.path.missing
t_check "missing: level 0" test "$(t_json "$T_DIR/miss.json" '[f["level"] for f in j["findings"] if f["id"]=="nas.path.missing"][0]')" = 0

# --- read-only bind mount ---
ro="$T_DIR/ro"
mkdir -p "$ro" "$T_DIR/ro-src"
mount --bind "$T_DIR/ro-src" "$ro"
nas_umount_later "$ro"
mount -o remount,bind,ro "$ro"
ms=$(nas_run "$T_DIR/ro.json" "$T_DIR/fifo.conf" --nas "$ro")
t_check "read-only: nas.write.read_only" t_has_finding "$T_DIR/ro.json" nas.write.read_only
t_check "read-only: still listed" t_has_finding "$T_DIR/ro.json" nas.path.ok
t_check "read-only: no nas.write.ok" nas_lacks_finding "$T_DIR/ro.json" nas.write.ok

# --- a full small tmpfs ---
full="$T_DIR/full"
mkdir -p "$full"
mount -t tmpfs -o size=1m tmpfs "$full"
nas_umount_later "$full"
dd if=/dev/zero of="$full/fill" bs=64k count=100 2>/dev/null || true
ms=$(nas_run "$T_DIR/full.json" "$T_DIR/fifo.conf" --nas "$full")
t_check "full: nas.space.full" t_has_finding "$T_DIR/full.json" nas.space.full
t_check "full: writing fails with no space" t_has_finding "$T_DIR/full.json" nas.write.no_space

# --- a directory the user cannot write (run as nobody) ---
mkdir -p "$T_DIR/locked/dir"
chmod 0755 "$T_DIR/locked" "$T_DIR/locked/dir"
conf "$T_DIR/nobody.conf"
chmod 0644 "$T_DIR/nobody.conf"
rc=0
setpriv --reuid=nobody --regid=nogroup --clear-groups \
	env RDIAG_SYSTEM_CONFIG="" "$RDIAG" run --only nas --config "$T_DIR/nobody.conf" \
	--json --no-bundle --out "$T_DIR/out" --nas "$T_DIR/locked/dir" \
	>"$T_DIR/nobody.json" 2>>"$T_DIR/rdiag.stderr" || rc=$?
t_check "unwritable: nas.write.denied" t_has_finding "$T_DIR/nobody.json" nas.write.denied
t_check "unwritable: still listed" t_has_finding "$T_DIR/nobody.json" nas.path.ok

# --- killable hang: bindfs whose daemon is stopped ---
src="$T_DIR/bsrc" bmnt="$T_DIR/bmnt"
mkdir -p "$src/data" "$bmnt"
bindfs -f "$src" "$bmnt" </dev/null >/dev/null 2>&1 &
bpid=$!
T_PIDS+=("$bpid")
T_CLEANUPS+=("kill -CONT $bpid 2>/dev/null")
nas_fuse_abort_later "$bmnt"
for _ in $(seq 1 100); do grep -q " $bmnt " /proc/self/mountinfo && break; sleep 0.05; done
ls "$bmnt/data" >/dev/null
kill -STOP "$bpid"
DISCOVER=yes conf "$T_DIR/stop.conf"
ms=$(nas_run "$T_DIR/stop.json" "$T_DIR/stop.conf" --nas "$bmnt/data")
echo "# stopped FUSE daemon: run took ${ms} ms"
t_check "stopped daemon: nas.mount.hung" t_has_finding "$T_DIR/stop.json" nas.mount.hung
t_check "stopped daemon: one hang, mount not touched again" \
	test "$(t_json "$T_DIR/stop.json" 'sum(f["id"]=="nas.mount.hung" for f in j["findings"])')" = 1
t_check "stopped daemon: level 4" \
	test "$(t_json "$T_DIR/stop.json" '[f["level"] for f in j["findings"] if f["id"]=="nas.mount.hung"][0]')" = 4
t_check "stopped daemon: ended on time (${ms} ms < 6000)" test "$ms" -lt 6000
t_check "stopped daemon: collector finished ok" \
	test "$(t_json "$T_DIR/stop.json" '[c["status"] for c in j["collectors"] if c["name"]=="nas"][0]')" = ok
kill -CONT "$bpid"

# --- D state: a FUSE daemon that never answers ---
hmnt="$T_DIR/hang"
mkdir -p "$hmnt"
exec 7< <(exec /usr/bin/python3 "$HELPERS/fuse_hang.py" "$hmnt")
read -r ready hpid <&7
T_PIDS+=("$hpid")
nas_fuse_abort_later "$hmnt"
t_check "fuse_hang helper ready" test "$ready" = ready
conf "$T_DIR/d.conf"
ms=$(nas_run "$T_DIR/d.json" "$T_DIR/d.conf" --nas "$hmnt/x" --nas "$ok/data")
echo "# D-state FUSE mount: run took ${ms} ms"
t_check "D state: nas.mount.hung" t_has_finding "$T_DIR/d.json" nas.mount.hung
d=$(nas_detail "$T_DIR/d.json" nas.mount.hung)
echo "# $d"
t_check "D state: names the stuck process and state D" \
	nas_contains "$d" 'process [0-9]+ is stuck in the kernel at [a-z_0-9]+ \(state D\)'
stuck=$(grep -Eo 'process [0-9]+' <<<"$d" | grep -Eo '[0-9]+' | head -n1)
t_check "D state: pid $stuck really is in D state" \
	bash -c "grep -q '^State:.*D' /proc/$stuck/status"
t_check "D state: ended on time (${ms} ms < 6000)" test "$ms" -lt 6000
t_check "D state: the healthy path was still checked" t_has_finding "$T_DIR/d.json" nas.write.ok
kill "$hpid" 2>/dev/null || true

t_done
