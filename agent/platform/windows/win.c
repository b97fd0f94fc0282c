/*
 * The conversions of win.h: UTF-8 <-> UTF-16 at the seam, long and UNC path
 * prefixes, Win32 errors as errno values, and the private security
 * descriptor (current user, SYSTEM, Administrators) that stands in for the
 * POSIX modes 0600 and 0700.
 */
#include "platform/windows/win.h"

#include <errno.h>
#include <sddl.h>
#include <stdlib.h>
#include <string.h>

#include "rdiag/util.h"

wchar_t *win_wpath(const char *path)
{
	static const wchar_t long_pfx[] = L"\\\\?\\";
	static const wchar_t unc_pfx[] = L"\\\\?\\UNC\\";
	int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1,
				    NULL, 0);
	wchar_t *w, *out;
	size_t len;

	if (n <= 0) {
		errno = EILSEQ;
		return NULL;
	}
	w = xcalloc((size_t)n, sizeof(*w));
	MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, w, n);
	for (wchar_t *p = w; *p; p++)
		if (*p == L'/')
			*p = L'\\';
	len = wcslen(w);
	/* Only absolute paths past MAX_PATH get the prefix: it turns off the
	 * normalisation relative paths need. */
	if (len < MAX_PATH - 12 || wcsncmp(w, long_pfx, 4) == 0)
		return w;
	if (w[0] == L'\\' && w[1] == L'\\') {
		out = xcalloc(len + 8, sizeof(*out));
		wcscpy(out, unc_pfx);
		wcscat(out, w + 2);
	} else if (len > 2 && w[1] == L':' && w[2] == L'\\') {
		out = xcalloc(len + 5, sizeof(*out));
		wcscpy(out, long_pfx);
		wcscat(out, w);
	} else {
		return w;
	}
	free(w);
	return out;
}

char *win_utf8(const wchar_t *s)
{
	int n = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, s, -1, NULL,
				    0, NULL, NULL);
	char *u;

	if (n <= 0)
		return NULL;
	u = xmalloc((size_t)n);
	WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, s, -1, u, n, NULL,
			    NULL);
	return u;
}

int win_errno(DWORD err)
{
	switch (err) {
	case ERROR_SUCCESS:
		return 0;
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
	case ERROR_INVALID_DRIVE:
	case ERROR_BAD_NETPATH:
	case ERROR_BAD_NET_NAME:
		return -ENOENT;
	case ERROR_ACCESS_DENIED:
	case ERROR_SHARING_VIOLATION:
	case ERROR_LOCK_VIOLATION:
	case ERROR_PRIVILEGE_NOT_HELD:
		return -EACCES;
	case ERROR_FILE_EXISTS:
	case ERROR_ALREADY_EXISTS:
		return -EEXIST;
	case ERROR_DISK_FULL:
	case ERROR_HANDLE_DISK_FULL:
		return -ENOSPC;
	case WAIT_TIMEOUT:
	case ERROR_SEM_TIMEOUT:
		return -ETIMEDOUT;
	case ERROR_NOT_ENOUGH_MEMORY:
	case ERROR_OUTOFMEMORY:
		return -ENOMEM;
	case ERROR_INVALID_PARAMETER:
	case ERROR_INVALID_NAME:
	case ERROR_BAD_PATHNAME:
		return -EINVAL;
	case ERROR_DIR_NOT_EMPTY:
		return -ENOTEMPTY;
	case ERROR_DIRECTORY:
		return -ENOTDIR;
	case ERROR_BROKEN_PIPE:
	case ERROR_NO_DATA:
		return -EPIPE;
	case ERROR_NOT_SUPPORTED:
	case ERROR_CALL_NOT_IMPLEMENTED:
		return -ENOSYS;
	case ERROR_CANT_RESOLVE_FILENAME:
		return -ELOOP;
	case ERROR_FILENAME_EXCED_RANGE:
		return -ENAMETOOLONG;
	default:
		return -EIO;
	}
}

int win_last_errno(void)
{
	return win_errno(GetLastError());
}

/* The current user's SID as a string (LocalFree), or NULL. */
static wchar_t *user_sid_string(void)
{
	HANDLE tok;
	DWORD len = 0;
	TOKEN_USER *tu;
	wchar_t *s = NULL;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
		return NULL;
	GetTokenInformation(tok, TokenUser, NULL, 0, &len);
	tu = xcalloc(1, len ? len : 1);
	if (GetTokenInformation(tok, TokenUser, tu, len, &len))
		ConvertSidToStringSidW(tu->User.Sid, &s);
	free(tu);
	CloseHandle(tok);
	return s;
}

int win_private_sa(SECURITY_ATTRIBUTES *sa)
{
	wchar_t *sid = user_sid_string(), sddl[512];
	PSECURITY_DESCRIPTOR sd = NULL;

	if (!sid)
		return -EACCES;
	/* Protected DACL (no inherited entries): full control for the user,
	 * SYSTEM and the Administrators group; inherited by what is created
	 * inside a directory. */
	_snwprintf(sddl, ARRAY_SIZE(sddl),
		   L"D:P(A;OICI;FA;;;%ls)(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)",
		   sid);
	sddl[ARRAY_SIZE(sddl) - 1] = L'\0';
	LocalFree(sid);
	if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(
		    sddl, SDDL_REVISION_1, &sd, NULL))
		return win_last_errno();
	sa->nLength = sizeof(*sa);
	sa->lpSecurityDescriptor = sd;
	sa->bInheritHandle = FALSE;
	return 0;
}

void win_private_sa_free(SECURITY_ATTRIBUTES *sa)
{
	if (sa->lpSecurityDescriptor)
		LocalFree(sa->lpSecurityDescriptor);
	sa->lpSecurityDescriptor = NULL;
}
