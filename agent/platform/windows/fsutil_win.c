/*
 * platform/fsutil.h on Windows: removing the staging tree without
 * following reparse points (a junction planted in staging is deleted as
 * itself, never walked into), creating private directories (owner + SYSTEM +
 * Administrators DACL), atomic replacement through a random name and
 * MoveFileExW, and free space. Only ever used on the agent's own
 * directories.
 */
#include "platform/windows/win.h"

#include <errno.h>
#include <io.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "platform/fsutil.h"
#include "rdiag/util.h"

static int remove_w(const wchar_t *path, int depth)
{
	DWORD attr = GetFileAttributesW(path);
	WIN32_FIND_DATAW fd;
	wchar_t *pat;
	HANDLE h;
	int r = 0;

	if (attr == INVALID_FILE_ATTRIBUTES) {
		DWORD e = GetLastError();

		return e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND
			       ? 0
			       : win_errno(e);
	}
	if (attr & FILE_ATTRIBUTE_READONLY)
		SetFileAttributesW(path,
				   attr & ~(DWORD)FILE_ATTRIBUTE_READONLY);
	/* A reparse point (junction, symlink) goes as itself. */
	if (!(attr & FILE_ATTRIBUTE_DIRECTORY))
		return DeleteFileW(path) ? 0 : win_last_errno();
	if (attr & FILE_ATTRIBUTE_REPARSE_POINT)
		return RemoveDirectoryW(path) ? 0 : win_last_errno();
	if (depth > 64)
		return -ELOOP;
	pat = xcalloc(wcslen(path) + 3, sizeof(*pat));
	wcscpy(pat, path);
	wcscat(pat, L"\\*");
	h = FindFirstFileExW(pat, FindExInfoBasic, &fd, FindExSearchNameMatch,
			     NULL, 0);
	free(pat);
	if (h != INVALID_HANDLE_VALUE) {
		do {
			wchar_t *child;
			int q;

			if (wcscmp(fd.cFileName, L".") == 0 ||
			    wcscmp(fd.cFileName, L"..") == 0)
				continue;
			child = xcalloc(wcslen(path) + wcslen(fd.cFileName) + 2,
					sizeof(*child));
			wcscpy(child, path);
			wcscat(child, L"\\");
			wcscat(child, fd.cFileName);
			q = remove_w(child, depth + 1);
			free(child);
			if (q < 0 && r == 0)
				r = q;
		} while (FindNextFileW(h, &fd));
		FindClose(h);
	}
	if (!RemoveDirectoryW(path) && r == 0)
		r = win_last_errno();
	return r;
}

int fs_remove_tree(const char *path)
{
	wchar_t *w = win_wpath(path);
	int r;

	if (!w)
		return -EILSEQ;
	r = remove_w(w, 0);
	free(w);
	return r;
}

static int mkdir_private(const char *dir)
{
	SECURITY_ATTRIBUTES sa = { 0 };
	wchar_t *w = win_wpath(dir);
	int r;

	if (!w)
		return -EILSEQ;
	if ((r = win_private_sa(&sa)) == 0) {
		if (!CreateDirectoryW(w, &sa))
			r = win_last_errno();
		win_private_sa_free(&sa);
	}
	free(w);
	return r;
}

int fs_mkdirs(const char *dir)
{
	char *p = xstrdup(dir);
	int r = 0;

	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\\' && *s != '\0')
			continue;
		char c = *s;

		*s = '\0';
		/* "C:" and "\\server\share" are not directories to make. */
		if (!(strlen(p) == 2 && p[1] == ':') && *p) {
			int q = mkdir_private(p);

			if (q < 0 && q != -EEXIST && q != -EACCES) {
				r = q;
				break;
			}
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	if (r == 0) {
		DWORD attr;
		wchar_t *w = win_wpath(dir);

		attr = w ? GetFileAttributesW(w) : INVALID_FILE_ATTRIBUTES;
		free(w);
		if (attr == INVALID_FILE_ATTRIBUTES)
			r = -ENOENT;
		else if (!(attr & FILE_ATTRIBUTE_DIRECTORY))
			r = -ENOTDIR;
	}
	return r;
}

int fs_free_bytes(const char *path, uint64_t *ret)
{
	ULARGE_INTEGER avail;
	wchar_t *w = win_wpath(path);
	int r = 0;

	if (!w)
		return -EILSEQ;
	if (!GetDiskFreeSpaceExW(w, &avail, NULL, NULL))
		r = win_last_errno();
	else
		*ret = avail.QuadPart;
	free(w);
	return r;
}

int fs_write_atomic(const char *path, const void *data, size_t len,
		    unsigned mode)
{
	SECURITY_ATTRIBUTES sa = { 0 };
	unsigned char rnd[8];
	char hex[17];
	char *tmp;
	wchar_t *wtmp, *wpath;
	const char *p = data;
	HANDLE h;
	int r;

	(void)mode; /* private to owner, SYSTEM and Administrators */
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	tmp = xasprintf("%s.%s", path, hex);
	wtmp = win_wpath(tmp);
	wpath = win_wpath(path);
	free(tmp);
	if (!wtmp || !wpath) {
		free(wtmp);
		free(wpath);
		return -EILSEQ;
	}
	if ((r = win_private_sa(&sa)) < 0)
		goto out;
	h = CreateFileW(wtmp, GENERIC_WRITE, 0, &sa, CREATE_NEW,
			FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT,
			NULL);
	win_private_sa_free(&sa);
	if (h == INVALID_HANDLE_VALUE) {
		r = win_last_errno();
		goto out;
	}
	while (len > 0 && r == 0) {
		DWORD chunk = len > 1u << 30 ? 1u << 30 : (DWORD)len, n = 0;

		if (!WriteFile(h, p, chunk, &n, NULL) || n == 0)
			r = win_last_errno();
		p += n;
		len -= n;
	}
	if (r == 0 && !FlushFileBuffers(h))
		r = win_last_errno();
	CloseHandle(h);
	/* Replaces a reparse point at path itself, never its target. */
	if (r == 0 &&
	    !MoveFileExW(wtmp, wpath,
			 MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
		r = win_last_errno();
	if (r < 0)
		DeleteFileW(wtmp);
out:
	free(wtmp);
	free(wpath);
	return r;
}

int fs_sha256_fd(int fd, char ret[65])
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);
	crypto_hash_sha256_state st;
	unsigned char out[crypto_hash_sha256_BYTES];
	unsigned char *buf;
	uint64_t off = 0;
	LARGE_INTEGER zero = { 0 }, cur = { 0 };
	int r = 0;

	if (h == INVALID_HANDLE_VALUE)
		return -EBADF;
	buf = xmalloc(65536);
	crypto_hash_sha256_init(&st);
	/* Positioned reads move a synchronous handle's pointer: put it back
	 * at the end, as pread() would have left it. */
	SetFilePointerEx(h, zero, &cur, FILE_CURRENT);
	for (;;) {
		/* Positioned reads (pread): the descriptor's offset stays. */
		OVERLAPPED ov = { .Offset = (DWORD)off,
				  .OffsetHigh = (DWORD)(off >> 32) };
		DWORD n = 0;

		if (!ReadFile(h, buf, 65536, &n, &ov)) {
			if (GetLastError() != ERROR_HANDLE_EOF)
				r = win_last_errno();
			break;
		}
		if (n == 0)
			break;
		crypto_hash_sha256_update(&st, buf, n);
		off += n;
	}
	free(buf);
	SetFilePointerEx(h, cur, NULL, FILE_BEGIN);
	if (r < 0)
		return r;
	crypto_hash_sha256_final(&st, out);
	sodium_bin2hex(ret, 65, out, sizeof(out));
	return 0;
}
