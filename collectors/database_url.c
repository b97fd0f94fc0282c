/*
 * Parsing of the [database] url values. Pure and bounded: the strings come
 * from a config file a customer edited, so every field is length-checked
 * and a bad URL becomes a finding, not a guess.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

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

/*
 * Connection parameters, by the names the application's driver uses.
 * Each one changes what rdiag does the way it changes what the driver
 * does; a name not listed here refuses the url.
 */
enum param {
	P_TLS_MODE = 1,
	P_ROOTCERT,
	P_CERT,
	P_KEY,
	P_CRL,
	P_CONNECT_TIMEOUT,
	P_CHARSET,
	P_APPLICATION_NAME,
	P_TARGET_SESSION_ATTRS,
};

static const struct {
	enum database_kind kind;
	const char *name;
	enum param param;
} params[] = {
	/* libpq's keywords */
	{ DATABASE_POSTGRES, "sslmode", P_TLS_MODE },
	{ DATABASE_POSTGRES, "sslrootcert", P_ROOTCERT },
	{ DATABASE_POSTGRES, "sslcert", P_CERT },
	{ DATABASE_POSTGRES, "sslkey", P_KEY },
	{ DATABASE_POSTGRES, "sslcrl", P_CRL },
	{ DATABASE_POSTGRES, "connect_timeout", P_CONNECT_TIMEOUT },
	{ DATABASE_POSTGRES, "client_encoding", P_CHARSET },
	{ DATABASE_POSTGRES, "application_name", P_APPLICATION_NAME },
	{ DATABASE_POSTGRES, "target_session_attrs", P_TARGET_SESSION_ATTRS },
	/* MySQL/MariaDB option names, with - or _, and libpq's spellings */
	{ DATABASE_MYSQL, "ssl-mode", P_TLS_MODE },
	{ DATABASE_MYSQL, "ssl_mode", P_TLS_MODE },
	{ DATABASE_MYSQL, "sslmode", P_TLS_MODE },
	{ DATABASE_MYSQL, "ssl-ca", P_ROOTCERT },
	{ DATABASE_MYSQL, "ssl_ca", P_ROOTCERT },
	{ DATABASE_MYSQL, "sslrootcert", P_ROOTCERT },
	{ DATABASE_MYSQL, "ssl-cert", P_CERT },
	{ DATABASE_MYSQL, "ssl_cert", P_CERT },
	{ DATABASE_MYSQL, "sslcert", P_CERT },
	{ DATABASE_MYSQL, "ssl-key", P_KEY },
	{ DATABASE_MYSQL, "ssl_key", P_KEY },
	{ DATABASE_MYSQL, "sslkey", P_KEY },
	{ DATABASE_MYSQL, "connect_timeout", P_CONNECT_TIMEOUT },
	{ DATABASE_MYSQL, "connect-timeout", P_CONNECT_TIMEOUT },
	{ DATABASE_MYSQL, "charset", P_CHARSET },
	{ DATABASE_MYSQL, "application_name", P_APPLICATION_NAME },
};

static const struct {
	const char *name;
	enum database_tls_mode mode;
} pg_modes[] = {
	{ "disable", DATABASE_TLS_DISABLE },
	{ "allow", DATABASE_TLS_ALLOW },
	{ "prefer", DATABASE_TLS_PREFER },
	{ "require", DATABASE_TLS_REQUIRE },
	{ "verify-ca", DATABASE_TLS_VERIFY_CA },
	{ "verify-full", DATABASE_TLS_VERIFY_FULL },
}, my_modes[] = {
	{ "DISABLED", DATABASE_TLS_DISABLE },
	{ "PREFERRED", DATABASE_TLS_PREFER },
	{ "REQUIRED", DATABASE_TLS_REQUIRE },
	{ "VERIFY_CA", DATABASE_TLS_VERIFY_CA },
	{ "VERIFY_IDENTITY", DATABASE_TLS_VERIFY_FULL },
};

const char *database_tls_mode_name(enum database_tls_mode m)
{
	for (size_t i = 0; i < ARRAY_SIZE(pg_modes); i++)
		if (pg_modes[i].mode == m)
			return pg_modes[i].name;
	return "prefer";
}

const char *database_url_params(enum database_kind kind)
{
	switch (kind) {
	case DATABASE_POSTGRES:
		return "sslmode, sslrootcert, sslcert, sslkey, sslcrl, "
		       "connect_timeout, client_encoding, application_name, "
		       "target_session_attrs";
	case DATABASE_MYSQL:
		return "ssl-mode (ssl_mode, sslmode), ssl-ca (sslrootcert), "
		       "ssl-cert (sslcert), ssl-key (sslkey), connect_timeout, "
		       "charset, application_name";
	default:
		return "none";
	}
}

static enum param find_param(enum database_kind kind, const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(params); i++)
		if (params[i].kind == kind &&
		    strcasecmp(params[i].name, key) == 0)
			return params[i].param;
	return 0;
}

/* Set one parameter of u; -EINVAL with errbuf filled when refused. */
static int set_param(struct database_url *u, const char *key, const char *val,
		     char *errbuf, size_t errlen)
{
	enum param param = find_param(u->kind, key);
	const char *kind = u->kind == DATABASE_POSTGRES ? "postgresql"
			   : u->kind == DATABASE_MYSQL  ? "mysql"
			   : u->kind == DATABASE_MSSQL  ? "sqlserver"
							: "sqlite";
	char *dst = NULL;
	size_t dstlen = 0;

	if (!param && strcasecmp(key, "password") == 0) {
		snprintf(errbuf, errlen,
			 "parameter '%s' is refused: give the password in "
			 "RDIAG_DB_PASSWORD or a 0600 password_file",
			 key);
		return -EINVAL;
	}
	if (!param) {
		snprintf(errbuf, errlen,
			 "parameter '%s' is not supported in %s urls "
			 "(supported: %s)",
			 key, kind, database_url_params(u->kind));
		return -EINVAL;
	}
	switch (param) {
	case P_TLS_MODE: {
		bool pg = u->kind == DATABASE_POSTGRES;
		size_t n = pg ? ARRAY_SIZE(pg_modes) : ARRAY_SIZE(my_modes);

		for (size_t i = 0; i < n; i++) {
			const char *name =
				pg ? pg_modes[i].name : my_modes[i].name;

			if (pg ? strcmp(name, val) == 0
			       : strcasecmp(name, val) == 0) {
				u->tls_mode = pg ? pg_modes[i].mode
						 : my_modes[i].mode;
				snprintf(u->tls_param, sizeof(u->tls_param),
					 "%s=%s", key, name);
				return 0;
			}
		}
		snprintf(errbuf, errlen,
			 "parameter '%s' must be one of %s, not '%.40s'", key,
			 pg ? "disable, allow, prefer, require, verify-ca, "
			      "verify-full"
			    : "DISABLED, PREFERRED, REQUIRED, VERIFY_CA, "
			      "VERIFY_IDENTITY",
			 val);
		return -EINVAL;
	}
	case P_CONNECT_TIMEOUT: {
		unsigned long long v;

		if (parse_uint(val, 0, 3600, &v) < 0) {
			snprintf(errbuf, errlen,
				 "parameter '%s' must be a number of seconds "
				 "(0 to 3600), not '%.40s'",
				 key, val);
			return -EINVAL;
		}
		/* libpq: 0 waits forever, and 1 means 2 seconds. */
		u->connect_timeout_s = v == 1 ? 2 : (unsigned)v;
		return 0;
	}
	case P_TARGET_SESSION_ATTRS:
		if (strcmp(val, "any") != 0 && strcmp(val, "read-write") != 0 &&
		    strcmp(val, "read-only") != 0 &&
		    strcmp(val, "primary") != 0 &&
		    strcmp(val, "standby") != 0 &&
		    strcmp(val, "prefer-standby") != 0) {
			snprintf(errbuf, errlen,
				 "parameter '%s' must be any, read-write, "
				 "read-only, primary, standby or "
				 "prefer-standby, not '%.40s'",
				 key, val);
			return -EINVAL;
		}
		dst = u->target_session_attrs;
		dstlen = sizeof(u->target_session_attrs);
		break;
	case P_ROOTCERT:
		dst = u->ssl_rootcert;
		dstlen = sizeof(u->ssl_rootcert);
		break;
	case P_CERT:
		dst = u->ssl_cert;
		dstlen = sizeof(u->ssl_cert);
		break;
	case P_KEY:
		dst = u->ssl_key;
		dstlen = sizeof(u->ssl_key);
		break;
	case P_CRL:
		dst = u->ssl_crl;
		dstlen = sizeof(u->ssl_crl);
		break;
	case P_CHARSET:
		dst = u->charset;
		dstlen = sizeof(u->charset);
		break;
	case P_APPLICATION_NAME:
		dst = u->application_name;
		dstlen = sizeof(u->application_name);
		break;
	}
	if (!*val || strlen(val) >= dstlen) {
		snprintf(errbuf, errlen, "parameter '%s' is empty or too long",
			 key);
		return -EINVAL;
	}
	snprintf(dst, dstlen, "%s", val);
	return 0;
}

/* key=value&key=value, percent-encoded, up to a '#'. */
static int parse_query(const char *q, struct database_url *u, char *errbuf,
		       size_t errlen)
{
	unsigned seen = 0;

	while (*q && *q != '#') {
		size_t n = strcspn(q, "&#"), kl = strcspn(q, "=&#");
		char key[32], val[DATABASE_URL_PATH_MAX];
		int r;

		if (n == 0) {
			q++;
			continue;
		}
		if (kl >= sizeof(key) || decode(key, sizeof(key), q, kl) < 0 ||
		    !*key) {
			snprintf(errbuf, errlen,
				 "bad parameter name in url query");
			return -EINVAL;
		}
		if (kl == n ||
		    decode(val, sizeof(val), q + kl + 1, n - kl - 1) < 0) {
			snprintf(errbuf, errlen,
				 "parameter '%s' needs a value (%s=...)", key,
				 key);
			return -EINVAL;
		}
		/* Aliases count as one: two answers to one question. */
		if (seen & 1u << find_param(u->kind, key)) {
			snprintf(errbuf, errlen,
				 "parameter '%s' is given twice (or under "
				 "another of its names)",
				 key);
			return -EINVAL;
		}
		if ((r = set_param(u, key, val, errbuf, errlen)) < 0)
			return r;
		seen |= 1u << find_param(u->kind, key);
		q += n;
		if (*q == '&')
			q++;
	}
	return 0;
}

static int parse_sqlite(const char *rest, struct database_url *u,
			const char **err)
{
	size_t n = strcspn(rest, "?#");

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

static int parse_url(const char *s, struct database_url *ret, char *errbuf,
		     size_t errlen)
{
	struct database_url u;
	const char *p, *auth, *at, *hs, *he, *tail, *query;
	size_t authlen, sl;
	const char *msg = NULL, **err = &msg;
	bool v6;
	int r = -EINVAL;

	memset(&u, 0, sizeof(u));
	p = strstr(s, "://");
	if (!p) {
		*err = "not a url: expected scheme://...";
		goto fail;
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
		goto fail;
	}
	p += 3;
	if (u.kind == DATABASE_SQLITE) {
		if ((r = parse_sqlite(p, &u, err)) < 0)
			goto fail;
		query = strpbrk(p, "?#");
		if (query && *query == '?' &&
		    (r = parse_query(query + 1, &u, errbuf, errlen)) < 0)
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
			goto fail;
		}
		hs = at + 1;
	}
	if (*hs == '[') {
		he = memchr(hs, ']', (size_t)(tail - hs));
		if (!he || he - hs - 1 <= 0 ||
		    (size_t)(he - hs - 1) >= sizeof(u.host)) {
			*err = "bad ipv6 address in url";
			goto fail;
		}
		memcpy(u.host, hs + 1, (size_t)(he - hs - 1));
		for (const char *c = u.host; *c; c++)
			if (!host_char_ok(*c) && *c != ':' && *c != '%') {
				*err = "bad ipv6 address in url";
				goto fail;
			}
		he++;
	} else {
		he = hs;
		while (he < tail && *he != ':')
			he++;
		if (he == hs || (size_t)(he - hs) >= sizeof(u.host)) {
			*err = "missing or too long host name in url";
			goto fail;
		}
		memcpy(u.host, hs, (size_t)(he - hs));
		for (const char *c = u.host; *c; c++)
			if (!host_char_ok(*c)) {
				*err = "bad character in host name";
				goto fail;
			}
	}
	if (he < tail) {
		char num[8];
		unsigned long long port;
		size_t nl = (size_t)(tail - he - 1);

		if (*he != ':' || nl == 0 || nl >= sizeof(num)) {
			*err = "bad port in url";
			goto fail;
		}
		memcpy(num, he + 1, nl);
		num[nl] = '\0';
		if (parse_uint(num, 1, 65535, &port) < 0) {
			*err = "bad port in url";
			goto fail;
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
			goto fail;
		}
	}
	if (u.kind == DATABASE_MSSQL && strlen(u.instance) > 32) {
		*err = "sql server instance names have at most 32 characters";
		goto fail;
	}
	query = strpbrk(tail, "?#");
	if (query && *query == '?' &&
	    (r = parse_query(query + 1, &u, errbuf, errlen)) < 0)
		return r;
	v6 = strchr(u.host, ':') != NULL;
	snprintf(u.display, sizeof(u.display), "%.*s://%s%s%s%s%s%s:%u/%s",
		 (int)sl, s, u.user, u.has_password ? ":***" : "",
		 u.user[0] || u.has_password ? "@" : "", v6 ? "[" : "", u.host,
		 v6 ? "]" : "", u.port,
		 u.kind == DATABASE_MSSQL ? u.instance : u.database);
	*ret = u;
	return 0;
fail:
	snprintf(errbuf, errlen, "%s", msg ? msg : "bad url");
	return r;
}

int database_url_parse(const char *s, struct database_url *ret, char *errbuf,
		       size_t errlen)
{
	char dummy[8];

	if (!errbuf) {
		errbuf = dummy;
		errlen = sizeof(dummy);
	}
	errbuf[0] = '\0';
	return parse_url(s, ret, errbuf, errlen);
}
