/*
 * Unit tests of agent/platform/windows/ (built only into rdiag.exe's test
 * suite, run under wine): command-line quoting read back by
 * CommandLineToArgvW, UTF-8 paths through the wide APIs, secure creation
 * (EEXIST, a protected owner + SYSTEM + Administrators DACL), O_NOFOLLOW on a
 * reparse point, atomic replacement, tree removal, the *at() calls, glob,
 * iconv, a worker process's exit code and a crash, and proc_exec.
 */
#include <windows.h>

#include <aclapi.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <iconv.h>
#include <setjmp.h>
#include <shellapi.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "platform/fsutil.h"
#include "platform/platform.h"
#include "platform/proc.h"
#include "platform/windows/win.h"
#include "rdiag/buf.h"
#include "rdiag/util.h"

static char tmpdir[MAX_PATH];

/* Wine stores no protected DACL and follows no reparse point the way
 * Windows does (docs/windows.md): those checks need a real Windows. */
static bool under_wine(void)
{
	HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");

	return ntdll && GetProcAddress(ntdll, "wine_get_version");
}

static int setup(void **state)
{
	char base[MAX_PATH];

	(void)state;
	GetTempPathA(sizeof(base), base);
	snprintf(tmpdir, sizeof(tmpdir), "%srdiag-wt-XXXXXX", base);
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return fs_remove_tree(tmpdir);
}

/* argv quoted into one command line and split back by Windows's rules. */
static void test_quote_roundtrip(void **state)
{
	const char *args[] = { "C:\\Program Files\\x.exe",
			       "plain",
			       "two words",
			       "",
			       "a\"b",
			       "trail\\",
			       "trail space\\",
			       "back\\\\\"quote",
			       "\xc3\xa4\xe2\x82\xac" };
	struct buf b;
	wchar_t *w;
	wchar_t **argv;
	int argc = 0, n;

	(void)state;
	buf_init(&b, 0);
	for (size_t i = 0; i < ARRAY_SIZE(args); i++) {
		if (i)
			buf_append(&b, " ", 1);
		win_quote_arg(&b, args[i]);
	}
	buf_append(&b, "", 1);
	n = MultiByteToWideChar(CP_UTF8, 0, b.data, -1, NULL, 0);
	w = calloc((size_t)n, sizeof(*w));
	MultiByteToWideChar(CP_UTF8, 0, b.data, -1, w, n);
	argv = CommandLineToArgvW(w, &argc);
	assert_int_equal(argc, (int)ARRAY_SIZE(args));
	/* argv[0] follows other rules; the rest must come back as given. */
	for (int i = 1; i < argc; i++) {
		char *u = win_utf8(argv[i]);

		assert_string_equal(u, args[i]);
		free(u);
	}
	LocalFree(argv);
	free(w);
	buf_release(&b);
}

/* Does the file's DACL grant anything to Everyone or Users? */
static bool dacl_protected_private(const char *path)
{
	wchar_t *w = win_wpath(path);
	PACL dacl = NULL;
	PSECURITY_DESCRIPTOR sd = NULL;
	SECURITY_DESCRIPTOR_CONTROL ctl = 0;
	DWORD rev;
	bool ok = true;

	if (GetNamedSecurityInfoW(w, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION,
				  NULL, NULL, &dacl, NULL,
				  &sd) != ERROR_SUCCESS) {
		free(w);
		return false;
	}
	GetSecurityDescriptorControl(sd, &ctl, &rev);
	if (!(ctl & SE_DACL_PROTECTED) || !dacl)
		ok = false;
	for (DWORD i = 0; ok && i < dacl->AceCount; i++) {
		ACCESS_ALLOWED_ACE *a;

		if (!GetAce(dacl, i, (void **)&a))
			continue;
		if (IsWellKnownSid(&a->SidStart, WinWorldSid) ||
		    IsWellKnownSid(&a->SidStart, WinBuiltinUsersSid) ||
		    IsWellKnownSid(&a->SidStart, WinAuthenticatedUserSid))
			ok = false;
	}
	LocalFree(sd);
	free(w);
	return ok;
}

static void test_create_new(void **state)
{
	char *p = xasprintf("%s/n\xc3\xa4me.txt", tmpdir);
	int fd = -1;

	(void)state;
	assert_int_equal(platform_create_new(p, 0600, &fd), 0);
	assert_int_equal(write(fd, "abc\n", 4), 4);
	close(fd);
	/* An existing name is never reused. */
	assert_int_equal(platform_create_new(p, 0600, &fd), -EEXIST);
	if (!under_wine())
		assert_true(dacl_protected_private(p));
	free(p);
}

static void test_write_atomic(void **state)
{
	char *p = xasprintf("%s/atomic", tmpdir);
	char got[16] = "";
	FILE *f;

	(void)state;
	assert_int_equal(fs_write_atomic(p, "one\n", 4, 0600), 0);
	assert_int_equal(fs_write_atomic(p, "two\n", 4, 0600), 0);
	f = fopen(p, "rb");
	assert_non_null(f);
	assert_int_equal(fread(got, 1, sizeof(got) - 1, f), 4);
	fclose(f);
	/* Binary: no CR was added before the LF. */
	assert_string_equal(got, "two\n");
	if (!under_wine())
		assert_true(dacl_protected_private(p));
	free(p);
}

static void test_nofollow(void **state)
{
	char *target = xasprintf("%s/target", tmpdir);
	char *link = xasprintf("%s/link", tmpdir);
	wchar_t *wt = win_wpath(target), *wl = win_wpath(link);
	int fd;

	(void)state;
	assert_int_equal(fs_write_atomic(target, "x", 1, 0600), 0);
	if (under_wine() || !CreateSymbolicLinkW(wl, wt, 0)) {
		/* Not every Windows lets an unprivileged user make one. */
		skip();
	}
	fd = open(link, O_RDONLY | O_NOFOLLOW);
	assert_int_equal(fd, -1);
	assert_int_equal(errno, ELOOP);
	fd = open(link, O_RDONLY);
	assert_true(fd >= 0);
	close(fd);
	free(wt);
	free(wl);
	free(target);
	free(link);
}

static void test_at_calls_and_remove_tree(void **state)
{
	char *d = xasprintf("%s/tree", tmpdir);
	struct stat st;
	int dfd, fd;

	(void)state;
	assert_int_equal(fs_mkdirs(d), 0);
	dfd = open(d, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	assert_int_equal(mkdirat(dfd, "sub", 0700), 0);
	fd = openat(dfd, "sub/f", O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(fstatat(dfd, "sub/f", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(renameat(dfd, "sub/f", dfd, "sub/g"), 0);
	assert_int_equal(fstatat(dfd, "sub/f", &st, 0), -1);
	close(dfd);
	assert_int_equal(fs_remove_tree(d), 0);
	assert_int_equal(stat(d, &st), -1);
	free(d);
}

static void test_glob(void **state)
{
	const char *names[] = { "b.log", "a.log", "c.txt", ".hidden.log" };
	char *pat = xasprintf("%s/g/*.LOG", tmpdir);
	char *d = xasprintf("%s/g", tmpdir);
	glob_t g;

	(void)state;
	assert_int_equal(fs_mkdirs(d), 0);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char *p = xasprintf("%s/%s", d, names[i]);

		assert_int_equal(fs_write_atomic(p, "x", 1, 0600), 0);
		free(p);
	}
	assert_int_equal(glob(pat, 0, NULL, &g), 0);
	assert_int_equal(g.gl_pathc, 2);
	assert_non_null(strstr(g.gl_pathv[0], "a.log"));
	assert_non_null(strstr(g.gl_pathv[1], "b.log"));
	globfree(&g);
	free(pat);
	pat = xasprintf("%s/g/*.none", tmpdir);
	assert_int_equal(glob(pat, 0, NULL, &g), GLOB_NOMATCH);
	globfree(&g);
	free(pat);
	free(d);
}

static void test_iconv(void **state)
{
	/* "aä€" then a surrogate pair (U+1F600), little-endian, with BOM. */
	char in[] = "\xff\xfe"
		    "a\0"
		    "\xe4\0"
		    "\xac\x20"
		    "\x3d\xd8\x00\xde";
	char out[32], bad[] = "\x00\xdc", euro[] = "\x80";
	char *ip = in, *op = out;
	size_t il = sizeof(in) - 1, ol = sizeof(out);
	iconv_t cd = iconv_open("UTF-8", "UTF-16");

	(void)state;
	assert_true(cd != (iconv_t)-1);
	assert_int_equal(iconv(cd, &ip, &il, &op, &ol), 0);
	*op = '\0';
	assert_string_equal(out, "a\xc3\xa4\xe2\x82\xac\xf0\x9f\x98\x80");
	iconv_close(cd);
	/* A lone low surrogate is invalid. */
	cd = iconv_open("UTF-8", "UTF-16LE");
	ip = bad;
	il = 2;
	op = out;
	ol = sizeof(out);
	assert_int_equal(iconv(cd, &ip, &il, &op, &ol), (size_t)-1);
	assert_int_equal(errno, EILSEQ);
	iconv_close(cd);
	cd = iconv_open("UTF-8", "CP1252");
	ip = euro;
	il = 1;
	op = out;
	ol = sizeof(out);
	assert_int_equal(iconv(cd, &ip, &il, &op, &ol), 0);
	assert_memory_equal(out, "\xe2\x82\xac", 3);
	iconv_close(cd);
}

static void test_proc_exec(void **state)
{
	wchar_t sys[MAX_PATH];
	char *cmd;
	struct buf out;
	struct proc_exec_info info;
	const char *argv[5];
	int r;

	(void)state;
	GetSystemDirectoryW(sys, MAX_PATH);
	{
		char *s = win_utf8(sys);

		cmd = xasprintf("%s\\cmd.exe", s);
		free(s);
	}
	buf_init(&out, 4096);
	argv[0] = cmd;
	argv[1] = "/c";
	argv[2] = "echo";
	argv[3] = "hello";
	argv[4] = NULL;
	r = proc_exec(argv, 20000, &out, &info);
	assert_int_equal(r, 0);
	assert_true(info.reaped);
	assert_non_null(strstr(out.data, "hello"));
	buf_reset(&out);
	argv[2] = "exit";
	argv[3] = "7";
	assert_int_equal(proc_exec(argv, 20000, &out, &info), 7);
	buf_release(&out);
	free(cmd);
}

static void test_status_code(void **state)
{
	char why[64] = "";

	(void)state;
	assert_int_equal(proc_status_code(0, why, sizeof(why)), 0);
	assert_int_equal(proc_status_code(3, why, sizeof(why)), 3);
	assert_int_equal(proc_status_code((int)0xC0000005u, why, sizeof(why)),
			 -1);
	assert_string_equal(why, "crashed with exception 0xC0000005");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quote_roundtrip),
		cmocka_unit_test(test_create_new),
		cmocka_unit_test(test_write_atomic),
		cmocka_unit_test(test_nofollow),
		cmocka_unit_test(test_at_calls_and_remove_tree),
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_iconv),
		cmocka_unit_test(test_proc_exec),
		cmocka_unit_test(test_status_code),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
