/*
 * The parts of platform/fsutil.h that need nothing from the operating
 * system, shared by every platform implementation.
 */
#include <string.h>

#include "platform/fsutil.h"

bool fs_name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		      *s == '.'))
			return false;
	return true;
}
