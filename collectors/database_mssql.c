/*
 * SQL Server for the database collector: the SQL Browser (UDP) for a named
 * instance, then TDS PRELOGIN for version and encryption policy; a server
 * that does not answer PRELOGIN may be in strict (TDS 8) mode, which wants
 * a TLS ClientHello first, so that is tried before calling it silent. There
 * is no login check: no SQL Server client library is a dependency.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "database_engine.h"
#include "database_private.h"
#include "probes/browser.h"
#include "probes/net.h"
#include "probes/tds.h"
#include "rdiag/i18n.h"

static const char *encryption_name(uint8_t e)
{
	switch (e) {
	case TDS_ENCRYPT_OFF:
		return "off";
	case TDS_ENCRYPT_ON:
		return "on";
	case TDS_ENCRYPT_NOT_SUP:
		return "not supported";
	case TDS_ENCRYPT_REQ:
		return "required";
	default:
		return "unknown";
	}
}

/* SQL Server named instance without a port: the Browser's answer, or 0. */
static unsigned database_mssql_browse(struct database_target *t)
{
	struct browser_reply *rep = xcalloc(1, sizeof(*rep));
	const struct browser_instance *in;
	struct sockaddr_storage ss = t->addrs[0];
	int64_t start = now_ms();
	unsigned port = 0;
	int r;

	database_set_port(&ss, t->browser_port);
	r = browser_query((struct sockaddr *)&ss, t->addrlens[0],
			  t->url.instance, database_step_deadline(t), rep);
	database_fact(t, "mssql.browser_ms", "%lld",
		      (long long)(now_ms() - start));
	if (r == -ECONNREFUSED) {
		database_finding(t, "db.mssql.browser.refused", SEVERITY_FAIL,
				 LEVEL_THIRD_PARTY,
				 N_("The SQL Server Browser is not running on "
				    "the server"),
				 N_("Start the 'SQL Server Browser' service, "
				    "or put the instance's TCP port in the url "
				    "(sqlserver://HOST:PORT)"),
				 "UDP port %u answered 'port unreachable'",
				 t->browser_port);
	} else if (r == -ETIMEDOUT) {
		database_finding(
			t, "db.mssql.browser.no_answer", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY,
			N_("The SQL Server Browser does not answer"),
			N_("A firewall drops UDP port 1434 or the 'SQL Server "
			   "Browser' service is stopped: ask your IT, or put "
			   "the instance's TCP port in the url"),
			"no answer on UDP port %u within %u ms",
			t->browser_port, t->step_ms);
	} else if (r < 0) {
		database_finding(
			t, "db.mssql.browser.bad_reply", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY,
			N_("The SQL Server Browser's answer is not understood"),
			N_("Put the instance's TCP port in the url"), "%s",
			r == -EBADMSG ? "malformed reply" : strerror(-r));
	} else if (!(in = browser_reply_find(rep, t->url.instance))) {
		char list[512] = "";

		for (size_t i = 0; i < rep->n; i++)
			snprintf(list + strlen(list),
				 sizeof(list) - strlen(list), "%s%s",
				 i ? ", " : "", rep->v[i].instance);
		database_finding(t, "db.mssql.browser.instance_missing",
				 SEVERITY_FAIL, LEVEL_SUPPORT,
				 N_("The SQL Server instance named in the "
				    "setting does not exist on the server"),
				 N_("Check the instance name in the "
				    "application's setting"),
				 "instance '%s' not among: %s", t->url.instance,
				 list);
	} else if (!in->tcp_port) {
		database_finding(
			t, "db.mssql.browser.no_tcp", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY,
			N_("The SQL Server instance does not accept TCP "
			   "connections"),
			N_("Enable TCP/IP for the instance in SQL Server "
			   "Configuration Manager and restart it"),
			"instance '%s' version %s", in->instance, in->version);
	} else {
		port = in->tcp_port;
		database_fact(t, "mssql.instance_port", "%u", port);
		database_fact(t, "mssql.instance_version", "%s", in->version);
		database_finding(
			t, "db.mssql.browser.ok", SEVERITY_OK,
			LEVEL_THIRD_PARTY,
			N_("The SQL Server Browser names the instance's port"),
			NULL, "instance '%s' (version %s) on TCP port %u",
			in->instance, in->version, port);
	}
	free(rep);
	return port;
}

static void strict_tls(struct database_target *t, int first_rc)
{
	struct tls_info info;
	struct tls_conn *tls = NULL;
	int64_t deadline = database_step_deadline(t);
	int fd, r;

	fd = database_reconnect(t, t->url.port, deadline);
	if (fd >= 0) {
		r = tls_conn_start(fd, t->url.host, "tds/8.0", deadline, &tls,
				   &info);
		tls_conn_free(tls);
		net_close(fd);
		if (r == 0) {
			database_finding(
				t, "db.mssql.strict_tls", SEVERITY_OK,
				LEVEL_THIRD_PARTY,
				N_("SQL Server requires strict encryption (TDS "
				   "8): it answers TLS first"),
				N_("Clients need Encrypt=Strict (ODBC Driver "
				   "18, Microsoft.Data.SqlClient 5 or newer)"),
				"%s, ALPN '%s'", info.protocol, info.alpn);
			database_report_tls(t, 0, &info);
			return;
		}
	}
	database_finding(
		t, "db.mssql.no_prelogin_reply", SEVERITY_FAIL,
		LEVEL_THIRD_PARTY,
		N_("The database port accepts connections but SQL Server does "
		   "not answer"),
		N_("Check the port in the application's setting; the server "
		   "may be hung or another service listens there"),
		"no answer to PRELOGIN (%s) nor to a TLS ClientHello",
		first_rc == -ETIMEDOUT ? "timed out" : strerror(-first_rc));
}

static void database_mssql_check(struct database_target *t, int fd)
{
	struct tds_probe_result p;
	const struct tds_prelogin *pl = &p.reply;
	const char *name;
	int64_t start = now_ms();

	tds_probe(fd, database_step_deadline(t), &p);
	net_close(fd);
	database_fact(t, "mssql.probe_ms", "%lld",
		      (long long)(now_ms() - start));
	if (p.rc == -EBADMSG) {
		database_finding(
			t, "db.mssql.bad_reply", SEVERITY_FAIL, LEVEL_SUPPORT,
			N_("The service on the database port does not speak "
			   "TDS (SQL Server)"),
			N_("Check the port in the application's setting"),
			NULL);
		return;
	}
	if (p.rc < 0) {
		strict_tls(t, p.rc);
		return;
	}
	if (pl->have_version) {
		name = tds_version_name(pl->major);
		database_fact(t, "mssql.version", "%u.%u.%u", pl->major,
			      pl->minor, pl->build);
		database_fact(t, "mssql.product", "%s",
			      name ? name : "unknown");
	}
	if (!pl->have_encryption) {
		database_finding(t, "db.mssql.bad_reply", SEVERITY_FAIL,
				 LEVEL_SUPPORT,
				 N_("The SQL Server PRELOGIN reply has no "
				    "encryption option"),
				 NULL, NULL);
		return;
	}
	database_fact(t, "mssql.encryption", "%s",
		      encryption_name(pl->encryption));
	switch (pl->encryption) {
	case TDS_ENCRYPT_REQ:
		database_finding(
			t, "db.mssql.encryption.required", SEVERITY_OK,
			LEVEL_THIRD_PARTY,
			N_("SQL Server answers and requires encryption"), NULL,
			"version %u.%u.%u", pl->major, pl->minor, pl->build);
		break;
	case TDS_ENCRYPT_ON:
		database_finding(
			t, "db.mssql.encryption.on", SEVERITY_OK,
			LEVEL_THIRD_PARTY,
			N_("SQL Server answers and encrypts connections"), NULL,
			"version %u.%u.%u", pl->major, pl->minor, pl->build);
		break;
	case TDS_ENCRYPT_OFF:
		database_finding(t, "db.mssql.encryption.off", SEVERITY_WARN,
				 LEVEL_THIRD_PARTY,
				 N_("SQL Server answers but only encrypts the "
				    "login, not the data"),
				 N_("Ask the database admin to set 'Force "
				    "Encryption' with a certificate, or use "
				    "Encrypt=True in the client"),
				 "version %u.%u.%u", pl->major, pl->minor,
				 pl->build);
		break;
	case TDS_ENCRYPT_NOT_SUP:
		database_finding(
			t, "db.mssql.encryption.not_supported", SEVERITY_WARN,
			LEVEL_THIRD_PARTY,
			N_("SQL Server cannot encrypt connections at all"),
			N_("Ask the database admin to install a certificate "
			   "for SQL Server; clients with Encrypt=True will "
			   "fail"),
			"version %u.%u.%u", pl->major, pl->minor, pl->build);
		break;
	default:
		database_finding(t, "db.mssql.bad_reply", SEVERITY_FAIL,
				 LEVEL_SUPPORT,
				 N_("The SQL Server PRELOGIN reply has an "
				    "unknown encryption value"),
				 NULL, "encryption byte 0x%02x",
				 (unsigned)pl->encryption);
		break;
	}
}

/* A named instance without a port is found through the Browser. */
static unsigned database_mssql_port(struct database_target *t)
{
	if (t->url.instance[0] && !t->url.has_port)
		return database_mssql_browse(t);
	return t->url.port;
}

const struct database_engine database_engine_mssql = {
	.kind = DATABASE_MSSQL,
	.network = true,
	.port = database_mssql_port,
	.check = database_mssql_check,
};
