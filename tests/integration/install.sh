#!/usr/bin/env bash
# What `cmake --install` writes, as the README builds it (default prefix):
# the program, its man page and the documentation the man page points to
# under share/doc/rdiag, the JSON Schemas, the commented configs under
# /etc/rdiag and a unit that names /etc/rdiag. Then the installed binary
# reads /etc/rdiag/rdiag.conf (written here for a moment, the machine's own
# put back afterwards): the file every document and hint names.
. "$(dirname "$0")/lib.sh"
: "${RDIAG_SRC:?}" "${RDIAG_BUILD:?}"

# A fresh configure with nothing but the defaults: the system config
# directory does not follow the /usr/local prefix.
b="$T_DIR/build"
cmake -S "$RDIAG_SRC" -B "$b" -DRDIAG_TESTS=OFF >/dev/null
t_check "default prefix is /usr/local" \
	grep -qx 'CMAKE_INSTALL_PREFIX:PATH=/usr/local' "$b/CMakeCache.txt"
t_check "default system config directory is /etc/rdiag" \
	grep -qx 'RDIAG_SYSCONFDIR:PATH=/etc/rdiag' "$b/CMakeCache.txt"
t_check "the program is built with /etc/rdiag" \
	grep -rqF -- '-DRDIAG_SYSCONFDIR=\"/etc/rdiag\"' "$b/CMakeFiles/rdiag_core.dir/flags.make"
t_check "the unit reads /etc/rdiag/agent.conf and agent.env" \
	bash -c "grep -qx 'ExecStart=/usr/local/bin/rdiag agent --config /etc/rdiag/agent.conf' '$b/rdiag-agent.service' &&
		grep -qx 'EnvironmentFile=-/etc/rdiag/agent.env' '$b/rdiag-agent.service'"
cmake -S "$RDIAG_SRC" -B "$T_DIR/b2" -DRDIAG_TESTS=OFF -DRDIAG_SYSCONFDIR=/opt/acme/etc >/dev/null
t_check "-DRDIAG_SYSCONFDIR moves it explicitly" \
	grep -qx 'ExecStart=/usr/local/bin/rdiag agent --config /opt/acme/etc/agent.conf' "$T_DIR/b2/rdiag-agent.service"

# Install the build under test into a DESTDIR.
dest="$T_DIR/dest"
DESTDIR="$dest" cmake --install "$RDIAG_BUILD" >"$T_DIR/install.log"
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$RDIAG_BUILD/CMakeCache.txt")
sysconf=$(sed -n 's/^RDIAG_SYSCONFDIR:PATH=//p' "$RDIAG_BUILD/CMakeCache.txt")
p="$dest$prefix"
t_check "binary installed" test -x "$p/bin/rdiag"
t_check "man page under share/man/man1" test -s "$p/share/man/man1/rdiag.1"
t_check "README under share/doc/rdiag" test -s "$p/share/doc/rdiag/README.md"
t_check "configs under $sysconf" \
	test -s "$dest$sysconf/rdiag.conf" -a -s "$dest$sysconf/agent.conf"
t_check "unit installed" test -s "$p/lib/systemd/system/rdiag-agent.service"
# A second install keeps the machine's own configuration.
printf '[agent]\njobs = 2\n' >"$dest$sysconf/rdiag.conf"
DESTDIR="$dest" cmake --install "$RDIAG_BUILD" >"$T_DIR/install2.log"
t_check "reinstall keeps an existing rdiag.conf (says so)" \
	bash -c "grep -qx 'jobs = 2' '$dest$sysconf/rdiag.conf' && grep -q 'Keeping: $dest$sysconf/rdiag.conf' '$T_DIR/install2.log'"
t_check "reinstall still installs the program" test -x "$p/bin/rdiag"
for f in "$RDIAG_SRC"/docs/*.md "$RDIAG_SRC"/docs/collectors/*.md; do
	rel=${f#"$RDIAG_SRC"/}
	t_check "$rel installed" cmp -s "$f" "$p/share/doc/rdiag/$rel"
done
# Every page the man page names (docs/NAME.md, docs/collectors/*.md) is
# there in the installed tree, where SEE ALSO says.
for rel in $(grep -o 'docs/[a-z/*-]*\.md' "$RDIAG_SRC/docs/rdiag.1" | sort -u); do
	t_check "man page's $rel is installed" \
		bash -c "ls $p/share/doc/rdiag/$rel >/dev/null 2>&1"
done
t_check "man page says where the documentation is installed" \
	grep -q 'share/doc/rdiag' "$RDIAG_SRC/docs/rdiag.1"
n=0
for f in "$RDIAG_SRC"/docs/schemas/*.schema.json; do
	t_check "schema $(basename "$f") installed under share/rdiag/schemas" \
		cmp -s "$f" "$p/share/rdiag/schemas/$(basename "$f")"
	n=$((n + 1))
done
t_check "every JSON output's schema is there ($n)" test "$n" -ge 7

# The installed binary reads /etc/rdiag/rdiag.conf. Only root can write
# there, and only for a build with the default directory.
if [ "$(id -u)" != 0 ] || [ "$sysconf" != /etc/rdiag ]; then
	echo "# not root or RDIAG_SYSCONFDIR=$sysconf: /etc/rdiag reading skipped"
	t_done
	exit
fi
conf=/etc/rdiag/rdiag.conf
made_dir=no
[ -d /etc/rdiag ] || { mkdir -m 0755 /etc/rdiag; made_dir=yes; }
if [ -e "$conf" ]; then
	cp -a "$conf" "$T_DIR/rdiag.conf.saved"
fi
restore() {
	if [ -e "$T_DIR/rdiag.conf.saved" ]; then
		cp -a "$T_DIR/rdiag.conf.saved" "$conf"
	else
		rm -f "$conf"
	fi
	[ "$made_dir" = no ] || rmdir /etc/rdiag 2>/dev/null || true
}
T_CLEANUPS+=(restore)
printf '# written by tests/integration/install.sh\n[agent]\nhost_label = rdiag-install-probe\n' >"$conf"
rc=0
env -u RDIAG_SYSTEM_CONFIG "$p/bin/rdiag" run --only system --no-bundle --json \
	>"$T_DIR/run.json" 2>"$T_DIR/run.err" || rc=$?
printf '[agent]\n\nhost_label = bad label!\n' >"$conf"
rc2=0
env -u RDIAG_SYSTEM_CONFIG "$p/bin/rdiag" run --only system --no-bundle \
	>/dev/null 2>"$T_DIR/bad.err" || rc2=$?
restore
t_check "installed binary read /etc/rdiag/rdiag.conf (host_label)" \
	test "$(t_json "$T_DIR/run.json" 'j["host"]')" = rdiag-install-probe
t_check "a bad value there is exit 64 naming /etc/rdiag/rdiag.conf line 3" \
	bash -c "[ $rc2 = 64 ] && grep -q '/etc/rdiag/rdiag.conf line 3' '$T_DIR/bad.err'"
[ "$rc2" = 64 ] || cat "$T_DIR/bad.err"
t_check "the machine's /etc/rdiag is as it was" \
	bash -c "if [ -e '$T_DIR/rdiag.conf.saved' ]; then cmp -s '$T_DIR/rdiag.conf.saved' '$conf'; else [ ! -e '$conf' ]; fi"
t_done
