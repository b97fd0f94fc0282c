/*
 * Remote Desktop Services on Windows: is this an RD Session Host, how it
 * is licensed (mode, licence server, grace period), how its RDP-Tcp
 * listener is secured (policy over the listener's own key, as the
 * service applies them), which redirections policy turns off, and the
 * sessions the WTS API lists with their processes and memory.
 */
#include <stdlib.h>
#include <string.h>

#include "rdiag/util.h"
#include "terminal_server_judge.h"
#include "wincheck.h"
#include "wincheck_private.h"

#define TS     "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server"
#define TSP    "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
#define RDPTCP TS "\\WinStations\\RDP-Tcp"
#define LICSRV                                                   \
	"HKLM\\SYSTEM\\CurrentControlSet\\Services\\TermService" \
	"\\Parameters\\LicenseServers"

/* Sessions listed in a finding's detail. */
#define SESSIONS_SHOWN 16

static void read_license_servers(const struct winsrc *src,
				 struct wincheck_rds *r)
{
	char *s = winsrc_reg_string(src, TSP, "LicenseServers");

	if (!s || !s[0]) {
		free(s);
		s = winsrc_reg_string(src, LICSRV, "SpecifiedLicenseServers");
	}
	for (char *p = s; p && *p; p++)
		if (*p == '\n')
			*p = ',';
	utf8_copy(r->license_servers, sizeof(r->license_servers), s ? s : "");
	free(s);
}

static void read_sessions(const struct winsrc *src, struct wincheck_rds *r)
{
	struct winsrc_session *s;
	struct winsrc_process *p = NULL;
	size_t n, np = 0;

	if (src->ops->sessions(src->self, &s, &n) < 0)
		return;
	r->have_sessions = true;
	if (src->ops->processes(src->self, &p, &np) < 0)
		np = 0;
	r->sessions = xcalloc(n + 1, sizeof(*r->sessions));
	for (size_t i = 0; i < n; i++) {
		struct wincheck_rds_session *o = &r->sessions[r->nsessions];

		/* the listeners and session 0 (services) are no users */
		if (s[i].state == WINSRC_WTS_LISTEN || s[i].id == 0)
			continue;
		o->id = s[i].id;
		utf8_copy(o->station, sizeof(o->station), s[i].station);
		utf8_copy(o->user, sizeof(o->user), s[i].user);
		o->state = s[i].state;
		o->idle_ms = s[i].idle_ms;
		for (size_t j = 0; j < np; j++)
			if (p[j].session_id == o->id) {
				o->processes++;
				o->memory += p[j].working_set;
			}
		r->nsessions++;
	}
	winsrc_free_sessions(s, n);
	winsrc_free_processes(p, np);
}

int wincheck_rds_read(const struct winsrc *src, struct wincheck_rds *ret)
{
	struct wincheck_rds r = { 0 };

	r.now = src->ops->now(src->self);
	r.role = wincheck_reg_int(src, TS, "TSAppCompat") == 1;
	r.licensing_mode = wincheck_reg_int2(
		src, TSP, TS "\\RCM\\Licensing Core", "LicensingMode");
	read_license_servers(src, &r);
	if (src->ops->grace_days(src->self, &r.grace_days) < 0)
		r.grace_days = WINCHECK_UNSET;
	r.security_layer = wincheck_reg_int2(src, TSP, RDPTCP, "SecurityLayer");
	r.user_auth = wincheck_reg_int2(src, TSP, RDPTCP, "UserAuthentication");
	r.min_encryption =
		wincheck_reg_int2(src, TSP, RDPTCP, "MinEncryptionLevel");
	r.drive_redirection_off =
		wincheck_reg_int2(src, TSP, RDPTCP, "fDisableCdm");
	r.printer_redirection_off =
		wincheck_reg_int2(src, TSP, RDPTCP, "fDisableCpm");
	r.have_cert = src->ops->rdp_cert(src->self, &r.cert) == 0;
	read_sessions(src, &r);
	*ret = r;
	return 0;
}

void wincheck_rds_release(struct wincheck_rds *r)
{
	free(r->sessions);
	memset(r, 0, sizeof(*r));
}

static void judge_licensing(const struct wincheck_rds *r,
			    struct verdict_list *out)
{
	bool mode_ok = r->licensing_mode == 2 || r->licensing_mode == 4;
	const char *mode = r->licensing_mode == 2   ? "per device"
			   : r->licensing_mode == 4 ? "per user"
						    : "not configured";

	if (mode_ok && r->license_servers[0]) {
		wincheck_add(out, "terminal_server.rds.licensing_ok",
			     SEVERITY_OK, LEVEL_THIRD_PARTY,
			     N_("RDS licensing is configured"), NULL,
			     "mode %s, licence server %s", mode,
			     r->license_servers);
		return;
	}
	if (r->grace_days == 0)
		wincheck_add(out, "terminal_server.rds.grace_expired",
			     SEVERITY_FAIL, LEVEL_THIRD_PARTY,
			     N_("The RDS licensing grace period is over: "
				"remote logons are refused"),
			     N_("Your IT configures the licensing mode and a "
				"licence server with RDS CALs (RD Licensing "
				"Manager, Group Policy)"),
			     "mode %s, licence server %s", mode,
			     r->license_servers[0] ? r->license_servers
						   : "none");
	else if (r->grace_days > 0 && r->grace_days <= WINCHECK_GRACE_WARN_DAYS)
		wincheck_add(out, "terminal_server.rds.grace_expiring",
			     SEVERITY_WARN, LEVEL_THIRD_PARTY,
			     N_("The RDS licensing grace period ends soon"),
			     N_("Your IT configures the licensing mode and a "
				"licence server with RDS CALs before it ends"),
			     "%lld days left; mode %s, licence server %s",
			     (long long)r->grace_days, mode,
			     r->license_servers[0] ? r->license_servers
						   : "none");
	else
		wincheck_add(
			out, "terminal_server.rds.licensing_not_configured",
			SEVERITY_WARN, LEVEL_THIRD_PARTY,
			N_("RDS licensing is not configured"),
			N_("Your IT configures the licensing mode and a "
			   "licence server with RDS CALs"),
			"mode %s, licence server %s, grace period %s", mode,
			r->license_servers[0] ? r->license_servers : "none",
			r->grace_days > 0 ? "running" : "unknown");
}

static void judge_listener(const struct wincheck_rds *r,
			   struct verdict_list *out)
{
	int64_t days;

	if (r->security_layer == 0)
		wincheck_add(out, "terminal_server.rdp.plain_security",
			     SEVERITY_WARN, LEVEL_THIRD_PARTY,
			     N_("The RDP server accepts standard RDP security "
				"without TLS"),
			     N_("Your IT sets the RDP-Tcp security layer to "
				"SSL (TLS) or Negotiate"),
			     "RDP-Tcp SecurityLayer = 0");
	if (r->user_auth == 0)
		wincheck_add(out, "terminal_server.rdp.nla_not_required",
			     SEVERITY_INFO, LEVEL_THIRD_PARTY,
			     N_("The RDP server does not require Network "
				"Level Authentication"),
			     NULL, "RDP-Tcp UserAuthentication = 0");
	if (r->min_encryption == 1)
		wincheck_add(out, "terminal_server.rds.encryption_low",
			     SEVERITY_WARN, LEVEL_THIRD_PARTY,
			     N_("The RDP server allows low encryption"),
			     N_("Your IT raises MinEncryptionLevel (Group "
				"Policy: Set client connection encryption "
				"level) or requires TLS"),
			     "RDP-Tcp MinEncryptionLevel = 1");
	if (!r->have_cert || !r->now)
		return;
	days = ((int64_t)r->cert.not_after - (int64_t)r->now) / 86400;
	if (r->cert.not_after < r->now)
		wincheck_add(out, "terminal_server.rdp.cert_expired",
			     SEVERITY_FAIL, LEVEL_THIRD_PARTY,
			     N_("The RDP server's certificate has expired"),
			     N_("Ask the terminal server's administrator to "
				"renew the certificate"),
			     "expired %lld days ago", (long long)-days);
	else if (days < TERMINAL_SERVER_CERT_WARN_DAYS)
		wincheck_add(out, "terminal_server.rdp.cert_expiring",
			     SEVERITY_WARN, LEVEL_THIRD_PARTY,
			     N_("The RDP server's certificate expires soon"),
			     N_("Ask the terminal server's administrator to "
				"renew the certificate"),
			     "%lld days left", (long long)days);
	if (r->cert.self_signed && !r->cert.trusted)
		wincheck_add(out, "terminal_server.rdp.cert_self_signed",
			     SEVERITY_WARN, LEVEL_THIRD_PARTY,
			     N_("The RDP server's certificate is self-signed"),
			     N_("Ask the terminal server's administrator to "
				"install a certificate from your company's "
				"CA"),
			     NULL);
}

static const char *state_name(enum winsrc_wts_state s)
{
	switch (s) {
	case WINSRC_WTS_ACTIVE:
		return "active";
	case WINSRC_WTS_CONNECTED:
		return "connected";
	case WINSRC_WTS_DISCONNECTED:
		return "disconnected";
	case WINSRC_WTS_IDLE:
		return "idle";
	default:
		return "other";
	}
}

static void judge_sessions(const struct wincheck_rds *r,
			   struct verdict_list *out)
{
	size_t active = 0, disc = 0, stale = 0;
	uint64_t stale_mem = 0;
	char size[32];
	struct buf b;

	if (!r->have_sessions)
		return;
	buf_init(&b, 8192);
	for (size_t i = 0; i < r->nsessions; i++) {
		const struct wincheck_rds_session *s = &r->sessions[i];

		if (s->state == WINSRC_WTS_ACTIVE)
			active++;
		if (s->state == WINSRC_WTS_DISCONNECTED) {
			disc++;
			if (s->idle_ms > WINCHECK_IDLE_LONG_MS) {
				stale++;
				stale_mem += s->memory;
			}
		}
		if (i < SESSIONS_SHOWN) {
			format_size(s->memory, size, sizeof(size));
			buf_printf(&b, "%s%u %s %s %s, %u processes, %s",
				   i ? "; " : "", s->id,
				   s->user[0] ? s->user : "-",
				   s->station[0] ? s->station : "-",
				   state_name(s->state), s->processes, size);
		}
	}
	if (r->nsessions > SESSIONS_SHOWN)
		buf_printf(&b, "; and %zu more", r->nsessions - SESSIONS_SHOWN);
	wincheck_add(out, "terminal_server.rds.sessions", SEVERITY_INFO,
		     LEVEL_THIRD_PARTY, N_("Remote Desktop sessions"), NULL,
		     "%zu sessions, %zu active, %zu disconnected: %s",
		     r->nsessions, active, disc, b.data ? b.data : "none");
	if (stale) {
		format_size(stale_mem, size, sizeof(size));
		wincheck_add(out, "terminal_server.rds.disconnected_idle",
			     SEVERITY_WARN, LEVEL_THIRD_PARTY,
			     N_("Disconnected sessions have been kept for "
				"more than a day"),
			     N_("Your IT sets a limit for disconnected "
				"sessions (Group Policy: Set time limit for "
				"disconnected sessions); their programs keep "
				"files and licences open"),
			     "%zu sessions idle for more than 24 hours hold "
			     "%s of memory",
			     stale, size);
	}
	buf_release(&b);
}

void wincheck_rds_judge(const struct wincheck_rds *r, struct verdict_list *out)
{
	if (!r->role)
		wincheck_add(out, "terminal_server.rds.not_installed",
			     SEVERITY_OK, LEVEL_THIRD_PARTY,
			     N_("This server is not an RD Session Host"), NULL,
			     NULL);
	else
		judge_licensing(r, out);
	judge_listener(r, out);
	judge_sessions(r, out);
	if (r->drive_redirection_off == 1)
		wincheck_add(out, "terminal_server.rds.drive_redirection_off",
			     SEVERITY_INFO, LEVEL_THIRD_PARTY,
			     N_("Policy turns off drive redirection"),
			     N_("If the application opens files on the "
				"users' own drives (\\\\tsclient\\C), your IT "
				"allows drive redirection"),
			     "fDisableCdm = 1");
	if (r->printer_redirection_off == 1)
		wincheck_add(out, "terminal_server.rds.printer_redirection_off",
			     SEVERITY_INFO, LEVEL_THIRD_PARTY,
			     N_("Policy turns off printer redirection"),
			     N_("If users print from the application to "
				"their local printers, your IT allows printer "
				"redirection"),
			     "fDisableCpm = 1");
}
