/*
 * Database target URLs as the [database] url key takes them:
 *   postgresql://[user@]host[:port]/dbname   (also postgres://)
 *   mysql://[user@]host[:port]/dbname        (also mariadb://)
 *   sqlserver://host[:port][/instance]
 *   sqlite:///absolute/path.db
 * IPv6 hosts go in brackets. A password in the URL is noted (so the
 * collector can refuse it) and never copied. A "?query" holds connection
 * parameters as the application's own driver takes them (sslmode,
 * sslrootcert, connect_timeout, ssl-mode, charset, ...): each one is
 * honoured or the url is refused naming it, never ignored (the accepted
 * ones per engine are listed in docs/collectors/database.md).
 */
#ifndef RDIAG_DATABASE_URL_H
#define RDIAG_DATABASE_URL_H

#include <stdbool.h>

enum database_kind {
	DATABASE_POSTGRES = 1,
	DATABASE_MYSQL,
	DATABASE_MSSQL,
	DATABASE_SQLITE,
};

/* TLS as the application asks for it (libpq's sslmode names). */
enum database_tls_mode {
	DATABASE_TLS_PREFER =
		0, /* the default: TLS when the server offers it */
	DATABASE_TLS_DISABLE,
	DATABASE_TLS_ALLOW,
	DATABASE_TLS_REQUIRE,
	DATABASE_TLS_VERIFY_CA,
	DATABASE_TLS_VERIFY_FULL, /* also MySQL's VERIFY_IDENTITY */
};

#define DATABASE_URL_PATH_MAX 512

struct database_url {
	enum database_kind kind;
	bool has_password; /* "user:secret@" was given (refused) */
	bool has_port;
	unsigned port;      /* the default when not given */
	char user[64];      /* percent-decoded, may be "" */
	char host[256];     /* without brackets */
	char database[128]; /* percent-decoded, may be "" */
	char instance[64];  /* SQL Server named instance, may be "" */
	char path[1024];    /* SQLite: absolute path */
	char display[1040]; /* the URL with any password masked */
	/* connection parameters from the query; "" or 0 when not given */
	enum database_tls_mode tls_mode;
	char tls_param[48]; /* the setting as written, "sslmode=disable" */
	char ssl_rootcert[DATABASE_URL_PATH_MAX]; /* CA file to verify with */
	char ssl_cert[DATABASE_URL_PATH_MAX];     /* client certificate */
	char ssl_key[DATABASE_URL_PATH_MAX];      /* its key */
	char ssl_crl[DATABASE_URL_PATH_MAX];      /* PostgreSQL only */
	unsigned connect_timeout_s;               /* the application's */
	char charset[32]; /* client_encoding / charset */
	char application_name[64];
	char target_session_attrs[16]; /* PostgreSQL only */
};

/*
 * Parse s into *ret. Returns 0, or -EINVAL with the reason in err (errlen
 * bytes; lowercase, no trailing period, naming a refused parameter but
 * never echoing the url, which may hold a password).
 */
int database_url_parse(const char *s, struct database_url *ret, char *err,
		       size_t errlen);

/* The parameter names accepted for kind, for messages and docs. */
const char *database_url_params(enum database_kind kind);

/* "disable", "prefer", ... as libpq spells them. */
const char *database_tls_mode_name(enum database_tls_mode m);

/* "PostgreSQL", "MySQL/MariaDB", "SQL Server", "SQLite". */
const char *database_kind_name(enum database_kind k);

#endif
