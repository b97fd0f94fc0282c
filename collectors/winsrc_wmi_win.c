/*
 * WMI for the live source: a local connection to one namespace, a WQL
 * query, the properties the readers use. ole32 and oleaut32 are loaded
 * from System32 at run time (rdiag.exe links no COM import library), and
 * the two GUIDs are spelled here for the same reason. Each call starts and
 * ends COM on its thread: collectors run one at a time in their worker.
 */
#define COBJMACROS
#include <windows.h>

#include <ole2.h>
#include <wbemcli.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rdiag/util.h"
#include "winsrc_wmi_win.h"

#ifndef LOAD_LIBRARY_SEARCH_SYSTEM32
#define LOAD_LIBRARY_SEARCH_SYSTEM32 0x00000800
#endif

/* Objects read from one query at most. */
#define WMI_OBJECTS_MAX 256
/* Milliseconds one IEnumWbemClassObject_Next may take. */
#define WMI_NEXT_MS 10000

static const CLSID clsid_wbem_locator = { 0x4590f811,
					  0x1d3a,
					  0x11d0,
					  { 0x89, 0x1f, 0x00, 0xaa, 0x00, 0x4b,
					    0x2e, 0x24 } };
static const IID iid_wbem_locator = { 0xdc12a687,
				      0x737f,
				      0x11cf,
				      { 0x88, 0x4d, 0x00, 0xaa, 0x00, 0x4b,
					0x2e, 0x24 } };

struct com {
	HRESULT(WINAPI *init)(LPVOID, DWORD);
	void(WINAPI *uninit)(void);
	HRESULT(WINAPI *create)(REFCLSID, LPUNKNOWN, DWORD, REFIID, LPVOID *);
	HRESULT(WINAPI *blanket)
	(IUnknown *, DWORD, DWORD, OLECHAR *, DWORD, DWORD,
	 RPC_AUTH_IDENTITY_HANDLE, DWORD);
	BSTR(WINAPI *alloc)(const OLECHAR *);
	void(WINAPI *sysfree)(BSTR);
	HRESULT(WINAPI *vclear)(VARIANTARG *);
	bool started;
	IWbemServices *svc;
};

typedef void (*any_fn)(void);

static any_fn sym(const wchar_t *dll, const char *fn)
{
	HMODULE m = LoadLibraryExW(dll, NULL, LOAD_LIBRARY_SEARCH_SYSTEM32);

	return m ? (any_fn)(void (*)(void))GetProcAddress(m, fn) : NULL;
}

static int com_errno(HRESULT hr)
{
	if (hr == (HRESULT)WBEM_E_INVALID_NAMESPACE ||
	    hr == (HRESULT)WBEM_E_INVALID_CLASS ||
	    hr == (HRESULT)WBEM_E_NOT_FOUND)
		return -ENOENT;
	if (hr == (HRESULT)WBEM_E_ACCESS_DENIED || hr == E_ACCESSDENIED)
		return -EACCES;
	return -EIO;
}

static void com_end(struct com *c)
{
	if (c->svc)
		IWbemServices_Release(c->svc);
	c->svc = NULL;
	if (c->started)
		c->uninit();
	c->started = false;
}

/* COM started and connected to namespace ns (e.g. L"ROOT\\CIMV2"). */
static int com_start(struct com *c, const wchar_t *ns)
{
	IWbemLocator *loc = NULL;
	BSTR bns;
	HRESULT hr;

	memset(c, 0, sizeof(*c));
	c->init = (HRESULT(WINAPI *)(LPVOID, DWORD))sym(L"ole32.dll",
							"CoInitializeEx");
	c->uninit = (void(WINAPI *)(void))sym(L"ole32.dll", "CoUninitialize");
	c->create = (HRESULT(WINAPI *)(REFCLSID, LPUNKNOWN, DWORD, REFIID,
				       LPVOID *))sym(L"ole32.dll",
						     "CoCreateInstance");
	c->blanket = (HRESULT(WINAPI *)(IUnknown *, DWORD, DWORD, OLECHAR *,
					DWORD, DWORD, RPC_AUTH_IDENTITY_HANDLE,
					DWORD))sym(L"ole32.dll",
						   "CoSetProxyBlanket");
	c->alloc = (BSTR(WINAPI *)(const OLECHAR *))sym(L"oleaut32.dll",
							"SysAllocString");
	c->sysfree =
		(void(WINAPI *)(BSTR))sym(L"oleaut32.dll", "SysFreeString");
	c->vclear = (HRESULT(WINAPI *)(VARIANTARG *))sym(L"oleaut32.dll",
							 "VariantClear");
	if (!c->init || !c->uninit || !c->create || !c->blanket || !c->alloc ||
	    !c->sysfree || !c->vclear)
		return -ENOSYS;
	hr = c->init(NULL, COINIT_MULTITHREADED);
	if (FAILED(hr))
		return -EIO;
	c->started = true;
	hr = c->create(&clsid_wbem_locator, NULL, CLSCTX_INPROC_SERVER,
		       &iid_wbem_locator, (LPVOID *)&loc);
	if (FAILED(hr)) {
		com_end(c);
		return -ENOSYS;
	}
	bns = c->alloc(ns);
	hr = IWbemLocator_ConnectServer(loc, bns, NULL, NULL, NULL, 0, NULL,
					NULL, &c->svc);
	c->sysfree(bns);
	IWbemLocator_Release(loc);
	if (FAILED(hr)) {
		c->svc = NULL;
		com_end(c);
		return com_errno(hr);
	}
	c->blanket((IUnknown *)c->svc, RPC_C_AUTHN_WINNT, RPC_C_AUTHZ_NONE,
		   NULL, RPC_C_AUTHN_LEVEL_CALL, RPC_C_IMP_LEVEL_IMPERSONATE,
		   NULL, EOAC_NONE);
	return 0;
}

static int com_query(struct com *c, const wchar_t *wql,
		     IEnumWbemClassObject **ret)
{
	BSTR lang = c->alloc(L"WQL"), q = c->alloc(wql);
	HRESULT hr;

	hr = IWbemServices_ExecQuery(c->svc, lang, q,
				     WBEM_FLAG_FORWARD_ONLY |
					     WBEM_FLAG_RETURN_IMMEDIATELY,
				     NULL, ret);
	c->sysfree(lang);
	c->sysfree(q);
	return FAILED(hr) ? com_errno(hr) : 0;
}

/* A string property as sanitised UTF-8 ("" when absent or not a string). */
static char *get_string(struct com *c, IWbemClassObject *o, const wchar_t *name)
{
	VARIANT v;
	char *s;

	memset(&v, 0, sizeof(v)); /* VariantInit without oleaut32 */
	if (FAILED(IWbemClassObject_Get(o, name, 0, &v, NULL, NULL)))
		return xstrdup("");
	if (v.vt == VT_BSTR && v.bstrVal)
		s = winsrc_text_utf16((const uint16_t *)v.bstrVal,
				      WINSRC_STR_MAX);
	else
		s = xstrdup("");
	c->vclear(&v);
	return s;
}

static int get_int(struct com *c, IWbemClassObject *o, const wchar_t *name,
		   int64_t *ret)
{
	VARIANT v;
	int r = 0;

	memset(&v, 0, sizeof(v)); /* VariantInit without oleaut32 */
	if (FAILED(IWbemClassObject_Get(o, name, 0, &v, NULL, NULL)))
		return -ENOENT;
	if (v.vt == VT_I4)
		*ret = v.lVal;
	else if (v.vt == VT_UI4)
		*ret = v.ulVal;
	else
		r = -EINVAL;
	c->vclear(&v);
	return r;
}

int winsrc_wmi_av_products(struct winsrc_av_product **ret, size_t *ret_n)
{
	struct winsrc_av_product *v = NULL;
	IEnumWbemClassObject *e = NULL;
	IWbemClassObject *o;
	struct com c;
	size_t n = 0;
	ULONG got;
	int r;

	if ((r = com_start(&c, L"ROOT\\SecurityCenter2")) < 0)
		return r;
	if ((r = com_query(&c,
			   L"SELECT displayName, productState, "
			   L"pathToSignedReportingExe FROM AntiVirusProduct",
			   &e)) < 0)
		goto out;
	v = xcalloc(WMI_OBJECTS_MAX + 1, sizeof(*v));
	while (n < WMI_OBJECTS_MAX &&
	       IEnumWbemClassObject_Next(e, WMI_NEXT_MS, 1, &o, &got) ==
		       WBEM_S_NO_ERROR &&
	       got == 1) {
		int64_t state = 0;

		v[n].name = get_string(&c, o, L"displayName");
		v[n].exe = get_string(&c, o, L"pathToSignedReportingExe");
		if (get_int(&c, o, L"productState", &state) == 0)
			v[n].product_state = (uint32_t)state;
		n++;
		IWbemClassObject_Release(o);
	}
	*ret = v;
	*ret_n = n;
	v = NULL;
out:
	free(v);
	if (e)
		IEnumWbemClassObject_Release(e);
	com_end(&c);
	return r;
}

int winsrc_wmi_grace_days(int64_t *ret)
{
	IWbemClassObject *o = NULL, *out_params = NULL;
	IEnumWbemClassObject *e = NULL;
	BSTR path = NULL, method = NULL;
	struct com c;
	VARIANT v;
	ULONG got;
	HRESULT hr;
	int r;

	if ((r = com_start(&c, L"ROOT\\CIMV2\\TerminalServices")) < 0)
		return r;
	if ((r = com_query(&c, L"SELECT * FROM Win32_TerminalServiceSetting",
			   &e)) < 0)
		goto out;
	if (IEnumWbemClassObject_Next(e, WMI_NEXT_MS, 1, &o, &got) !=
		    WBEM_S_NO_ERROR ||
	    got != 1) {
		r = -ENOENT;
		goto out;
	}
	memset(&v, 0, sizeof(v)); /* VariantInit without oleaut32 */
	if (FAILED(IWbemClassObject_Get(o, L"__PATH", 0, &v, NULL, NULL)) ||
	    v.vt != VT_BSTR) {
		c.vclear(&v);
		r = -EIO;
		goto out;
	}
	path = c.alloc(v.bstrVal);
	c.vclear(&v);
	method = c.alloc(L"GetGracePeriodDays");
	hr = IWbemServices_ExecMethod(c.svc, path, method, 0, NULL, NULL,
				      &out_params, NULL);
	if (FAILED(hr)) {
		r = com_errno(hr);
		goto out;
	}
	r = get_int(&c, out_params, L"DaysLeft", ret);
out:
	if (path)
		c.sysfree(path);
	if (method)
		c.sysfree(method);
	if (out_params)
		IWbemClassObject_Release(out_params);
	if (o)
		IWbemClassObject_Release(o);
	if (e)
		IEnumWbemClassObject_Release(e);
	com_end(&c);
	return r;
}
