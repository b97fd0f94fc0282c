#!/bin/bash
# Name resolution of the database collector: a DNS server that does not
# answer is not a name that does not exist. Each run gets its own
# resolv.conf in a private mount namespace (unshare -m + bind mount), naming
# a loopback address where nothing listens, a DNS server that answers
# NXDOMAIN, or one that never answers; only loopback is contacted.
. "$(dirname "$0")/lib.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
CONF=$T_DIR/rdiag.conf
printf '[database]\nconnect_timeout_ms = 1500\n' >"$CONF"
NAME=appdb.rdiag-test.invalid

# run_ns NAME NAMESERVER: rdiag with "nameserver NAMESERVER" as resolv.conf
run_ns() {
	local name=$1
	printf 'nameserver %s\noptions timeout:1 attempts:1\n' "$2" \
		>"$T_DIR/$name.resolv"
	unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf && shift &&
		exec "$@"' sh "$T_DIR/$name.resolv" "$RDIAG" run \
		--only database --config "$CONF" \
		--db "postgresql://app@$NAME:5432/appdb" --json --no-bundle \
		>"$T_DIR/$name.json" 2>"$T_DIR/$name.err" || true
}

# expect NAME ID LEVEL: the run reported ID at LEVEL and no other dns id
expect() {
	local got
	got=$(t_json "$T_DIR/$1.json" '" ".join("%s/%s" % (f["id"], f["level"])
		for f in j["findings"] if f["id"].startswith("db.dns."))' \
		2>/dev/null || cat "$T_DIR/$1.err")
	if [ "$got" = "$2/$3" ]; then
		t_ok "$1: $2 at level $3"
	else
		t_fail "$1: expected $2/$3, got '$got'"
	fi
}

# Nothing listens on 127.0.0.2:53: the resolver gets "refused" at once.
run_ns dns-dead 127.0.0.2
expect dns-dead db.dns.no_answer 4

NX=127.0.0.54
SILENT=127.0.0.55
$PY "$HERE/db-dns-responder.py" nxdomain "$NX" &
T_PIDS+=($!)
$PY "$HERE/db-dns-responder.py" silent "$SILENT" &
T_PIDS+=($!)
sleep 0.5

run_ns dns-nx "$NX"
expect dns-nx db.dns.not_found 0
t_check "dns-nx: the detail names the resolver" \
	grep -q "nameserver $NX" "$T_DIR/dns-nx.json"

T0=$(date +%s%N)
run_ns dns-silent "$SILENT"
T1=$(date +%s%N)
# Either the step's deadline or the resolver's own timeout comes first:
# both mean "no answer", never "no such name".
got=$(t_json "$T_DIR/dns-silent.json" '" ".join(f["id"]
	for f in j["findings"] if f["id"].startswith("db.dns."))')
case $got in
db.dns.timeout | db.dns.no_answer) t_ok "dns-silent: $got" ;;
*) t_fail "dns-silent: expected no answer, got '$got'" ;;
esac
t_check "dns-silent ends in time ($(((T1 - T0) / 1000000)) ms)" \
	test $(((T1 - T0) / 1000000)) -lt 4000

t_done
