#!/usr/bin/env bash
# rdiag.exe's packages (scripts/windows-package): the MSI's tables name the
# exe, the docs and the default config in the right folders and append the
# install folder to the system PATH; wine's msiexec installs it (the exe runs
# from Program Files, the config lands in ProgramData, PATH has the folder)
# and removes it again; the zip holds the same files.
#   RDIAG_EXE  build-windows/rdiag.exe   RDIAG_WINE wine's 64-bit loader
. "$(dirname "$0")/../integration/lib.sh"
: "${RDIAG_EXE:?RDIAG_EXE must name rdiag.exe}"
: "${WINEPREFIX:?WINEPREFIX must name the wine prefix (scripts/dev test-windows)}"
WINE=${RDIAG_WINE:-/usr/lib/wine/wine64}
export WINEDEBUG=-all
src=$(cd "$(dirname "$0")/../.." && pwd)

out=$("$src/scripts/windows-package" 2>"$T_DIR/pkg.err") || true
msi=$(grep '\.msi$' <<<"$out" || true)
zipf=$(grep '\.zip$' <<<"$out" || true)
t_check "windows-package makes an MSI and a zip" test -s "$msi" -a -s "$zipf"

# msiinfo writes tables as IDT text: tab-separated, CRLF.
table() { msiinfo export "$msi" "$1" 2>/dev/null | tr -d '\r' >"$T_DIR/$2" || true; }
table File file
table Directory dir
table Component comp
table Environment env
table InstallExecuteSequence seq
for f in rdiag.exe rdiag.conf README.md windows.md windows-smoke.ps1; do
	t_check "MSI File table has $f" grep -qP "\t$f\t" "$T_DIR/file"
done
t_check "rdiag.exe goes to ProgramFiles64Folder\\rdiag" \
	bash -c "grep -qP '^INSTALLDIR\tProgramFiles64Folder\trdiag' '$T_DIR/dir'"
t_check "the config goes to CommonAppDataFolder\\rdiag" \
	bash -c "grep -qP '^DataDir\tCommonAppDataFolder\trdiag' '$T_DIR/dir' && grep -qP '^RdiagConf\t.*\tDataDir\t' '$T_DIR/comp'"
t_check "PATH gets the install folder appended (system, removed at uninstall)" \
	grep -qP '^RdiagPath\t=-\*PATH\t\[~\];\[INSTALLDIR\]\tRdiagExe$' "$T_DIR/env"
t_check "the environment is written and removed" \
	bash -c "grep -q '^WriteEnvironmentStrings' '$T_DIR/seq' && grep -q '^RemoveEnvironmentStrings' '$T_DIR/seq'"
t_check "the MSI is 64-bit" bash -c "msiinfo suminfo '$msi' | grep -q 'x64;1033'"

# Install into wine and run it from there, then remove it.
pf="$WINEPREFIX/drive_c/Program Files/rdiag"
pd="$WINEPREFIX/drive_c/ProgramData/rdiag"
"$WINE" msiexec /i "$msi" /qn >/dev/null 2>&1 || true
t_check "msiexec installs rdiag.exe" test -f "$pf/rdiag.exe"
t_check "msiexec installs the default config" cmp -s "$pd/rdiag.conf" "$src/scripts/rdiag.conf"
t_check "the installed rdiag.exe runs" \
	bash -c "'$WINE' '$pf/rdiag.exe' version | grep -q '^rdiag '"
path=$("$WINE" reg query 'HKLM\System\CurrentControlSet\Control\Session Manager\Environment' /v PATH 2>/dev/null | tr -d '\r')
t_check "the system PATH has the install folder" grep -qF 'C:\Program Files\rdiag' <<<"$path"
"$WINE" msiexec /x "$msi" /qn >/dev/null 2>&1 || true
t_check "msiexec /x removes rdiag.exe" test ! -e "$pf/rdiag.exe"
path=$("$WINE" reg query 'HKLM\System\CurrentControlSet\Control\Session Manager\Environment' /v PATH 2>/dev/null | tr -d '\r')
t_check "and its PATH entry" bash -c "! grep -qF 'Program Files\\rdiag' <<<'$path'"

unzip -Z1 "$zipf" >"$T_DIR/zip" 2>/dev/null || true
t_check "the zip has rdiag.exe, its config and the docs" \
	bash -c "grep -qx 'rdiag/rdiag.exe' '$T_DIR/zip' && grep -qx 'rdiag/rdiag.conf' '$T_DIR/zip' && grep -qx 'rdiag/doc/windows.md' '$T_DIR/zip'"
t_done
