/*
 * Helpers shared by wincheck*.c only (see wincheck.c).
 */
#ifndef RDIAG_WINCHECK_PRIVATE_H
#define RDIAG_WINCHECK_PRIVATE_H

#include "rdiag/buf.h"
#include "rdiag/i18n.h"
#include "rdiag/utf8.h"
#include "wincheck.h"

/* The file name part of a Windows path. */
const char *wincheck_basename(const char *path);
void wincheck_strs_add(struct wincheck_strs *l, const char *s);
void wincheck_strs_release(struct wincheck_strs *l);
/* Append the value names of key (exclusion lists keep their data there). */
int wincheck_strs_read_names(const struct winsrc *src, const char *key,
			     struct wincheck_strs *l);
/* A registry number as int (capped), or WINCHECK_UNSET. */
int wincheck_reg_int(const struct winsrc *src, const char *key,
		     const char *name);
/* The policy key's value when set, else the local key's. */
int wincheck_reg_int2(const struct winsrc *src, const char *policy_key,
		      const char *local_key, const char *name);
/* verdict_add with a static title and hint and a formatted detail. */
struct verdict_item *wincheck_add(struct verdict_list *out, const char *id,
				  enum severity sev, enum support_level level,
				  const char *title, const char *hint,
				  const char *detail_fmt, ...)
	RDIAG_PRINTF(7, 8);
/* "a, b, c and 4 more" */
void wincheck_join(struct buf *b, const struct wincheck_strs *l,
		   size_t max_items);

#endif
