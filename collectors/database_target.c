/*
 * The helper API the database engines (database_pg.c, database_mysql.c,
 * database_mssql.c, database_sqlite.c) and database.c share: facts and
 * findings stamped with their target, step deadlines, the TLS report and a
 * fresh connection to the address that answered. It lives apart from
 * database.c so the engines never call into the collector itself: the
 * dependency graph is database.c -> engine table -> engines -> this file.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "database_private.h"
#include "probes/net.h"
#include "rdiag/buf.h"
#include "rdiag/i18n.h"

#define TLS_EXPIRY_WARN_DAYS 30

int64_t database_step_deadline(struct database_target *t)
{
	int64_t left = ctx_remaining_ms(t->ctx);

	/* Keep a little time to report after the last step. */
	left = left > 200 ? left - 200 : 0;
	if (left > t->step_ms)
		left = t->step_ms;
	return now_ms() + left;
}

void database_fact(struct database_target *t, const char *key, const char *fmt,
		   ...)
{
	char k[RECORD_MAX_KEY + 1], *v;
	va_list ap;

	snprintf(k, sizeof(k), "db.%u.%s", t->index, key);
	va_start(ap, fmt);
	v = xvasprintf(fmt, ap);
	va_end(ap);
	if (ctx_fact(t->ctx, k, "%s", v) < 0)
		ctx_log(t->ctx, "cannot record fact '%s', ignoring", k);
	free(v);
}

bool database_emitted(const struct database_target *t, const char *id)
{
	for (size_t i = 0; i < t->nids; i++)
		if (strcmp(t->ids[i], id) == 0)
			return true;
	return false;
}

void database_finding(struct database_target *t, const char *id,
		      enum severity sev, enum support_level level,
		      const char *title, const char *hint,
		      const char *detail_fmt, ...)
{
	struct finding f = { .id = id,
			     .severity = sev,
			     .level = level,
			     .title = title,
			     .hint = hint };
	char *detail = NULL, *full;
	va_list ap;

	if (database_emitted(t, id))
		return;
	if (t->nids < DATABASE_MAX_IDS)
		t->ids[t->nids++] = id;
	if (detail_fmt) {
		va_start(ap, detail_fmt);
		detail = xvasprintf(detail_fmt, ap);
		va_end(ap);
	}
	full = xasprintf("target %u: %s%s%s", t->index, t->url.display,
			 detail ? "; " : "", detail ? detail : "");
	f.detail = full;
	if (ctx_finding(t->ctx, &f) < 0)
		ctx_log(t->ctx, "cannot record finding '%s', ignoring", id);
	free(detail);
	free(full);
}

bool database_tls_client_rejected(struct database_target *t, const char *error)
{
	if (!t->url.ssl_cert[0] || !error ||
	    !(strstr(error, "unknown ca") || strstr(error, "bad certificate") ||
	      strstr(error, "certificate unknown") ||
	      strstr(error, "certificate required") ||
	      strstr(error, "certificate expired") ||
	      strstr(error, "unsupported certificate")))
		return false;
	database_finding(
		t, "db.tls.client_cert_rejected", SEVERITY_FAIL,
		LEVEL_THIRD_PARTY,
		N_("The database server refuses the application's client "
		   "certificate during the TLS handshake"),
		N_("The certificate in the url (sslcert / ssl-cert) must be "
		   "signed by a CA the server trusts (ssl_ca_file, ssl_ca) and "
		   "still be valid: ask the database admin which CA that is"),
		"%s; certificate %s", error, t->url.ssl_cert);
	return true;
}

void database_tls_opts(const struct database_target *t,
		       struct tls_client_opts *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->cafile = t->url.ssl_rootcert[0] ? t->url.ssl_rootcert : NULL;
	ret->certfile = t->url.ssl_cert[0] ? t->url.ssl_cert : NULL;
	ret->keyfile = t->url.ssl_key[0] ? t->url.ssl_key : NULL;
}

void database_report_tls(struct database_target *t, int rc,
			 const struct tls_info *info)
{
	/* An application that verifies the server cannot connect at all. */
	bool verify_ca = t->url.tls_mode >= DATABASE_TLS_VERIFY_CA;
	bool verify_name = t->url.tls_mode == DATABASE_TLS_VERIFY_FULL;
	const char *trust = t->url.ssl_rootcert[0] ? t->url.ssl_rootcert
						   : "this system's CA store";

	if (rc < 0 && database_tls_client_rejected(t, info->error))
		return;
	if (rc < 0 && (t->url.ssl_cert[0] || t->url.ssl_rootcert[0]) &&
	    rc == -EINVAL) {
		database_finding(t, "db.tls.client_files_unusable",
				 SEVERITY_FAIL, LEVEL_SELF,
				 N_("A certificate or key file named in the "
				    "database url cannot be used"),
				 N_("Check the path and that the file is PEM "
				    "and readable by the user running rdiag "
				    "(and the application)"),
				 "%s", info->error);
		return;
	}
	if (rc < 0) {
		database_finding(
			t, "db.tls.handshake_failed", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY,
			N_("The TLS handshake with the database server failed"),
			N_("Ask the database admin to check the server's TLS "
			   "settings (certificate, key, allowed protocols)"),
			"%s", info->error[0] ? info->error : strerror(-rc));
		return;
	}
	database_fact(t, "tls.protocol", "%s", info->protocol);
	database_fact(t, "tls.cipher", "%s", info->cipher);
	if (info->have_cert) {
		database_fact(t, "tls.subject", "%s", info->subject);
		database_fact(t, "tls.issuer", "%s", info->issuer);
		database_fact(t, "tls.not_after", "%s", info->not_after);
		database_fact(t, "tls.days_left", "%d", info->days_left);
	}
	if (strcmp(info->protocol, "TLSv1.2") != 0 &&
	    strcmp(info->protocol, "TLSv1.3") != 0)
		database_finding(
			t, "db.tls.old_protocol", SEVERITY_WARN,
			LEVEL_THIRD_PARTY,
			N_("The database server negotiated an outdated TLS "
			   "version"),
			N_("Ask the database admin to enable TLS 1.2 or newer"),
			"negotiated %s", info->protocol);
	if (!info->have_cert) {
		database_finding(t, "db.tls.no_certificate", SEVERITY_WARN,
				 LEVEL_THIRD_PARTY,
				 N_("The database server sent no certificate"),
				 N_("Ask the database admin to configure a "
				    "server certificate"),
				 "%s", info->cipher);
		return;
	}
	if (info->days_left < 0)
		database_finding(
			t, "db.tls.cert_expired", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY,
			N_("The database server's certificate has expired"),
			N_("Ask the database admin to renew the certificate"),
			"expired %s (subject %s)", info->not_after,
			info->subject);
	else if (info->days_left < TLS_EXPIRY_WARN_DAYS)
		database_finding(
			t, "db.tls.cert_expiring", SEVERITY_WARN,
			LEVEL_THIRD_PARTY,
			N_("The database server's certificate expires soon"),
			N_("Ask the database admin to renew the certificate"),
			"expires %s, in %d days (subject %s)", info->not_after,
			info->days_left, info->subject);
	if (info->not_yet_valid)
		database_finding(
			t, "db.tls.cert_not_yet_valid", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY,
			N_("The database server's certificate is not valid "
			   "yet"),
			N_("Check the clock of this host and of the server; if "
			   "both are right, ask the database admin for a "
			   "certificate that is valid now"),
			"subject %s", info->subject);
	if (!info->name_match)
		database_finding(
			t, "db.tls.name_mismatch",
			verify_name ? SEVERITY_FAIL : SEVERITY_WARN,
			LEVEL_THIRD_PARTY,
			verify_name
				? N_("The database server's certificate does "
				     "not name the host the application "
				     "connects to, and the application checks "
				     "it: it cannot connect")
				: N_("The database server's certificate does "
				     "not name the host the application "
				     "connects to"),
			N_("Connect by a name the certificate lists, or ask "
			   "the database admin for a certificate naming this "
			   "host"),
			"host '%s', certificate subject %s%s%s", t->url.host,
			info->subject,
			verify_name ? "; the application's " : "",
			verify_name ? t->url.tls_param : "");
	if (!info->chain_ok)
		database_finding(
			t, "db.tls.untrusted",
			verify_ca ? SEVERITY_FAIL : SEVERITY_WARN,
			LEVEL_THIRD_PARTY,
			verify_ca ? N_("The database server's certificate is "
				       "not trusted, and the application "
				       "checks it: it cannot connect")
				  : N_("The database server's certificate is "
				       "not trusted by this system's CA store"),
			N_("Clients that verify the server "
			   "(sslmode=verify-full, "
			   "TrustServerCertificate=false) will refuse it: "
			   "install the issuing CA, or ask the admin for a "
			   "certificate from a trusted CA"),
			"%s; subject %s, issuer %s%s; checked against %s%s%s",
			info->verify_error, info->subject, info->issuer,
			info->self_signed ? " (self-signed)" : "", trust,
			verify_ca ? "; the application's " : "",
			verify_ca ? t->url.tls_param : "");
	if (info->days_left >= TLS_EXPIRY_WARN_DAYS && info->name_match &&
	    info->chain_ok && !info->not_yet_valid)
		database_finding(t, "db.tls.ok", SEVERITY_OK, LEVEL_THIRD_PARTY,
				 N_("The database server's TLS certificate is "
				    "valid and trusted"),
				 NULL, "%s, subject %s, expires %s",
				 info->protocol, info->subject,
				 info->not_after);
}

void database_set_port(struct sockaddr_storage *ss, unsigned port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)(void *)ss)->sin_port =
			htons((uint16_t)port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)(void *)ss)->sin6_port =
			htons((uint16_t)port);
}

int database_reconnect(struct database_target *t, unsigned port,
		       int64_t deadline_ms)
{
	struct sockaddr_storage ss = t->addrs[t->connected];
	int fd, r;

	database_set_port(&ss, port);
	r = net_connect((struct sockaddr *)&ss, t->addrlens[t->connected],
			deadline_ms, &fd);
	return r < 0 ? r : fd;
}
