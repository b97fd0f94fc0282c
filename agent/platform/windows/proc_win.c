/*
 * platform/proc.h on Windows.
 *
 * proc_exec() runs a program for real: CreateProcessW (command line quoted
 * by the MSVCRT rules, no shell) started suspended, put into a job object
 * with KILL_ON_JOB_CLOSE and DIE_ON_UNHANDLED_EXCEPTION (no error-report
 * dialog), then resumed; its stdout is an anonymous pipe read on a thread
 * against the deadline; TerminateJobObject at the deadline kills its
 * grandchildren too. Exit codes >= 0xC0000000 (NTSTATUS errors: access
 * violation, stack overflow...) are a crash, as a signal is on Linux.
 *
 * proc_spawn_fn()/proc_spawn_pipe() cannot fork. Until rdiag.exe re-executes
 * itself as a named worker (docs/windows.md), fn runs on a thread of its own
 * with the same pipe protocol: the "pid" is the thread id, a deadline
 * abandons the thread (it cannot be killed safely) and reports it stuck.
 */
#include "platform/windows/win.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <psapi.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/proc.h"
#include "rdiag/buf.h"
#include "rdiag/util.h"

/* ------------------------------------------------------------ threads */

struct spawned {
	DWORD id;
	HANDLE thread;
	int (*fn)(void *arg);
	int (*pfn)(void *arg, int fd);
	void *arg;
	int fd;
	struct spawned *next;
};

static struct spawned *spawned_list;
static SRWLOCK spawned_lock = SRWLOCK_INIT;

static DWORD WINAPI spawned_main(void *p)
{
	struct spawned *s = p;
	int rc;

	if (s->pfn) {
		rc = s->pfn(s->arg, s->fd);
		close(s->fd); /* EOF for the reader */
	} else {
		rc = s->fn(s->arg);
	}
	fflush(NULL);
	return (DWORD)rc & 0xff;
}

static struct spawned *spawned_find(pid_t pid, bool unlink)
{
	struct spawned **pp, *s = NULL;

	AcquireSRWLockExclusive(&spawned_lock);
	for (pp = &spawned_list; *pp; pp = &(*pp)->next) {
		if ((*pp)->id == (DWORD)pid) {
			s = *pp;
			if (unlink)
				*pp = s->next;
			break;
		}
	}
	ReleaseSRWLockExclusive(&spawned_lock);
	return s;
}

static int spawn_thread(struct spawned *s, pid_t *ret_pid)
{
	fflush(NULL);
	s->thread = CreateThread(NULL, 0, spawned_main, s, CREATE_SUSPENDED,
				 &s->id);
	if (!s->thread) {
		int r = win_last_errno();

		free(s);
		return r;
	}
	AcquireSRWLockExclusive(&spawned_lock);
	s->next = spawned_list;
	spawned_list = s;
	ReleaseSRWLockExclusive(&spawned_lock);
	ResumeThread(s->thread);
	*ret_pid = (pid_t)s->id;
	return 0;
}

int proc_spawn_fn(int (*fn)(void *arg), void *arg, pid_t *ret_pid)
{
	struct spawned *s = xcalloc(1, sizeof(*s));

	s->fn = fn;
	s->arg = arg;
	s->fd = -1;
	return spawn_thread(s, ret_pid);
}

int proc_spawn_pipe(unsigned flags, int (*fn)(void *arg, int fd), void *arg,
		    pid_t *ret_pid, int *ret_fd)
{
	struct spawned *s;
	int fds[2], r;

	(void)flags;
	if (_pipe(fds, 65536, _O_BINARY | _O_NOINHERIT) < 0)
		return -errno;
	s = xcalloc(1, sizeof(*s));
	s->pfn = fn;
	s->arg = arg;
	s->fd = fds[1];
	if ((r = spawn_thread(s, ret_pid)) < 0) {
		close(fds[0]);
		close(fds[1]);
		return r;
	}
	*ret_fd = fds[0];
	return 0;
}

/* 1 and the status when the thread ended within ms, else 0. */
static int spawned_reap(pid_t pid, DWORD ms, int *ret_status)
{
	struct spawned *s = spawned_find(pid, false);
	DWORD code = 0;

	if (!s)
		return -ECHILD;
	if (WaitForSingleObject(s->thread, ms) != WAIT_OBJECT_0)
		return 0;
	GetExitCodeThread(s->thread, &code);
	spawned_find(pid, true);
	CloseHandle(s->thread);
	free(s);
	if (ret_status)
		*ret_status = (int)code;
	return 1;
}

/* Worker processes: rdiag.exe re-executed, each in a job of its own. */
struct child {
	DWORD pid;
	HANDLE process, job;
	struct child *next;
};

static struct child *children;
static SRWLOCK children_lock = SRWLOCK_INIT;

static struct child *child_find(pid_t pid, bool unlink)
{
	struct child **pp, *c = NULL;

	AcquireSRWLockExclusive(&children_lock);
	for (pp = &children; *pp; pp = &(*pp)->next) {
		if ((*pp)->pid == (DWORD)pid) {
			c = *pp;
			if (unlink)
				*pp = c->next;
			break;
		}
	}
	ReleaseSRWLockExclusive(&children_lock);
	return c;
}

/* 1 and the status when the process ended within ms, 0, or -ECHILD. */
static int child_reap(pid_t pid, DWORD ms, int *ret_status, long *ret_peak_kb)
{
	struct child *c = child_find(pid, false);
	PROCESS_MEMORY_COUNTERS pmc = { .cb = sizeof(pmc) };
	DWORD code = 0;

	if (!c)
		return -ECHILD;
	if (WaitForSingleObject(c->process, ms) != WAIT_OBJECT_0)
		return 0;
	GetExitCodeProcess(c->process, &code);
	if (ret_peak_kb)
		*ret_peak_kb =
			K32GetProcessMemoryInfo(c->process, &pmc, sizeof(pmc))
				? (long)(pmc.PeakWorkingSetSize / 1024)
				: 0;
	child_find(pid, true);
	CloseHandle(c->process);
	CloseHandle(c->job); /* kills what it left behind */
	free(c);
	if (ret_status)
		*ret_status = (int)code;
	return 1;
}

void win_child_add(DWORD pid, HANDLE process, HANDLE job)
{
	struct child *c = xcalloc(1, sizeof(*c));

	c->pid = pid;
	c->process = process;
	c->job = job;
	AcquireSRWLockExclusive(&children_lock);
	c->next = children;
	children = c;
	ReleaseSRWLockExclusive(&children_lock);
}

static int any_reap(pid_t pid, DWORD ms, int *ret_status)
{
	int r = child_reap(pid, ms, ret_status, NULL);

	return r == -ECHILD ? spawned_reap(pid, ms, ret_status) : r;
}

pid_t proc_reap_nohang(pid_t pid, int *ret_status, long *ret_peak_rss_kb)
{
	long peak = 0;
	int r = child_reap(pid, 0, ret_status, &peak);

	if (r == -ECHILD)
		r = spawned_reap(pid, 0, ret_status);
	if (r < 0)
		return r;
	if (r == 0)
		return 0;
	*ret_peak_rss_kb = peak;
	return pid;
}

long proc_self_peak_rss_kb(void)
{
	PROCESS_MEMORY_COUNTERS pmc = { .cb = sizeof(pmc) };

	if (!K32GetProcessMemoryInfo(GetCurrentProcess(), &pmc, sizeof(pmc)))
		return 0;
	return (long)(pmc.PeakWorkingSetSize / 1024);
}

int proc_sleep_unless(int64_t ms, const volatile sig_atomic_t *stop)
{
	int64_t end = now_ms() + ms;

	/* The console handler runs on a thread of its own and only sets
	 * *stop: look at it every 100 ms. */
	while (!*stop) {
		int64_t left = end - now_ms();

		if (left <= 0)
			return 0;
		Sleep(left < 100 ? (DWORD)left : 100);
	}
	return 1;
}

void proc_kill_group(pid_t pid)
{
	struct child *c = child_find(pid, false);

	/* The job holds the worker and everything it started. */
	if (c)
		TerminateJobObject(c->job, 1);
}

int proc_status_code(int status, char *why, size_t why_len)
{
	unsigned code = (unsigned)status;

	/* NTSTATUS error codes: an access violation, a stack overflow. */
	if (code >= 0xC0000000u) {
		if (why && why_len)
			snprintf(why, why_len, "crashed with exception 0x%08X",
				 code);
		return -1;
	}
	return code > 255 ? 255 : (int)code;
}

int proc_wait(pid_t pid, int *ret_code)
{
	int status = 0, r = any_reap(pid, INFINITE, &status);

	if (r < 0)
		return r;
	*ret_code = proc_status_code(status, NULL, 0);
	if (*ret_code < 0)
		*ret_code = 128 + 11; /* a crash reads as SIGSEGV did */
	return 0;
}

int proc_kill_and_reap(pid_t pid, int grace_ms, int *ret_status, char *wchan,
		       size_t wchan_len)
{
	int r;

	proc_kill_group(pid);
	r = any_reap(pid, (DWORD)grace_ms, ret_status);
	if (r != 0)
		return 0;
	if (wchan && wchan_len)
		proc_describe_stuck(pid, wchan, wchan_len);
	return -EBUSY;
}

int proc_poll_in(const int *fds, size_t n, int timeout_ms)
{
	int64_t until = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);

	/* Anonymous pipes cannot be waited on: peek at each, briefly. */
	for (;;) {
		for (size_t i = 0; i < n; i++) {
			HANDLE h = (HANDLE)_get_osfhandle(fds[i]);
			DWORD avail = 0;

			if (h == INVALID_HANDLE_VALUE ||
			    !PeekNamedPipe(h, NULL, 0, NULL, &avail, NULL) ||
			    avail > 0)
				return 1; /* data, EOF or an error to read */
		}
		if (now_ms() >= until)
			return 0;
		Sleep(5);
	}
}

long proc_read_nb(int fd, void *buf, size_t len)
{
	HANDLE h = (HANDLE)_get_osfhandle(fd);
	DWORD avail = 0, n = 0;

	if (h == INVALID_HANDLE_VALUE)
		return -EBADF;
	if (!PeekNamedPipe(h, NULL, 0, NULL, &avail, NULL))
		return GetLastError() == ERROR_BROKEN_PIPE ? 0
							   : win_last_errno();
	if (avail == 0)
		return -EAGAIN;
	if (avail < len)
		len = avail;
	if (!ReadFile(h, buf, (DWORD)len, &n, NULL))
		return GetLastError() == ERROR_BROKEN_PIPE ? 0
							   : win_last_errno();
	return (long)n;
}

void proc_describe_stuck(pid_t pid, char *buf, size_t len)
{
	(void)pid;
	snprintf(buf, len, "? (state ?)");
}

void proc_child_reset_signals(void)
{
	/* A new Windows process starts with default handlers. */
}

static void (*stop_handler)(int);

static BOOL WINAPI console_ctrl(DWORD type)
{
	if (!stop_handler)
		return FALSE;
	switch (type) {
	case CTRL_C_EVENT:
		stop_handler(2);
		return TRUE;
	case CTRL_BREAK_EVENT:
	case CTRL_CLOSE_EVENT:
		stop_handler(15);
		return TRUE;
	default:
		return FALSE;
	}
}

void proc_catch_stop_signals(void (*handler)(int))
{
	stop_handler = handler;
	SetConsoleCtrlHandler(console_ctrl, TRUE);
}

/* ------------------------------------------------------------ programs */

/* Append s to the command line, quoted as CommandLineToArgvW reads it. */
void win_quote_arg(struct buf *b, const char *s)
{
	bool plain = *s && !strpbrk(s, " \t\n\v\"");

	if (plain) {
		buf_append(b, s, strlen(s));
		return;
	}
	buf_append(b, "\"", 1);
	for (;; s++) {
		size_t bs = 0;

		while (*s == '\\') {
			bs++;
			s++;
		}
		if (!*s) {
			/* Double the backslashes before the closing quote. */
			for (size_t i = 0; i < bs * 2; i++)
				buf_append(b, "\\", 1);
			break;
		}
		if (*s == '"') {
			for (size_t i = 0; i < bs * 2 + 1; i++)
				buf_append(b, "\\", 1);
		} else {
			for (size_t i = 0; i < bs; i++)
				buf_append(b, "\\", 1);
		}
		buf_append(b, s, 1);
	}
	buf_append(b, "\"", 1);
}

struct reader {
	HANDLE pipe;
	struct buf *out;
	bool overflow;
};

static DWORD WINAPI reader_main(void *p)
{
	struct reader *rd = p;
	char chunk[4096];
	DWORD n;

	while (ReadFile(rd->pipe, chunk, sizeof(chunk), &n, NULL) && n > 0)
		if (!rd->overflow && buf_append(rd->out, chunk, n) < 0)
			rd->overflow = true;
	return 0;
}

HANDLE win_new_job(void)
{
	JOBOBJECT_EXTENDED_LIMIT_INFORMATION li = { 0 };
	HANDLE job = CreateJobObjectW(NULL, NULL);

	if (!job)
		return NULL;
	li.BasicLimitInformation.LimitFlags =
		JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE |
		JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION;
	SetInformationJobObject(job, JobObjectExtendedLimitInformation, &li,
				sizeof(li));
	return job;
}

int proc_exec(const char *const *argv, unsigned timeout_ms, struct buf *out,
	      struct proc_exec_info *ret_info)
{
	struct proc_exec_info info = { .pid = -1 };
	int64_t deadline = now_ms() + timeout_ms;
	SECURITY_ATTRIBUTES inherit = { sizeof(inherit), NULL, TRUE };
	STARTUPINFOEXW si = { 0 };
	PROCESS_INFORMATION pi = { 0 };
	HANDLE rd = NULL, wr = NULL, nul = INVALID_HANDLE_VALUE, job = NULL;
	HANDLE handles[2], reader_thread = NULL;
	LPPROC_THREAD_ATTRIBUTE_LIST attrs = NULL;
	struct reader reader = { 0 };
	wchar_t *wexe = NULL, *wcmd = NULL;
	struct buf cmd;
	SIZE_T attr_len = 0;
	DWORD code = 0;
	int r = 0;

	buf_init(&cmd, 65536);
	for (size_t i = 0; argv[i]; i++) {
		if (i)
			buf_append(&cmd, " ", 1);
		win_quote_arg(&cmd, argv[i]);
	}
	buf_append(&cmd, "", 1);
	wexe = win_wpath(argv[0]);
	{
		int n = MultiByteToWideChar(CP_UTF8, 0, cmd.data, -1, NULL, 0);

		wcmd = xcalloc((size_t)n + 1, sizeof(*wcmd));
		MultiByteToWideChar(CP_UTF8, 0, cmd.data, -1, wcmd, n);
	}
	buf_release(&cmd);
	if (!wexe) {
		r = -EILSEQ;
		goto out;
	}
	if (!CreatePipe(&rd, &wr, &inherit, 0) ||
	    !SetHandleInformation(rd, HANDLE_FLAG_INHERIT, 0)) {
		r = win_last_errno();
		goto out;
	}
	nul = CreateFileW(L"NUL", GENERIC_READ | GENERIC_WRITE,
			  FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit,
			  OPEN_EXISTING, 0, NULL);
	if (nul == INVALID_HANDLE_VALUE || !(job = win_new_job())) {
		r = win_last_errno();
		goto out;
	}
	/* Only the two handles the child needs are inherited. */
	InitializeProcThreadAttributeList(NULL, 1, 0, &attr_len);
	attrs = xcalloc(1, attr_len);
	handles[0] = wr;
	handles[1] = nul;
	if (!InitializeProcThreadAttributeList(attrs, 1, 0, &attr_len) ||
	    !UpdateProcThreadAttribute(attrs, 0,
				       PROC_THREAD_ATTRIBUTE_HANDLE_LIST,
				       handles, sizeof(handles), NULL, NULL)) {
		r = win_last_errno();
		goto out;
	}
	si.StartupInfo.cb = sizeof(si);
	si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
	si.StartupInfo.hStdInput = nul;
	si.StartupInfo.hStdOutput = wr;
	si.StartupInfo.hStdError = nul;
	si.lpAttributeList = attrs;
	if (!CreateProcessW(wexe, wcmd, NULL, NULL, TRUE,
			    CREATE_SUSPENDED | CREATE_NO_WINDOW |
				    EXTENDED_STARTUPINFO_PRESENT,
			    NULL, NULL, &si.StartupInfo, &pi)) {
		/* As exec failing in a forked child. */
		r = 127;
		goto out;
	}
	info.pid = (pid_t)pi.dwProcessId;
	if (!AssignProcessToJobObject(job, pi.hProcess)) {
		r = win_last_errno();
		TerminateProcess(pi.hProcess, 1);
		goto reap;
	}
	ResumeThread(pi.hThread);
	CloseHandle(wr);
	wr = NULL;
	reader.pipe = rd;
	reader.out = out;
	reader_thread = CreateThread(NULL, 0, reader_main, &reader, 0, NULL);
	if (!reader_thread) {
		r = win_last_errno();
		goto reap;
	}
	{
		int64_t left = deadline - now_ms();

		/* The output's end, then the process's, by the deadline. */
		if (left <= 0 ||
		    WaitForSingleObject(reader_thread, (DWORD)left) !=
			    WAIT_OBJECT_0)
			r = -ETIMEDOUT;
		left = deadline - now_ms();
		if (r == 0 && (left <= 0 ||
			       WaitForSingleObject(pi.hProcess, (DWORD)left) !=
				       WAIT_OBJECT_0))
			r = -ETIMEDOUT;
	}
reap:
	TerminateJobObject(job, 1);
	if (WaitForSingleObject(pi.hProcess, PROC_REAP_GRACE_MS) ==
	    WAIT_OBJECT_0) {
		info.reaped = true;
		GetExitCodeProcess(pi.hProcess, &code);
	} else {
		snprintf(info.wchan, sizeof(info.wchan), "? (state ?)");
		if (r == 0 || r == -ETIMEDOUT)
			r = -EBUSY;
	}
	if (reader_thread) {
		/* The pipe closes with the last writer; a reader stuck past
		 * that is abandoned with its handle. */
		if (WaitForSingleObject(reader_thread, PROC_REAP_GRACE_MS) ==
		    WAIT_OBJECT_0) {
			CloseHandle(rd);
			rd = NULL;
		} else {
			rd = NULL;
		}
		CloseHandle(reader_thread);
	}
	info.truncated = reader.overflow;
	CloseHandle(pi.hProcess);
	CloseHandle(pi.hThread);
out:
	if (attrs) {
		DeleteProcThreadAttributeList(attrs);
		free(attrs);
	}
	if (job)
		CloseHandle(job);
	if (nul != INVALID_HANDLE_VALUE)
		CloseHandle(nul);
	if (wr)
		CloseHandle(wr);
	if (rd)
		CloseHandle(rd);
	free(wexe);
	free(wcmd);
	if (ret_info)
		*ret_info = info;
	if (r != 0)
		return r;
	if (reader.overflow)
		return -ENOBUFS;
	if (code >= 0xC0000000u)
		return -ECHILD;
	return code > 255 ? 255 : (int)code;
}
