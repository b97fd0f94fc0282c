/*
 * The live source of winsrc.h: the Windows APIs themselves. The registry
 * through advapi32 (64-bit view, policy and local keys alike); the WTS
 * API, the minifilter list (fltlib), the event log (wevtapi) and mapped
 * drives (mpr) are loaded from System32 at run time, so a Server Core
 * without one of them answers -ENOSYS instead of failing to start, and
 * rdiag.exe needs no import library for them. Every string that comes
 * back is UTF-16 from the host and goes through winsrc_text_utf16().
 * WMI (Security Center's products, the RDS grace period) is in
 * winsrc_wmi_win.c. docs/windows.md lists what has been run where.
 * Compiled only into the Windows build (NAME_win.c).
 */
#include <windows.h>

#include <fltuser.h>
#include <wincrypt.h>
#include <winevt.h>
#include <winnetwk.h>
#include <wtsapi32.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "rdiag/buf.h"
#include "rdiag/util.h"
#include "winsrc.h"
#include "winsrc_wmi_win.h"

#ifndef LOAD_LIBRARY_SEARCH_SYSTEM32
#define LOAD_LIBRARY_SEARCH_SYSTEM32 0x00000800
#endif

/* Largest registry value read, in bytes (data beyond is not ours). */
#define REG_DATA_MAX         (64 * 1024)
#define FILETIME_UNIX_OFFSET 11644473600LL
/* Events read per channel: the newest first, the judge quotes five. */
#define EVENTS_MAX 200

/* WTS_PROCESS_INFO_EXW (wtsapi32.h of the SDK; mingw-w64 lacks it). */
struct wts_process_info_exw {
	DWORD SessionId;
	DWORD ProcessId;
	LPWSTR pProcessName;
	PSID pUserSid;
	DWORD NumberOfThreads;
	DWORD HandleCount;
	DWORD PagefileUsage;
	DWORD PeakPagefileUsage;
	DWORD WorkingSetSize;
	DWORD PeakWorkingSetSize;
	LARGE_INTEGER UserTime;
	LARGE_INTEGER KernelTime;
};
#define WTS_ANY_SESSION_ID      ((DWORD)-2)
#define WTS_TYPE_PROCESS_LEVEL1 1

typedef void (*any_fn)(void);

/* fn of System32's dll, or NULL. Modules stay loaded: we are short-lived. */
static any_fn sym(const wchar_t *dll, const char *fn)
{
	HMODULE m = LoadLibraryExW(dll, NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);

	return m ? (any_fn)(void (*)(void))GetProcAddress(m, fn) : NULL;
}

static int err_of(DWORD e)
{
	switch (e) {
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
		return -ENOENT;
	case ERROR_ACCESS_DENIED:
		return -EACCES;
	case ERROR_NOT_ENOUGH_MEMORY:
	case ERROR_OUTOFMEMORY:
		return -ENOMEM;
	case ERROR_CALL_NOT_IMPLEMENTED:
	case ERROR_NOT_SUPPORTED:
	case ERROR_PROC_NOT_FOUND:
		return -ENOSYS;
	default:
		return -EIO;
	}
}

static char *text(const wchar_t *w, size_t n)
{
	return winsrc_text_utf16((const uint16_t *)w, n);
}

/* Our own key names (ASCII) as UTF-16. */
static wchar_t *wide(const char *s)
{
	size_t n = strlen(s);
	wchar_t *w = xcalloc(n + 1, sizeof(*w));

	for (size_t i = 0; i < n; i++)
		w[i] = (wchar_t)(unsigned char)s[i];
	return w;
}

static time_t unix_of_filetime(uint64_t ft)
{
	int64_t s = (int64_t)(ft / 10000000u) - FILETIME_UNIX_OFFSET;

	return s > 0 ? (time_t)s : 0;
}

static int open_key(const char *key, HKEY *ret)
{
	HKEY root;
	wchar_t *sub;
	LONG e;

	if (strncmp(key, "HKLM\\", 5) == 0)
		root = HKEY_LOCAL_MACHINE;
	else if (strncmp(key, "HKCU\\", 5) == 0)
		root = HKEY_CURRENT_USER;
	else
		return -EINVAL;
	sub = wide(key + 5);
	e = RegOpenKeyExW(root, sub, 0, KEY_READ | KEY_WOW64_64KEY, ret);
	free(sub);
	return e == ERROR_SUCCESS ? 0 : err_of((DWORD)e);
}

/* Value data (type, bytes) into *ret; data is not NUL-terminated. */
static void fill_value(DWORD type, const BYTE *data, DWORD len,
		       struct winsrc_value *v)
{
	const wchar_t *w = (const wchar_t *)(const void *)data;
	size_t nw = len / sizeof(wchar_t);

	v->type = (enum winsrc_reg_type)type;
	switch (type) {
	case REG_DWORD:
		if (len >= 4)
			v->num = (uint64_t)data[0] | (uint64_t)data[1] << 8 |
				 (uint64_t)data[2] << 16 |
				 (uint64_t)data[3] << 24;
		else
			v->type = WINSRC_REG_NONE;
		break;
	case REG_QWORD:
	case REG_BINARY:
		v->bin_len = len;
		if (len == 8)
			for (int i = 0; i < 8; i++)
				v->num |= (uint64_t)data[i] << (8 * i);
		else if (type == REG_QWORD)
			v->type = WINSRC_REG_NONE;
		break;
	case REG_SZ:
	case REG_EXPAND_SZ:
		v->str = text(w, nw);
		break;
	case REG_MULTI_SZ: {
		/* NUL-separated parts joined with '\n', each sanitised */
		struct buf b;
		size_t i = 0;

		buf_init(&b, WINSRC_STR_MAX);
		while (i < nw && w[i]) {
			size_t n = wcsnlen(w + i, nw - i);
			char *part = text(w + i, n);

			if (buf_printf(&b, "%s%s", b.len ? "\n" : "", part) <
			    0) {
				free(part);
				break;
			}
			free(part);
			i += n + 1;
		}
		v->str = buf_detach(&b, NULL);
		break;
	}
	default:
		v->type = WINSRC_REG_NONE;
		break;
	}
}

static int live_reg_value(void *self, const char *key, const char *name,
			  struct winsrc_value *ret)
{
	struct winsrc_value v = { 0 };
	DWORD type, len = 0;
	wchar_t *wname;
	BYTE *data;
	HKEY h;
	LONG e;
	int r;

	(void)self;
	if ((r = open_key(key, &h)) < 0)
		return r;
	wname = wide(name);
	e = RegQueryValueExW(h, wname, NULL, &type, NULL, &len);
	if (e == ERROR_SUCCESS && len > REG_DATA_MAX)
		e = ERROR_MORE_DATA;
	if (e != ERROR_SUCCESS) {
		r = e == ERROR_MORE_DATA ? -EFBIG : err_of((DWORD)e);
		goto out;
	}
	data = xcalloc(len + 2, 1);
	e = RegQueryValueExW(h, wname, NULL, &type, data, &len);
	if (e == ERROR_SUCCESS) {
		fill_value(type, data, len, &v);
		v.name = xstrdup(name);
		*ret = v;
	} else {
		r = err_of((DWORD)e);
	}
	free(data);
out:
	free(wname);
	RegCloseKey(h);
	return r;
}

static int live_reg_values(void *self, const char *key,
			   struct winsrc_value **ret, size_t *ret_n)
{
	DWORD count = 0, name_max = 0, data_max = 0;
	struct winsrc_value *v = NULL;
	wchar_t *name = NULL;
	BYTE *data = NULL;
	size_t n = 0;
	HKEY h;
	int r;

	(void)self;
	if ((r = open_key(key, &h)) < 0)
		return r;
	if (RegQueryInfoKeyW(h, NULL, NULL, NULL, NULL, NULL, NULL, &count,
			     &name_max, &data_max, NULL, NULL) != ERROR_SUCCESS)
		count = 0;
	if (count > WINSRC_LIST_MAX)
		count = WINSRC_LIST_MAX;
	if (data_max > REG_DATA_MAX)
		data_max = REG_DATA_MAX;
	v = xcalloc(count + 1, sizeof(*v));
	name = xcalloc(name_max + 2, sizeof(*name));
	data = xcalloc(data_max + 2, 1);
	for (DWORD i = 0; i < count; i++) {
		DWORD nlen = name_max + 1, dlen = data_max, type;

		/* a value that grew or is too large is skipped */
		if (RegEnumValueW(h, i, name, &nlen, NULL, &type, data,
				  &dlen) != ERROR_SUCCESS)
			continue;
		fill_value(type, data, dlen, &v[n]);
		v[n].name = text(name, nlen);
		n++;
	}
	free(name);
	free(data);
	RegCloseKey(h);
	*ret = v;
	*ret_n = n;
	return 0;
}

static int live_reg_subkeys(void *self, const char *key, char ***ret,
			    size_t *ret_n)
{
	DWORD count = 0, name_max = 0;
	wchar_t *name;
	size_t n = 0;
	char **v;
	HKEY h;
	int r;

	(void)self;
	if ((r = open_key(key, &h)) < 0)
		return r;
	if (RegQueryInfoKeyW(h, NULL, NULL, NULL, &count, &name_max, NULL, NULL,
			     NULL, NULL, NULL, NULL) != ERROR_SUCCESS)
		count = 0;
	if (count > WINSRC_LIST_MAX)
		count = WINSRC_LIST_MAX;
	v = xcalloc(count + 1, sizeof(*v));
	name = xcalloc(name_max + 2, sizeof(*name));
	for (DWORD i = 0; i < count; i++) {
		DWORD nlen = name_max + 1;

		if (RegEnumKeyExW(h, i, name, &nlen, NULL, NULL, NULL, NULL) ==
		    ERROR_SUCCESS)
			v[n++] = text(name, nlen);
	}
	free(name);
	RegCloseKey(h);
	*ret = v;
	*ret_n = n;
	return 0;
}

typedef BOOL(WINAPI *enum_sessions_fn)(HANDLE, DWORD, DWORD,
				       PWTS_SESSION_INFOW *, DWORD *);
typedef BOOL(WINAPI *query_session_fn)(HANDLE, DWORD, WTS_INFO_CLASS, LPWSTR *,
				       DWORD *);
typedef void(WINAPI *free_memory_fn)(PVOID);
typedef BOOL(WINAPI *enum_processes_ex_fn)(HANDLE, DWORD *, DWORD, LPWSTR *,
					   DWORD *);
typedef BOOL(WINAPI *free_memory_ex_fn)(int, PVOID, ULONG);

static int live_sessions(void *self, struct winsrc_session **ret, size_t *ret_n)
{
	enum_sessions_fn enum_sessions =
		(enum_sessions_fn)sym(L"wtsapi32.dll", "WTSEnumerateSessionsW");
	query_session_fn query = (query_session_fn)sym(
		L"wtsapi32.dll", "WTSQuerySessionInformationW");
	free_memory_fn free_mem =
		(free_memory_fn)sym(L"wtsapi32.dll", "WTSFreeMemory");
	struct winsrc_session *v;
	PWTS_SESSION_INFOW info;
	DWORD count;

	(void)self;
	if (!enum_sessions || !query || !free_mem)
		return -ENOSYS;
	if (!enum_sessions(WTS_CURRENT_SERVER_HANDLE, 0, 1, &info, &count))
		return err_of(GetLastError());
	if (count > WINSRC_LIST_MAX)
		count = WINSRC_LIST_MAX;
	v = xcalloc(count + 1, sizeof(*v));
	for (DWORD i = 0; i < count; i++) {
		LPWSTR buf = NULL;
		DWORD len = 0;

		v[i].id = info[i].SessionId;
		v[i].station = text(info[i].pWinStationName, WINSRC_STR_MAX);
		v[i].state = (enum winsrc_wts_state)info[i].State;
		v[i].idle_ms = -1;
		if (query(WTS_CURRENT_SERVER_HANDLE, info[i].SessionId,
			  WTSUserName, &buf, &len) &&
		    buf) {
			v[i].user = text(buf, len / sizeof(wchar_t));
			free_mem(buf);
		} else {
			v[i].user = xstrdup("");
		}
		buf = NULL;
		if (query(WTS_CURRENT_SERVER_HANDLE, info[i].SessionId,
			  WTSSessionInfo, &buf, &len) &&
		    buf && len >= sizeof(WTSINFOW)) {
			const WTSINFOW *si = (const WTSINFOW *)(void *)buf;

			if (si->LastInputTime.QuadPart > 0 &&
			    si->CurrentTime.QuadPart >
				    si->LastInputTime.QuadPart)
				v[i].idle_ms = (si->CurrentTime.QuadPart -
						si->LastInputTime.QuadPart) /
					       10000;
		}
		if (buf)
			free_mem(buf);
	}
	free_mem(info);
	*ret = v;
	*ret_n = count;
	return 0;
}

static int live_processes(void *self, struct winsrc_process **ret,
			  size_t *ret_n)
{
	enum_processes_ex_fn enum_ex = (enum_processes_ex_fn)sym(
		L"wtsapi32.dll", "WTSEnumerateProcessesExW");
	free_memory_ex_fn free_ex =
		(free_memory_ex_fn)sym(L"wtsapi32.dll", "WTSFreeMemoryExW");
	struct wts_process_info_exw *pi;
	struct winsrc_process *v;
	DWORD level = 1, count, n;
	LPWSTR raw = NULL;

	(void)self;
	if (!enum_ex || !free_ex)
		return -ENOSYS;
	if (!enum_ex(WTS_CURRENT_SERVER_HANDLE, &level, WTS_ANY_SESSION_ID,
		     &raw, &count))
		return err_of(GetLastError());
	pi = (struct wts_process_info_exw *)(void *)raw;
	n = count > WINSRC_LIST_MAX ? WINSRC_LIST_MAX : count;
	v = xcalloc(n + 1, sizeof(*v));
	for (DWORD i = 0; i < n; i++) {
		v[i].session_id = pi[i].SessionId;
		v[i].pid = pi[i].ProcessId;
		v[i].name = pi[i].pProcessName
				    ? text(pi[i].pProcessName, WINSRC_STR_MAX)
				    : xstrdup("");
		v[i].working_set = pi[i].WorkingSetSize;
	}
	free_ex(WTS_TYPE_PROCESS_LEVEL1, raw, count);
	*ret = v;
	*ret_n = n;
	return 0;
}

typedef HRESULT(WINAPI *filter_first_fn)(FILTER_INFORMATION_CLASS, LPVOID,
					 DWORD, LPDWORD, LPHANDLE);
typedef HRESULT(WINAPI *filter_next_fn)(HANDLE, FILTER_INFORMATION_CLASS,
					LPVOID, DWORD, LPDWORD);
typedef HRESULT(WINAPI *filter_close_fn)(HANDLE);

/* A name inside a FILTER_AGGREGATE_BASIC_INFORMATION, bounds-checked. */
static char *filter_string(const BYTE *buf, DWORD got, USHORT off, USHORT len)
{
	if ((DWORD)off + len > got)
		return xstrdup("");
	return text((const wchar_t *)(const void *)(buf + off),
		    len / sizeof(wchar_t));
}

static int live_filters(void *self, struct winsrc_filter **ret, size_t *ret_n)
{
	filter_first_fn first =
		(filter_first_fn)sym(L"fltlib.dll", "FilterFindFirst");
	filter_next_fn next =
		(filter_next_fn)sym(L"fltlib.dll", "FilterFindNext");
	filter_close_fn close_fn =
		(filter_close_fn)sym(L"fltlib.dll", "FilterFindClose");
	/* DWORD-aligned: the API writes a struct into it */
	DWORD storage[1024];
	BYTE *buf = (BYTE *)storage;
	struct winsrc_filter *v = NULL;
	HANDLE h = INVALID_HANDLE_VALUE;
	size_t n = 0;
	DWORD got;
	HRESULT hr;

	(void)self;
	if (!first || !next || !close_fn)
		return -ENOSYS;
	hr = first(FilterAggregateBasicInformation, buf, sizeof(storage), &got,
		   &h);
	if (hr == HRESULT_FROM_WIN32(ERROR_NO_MORE_ITEMS)) {
		*ret = xcalloc(1, sizeof(**ret));
		*ret_n = 0;
		return 0;
	}
	if (FAILED(hr))
		return hr == E_ACCESSDENIED ? -EACCES : -EIO;
	do {
		const FILTER_AGGREGATE_BASIC_INFORMATION *fi =
			(const FILTER_AGGREGATE_BASIC_INFORMATION *)(void *)buf;
		struct winsrc_filter *f;

		if (n >= WINSRC_LIST_MAX || got < sizeof(*fi))
			break;
		if (!(fi->Flags & FLTFL_AGGREGATE_INFO_IS_MINIFILTER))
			continue;
		v = xreallocarray(v, n + 1, sizeof(*v));
		f = &v[n++];
		f->name = filter_string(
			buf, got, fi->Type.MiniFilter.FilterNameBufferOffset,
			fi->Type.MiniFilter.FilterNameLength);
		f->altitude = filter_string(
			buf, got,
			fi->Type.MiniFilter.FilterAltitudeBufferOffset,
			fi->Type.MiniFilter.FilterAltitudeLength);
		f->frame_id = fi->Type.MiniFilter.FrameID;
		f->instances = fi->Type.MiniFilter.NumberOfInstances;
	} while (SUCCEEDED(next(h, FilterAggregateBasicInformation, buf,
				sizeof(storage), &got)));
	close_fn(h);
	*ret = v ? v : xcalloc(1, sizeof(*v));
	*ret_n = n;
	return 0;
}

static int live_av_products(void *self, struct winsrc_av_product **ret,
			    size_t *ret_n)
{
	(void)self;
	return winsrc_wmi_av_products(ret, ret_n);
}

static int live_grace_days(void *self, int64_t *ret)
{
	(void)self;
	return winsrc_wmi_grace_days(ret);
}

static int live_rdp_cert(void *self, struct winsrc_cert *ret)
{
	static const char key[] = "HKLM\\SYSTEM\\CurrentControlSet\\Control"
				  "\\Terminal Server\\WinStations\\RDP-Tcp";
	PCCERT_CHAIN_CONTEXT chain = NULL;
	CERT_CHAIN_POLICY_PARA policy = { sizeof(policy), 0, NULL };
	CERT_CHAIN_POLICY_STATUS status = { sizeof(status), 0, 0, 0, NULL };
	CERT_CHAIN_PARA para = { sizeof(para), { 0, { 0, NULL } } };
	PCCERT_CONTEXT cert = NULL;
	CRYPT_HASH_BLOB hash;
	HCERTSTORE store;
	BYTE sha1[20];
	DWORD type, len = sizeof(sha1);
	wchar_t *sub;
	HKEY h;
	LONG e;
	int r;

	(void)self;
	if ((r = open_key(key, &h)) < 0)
		return r;
	sub = wide("SSLCertificateSHA1Hash");
	e = RegQueryValueExW(h, sub, NULL, &type, sha1, &len);
	free(sub);
	RegCloseKey(h);
	if (e != ERROR_SUCCESS || type != REG_BINARY || len != sizeof(sha1))
		return -ENOENT;
	store = CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0,
			      CERT_SYSTEM_STORE_LOCAL_MACHINE |
				      CERT_STORE_READONLY_FLAG,
			      L"Remote Desktop");
	if (!store)
		return err_of(GetLastError());
	hash.cbData = sizeof(sha1);
	hash.pbData = sha1;
	cert = CertFindCertificateInStore(store, X509_ASN_ENCODING, 0,
					  CERT_FIND_SHA1_HASH, &hash, NULL);
	if (!cert) {
		CertCloseStore(store, 0);
		return -ENOENT;
	}
	ret->not_after = unix_of_filetime(
		(uint64_t)cert->pCertInfo->NotAfter.dwHighDateTime << 32 |
		cert->pCertInfo->NotAfter.dwLowDateTime);
	ret->self_signed = CertCompareCertificateName(
		X509_ASN_ENCODING, &cert->pCertInfo->Issuer,
		&cert->pCertInfo->Subject);
	ret->trusted = false;
	if (CertGetCertificateChain(NULL, cert, NULL, NULL, &para, 0, NULL,
				    &chain)) {
		ret->trusted = CertVerifyCertificateChainPolicy(
				       CERT_CHAIN_POLICY_BASE, chain, &policy,
				       &status) &&
			       status.dwError == 0;
		CertFreeCertificateChain(chain);
	}
	CertFreeCertificateContext(cert);
	CertCloseStore(store, 0);
	return 0;
}

typedef EVT_HANDLE(WINAPI *evt_query_fn)(EVT_HANDLE, LPCWSTR, LPCWSTR, DWORD);
typedef BOOL(WINAPI *evt_next_fn)(EVT_HANDLE, DWORD, EVT_HANDLE *, DWORD, DWORD,
				  PDWORD);
typedef EVT_HANDLE(WINAPI *evt_context_fn)(DWORD, LPCWSTR *, DWORD);
typedef BOOL(WINAPI *evt_render_fn)(EVT_HANDLE, EVT_HANDLE, DWORD, DWORD, PVOID,
				    PDWORD, PDWORD);
typedef BOOL(WINAPI *evt_close_fn)(EVT_HANDLE);

struct evt_api {
	evt_query_fn query;
	evt_next_fn next;
	evt_context_fn context;
	evt_render_fn render;
	evt_close_fn close;
};

/* Render ev in context ctx into a buffer (caller frees); NULL if not. */
static EVT_VARIANT *render(const struct evt_api *api, EVT_HANDLE ctx,
			   EVT_HANDLE ev, DWORD *ret_count)
{
	DWORD used = 0, count = 0, size = 4096;
	EVT_VARIANT *v = xmalloc(size);

	if (!api->render(ctx, ev, EvtRenderEventValues, size, v, &used,
			 &count)) {
		if (GetLastError() != ERROR_INSUFFICIENT_BUFFER ||
		    used > 1024 * 1024) {
			free(v);
			return NULL;
		}
		size = used;
		v = xrealloc(v, size);
		if (!api->render(ctx, ev, EvtRenderEventValues, size, v, &used,
				 &count)) {
			free(v);
			return NULL;
		}
	}
	*ret_count = count;
	return v;
}

static void event_of(const struct evt_api *api, EVT_HANDLE sys_ctx,
		     EVT_HANDLE user_ctx, EVT_HANDLE ev, const char *channel,
		     struct winsrc_event *o)
{
	EVT_VARIANT *s, *u;
	DWORD ns = 0, nu = 0;
	struct buf b;

	o->channel = xstrdup(channel);
	if ((s = render(api, sys_ctx, ev, &ns)) && ns > EvtSystemTimeCreated) {
		if (s[EvtSystemProviderName].Type == EvtVarTypeString)
			o->provider = text(s[EvtSystemProviderName].StringVal,
					   WINSRC_STR_MAX);
		if (s[EvtSystemEventID].Type == EvtVarTypeUInt16)
			o->event_id = s[EvtSystemEventID].UInt16Val;
		if (s[EvtSystemLevel].Type == EvtVarTypeByte)
			o->level = s[EvtSystemLevel].ByteVal;
		if (s[EvtSystemTimeCreated].Type == EvtVarTypeFileTime)
			o->time_created = unix_of_filetime(
				s[EvtSystemTimeCreated].FileTimeVal);
	}
	free(s);
	if (!o->provider)
		o->provider = xstrdup("");
	buf_init(&b, WINSRC_STR_MAX);
	if ((u = render(api, user_ctx, ev, &nu)))
		for (DWORD i = 0; i < nu; i++) {
			char *part;

			if (u[i].Type != EvtVarTypeString || !u[i].StringVal)
				continue;
			part = text(u[i].StringVal, WINSRC_STR_MAX);
			if (buf_printf(&b, "%s%s", b.len ? " | " : "", part) <
			    0) {
				free(part);
				break;
			}
			free(part);
		}
	free(u);
	o->data = buf_detach(&b, NULL);
}

static int live_events(void *self, const char *channel, time_t since,
		       struct winsrc_event **ret, size_t *ret_n)
{
	static const wchar_t *wevt = L"wevtapi.dll";
	struct evt_api api = {
		(evt_query_fn)sym(wevt, "EvtQuery"),
		(evt_next_fn)sym(wevt, "EvtNext"),
		(evt_context_fn)sym(wevt, "EvtCreateRenderContext"),
		(evt_render_fn)sym(wevt, "EvtRender"),
		(evt_close_fn)sym(wevt, "EvtClose"),
	};
	EVT_HANDLE q, sys_ctx, user_ctx, batch[16];
	struct winsrc_event *v;
	wchar_t xpath[160], *wchannel;
	size_t n = 0;
	DWORD got;

	(void)self;
	if (!api.query || !api.next || !api.context || !api.render ||
	    !api.close)
		return -ENOSYS;
	if (since > 0) {
		/* timediff() is in milliseconds before now */
		long long ms = ((long long)time(NULL) - since) * 1000;

		swprintf(xpath, sizeof(xpath) / sizeof(*xpath),
			 L"*[System[(Level=1 or Level=2) and "
			 L"TimeCreated[timediff(@SystemTime) <= %lld]]]",
			 ms < 0 ? 0 : ms);
	} else {
		wcscpy(xpath, L"*[System[(Level=1 or Level=2)]]");
	}
	wchannel = wide(channel);
	q = api.query(NULL, wchannel, xpath,
		      EvtQueryChannelPath | EvtQueryReverseDirection);
	free(wchannel);
	if (!q)
		return err_of(GetLastError());
	sys_ctx = api.context(0, NULL, EvtRenderContextSystem);
	user_ctx = api.context(0, NULL, EvtRenderContextUser);
	v = xcalloc(EVENTS_MAX + 1, sizeof(*v));
	while (n < EVENTS_MAX && sys_ctx && user_ctx &&
	       api.next(q, 16, batch, 5000, 0, &got)) {
		for (DWORD i = 0; i < got; i++) {
			if (n < EVENTS_MAX)
				event_of(&api, sys_ctx, user_ctx, batch[i],
					 channel, &v[n++]);
			api.close(batch[i]);
		}
	}
	if (sys_ctx)
		api.close(sys_ctx);
	if (user_ctx)
		api.close(user_ctx);
	api.close(q);
	*ret = v;
	*ret_n = n;
	return 0;
}

typedef DWORD(WINAPI *wnet_get_fn)(LPCWSTR, LPWSTR, LPDWORD);

static int live_drives(void *self, struct winsrc_drive **ret, size_t *ret_n)
{
	wnet_get_fn get = (wnet_get_fn)sym(L"mpr.dll", "WNetGetConnectionW");
	struct winsrc_drive *v;
	size_t n = 0;
	char **sub;
	size_t nsub;

	if (!get)
		return -ENOSYS;
	v = xcalloc(26 + 1, sizeof(*v));
	/* persistent mappings of this user, then what is connected now */
	if (live_reg_subkeys(self, "HKCU\\Network", &sub, &nsub) < 0)
		nsub = 0, sub = NULL;
	for (char c = 'A'; c <= 'Z'; c++) {
		wchar_t local[3] = { (wchar_t)c, L':', 0 }, remote[1024];
		DWORD len = sizeof(remote) / sizeof(*remote), st;
		bool persistent = false;

		for (size_t i = 0; i < nsub; i++)
			if ((sub[i][0] & ~0x20) == c && !sub[i][1])
				persistent = true;
		st = get(local, remote, &len);
		if (st == ERROR_NOT_CONNECTED && !persistent)
			continue; /* not a network drive */
		if (st == ERROR_BAD_DEVICE)
			continue;
		v[n].letter = c;
		v[n].persistent = persistent;
		v[n].status = st;
		if (st == NO_ERROR || st == ERROR_CONNECTION_UNAVAIL)
			v[n].remote = text(remote, len);
		else
			v[n].remote = xstrdup("");
		n++;
	}
	winsrc_free_strings(sub, nsub);
	*ret = v;
	*ret_n = n;
	return 0;
}

static time_t live_now(void *self)
{
	(void)self;
	return time(NULL);
}

static void live_free(void *self)
{
	(void)self;
}

static const struct winsrc_ops live_ops = {
	.reg_value = live_reg_value,
	.reg_values = live_reg_values,
	.reg_subkeys = live_reg_subkeys,
	.sessions = live_sessions,
	.processes = live_processes,
	.filters = live_filters,
	.av_products = live_av_products,
	.grace_days = live_grace_days,
	.rdp_cert = live_rdp_cert,
	.events = live_events,
	.drives = live_drives,
	.now = live_now,
	.free = live_free,
};

int winsrc_live_open(struct winsrc *ret)
{
	ret->ops = &live_ops;
	ret->self = NULL;
	return 0;
}
