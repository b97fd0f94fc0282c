/*
 * Where the Windows collectors get their raw facts: a source is a small
 * vtable over the Windows calls they make (registry values, the WTS API,
 * the minifilter list, Security Center, the event log, mapped drives).
 * winsrc_win.c implements it with the live APIs (Windows builds only);
 * winsrc_fixture.c with a JSON fixture in the shapes those APIs return, so
 * the readers and judges in wincheck_*.c run unchanged on Linux in tests.
 * Every string a source hands out is valid UTF-8, converted from UTF-16
 * with utf8_from_utf16() and bounded (WINSRC_STR_MAX): it is still
 * untrusted text (names anyone with write access to a key can choose).
 * No windows.h here: the types below are the APIs' shapes, not theirs.
 */
#ifndef RDIAG_WINSRC_H
#define RDIAG_WINSRC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Longest string kept from any source, in UTF-8 bytes. */
#define WINSRC_STR_MAX 1024
/* Most items kept from one list (values of a key, sessions, events...). */
#define WINSRC_LIST_MAX 4096

/* Registry value types, numbered as winnt.h's REG_* constants. */
enum winsrc_reg_type {
	WINSRC_REG_NONE = 0,
	WINSRC_REG_SZ = 1,
	WINSRC_REG_EXPAND_SZ = 2,
	WINSRC_REG_BINARY = 3,
	WINSRC_REG_DWORD = 4,
	WINSRC_REG_MULTI_SZ = 7,
	WINSRC_REG_QWORD = 11,
};

/* One registry value. */
struct winsrc_value {
	char *name; /* "" for the default value */
	enum winsrc_reg_type type;
	uint64_t num;   /* DWORD, QWORD; BINARY of 8 bytes (a FILETIME) */
	char *str;      /* SZ, EXPAND_SZ; MULTI_SZ joined with '\n' */
	size_t bin_len; /* BINARY: its length (the bytes are not kept) */
};

/* WTS_CONNECTSTATE_CLASS */
enum winsrc_wts_state {
	WINSRC_WTS_ACTIVE = 0,
	WINSRC_WTS_CONNECTED = 1,
	WINSRC_WTS_CONNECT_QUERY = 2,
	WINSRC_WTS_SHADOW = 3,
	WINSRC_WTS_DISCONNECTED = 4,
	WINSRC_WTS_IDLE = 5,
	WINSRC_WTS_LISTEN = 6,
	WINSRC_WTS_RESET = 7,
	WINSRC_WTS_DOWN = 8,
	WINSRC_WTS_INIT = 9,
};

/* WTS_SESSION_INFOW + WTSQuerySessionInformationW (user, idle time). */
struct winsrc_session {
	uint32_t id;
	char *station; /* pWinStationName: "RDP-Tcp#3", "Console", "" */
	enum winsrc_wts_state state;
	char *user;      /* WTSUserName, "" when none */
	int64_t idle_ms; /* CurrentTime - LastInputTime; -1 unknown */
};

/* WTS_PROCESS_INFO_EXW, the fields used. */
struct winsrc_process {
	uint32_t session_id;
	uint32_t pid;
	char *name;
	uint64_t working_set; /* bytes */
};

/* FILTER_AGGREGATE_BASIC_INFORMATION of a minifilter. */
struct winsrc_filter {
	char *name;
	char *altitude; /* a decimal string, may carry a fraction */
	uint32_t frame_id;
	uint32_t instances;
};

/* root\SecurityCenter2 AntiVirusProduct. */
struct winsrc_av_product {
	char *name;             /* displayName */
	uint32_t product_state; /* productState */
	char *exe;              /* pathToSignedReportingExe */
};

/* One event from EvtQuery, rendered (EvtRenderEventXml's System part). */
struct winsrc_event {
	char *channel;
	char *provider; /* Provider/@Name */
	uint32_t event_id;
	unsigned level;      /* 1 critical, 2 error, 3 warning, 4 info */
	time_t time_created; /* TimeCreated/@SystemTime */
	char *data;          /* EventData/Data joined with " | " */
};

/* A drive mapping: HKCU\Network\X and WNetGetConnectionW for X:. */
struct winsrc_drive {
	char letter;     /* 'Z' */
	char *remote;    /* \\nas\share, "" when unknown */
	bool persistent; /* under HKCU\Network */
	uint32_t status; /* WNetGetConnectionW's result, 0 = connected */
};

/* The RDP listener's certificate (by SSLCertificateSHA1Hash). */
struct winsrc_cert {
	time_t not_after;
	bool self_signed;
	bool trusted; /* chains to a trusted root */
};

/*
 * The operations. Each returns 0 or a negative errno: -ENOENT when the key,
 * value or facility is not there (a Server without SecurityCenter2),
 * -ENOSYS when the source cannot ask (wine), -EACCES when denied. Lists
 * are allocated (free with winsrc_free_*) and hold at most
 * WINSRC_LIST_MAX items. Registry keys are spelled
 * "HKLM\SOFTWARE\..." or "HKCU\...".
 */
struct winsrc_ops {
	int (*reg_value)(void *self, const char *key, const char *name,
			 struct winsrc_value *ret);
	/* Every value of key (names and data). */
	int (*reg_values)(void *self, const char *key,
			  struct winsrc_value **ret, size_t *ret_n);
	/* The names of key's subkeys. */
	int (*reg_subkeys)(void *self, const char *key, char ***ret,
			   size_t *ret_n);
	int (*sessions)(void *self, struct winsrc_session **ret, size_t *ret_n);
	int (*processes)(void *self, struct winsrc_process **ret,
			 size_t *ret_n);
	int (*filters)(void *self, struct winsrc_filter **ret, size_t *ret_n);
	int (*av_products)(void *self, struct winsrc_av_product **ret,
			   size_t *ret_n);
	/* Win32_TerminalServiceSetting.GetGracePeriodDays */
	int (*grace_days)(void *self, int64_t *ret);
	int (*rdp_cert)(void *self, struct winsrc_cert *ret);
	/* Errors and worse of channel since since (0: all), newest first. */
	int (*events)(void *self, const char *channel, time_t since,
		      struct winsrc_event **ret, size_t *ret_n);
	int (*drives)(void *self, struct winsrc_drive **ret, size_t *ret_n);
	/* The time "now" for ages (a fixture pins it). */
	time_t (*now)(void *self);
	void (*free)(void *self);
};

struct winsrc {
	const struct winsrc_ops *ops;
	void *self;
};

/*
 * A source reading the fixture file path (JSON, see
 * tests/data/windows/README.md for its shape). Returns 0, or -errno with
 * *ret_err (caller frees) saying what is wrong with the file.
 */
int winsrc_fixture_open(const char *path, struct winsrc *ret, char **ret_err);
/*
 * The same from a parsed document (an object), which the source then
 * owns: for fuzzing without a file.
 */
struct json_t;
void winsrc_fixture_load(struct json_t *root, struct winsrc *ret);
/*
 * Wrap *inner (which the recorder then owns; *inner is emptied): every
 * call is passed on and its result kept in the fixture shape.
 * winsrc_record_dump() returns what was recorded as JSON text (caller
 * frees), NULL when rec is not a recorder.
 */
void winsrc_record_open(struct winsrc *inner, struct winsrc *ret);
char *winsrc_record_dump(const struct winsrc *rec);
/* The live source (Windows builds only; elsewhere -ENOSYS). */
int winsrc_live_open(struct winsrc *ret);
void winsrc_close(struct winsrc *s);

/* Convenience over reg_value: a DWORD/QWORD as a number; -ENOENT, -EINVAL
 * (another type). A REG_SZ holding a decimal number counts too (policies
 * written by hand often are strings). */
int winsrc_reg_number(const struct winsrc *s, const char *key, const char *name,
		      uint64_t *ret);
/* A string value as a new string (SZ, EXPAND_SZ, MULTI_SZ) or NULL. */
char *winsrc_reg_string(const struct winsrc *s, const char *key,
			const char *name);

/*
 * Untrusted text from a Windows API made safe to keep: UTF-16 converted
 * (lone surrogates to U+FFFD), controls, bidirectional overrides and the
 * like replaced by sanitize_text(), cut to WINSRC_STR_MAX bytes at a
 * character boundary. Caller frees. Every source passes its strings
 * through one of these.
 */
char *winsrc_text_utf16(const uint16_t *s, size_t n);
char *winsrc_text(const char *utf8);

void winsrc_value_release(struct winsrc_value *v);
void winsrc_free_values(struct winsrc_value *v, size_t n);
void winsrc_free_strings(char **v, size_t n);
void winsrc_free_sessions(struct winsrc_session *v, size_t n);
void winsrc_free_processes(struct winsrc_process *v, size_t n);
void winsrc_free_filters(struct winsrc_filter *v, size_t n);
void winsrc_free_av_products(struct winsrc_av_product *v, size_t n);
void winsrc_free_events(struct winsrc_event *v, size_t n);
void winsrc_free_drives(struct winsrc_drive *v, size_t n);

#endif
