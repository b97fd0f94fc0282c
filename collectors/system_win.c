/*
 * The system collector of rdiag.exe: what collectors/system.c reads from
 * /proc on Linux, asked of Windows instead, under the same name, keys and
 * fact names where the meaning is the same, and judged by the same
 * system_judge.c rules: OS version (RtlGetVersion), uptime, CPUs, memory and
 * page file (GlobalMemoryStatusEx), the free space of every fixed drive
 * (GetDiskFreeSpaceExW, through ctx_bounded as it can hang), the clock's
 * synchronisation as the time service reports it, the host name, and
 * whether a reboot is pending. Compiled only into the Windows build.
 */
#include <windows.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/platform.h"
#include "rdiag/buf.h"
#include "rdiag/collector.h"
#include "rdiag/i18n.h"
#include "rdiag/util.h"
#include "system_judge.h"

#define FS_TIMEOUT_MS 3000

static const struct config_key system_keys[] = {
	{ "disk_warn_percent", 0,
	  "warn when a local file system is fuller than this", "90" },
	{ "disk_fail_percent", 0,
	  "fail when a local file system is fuller than this", "97" },
	{ NULL, 0, NULL, NULL },
};

static void note(int *r, int q)
{
	if (q < 0 && *r == 0)
		*r = q;
}

static void check_os(struct collector_ctx *ctx)
{
	typedef LONG(WINAPI * rtl_get_version_fn)(OSVERSIONINFOW *);
	OSVERSIONINFOW v = { .dwOSVersionInfoSize = sizeof(v) };
	HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
	rtl_get_version_fn get = NULL;
	SYSTEM_INFO si;

	/* GetVersionEx lies to programs without a compatibility manifest. */
	if (ntdll)
		get = (rtl_get_version_fn)(void (*)(void))GetProcAddress(
			ntdll, "RtlGetVersion");
	ctx_fact(ctx, "os.name", "Windows");
	if (get && get(&v) == 0) {
		ctx_fact(ctx, "os.version_id", "%lu.%lu", v.dwMajorVersion,
			 v.dwMinorVersion);
		ctx_fact(ctx, "kernel.release", "%lu.%lu.%lu", v.dwMajorVersion,
			 v.dwMinorVersion, v.dwBuildNumber);
	}
	GetNativeSystemInfo(&si);
	ctx_fact(ctx, "kernel.machine", "%s",
		 si.wProcessorArchitecture == PROCESSOR_ARCHITECTURE_AMD64
			 ? "x86_64"
		 : si.wProcessorArchitecture == PROCESSOR_ARCHITECTURE_ARM64
			 ? "aarch64"
			 : "other");
	ctx_fact(ctx, "cpu.count", "%lu", si.dwNumberOfProcessors);
}

static void check_uptime(struct collector_ctx *ctx)
{
	unsigned long long s = GetTickCount64() / 1000;

	ctx_fact(ctx, "uptime.seconds", "%llu", s);
	ctx_fact(ctx, "uptime.days", "%llu", s / 86400);
}

static int check_memory(struct collector_ctx *ctx)
{
	MEMORYSTATUSEX ms = { .dwLength = sizeof(ms) };
	struct system_meminfo m = { 0 };
	struct verdict_list l;

	if (!GlobalMemoryStatusEx(&ms))
		return -EIO;
	m.total_kb = ms.ullTotalPhys / 1024;
	m.free_kb = ms.ullAvailPhys / 1024;
	m.available_kb = ms.ullAvailPhys / 1024;
	m.has_available = 1;
	/* The commit limit less physical memory is the page file. */
	if (ms.ullTotalPageFile > ms.ullTotalPhys) {
		m.swap_total_kb =
			(ms.ullTotalPageFile - ms.ullTotalPhys) / 1024;
		m.swap_free_kb =
			ms.ullAvailPageFile > ms.ullAvailPhys
				? (ms.ullAvailPageFile - ms.ullAvailPhys) / 1024
				: 0;
		if (m.swap_free_kb > m.swap_total_kb)
			m.swap_free_kb = m.swap_total_kb;
	}
	ctx_fact(ctx, "mem.total_kb", "%llu", (unsigned long long)m.total_kb);
	ctx_fact(ctx, "mem.available_kb", "%llu",
		 (unsigned long long)m.available_kb);
	ctx_fact(ctx, "swap.total_kb", "%llu",
		 (unsigned long long)m.swap_total_kb);
	ctx_fact(ctx, "swap.free_kb", "%llu",
		 (unsigned long long)m.swap_free_kb);
	verdict_list_init(&l);
	system_judge_memory(&m, &l);
	verdict_emit(ctx, &l);
	verdict_list_release(&l);
	return 0;
}

/* In a bounded call: a drive on a dead share can hang. */
static int fs_info_fn(void *arg, void *out, size_t out_max)
{
	struct platform_fs_info fi;
	int r;

	if (out_max < sizeof(fi))
		return -ENOBUFS;
	if ((r = platform_fs_info(arg, &fi)) < 0)
		return r;
	memcpy(out, &fi, sizeof(fi));
	return (int)sizeof(fi);
}

static void read_thresholds(struct collector_ctx *ctx, unsigned *warn,
			    unsigned *fail)
{
	const char *v;
	unsigned long long n;

	*warn = SYSTEM_DISK_WARN_PERCENT;
	*fail = SYSTEM_DISK_FAIL_PERCENT;
	if ((v = ctx_config_get(ctx, "disk_warn_percent")) &&
	    parse_uint(v, 1, 100, &n) == 0)
		*warn = (unsigned)n;
	if ((v = ctx_config_get(ctx, "disk_fail_percent")) &&
	    parse_uint(v, 1, 100, &n) == 0)
		*fail = (unsigned)n;
}

static int check_disks(struct collector_ctx *ctx)
{
	static char roots[26][4];
	struct system_fs fs[26];
	struct verdict_list l;
	struct buf table;
	DWORD mask = GetLogicalDrives();
	unsigned warn, fail;
	size_t n = 0;
	char key[64];

	read_thresholds(ctx, &warn, &fail);
	buf_init(&table, 0);
	buf_printf(&table, "%-6s %-8s %14s %14s %9s\n", "DRIVE", "TYPE",
		   "SIZE_KB", "AVAIL_KB", "USED_%");
	for (int d = 0; d < 26; d++) {
		struct platform_fs_info fi;
		struct bounded_result res;
		wchar_t wroot[4] = { (wchar_t)(L'A' + d), L':', L'\\', 0 };
		unsigned pct;

		if (!(mask & (1u << d)) || GetDriveTypeW(wroot) != DRIVE_FIXED)
			continue;
		snprintf(roots[n], sizeof(roots[n]), "%c:\\", 'A' + d);
		memset(&fs[n], 0, sizeof(fs[n]));
		fs[n].mount_point = roots[n];
		fs[n].fstype = "fixed";
		snprintf(key, sizeof(key), "fs.%zu.mount", n);
		ctx_fact(ctx, key, "%s", roots[n]);
		if (ctx_bounded(ctx, FS_TIMEOUT_MS, fs_info_fn, roots[n], &fi,
				sizeof(fi), &res) < 0 ||
		    res.status != BOUNDED_DONE || res.result < 0) {
			fs[n].error =
				res.status == BOUNDED_DONE ? res.result : 0;
			buf_printf(&table, "%-6s %-8s %s\n", roots[n], "fixed",
				   "no answer");
			n++;
			continue;
		}
		fs[n].responded = 1;
		fs[n].size = fi.size_bytes;
		fs[n].avail = fi.avail_bytes;
		fs[n].used = fi.size_bytes - fi.free_bytes;
		pct = system_percent_x100(fs[n].used, fs[n].avail);
		snprintf(key, sizeof(key), "fs.%zu.size_kb", n);
		ctx_fact(ctx, key, "%llu",
			 (unsigned long long)(fs[n].size / 1024));
		snprintf(key, sizeof(key), "fs.%zu.avail_kb", n);
		ctx_fact(ctx, key, "%llu",
			 (unsigned long long)(fs[n].avail / 1024));
		snprintf(key, sizeof(key), "fs.%zu.used_percent", n);
		ctx_fact(ctx, key, "%u.%02u", pct / 100, pct % 100);
		buf_printf(&table, "%-6s %-8s %14llu %14llu %6u.%02u\n",
			   roots[n], "fixed",
			   (unsigned long long)(fs[n].size / 1024),
			   (unsigned long long)(fs[n].avail / 1024), pct / 100,
			   pct % 100);
		n++;
	}
	ctx_fact(ctx, "fs.count", "%zu", n);
	ctx_artifact_write(ctx, "filesystems.txt", table.data, table.len);
	verdict_list_init(&l);
	system_judge_disk(fs, n, warn, fail, &l);
	verdict_emit(ctx, &l);
	verdict_list_release(&l);
	buf_release(&table);
	return 0;
}

/* A registry value's existence under HKLM. */
static bool hklm_exists(const wchar_t *key, const wchar_t *value)
{
	HKEY h;
	LONG r;

	if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, key, 0, KEY_READ, &h) !=
	    ERROR_SUCCESS)
		return false;
	r = value ? RegQueryValueExW(h, value, NULL, NULL, NULL, NULL)
		  : ERROR_SUCCESS;
	RegCloseKey(h);
	return r == ERROR_SUCCESS;
}

static void check_reboot(struct collector_ctx *ctx)
{
	bool pending =
		hklm_exists(L"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\"
			    L"Component Based Servicing\\RebootPending",
			    NULL) ||
		hklm_exists(L"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\"
			    L"WindowsUpdate\\Auto Update\\RebootRequired",
			    NULL) ||
		hklm_exists(L"SYSTEM\\CurrentControlSet\\Control\\Session "
			    L"Manager",
			    L"PendingFileRenameOperations");

	ctx_fact(ctx, "reboot.pending", "%s", pending ? "yes" : "no");
	if (pending) {
		struct finding f = {
			.id = "system.reboot.pending",
			.severity = SEVERITY_WARN,
			.level = LEVEL_THIRD_PARTY,
			.title = N_("Windows is waiting for a restart"),
			.hint = N_("Restart the server in a maintenance window "
				   "before looking further: updates and "
				   "installations are half applied until then"),
		};

		ctx_finding(ctx, &f);
	}
}

/* The time service's own view (w32tm): its source and when it last synced. */
static void check_clock(struct collector_ctx *ctx)
{
	HKEY h;
	wchar_t type[64];
	DWORD len = sizeof(type), adj = 0, inc = 0;
	BOOL disabled = FALSE;

	if (GetSystemTimeAdjustment(&adj, &inc, &disabled))
		ctx_fact(ctx, "clock.adjustment_disabled", "%s",
			 disabled ? "yes" : "no");
	if (RegOpenKeyExW(HKEY_LOCAL_MACHINE,
			  L"SYSTEM\\CurrentControlSet\\Services\\W32Time\\"
			  L"Parameters",
			  0, KEY_READ, &h) != ERROR_SUCCESS) {
		ctx_fact(ctx, "clock.source", "unknown");
		return;
	}
	if (RegQueryValueExW(h, L"Type", NULL, NULL, (BYTE *)type, &len) ==
	    ERROR_SUCCESS) {
		char u[128];

		type[ARRAY_SIZE(type) - 1] = 0;
		/* NoSync: the time service never sets the clock. */
		if (WideCharToMultiByte(CP_UTF8, 0, type, -1, u, sizeof(u),
					NULL, NULL) > 0)
			ctx_fact(ctx, "clock.w32time_type", "%s", u);
	}
	RegCloseKey(h);
}

static void check_hostname(struct collector_ctx *ctx)
{
	char host[256];

	if (platform_hostname(host, sizeof(host)) == 0)
		ctx_fact(ctx, "host.name", "%s", host);
}

static int system_run(struct collector_ctx *ctx)
{
	int r = 0;

	check_os(ctx);
	check_uptime(ctx);
	note(&r, check_memory(ctx));
	note(&r, check_disks(ctx));
	check_clock(ctx);
	check_hostname(ctx);
	check_reboot(ctx);
	return r;
}

const struct collector collector_system = {
	.name = "system",
	.summary = "Windows version, CPU, memory, page file, fixed drives, "
		   "clock, host name and a pending restart",
	.flags = 0,
	.deadline_ms = 10000,
	.platforms = RDIAG_WINDOWS,
	.keys = system_keys,
	.run = system_run,
};
