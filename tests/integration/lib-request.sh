# Helpers for the signed-request and agent tests (sourced after lib.sh): a
# vendor key pair with its public key in a trusted-keys directory, a second
# key nobody trusts, and token surgery in Python.
export RDIAG_SYSTEM_CONFIG=""
unset RDIAG_TRUSTED_KEYS RDIAG_STATE_DIR

# r_keys DIR: DIR/vendor.{key,pub}, DIR/other.{key,pub}, DIR/trusted/.
r_keys() {
	local d=$1
	mkdir -p "$d/trusted"
	(cd "$d" && "$RDIAG" keygen --type sign vendor >/dev/null &&
		"$RDIAG" keygen --type sign other >/dev/null)
	cp "$d/vendor.pub" "$d/trusted/"
}

# r_field TOKEN FIELD: a field of the token's (unverified) JSON.
r_field() {
	$PY -c 'import base64,json,sys
p=sys.argv[1].split(".")[1]
print(json.loads(base64.urlsafe_b64decode(p+"="*(-len(p)%4)))[sys.argv[2]])' "$1" "$2"
}

# r_tamper TOKEN FIELD VALUE: the same token with one JSON field changed
# and the original signature kept.
r_tamper() {
	$PY -c 'import base64,json,sys
pre,p,s=sys.argv[1].split(".")
j=json.loads(base64.urlsafe_b64decode(p+"="*(-len(p)%4)))
j[sys.argv[2]]=sys.argv[3]
p=base64.urlsafe_b64encode(json.dumps(j,separators=(",",":")).encode()).decode().rstrip("=")
print(".".join([pre,p,s]))' "$1" "$2" "$3"
}

# r_audit_count FILE EVENT [ID]: audit records of EVENT (for ID).
r_audit_count() {
	$PY -c 'import json,sys
n=0
for l in open(sys.argv[1]):
    j=json.loads(l)
    if j["event"]==sys.argv[2] and (len(sys.argv)<4 or j.get("id")==sys.argv[3]): n+=1
print(n)' "$@" 2>/dev/null || echo 0
}

# r_wait_audit FILE EVENT ID [SECONDS]: until EVENT for ID is logged.
r_wait_audit() {
	local i
	for ((i = 0; i < ${4:-30} * 20; i++)); do
		[ "$(r_audit_count "$1" "$2" "$3")" -ge 1 ] && return 0
		sleep 0.05
	done
	return 1
}
