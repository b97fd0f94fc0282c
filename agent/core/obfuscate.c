/*
 * Consistent pseudonyms (see obfuscate.h). Names are matched as whole
 * words, longest first, case-insensitively for host names; addresses are
 * found by shape and confirmed with inet_pton(), so times such as 10:00:01
 * are never taken for IPv6. Placeholders are numbered in the order names
 * are first seen, and one obfuscator serves every text of a run, so the
 * same name gets the same placeholder in every file.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/obfuscate.h"
#include "platform/platform.h"
#include "rdiag/util.h"

#define NAME_MIN 3
#define NAME_MAX 253

enum kind {
	KIND_HOST,
	KIND_USER,
	KIND_IP,
};

struct term {
	char *name;
	size_t len;
	enum kind kind;
	char *placeholder; /* NULL until first seen */
};

struct obfuscator {
	unsigned flags;
	struct term *terms;
	size_t nterms;
	bool sorted;
	json_t *ips; /* address -> placeholder */
	unsigned next[3];
	size_t replaced;
};

static const char *const prefixes[] = { "host", "user", "ip" };

/* Words that are names on many machines but would make text unreadable. */
static const char *const keep[] = {
	"localhost", "root",   "admin",  "administrator", "user",
	"guest",     "test",   "backup", "nobody",        "daemon",
	"ubuntu",    "debian", "local",  "domain",        NULL,
};

int obfuscate_parse(const char *list, unsigned *ret_flags, char **ret_bad)
{
	unsigned flags = 0;
	const char *p = list;

	while (*p) {
		size_t n = strcspn(p, ",");

		if (n == 5 && strncmp(p, "hosts", 5) == 0)
			flags |= OBFUSCATE_HOSTS;
		else if (n == 3 && strncmp(p, "ips", 3) == 0)
			flags |= OBFUSCATE_IPS;
		else if (n == 5 && strncmp(p, "users", 5) == 0)
			flags |= OBFUSCATE_USERS;
		else {
			*ret_bad = xstrndup(p, n);
			return -EINVAL;
		}
		p += n + (p[n] == ',');
	}
	if (flags == 0) {
		*ret_bad = xstrdup(list);
		return -EINVAL;
	}
	*ret_flags = flags;
	return 0;
}

struct obfuscator *obfuscator_new(unsigned flags)
{
	struct obfuscator *o = xcalloc(1, sizeof(*o));

	o->flags = flags;
	o->ips = json_object();
	return o;
}

void obfuscator_free(struct obfuscator *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->nterms; i++) {
		free(o->terms[i].name);
		free(o->terms[i].placeholder);
	}
	free(o->terms);
	json_decref(o->ips);
	free(o);
}

static bool is_namech(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static void add_term_min(struct obfuscator *o, const char *name, enum kind kind,
			 size_t min)
{
	size_t len = strlen(name);

	if (len < min || len > NAME_MAX)
		return;
	for (size_t i = 0; keep[i]; i++)
		if (strcasecmp(name, keep[i]) == 0)
			return;
	for (size_t i = 0; i < len; i++)
		if (!is_namech(name[i]) && name[i] != '.')
			return;
	for (size_t i = 0; i < o->nterms; i++)
		if (o->terms[i].len == len &&
		    strcasecmp(o->terms[i].name, name) == 0)
			return;
	o->terms = xreallocarray(o->terms, o->nterms + 1, sizeof(*o->terms));
	o->terms[o->nterms++] = (struct term){
		.name = xstrdup(name),
		.len = len,
		.kind = kind,
	};
	o->sorted = false;
}

static void add_term(struct obfuscator *o, const char *name, enum kind kind)
{
	add_term_min(o, name, kind, NAME_MIN);
}

void obfuscator_add_host(struct obfuscator *o, const char *name)
{
	if (o->flags & OBFUSCATE_HOSTS) {
		struct in6_addr a6;
		struct in_addr a4;

		/* An address is not a name; --obfuscate ips has it. */
		if (inet_pton(AF_INET, name, &a4) == 1 ||
		    inet_pton(AF_INET6, name, &a6) == 1)
			return;
		add_term(o, name, KIND_HOST);
		/* db01.corp.example also as db01 */
		if (strchr(name, '.')) {
			char *s = xstrndup(name, strcspn(name, "."));

			add_term(o, s, KIND_HOST);
			free(s);
		}
	}
}

void obfuscator_add_user(struct obfuscator *o, const char *name)
{
	if (o->flags & OBFUSCATE_USERS)
		add_term(o, name, KIND_USER);
}

static char *read_small(const char *root, const char *path)
{
	char *full = xasprintf("%s%s", root, path);
	FILE *f = fopen(full, "re");
	struct buf b;
	char chunk[4096];
	size_t n;

	free(full);
	if (!f)
		return NULL;
	buf_init(&b, 1 << 20);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(&b, chunk, n) < 0)
			break;
	fclose(f);
	return buf_detach(&b, &n);
}

void obfuscator_add_local(struct obfuscator *o, const char *root)
{
	char host[256], *text, *line, *save;

	/* This machine's own name counts however short it is ("vm"). */
	if (!root[0] && platform_hostname(host, sizeof(host)) == 0 &&
	    (o->flags & OBFUSCATE_HOSTS)) {
		add_term_min(o, host, KIND_HOST, 2);
		obfuscator_add_host(o, host);
	}
	if ((text = read_small(root, "/etc/hostname"))) {
		text[strcspn(text, " \t\r\n")] = '\0';
		if (o->flags & OBFUSCATE_HOSTS)
			add_term_min(o, text, KIND_HOST, 2);
		obfuscator_add_host(o, text);
		free(text);
	}
	if ((text = read_small(root, "/etc/hosts"))) {
		for (line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char *w, *s2;

			line[strcspn(line, "#")] = '\0';
			w = strtok_r(line, " \t", &s2); /* the address */
			while (w && (w = strtok_r(NULL, " \t", &s2)))
				if (strncmp(w, "ip6-", 4) != 0)
					obfuscator_add_host(o, w);
		}
		free(text);
	}
	if ((text = read_small(root, "/etc/passwd"))) {
		for (line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char *f[4] = { line };
			unsigned long uid;
			size_t k = 1;

			for (char *c = line; *c && k < 4; c++)
				if (*c == ':') {
					*c = '\0';
					f[k++] = c + 1;
				}
			if (k < 4)
				continue;
			uid = strtoul(f[2], NULL, 10);
			if (uid >= 1000 && uid < 60000)
				obfuscator_add_user(o, f[0]);
		}
		free(text);
	}
	if (!root[0] && getenv("USER"))
		obfuscator_add_user(o, getenv("USER"));
}

static int by_length(const void *a, const void *b)
{
	const struct term *x = a, *y = b;

	return x->len < y->len ? 1 : x->len > y->len ? -1 : 0;
}

static const char *ip_placeholder(struct obfuscator *o, const char *addr)
{
	json_t *v = json_object_get(o->ips, addr);

	if (!v) {
		char *s = xasprintf("ip-%u", ++o->next[KIND_IP]);

		json_object_set_new(o->ips, addr, json_string(s));
		free(s);
		v = json_object_get(o->ips, addr);
	}
	return json_string_value(v);
}

static const char *placeholder_of(struct obfuscator *o, struct term *t)
{
	if (!t->placeholder)
		t->placeholder = xasprintf("%s-%u", prefixes[t->kind],
					   ++o->next[t->kind]);
	return t->placeholder;
}

/* An address literal at p[i..): its length, or 0. */
static size_t address_at(const char *p, size_t n, size_t i, char *ret,
			 size_t retlen)
{
	size_t e = i, colons = 0;
	bool hex = false;
	union {
		struct in_addr a4;
		struct in6_addr a6;
	} a;

	while (e < n && e - i < 45 &&
	       ((p[e] >= '0' && p[e] <= '9') || (p[e] >= 'a' && p[e] <= 'f') ||
		(p[e] >= 'A' && p[e] <= 'F') || p[e] == ':' || p[e] == '.')) {
		colons += p[e] == ':';
		hex |= (p[e] | 0x20) >= 'a' && (p[e] | 0x20) <= 'f';
		e++;
	}
	/* A trailing '.', or ':' before a port, is not part of it. */
	while (e > i && (p[e - 1] == '.' || (p[e - 1] == ':' && colons > 2))) {
		colons -= p[e - 1] == ':';
		e--;
	}
	if (e - i < 7 || e - i >= retlen || (e < n && is_namech(p[e])))
		return 0;
	memcpy(ret, p + i, e - i);
	ret[e - i] = '\0';
	if (colons == 0 && !hex && inet_pton(AF_INET, ret, &a.a4) == 1) {
		if (ret[0] == '0' || strncmp(ret, "127.", 4) == 0 ||
		    strcmp(ret, "255.255.255.255") == 0)
			return 0;
		return e - i;
	}
	if (colons >= 2 && inet_pton(AF_INET6, ret, &a.a6) == 1) {
		if (strcmp(ret, "::1") == 0 || strcmp(ret, "::") == 0)
			return 0;
		return e - i;
	}
	return 0;
}

int obfuscator_apply(struct obfuscator *o, const char *p, size_t n,
		     struct buf *out)
{
	size_t i = 0, done = 0;
	int r = 0;

	if (!o->sorted) {
		qsort(o->terms, o->nterms, sizeof(*o->terms), by_length);
		o->sorted = true;
	}
	while (i < n && r == 0) {
		bool start = i == 0 || !is_namech(p[i - 1]);
		size_t m = 0;
		const char *ph = NULL;

		if (!start || p[i] == '.' ||
		    (i > 0 && p[i - 1] == '.' && (o->flags & OBFUSCATE_IPS) &&
		     p[i] >= '0' && p[i] <= '9')) {
			i++;
			continue;
		}
		if (o->flags & OBFUSCATE_IPS) {
			char addr[64];

			m = address_at(p, n, i, addr, sizeof(addr));
			if (m > 0)
				ph = ip_placeholder(o, addr);
		}
		if (!ph) {
			for (size_t k = 0; k < o->nterms; k++) {
				struct term *t = &o->terms[k];

				if (t->len > n - i ||
				    (p[i] | 0x20) != (t->name[0] | 0x20) ||
				    strncasecmp(p + i, t->name, t->len) != 0 ||
				    (i + t->len < n &&
				     is_namech(p[i + t->len])))
					continue;
				/* A short name ("vm") only as a word of its
				 * own, not in vm.swappiness or a.vm. */
				if (t->len <= NAME_MIN &&
				    ((i + t->len < n && p[i + t->len] == '.') ||
				     (i > 0 && p[i - 1] == '.')))
					continue;
				m = t->len;
				ph = placeholder_of(o, t);
				break;
			}
		}
		if (!ph) {
			/* Not a name: skip the rest of the word. */
			size_t j = i;

			while (j < n && is_namech(p[j]))
				j++;
			i = j > i ? j : i + 1;
			continue;
		}
		r = buf_append(out, p + done, i - done);
		if (r == 0)
			r = buf_puts(out, ph);
		o->replaced++;
		i += m;
		done = i;
	}
	if (r == 0)
		r = buf_append(out, p + done, n - done);
	return r;
}

size_t obfuscator_replaced(const struct obfuscator *o)
{
	return o->replaced;
}

int obfuscator_save_map(const struct obfuscator *o, const char *path)
{
	json_t *m = json_object(), *hosts = json_object(),
	       *users = json_object(), *ips = json_object(), *v;
	const char *k;
	char *text;
	int fd, r = 0;

	for (size_t i = 0; i < o->nterms; i++) {
		const struct term *t = &o->terms[i];

		if (t->placeholder)
			json_object_set_new(
				t->kind == KIND_USER ? users : hosts,
				t->placeholder, json_string(t->name));
	}
	json_object_foreach(o->ips, k, v)
		json_object_set_new(ips, json_string_value(v), json_string(k));
	json_object_set_new(m, "format",
			    json_string("rdiag-obfuscation-map/1"));
	json_object_set_new(m, "hosts", hosts);
	json_object_set_new(m, "ips", ips);
	json_object_set_new(m, "users", users);
	text = json_dumps(m, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(m);
	if ((r = platform_create_new(path, 0600, &fd)) == 0) {
		if ((r = write_all(fd, text, strlen(text))) == 0 &&
		    (r = write_all(fd, "\n", 1)) == 0 && fsync(fd) < 0)
			r = -errno;
		if (close(fd) < 0 && r == 0)
			r = -errno;
		if (r < 0)
			unlink(path);
	}
	free(text);
	return r;
}
