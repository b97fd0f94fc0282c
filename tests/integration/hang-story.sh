#!/usr/bin/env bash
# One cause, one story: when the share holding the application's data
# hangs (a bindfs whose daemon is stopped), the nas, antivirus and product
# collectors all name the same hung mount at level 4 — whether the data
# directory is on it directly, is a symbolic link into it, or has a
# symbolically linked parent — none tells the customer to create the
# directory or blames the root file system, and a second, healthy data
# directory is still checked. Needs root, /dev/fuse and bindfs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-nas.sh"
export RDIAG_SYSTEM_CONFIG=""

if [ "$(id -u)" != 0 ] || [ ! -w /dev/fuse ] || ! command -v bindfs >/dev/null; then
	echo "skipped: needs root, /dev/fuse and bindfs"
	exit 0
fi

src="$T_DIR/src" mnt="$T_DIR/share" ok="$T_DIR/local"
mkdir -p "$src/data/sub" "$mnt" "$ok" "$T_DIR/links"
bindfs -f "$src" "$mnt" </dev/null >/dev/null 2>&1 &
bpid=$!
T_PIDS+=("$bpid")
T_CLEANUPS+=("kill -CONT $bpid 2>/dev/null")
nas_fuse_abort_later "$mnt"
for _ in $(seq 1 100); do grep -q " $mnt " /proc/self/mountinfo && break; sleep 0.05; done
ls "$mnt/data" >/dev/null
# The three ways a configured path lands on the share.
ln -s "$mnt/data" "$T_DIR/links/data-link"
ln -s "$mnt" "$T_DIR/links/parent-link"
ln -s ../links/data-link "$T_DIR/links/relative-link"
kill -STOP "$bpid"

run_case() { # NAME DATA_DIR
	local name=$1 dir=$2 rc=0
	cat >"$T_DIR/$name.conf" <<CONF
[agent]
min_free_mb = 1
[product]
data_dir = $dir
data_dir = $ok
network_timeout_ms = 2000
CONF
	"$RDIAG" run --only nas,antivirus,product --config "$T_DIR/$name.conf" \
		--out "$T_DIR" --no-bundle --json >"$T_DIR/$name.json" 2>"$T_DIR/$name.err" || rc=$?
	cat >"$T_DIR/check.py" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
mnt = sys.argv[2]
fs = j["findings"]
def about(prefix):
    return [f for f in fs if f["id"].startswith(prefix) and f["severity"] in ("warn", "fail")
            and "hung" in f["id"]]
bad = []
for c in ("nas.", "antivirus.", "product."):
    hits = about(c)
    if not hits:
        bad.append("%s: no finding about the hung share" % c)
    for f in hits:
        text = " ".join(str(f.get(k) or "") for k in ("title", "detail", "hint"))
        if mnt not in text:
            bad.append("%s names another mount: %s" % (f["id"], text[:160]))
        if f["level"] != 4:
            bad.append("%s is level %d" % (f["id"], f["level"]))
for f in fs:
    text = " ".join(str(f.get(k) or "") for k in ("title", "detail", "hint"))
    if "umount -l / " in text + " " or "behind / " in text or "at / " in text:
        bad.append("%s blames the root file system" % f["id"])
    if "create the directory" in text and sys.argv[3] in text:
        bad.append("%s tells the customer to create it" % f["id"])
if not any(f["id"] == "nas.write.ok" and sys.argv[4] in f["title"] for f in fs):
    bad.append("the healthy data directory was not checked")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
	t_check "$name: nas, antivirus and product name the hung share $mnt at level 4, the healthy directory is checked" \
		$PY "$T_DIR/check.py" "$T_DIR/$name.json" "$mnt" "$dir" "$ok"
	t_check "$name: the run ended with failures (2, got $rc)" test "$rc" = 2
}

run_case direct "$mnt/data"
run_case symlink "$T_DIR/links/data-link"
run_case parent-link "$T_DIR/links/parent-link/data/sub"
run_case relative-link "$T_DIR/links/relative-link"
kill -CONT "$bpid"

t_done
