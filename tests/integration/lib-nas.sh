# Helpers for the nas integration tests (sourced after lib.sh): private
# file servers on 127.0.0.1 and mounts that are always cleaned up.

# nas_smbd NAME PORT [EXTRA smb.conf LINES...]: start a private smbd with a
# guest share on 127.0.0.1:PORT; waits for the port.
nas_smbd() {
	local name=$1 port=$2 d="$T_DIR/smb-$1" line
	shift 2
	mkdir -p "$d"/{lock,state,cache,pid,private,ncalrpc,share,log}
	chmod 0777 "$d/share"
	{
		cat <<CONF
[global]
	workgroup = RDIAGTEST
	netbios name = RDIAG$name
	server role = standalone server
	smb ports = $port
	interfaces = lo
	bind interfaces only = yes
	lock directory = $d/lock
	state directory = $d/state
	cache directory = $d/cache
	pid directory = $d/pid
	private dir = $d/private
	ncalrpc dir = $d/ncalrpc
	log file = $d/log/log.%m
	disable spoolss = yes
	load printers = no
	map to guest = bad user
CONF
		for line in "$@"; do printf '\t%s\n' "$line"; done
		cat <<CONF
[share]
	path = $d/share
	guest ok = yes
	read only = no
CONF
	} >"$d/smb.conf"
	# Its own session: smbd signals its whole process group when it
	# stops, which would otherwise be this test script.
	setsid smbd --foreground --no-process-group -s "$d/smb.conf" \
		</dev/null >"$d/log/stdout" 2>&1 &
	T_PIDS+=($!)
	t_wait_port "$port" 30
}

# nas_rpcbind: rpcbind on port 111 (it cannot use another port), private
# state; skipped when one already runs (the test then shares it).
nas_rpcbind() {
	if $PY -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',111)))" 2>/dev/null; then
		echo "rpcbind already listening on 111; using it" >&2
		return 0
	fi
	mkdir -p /run/rpcbind
	rpcbind -f -w </dev/null >"$T_DIR/rpcbind.log" 2>&1 &
	T_PIDS+=($!)
	t_wait_port 111 20
}

# nas_ganesha PORT NLM(true|false) PROTOCOLS: a user-space NFS server.
nas_ganesha() {
	local port=$1 nlm=$2 protos=$3 d="$T_DIR/ganesha-$1"
	mkdir -p "$d/export" "$d/recov"
	cat >"$d/ganesha.conf" <<CONF
NFS_CORE_PARAM {
	NFS_Port = $port;
	Bind_addr = 127.0.0.1;
	Protocols = $protos;
	Enable_NLM = $nlm;
	Enable_RQUOTA = false;
	MNT_Port = $((port + 1));
	NLM_Port = $((port + 2));
}
NFSV4 {
	RecoveryBackend = fs;
	RecoveryRoot = "$d/recov";
	Grace_Period = 5;
	Lease_Lifetime = 5;
}
NFS_KRB5 { Active_krb5 = false; }
EXPORT {
	Export_Id = 1;
	Path = $d/export;
	Pseudo = /export;
	Access_Type = RW;
	Squash = No_Root_Squash;
	FSAL { Name = VFS; }
}
LOG { Default_Log_Level = EVENT; }
CONF
	ganesha.nfsd -F -f "$d/ganesha.conf" -L "$d/ganesha.log" \
		-p "$d/ganesha.pid" </dev/null >"$d/stdout" 2>&1 &
	T_PIDS+=($!)
	t_wait_port "$port" 30
}

# nas_umount_later MNT: make the trap release MNT even when a test fails.
nas_umount_later() {
	T_CLEANUPS+=("umount -l '$1' 2>/dev/null")
}

# nas_fuse_abort_later MNT: abort MNT's FUSE connection in the trap, which
# frees processes stuck on it, then lazily unmount it.
nas_fuse_abort_later() {
	T_CLEANUPS+=("nas_fuse_abort '$1'")
}

nas_fuse_abort() {
	local mnt=$1 dev
	dev=$(awk -v m="$mnt" '$5 == m { print $3 }' /proc/self/mountinfo | tail -n1)
	if [ -n "$dev" ] && [ -e "/sys/fs/fuse/connections/${dev#0:}/abort" ]; then
		echo 1 >"/sys/fs/fuse/connections/${dev#0:}/abort" 2>/dev/null || true
	fi
	umount -l "$mnt" 2>/dev/null || true
}

# nas_run OUT.json CONF [ARGS...]: rdiag run --only nas; prints wall ms.
nas_run() {
	local out=$1 conf=$2 t0 t1 rc=0
	shift 2
	t0=$(date +%s%N)
	RDIAG_SYSTEM_CONFIG="" "$RDIAG" run --only nas --config "$conf" \
		--json --no-bundle --out "$T_DIR/out" "$@" >"$out" \
		2>>"$T_DIR/rdiag.stderr" || rc=$?
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
	return 0
}

# nas_detail OUT.json ID: the detail of the first finding with ID.
nas_detail() {
	$PY -c 'import json,sys; j=json.load(open(sys.argv[1])); print(next((f.get("detail") or "") for f in j["findings"] if f["id"]==sys.argv[2]))' "$1" "$2"
}

# nas_contains TEXT ERE: does TEXT match the extended regex?
nas_contains() {
	grep -Eq -- "$2" <<<"$1"
}

# nas_lacks_finding OUT.json ID: no finding with ID.
nas_lacks_finding() {
	! t_has_finding "$1" "$2"
}
