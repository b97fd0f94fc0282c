#!/usr/bin/env bash
# The evidence binds the engineer: in a full shell they truncate the audit
# log and delete their recording, and leave processes behind with setsid,
# nohup and a double fork. The deleted recording is put back from the
# handler's open descriptor, the damage is recorded in the audit log and
# told to the customer, and when the session ends none of the engineer's
# processes still runs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-session.sh"

s_relay_start
s_config </dev/null

# Unusual durations name the engineer's processes for pgrep.
left() { pgrep -f "sleep 1000[79]|sleep 10011" >/dev/null; }
T_CLEANUPS+=("pkill -KILL -f 'sleep 1000[79]|sleep 10011' || true")

# The recording named in the audit log's evidence_tampered record.
tampered_cast() {
	$PY -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["event"] == "evidence_tampered" and e["file"].endswith(".cast"):
        print(e["file"])' "$S_STATE/audit.jsonl"
}

# One session where the engineer does all that; $1 names the case.
scenario() {
	rm -f "$S_STATE"/*
	s_agent_start
	t_check "$1: the agent is up" s_listening "$S_LISTEN"
	s_eng engineer -tt "echo recorded-$((6*7)); setsid sleep 10007 & nohup sleep 10009 >/dev/null 2>&1 & (setsid sh -c 'sleep 10011 &' &); sleep 0.3; : > '$S_STATE/audit.jsonl'; rm -f '$S_STATE'/*.cast; echo wiped" \
		>"$T_DIR/eng.out" 2>&1 </dev/null || true
	t_check "$1: the engineer's command ran" grep -q wiped "$T_DIR/eng.out"
	t_check "$1: its processes outlived its shell while the session runs" left

	kill -INT "$S_AGENT"
	s_wait "$S_AGENT" 20 || true
	t_check "$1: the session ended on SIGINT (130, got $S_RC)" test "$S_RC" = 130
	t_check "$1: setsid, nohup and double-forked processes were ended with it" s_not left
	t_check "$1: the audit log says so" s_audit "e['event']=='killed_leftovers' and e['count']>=3"

	# The join record went with the truncation: the path is in the report.
	cast=$(tampered_cast)
	t_check "$1: the recording was put back where it was" test -s "$cast"
	t_check "$1: it still holds what the engineer saw" grep -q "recorded-42" "$cast"
	t_check "$1: the audit log records the deleted recording" \
		s_audit "e['event']=='evidence_tampered' and e['file'].endswith('.cast') and e['what'].startswith('deleted')"
	t_check "$1: and the truncated audit log" \
		s_audit "e['event']=='evidence_tampered' and e['file'].endswith('audit.jsonl')"
	t_check "$1: the customer was told about both" \
		test "$(grep -c 'evidence was tampered with' "$T_DIR/agent.out")" = 2
}

scenario cgroup
t_check "cgroup: the leftovers were found through the cgroup" \
	s_audit "e['event']=='killed_leftovers' and e['how']=='cgroup'"

# Without a cgroup v2 file system (a mount namespace without it), the
# session parent as subreaper finds them through /proc.
if unshare -m true 2>/dev/null; then
	cat >"$T_DIR/nocgroup" <<'SH'
#!/bin/sh
# rdiag in a mount namespace without the cgroup v2 file system.
exec unshare -m sh -c '
for m in $(awk "\$3 == \"cgroup2\" { print \$2 }" /proc/self/mounts); do
	umount "$m"
done
exec "$REAL_RDIAG" "$@"' sh "$@"
SH
	export REAL_RDIAG="$RDIAG"
	chmod +x "$T_DIR/nocgroup"
	RDIAG="$T_DIR/nocgroup" scenario no-cgroup
	t_check "no-cgroup: the leftovers were found through /proc" \
		s_audit "e['event']=='killed_leftovers' and e['how']=='descendants'"
else
	t_ok "# SKIP no-cgroup: unshare -m is not allowed here"
fi
# Rewritten in place, same length: the recording's hash no longer matches.
rm -f "$S_STATE"/*
s_agent_start
t_check "rewrite: the agent is up" s_listening "$S_LISTEN"
s_eng engineer -tt "echo recorded-\$((6*7)); sleep 0.3; for f in '$S_STATE'/*.cast; do sed 's/recorded-42/recorded-00/g' \"\$f\" >'$T_DIR/x'; dd if='$T_DIR/x' of=\"\$f\" conv=notrunc status=none; done; echo rewrote" \
	>"$T_DIR/eng.out" 2>&1 </dev/null || true
t_check "rewrite: the engineer's command ran" grep -q rewrote "$T_DIR/eng.out"
kill -INT "$S_AGENT"
s_wait "$S_AGENT" 20 || true
t_check "rewrite: the audit log records the rewritten recording" \
	s_audit "e['event']=='evidence_tampered' and e['file'].endswith('.cast') and e['what']=='rewritten'"
t_check "rewrite: the customer was told" \
	grep -q 'evidence was tampered with: the recording .* was rewritten' "$T_DIR/agent.out"

t_check "no sanitizer report" s_not grep -q Sanitizer "$T_DIR/agent.err"
t_done
