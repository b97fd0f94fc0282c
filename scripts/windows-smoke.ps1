# rdiag.exe on a real Windows Server: what wine cannot show (docs/windows.md).
# An engineer runs it on a test VM (PowerShell 5 or later, as an
# administrator, rdiag.exe on PATH or given with -Rdiag); it exercises every
# command once and prints a pass/fail table. Nothing leaves the machine.
#
#   powershell -ExecutionPolicy Bypass -File windows-smoke.ps1 [-Rdiag C:\path\rdiag.exe]
param([string]$Rdiag = "rdiag.exe")

$ErrorActionPreference = "Continue"
$results = New-Object System.Collections.Generic.List[object]
$work = Join-Path $env:TEMP ("rdiag-smoke-" + [guid]::NewGuid().ToString("N"))
New-Item -ItemType Directory -Path $work | Out-Null

function Check([string]$what, [scriptblock]$test) {
	$ok = $false
	$note = ""
	try { $ok = [bool](& $test) } catch { $note = $_.Exception.Message }
	$results.Add([pscustomobject]@{ Check = $what; Result = $(if ($ok) { "PASS" } else { "FAIL" }); Note = $note })
}

function Run([string[]]$argv) {
	$out = & $Rdiag @argv 2>&1
	return @{ Code = $LASTEXITCODE; Out = ($out -join "`n") }
}

# Only the user, SYSTEM and Administrators may be granted anything.
function Private([string]$path) {
	$acl = Get-Acl -LiteralPath $path
	$me = [System.Security.Principal.WindowsIdentity]::GetCurrent().User.Value
	foreach ($ace in $acl.Access) {
		$sid = $ace.IdentityReference.Translate([System.Security.Principal.SecurityIdentifier]).Value
		if ($sid -ne $me -and $sid -ne "S-1-5-18" -and $sid -ne "S-1-5-32-544") { return $false }
	}
	return $acl.AreAccessRulesProtected
}

Push-Location $work
Check "version" { (Run @("version")).Out -match '^rdiag \d+\.\d+\.\d+' }
Check "help lists run" { (Run @("help")).Out -match '(?m)^  run ' }
Check "list shows system, database, product" {
	$o = (Run @("list")).Out; $o -match '(?m)^system ' -and $o -match '(?m)^database ' -and $o -match '(?m)^product '
}
Check "bad option is exit 64" { (Run @("run", "--bogus")).Code -eq 64 }
Check "keygen sign" { (Run @("keygen", "--type", "sign", "smoke")).Code -eq 0 }
Check "secret key is private (ACL)" { Private (Join-Path $work "smoke.key") }
Check "keygen encrypt" { (Run @("keygen", "--type", "encrypt", "box")).Code -eq 0 }
"[agent]`nmin_free_mb = 1`n[product]`nlog = $work\*.log`n" | Set-Content -Encoding ascii rdiag.conf
"ERROR smoke test line" | Set-Content -Encoding ascii app.log
New-Item -ItemType Directory -Path out | Out-Null
$r = Run @("run", "--only", "system,product", "--config", "rdiag.conf", "--out", "out", "--sign", "smoke.key", "--json")
Check "run makes a signed bundle" { $r.Code -lt 64 -and (Get-ChildItem out -Filter *.tar.gz).Count -eq 1 }
$bundle = (Get-ChildItem out -Filter *.tar.gz | Select-Object -First 1).FullName
Check "bundle is private (ACL)" { Private $bundle }
Check "inspect --trust verifies it" { (Run @("inspect", $bundle, "--trust", "smoke.pub")).Code -eq 0 }
Check "extract" { (Run @("extract", $bundle, (Join-Path $work "x"))).Code -eq 0 }
Check "diff with itself" { (Run @("diff", $bundle, $bundle)).Code -eq 0 }
$r = Run @("run", "--only", "system", "--config", "rdiag.conf", "--out", "out", "--encrypt-to", "box.pub", "--json")
$enc = Get-ChildItem out | Where-Object { $_.Name -notlike "*.tar.gz" -and $_.Name -notlike "*.sha256" -and $_.Name -notlike "*.sig" } | Select-Object -First 1
Check "encrypted bundle decrypts with the key" { $enc -and (Run @("inspect", $enc.FullName, "--key", "box.key")).Code -eq 0 }
Check "session says it is not there yet" { (Run @("session")).Code -ne 0 }
Pop-Location

$results | Format-Table -AutoSize
$failed = ($results | Where-Object { $_.Result -eq "FAIL" }).Count
"{0} passed, {1} failed" -f ($results.Count - $failed), $failed
Remove-Item -Recurse -Force $work -ErrorAction SilentlyContinue
exit $(if ($failed -eq 0) { 0 } else { 1 })
