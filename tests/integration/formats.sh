#!/usr/bin/env bash
# Formats partners already have tools for: rdiag's keys, signatures and
# encrypted bundles checked with the real OpenSSH ssh-keygen and age, and
# theirs read by rdiag. Every key is made here, at test time.
#   rdiag keygen      -> ssh-keygen -y / -l, age-keygen -y read the keys
#   ssh-keygen, age-keygen keys -> rdiag run --sign / --encrypt-to use them
#   rdiag signs       -> ssh-keygen -Y verify (NAME.sig and manifest.sig)
#   ssh-keygen -Y sign -> rdiag inspect --trust verifies
#   rdiag encrypts    -> age -d decrypts to the bytes rdiag signed
#   age -e (binary or -a) -> rdiag inspect / extract --key decrypt
#   tampered signatures and ciphertexts are refused, with the reason
. "$(dirname "$0")/lib.sh"
export RDIAG_SYSTEM_CONFIG=""

for tool in ssh-keygen age age-keygen; do
	command -v "$tool" >/dev/null || { echo "not ok - $tool is not installed (scripts/deps/test.txt)"; exit 1; }
done

app="$T_DIR/app"
out="$T_DIR/out"
mkdir -p "$app/etc" "$app/log" "$out" "$out/l"
echo "[db]" >"$app/etc/app.ini"
# Enough log text that the bundle spans several 64 KiB age chunks.
$PY - "$app/log/app.log" <<'PY'
import random, sys, time
r = random.Random(19)
now = time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(time.time() - 60))
with open(sys.argv[1], "w") as f:
    for i in range(6000):
        f.write("%s INFO request %d took %d ms from %s\n"
                % (now, i, r.randrange(10**6), " ".join(r.choice(["alpha", "beta", "gamma", "delta", "omega", "sigma"]) + str(r.randrange(10**4)) for _ in range(4))))
PY
cat >"$T_DIR/a.conf" <<CONF
[agent]
min_free_mb = 1
host_label = fmt
[product]
config = $app/etc/*.ini
log = $app/log/*.log
error_pattern = NEVER
CONF

run() { # run OUTDIR [args...] -> prints the bundle path
	local o=$1
	shift
	mkdir -p "$o"
	"$RDIAG" run --only system,product --config "$T_DIR/a.conf" --ticket 19 \
		--out "$o" --json "$@" >"$T_DIR/v.json" 2>"$T_DIR/run.err" || true
	t_json "$T_DIR/v.json" 'j["bundle"]'
}
flip() { # flip FILE OFFSET: invert one byte (always a change)
	$PY -c 'import sys
f = open(sys.argv[1], "r+b"); o = int(sys.argv[2]); f.seek(o); b = f.read(1)
f.seek(o); f.write(bytes([b[0] ^ 0xff]))' "$1" "$2"
}
cd "$T_DIR"

# --- keys -----------------------------------------------------------------
"$RDIAG" keygen --type sign vendor >"$T_DIR/kg.out"
"$RDIAG" keygen --type encrypt support >"$T_DIR/kge.out"
t_check "keygen sign: an OpenSSH private key" grep -q "^-----BEGIN OPENSSH PRIVATE KEY-----$" vendor.key
t_check "keygen sign: ssh-keygen -y derives the .pub line" \
	test "$(ssh-keygen -y -f vendor.key | cut -d' ' -f1,2)" = "$(cut -d' ' -f1,2 vendor.pub)"
fp=$(ssh-keygen -lf vendor.pub | awk '{print $2}')
t_check "keygen sign: prints ssh-keygen's fingerprint" grep -qF "fingerprint $fp" "$T_DIR/kg.out"
t_check "keygen encrypt: age-keygen -y derives the recipient" test "$(age-keygen -y support.key)" = "$(cat support.pub)"
t_check "keygen encrypt: the identity file names its recipient" grep -qx "# public key: $(cat support.pub)" support.key
t_check "keygen encrypt: prints the recipient" grep -qF "$(cat support.pub)" "$T_DIR/kge.out"
t_check "keygen: secret keys are 0600" test "$(stat -c %a vendor.key)$(stat -c %a support.key)" = 600600

ssh-keygen -q -t ed25519 -N '' -C partner@test -f partner
age-keygen -o partner-age.key 2>/dev/null
age-keygen -y partner-age.key >partner-age.pub
ssh-keygen -q -t ed25519 -N 'not-empty' -C locked@test -f locked
ssh-keygen -q -t rsa -b 2048 -N '' -C rsa@test -f rsakey
echo "vendor@test $(cat vendor.pub)" >allowed_signers
echo "partner@test namespaces=\"rdiag-bundle\" $(cat partner.pub)" >>allowed_signers

# --- rdiag signs, ssh-keygen verifies -------------------------------------
S=$(run "$out/s" --sign vendor.key)
t_check "run --sign: NAME.sig beside the bundle" test -f "$S.sig"
t_check "run --sign: it is an armored SSH signature" grep -q "^-----BEGIN SSH SIGNATURE-----$" "$S.sig"
ssh-keygen -Y verify -f allowed_signers -I vendor@test -n rdiag-bundle -s "$S.sig" <"$S" >"$T_DIR/v.out" 2>&1
t_check "ssh-keygen -Y verify accepts rdiag's bundle signature" grep -q 'Good "rdiag-bundle" signature for vendor@test' "$T_DIR/v.out"
rc=0; ssh-keygen -Y verify -f allowed_signers -I vendor@test -n file -s "$S.sig" <"$S" >/dev/null 2>&1 || rc=$?
t_check "ssh-keygen: the namespace is rdiag-bundle, not another" test "$rc" != 0
mkdir -p "$T_DIR/mx"
tar -xzf "$S" -C "$T_DIR/mx"
top=$(ls "$T_DIR/mx")
ssh-keygen -Y verify -f allowed_signers -I vendor@test -n rdiag-bundle \
	-s "$T_DIR/mx/$top/manifest.sig" <"$T_DIR/mx/$top/manifest.json" >"$T_DIR/v.out" 2>&1
t_check "ssh-keygen -Y verify accepts manifest.sig inside the bundle" grep -q "Good" "$T_DIR/v.out"
rc=0; "$RDIAG" inspect "$S" --trust vendor.pub >"$T_DIR/i.txt" || rc=$?
t_check "inspect --trust the .pub (0) and shows ssh-keygen's fingerprint" \
	bash -c "test $rc = 0 && grep -qF 'key $fp (trusted)' '$T_DIR/i.txt'"
grep -v partner allowed_signers >one_signer
rc=0; "$RDIAG" inspect "$S" --trust one_signer >/dev/null || rc=$?
t_check "inspect --trust takes an allowed_signers file too (0)" test "$rc" = 0
rc=0; "$RDIAG" inspect "$S" --trust allowed_signers >/dev/null 2>"$T_DIR/e" || rc=$?
t_check "an allowed_signers file with two keys is refused (64)" \
	bash -c "test $rc = 64 && grep -q 'holds 2 keys' '$T_DIR/e'"

"$RDIAG" export "$S" --only system --sign partner -o "$T_DIR/part.tar.gz" >"$T_DIR/x.out"
ssh-keygen -Y verify -f allowed_signers -I partner@test -n rdiag-bundle -s "$T_DIR/part.tar.gz.sig" \
	<"$T_DIR/part.tar.gz" >"$T_DIR/v.out" 2>&1
t_check "export --sign with ssh-keygen's key: ssh-keygen verifies PART.sig" grep -q "Good" "$T_DIR/v.out"
t_check "export --sign names the signature file" grep -qF "signature: $T_DIR/part.tar.gz.sig" "$T_DIR/x.out"

# --- keys made by ssh-keygen and age-keygen work in rdiag -----------------
P=$(run "$out/p" --sign partner --encrypt-to partner-age.pub)
t_check "run --sign with ssh-keygen's key, --encrypt-to age-keygen's recipient" \
	bash -c "[[ '$P' == *.tar.gz.age ]] && test -f '${P%.age}.sig'"
age -d -i partner-age.key -o "$T_DIR/p.tar.gz" "$P"
t_check "age -d decrypts rdiag's encrypted bundle" bash -c "gzip -t '$T_DIR/p.tar.gz'"
ssh-keygen -Y verify -f allowed_signers -I partner@test -n rdiag-bundle -s "${P%.age}.sig" \
	<"$T_DIR/p.tar.gz" >"$T_DIR/v.out" 2>&1
t_check "age's plain text is byte for byte what rdiag signed" grep -q "Good" "$T_DIR/v.out"
t_check "the encrypted bundle spans three 64 KiB chunks" test "$(stat -c %s "$P")" -gt 131072
rc=0; "$RDIAG" inspect "$P" --key partner-age.key --trust partner.pub >/dev/null || rc=$?
t_check "inspect --key age-keygen's identity --trust ssh-keygen's .pub (0)" test "$rc" = 0
rc=0; "$RDIAG" run --only system --config "$T_DIR/a.conf" --out "$out/l" --sign locked -q >/dev/null 2>"$T_DIR/e" || rc=$?
t_check "a passphrase-protected key is refused (64) and says why" \
	bash -c "test $rc = 64 && grep -q 'protected by a passphrase' '$T_DIR/e'"
rc=0; "$RDIAG" run --only system --config "$T_DIR/a.conf" --out "$out/l" --sign rsakey -q >/dev/null 2>"$T_DIR/e" || rc=$?
t_check "an RSA key is refused (64): Ed25519 only" bash -c "test $rc = 64 && grep -q 'Ed25519' '$T_DIR/e'"
rc=0; "$RDIAG" run --only system --config "$T_DIR/a.conf" --out "$out/l" --sign partner.pub -q >/dev/null 2>"$T_DIR/e" || rc=$?
t_check "a public key given as --sign says it is public (64), not chmod" \
	bash -c "test $rc = 64 && grep -q 'is a public signing key, need a secret signing key' '$T_DIR/e' && ! grep -q chmod '$T_DIR/e'"

# --- rdiag encrypts, age decrypts -----------------------------------------
R=$(run "$out/r" --encrypt-to "$(cat partner-age.pub)")
age -d -i partner-age.key -o "$T_DIR/r.tar.gz" "$R"
t_check "run --encrypt-to age1... (the recipient itself, as age -r)" gzip -t "$T_DIR/r.tar.gz"
E=$(run "$out/e" --encrypt-to support.pub --sign vendor.key)
t_check "run --encrypt-to: NAME.tar.gz.age, an age file" \
	bash -c "[[ '$E' == *.tar.gz.age ]] && head -c 22 '$E' | grep -q '^age-encryption.org/v1$'"
age -d -i support.key -o "$T_DIR/e.tar.gz" "$E"
ssh-keygen -Y verify -f allowed_signers -I vendor@test -n rdiag-bundle -s "${E%.age}.sig" \
	<"$T_DIR/e.tar.gz" >"$T_DIR/v.out" 2>&1
t_check "age -d gives the signed bytes" grep -q "Good" "$T_DIR/v.out"
rc=0; age -d -i partner-age.key -o /dev/null "$E" 2>/dev/null || rc=$?
t_check "age -d with another identity fails" test "$rc" != 0

# --- age encrypts, rdiag decrypts ------------------------------------------
A=$(run "$out/a")
age -e -r "$(cat support.pub)" -o "$T_DIR/a.tar.gz.age" "$A"
rc=0; "$RDIAG" inspect "$T_DIR/a.tar.gz.age" --key support.key --json >"$T_DIR/a.json" || rc=$?
t_check "age -e -> rdiag inspect --key (0)" test "$rc" = 0
t_check "inspect sees the bundle age encrypted (its SHA-256 inside)" \
	test "$(t_json "$T_DIR/a.json" 'j["encrypted"]')" = True
age -e -r "$(cat partner-age.pub)" -r "$(cat support.pub)" -o "$T_DIR/two.age" "$A"
rc=0; "$RDIAG" extract "$T_DIR/two.age" "$T_DIR/ax" --key support.key >/dev/null || rc=$?
t_check "age -e to two recipients -> rdiag extract --key the second (0)" \
	bash -c "test $rc = 0 && test -f '$T_DIR/ax/manifest.json'"
age -a -e -r "$(cat support.pub)" -o "$T_DIR/armored.age" "$A"
rc=0; "$RDIAG" inspect "$T_DIR/armored.age" --key support.key >/dev/null || rc=$?
t_check "age -a (armored) -> rdiag inspect --key (0)" test "$rc" = 0
sed 's/$/\r/' "$T_DIR/armored.age" >"$T_DIR/crlf.age"
rc=0; "$RDIAG" inspect "$T_DIR/crlf.age" --key support.key >/dev/null || rc=$?
t_check "age -a with CRLF line ends -> rdiag inspect --key (0)" test "$rc" = 0
head -n 5 "$T_DIR/armored.age" >"$T_DIR/armcut.age"
rc=0; "$RDIAG" inspect "$T_DIR/armcut.age" --key support.key 2>"$T_DIR/e" >/dev/null || rc=$?
t_check "a cut armored age file is refused (65)" bash -c "test $rc = 65 && grep -q 'armored age file is' '$T_DIR/e'"
age -e -R partner-age.pub -o "$T_DIR/notus.age" "$A"
rc=0; "$RDIAG" inspect "$T_DIR/notus.age" --key support.key 2>"$T_DIR/e" >/dev/null || rc=$?
t_check "age file for someone else is refused (65)" \
	bash -c "test $rc = 65 && grep -q 'not encrypted for this key' '$T_DIR/e'"
# Exact chunk sizes: a file of 0, 1, 64 KiB and 128 KiB + 1 bytes round trips
# through both implementations (the last chunk rule of age's STREAM).
for n in 0 1 65536 131073; do
	head -c "$n" /dev/urandom >"$T_DIR/raw"
	age -e -r "$(cat support.pub)" -o "$T_DIR/raw.age" "$T_DIR/raw"
	rc=0; "$RDIAG" inspect "$T_DIR/raw.age" --key support.key 2>"$T_DIR/e" >/dev/null || rc=$?
	# Not a bundle, but decryption must pass and the archive reader refuse.
	t_check "age -e of $n bytes decrypts in rdiag (refused only as an archive)" \
		bash -c "test $rc = 65 && grep -q 'Unrecognized archive format' '$T_DIR/e'"
done
cut=$(( $(stat -c %s "$T_DIR/raw.age") - 1 ))
head -c "$cut" "$T_DIR/raw.age" >"$T_DIR/cut.age"
rc=0; "$RDIAG" inspect "$T_DIR/cut.age" --key support.key 2>"$T_DIR/e" >/dev/null || rc=$?
t_check "age file cut by one byte is refused (65)" bash -c "test $rc = 65 && grep -qE 'truncated|cut' '$T_DIR/e'"
hdr=$($PY -c 'import sys; print(open(sys.argv[1], "rb").read().index(b"\n--- ") + 1)' "$T_DIR/raw.age")
head -c $((hdr + 48 + 16 + 65536 + 16)) "$T_DIR/raw.age" >"$T_DIR/cut2.age"
rc=0; "$RDIAG" inspect "$T_DIR/cut2.age" --key support.key 2>"$T_DIR/e" >/dev/null || rc=$?
t_check "age file cut at a chunk boundary is refused (65)" bash -c "test $rc = 65 && grep -qE 'truncated|cut' '$T_DIR/e'"

# --- ssh-keygen signs, rdiag verifies -------------------------------------
mkdir -p "$T_DIR/ps"
cp "$A" "$T_DIR/ps/b.tar.gz"
ssh-keygen -q -Y sign -f partner -n rdiag-bundle "$T_DIR/ps/b.tar.gz"
t_check "ssh-keygen -Y sign wrote b.tar.gz.sig" test -f "$T_DIR/ps/b.tar.gz.sig"
rc=0; "$RDIAG" inspect "$T_DIR/ps/b.tar.gz" --trust partner.pub >"$T_DIR/i.txt" || rc=$?
t_check "rdiag inspect --trust verifies ssh-keygen's signature (0)" \
	bash -c "test $rc = 0 && grep -q '(trusted)' '$T_DIR/i.txt'"
rc=0; "$RDIAG" inspect "$T_DIR/ps/b.tar.gz" --trust vendor.pub 2>"$T_DIR/e" >/dev/null || rc=$?
t_check "signed by another key than --trust is refused (65)" \
	bash -c "test $rc = 65 && grep -q 'not by the trusted key' '$T_DIR/e'"
cp "$A" "$T_DIR/ps/ns.tar.gz"
ssh-keygen -q -Y sign -f partner -n file "$T_DIR/ps/ns.tar.gz"
rc=0; "$RDIAG" inspect "$T_DIR/ps/ns.tar.gz" 2>"$T_DIR/e" >/dev/null || rc=$?
t_check "a signature for namespace 'file' is refused (65)" \
	bash -c "test $rc = 65 && grep -q \"not for namespace 'rdiag-bundle'\" '$T_DIR/e'"

# --- tampering --------------------------------------------------------------
mkdir -p "$T_DIR/t"
cp "$S" "$T_DIR/t/b.tar.gz"
cp "$S.sig" "$T_DIR/t/b.tar.gz.sig"
size=$(stat -c %s "$T_DIR/t/b.tar.gz")
flip "$T_DIR/t/b.tar.gz" $((size - 8))
rc=0; ssh-keygen -Y verify -f allowed_signers -I vendor@test -n rdiag-bundle -s "$T_DIR/t/b.tar.gz.sig" \
	<"$T_DIR/t/b.tar.gz" >/dev/null 2>&1 || rc=$?
t_check "ssh-keygen refuses the changed bundle" test "$rc" != 0
rc=0; "$RDIAG" inspect "$T_DIR/t/b.tar.gz" 2>"$T_DIR/e" >/dev/null || rc=$?
t_check "rdiag refuses the changed bundle (65) because of its signature" \
	bash -c "test $rc = 65 && grep -q 'does not match the bundle' '$T_DIR/e'"
cp "$S" "$T_DIR/t/b.tar.gz"
# One base64 character of the signature changed to another one.
$PY -c 'import sys
p = sys.argv[1]; t = open(p).read().split("\n"); l = t[3]
t[3] = l[:10] + ("B" if l[10] != "B" else "C") + l[11:]
open(p, "w").write("\n".join(t))' "$T_DIR/t/b.tar.gz.sig"
rc=0; "$RDIAG" inspect "$T_DIR/t/b.tar.gz" 2>"$T_DIR/e" >/dev/null || rc=$?
t_check "a changed signature is refused (65) and names the signature" \
	bash -c "test $rc = 65 && grep -q \"signature '.*b.tar.gz.sig'\" '$T_DIR/e'"
cp "$E" "$T_DIR/t/e.age"
esize=$(stat -c %s "$E")
flip "$T_DIR/t/e.age" $((esize / 2))
rc=0; age -d -i support.key -o /dev/null "$T_DIR/t/e.age" 2>/dev/null || rc=$?
t_check "age refuses the changed ciphertext" test "$rc" != 0
rc=0; "$RDIAG" inspect "$T_DIR/t/e.age" --key support.key 2>"$T_DIR/e" >/dev/null || rc=$?
t_check "rdiag refuses the changed ciphertext (65) with the reason" \
	bash -c "test $rc = 65 && grep -q 'changed or cut' '$T_DIR/e'"
cp "$E" "$T_DIR/t/h.age"
flip "$T_DIR/t/h.age" 35
rc=0; "$RDIAG" inspect "$T_DIR/t/h.age" --key support.key 2>"$T_DIR/e" >/dev/null || rc=$?
t_check "a changed age header is refused (65)" test "$rc" = 65

t_done
