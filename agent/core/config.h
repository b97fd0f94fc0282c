/*
 * The configuration: /etc/rdiag/rdiag.conf, then --config FILE, then values
 * from command-line flags (--db URL and friends), kept as an ordered list of
 * (section, key, value) entries. Which sections and keys exist is not known
 * here: the caller passes the schema (config_schema() in the cli assembles
 * the agent's own sections and one per collector), so an unknown section or
 * key is caught with its file and line.
 */
#ifndef RDIAG_CONFIG_H
#define RDIAG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rdiag/collector.h"

struct config_entry {
	char *section;
	char *key;
	char *value;
	char *origin; /* the file's path, or "--flag" */
	int line;     /* its line in the file (from 1); 0 for a flag */
	bool user;    /* from the command's --config FILE */
};

struct config {
	struct config_entry *entries;
	size_t n;
};

/* One section of the schema: its name and its keys (NULL-terminated). */
struct config_section {
	const char *name;
	const struct config_key *keys;
};

void config_init(struct config *c);
void config_release(struct config *c);

/*
 * Read an INI file and append its entries, validated against sections
 * (ended by an entry whose name is NULL; NULL: no section is known). When
 * the file
 * does not exist and missing_ok, returns 0 and adds nothing. On error returns
 * a negative errno (-EINVAL for a syntax or schema error) and a message
 * naming the file, the line and the problem in *ret_err (caller frees); c is
 * left as it was.
 */
int config_load(struct config *c, const char *path, bool missing_ok,
		const struct config_section *sections, char **ret_err);

/*
 * Read the system config, then user_config when not NULL: the usual
 * start of a command. The system config is RDIAG_SYSTEM_CONFIG if set
 * (empty: none), else RDIAG_SYSCONFDIR/rdiag.conf (/etc/rdiag unless the
 * build says otherwise); it may be missing,
 * user_config must exist. Errors as config_load().
 */
int config_load_files(struct config *c, const char *user_config,
		      const struct config_section *sections, char **ret_err);

/* The section called name in sections, or NULL. */
const struct config_section *
config_section_find(const struct config_section *sections, const char *name);

/* The key called name in keys (NULL-terminated, may be NULL), or NULL. */
const struct config_key *config_key_find(const struct config_key *keys,
					 const char *name);

/* Append one entry (strings are copied). */
void config_add(struct config *c, const char *section, const char *key,
		const char *value, const char *origin);
/* The same, keeping where it came from (a file's line, --config). */
void config_add_entry(struct config *c, const struct config_entry *e);

/*
 * Where e came from, as a person finds it again: "--config site.conf
 * line 12", "/etc/rdiag/rdiag.conf line 3" or the flag ("--db").
 * Caller frees.
 */
char *config_entry_where(const struct config_entry *e);

/*
 * The last entry of section.key, or NULL; config_where() is where it came
 * from (config_entry_where()), or NULL when the key is not set.
 */
const struct config_entry *config_last(const struct config *c,
				       const char *section, const char *key);
char *config_where(const struct config *c, const char *section,
		   const char *key);

/*
 * Put where section.key's value came from before the message in *err
 * ("--config site.conf line 12: [agent] jobs must be ..."); nothing when
 * the key is not set.
 */
void config_blame(const struct config *c, const char *section, const char *key,
		  char **err);

/*
 * The same for a message that starts by naming the value the way rdiag's
 * messages do ("[upload] retries must be ..."): the section and key are
 * read from it. Nothing for any other message.
 */
void config_blame_message(const struct config *c, char **err);

/* The system configuration's path ("" when there is none). */
const char *config_system_path(void);

/*
 * Is section.key "yes" in the system configuration, a file owned by root
 * and writable by no one else? For switches that give away consent
 * (allow_unattended): a user's --config must not turn them on. When a
 * "yes" is ignored, *ret_why (caller frees) says why; else it is left.
 */
bool config_system_yes(const struct config *c, const char *section,
		       const char *key, char **ret_why);

/* The last value of section.key, or NULL. */
const char *config_get(const struct config *c, const char *section,
		       const char *key);

/*
 * Refuse a secret (section.key) whose last value came from a config file
 * that anyone but its owner may read; a value from a flag, or none, is
 * fine. 0, or -EINVAL with *ret_err (caller frees) naming the file and the
 * chmod that fixes it.
 */
int config_check_secret(const struct config *c, const char *section,
			const char *key, char **ret_err);

/*
 * A size such as "16M": a whole number with an optional k, M or G suffix
 * (either case, powers of 1024), from 1 byte to 1 TiB in all. 0 and *ret
 * (the caller checks its own range), or -EINVAL.
 */
int config_parse_size(const char *s, uint64_t *ret);

/*
 * All values of section.key in order, as a new NULL-terminated array whose
 * strings belong to c; caller frees the array only. Returns the count.
 */
size_t config_values(const struct config *c, const char *section,
		     const char *key, const char ***ret_values);

#endif
