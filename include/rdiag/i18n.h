/*
 * Marking text for translation where it is written. Collectors and the
 * library store and ship English (records, bundles, --json); a string
 * marked with N_() is only listed for xgettext, so rdiag's terminal can
 * show it in the customer's language at display time (core/i18n.h).
 */
#ifndef RDIAG_I18N_MARK_H
#define RDIAG_I18N_MARK_H

/* A string for the catalog, left as it is in the program. */
#define N_(s) s

#endif
