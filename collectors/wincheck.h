/*
 * The Windows collectors' readers and judges, platform-neutral: a reader
 * (wincheck_*_read) fills a plain struct from a winsrc.h source (the live
 * Windows APIs, or a JSON fixture in tests), a judge (wincheck_*_judge)
 * turns the struct into verdicts with the same model as the Linux
 * collectors: blocking the application is LEVEL_SUPPORT (2), the
 * antivirus product, RDS licensing and the file server LEVEL_THIRD_PARTY
 * (4). Ids reuse the Linux ones where the meaning is the same
 * (antivirus.product.conflict, terminal_server.rdp.nla_not_required...).
 * Every id is documented in docs/collectors/windows.md.
 */
#ifndef RDIAG_WINCHECK_H
#define RDIAG_WINCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "rdiag/collector.h"
#include "winsrc.h"

/* What the judges need to know about the application. */
struct wincheck_app {
	const char *exe; /* C:\Program Files\Dms\dms.exe, or NULL */
	/* D:\DmsData...: NULL-terminated, or NULL when none is configured */
	const char *const *data_dirs;
	/* event log providers the application writes as, NULL-terminated */
	const char *const *sources;
};

/* Is path at or below dir? Case-insensitive (ASCII), '/' equals '\'. */
bool wincheck_path_under(const char *path, const char *dir);

/* A list of strings (exclusions, allowed applications...). */
struct wincheck_strs {
	char **v;
	size_t n;
};

/* -1 unknown/not set, else the value. */
#define WINCHECK_UNSET (-1)

/* ---- Antivirus: Defender, Security Center, minifilters ---- */

#define WINCHECK_SIGNATURE_OLD_DAYS 7
#define WINCHECK_AV_ALTITUDE_MIN    320000
#define WINCHECK_AV_ALTITUDE_MAX    329999

struct wincheck_asr_rule {
	char guid[40];
	int action; /* 0 off, 1 block, 2 audit, 6 warn */
};

struct wincheck_defender {
	bool installed;     /* the Windows Defender key exists */
	bool disabled;      /* DisableAntiSpyware (policy or local) */
	int realtime;       /* 1 on, 0 off, UNSET */
	int tamper;         /* 1 on, 0 off, UNSET (Features\TamperProtection) */
	char engine[64];    /* EngineVersion */
	char signature[64]; /* AVSignatureVersion */
	time_t signatures_updated; /* 0 unknown */
	bool local_merge_off;      /* policy DisableLocalAdminMerge */
	struct wincheck_strs excl_paths, excl_processes, excl_extensions;
	int cfa; /* 0 off, 1 block, 2 audit, UNSET */
	struct wincheck_strs cfa_allowed, cfa_folders;
	struct wincheck_asr_rule *asr;
	size_t nasr;
};

struct wincheck_minifilter {
	char name[64];
	uint32_t altitude; /* integer part; 0 when unparsable */
	uint32_t instances;
	const char *product; /* known product name, or NULL */
};

struct wincheck_sc_product {
	char name[128];
	bool enabled;    /* productState scanner bits */
	bool up_to_date; /* productState signature bits */
};

struct wincheck_av {
	time_t now;
	struct wincheck_defender def;
	bool have_filters; /* FilterFindFirst answered */
	struct wincheck_minifilter *filters;
	size_t nfilters;
	/* products whose service is installed and not disabled: what a
	 * Server without SecurityCenter2, or a run without the rights to
	 * list filters, still shows */
	struct wincheck_strs services;
	bool have_sc; /* SecurityCenter2 exists (not on Server) */
	struct wincheck_sc_product *sc;
	size_t nsc;
};

int wincheck_av_read(const struct winsrc *src, struct wincheck_av *ret);
void wincheck_av_release(struct wincheck_av *a);
/*
 * antivirus.defender.* (realtime_off, realtime_blocks_app, excluded,
 * local_exclusions_ignored, signatures_old, cfa_blocks_app, cfa_audit,
 * asr_blocks_app), antivirus.minifilter.present, antivirus.product.conflict
 * / present / none.
 */
void wincheck_av_judge(const struct wincheck_av *a,
		       const struct wincheck_app *app,
		       struct verdict_list *out);

/* ---- Remote Desktop Services ---- */

#define WINCHECK_GRACE_WARN_DAYS 14
#define WINCHECK_IDLE_LONG_MS    (24LL * 3600 * 1000)

struct wincheck_rds_session {
	uint32_t id;
	char station[32];
	char user[64];
	enum winsrc_wts_state state;
	int64_t idle_ms;
	unsigned processes;
	uint64_t memory; /* working sets, bytes */
};

struct wincheck_rds {
	time_t now;
	bool role;                 /* RD Session Host installed */
	int licensing_mode;        /* 2 per device, 4 per user, 5/UNSET none */
	char license_servers[256]; /* "" when none */
	int64_t grace_days;        /* UNSET when unknown */
	int security_layer;        /* 0 RDP, 1 negotiate, 2 TLS, UNSET */
	int user_auth;             /* NLA 1/0, UNSET */
	int min_encryption;        /* 1 low .. 4 FIPS, UNSET */
	bool have_cert;
	struct winsrc_cert cert;
	int drive_redirection_off;   /* fDisableCdm */
	int printer_redirection_off; /* fDisableCpm */
	bool have_sessions;
	struct wincheck_rds_session *sessions;
	size_t nsessions;
};

int wincheck_rds_read(const struct winsrc *src, struct wincheck_rds *ret);
void wincheck_rds_release(struct wincheck_rds *r);
/*
 * terminal_server.rds.* (not_installed, licensing_not_configured,
 * grace_expiring, grace_expired, licensing_ok, encryption_low,
 * sessions, disconnected_idle, drive_redirection_off,
 * printer_redirection_off), terminal_server.rdp.plain_security,
 * .nla_not_required, .cert_expired, .cert_expiring, .cert_self_signed.
 */
void wincheck_rds_judge(const struct wincheck_rds *r, struct verdict_list *out);

/* ---- SMB client and mapped drives ---- */

struct wincheck_smb {
	int smb1;             /* mrxsmb10 loads (Start != 4); UNSET: absent */
	int signing_required; /* RequireSecuritySignature */
	int encryption_required; /* RequireEncryption */
	int offline_files;       /* CSC service enabled (policy wins) */
	bool have_drives;
	struct winsrc_drive *drives;
	size_t ndrives;
};

int wincheck_smb_read(const struct winsrc *src, struct wincheck_smb *ret);
void wincheck_smb_release(struct wincheck_smb *s);
/*
 * nas.smb_client.smb1_enabled, .signing_required, .encryption_required,
 * nas.offline_files.enabled, nas.drive.unavailable, nas.drive.ok.
 */
void wincheck_smb_judge(const struct wincheck_smb *s,
			const struct wincheck_app *app,
			struct verdict_list *out);

/* ---- Event log ---- */

/* Excerpts quoted per finding. */
#define WINCHECK_EVENTS_SHOWN 5

struct wincheck_events {
	bool available; /* EvtQuery answered for at least one channel */
	int error;      /* the last channel's -errno when it did not */
	struct winsrc_event *app_errors; /* the application's sources */
	size_t napp_errors;
	struct winsrc_event *crashes; /* Application Error 1000, WER 1001 */
	size_t ncrashes;
	struct winsrc_event *hangs; /* Application Hang 1002 */
	size_t nhangs;
};

int wincheck_events_read(const struct winsrc *src,
			 const struct wincheck_app *app, time_t since,
			 struct wincheck_events *ret);
void wincheck_events_release(struct wincheck_events *e);
/*
 * product.eventlog.errors, .no_errors, .unavailable, product.crash.reported,
 * product.hang.reported.
 */
void wincheck_events_judge(const struct wincheck_events *e,
			   const struct wincheck_app *app,
			   struct verdict_list *out);

#endif
