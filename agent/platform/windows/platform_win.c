/*
 * The Windows implementation of platform.h's own calls: host, time, users,
 * secure creation (an owner + SYSTEM + Administrators DACL instead of mode
 * 0600, FILE_FLAG_OPEN_REPARSE_POINT instead of O_NOFOLLOW), file-system
 * facts and consoles. Processes and bounded calls are in proc_win.c and
 * bounded_win.c beside it.
 */
#include "platform/windows/win.h"

#include <aclapi.h>
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#include "platform/platform.h"
#include "rdiag/util.h"

struct platform_term {
	HANDLE h;
	DWORD saved;
};

int platform_hostname(char *buf, size_t len)
{
	wchar_t name[256];
	DWORD n = ARRAY_SIZE(name);
	char *u;

	if (len == 0)
		return -EINVAL;
	buf[0] = '\0';
	if (!GetComputerNameExW(ComputerNameDnsHostname, name, &n))
		return win_last_errno();
	if (!(u = win_utf8(name)))
		return -EILSEQ;
	snprintf(buf, len, "%s", u);
	free(u);
	return 0;
}

int64_t platform_monotonic_ms(void)
{
	return (int64_t)GetTickCount64();
}

int64_t platform_utc_seconds(void)
{
	FILETIME ft;
	ULARGE_INTEGER u;

	GetSystemTimeAsFileTime(&ft);
	u.LowPart = ft.dwLowDateTime;
	u.HighPart = ft.dwHighDateTime;
	/* 100 ns intervals since 1601-01-01. */
	return (int64_t)(u.QuadPart / 10000000ULL) - 11644473600LL;
}

bool platform_is_root(void)
{
	HANDLE tok;
	TOKEN_ELEVATION el = { 0 };
	DWORD len = sizeof(el);
	bool r = false;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
		return false;
	if (GetTokenInformation(tok, TokenElevation, &el, sizeof(el), &len))
		r = el.TokenIsElevated != 0;
	CloseHandle(tok);
	return r;
}

/* The last sub-authority (RID) of a SID, or -1. */
static long sid_rid(PSID sid)
{
	PUCHAR n;

	if (!sid || !IsValidSid(sid))
		return -1;
	n = GetSidSubAuthorityCount(sid);
	if (!n || *n == 0)
		return -1;
	return (long)*GetSidSubAuthority(sid, *n - 1u);
}

long platform_uid(void)
{
	HANDLE tok;
	DWORD len = 0;
	TOKEN_USER *tu;
	long rid = -1;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
		return -1;
	GetTokenInformation(tok, TokenUser, NULL, 0, &len);
	tu = xcalloc(1, len ? len : 1);
	if (GetTokenInformation(tok, TokenUser, tu, len, &len))
		rid = sid_rid(tu->User.Sid);
	free(tu);
	CloseHandle(tok);
	return rid;
}

static bool sid_is_current_user(PSID sid)
{
	HANDLE tok;
	DWORD len = 0;
	TOKEN_USER *tu;
	bool r = false;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
		return false;
	GetTokenInformation(tok, TokenUser, NULL, 0, &len);
	tu = xcalloc(1, len ? len : 1);
	if (GetTokenInformation(tok, TokenUser, tu, len, &len))
		r = EqualSid(sid, tu->User.Sid);
	free(tu);
	CloseHandle(tok);
	return r;
}

/* SYSTEM, Administrators or TrustedInstaller: the Windows "root". */
static bool sid_is_privileged(PSID sid)
{
	return IsWellKnownSid(sid, WinLocalSystemSid) ||
	       IsWellKnownSid(sid, WinBuiltinAdministratorsSid);
}

/* Does the DACL let anyone but privileged SIDs and owner write? */
static bool dacl_lets_others_write(PACL dacl, PSID owner)
{
	const ACCESS_MASK write = FILE_WRITE_DATA | FILE_APPEND_DATA |
				  WRITE_DAC | WRITE_OWNER | GENERIC_WRITE |
				  GENERIC_ALL;

	if (!dacl)
		return true; /* a NULL DACL grants everything to everyone */
	for (DWORD i = 0; i < dacl->AceCount; i++) {
		ACE_HEADER *h;
		ACCESS_ALLOWED_ACE *a;

		if (!GetAce(dacl, i, (void **)&h))
			continue;
		if (h->AceType != ACCESS_ALLOWED_ACE_TYPE)
			continue;
		a = (ACCESS_ALLOWED_ACE *)h;
		if (!(a->Mask & write))
			continue;
		if (sid_is_privileged(&a->SidStart) ||
		    EqualSid(&a->SidStart, owner) ||
		    IsWellKnownSid(&a->SidStart, WinCreatorOwnerSid))
			continue;
		return true;
	}
	return false;
}

int platform_file_private(int fd, bool allow_own, char *why, size_t why_len)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);
	PSID owner = NULL;
	PACL dacl = NULL;
	PSECURITY_DESCRIPTOR sd = NULL;
	DWORD err;
	int r = 0;

	if (h == INVALID_HANDLE_VALUE)
		return -EBADF;
	if (GetFileType(h) != FILE_TYPE_DISK) {
		if (why)
			snprintf(why, why_len, "not a regular file");
		return -EPERM;
	}
	err = GetSecurityInfo(h, SE_FILE_OBJECT,
			      OWNER_SECURITY_INFORMATION |
				      DACL_SECURITY_INFORMATION,
			      &owner, NULL, &dacl, NULL, &sd);
	if (err != ERROR_SUCCESS)
		return win_errno(err);
	if (!sid_is_privileged(owner) &&
	    !(allow_own && sid_is_current_user(owner))) {
		if (why)
			snprintf(why, why_len, "owned by uid %ld",
				 sid_rid(owner));
		r = -EPERM;
	} else if (dacl_lets_others_write(dacl, owner)) {
		if (why)
			snprintf(why, why_len, "writable by others");
		r = -EPERM;
	}
	LocalFree(sd);
	return r;
}

int platform_create_new(const char *path, unsigned mode, int *ret_fd)
{
	SECURITY_ATTRIBUTES sa = { 0 };
	wchar_t *w = win_wpath(path);
	HANDLE h;
	int fd, r;

	(void)mode; /* anything rdiag creates is private to its owner */
	if (!w)
		return -EILSEQ;
	if ((r = win_private_sa(&sa)) < 0) {
		free(w);
		return r;
	}
	/* CREATE_NEW fails on any existing name, a reparse point included
	 * (it is never followed). */
	/* Shared as a POSIX file is: the bundle reads rdiag.log while the log
	 * still has it open. */
	h = CreateFileW(w, GENERIC_WRITE,
			FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
			&sa, CREATE_NEW,
			FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT,
			NULL);
	r = h == INVALID_HANDLE_VALUE ? win_last_errno() : 0;
	win_private_sa_free(&sa);
	if (r < 0) {
		free(w);
		return r;
	}
	fd = _open_osfhandle((intptr_t)h, _O_WRONLY | _O_BINARY);
	if (fd < 0) {
		CloseHandle(h);
		DeleteFileW(w);
		free(w);
		return -EMFILE;
	}
	free(w);
	*ret_fd = fd;
	return 0;
}

int platform_fs_info(const char *path, struct platform_fs_info *ret)
{
	ULARGE_INTEGER avail, total, freeb;
	wchar_t *w = win_wpath(path), root[MAX_PATH + 1];
	DWORD flags = 0;
	bool ro = false;

	if (!w)
		return -EILSEQ;
	if (!GetDiskFreeSpaceExW(w, &avail, &total, &freeb)) {
		int r = win_last_errno();

		free(w);
		return r;
	}
	if (GetVolumePathNameW(w, root, ARRAY_SIZE(root)) &&
	    GetVolumeInformationW(root, NULL, 0, NULL, NULL, &flags, NULL, 0))
		ro = (flags & FILE_READ_ONLY_VOLUME) != 0;
	free(w);
	/* NTFS has no inode count: files stay 0. */
	*ret = (struct platform_fs_info){
		.size_bytes = total.QuadPart,
		.free_bytes = freeb.QuadPart,
		.avail_bytes = avail.QuadPart,
		.read_only = ro,
	};
	return 0;
}

static HANDLE console_of(int fd)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);
	DWORD mode;

	if (h == INVALID_HANDLE_VALUE || !GetConsoleMode(h, &mode))
		return INVALID_HANDLE_VALUE;
	return h;
}

bool platform_isatty(int fd)
{
	return console_of(fd) != INVALID_HANDLE_VALUE;
}

int platform_term_size(int fd, unsigned *ret_cols, unsigned *ret_rows)
{
	CONSOLE_SCREEN_BUFFER_INFO ci;
	HANDLE h = console_of(fd);
	long cols, rows;

	if (h == INVALID_HANDLE_VALUE)
		return -ENOTTY;
	/* An input handle has no screen buffer: ask the console's output. */
	if (!GetConsoleScreenBufferInfo(h, &ci) &&
	    !GetConsoleScreenBufferInfo(GetStdHandle(STD_OUTPUT_HANDLE), &ci))
		return -ENOTTY;
	cols = (long)ci.srWindow.Right - ci.srWindow.Left + 1;
	rows = (long)ci.srWindow.Bottom - ci.srWindow.Top + 1;
	if (cols <= 0 || rows <= 0)
		return -EINVAL;
	*ret_cols = (unsigned)cols;
	*ret_rows = (unsigned)rows;
	return 0;
}

int platform_term_raw(int fd, struct platform_term **ret_saved)
{
	HANDLE h = console_of(fd);
	struct platform_term *pt;
	DWORD mode;

	if (h == INVALID_HANDLE_VALUE)
		return -ENOTTY;
	GetConsoleMode(h, &mode);
	pt = xcalloc(1, sizeof(*pt));
	pt->h = h;
	pt->saved = mode;
	mode &= ~(DWORD)(ENABLE_ECHO_INPUT | ENABLE_LINE_INPUT |
			 ENABLE_PROCESSED_INPUT);
	mode |= ENABLE_VIRTUAL_TERMINAL_INPUT;
	if (!SetConsoleMode(h, mode)) {
		int r = win_last_errno();

		free(pt);
		return r;
	}
	*ret_saved = pt;
	return 0;
}

int platform_term_restore(struct platform_term *saved)
{
	int r = 0;

	if (!saved)
		return 0;
	if (!SetConsoleMode(saved->h, saved->saved))
		r = win_last_errno();
	free(saved);
	return r;
}

int platform_create_unnamed(int dirfd, int *ret_fd)
{
	SECURITY_ATTRIBUTES sa = { 0 };
	char *dir = win_dirfd_path(dirfd);
	int r = -EEXIST;

	if (!dir)
		return -EBADF;
	if ((r = win_private_sa(&sa)) < 0) {
		free(dir);
		return r;
	}
	r = -EEXIST;
	for (unsigned i = 0; i < 100 && r == -EEXIST; i++) {
		unsigned char rnd[8];
		char hex[17], *path;
		wchar_t *w;
		HANDLE h;
		int fd;

		randombytes_buf(rnd, sizeof(rnd));
		sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
		path = xasprintf("%s\\.unnamed-%s", dir, hex);
		w = win_wpath(path);
		free(path);
		if (!w) {
			r = -EILSEQ;
			break;
		}
		/* Gone with its last handle, whatever ends the process; nobody
		 * else may open it meanwhile. */
		h = CreateFileW(w, GENERIC_READ | GENERIC_WRITE,
				FILE_SHARE_DELETE, &sa, CREATE_NEW,
				FILE_ATTRIBUTE_TEMPORARY |
					FILE_FLAG_DELETE_ON_CLOSE |
					FILE_FLAG_OPEN_REPARSE_POINT,
				NULL);
		free(w);
		if (h == INVALID_HANDLE_VALUE) {
			r = win_last_errno();
			continue;
		}
		fd = _open_osfhandle((intptr_t)h, _O_RDWR | _O_BINARY);
		if (fd < 0) {
			CloseHandle(h);
			r = -EMFILE;
			break;
		}
		*ret_fd = fd;
		r = 0;
	}
	win_private_sa_free(&sa);
	free(dir);
	return r;
}

int platform_lower_priority(void)
{
	/* Below normal, inherited by every process started from now on;
	 * the calling thread's I/O is lowered too. */
	if (GetPriorityClass(GetCurrentProcess()) == IDLE_PRIORITY_CLASS)
		return 0;
	if (!SetPriorityClass(GetCurrentProcess(), BELOW_NORMAL_PRIORITY_CLASS))
		return win_last_errno();
	return 0;
}

int platform_background_cpu(bool on)
{
	/* Lower CPU, I/O and memory priority for the whole process, as
	 * threads do not inherit a thread's background mode. */
	if (!SetPriorityClass(GetCurrentProcess(),
			      on ? PROCESS_MODE_BACKGROUND_BEGIN
				 : PROCESS_MODE_BACKGROUND_END))
		return win_last_errno();
	return 0;
}

unsigned platform_cpu_count(void)
{
	DWORD_PTR proc = 0, sys = 0;
	unsigned n = 0;

	if (GetProcessAffinityMask(GetCurrentProcess(), &proc, &sys))
		for (; proc; proc &= proc - 1)
			n++;
	return n ? n : 1;
}

/*
 * Not yet on Windows (docs/platform.md says what each would use there):
 * no memory cgroup to ask.
 */
int platform_oom_kills(uint64_t *ret)
{
	(void)ret;
	return -ENOENT;
}

int platform_oom_prefer_self(void)
{
	return 0;
}

int platform_memory_limit(uint64_t *ret)
{
	(void)ret;
	return -ENOENT;
}
