/*
 * Parsing of the [database] url values. Pure and bounded: the strings come
 * from a config file a customer edited, so every field is length-checked
 * and a bad URL becomes a finding, not a guess.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "database_url.h"
#include "rdiag/url.h"
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

/* Percent-decode [s, s+n) into dst; -EINVAL for bad escapes, NUL or size. */
static int decode(char *dst, size_t dstlen, const char *s, size_t n)
{
	char *d = NULL;

	if (url_decode(s, n, false, &d) < 0 || strlen(d) >= dstlen) {
		free(d);
		return -EINVAL;
	}
	memcpy(dst, d, strlen(d) + 1);
	free(d);
	return 0;
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

static int parse_sqlite(const char *s, const char *rest, struct database_url *u,
			char *errbuf, size_t errlen)
{
	struct url_parts p;
	enum url_fault f;
	const char *msg = NULL;
	int r;

	/* sqlite:///abs/path: empty authority, then the absolute path. */
	if (rest[0] != '/') {
		msg = "sqlite urls need an absolute path: "
		      "sqlite:///path/to.db";
		goto fail;
	}
	if (url_split(s, URL_AS_FILE | URL_ALLOW_SPACE, &p, &f) < 0) {
		msg = "bad path in sqlite url";
		goto fail;
	}
	if (decode(u->path, sizeof(u->path), p.path, strlen(p.path)) < 0)
		msg = "bad path in sqlite url";
	else if (strcmp(u->path, "/") == 0 ||
		 u->path[strlen(u->path) - 1] == '/')
		msg = "sqlite url names a directory, not a database file";
	else if (p.query && (r = parse_query(p.query, u, errbuf, errlen)) < 0) {
		url_parts_release(&p);
		return r;
	}
	url_parts_release(&p);
	if (msg)
		goto fail;
	snprintf(u->display, sizeof(u->display), "sqlite://%s", u->path);
	return 0;
fail:
	snprintf(errbuf, errlen, "%s", msg);
	return -EINVAL;
}

static const char *fault_text(enum url_fault f)
{
	switch (f) {
	case URL_FAULT_TOO_LONG:
		return "url is too long";
	case URL_FAULT_USER:
		return "bad user name in url";
	case URL_FAULT_NO_HOST:
		return "missing or too long host name in url";
	case URL_FAULT_IPV6:
		return "bad ipv6 address in url";
	case URL_FAULT_HOST:
		return "bad character in host name";
	case URL_FAULT_PORT:
		return "bad port in url";
	default:
		return "bad url";
	}
}

/*
 * libcurl's URL parser splits the url (url_split); the database rules
 * are applied on top: known schemes, plain host names, one path segment
 * naming the database (or SQL Server instance), the parameters.
 */
static int parse_url(const char *s, struct database_url *ret, char *errbuf,
		     size_t errlen)
{
	struct database_url u;
	struct url_parts p;
	enum url_fault f;
	const char *sep, *msg = NULL;
	char *host = NULL;
	size_t sl;
	bool v6;
	int r = -EINVAL;

	memset(&u, 0, sizeof(u));
	memset(&p, 0, sizeof(p));
	if (strnlen(s, URL_MAX_LEN + 1) > URL_MAX_LEN) {
		msg = fault_text(URL_FAULT_TOO_LONG);
		goto fail;
	}
	sep = strstr(s, "://");
	if (!sep) {
		msg = "not a url: expected scheme://...";
		goto fail;
	}
	sl = (size_t)(sep - s);
	/* Schemes are case-insensitive (RFC 3986 3.1), as libpq reads them. */
	for (size_t i = 0; i < ARRAY_SIZE(schemes); i++)
		if (strlen(schemes[i].scheme) == sl &&
		    strncasecmp(s, schemes[i].scheme, sl) == 0) {
			u.kind = schemes[i].kind;
			u.port = schemes[i].port;
		}
	if (!u.kind) {
		msg = "unknown scheme: use postgresql, mysql, mariadb, "
		      "sqlserver or sqlite";
		goto fail;
	}
	if (u.kind == DATABASE_SQLITE) {
		if ((r = parse_sqlite(s, sep + 3, &u, errbuf, errlen)) < 0)
			return r;
		*ret = u;
		return 0;
	}
	/* Spaces pass to the database name and parameters, as before. */
	if (url_split(s, URL_ALLOW_SPACE, &p, &f) < 0) {
		msg = fault_text(f);
		goto fail;
	}
	/* p.user is decoded already (CURLU_URLDECODE). */
	if (p.user && strlen(p.user) >= sizeof(u.user)) {
		msg = "bad user name in url";
		goto fail;
	}
	if (p.user)
		memcpy(u.user, p.user, strlen(p.user) + 1);
	u.has_password = p.has_password;
	/* The zone goes to getaddrinfo as "fe80::1%eth0". */
	host = p.zone ? xasprintf("%s%%%s", p.host, p.zone) : xstrdup(p.host);
	v6 = strchr(host, ':') != NULL;
	if (strlen(host) >= sizeof(u.host)) {
		msg = v6 ? "bad ipv6 address in url"
			 : "missing or too long host name in url";
		goto fail;
	}
	if (!v6 && !url_host_is_name(host)) {
		msg = "bad character in host name";
		goto fail;
	}
	memcpy(u.host, host, strlen(host) + 1);
	if (p.port) {
		u.port = p.port;
		u.has_port = true;
	}
	if (p.has_path) {
		const char *name = p.path + 1;
		char *dst = u.kind == DATABASE_MSSQL ? u.instance : u.database;
		size_t dl = u.kind == DATABASE_MSSQL ? sizeof(u.instance)
						     : sizeof(u.database);

		if (strchr(name, '/') ||
		    decode(dst, dl, name, strlen(name)) < 0) {
			msg = u.kind == DATABASE_MSSQL
				      ? "bad instance name in url"
				      : "bad database name in url";
			goto fail;
		}
	}
	if (u.kind == DATABASE_MSSQL && strlen(u.instance) > 32) {
		msg = "sql server instance names have at most 32 characters";
		goto fail;
	}
	if (p.query && (r = parse_query(p.query, &u, errbuf, errlen)) < 0)
		goto out;
	free(host);
	host = url_host_literal(&p);
	snprintf(u.display, sizeof(u.display), "%s://%s%s%s%s:%u/%s", p.scheme,
		 u.user, u.has_password ? ":***" : "",
		 u.user[0] || u.has_password ? "@" : "", host, u.port,
		 u.kind == DATABASE_MSSQL ? u.instance : u.database);
	*ret = u;
	r = 0;
	goto out;
fail:
	snprintf(errbuf, errlen, "%s", msg ? msg : "bad url");
	r = -EINVAL;
out:
	free(host);
	url_parts_release(&p);
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
