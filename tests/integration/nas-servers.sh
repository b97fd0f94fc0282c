#!/usr/bin/env bash
# The nas collector's server probes against real servers on 127.0.0.1:
# smbd with SMB3 and mandatory signing, an SMB1-only smbd, rpcbind with
# nfs-ganesha (lock manager off), a port where nothing listens, and a port
# where something that is not SMB answers. Needs smbd, rpcbind, ganesha.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-nas.sh"
export RDIAG_SYSTEM_CONFIG=""

for b in smbd rpcbind ganesha.nfsd; do
	if ! command -v "$b" >/dev/null; then
		echo "skipped: $b is not installed"
		exit 0
	fi
done
mkdir -p "$T_DIR/out"

conf() { # conf FILE [LINES...]
	local f=$1
	shift
	{
		echo "[nas]"
		echo "discover = no"
		echo "host = 127.0.0.1"
		echo "probe_timeout_ms = 2000"
		printf '%s\n' "$@"
	} >"$f"
}
level_of() { t_json "$1" "[f['level'] for f in j['findings'] if f['id']=='$2'][0]"; }
severity_of() { t_json "$1" "[f['severity'] for f in j['findings'] if f['id']=='$2'][0]"; }

dead=$(t_free_port) # nothing listens here
smb3=$(t_free_port)
smb1=$(t_free_port)
nfs=$(t_free_port)
nas_smbd A "$smb3" "server signing = mandatory" "server min protocol = SMB2_10"
nas_smbd B "$smb1" "server min protocol = NT1" "server max protocol = NT1"

# --- SMB3 with signing required, no NFS on the host ---
conf "$T_DIR/a.conf" "smb_port = $smb3" "nfs_port = $dead" "rpcbind_port = $dead" \
	"require_signing = yes" "require_encryption = yes"
ms=$(nas_run "$T_DIR/a.json" "$T_DIR/a.conf")
echo "# smb3 probe run: ${ms} ms"
t_check "smb3: nas.smb.ok" t_has_finding "$T_DIR/a.json" nas.smb.ok
d=$(nas_detail "$T_DIR/a.json" nas.smb.ok)
echo "# $d"
t_check "smb3: dialect 3.1.1" nas_contains "$d" "dialect 3\.1\.1 \(0x0311\)"
t_check "smb3: signing required" nas_contains "$d" "signing required"
t_check "smb3: encryption negotiated" nas_contains "$d" "encryption AES-"
t_check "smb3: no signing complaint" nas_lacks_finding "$T_DIR/a.json" nas.smb.signing_off
t_check "smb3: no encryption complaint" nas_lacks_finding "$T_DIR/a.json" nas.smb.encryption_off
t_check "smb3: NFS missing is only info (SMB answered)" \
	test "$(severity_of "$T_DIR/a.json" nas.nfs.unreachable)" = info

# --- SMB3 with signing left to the client, but the policy wants it ---
smbopt=$(t_free_port)
nas_smbd C "$smbopt" "server signing = auto"
conf "$T_DIR/s.conf" "smb_port = $smbopt" "nfs_port = $dead" "rpcbind_port = $dead" \
	"require_signing = yes"
ms=$(nas_run "$T_DIR/s.json" "$T_DIR/s.conf")
t_check "signing optional: nas.smb.signing_off" t_has_finding "$T_DIR/s.json" nas.smb.signing_off
t_check "signing optional: detail says not required" \
	nas_contains "$(nas_detail "$T_DIR/s.json" nas.smb.ok)" "signing not required"

# --- SMB1-only server ---
conf "$T_DIR/b.conf" "smb_port = $smb1" "nfs_port = $dead" "rpcbind_port = $dead"
ms=$(nas_run "$T_DIR/b.json" "$T_DIR/b.conf")
t_check "smb1: nas.smb.smb1_only" t_has_finding "$T_DIR/b.json" nas.smb.smb1_only
t_check "smb1: fail" test "$(severity_of "$T_DIR/b.json" nas.smb.smb1_only)" = fail
t_check "smb1: level 4" test "$(level_of "$T_DIR/b.json" nas.smb.smb1_only)" = 4
t_check "smb1: not reported as ok" nas_lacks_finding "$T_DIR/b.json" nas.smb.ok

# --- nothing listens: unreachable, fail, quick ---
conf "$T_DIR/c.conf" "smb_port = $dead" "nfs_port = $dead" "rpcbind_port = $dead"
ms=$(nas_run "$T_DIR/c.json" "$T_DIR/c.conf")
t_check "dead: nas.smb.unreachable" t_has_finding "$T_DIR/c.json" nas.smb.unreachable
t_check "dead: SMB unreachable is a failure (nothing answered)" \
	test "$(severity_of "$T_DIR/c.json" nas.smb.unreachable)" = fail
t_check "dead: nas.nfs.unreachable" t_has_finding "$T_DIR/c.json" nas.nfs.unreachable
t_check "dead: quick (${ms} ms < 5000)" test "$ms" -lt 5000

# --- something that is not SMB: a server that sends a line and waits ---
junk=$(t_free_port)
$PY -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(8)
while True:
    c, _ = s.accept(); c.sendall(b"220 ftp ready\r\n"); time.sleep(0.2); c.close()
' "$junk" &
T_PIDS+=($!)
t_wait_port "$junk"
conf "$T_DIR/j.conf" "smb_port = $junk" "nfs_port = $dead" "rpcbind_port = $dead"
ms=$(nas_run "$T_DIR/j.json" "$T_DIR/j.conf")
t_check "junk: nas.smb.not_smb" t_has_finding "$T_DIR/j.json" nas.smb.not_smb
t_check "junk: quick (${ms} ms < 5000)" test "$ms" -lt 5000

# --- NFS: rpcbind + ganesha without a lock manager, v3 and v4 ---
nas_rpcbind
nas_ganesha "$nfs" false 3,4
for _ in $(seq 1 60); do rpcinfo -p 127.0.0.1 2>/dev/null | grep -q " $nfs  nfs" && break; sleep 0.1; done
conf "$T_DIR/n.conf" "smb_port = $dead" "nfs_port = $nfs"
ms=$(nas_run "$T_DIR/n.json" "$T_DIR/n.conf")
echo "# nfs probe run: ${ms} ms"
t_check "nfs: nas.nfs.ok" t_has_finding "$T_DIR/n.json" nas.nfs.ok
d=$(nas_detail "$T_DIR/n.json" nas.nfs.ok)
echo "# $d"
t_check "nfs: v3 and v4 answer NULL" nas_contains "$d" "v3 yes .*v4 yes"
t_check "nfs: mountd registered" nas_contains "$d" "mountd port $((nfs + 1))"
t_check "nfs: lock manager missing" t_has_finding "$T_DIR/n.json" nas.nfs.no_lock_manager
t_check "nfs: missing lock manager is level 4" \
	test "$(level_of "$T_DIR/n.json" nas.nfs.no_lock_manager)" = 4
t_check "nfs: SMB missing is only info" \
	test "$(severity_of "$T_DIR/n.json" nas.smb.unreachable)" = info

# --- NFS: a program missing (v4 only: v3 NULL gets PROG_MISMATCH) ---
nfs4=$(t_free_port)
nas_ganesha "$nfs4" false 4
conf "$T_DIR/v4.conf" "smb_port = $dead" "nfs_port = $nfs4"
ms=$(nas_run "$T_DIR/v4.json" "$T_DIR/v4.conf")
d=$(nas_detail "$T_DIR/v4.json" nas.nfs.ok)
echo "# $d"
t_check "nfs4-only: v3 refused with the versions offered" \
	nas_contains "$d" "v3 no \(server offers versions 4 to 4\), v4 yes"

t_done
