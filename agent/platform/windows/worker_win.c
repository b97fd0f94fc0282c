/*
 * Collector workers on Windows, where a process cannot be forked: the parent
 * (proc_spawn_worker) re-executes rdiag.exe as `rdiag.exe --rdiag-worker
 * HANDLE`, started suspended inside a job object of its own (kill on close,
 * no error-report dialog), with exactly three inherited handles: the record
 * pipe (HANDLE), the worker's specification as JSON on its stdin (the
 * effective configuration included, so nothing is parsed again from flags
 * and no secret touches the disk or the command line), and the staging
 * NAME.stderr file as its stdout and stderr. The child side runs from a
 * constructor, before main() and its option parsing: it rebuilds the
 * context from the specification and runs the collector through
 * runner_worker_run(), exactly as a forked worker does on Linux.
 */
#include "platform/windows/win.h"

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <jansson.h>
#include <shellapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/ctx.h"
#include "core/runner.h"
#include "platform/proc.h"
#include "rdiag/buf.h"
#include "rdiag/util.h"
#include "registry.h"

#define WORKER_ARG "--rdiag-worker"

static char *spec_json(const struct proc_worker_spec *spec)
{
	json_t *o = json_object(), *cfg = json_array();
	char *s;

	json_object_set_new(o, "collector", json_string(spec->collector));
	json_object_set_new(o, "staging_dir", json_string(spec->staging_dir));
	json_object_set_new(o, "deadline_ms", json_integer(spec->deadline_ms));
	json_object_set_new(o, "since", json_integer(spec->since));
	json_object_set_new(o, "root",
			    json_string(spec->root ? spec->root : ""));
	for (size_t i = 0; spec->config && i < spec->config->n; i++) {
		const struct config_entry *e = &spec->config->entries[i];

		json_array_append_new(
			cfg, json_pack("[ssss]", e->section, e->key, e->value,
				       e->origin ? e->origin : ""));
	}
	json_object_set_new(o, "config", cfg);
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

/* Our own executable's path, for the re-execution. */
static wchar_t *self_path(void)
{
	DWORD cap = 1024;

	for (;;) {
		wchar_t *p = xcalloc(cap, sizeof(*p));
		DWORD n = GetModuleFileNameW(NULL, p, cap);

		if (n > 0 && n < cap)
			return p;
		free(p);
		if (n == 0 || cap > 65536)
			return NULL;
		cap *= 2;
	}
}

int proc_spawn_worker(const struct proc_worker_spec *spec,
		      int (*fn)(void *arg, int fd), void *arg, pid_t *ret_pid,
		      int *ret_fd)
{
	SECURITY_ATTRIBUTES inherit = { sizeof(inherit), NULL, TRUE };
	SECURITY_ATTRIBUTES priv = { 0 };
	HANDLE out_rd = NULL, out_wr = NULL, in_rd = NULL, in_wr = NULL;
	HANDLE err = INVALID_HANDLE_VALUE, job = NULL, handles[3];
	STARTUPINFOEXW si = { 0 };
	PROCESS_INFORMATION pi = { 0 };
	LPPROC_THREAD_ATTRIBUTE_LIST attrs = NULL;
	wchar_t *exe = self_path(), *werr = NULL, *wcmd = NULL;
	char *json = NULL, num[32];
	struct buf cmd;
	SIZE_T attr_len = 0;
	DWORD written;
	int fd, r = 0;

	(void)fn; /* nothing of the parent's memory reaches the child */
	(void)arg;
	buf_init(&cmd, 65536);
	if (!exe) {
		r = -ENOENT;
		goto out;
	}
	if (!CreatePipe(&out_rd, &out_wr, &inherit, 0) ||
	    !SetHandleInformation(out_rd, HANDLE_FLAG_INHERIT, 0) ||
	    !CreatePipe(&in_rd, &in_wr, &inherit, 0) ||
	    !SetHandleInformation(in_wr, HANDLE_FLAG_INHERIT, 0)) {
		r = win_last_errno();
		goto out;
	}
	/* NAME.stderr: new, private, inherited as stdout and stderr. */
	if (!(werr = win_wpath(spec->stderr_path))) {
		r = -EILSEQ;
		goto out;
	}
	if ((r = win_private_sa(&priv)) < 0)
		goto out;
	priv.bInheritHandle = TRUE;
	err = CreateFileW(
		werr, GENERIC_WRITE,
		FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, &priv,
		CREATE_NEW,
		FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, NULL);
	win_private_sa_free(&priv);
	if (err == INVALID_HANDLE_VALUE) {
		r = win_last_errno();
		goto out;
	}
	if (!(job = win_new_job())) {
		r = win_last_errno();
		goto out;
	}
	{
		char *self = win_utf8(exe);

		win_quote_arg(&cmd, self ? self : "rdiag.exe");
		free(self);
	}
	snprintf(num, sizeof(num), " %s %llu", WORKER_ARG,
		 (unsigned long long)(uintptr_t)out_wr);
	buf_append(&cmd, num, strlen(num) + 1);
	{
		int n = MultiByteToWideChar(CP_UTF8, 0, cmd.data, -1, NULL, 0);

		wcmd = xcalloc((size_t)n + 1, sizeof(*wcmd));
		MultiByteToWideChar(CP_UTF8, 0, cmd.data, -1, wcmd, n);
	}
	InitializeProcThreadAttributeList(NULL, 1, 0, &attr_len);
	attrs = xcalloc(1, attr_len);
	handles[0] = out_wr;
	handles[1] = in_rd;
	handles[2] = err;
	if (!InitializeProcThreadAttributeList(attrs, 1, 0, &attr_len) ||
	    !UpdateProcThreadAttribute(attrs, 0,
				       PROC_THREAD_ATTRIBUTE_HANDLE_LIST,
				       handles, sizeof(handles), NULL, NULL)) {
		r = win_last_errno();
		goto out;
	}
	si.StartupInfo.cb = sizeof(si);
	si.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
	si.StartupInfo.hStdInput = in_rd;
	si.StartupInfo.hStdOutput = err;
	si.StartupInfo.hStdError = err;
	si.lpAttributeList = attrs;
	/* No error-report dialog in the worker, whatever happens. */
	SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX |
		     SEM_NOOPENFILEERRORBOX);
	if (!CreateProcessW(exe, wcmd, NULL, NULL, TRUE,
			    CREATE_SUSPENDED | CREATE_NO_WINDOW |
				    EXTENDED_STARTUPINFO_PRESENT,
			    NULL, NULL, &si.StartupInfo, &pi)) {
		r = win_last_errno();
		goto out;
	}
	if (!AssignProcessToJobObject(job, pi.hProcess)) {
		r = win_last_errno();
		TerminateProcess(pi.hProcess, 1);
		CloseHandle(pi.hProcess);
		CloseHandle(pi.hThread);
		goto out;
	}
	ResumeThread(pi.hThread);
	CloseHandle(pi.hThread);
	/* The specification, then EOF. A pipe's buffer may be smaller than a
	 * large configuration: the child reads as we write. */
	json = spec_json(spec);
	if (json &&
	    !WriteFile(in_wr, json, (DWORD)strlen(json), &written, NULL)) {
		r = win_last_errno();
		TerminateJobObject(job, 1);
		CloseHandle(pi.hProcess);
		goto out;
	}
	fd = _open_osfhandle((intptr_t)out_rd, _O_RDONLY | _O_BINARY);
	if (fd < 0) {
		r = -EMFILE;
		TerminateJobObject(job, 1);
		CloseHandle(pi.hProcess);
		goto out;
	}
	out_rd = NULL;
	win_child_add(pi.dwProcessId, pi.hProcess, job);
	job = NULL;
	*ret_pid = (pid_t)pi.dwProcessId;
	*ret_fd = fd;
out:
	if (attrs) {
		DeleteProcThreadAttributeList(attrs);
		free(attrs);
	}
	if (job)
		CloseHandle(job);
	if (err != INVALID_HANDLE_VALUE)
		CloseHandle(err);
	if (out_rd)
		CloseHandle(out_rd);
	if (out_wr)
		CloseHandle(out_wr);
	if (in_rd)
		CloseHandle(in_rd);
	if (in_wr)
		CloseHandle(in_wr);
	buf_release(&cmd);
	free(json);
	free(exe);
	free(werr);
	free(wcmd);
	return r;
}

/* ------------------------------------------------------------ the child */

static char *read_stdin(void)
{
	HANDLE h = GetStdHandle(STD_INPUT_HANDLE);
	struct buf b;
	char chunk[4096];
	DWORD n;

	buf_init(&b, 16u << 20);
	while (ReadFile(h, chunk, sizeof(chunk), &n, NULL) && n > 0)
		if (buf_append(&b, chunk, n) < 0)
			break;
	buf_append(&b, "", 1);
	return b.data;
}

static int worker_child(const char *handle_arg)
{
	struct config cfg;
	struct ctx_params p = { 0 };
	const struct collector *c;
	json_error_t jerr;
	json_t *o, *e;
	char *text;
	size_t i;
	int fd, r;

	fd = _open_osfhandle((intptr_t)strtoull(handle_arg, NULL, 10),
			     _O_WRONLY | _O_BINARY);
	text = read_stdin();
	o = json_loads(text, 0, &jerr);
	free(text);
	if (fd < 0 || !o)
		return 70;
	c = registry_find(registry_collectors,
			  json_string_value(json_object_get(o, "collector")));
	if (!c) {
		json_decref(o);
		return 70;
	}
	config_init(&cfg);
	json_array_foreach(json_object_get(o, "config"), i, e)
	{
		config_add(&cfg, json_string_value(json_array_get(e, 0)),
			   json_string_value(json_array_get(e, 1)),
			   json_string_value(json_array_get(e, 2)),
			   json_string_value(json_array_get(e, 3)));
	}
	p.collector = c;
	p.out_fd = fd;
	p.staging_dir = json_string_value(json_object_get(o, "staging_dir"));
	p.config = &cfg;
	p.deadline_ms = json_integer_value(json_object_get(o, "deadline_ms"));
	p.since = (time_t)json_integer_value(json_object_get(o, "since"));
	p.root = json_string_value(json_object_get(o, "root"));
	r = runner_worker_run(&p);
	close(fd);
	config_release(&cfg);
	json_decref(o);
	return r;
}

/*
 * Runs before main(): a re-executed worker never reaches rdiag's own option
 * parsing. Anything else returns at once.
 */
__attribute__((constructor)) static void worker_entry(void)
{
	int argc = 0, rc;
	wchar_t **argv = CommandLineToArgvW(GetCommandLineW(), &argc);
	char *handle;

	if (!argv || argc != 3 || wcscmp(argv[1], L"" WORKER_ARG) != 0) {
		LocalFree(argv);
		return;
	}
	handle = win_utf8(argv[2]);
	LocalFree(argv);
	rc = handle ? worker_child(handle) : 70;
	free(handle);
	fflush(NULL);
	exit(rc);
}
