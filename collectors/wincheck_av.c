/*
 * Antivirus on Windows: Microsoft Defender's settings from the registry
 * (the policy key wins over the local one, exclusions of both merge unless
 * the policy turns the merge off), the products Security Center knows and
 * the file-system minifilters in the "anti-virus" altitude group
 * (320000-329999), which are on Windows what fanotify permission groups
 * are on Linux: code that sees every open before the application does.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rdiag/util.h"
#include "wincheck.h"
#include "wincheck_private.h"

#define DEF "HKLM\\SOFTWARE\\Microsoft\\Windows Defender"
#define POL "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender"
#define EG  "\\Windows Defender Exploit Guard"
#define CFA EG "\\Controlled Folder Access"

/* Seconds between 1601-01-01 (FILETIME) and 1970-01-01. */
#define FILETIME_UNIX_OFFSET 11644473600LL

/* Minifilters of known products (driver names, case-insensitive). */
static const struct {
	const char *filter;
	const char *product;
} known_filters[] = {
	{ "WdFilter", "Microsoft Defender" },
	{ "CSAgent", "CrowdStrike Falcon" },
	{ "SentinelMonitor", "SentinelOne" },
	{ "klif", "Kaspersky" },
	{ "eamonm", "ESET" },
	{ "ehdrv", "ESET" },
	{ "mfehidk", "Trellix (McAfee)" },
	{ "mfeavfk", "Trellix (McAfee)" },
	{ "SymEFASI", "Symantec Endpoint Protection" },
	{ "SRTSP", "Symantec Endpoint Protection" },
	{ "TmPreFilter", "Trend Micro" },
	{ "avgntflt", "Avira" },
	{ "gzflt", "Bitdefender" },
	{ "avc3", "Bitdefender" },
	{ "SAVOnAccess", "Sophos" },
	{ "SophosED", "Sophos" },
	{ "aswSP", "Avast / AVG" },
	{ "aswMonFlt", "Avast / AVG" },
	{ "CyProtectDrv", "Cylance" },
	{ "WRkrn", "Webroot" },
};

/*
 * Attack surface reduction rules that stop ordinary line-of-business
 * programs, not only malware: the ones worth naming when they block.
 */
static const struct {
	const char *guid;
	const char *what;
} asr_app_rules[] = {
	{ "01443614-cd74-433a-b99e-2ecdc07bfc25",
	  "executables that are not prevalent, old enough or trusted" },
	{ "c1db55ab-c21a-4637-bb3f-a12568109d35",
	  "advanced protection against ransomware" },
	{ "d1e49aac-8f56-4280-b9ba-993a6d77406c",
	  "process creation from PSExec and WMI commands" },
	{ "d4f940ab-401b-4efc-aadc-ad5f3c50688a",
	  "Office applications creating child processes" },
	{ "92e97fa1-2edf-4476-bdd6-9dd0b4dddc7b",
	  "Win32 API calls from Office macros" },
	{ "b2b3f03d-6a65-4f7b-a9c7-1c7ef74a9ba4",
	  "untrusted and unsigned processes that run from USB" },
};

/* Services of known products (HKLM\SYSTEM\...\Services\NAME). */
static const struct {
	const char *service;
	const char *product;
} known_services[] = {
	{ "CSFalconService", "CrowdStrike Falcon" },
	{ "SentinelAgent", "SentinelOne" },
	{ "ekrn", "ESET" },
	{ "AVP", "Kaspersky" },
	{ "klnagent", "Kaspersky" },
	{ "SepMasterService", "Symantec Endpoint Protection" },
	{ "mfemms", "Trellix (McAfee)" },
	{ "Sophos Endpoint Defense Service", "Sophos" },
	{ "SAVService", "Sophos" },
	{ "ntrtscan", "Trend Micro" },
	{ "EPSecurityService", "Bitdefender" },
	{ "CylanceSvc", "Cylance" },
	{ "WRSVC", "Webroot" },
	{ "CbDefense", "VMware Carbon Black" },
};

#define SERVICES "HKLM\\SYSTEM\\CurrentControlSet\\Services\\"

/* The products whose service exists with a start type other than 4. */
static void read_services(const struct winsrc *src, struct wincheck_av *a)
{
	for (size_t i = 0; i < sizeof(known_services) / sizeof(*known_services);
	     i++) {
		char *key = xasprintf(SERVICES "%s", known_services[i].service);
		int start = wincheck_reg_int(src, key, "Start");
		bool seen = false;

		free(key);
		if (start == WINCHECK_UNSET || start == 4)
			continue;
		for (size_t j = 0; j < a->services.n; j++)
			if (strcmp(a->services.v[j],
				   known_services[i].product) == 0)
				seen = true;
		if (!seen)
			wincheck_strs_add(&a->services,
					  known_services[i].product);
	}
}

static const char *filter_product(const char *name)
{
	for (size_t i = 0; i < sizeof(known_filters) / sizeof(*known_filters);
	     i++)
		if (strcasecmp(known_filters[i].filter, name) == 0)
			return known_filters[i].product;
	return NULL;
}

static time_t filetime_to_unix(uint64_t ft)
{
	int64_t s = (int64_t)(ft / 10000000u) - FILETIME_UNIX_OFFSET;

	return s > 0 ? (time_t)s : 0;
}

static void read_string(const struct winsrc *src, const char *key,
			const char *name, char *dst, size_t len)
{
	char *s = winsrc_reg_string(src, key, name);

	utf8_copy(dst, len, s ? s : "");
	free(s);
}

static void read_asr(const struct winsrc *src, const char *key,
		     struct wincheck_defender *d)
{
	struct winsrc_value *v;
	size_t n;

	if (src->ops->reg_values(src->self, key, &v, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		struct wincheck_asr_rule *rule = NULL;
		uint64_t action;

		if (v[i].type == WINSRC_REG_DWORD)
			action = v[i].num;
		else if (v[i].type == WINSRC_REG_SZ && v[i].str &&
			 v[i].str[0] >= '0' && v[i].str[0] <= '9' &&
			 !v[i].str[1])
			action = (uint64_t)(v[i].str[0] - '0');
		else
			continue;
		if (strlen(v[i].name) >= sizeof(rule->guid))
			continue;
		/* the policy key is read first and wins */
		for (size_t j = 0; j < d->nasr; j++)
			if (strcasecmp(d->asr[j].guid, v[i].name) == 0)
				rule = &d->asr[j];
		if (rule)
			continue;
		if (d->nasr >= WINSRC_LIST_MAX)
			break;
		d->asr = xreallocarray(d->asr, d->nasr + 1, sizeof(*d->asr));
		rule = &d->asr[d->nasr++];
		utf8_copy(rule->guid, sizeof(rule->guid), v[i].name);
		rule->action = action > 9 ? 9 : (int)action;
	}
	winsrc_free_values(v, n);
}

static void read_defender(const struct winsrc *src, struct wincheck_defender *d)
{
	struct winsrc_value v = { 0 };
	char **sub;
	size_t nsub;
	int x;

	d->realtime = d->tamper = d->cfa = WINCHECK_UNSET;
	if (src->ops->reg_subkeys(src->self, DEF, &sub, &nsub) == 0) {
		winsrc_free_strings(sub, nsub);
		d->installed = nsub > 0;
	}
	if (!d->installed)
		return;
	d->disabled =
		wincheck_reg_int2(src, POL, DEF, "DisableAntiSpyware") == 1;
	x = wincheck_reg_int2(src, POL "\\Real-Time Protection",
			      DEF "\\Real-Time Protection",
			      "DisableRealtimeMonitoring");
	/* on unless turned off: Defender's default */
	d->realtime = d->disabled ? 0 : x == WINCHECK_UNSET ? 1 : x == 0;
	x = wincheck_reg_int(src, DEF "\\Features", "TamperProtection");
	if (x != WINCHECK_UNSET)
		d->tamper = x & 1;
	read_string(src, DEF "\\Signature Updates", "EngineVersion", d->engine,
		    sizeof(d->engine));
	read_string(src, DEF "\\Signature Updates", "AVSignatureVersion",
		    d->signature, sizeof(d->signature));
	if (src->ops->reg_value(src->self, DEF "\\Signature Updates",
				"SignaturesLastUpdated", &v) == 0) {
		if ((v.type == WINSRC_REG_BINARY && v.bin_len == 8) ||
		    v.type == WINSRC_REG_QWORD)
			d->signatures_updated = filetime_to_unix(v.num);
		winsrc_value_release(&v);
	}
	d->local_merge_off =
		wincheck_reg_int(src, POL, "DisableLocalAdminMerge") == 1;
	wincheck_strs_read_names(src, POL "\\Exclusions\\Paths",
				 &d->excl_paths);
	wincheck_strs_read_names(src, POL "\\Exclusions\\Processes",
				 &d->excl_processes);
	wincheck_strs_read_names(src, POL "\\Exclusions\\Extensions",
				 &d->excl_extensions);
	if (!d->local_merge_off) {
		wincheck_strs_read_names(src, DEF "\\Exclusions\\Paths",
					 &d->excl_paths);
		wincheck_strs_read_names(src, DEF "\\Exclusions\\Processes",
					 &d->excl_processes);
		wincheck_strs_read_names(src, DEF "\\Exclusions\\Extensions",
					 &d->excl_extensions);
	}
	d->cfa = wincheck_reg_int2(src, POL CFA, DEF CFA,
				   "EnableControlledFolderAccess");
	wincheck_strs_read_names(src, POL CFA "\\AllowedApplications",
				 &d->cfa_allowed);
	wincheck_strs_read_names(src, DEF CFA "\\AllowedApplications",
				 &d->cfa_allowed);
	wincheck_strs_read_names(src, POL CFA "\\ProtectedFolders",
				 &d->cfa_folders);
	wincheck_strs_read_names(src, DEF CFA "\\ProtectedFolders",
				 &d->cfa_folders);
	read_asr(src, POL EG "\\ASR\\Rules", d);
	read_asr(src, DEF EG "\\ASR\\Rules", d);
}

/* "328010.5" -> 328010; 0 when it is not a number. */
static uint32_t parse_altitude(const char *s)
{
	uint32_t v = 0;

	if (!(*s >= '0' && *s <= '9'))
		return 0;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > 99999999)
			return 0;
		v = v * 10 + (uint32_t)(*s - '0');
	}
	return *s == '\0' || *s == '.' ? v : 0;
}

int wincheck_av_read(const struct winsrc *src, struct wincheck_av *ret)
{
	struct wincheck_av a = { 0 };
	struct winsrc_av_product *p;
	struct winsrc_filter *f;
	size_t n;

	a.now = src->ops->now(src->self);
	read_defender(src, &a.def);
	if (src->ops->filters(src->self, &f, &n) == 0) {
		a.have_filters = true;
		a.filters = xcalloc(n + 1, sizeof(*a.filters));
		for (size_t i = 0; i < n; i++) {
			struct wincheck_minifilter *m = &a.filters[i];

			utf8_copy(m->name, sizeof(m->name), f[i].name);
			m->altitude = parse_altitude(f[i].altitude);
			m->instances = f[i].instances;
			m->product = filter_product(m->name);
		}
		a.nfilters = n;
		winsrc_free_filters(f, n);
	}
	read_services(src, &a);
	if (src->ops->av_products(src->self, &p, &n) == 0) {
		a.have_sc = true;
		a.sc = xcalloc(n + 1, sizeof(*a.sc));
		for (size_t i = 0; i < n; i++) {
			utf8_copy(a.sc[i].name, sizeof(a.sc[i].name),
				  p[i].name);
			/*
			 * productState 0x00SSDD00...: byte 1 bit 0x10 says the
			 * scanner is on, byte 0 bit 0x10 that signatures are
			 * out of date (not documented; what every reader of
			 * it uses).
			 */
			a.sc[i].enabled = (p[i].product_state >> 8 & 0x10) != 0;
			a.sc[i].up_to_date = (p[i].product_state & 0x10) == 0;
		}
		a.nsc = n;
		winsrc_free_av_products(p, n);
	}
	*ret = a;
	return 0;
}

void wincheck_av_release(struct wincheck_av *a)
{
	wincheck_strs_release(&a->def.excl_paths);
	wincheck_strs_release(&a->def.excl_processes);
	wincheck_strs_release(&a->def.excl_extensions);
	wincheck_strs_release(&a->def.cfa_allowed);
	wincheck_strs_release(&a->def.cfa_folders);
	wincheck_strs_release(&a->services);
	free(a->def.asr);
	free(a->filters);
	free(a->sc);
	memset(a, 0, sizeof(*a));
}

static const char *covering(const struct wincheck_strs *l, const char *path)
{
	for (size_t i = 0; path && i < l->n; i++)
		if (wincheck_path_under(path, l->v[i]))
			return l->v[i];
	return NULL;
}

/* A process exclusion names the executable by full path or file name. */
static bool process_excluded(const struct wincheck_strs *l, const char *exe)
{
	for (size_t i = 0; exe && i < l->n; i++)
		if (strcasecmp(l->v[i], exe) == 0 ||
		    strcasecmp(l->v[i], wincheck_basename(exe)) == 0)
			return true;
	return false;
}

static void judge_exclusions(const struct wincheck_defender *d,
			     const struct wincheck_app *app,
			     struct verdict_list *out)
{
	struct buf covered, open;
	const char *rule;

	if (!app->data_dirs || !app->data_dirs[0])
		return;
	buf_init(&covered, 4096);
	buf_init(&open, 4096);
	for (const char *const *dir = app->data_dirs; *dir; dir++)
		if ((rule = covering(&d->excl_paths, *dir)))
			buf_printf(&covered, "%s%s (by %s)",
				   covered.len ? ", " : "", *dir, rule);
		else
			buf_printf(&open, "%s%s", open.len ? ", " : "", *dir);
	if (covered.len)
		wincheck_add(out, "antivirus.defender.excluded", SEVERITY_OK,
			     LEVEL_SUPPORT,
			     N_("Defender excludes the application's data "
				"directory"),
			     NULL, "covered: %s", covered.data);
	if (open.len)
		wincheck_add(
			out, "antivirus.defender.realtime_blocks_app",
			SEVERITY_WARN, LEVEL_SUPPORT,
			N_("Defender real-time protection scans every open of "
			   "the application's files"),
			d->tamper == 1
				? N_("Ask your IT to add the data directory "
				     "(and the application's executable as a "
				     "process) to Defender's exclusions; "
				     "tamper protection is on, so this is "
				     "done in Intune or Group Policy, not on "
				     "this server")
				: N_("Ask your IT to add the data directory "
				     "(and the application's executable as a "
				     "process) to Defender's exclusions "
				     "(Group Policy, or Add-MpPreference "
				     "-ExclusionPath)"),
			"no path exclusion covers %s (%zu path exclusions); "
			"the executable %s %s excluded as a process",
			open.data, d->excl_paths.n,
			app->exe ? app->exe : "(not configured)",
			process_excluded(&d->excl_processes, app->exe)
				? "is"
				: "is not");
	buf_release(&covered);
	buf_release(&open);
}

static void judge_cfa(const struct wincheck_defender *d,
		      const struct wincheck_app *app, struct verdict_list *out)
{
	bool allowed = false;
	const char *folder = NULL;

	if (d->cfa != 1 && d->cfa != 2)
		return;
	for (size_t i = 0; app->exe && i < d->cfa_allowed.n; i++)
		if (strcasecmp(d->cfa_allowed.v[i], app->exe) == 0)
			allowed = true;
	if (allowed)
		return;
	for (const char *const *dir = app->data_dirs; dir && *dir && !folder;
	     dir++)
		folder = covering(&d->cfa_folders, *dir);
	if (d->cfa == 2) {
		wincheck_add(out, "antivirus.defender.cfa_audit", SEVERITY_INFO,
			     LEVEL_SUPPORT,
			     N_("Controlled Folder Access audits the "
				"application's writes"),
			     N_("Nothing is blocked yet; before it is switched "
				"to block mode, your IT adds the application's "
				"executable to the allowed applications"),
			     "audit mode; %s is not an allowed application",
			     app->exe ? app->exe : "the application");
		return;
	}
	wincheck_add(out, "antivirus.defender.cfa_blocks_app",
		     folder ? SEVERITY_FAIL : SEVERITY_WARN, LEVEL_SUPPORT,
		     N_("Controlled Folder Access can stop the application "
			"from saving files"),
		     N_("Ask your IT to add the application's executable to "
			"Controlled Folder Access's allowed applications "
			"(Add-MpPreference -ControlledFolderAccessAllowed"
			"Applications, or the same Group Policy)"),
		     "block mode; %s is not an allowed application%s%s%s",
		     app->exe ? app->exe : "the application",
		     folder ? "; the data directory is under the protected "
			      "folder "
			    : "",
		     folder ? folder : "",
		     folder ? ""
			    : "; writes to Documents, Desktop, Pictures "
			      "and the other default protected folders "
			      "are refused");
}

static void judge_asr(const struct wincheck_defender *d,
		      struct verdict_list *out)
{
	struct buf b;
	size_t hits = 0;

	buf_init(&b, 4096);
	for (size_t i = 0; i < d->nasr; i++) {
		if (d->asr[i].action != 1 && d->asr[i].action != 6)
			continue;
		for (size_t j = 0;
		     j < sizeof(asr_app_rules) / sizeof(*asr_app_rules); j++)
			if (strcasecmp(asr_app_rules[j].guid, d->asr[i].guid) ==
			    0) {
				buf_printf(&b, "%s%s (%s, %s)",
					   hits ? "; " : "",
					   asr_app_rules[j].what,
					   asr_app_rules[j].guid,
					   d->asr[i].action == 1 ? "block"
								 : "warn");
				hits++;
			}
	}
	if (hits)
		wincheck_add(out, "antivirus.defender.asr_blocks_app",
			     SEVERITY_WARN, LEVEL_SUPPORT,
			     N_("Attack surface reduction rules can block "
				"what the application does"),
			     N_("Look for event 1121 in Microsoft-Windows-"
				"Windows Defender/Operational naming the "
				"application; if it is there, ask your IT for "
				"an ASR exclusion for the executable "
				"(-AttackSurfaceReductionOnlyExclusions)"),
			     "%s", b.data ? b.data : "");
	buf_release(&b);
}

static void judge_defender(const struct wincheck_av *a,
			   const struct wincheck_app *app,
			   struct verdict_list *out)
{
	const struct wincheck_defender *d = &a->def;

	if (!d->installed)
		return;
	if (d->realtime == 0) {
		wincheck_add(out, "antivirus.defender.realtime_off",
			     SEVERITY_INFO, LEVEL_THIRD_PARTY,
			     N_("Defender real-time protection is off"), NULL,
			     "%s",
			     d->disabled ? "Defender is disabled "
					   "(DisableAntiSpyware)"
					 : "DisableRealtimeMonitoring is set");
	} else {
		judge_exclusions(d, app, out);
	}
	if (d->local_merge_off && app->data_dirs && app->data_dirs[0]) {
		wincheck_add(out, "antivirus.defender.local_exclusions_ignored",
			     SEVERITY_INFO, LEVEL_THIRD_PARTY,
			     N_("Defender ignores exclusions set on this "
				"server"),
			     N_("Exclusions must come from Group Policy or "
				"Intune: DisableLocalAdminMerge is set"),
			     "policy DisableLocalAdminMerge = 1; only %zu "
			     "policy path exclusions apply",
			     d->excl_paths.n);
	}
	if (d->realtime == 1 && d->signatures_updated && a->now &&
	    a->now - d->signatures_updated >
		    (time_t)WINCHECK_SIGNATURE_OLD_DAYS * 86400)
		wincheck_add(
			out, "antivirus.defender.signatures_old", SEVERITY_WARN,
			LEVEL_THIRD_PARTY,
			N_("Defender's signatures are out of date"),
			N_("Your IT checks Defender's update source "
			   "(WSUS, proxy, Update-MpSignature)"),
			"signatures %s, engine %s, last updated %lld "
			"days ago",
			d->signature[0] ? d->signature : "?",
			d->engine[0] ? d->engine : "?",
			(long long)((a->now - d->signatures_updated) / 86400));
	if (d->realtime == 1) {
		judge_cfa(d, app, out);
		judge_asr(d, out);
	}
}

static bool have_product(const struct wincheck_strs *l, const char *p)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], p) == 0)
			return true;
	return false;
}

void wincheck_av_judge(const struct wincheck_av *a,
		       const struct wincheck_app *app, struct verdict_list *out)
{
	struct wincheck_strs products = { 0 }, filters = { 0 };
	struct buf b;

	judge_defender(a, app, out);
	for (size_t i = 0; i < a->nfilters; i++) {
		const struct wincheck_minifilter *m = &a->filters[i];
		const char *p;

		if (m->altitude < WINCHECK_AV_ALTITUDE_MIN ||
		    m->altitude > WINCHECK_AV_ALTITUDE_MAX)
			continue;
		wincheck_strs_add(&filters, m->name);
		/* WdFilter stays loaded while Defender is passive or off */
		if (m->instances == 0 ||
		    (m->product &&
		     strcmp(m->product, "Microsoft Defender") == 0 &&
		     a->def.realtime != 1))
			continue;
		p = m->product ? m->product : m->name;
		if (!have_product(&products, p))
			wincheck_strs_add(&products, p);
	}
	/*
	 * Without the filter list (Server without admin rights, wine), the
	 * installed services stand in for the loaded filters.
	 */
	for (size_t i = 0; !a->have_filters && i < a->services.n; i++)
		if (!have_product(&products, a->services.v[i]))
			wincheck_strs_add(&products, a->services.v[i]);
	/* Defender scans on access whether or not its filter was listed */
	if (a->def.installed && a->def.realtime == 1 &&
	    !have_product(&products, "Microsoft Defender"))
		wincheck_strs_add(&products, "Microsoft Defender");
	for (size_t i = 0; i < a->nsc; i++)
		if (a->sc[i].enabled &&
		    !have_product(&products, a->sc[i].name) &&
		    !(strstr(a->sc[i].name, "Defender") &&
		      have_product(&products, "Microsoft Defender")))
			wincheck_strs_add(&products, a->sc[i].name);
	if (!a->have_filters && !a->have_sc && !a->def.installed &&
	    !a->services.n)
		goto out;
	buf_init(&b, 4096);
	if (filters.n) {
		wincheck_join(&b, &filters, 16);
		wincheck_add(out, "antivirus.minifilter.present", SEVERITY_INFO,
			     LEVEL_THIRD_PARTY,
			     N_("Anti-virus file-system filters are loaded"),
			     NULL, "altitude group 320000-329999: %s", b.data);
		buf_reset(&b);
	}
	wincheck_join(&b, &products, 16);
	if (products.n >= 2)
		wincheck_add(out, "antivirus.product.conflict", SEVERITY_FAIL,
			     LEVEL_THIRD_PARTY,
			     N_("Two or more antivirus products scan files "
				"at the same time"),
			     N_("Your IT keeps one on-access scanner (Defender "
				"goes to passive mode when another product is "
				"the primary one)"),
			     "active: %s; every open passes through each of "
			     "them in turn: slow file access, time-outs and "
			     "deadlocks between them",
			     b.data);
	else if (products.n == 1)
		wincheck_add(out, "antivirus.product.present", SEVERITY_INFO,
			     LEVEL_THIRD_PARTY,
			     N_("An antivirus product scans files on access"),
			     NULL, "%s", b.data);
	else
		wincheck_add(out, "antivirus.product.none", SEVERITY_OK,
			     LEVEL_THIRD_PARTY,
			     N_("No antivirus product scans files on access"),
			     NULL, NULL);
	buf_release(&b);
out:
	wincheck_strs_release(&products);
	wincheck_strs_release(&filters);
}
