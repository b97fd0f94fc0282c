/*
 * Windows build: Debian has no gettext for mingw-w64, so rdiag.exe's
 * <libintl.h> is this one: every lookup gives back the English it was
 * asked for (docs/windows.md). The rest of the i18n machinery builds and
 * runs as on Linux.
 */
#ifndef RDIAG_WIN_LIBINTL_H
#define RDIAG_WIN_LIBINTL_H

static inline char *gettext(const char *msgid)
{
	return (char *)msgid;
}

static inline char *ngettext(const char *msgid, const char *plural,
			     unsigned long n)
{
	return (char *)(n == 1 ? msgid : plural);
}

static inline char *bindtextdomain(const char *domain, const char *dir)
{
	(void)domain;
	return (char *)dir;
}

static inline char *bind_textdomain_codeset(const char *domain,
					    const char *codeset)
{
	(void)domain;
	return (char *)codeset;
}

static inline char *textdomain(const char *domain)
{
	return (char *)domain;
}

#endif
