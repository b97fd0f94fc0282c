/*
 * The database collector: can this host reach the application's database,
 * and if not, where does the path break and who can fix it. For each
 * configured url it resolves the name, connects over TCP, asks the server
 * what it wants before any password (wire probes in probes/), describes
 * TLS, and with a credential logs in through the vendor's client library.
 * SQLite targets get file checks instead. The per-protocol parts are
 * engines reached through the table in database_engine.h; the helpers they
 * share with this file are in database_target.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "database_engine.h"
#include "database_private.h"
#include "probes/net.h"
#include "rdiag/buf.h"
#include "rdiag/i18n.h"

/* glibc hides it without _GNU_SOURCE: the name exists but has no address. */
#if !defined(EAI_NODATA) && defined(__GLIBC__)
#define EAI_NODATA (-5)
#endif

#define DEFAULT_STEP_MS 5000
#define PASSWORD_MAX    1024

static const struct config_key database_keys[] = {
	{ "url", CONFIG_KEY_REPEATABLE,
	  "a database to check: postgresql://user@host:port/db, mysql://..., "
	  "sqlserver://host[:port][/instance], sqlite:///path.db",
	  NULL },
	{ "password_file", 0,
	  "file holding the password (first line); must be mode 0600", NULL },
	{ "connect_timeout_ms", 0,
	  "time allowed for each step (resolve, connect, reply), default 5000",
	  NULL },
	{ "browser_port", 0, "UDP port of the SQL Server Browser, default 1434",
	  NULL },
	{ "expected_encoding", 0,
	  "the server encoding the application expects, e.g. UTF8", NULL },
	{ NULL, 0, NULL, NULL },
};

/* Where names are looked up, for a failure message that says so. */
static char *describe_resolver(struct collector_ctx *ctx)
{
	const char *root = ctx_root(ctx);
	char path[1024], line[512];
	struct buf b;
	FILE *f;

	buf_init(&b, 1024);
	snprintf(path, sizeof(path), "%s/etc/nsswitch.conf", root);
	if ((f = fopen(path, "re"))) {
		while (fgets(line, sizeof(line), f))
			if (strncmp(line, "hosts:", 6) == 0) {
				line[strcspn(line, "\n")] = '\0';
				buf_printf(&b, "nsswitch '%s'", line);
			}
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/etc/resolv.conf", root);
	if ((f = fopen(path, "re"))) {
		while (fgets(line, sizeof(line), f)) {
			char ns[128];

			if (sscanf(line, "nameserver %127s", ns) == 1)
				buf_printf(&b, "%snameserver %s",
					   b.len ? ", " : "", ns);
		}
		fclose(f);
	}
	if (b.len == 0)
		buf_puts(&b, "the system resolver (no resolv.conf)");
	return buf_detach(&b, NULL);
}

/* An IP literal needs no lookup: fill addrs[0] directly. */
static bool literal_address(struct database_target *t)
{
	if (!net_addr_literal(t->url.host, t->url.port, &t->addrs[0],
			      &t->addrlens[0]))
		return false;
	t->naddrs = 1;
	return true;
}

/*
 * A lookup that failed, by what the resolver knows: a DNS server that does
 * not answer (EAI_AGAIN, or no result before the step's deadline) is a
 * network or DNS server fault; a name the DNS says does not exist
 * (EAI_NONAME, EAI_NODATA) is most often a wrong name in the setting.
 */
const char *database_dns_failure_id(int eai, bool timeout)
{
	if (timeout)
		return "db.dns.timeout";
	if (eai == EAI_AGAIN)
		return "db.dns.no_answer";
	if (eai == 0 || eai == EAI_NONAME
#ifdef EAI_NODATA
	    || eai == EAI_NODATA
#endif
	)
		return "db.dns.not_found";
	return "db.dns.failed";
}

static void report_dns_failure(struct database_target *t, int eai,
			       int sys_errno, bool timeout,
			       const char *resolver)
{
	const char *id = database_dns_failure_id(eai, timeout);

	if (strcmp(id, "db.dns.timeout") == 0) {
		database_finding(t, "db.dns.timeout", SEVERITY_FAIL,
				 LEVEL_THIRD_PARTY,
				 N_("The DNS server does not answer in time "
				    "for the database server's name"),
				 N_("The name may well be right: ask your IT "
				    "to check the DNS servers this host uses "
				    "and that they are reachable from it"),
				 "'%s' not resolved within %u ms; resolver: %s",
				 t->url.host, t->step_ms, resolver);
	} else if (strcmp(id, "db.dns.no_answer") == 0) {
		database_finding(
			t, "db.dns.no_answer", SEVERITY_FAIL, LEVEL_THIRD_PARTY,
			N_("The DNS server does not answer for the database "
			   "server's name"),
			N_("The name may well be right: the DNS servers this "
			   "host uses are unreachable or failing (no answer, "
			   "SERVFAIL); ask your IT to check them"),
			"'%s': %s; resolver: %s", t->url.host,
			gai_strerror(eai), resolver);
	} else if (strcmp(id, "db.dns.not_found") == 0) {
		database_finding(
			t, "db.dns.not_found", SEVERITY_FAIL, LEVEL_SELF,
			N_("The database server's name does not exist in DNS"),
			N_("The DNS server answered that there is no such "
			   "name: check the host name in the application's "
			   "database setting for a typo; if it is right, ask "
			   "your IT to add it to DNS"),
			"'%s': %s; resolver: %s", t->url.host,
			eai ? gai_strerror(eai) : "no address", resolver);
	} else {
		database_finding(
			t, "db.dns.failed", SEVERITY_FAIL, LEVEL_THIRD_PARTY,
			N_("Looking up the database server's name failed"),
			N_("Ask your IT to check this host's name resolution "
			   "(nsswitch.conf, resolv.conf)"),
			"'%s': %s; resolver: %s", t->url.host,
			eai == EAI_SYSTEM ? strerror(sys_errno)
					  : gai_strerror(eai),
			resolver);
	}
}

static int resolve(struct database_target *t)
{
	struct net_resolve_arg arg = { t->url.host, t->url.port,
				       AI_ADDRCONFIG | AI_NUMERICSERV,
				       DATABASE_MAX_ADDRS };
	struct net_resolve_out *o = xcalloc(1, sizeof(*o));
	struct bounded_result br;
	int64_t start = now_ms();
	char *resolver = NULL;
	struct buf list;
	int r;

	buf_init(&list, 4096);
	if (literal_address(t)) {
		database_fact(t, "addresses", "%s (literal)", t->url.host);
		r = 0;
		goto out;
	}
	r = ctx_bounded(t->ctx, t->step_ms, net_resolve_fn, &arg, o, sizeof(*o),
			&br);
	database_fact(t, "dns_ms", "%lld", (long long)(now_ms() - start));
	if (r < 0 || br.status != BOUNDED_DONE || br.out_len < sizeof(*o) ||
	    o->eai != 0 || o->n == 0) {
		bool timeout = r < 0 || br.status != BOUNDED_DONE ||
			       br.out_len < sizeof(*o);

		resolver = describe_resolver(t->ctx);
		report_dns_failure(t, timeout ? 0 : o->eai,
				   timeout ? 0 : o->sys_errno, timeout,
				   resolver);
		r = timeout ? -ETIMEDOUT : -ENOENT;
		goto out;
	}
	for (size_t i = 0; i < o->n; i++) {
		char a[NET_ADDR_MAX];

		t->addrs[i] = o->a[i];
		t->addrlens[i] = o->l[i];
		net_addr_host((struct sockaddr *)&o->a[i], a, sizeof(a));
		buf_printf(&list, "%s%s", i ? " " : "", a);
	}
	t->naddrs = o->n;
	database_fact(t, "addresses", "%s", list.data);
	database_finding(t, "db.dns.ok", SEVERITY_OK, LEVEL_THIRD_PARTY,
			 N_("The database server's name resolves"), NULL,
			 "'%s' -> %s", t->url.host, list.data);
	r = 0;
out:
	free(resolver);
	free(o);
	buf_release(&list);
	return r;
}

/* The TCP step over every address; the first that answers is kept. */
static int connect_all(struct database_target *t, unsigned port)
{
	int keep = -1, worst = 0, r = -EHOSTUNREACH;
	struct buf failed;
	size_t nfail = 0;

	buf_init(&failed, 4096);
	for (size_t i = 0; i < t->naddrs; i++) {
		struct sockaddr_storage ss = t->addrs[i];
		char a[NET_ADDR_MAX], key[NET_ADDR_MAX + 16];
		int64_t start = now_ms();
		int fd;

		database_set_port(&ss, port);
		net_addr_format((struct sockaddr *)&ss, a, sizeof(a));
		r = net_connect((struct sockaddr *)&ss, t->addrlens[i],
				database_step_deadline(t), &fd);
		snprintf(key, sizeof(key), "tcp.%zu.addr", i + 1);
		database_fact(t, key, "%s", a);
		snprintf(key, sizeof(key), "tcp.%zu.ms", i + 1);
		database_fact(t, key, "%lld", (long long)(now_ms() - start));
		snprintf(key, sizeof(key), "tcp.%zu.result", i + 1);
		database_fact(t, key, "%s",
			      r == 0 ? "connected" : strerror(-r));
		if (r == 0) {
			if (keep < 0) {
				keep = fd;
				t->connected = (int)i;
				net_addr_host((struct sockaddr *)&ss,
					      t->addr_text,
					      sizeof(t->addr_text));
			} else {
				net_close(fd);
			}
			continue;
		}
		nfail++;
		buf_printf(&failed, "%s%s: %s", failed.len ? ", " : "", a,
			   r == -ETIMEDOUT ? "timed out" : strerror(-r));
		/* Keep the most telling failure: timeout > unreachable >
		 * refused. */
		if (worst == 0 || r == -ETIMEDOUT ||
		    (worst == -ECONNREFUSED && r != -ECONNREFUSED))
			worst = r;
	}
	if (keep >= 0) {
		database_finding(
			t, "db.tcp.ok", SEVERITY_OK, LEVEL_THIRD_PARTY,
			N_("The database server accepts TCP connections"), NULL,
			"connected to %s port %u", t->addr_text, port);
		if (nfail)
			database_finding(t, "db.tcp.some_addresses_failed",
					 SEVERITY_INFO, LEVEL_THIRD_PARTY,
					 N_("Some addresses of the database "
					    "server do not accept connections"),
					 N_("Clients fall back to the next "
					    "address, which costs time; remove "
					    "stale addresses from DNS or make "
					    "the server listen on all of them"),
					 "%s", failed.data);
		buf_release(&failed);
		return keep;
	}
	if (worst == -ECONNREFUSED)
		database_finding(
			t, "db.tcp.refused", SEVERITY_FAIL, LEVEL_THIRD_PARTY,
			N_("Nothing accepts connections on the database port"),
			N_("Check that the database service is running and "
			   "listens on this address and port "
			   "(listen_addresses, bind-address, TCP/IP enabled); "
			   "check the port in the application's setting"),
			"%s", failed.data);
	else if (worst == -ETIMEDOUT)
		database_finding(
			t, "db.tcp.timeout", SEVERITY_FAIL, LEVEL_THIRD_PARTY,
			N_("Connecting to the database server timed out"),
			N_("A firewall between this host and the server drops "
			   "the connection, or the server is down: ask your IT "
			   "to open the port"),
			"%s (after %u ms)", failed.data, t->step_ms);
	else if (worst == -EHOSTUNREACH || worst == -ENETUNREACH)
		database_finding(
			t, "db.tcp.unreachable", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY,
			N_("The database server cannot be reached from this "
			   "host"),
			N_("Ask your IT to check routing and firewalls between "
			   "this host and the server"),
			"%s", failed.data);
	else
		database_finding(t, "db.tcp.failed", SEVERITY_FAIL,
				 LEVEL_THIRD_PARTY,
				 N_("Connecting to the database server failed"),
				 N_("Ask your IT to check the network path to "
				    "the server"),
				 "%s", failed.data);
	buf_release(&failed);
	return worst < 0 ? worst : -EHOSTUNREACH;
}

/* Wipe before free: the password must not linger in freed memory. */
static void secret_free(char *s)
{
	volatile char *v = s;

	if (!s)
		return;
	while (*v)
		*v++ = '\0';
	free(s);
}

/*
 * The password_file, if configured: 0 and *ret (maybe NULL when none is
 * configured), or a negative errno after a finding saying why it was
 * refused.
 */
static int read_password_file(struct collector_ctx *ctx, char **ret)
{
	const char *path = ctx_config_get(ctx, "password_file");
	struct finding f = { .severity = SEVERITY_FAIL, .level = LEVEL_SELF };
	char buf[PASSWORD_MAX + 2], *detail = NULL;
	struct stat st;
	ssize_t n;
	int fd, r;

	*ret = NULL;
	if (!path)
		return 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		f.id = "db.password_file.unreadable";
		f.title = N_("The database password file cannot be read");
		f.hint = N_("Check the password_file path in [database] and "
			    "that rdiag runs as a user who may read it");
		detail = xasprintf("cannot open '%s': %s", path, strerror(-r));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 0077) != 0) {
		r = -EPERM;
		f.id = "db.password_file.unsafe";
		f.title = N_("The database password file is readable by "
			     "others, so rdiag refuses it");
		f.hint = N_("Restrict it to its owner: chmod 600 FILE");
		detail =
			S_ISREG(st.st_mode)
				? xasprintf("'%s' has mode %04o; it must be "
					    "0600 (no access for group or "
					    "others)",
					    path,
					    (unsigned)(st.st_mode & 07777))
				: xasprintf("'%s' is not a regular file", path);
		goto out;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		r = -errno;
		f.id = "db.password_file.unreadable";
		f.title = N_("The database password file cannot be read");
		f.hint = N_("Check the file and its permissions");
		detail = xasprintf("cannot read '%s': %s", path, strerror(-r));
		goto out;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	*ret = xstrdup(buf);
	r = 0;
out:
	if (fd >= 0)
		net_close(fd);
	if (r < 0) {
		f.detail = detail;
		if (ctx_finding(ctx, &f) < 0)
			ctx_log(ctx, "cannot record finding, ignoring");
	}
	free(detail);
	{
		volatile char *v = buf;

		for (size_t i = 0; i < sizeof(buf); i++)
			v[i] = '\0';
	}
	return r;
}

static char *password_for(unsigned index, const char *from_file)
{
	char name[32];
	const char *v;

	snprintf(name, sizeof(name), "RDIAG_DB_PASSWORD_%u", index);
	if ((v = getenv(name)) && *v)
		return xstrdup(v);
	if ((v = getenv("RDIAG_DB_PASSWORD")) && *v)
		return xstrdup(v);
	return from_file ? xstrdup(from_file) : NULL;
}

static void check_target(struct database_target *t)
{
	const struct database_engine *e = database_engine_find(t->url.kind);
	unsigned port = t->url.port;
	int fd;

	database_fact(t, "url", "%s", t->url.display);
	database_fact(t, "kind", "%s", database_kind_name(t->url.kind));
	if (!e)
		return;
	if (!e->network) {
		e->check(t, -1);
		return;
	}
	if (resolve(t) < 0)
		return;
	if (e->port) {
		port = e->port(t);
		if (!port)
			return;
	}
	fd = connect_all(t, port);
	if (fd < 0)
		return;
	t->url.port = port;
	e->check(t, fd);
}

static unsigned config_uint(struct collector_ctx *ctx, const char *key,
			    unsigned long long min, unsigned long long max,
			    unsigned def)
{
	const char *v = ctx_config_get(ctx, key);
	unsigned long long x;

	if (!v)
		return def;
	if (parse_config_uint(key, v, min, max, &x) < 0) {
		char *d = xasprintf("[database] %s = '%s' is not a number "
				    "between %llu and %llu; using %u",
				    key, v, min, max, def);
		char *where = ctx_config_where(ctx, key, NULL);
		char *hint = xasprintf(N_("Fix the value at %s"), where);
		struct finding f = {
			.id = "db.config.invalid",
			.severity = SEVERITY_WARN,
			.level = LEVEL_SELF,
			.title = N_("A database setting of rdiag is invalid"),
			.detail = d,
			.hint = hint,
		};

		ctx_finding(ctx, &f);
		free(hint);
		free(where);
		free(d);
		return def;
	}
	return (unsigned)x;
}

static int database_run(struct collector_ctx *ctx)
{
	const char *const *urls;
	size_t n = ctx_config_values(ctx, "url", &urls);
	char *from_file = NULL;
	unsigned step_ms, browser_port;
	int r = 0;

	if (n == 0) {
		struct finding f = {
			.id = "db.no_target",
			.severity = SEVERITY_INFO,
			.level = LEVEL_SELF,
			.title = N_("No database to check: skipped"),
			.detail = "no url in the [database] section and no "
				  "--db option",
			.hint = N_("Name the application's database: rdiag run "
				   "--db postgresql://USER@HOST:5432/DB, or "
				   "url = ... under [database] in ")
				RDIAG_SYSCONFDIR
			"/rdiag.conf; give the "
			"password in "
			"RDIAG_DB_PASSWORD or a 0600 password_file",
		};

		ctx_finding(ctx, &f);
		return ctx_skip(ctx, "no database configured ([database] url "
				     "or --db)");
	}
	step_ms = config_uint(ctx, "connect_timeout_ms", 100, 120000,
			      DEFAULT_STEP_MS);
	browser_port = config_uint(ctx, "browser_port", 1, 65535, 1434);
	if (read_password_file(ctx, &from_file) < 0)
		r = -EPERM;
	for (size_t i = 0; i < n; i++) {
		struct database_target t;
		char err[256];

		memset(&t, 0, sizeof(t));
		t.ctx = ctx;
		t.index = (unsigned)i + 1;
		t.step_ms = step_ms;
		t.browser_port = browser_port;
		t.expected_encoding = ctx_config_get(ctx, "expected_encoding");
		if (ctx_remaining_ms(ctx) <= 0) {
			r = -ETIME;
			break;
		}
		if (database_url_parse(urls[i], &t.url, err, sizeof(err)) < 0) {
			char *where = ctx_config_where(ctx, "url", urls[i]);
			char *hint = xasprintf(
				N_("Correct url = ... at %s: write it as "
				   "postgresql://USER@HOST:PORT/DB, "
				   "mysql://..., "
				   "sqlserver://HOST[:PORT][/INSTANCE] or "
				   "sqlite:///PATH"),
				where ? where : "rdiag's configuration");

			/* Not echoed: a malformed url may hold a password. */
			snprintf(t.url.display, sizeof(t.url.display),
				 "url #%u", t.index);
			database_finding(&t, "db.url.invalid", SEVERITY_FAIL,
					 LEVEL_SUPPORT,
					 N_("A database url in the "
					    "configuration is invalid"),
					 hint, "%s", err);
			free(hint);
			free(where);
			continue;
		}
		if (t.url.has_password) {
			database_finding(&t, "db.url.password_in_url",
					 SEVERITY_FAIL, LEVEL_SELF,
					 N_("A database url contains a "
					    "password; rdiag refuses it"),
					 N_("Remove the password from the url "
					    "and give it in RDIAG_DB_PASSWORD "
					    "(or RDIAG_DB_PASSWORD_N) or in a "
					    "0600 password_file"),
					 NULL);
			continue;
		}
		/* The application gives up after its connect_timeout: so do
		 * the steps that stand for its connection. */
		if (t.url.connect_timeout_s) {
			t.step_ms = t.url.connect_timeout_s * 1000;
			database_fact(&t, "connect_timeout_s", "%u",
				      t.url.connect_timeout_s);
		}
		if (t.url.tls_param[0])
			database_fact(&t, "tls_setting", "%s", t.url.tls_param);
		t.password = password_for(t.index, from_file);
		check_target(&t);
		secret_free(t.password);
	}
	secret_free(from_file);
	return r;
}

/* A url given with --db: refused at once (exit 64) when it cannot work. */
static int database_check(const char *key, const char *value, char **ret_err)
{
	struct database_url u;
	char err[256];

	if (strcmp(key, "url") != 0)
		return 0;
	if (database_url_parse(value, &u, err, sizeof(err)) < 0) {
		*ret_err = xstrdup(err);
		return -EINVAL;
	}
	if (u.has_password) {
		*ret_err = xstrdup("a password in the url is refused (others "
				   "can read the command line): give it in "
				   "RDIAG_DB_PASSWORD or a 0600 password_file");
		return -EINVAL;
	}
	return 0;
}

const struct collector collector_database = {
	.name = "database",
	.summary = N_("can this host reach the application's database: DNS, "
		      "TCP, TLS, auth method, version, limits, server errors"),
	.flags = 0,
	.deadline_ms = 60000,
	.keys = database_keys,
	.check = database_check,
	.run = database_run,
};
