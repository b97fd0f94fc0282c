/*
 * The product table (see antivirus_products.h). Process names come from
 * each vendor's Linux documentation; a row lists only names specific
 * enough not to match unrelated programs, and generic ones (Cortex XDR's
 * "pmd") are left to the executable path prefix instead.
 */
#include <string.h>

#include "antivirus_products.h"
#include "rdiag/buf.h"
#include "rdiag/util.h"

/* The kernel keeps TASK_COMM_LEN - 1 bytes of a process name. */
#define COMM_MAX 15

const struct av_product av_products[] = {
	{ "clamav",
	  "ClamAV",
	  "Cisco Talos (ClamAV)",
	  AV_KIND_AV,
	  { "clamonacc" },
	  { "clamd", "freshclam", "clamav-milter" },
	  { NULL },
	  { "/etc/clamav", "/var/lib/clamav" },
	  { "clamav-daemon.service", "clamav-clamonacc.service",
	    "clamav-freshclam.service" },
	  { "clamav-daemon", "clamav", "clamdscan" },
	  "OnAccessExcludePath %s (in clamd.conf, then restart clamonacc)" },
	{ "sophos",
	  "Sophos Protection for Linux",
	  "Sophos",
	  AV_KIND_AV,
	  { "soapd", "sophos_threat_detector", "savd" },
	  { "sophos_watchdog", "mcsrouter", "sophos_managementagent",
	    "sav-protect" },
	  { "/opt/sophos-spl/", "/opt/sophos-av/" },
	  { "/opt/sophos-spl", "/opt/sophos-av" },
	  { "sophos-spl.service", "sav-protect.service" },
	  { "sophos-av" },
	  "Sophos Central > Server Threat Protection policy > exclusions: "
	  "add %s/ (legacy SAV: /opt/sophos-av/bin/savconfig add "
	  "ExcludeFilePaths %s/)" },
	{ "eset",
	  "ESET Server Security / Endpoint Antivirus for Linux",
	  "ESET",
	  AV_KIND_AV,
	  { "oaeventd", "esets_daemon" },
	  { "scand", "licensed", "updated", "utild" },
	  { "/opt/eset/" },
	  { "/opt/eset/efs", "/opt/eset/eea", "/opt/eset/esets" },
	  { "efs.service", "eea.service", "esets.service" },
	  { "efs", "eea" },
	  "ESET PROTECT policy > Real-time file system protection > "
	  "performance exclusions: add %s/*" },
	{ "kaspersky",
	  "Kaspersky Endpoint Security for Linux",
	  "Kaspersky",
	  AV_KIND_AV,
	  { "wdserver", "kesl" },
	  { "klnagent", "kesl-gui" },
	  { "/opt/kaspersky/" },
	  { "/opt/kaspersky/kesl", "/var/opt/kaspersky/kesl" },
	  { "kesl.service", "kesl-supervisor.service", "klnagent64.service" },
	  { "kesl", "klnagent64" },
	  "kesl-control --set-settings FileThreatProtection "
	  "ExcludedFromScanning.item_0000.Path=%s" },
	{ "mdatp",
	  "Microsoft Defender for Endpoint",
	  "Microsoft",
	  AV_KIND_EDR,
	  { "wdavdaemon" },
	  { "telemetryd_v2", "mdatp_audisp_pl" },
	  { "/opt/microsoft/mdatp/" },
	  { "/opt/microsoft/mdatp", "/etc/opt/microsoft/mdatp" },
	  { "mdatp.service" },
	  { "mdatp" },
	  "mdatp exclusion folder add --path %s/" },
	{ "crowdstrike",
	  "CrowdStrike Falcon",
	  "CrowdStrike",
	  AV_KIND_EDR,
	  { "falcon-sensor", "falcond" },
	  { "falconctl" },
	  { "/opt/CrowdStrike/" },
	  { "/opt/CrowdStrike" },
	  { "falcon-sensor.service" },
	  { "falcon-sensor" },
	  "Falcon console > Exclusions > Machine learning (and sensor "
	  "visibility) exclusion for %s/**" },
	{ "sentinelone",
	  "SentinelOne",
	  "SentinelOne",
	  AV_KIND_EDR,
	  { "s1-agent", "s1-scanner" },
	  { "s1-orchestrator", "s1-network", "s1-firewall" },
	  { "/opt/sentinelone/" },
	  { "/opt/sentinelone" },
	  { "sentinelone.service" },
	  { "sentinelagent" },
	  "SentinelOne console > Sentinels > Exclusions: path exclusion %s/ "
	  "(mode: suppress alerts and interoperability)" },
	{ "trendmicro",
	  "Trend Micro Deep Security / Vision One",
	  "Trend Micro",
	  AV_KIND_AV,
	  { "ds_am" },
	  { "ds_agent", "tmxbc" },
	  { "/opt/ds_agent/", "/opt/TrendMicro/" },
	  { "/opt/ds_agent", "/opt/TrendMicro" },
	  { "ds_agent.service", "tmxbc.service" },
	  { "ds-agent" },
	  "Deep Security policy > Anti-Malware > Real-Time scan > directory "
	  "exclusion list: add %s/" },
	{ "bitdefender",
	  "Bitdefender GravityZone",
	  "Bitdefender",
	  AV_KIND_AV,
	  { "bdsecd", "epagng" },
	  { "bduitool", "bdsrvscand" },
	  { "/opt/bitdefender-security-tools/" },
	  { "/opt/bitdefender-security-tools" },
	  { "bdsec.service" },
	  { "bitdefender-security-tools" },
	  "GravityZone policy > Antimalware > Settings > custom exclusions: "
	  "folder %s/ (on-access)" },
	{ "trellix",
	  "Trellix / McAfee Endpoint Security for Linux",
	  "Trellix (McAfee)",
	  AV_KIND_AV,
	  { "isecoasmgr", "isectpd", "mfetpd" },
	  { "isecav", "isecespd", "masvc", "macmnsvc" },
	  { "/opt/isec/", "/opt/McAfee/" },
	  { "/opt/isec", "/opt/McAfee" },
	  { "mfetpd.service", "isectpd.service", "ma.service" },
	  { "mcafeetp", "mcafeeesp" },
	  "ePO/Trellix policy > Threat Prevention > On-Access Scan > "
	  "exclusions: add %s/" },
	{ "carbonblack",
	  "VMware Carbon Black Cloud",
	  "VMware (Carbon Black)",
	  AV_KIND_EDR,
	  { "cbagentd" },
	  { "event_collector", "cbdaemon" },
	  { "/opt/carbonblack/" },
	  { "/opt/carbonblack" },
	  { "cbagentd.service", "cbdaemon.service" },
	  { "cb-psc-sensor" },
	  "Carbon Black Cloud > Policies > Prevention > permissions: "
	  "bypass for %s/**" },
	{ "cortex",
	  "Palo Alto Networks Cortex XDR",
	  "Palo Alto Networks",
	  AV_KIND_EDR,
	  { NULL },
	  { NULL },
	  { "/opt/traps/" },
	  { "/opt/traps" },
	  { "traps_pmd.service", "traps.service" },
	  { "cortex-agent" },
	  "Cortex XDR console > Exceptions > malware profile: add %s/ to the "
	  "allowed folders" },
	{ "withsecure",
	  "WithSecure (F-Secure) Elements for Linux",
	  "WithSecure",
	  AV_KIND_AV,
	  { "fsicd", "fsaccd" },
	  { "fsaua", "fsavd", "fsupdated" },
	  { "/opt/f-secure/" },
	  { "/opt/f-secure" },
	  { "f-secure-linuxsecurity.service", "fsaua.service" },
	  { "f-secure-linuxsecurity" },
	  "WithSecure Elements > profile > Malware protection > excluded "
	  "files and folders: add %s/" },
	{ "cybereason",
	  "Cybereason",
	  "Cybereason",
	  AV_KIND_EDR,
	  { "cybereason-sens", "cybereason-acti" },
	  { NULL },
	  { "/opt/cybereason/" },
	  { "/opt/cybereason" },
	  { "cybereason-sensor.service" },
	  { "cybereason-sensor" },
	  "Cybereason console > Policies > exclusions: add %s/" },
	{ "elastic",
	  "Elastic Defend",
	  "Elastic",
	  AV_KIND_EDR,
	  { "elastic-endpoint" },
	  { "elastic-agent" },
	  { "/opt/Elastic/Endpoint/" },
	  { "/opt/Elastic/Endpoint" },
	  { "ElasticEndpoint.service", "elastic-agent.service" },
	  { "elastic-agent" },
	  "Kibana > Security > Trusted applications / Endpoint exceptions: "
	  "add %s/" },
	{ "fapolicyd",
	  "fapolicyd (application allow-listing)",
	  "the Linux distribution (fapolicyd)",
	  AV_KIND_POLICY,
	  { "fapolicyd" },
	  { NULL },
	  { NULL },
	  { "/etc/fapolicyd" },
	  { "fapolicyd.service" },
	  { "fapolicyd" },
	  "a rule in /etc/fapolicyd/rules.d/ allowing the application to "
	  "open %s/" },
};

const size_t av_nproducts = ARRAY_SIZE(av_products);

static bool name_matches(const char *pattern, const char *comm,
			 const char *base)
{
	if (comm && strncmp(pattern, comm, COMM_MAX) == 0 &&
	    strlen(comm) ==
		    (strlen(pattern) < COMM_MAX ? strlen(pattern) : COMM_MAX))
		return true;
	return base && strcmp(pattern, base) == 0;
}

static bool in_list(const char *const *list, const char *comm, const char *base)
{
	for (size_t i = 0; i < AV_LIST_MAX && list[i]; i++)
		if (name_matches(list[i], comm, base))
			return true;
	return false;
}

const struct av_product *av_product_match(const char *comm, const char *exe,
					  enum av_proc_role *ret_role)
{
	char base[256] = "";

	if (exe) {
		const char *slash = strrchr(exe, '/');
		const char *b = slash ? slash + 1 : exe;
		const char *del = strstr(b, " (deleted)");
		size_t n = del ? (size_t)(del - b) : strlen(b);

		if (n < sizeof(base)) {
			memcpy(base, b, n);
			base[n] = '\0';
		}
	}
	for (size_t i = 0; i < av_nproducts; i++) {
		const struct av_product *p = &av_products[i];

		if (in_list(p->realtime_procs, comm, base[0] ? base : NULL)) {
			*ret_role = AV_PROC_REALTIME;
			return p;
		}
		if (in_list(p->other_procs, comm, base[0] ? base : NULL)) {
			*ret_role = AV_PROC_COMPONENT;
			return p;
		}
		for (size_t k = 0; exe && k < AV_LIST_MAX && p->exe_prefixes[k];
		     k++) {
			if (strncmp(exe, p->exe_prefixes[k],
				    strlen(p->exe_prefixes[k])) == 0) {
				*ret_role = AV_PROC_COMPONENT;
				return p;
			}
		}
	}
	*ret_role = AV_PROC_NONE;
	return NULL;
}

char *av_product_exclusion(const struct av_product *p, const char *dir)
{
	const char *s = p->exclusion, *hit;
	struct buf b;

	buf_init(&b, 0);
	while ((hit = strstr(s, "%s"))) {
		buf_append(&b, s, (size_t)(hit - s));
		buf_puts(&b, dir);
		s = hit + 2;
	}
	buf_puts(&b, s);
	return buf_detach(&b, NULL);
}
