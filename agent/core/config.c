/*
 * Configuration loading with rdiag's INI reader (core/ini_reader.c), validated
 * against the schema the caller passes (a table of sections and their keys);
 * this file knows no section.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/ini_reader.h"
struct load_state {
	struct config staged;
	const char *path;
	const struct config_section *sections;
	bool user; /* the command's --config FILE */
	char *err; /* first problem, without the line number */
};

void config_init(struct config *c)
{
	c->entries = NULL;
	c->n = 0;
}

void config_release(struct config *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->entries[i].section);
		free(c->entries[i].key);
		free(c->entries[i].value);
		free(c->entries[i].origin);
	}
	free(c->entries);
	config_init(c);
}

void config_add_entry(struct config *c, const struct config_entry *from)
{
	struct config_entry *e;

	c->entries = xreallocarray(c->entries, c->n + 1, sizeof(*c->entries));
	e = &c->entries[c->n++];
	e->section = xstrdup(from->section);
	e->key = xstrdup(from->key);
	e->value = xstrdup(from->value);
	e->origin = xstrdup(from->origin);
	e->line = from->line;
	e->user = from->user;
}

void config_add(struct config *c, const char *section, const char *key,
		const char *value, const char *origin)
{
	struct config_entry e = {
		.section = (char *)section,
		.key = (char *)key,
		.value = (char *)value,
		.origin = (char *)origin,
	};

	config_add_entry(c, &e);
}

char *config_entry_where(const struct config_entry *e)
{
	if (e->line <= 0)
		return xstrdup(e->origin);
	return xasprintf("%s%s line %d", e->user ? "--config " : "", e->origin,
			 e->line);
}

const struct config_entry *config_last(const struct config *c,
				       const char *section, const char *key)
{
	for (size_t i = c->n; i-- > 0;) {
		const struct config_entry *e = &c->entries[i];

		if (strcmp(e->section, section) == 0 &&
		    strcmp(e->key, key) == 0)
			return e;
	}
	return NULL;
}

char *config_where(const struct config *c, const char *section, const char *key)
{
	const struct config_entry *e = config_last(c, section, key);

	return e ? config_entry_where(e) : NULL;
}

const struct config_key *config_key_find(const struct config_key *keys,
					 const char *name)
{
	for (; keys && keys->name; keys++)
		if (strcmp(keys->name, name) == 0)
			return keys;
	return NULL;
}

const struct config_section *
config_section_find(const struct config_section *sections, const char *name)
{
	for (; sections && sections->name; sections++)
		if (strcmp(sections->name, name) == 0)
			return sections;
	return NULL;
}

static bool already_set(const struct config *c, const char *section,
			const char *key)
{
	return config_get(c, section, key) != NULL;
}

static int on_entry(void *user, const char *section, const char *name,
		    const char *value, int line)
{
	struct load_state *st = user;
	const struct config_section *sec;
	const struct config_key *k;

	if (st->err)
		return 1; /* report only the first problem */
	if (!*section) {
		st->err = xasprintf("key '%s' outside any section", name);
		return 0;
	}
	sec = config_section_find(st->sections, section);
	if (!sec) {
		st->err = xasprintf("unknown section [%s]", section);
		return 0;
	}
	if (!(k = config_key_find(sec->keys, name))) {
		st->err = xasprintf("unknown key '%s' in [%s]", name, section);
		return 0;
	}
	if (!(k->flags & CONFIG_KEY_REPEATABLE) &&
	    already_set(&st->staged, section, name)) {
		st->err = xasprintf("key '%s' in [%s] given twice", name,
				    section);
		return 0;
	}
	config_add_entry(&st->staged,
			 &(struct config_entry){ .section = (char *)section,
						 .key = (char *)name,
						 .value = (char *)value,
						 .origin = (char *)st->path,
						 .line = line,
						 .user = st->user });
	return 1;
}

static int load_file(struct config *c, const char *path, bool missing_ok,
		     bool user, const struct config_section *sections,
		     char **ret_err)
{
	struct load_state st = { .path = path,
				 .sections = sections,
				 .user = user };
	struct stat sb;
	const char *why;
	FILE *f;
	int fd, line, r = 0;

	config_init(&st.staged);
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT && missing_ok)
			return 0;
		*ret_err = xasprintf("cannot read config '%s': %s", path,
				     strerror(-r));
		return r;
	}
	if (fstat(fd, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		close(fd);
		*ret_err = xasprintf("config '%s' is not a regular file", path);
		return -EINVAL;
	}
	if (fcntl(fd, F_SETFL, 0) < 0 || !(f = fdopen(fd, "r"))) {
		r = -errno;
		close(fd);
		*ret_err = xasprintf("cannot read config '%s': %s", path,
				     strerror(-r));
		return r;
	}
	line = ini_reader_parse(f, on_entry, &st, &why);
	fclose(f);
	if (line != 0 || st.err) {
		if (line > 0)
			*ret_err = xasprintf("%s:%d: %s", path, line,
					     st.err ? st.err
					     : why  ? why
						    : "syntax error");
		else
			*ret_err = xasprintf("%s: %s", path,
					     st.err ? st.err : "read error");
		free(st.err);
		config_release(&st.staged);
		return -EINVAL;
	}
	for (size_t i = 0; i < st.staged.n; i++)
		config_add_entry(c, &st.staged.entries[i]);
	config_release(&st.staged);
	return 0;
}

int config_load(struct config *c, const char *path, bool missing_ok,
		const struct config_section *sections, char **ret_err)
{
	return load_file(c, path, missing_ok, false, sections, ret_err);
}

void config_blame(const struct config *c, const char *section, const char *key,
		  char **err)
{
	char *where = config_where(c, section, key), *msg;

	if (!where || !*err) {
		free(where);
		return;
	}
	msg = xasprintf("%s: %s", where, *err);
	free(where);
	free(*err);
	*err = msg;
}

void config_blame_message(const struct config *c, char **err)
{
	const char *m = *err ? *err : "", *sec, *key;
	size_t nsec, nkey;
	char *s, *k;

	if (m[0] != '[')
		return;
	sec = m + 1;
	nsec = strspn(sec, "abcdefghijklmnopqrstuvwxyz_");
	if (!nsec || strncmp(sec + nsec, "] ", 2) != 0)
		return;
	key = sec + nsec + 2;
	nkey = strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_");
	if (!nkey)
		return;
	s = xstrndup(sec, nsec);
	k = xstrndup(key, nkey);
	config_blame(c, s, k, err);
	free(s);
	free(k);
}

const char *config_system_path(void)
{
	const char *sys = getenv("RDIAG_SYSTEM_CONFIG");

	return sys ? sys : RDIAG_SYSCONFDIR "/rdiag.conf";
}

bool config_system_yes(const struct config *c, const char *section,
		       const char *key, char **ret_why)
{
	const char *sys = config_system_path();
	const struct config_entry *last = NULL, *user = NULL, *any = NULL;
	size_t slen = strlen(sys);
	struct stat st;

	for (size_t i = 0; i < c->n; i++) {
		const struct config_entry *e = &c->entries[i];

		if (strcmp(e->section, section) != 0 ||
		    strcmp(e->key, key) != 0)
			continue;
		any = e;
		/* origin is the file's path (or "PATH:LINE") */
		if (*sys && strncmp(e->origin, sys, slen) == 0 &&
		    (e->origin[slen] == '\0' || e->origin[slen] == ':'))
			last = e;
		else
			user = e;
	}
	/* Anyone may say no; only the system configuration may say yes. */
	if (any && strcmp(any->value, "yes") != 0 &&
	    strcmp(any->value, "true") != 0)
		return false;
	if (last && (strcmp(last->value, "yes") == 0 ||
		     strcmp(last->value, "true") == 0)) {
		/* Only a file no one but root can change speaks for the
		 * machine's owner. */
		if (stat(sys, &st) == 0 && st.st_uid == 0 &&
		    !(st.st_mode & (S_IWGRP | S_IWOTH)))
			return true;
		*ret_why = xasprintf("[%s] %s = yes in '%s' is ignored: the "
				     "file must be owned by root and not "
				     "writable by group or others",
				     section, key, sys);
		return false;
	}
	if (user && (strcmp(user->value, "yes") == 0 ||
		     strcmp(user->value, "true") == 0))
		*ret_why = xasprintf("[%s] %s = yes (%s) is ignored: only the "
				     "system configuration '%s' may allow "
				     "this",
				     section, key, user->origin,
				     *sys ? sys : "(none)");
	return false;
}

int config_load_files(struct config *c, const char *user_config,
		      const struct config_section *sections, char **ret_err)
{
	const char *sys = config_system_path();
	int r;

	if (*sys && (r = load_file(c, sys, true, false, sections, ret_err)) < 0)
		return r;
	if (user_config &&
	    (r = load_file(c, user_config, false, true, sections, ret_err)) < 0)
		return r;
	return 0;
}

const char *config_get(const struct config *c, const char *section,
		       const char *key)
{
	const struct config_entry *e = config_last(c, section, key);

	return e ? e->value : NULL;
}

int config_check_secret(const struct config *c, const char *section,
			const char *key, char **ret_err)
{
	const struct config_entry *e = NULL;
	struct stat sb;

	for (size_t i = c->n; i-- > 0 && !e;)
		if (strcmp(c->entries[i].section, section) == 0 &&
		    strcmp(c->entries[i].key, key) == 0)
			e = &c->entries[i];
	if (!e || strncmp(e->origin, "--", 2) == 0)
		return 0;
	if (stat(e->origin, &sb) < 0) {
		*ret_err = xasprintf("cannot check the mode of '%s': %s",
				     e->origin, strerror(errno));
		return -EINVAL;
	}
	if (sb.st_mode & 077) {
		*ret_err = xasprintf("config '%s' holds [%s] %s but its "
				     "mode is %04o; run 'chmod 600 %s'",
				     e->origin, section, key,
				     (unsigned)(sb.st_mode & 07777), e->origin);
		return -EINVAL;
	}
	return 0;
}

int config_parse_size(const char *s, uint64_t *ret)
{
	size_t n = strlen(s);
	unsigned long long v, mul = 1;
	char *num;
	int r;

	if (n > 1 && strchr("kKmMgG", s[n - 1])) {
		mul = strchr("kK", s[n - 1])   ? 1024ull
		      : strchr("mM", s[n - 1]) ? 1024ull << 10
					       : 1024ull << 20;
		n--;
	}
	/* At most 1 TiB in any unit, so the product cannot wrap. */
	num = xstrndup(s, n);
	r = parse_uint(num, 1, (1ull << 40) / mul, &v);
	free(num);
	if (r < 0)
		return -EINVAL;
	*ret = v * mul;
	return 0;
}

size_t config_values(const struct config *c, const char *section,
		     const char *key, const char ***ret_values)
{
	const char **v = xcalloc(c->n + 1, sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++) {
		const struct config_entry *e = &c->entries[i];

		if (strcmp(e->section, section) == 0 &&
		    strcmp(e->key, key) == 0)
			v[n++] = e->value;
	}
	v[n] = NULL;
	*ret_values = v;
	return n;
}
