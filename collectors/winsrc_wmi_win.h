/*
 * The WMI part of the live source (winsrc_wmi_win.c), for winsrc_win.c:
 * Security Center's antivirus products and the RDS grace period. Windows
 * builds only; no windows.h here.
 */
#ifndef RDIAG_WINSRC_WMI_WIN_H
#define RDIAG_WINSRC_WMI_WIN_H

#include <stddef.h>
#include <stdint.h>

#include "winsrc.h"

/* root\SecurityCenter2 AntiVirusProduct; -ENOENT where it does not exist
 * (Server editions). */
int winsrc_wmi_av_products(struct winsrc_av_product **ret, size_t *ret_n);
/* Win32_TerminalServiceSetting.GetGracePeriodDays (root\cimv2\
 * TerminalServices); -ENOENT without the RD Session Host role. */
int winsrc_wmi_grace_days(int64_t *ret);

#endif
