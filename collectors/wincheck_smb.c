/*
 * The SMB client on Windows and the user's mapped drives: whether SMB1 is
 * still loaded, whether signing or encryption is required (a NAS that
 * cannot sign or encrypt then fails every connection), Offline Files (the
 * application may read a stale cached copy), and the persistent drive
 * mappings with their connection state.
 */
#include <stdlib.h>
#include <string.h>

#include "rdiag/util.h"
#include "wincheck.h"
#include "wincheck_private.h"

#define SVC  "HKLM\\SYSTEM\\CurrentControlSet\\Services"
#define LMWS SVC "\\LanmanWorkstation\\Parameters"
#define CSCP "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\NetCache"

/* Service start type that means "never loaded". */
#define START_DISABLED 4

/* Drives listed in a finding's detail. */
#define DRIVES_SHOWN 16

int wincheck_smb_read(const struct winsrc *src, struct wincheck_smb *ret)
{
	struct wincheck_smb s = { 0 };
	int start, pol;

	start = wincheck_reg_int(src, SVC "\\mrxsmb10", "Start");
	s.smb1 = start == WINCHECK_UNSET ? WINCHECK_UNSET
					 : start != START_DISABLED;
	s.signing_required =
		wincheck_reg_int(src, LMWS, "RequireSecuritySignature");
	s.encryption_required =
		wincheck_reg_int(src, LMWS, "RequireEncryption");
	pol = wincheck_reg_int(src, CSCP, "Enabled");
	start = wincheck_reg_int(src, SVC "\\CSC", "Start");
	s.offline_files = pol != WINCHECK_UNSET     ? pol == 1
			  : start == WINCHECK_UNSET ? WINCHECK_UNSET
						    : start != START_DISABLED;
	if (src->ops->drives(src->self, &s.drives, &s.ndrives) == 0)
		s.have_drives = true;
	*ret = s;
	return 0;
}

void wincheck_smb_release(struct wincheck_smb *s)
{
	winsrc_free_drives(s->drives, s->ndrives);
	memset(s, 0, sizeof(*s));
}

void wincheck_smb_judge(const struct wincheck_smb *s,
			const struct wincheck_app *app,
			struct verdict_list *out)
{
	size_t bad = 0, shown = 0;
	bool data_on_bad = false;
	struct buf b;

	if (s->smb1 == 1)
		wincheck_add(out, "nas.smb_client.smb1_enabled", SEVERITY_WARN,
			     LEVEL_THIRD_PARTY,
			     N_("The SMB1 client is enabled"),
			     N_("Your IT moves the file server to SMB2 or "
				"later and removes SMB1 (it is insecure and "
				"slow)"),
			     "service mrxsmb10 is not disabled");
	if (s->signing_required == 1)
		wincheck_add(out, "nas.smb_client.signing_required",
			     SEVERITY_INFO, LEVEL_THIRD_PARTY,
			     N_("This client requires SMB signing"),
			     N_("A NAS that cannot sign refuses every "
				"connection; signing also costs throughput"),
			     "LanmanWorkstation RequireSecuritySignature = 1");
	if (s->encryption_required == 1)
		wincheck_add(out, "nas.smb_client.encryption_required",
			     SEVERITY_INFO, LEVEL_THIRD_PARTY,
			     N_("This client requires SMB encryption"),
			     N_("A NAS without SMB 3 encryption refuses every "
				"connection"),
			     "LanmanWorkstation RequireEncryption = 1");
	if (s->offline_files == 1)
		wincheck_add(out, "nas.offline_files.enabled", SEVERITY_INFO,
			     LEVEL_THIRD_PARTY, N_("Offline Files is enabled"),
			     N_("The application may read cached copies of "
				"share files and write conflicts; your IT "
				"turns Offline Files off for the "
				"application's share"),
			     "the CSC service or its policy is enabled");
	if (!s->have_drives)
		return;
	buf_init(&b, 8192);
	for (size_t i = 0; i < s->ndrives; i++) {
		const struct winsrc_drive *d = &s->drives[i];

		if (d->status == 0)
			continue;
		bad++;
		for (const char *const *dir = app->data_dirs; dir && *dir;
		     dir++)
			if (((*dir)[0] & ~0x20) == d->letter && (*dir)[0] &&
			    (*dir)[1] == ':')
				data_on_bad = true;
		if (shown++ < DRIVES_SHOWN)
			buf_printf(&b, "%s%c: %s (error %u)",
				   shown > 1 ? "; " : "", d->letter,
				   d->remote[0] ? d->remote : "?", d->status);
	}
	if (bad)
		wincheck_add(out, "nas.drive.unavailable",
			     data_on_bad ? SEVERITY_FAIL : SEVERITY_WARN,
			     LEVEL_THIRD_PARTY,
			     N_("A mapped network drive is not connected"),
			     N_("Your IT checks the file server and the "
				"mapping (net use); Windows reconnects a "
				"persistent mapping only at its first use"),
			     "%s%s", b.data,
			     data_on_bad ? "; the application's data "
					   "directory is on it"
					 : "");
	else if (s->ndrives)
		wincheck_add(out, "nas.drive.ok", SEVERITY_OK,
			     LEVEL_THIRD_PARTY,
			     N_("Every mapped network drive is connected"),
			     NULL, "%zu mapped drives", s->ndrives);
	buf_release(&b);
}
