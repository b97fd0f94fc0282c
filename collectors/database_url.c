/*
 * Parsing of the [database] url values. Pure and bounded: the strings come
 * from a config file a customer edited, so every field is length-checked
 * and a bad URL becomes a finding, not a guess.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "database_url.h"
#include "rdiag/util.h"

static const struct {
	const char *scheme;
	enum database_kind kind;
	unsigned port;
} schemes[] = {
	{ "postgresql", DATABASE_POSTGRES, 5432 },
	{ "postgres", DATABASE_POSTGRES, 5432 },
	{ "mysql", DATABASE_MYSQL, 3306 },
	{ "mariadb", DATABASE_MYSQL, 3306 },
	{ "sqlserver", DATABASE_MSSQL, 1433 },
	{ "mssql", DATABASE_MSSQL, 1433 },
	{ "sqlite", DATABASE_SQLITE, 0 },
};

const char *database_kind_name(enum database_kind k)
{
	switch (k) {
	case DATABASE_POSTGRES:
		return "PostgreSQL";
	case DATABASE_MYSQL:
		return "MySQL/MariaDB";
	case DATABASE_MSSQL:
		return "SQL Server";
	case DATABASE_SQLITE:
		return "SQLite";
	}
	return "database";
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode [s, s+n) into dst; -EINVAL for bad escapes, NUL or size. */
static int decode(char *dst, size_t dstlen, const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n)
				return -EINVAL;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				return -EINVAL;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if ((unsigned char)c < 0x20 || c == 0x7F)
			return -EINVAL;
		if (o + 1 >= dstlen)
			return -EINVAL;
		dst[o++] = c;
	}
	dst[o] = '\0';
	return 0;
}

static bool host_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

static int parse_sqlite(const char *rest, struct database_url *u,
			const char **err)
{
	size_t n = strcspn(rest, "?");

	/* sqlite:///abs/path: empty authority, then the absolute path. */
	if (rest[0] != '/') {
		*err = "sqlite urls need an absolute path: "
		       "sqlite:///path/to.db";
		return -EINVAL;
	}
	if (decode(u->path, sizeof(u->path), rest, n) < 0) {
		*err = "bad path in sqlite url";
		return -EINVAL;
	}
	if (strcmp(u->path, "/") == 0 || u->path[strlen(u->path) - 1] == '/') {
		*err = "sqlite url names a directory, not a database file";
		return -EINVAL;
	}
	return 0;
}

int database_url_parse(const char *s, struct database_url *ret,
		       const char **err)
{
	struct database_url u;
	const char *p, *auth, *at, *hs, *he, *tail;
	size_t authlen, sl;
	const char *dummy;
	bool v6;

	if (!err)
		err = &dummy;
	memset(&u, 0, sizeof(u));
	p = strstr(s, "://");
	if (!p) {
		*err = "not a url: expected scheme://...";
		return -EINVAL;
	}
	sl = (size_t)(p - s);
	for (size_t i = 0; i < ARRAY_SIZE(schemes); i++)
		if (strlen(schemes[i].scheme) == sl &&
		    strncmp(s, schemes[i].scheme, sl) == 0) {
			u.kind = schemes[i].kind;
			u.port = schemes[i].port;
		}
	if (!u.kind) {
		*err = "unknown scheme: use postgresql, mysql, mariadb, "
		       "sqlserver or sqlite";
		return -EINVAL;
	}
	p += 3;
	if (u.kind == DATABASE_SQLITE) {
		int r = parse_sqlite(p, &u, err);

		if (r < 0)
			return r;
		snprintf(u.display, sizeof(u.display), "sqlite://%s", u.path);
		*ret = u;
		return 0;
	}
	authlen = strcspn(p, "/?#");
	auth = p;
	tail = p + authlen;
	at = memchr(auth, '@', authlen);
	hs = auth;
	if (at) {
		const char *colon = memchr(auth, ':', (size_t)(at - auth));
		size_t ul =
			colon ? (size_t)(colon - auth) : (size_t)(at - auth);

		if (colon)
			u.has_password = true;
		if (decode(u.user, sizeof(u.user), auth, ul) < 0) {
			*err = "bad user name in url";
			return -EINVAL;
		}
		hs = at + 1;
	}
	if (*hs == '[') {
		he = memchr(hs, ']', (size_t)(tail - hs));
		if (!he || he - hs - 1 <= 0 ||
		    (size_t)(he - hs - 1) >= sizeof(u.host)) {
			*err = "bad ipv6 address in url";
			return -EINVAL;
		}
		memcpy(u.host, hs + 1, (size_t)(he - hs - 1));
		for (const char *c = u.host; *c; c++)
			if (!host_char_ok(*c) && *c != ':' && *c != '%') {
				*err = "bad ipv6 address in url";
				return -EINVAL;
			}
		he++;
	} else {
		he = hs;
		while (he < tail && *he != ':')
			he++;
		if (he == hs || (size_t)(he - hs) >= sizeof(u.host)) {
			*err = "missing or too long host name in url";
			return -EINVAL;
		}
		memcpy(u.host, hs, (size_t)(he - hs));
		for (const char *c = u.host; *c; c++)
			if (!host_char_ok(*c)) {
				*err = "bad character in host name";
				return -EINVAL;
			}
	}
	if (he < tail) {
		char num[8];
		unsigned long long port;
		size_t nl = (size_t)(tail - he - 1);

		if (*he != ':' || nl == 0 || nl >= sizeof(num)) {
			*err = "bad port in url";
			return -EINVAL;
		}
		memcpy(num, he + 1, nl);
		num[nl] = '\0';
		if (parse_uint(num, 1, 65535, &port) < 0) {
			*err = "bad port in url";
			return -EINVAL;
		}
		u.port = (unsigned)port;
		u.has_port = true;
	}
	if (*tail == '/') {
		const char *name = tail + 1;
		size_t nl = strcspn(name, "?#");
		char *dst = u.kind == DATABASE_MSSQL ? u.instance : u.database;
		size_t dl = u.kind == DATABASE_MSSQL ? sizeof(u.instance)
						     : sizeof(u.database);

		if (memchr(name, '/', nl) || decode(dst, dl, name, nl) < 0) {
			*err = u.kind == DATABASE_MSSQL
				       ? "bad instance name in url"
				       : "bad database name in url";
			return -EINVAL;
		}
	}
	if (u.kind == DATABASE_MSSQL && strlen(u.instance) > 32) {
		*err = "sql server instance names have at most 32 characters";
		return -EINVAL;
	}
	v6 = strchr(u.host, ':') != NULL;
	snprintf(u.display, sizeof(u.display), "%.*s://%s%s%s%s%s%s:%u/%s",
		 (int)sl, s, u.user, u.has_password ? ":***" : "",
		 u.user[0] || u.has_password ? "@" : "", v6 ? "[" : "", u.host,
		 v6 ? "]" : "", u.port,
		 u.kind == DATABASE_MSSQL ? u.instance : u.database);
	*ret = u;
	return 0;
}
