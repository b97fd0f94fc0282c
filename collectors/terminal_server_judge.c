/*
 * Platform-neutral judgement of a terminal server: thresholds, levels,
 * titles and hints. Nothing here reads the host.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rdiag/buf.h"
#include "rdiag/i18n.h"
#include "terminal_server_judge.h"

#define MIB (1024ull * 1024)

static void add(struct verdict_list *l, const char *id, enum severity sev,
		enum support_level level, const char *title, const char *hint,
		const char *detail_fmt, ...) RDIAG_PRINTF(7, 8);

/* A verdict with a static title and hint and a formatted detail. */
static void add(struct verdict_list *l, const char *id, enum severity sev,
		enum support_level level, const char *title, const char *hint,
		const char *detail_fmt, ...)
{
	struct verdict_item *v = verdict_add(l, id, sev, level, "%s", title);
	va_list ap;

	if (hint)
		verdict_hint(v, "%s", hint);
	va_start(ap, detail_fmt);
	v->detail = xvasprintf(detail_fmt, ap);
	va_end(ap);
}

unsigned terminal_server_percent(uint64_t used, uint64_t size)
{
	if (size == 0)
		return 0;
	if (used >= size)
		return 100;
	/* Avoids overflow for sizes near UINT64_MAX. */
	if (used > UINT64_MAX / 100)
		return (unsigned)(used / (size / 100));
	return (unsigned)(used * 100 / size);
}

static bool near(uint64_t used, uint64_t limit)
{
	return limit != TERMINAL_SERVER_NO_LIMIT && limit > 0 &&
	       terminal_server_percent(used, limit) >=
		       TERMINAL_SERVER_NEAR_PERCENT;
}

bool terminal_server_judge_presence(const struct terminal_server_presence *p,
				    struct verdict_list *out)
{
	bool is = p->rdp_service_running || p->session_manager_running ||
		  p->remote_sessions > 0 || p->users >= 2;

	if (!is) {
		/* terminal_server.rdp.service_down says what this host is. */
		if (p->rdp_service_down)
			return false;
		add(out, "terminal_server.not_detected", SEVERITY_OK,
		    LEVEL_THIRD_PARTY, N_("This host is not a terminal server"),
		    NULL,
		    "no RDP service or session manager running, %u remote "
		    "sessions, %u sessions of %u users",
		    p->remote_sessions, p->sessions, p->users);
		return false;
	}
	add(out, "terminal_server.detected", SEVERITY_INFO, LEVEL_THIRD_PARTY,
	    N_("This host is a terminal server"), NULL,
	    "RDP service %s, session manager %s; %u remote sessions, %u "
	    "sessions of %u users in all",
	    p->rdp_service_running ? "running" : "not running",
	    p->session_manager_running ? "running" : "not running",
	    p->remote_sessions, p->sessions, p->users);
	return true;
}

static const char *limit_text(uint64_t v, char *buf, size_t len)
{
	if (v == TERMINAL_SERVER_NO_LIMIT)
		snprintf(buf, len, "unlimited");
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

void terminal_server_judge_users(const struct terminal_server_user *u, size_t n,
				 const struct terminal_server_host *h,
				 struct verdict_list *out)
{
	struct buf nofile, nproc, mem, pids, rt, watches, inst;
	enum severity mem_sev = SEVERITY_WARN;
	size_t before = out->n;

	buf_init(&nofile, 0);
	buf_init(&nproc, 0);
	buf_init(&mem, 0);
	buf_init(&pids, 0);
	buf_init(&rt, 0);
	buf_init(&watches, 0);
	buf_init(&inst, 0);
	for (size_t i = 0; i < n; i++) {
		const struct terminal_server_user *x = &u[i];
		char a[24], b[24];

		if (near(x->max_fds, x->nofile_limit))
			buf_printf(&nofile,
				   "%s%s: process %d has %u open files, its "
				   "limit is %llu",
				   nofile.len ? "; " : "", x->name,
				   x->max_fds_pid, x->max_fds,
				   (unsigned long long)x->nofile_limit);
		/* root is not held to RLIMIT_NPROC */
		if (x->uid != 0 && near(x->threads, x->nproc_limit))
			buf_printf(&nproc,
				   "%s%s: %u processes and threads, limit "
				   "%llu",
				   nproc.len ? "; " : "", x->name, x->threads,
				   (unsigned long long)x->nproc_limit);
		if (near(x->mem_current, x->mem_max) || x->oom_kills > 0) {
			buf_printf(&mem,
				   "%s%s: %llu MiB of memory.max %s MiB in "
				   "%s, %llu processes killed for memory",
				   mem.len ? "; " : "", x->name,
				   (unsigned long long)(x->mem_current / MIB),
				   x->mem_max == TERMINAL_SERVER_NO_LIMIT
					   ? "max"
					   : limit_text(x->mem_max / MIB, a,
							sizeof(a)),
				   x->cgroup, (unsigned long long)x->oom_kills);
			if (x->oom_kills > 0)
				mem_sev = SEVERITY_FAIL;
		}
		if (near(x->pids_current, x->pids_max) || x->pids_max_hits > 0)
			buf_printf(&pids,
				   "%s%s: %llu tasks of pids.max %s in %s, "
				   "refused %llu times",
				   pids.len ? "; " : "", x->name,
				   (unsigned long long)x->pids_current,
				   limit_text(x->pids_max, b, sizeof(b)),
				   x->cgroup,
				   (unsigned long long)x->pids_max_hits);
		if (x->runtime_measured &&
		    near(x->runtime_size - x->runtime_avail, x->runtime_size))
			buf_printf(
				&rt, "%s%s: %llu KiB free of %llu KiB",
				rt.len ? "; " : "", x->name,
				(unsigned long long)(x->runtime_avail / 1024),
				(unsigned long long)(x->runtime_size / 1024));
		if (near(x->inotify_watches, h->inotify_max_user_watches))
			buf_printf(&watches, "%s%s: %llu of %llu",
				   watches.len ? "; " : "", x->name,
				   (unsigned long long)x->inotify_watches,
				   (unsigned long long)
					   h->inotify_max_user_watches);
		if (near(x->inotify_instances, h->inotify_max_user_instances))
			buf_printf(&inst, "%s%s: %u of %llu",
				   inst.len ? "; " : "", x->name,
				   x->inotify_instances,
				   (unsigned long long)
					   h->inotify_max_user_instances);
	}
	if (nofile.len)
		add(out, "terminal_server.limits.open_files", SEVERITY_WARN,
		    LEVEL_THIRD_PARTY,
		    N_("Users are close to their limit of open files"),
		    N_("Ask the terminal server's administrator to raise the "
		       "nofile limit (/etc/security/limits.conf or "
		       "DefaultLimitNOFILE) for these users."),
		    "%s", nofile.data);
	if (nproc.len)
		add(out, "terminal_server.limits.processes", SEVERITY_WARN,
		    LEVEL_THIRD_PARTY,
		    N_("Users are close to their limit of processes"),
		    N_("Ask the terminal server's administrator to raise the "
		       "nproc limit in /etc/security/limits.conf for these "
		       "users."),
		    "%s", nproc.data);
	if (mem.len)
		add(out, "terminal_server.limits.cgroup_memory", mem_sev,
		    LEVEL_THIRD_PARTY,
		    N_("Users are at the memory limit of their cgroup"),
		    N_("Ask the terminal server's administrator to raise "
		       "MemoryMax for user slices (systemctl set-property "
		       "user-UID.slice MemoryMax=...) or to add memory."),
		    "%s", mem.data);
	if (pids.len)
		add(out, "terminal_server.limits.cgroup_pids", SEVERITY_WARN,
		    LEVEL_THIRD_PARTY,
		    N_("Users are at the task limit of their cgroup"),
		    N_("Ask the terminal server's administrator to raise "
		       "TasksMax for user slices (UserTasksMax in logind.conf "
		       "or systemctl set-property)."),
		    "%s", pids.data);
	if (rt.len)
		add(out, "terminal_server.runtime_dir.full", SEVERITY_WARN,
		    LEVEL_THIRD_PARTY,
		    N_("The per-user runtime directory is nearly full"),
		    N_("Ask the terminal server's administrator to raise "
		       "RuntimeDirectorySize in logind.conf or to find what "
		       "fills /run/user/UID."),
		    "%s", rt.data);
	if (watches.len)
		add(out, "terminal_server.inotify.watches", SEVERITY_WARN,
		    LEVEL_THIRD_PARTY,
		    N_("Users have used up their inotify watches"),
		    N_("Ask the terminal server's administrator to raise "
		       "fs.inotify.max_user_watches (sysctl) so programs "
		       "notice changed files again."),
		    "inotify watches in use per user against "
		    "fs.inotify.max_user_watches: %s",
		    watches.data);
	if (inst.len)
		add(out, "terminal_server.inotify.instances", SEVERITY_WARN,
		    LEVEL_THIRD_PARTY,
		    N_("Users have used up their inotify instances"),
		    N_("Ask the terminal server's administrator to raise "
		       "fs.inotify.max_user_instances (sysctl)."),
		    "inotify instances per user against "
		    "fs.inotify.max_user_instances: %s",
		    inst.data);
	if (out->n == before)
		add(out, "terminal_server.limits.ok", SEVERITY_OK,
		    LEVEL_THIRD_PARTY,
		    N_("No user is near a process, file, memory or inotify "
		       "limit"),
		    NULL, "%zu users checked%s", n,
		    h->counted_inotify
			    ? ""
			    : "; inotify use not counted (needs root)");
	buf_release(&nofile);
	buf_release(&nproc);
	buf_release(&mem);
	buf_release(&pids);
	buf_release(&rt);
	buf_release(&watches);
	buf_release(&inst);
}

void terminal_server_judge_files(uint64_t allocated, uint64_t max,
				 struct verdict_list *out)
{
	unsigned pct = terminal_server_percent(allocated, max);

	if (max == 0 || max == TERMINAL_SERVER_NO_LIMIT)
		return;
	if (pct >= 80)
		add(out, "terminal_server.files.near_max",
		    pct >= 95 ? SEVERITY_FAIL : SEVERITY_WARN,
		    LEVEL_THIRD_PARTY,
		    N_("The host is running out of open files"),
		    N_("Ask the terminal server's administrator to raise "
		       "fs.file-max (sysctl) or find the process holding the "
		       "files."),
		    "%llu of fs.file-max %llu file handles in use (%u %%)",
		    (unsigned long long)allocated, (unsigned long long)max,
		    pct);
	else
		add(out, "terminal_server.files.ok", SEVERITY_OK,
		    LEVEL_THIRD_PARTY,
		    N_("The host has enough file handles left"), NULL,
		    "%llu of fs.file-max %llu in use (%u %%)",
		    (unsigned long long)allocated, (unsigned long long)max,
		    pct);
}

void terminal_server_judge_space(const struct terminal_server_space *s,
				 size_t n, struct verdict_list *out)
{
	struct buf low, hung;
	enum severity low_sev = SEVERITY_WARN;
	size_t measured = 0;

	buf_init(&low, 0);
	buf_init(&hung, 0);
	for (size_t i = 0; i < n; i++) {
		const struct terminal_server_space *x = &s[i];
		unsigned free_pct;

		if (x->state == TERMINAL_SERVER_HUNG) {
			buf_printf(&hung, "%s%s %s (%s) did not answer",
				   hung.len ? "; " : "", x->what, x->path,
				   x->users);
			continue;
		}
		if (x->state == TERMINAL_SERVER_FAILED) {
			if (x->error == -EIO || x->error == -ENOTCONN ||
			    x->error == -ESTALE)
				buf_printf(&hung, "%s%s %s (%s): %s",
					   hung.len ? "; " : "", x->what,
					   x->path, x->users,
					   strerror(-x->error));
			continue;
		}
		measured++;
		free_pct = terminal_server_percent(x->avail, x->size);
		if (x->size == 0)
			continue;
		if (free_pct < 10 || x->avail < 256 * MIB) {
			buf_printf(
				&low,
				"%s%s %s (%s): %llu MiB free of %llu MiB "
				"(%u %%)",
				low.len ? "; " : "", x->what, x->path, x->users,
				(unsigned long long)(x->avail / MIB),
				(unsigned long long)(x->size / MIB), free_pct);
			if (free_pct < 2 || x->avail < 32 * MIB)
				low_sev = SEVERITY_FAIL;
		}
	}
	if (low.len)
		add(out, "terminal_server.space.low", low_sev,
		    LEVEL_THIRD_PARTY,
		    N_("Session home or temporary directories are nearly full"),
		    N_("Ask the terminal server's administrator to free space "
		       "or raise the quota there; the application cannot save "
		       "or unpack files without it."),
		    "%s", low.data);
	if (hung.len)
		add(out, "terminal_server.space.unresponsive", SEVERITY_WARN,
		    LEVEL_THIRD_PARTY,
		    N_("A session home or temporary directory does not answer"),
		    N_("Ask the terminal server's administrator to check the "
		       "network file system these directories are on."),
		    "%s", hung.data);
	if (!low.len && !hung.len && measured > 0)
		add(out, "terminal_server.space.ok", SEVERITY_OK,
		    LEVEL_THIRD_PARTY,
		    N_("Session home and temporary directories have space"),
		    NULL, "%zu directories checked", measured);
	buf_release(&low);
	buf_release(&hung);
}

void terminal_server_judge_max_sessions(unsigned in_use, long max,
					struct verdict_list *out)
{
	if (max < 0)
		return;
	if (max == 0) {
		add(out, "terminal_server.sessions.ok", SEVERITY_OK,
		    LEVEL_THIRD_PARTY, N_("Sessions are not limited in number"),
		    NULL, "%u sessions in use, MaxSessions = 0 (no limit)",
		    in_use);
		return;
	}
	if (in_use >= (unsigned long)max)
		add(out, "terminal_server.sessions.at_limit", SEVERITY_FAIL,
		    LEVEL_THIRD_PARTY,
		    N_("The terminal server takes no more sessions"),
		    N_("Ask the terminal server's administrator to end "
		       "disconnected sessions or raise MaxSessions in "
		       "sesman.ini."),
		    "%u sessions in use, MaxSessions = %ld", in_use, max);
	else if ((uint64_t)in_use * 100 >= (uint64_t)max * 80)
		add(out, "terminal_server.sessions.near_limit", SEVERITY_WARN,
		    LEVEL_THIRD_PARTY,
		    N_("The terminal server is close to its session limit"),
		    N_("Ask the terminal server's administrator to end "
		       "disconnected sessions or raise MaxSessions in "
		       "sesman.ini."),
		    "%u sessions in use, MaxSessions = %ld", in_use, max);
	else
		add(out, "terminal_server.sessions.ok", SEVERITY_OK,
		    LEVEL_THIRD_PARTY,
		    N_("The terminal server has sessions to spare"), NULL,
		    "%u sessions in use, MaxSessions = %ld", in_use, max);
}

void terminal_server_judge_policy(const struct terminal_server_policy *p,
				  struct verdict_list *out)
{
	if (p->kill_disconnected == 0 && p->disconnected_time_limit <= 0)
		add(out, "terminal_server.policy.disconnected_kept",
		    SEVERITY_INFO, LEVEL_THIRD_PARTY,
		    N_("Disconnected sessions are never ended"),
		    N_("If sessions pile up or users find the application "
		       "still open from an old session, ask the administrator "
		       "to set KillDisconnected=true and a "
		       "DisconnectedTimeLimit in sesman.ini."),
		    "KillDisconnected = false, DisconnectedTimeLimit = "
		    "%ld, IdleTimeLimit = %ld",
		    p->disconnected_time_limit, p->idle_time_limit);
	else
		add(out, "terminal_server.policy.ok", SEVERITY_OK,
		    LEVEL_THIRD_PARTY,
		    N_("Disconnected sessions are ended by policy"), NULL,
		    "KillDisconnected = %s, DisconnectedTimeLimit = %ld, "
		    "IdleTimeLimit = %ld",
		    p->kill_disconnected < 0   ? "(unset)"
		    : p->kill_disconnected > 0 ? "true"
					       : "false",
		    p->disconnected_time_limit, p->idle_time_limit);
}

void terminal_server_judge_drives(const struct terminal_server_drive *d,
				  size_t n, struct verdict_list *out)
{
	struct buf hung, broken;
	size_t ok = 0;

	buf_init(&hung, 0);
	buf_init(&broken, 0);
	for (size_t i = 0; i < n; i++) {
		if (d[i].state == TERMINAL_SERVER_HUNG)
			buf_printf(&hung, "%s%s: %s", hung.len ? "; " : "",
				   d[i].user, d[i].path);
		else if (d[i].state == TERMINAL_SERVER_FAILED)
			buf_printf(&broken, "%s%s: %s: %s",
				   broken.len ? "; " : "", d[i].user, d[i].path,
				   strerror(-d[i].error));
		else
			ok++;
	}
	if (hung.len)
		add(out, "terminal_server.drive_redirection.hung",
		    SEVERITY_WARN, LEVEL_THIRD_PARTY,
		    N_("A redirected client drive hangs"),
		    N_("The user should disconnect and reconnect the RDP "
		       "session; programs that open files there freeze until "
		       "then."),
		    "no answer from %s", hung.data);
	if (broken.len)
		add(out, "terminal_server.drive_redirection.broken",
		    SEVERITY_WARN, LEVEL_THIRD_PARTY,
		    N_("A redirected client drive is broken"),
		    N_("The user should reconnect the RDP session; the drive "
		       "redirection (xrdp-chansrv) has stopped."),
		    "%s", broken.data);
	if (!hung.len && !broken.len && ok > 0)
		add(out, "terminal_server.drive_redirection.ok", SEVERITY_OK,
		    LEVEL_THIRD_PARTY, N_("Redirected client drives answer"),
		    NULL, "%zu drive redirection mounts answered", ok);
	buf_release(&hung);
	buf_release(&broken);
}

/* "C", "POSIX", "C.UTF-8"... and "" set no language. */
static bool lang_missing(const char *l)
{
	return l[0] == '\0' || strcmp(l, "C") == 0 || strcmp(l, "POSIX") == 0;
}

/* en_US.UTF-8 and en_US.utf8 are the same locale. */
static bool lang_same(const char *a, const char *b)
{
	size_t i = 0, j = 0;

	for (;;) {
		while (a[i] == '-')
			i++;
		while (b[j] == '-')
			j++;
		if (!a[i] || !b[j])
			return !a[i] && !b[j];
		if ((a[i] | 0x20) != (b[j] | 0x20))
			return false;
		i++;
		j++;
	}
}

void terminal_server_judge_locale(const char *system_lang,
				  const struct terminal_server_locale *v,
				  size_t n, struct verdict_list *out)
{
	struct buf missing, other;

	if (n == 0)
		return;
	buf_init(&missing, 0);
	buf_init(&other, 0);
	for (size_t i = 0; i < n; i++) {
		if (lang_missing(v[i].lang))
			buf_printf(&missing, "%s%s (%s)",
				   missing.len ? ", " : "", v[i].user,
				   v[i].lang[0] ? v[i].lang : "none");
		else if (!lang_same(v[i].lang, system_lang))
			buf_printf(&other, "%s%s (%s)", other.len ? ", " : "",
				   v[i].user, v[i].lang);
	}
	if (missing.len)
		add(out, "terminal_server.locale.missing", SEVERITY_WARN,
		    LEVEL_THIRD_PARTY,
		    N_("Sessions run without a language setting"),
		    N_("Ask the terminal server's administrator to set LANG "
		       "for sessions (/etc/default/locale, and "
		       "/etc/xrdp/startwm.sh for xrdp); without it accented "
		       "characters in file names and documents break."),
		    "sessions: %s; system default: %s", missing.data,
		    system_lang[0] ? system_lang : "none");
	if (other.len)
		add(out, "terminal_server.locale.mismatch", SEVERITY_INFO,
		    LEVEL_THIRD_PARTY,
		    N_("Sessions use another language than the system default"),
		    N_("If dates, numbers or characters look wrong for some "
		       "users only, compare their session language with the "
		       "system default."),
		    "sessions: %s; system default: %s", other.data,
		    system_lang[0] ? system_lang : "none");
	if (!missing.len && !other.len)
		add(out, "terminal_server.locale.ok", SEVERITY_OK,
		    LEVEL_THIRD_PARTY,
		    N_("Sessions use the system's language setting"), NULL,
		    "%zu sessions with %s", n, system_lang);
	buf_release(&missing);
	buf_release(&other);
}

void terminal_server_judge_printing(bool spooler_present, long printers,
				    struct verdict_list *out)
{
	if (!spooler_present)
		add(out, "terminal_server.printing.no_cups", SEVERITY_INFO,
		    LEVEL_THIRD_PARTY,
		    N_("No print system (CUPS) is installed"),
		    N_("If users must print from the application, ask the "
		       "administrator to install CUPS; redirected client "
		       "printers need it too."),
		    "neither lpstat nor /etc/cups found");
	else if (printers == 0)
		add(out, "terminal_server.printing.no_printers", SEVERITY_INFO,
		    LEVEL_THIRD_PARTY, N_("CUPS has no printers"),
		    N_("If users must print from the application, ask the "
		       "administrator to add a printer or enable printer "
		       "redirection."),
		    "0 printers defined");
	else if (printers > 0)
		add(out, "terminal_server.printing.ok", SEVERITY_OK,
		    LEVEL_THIRD_PARTY, N_("CUPS has printers"), NULL,
		    "%ld printers defined", printers);
}

static const char *errno_words(int rc)
{
	switch (rc) {
	case -ECONNREFUSED:
		return "nothing listens there (connection refused)";
	case -ETIMEDOUT:
		return "no answer before the deadline";
	case -EHOSTUNREACH:
	case -ENETUNREACH:
		return "no route to the host";
	case -ECONNRESET:
		return "the server closed the connection";
	case -EBADMSG:
		return "the answer is not RDP";
	default:
		return strerror(-rc);
	}
}

static void attempt_text(const struct rdp_attempt *a, struct buf *b)
{
	buf_printf(b, "%srequest 0x%02x: ", b->len ? "; " : "",
		   (unsigned)a->requested);
	if (!a->done)
		buf_puts(b, "not tried");
	else if (a->rc < 0)
		buf_puts(b, errno_words(a->rc));
	else if (a->reply.kind == RDP_REPLY_SELECTED)
		buf_printf(b, "selected %s (0x%02x)",
			   rdp_protocol_name(a->reply.value),
			   (unsigned)a->reply.value);
	else if (a->reply.kind == RDP_REPLY_LEGACY)
		buf_puts(b, "answered without negotiation (standard RDP "
			    "security)");
	else
		buf_printf(b, "failure %u, %s", (unsigned)a->reply.value,
			   rdp_failure_text(a->reply.value));
}

/* An expired certificate from a trusted CA is that fault alone. */
static bool chain_error_is_expiry(const struct tls_info *t)
{
	return t->days_left < 0 && !t->self_signed &&
	       strstr(t->verify_error, "expired") != NULL;
}

/*
 * Whether RDP clients will trust the certificate, one finding per fault,
 * as the database's TLS check does: self-signed, an issuer this system
 * does not trust, a name the clients do not connect by.
 */
static bool judge_trust(const char *target, const struct tls_info *t,
			struct verdict_list *out)
{
	bool bad = false;
	struct verdict_item *v;

	if (!t->chain_ok && t->self_signed) {
		v = verdict_add(out, "terminal_server.rdp.cert_self_signed",
				SEVERITY_WARN, LEVEL_THIRD_PARTY,
				"The RDP server's certificate is self-signed");
		verdict_hint(
			v, "Ask the terminal server's administrator (your IT) "
			   "to install a certificate from your company's CA "
			   "(xrdp.ini certificate= and key_file=; Windows: "
			   "Remote Desktop certificate template); until then "
			   "every RDP client warns about the server and users "
			   "learn to click the warning away.");
		verdict_detail(v, "%s: subject %s, issuer %s: %s", target,
			       t->subject, t->issuer,
			       t->verify_error[0] ? t->verify_error
						  : "self-signed");
		bad = true;
	} else if (!t->chain_ok && !chain_error_is_expiry(t)) {
		v = verdict_add(out, "terminal_server.rdp.cert_untrusted",
				SEVERITY_WARN, LEVEL_THIRD_PARTY,
				"The RDP server's certificate is not trusted "
				"by this system's CA store");
		verdict_hint(
			v, "Ask the terminal server's administrator (your IT) "
			   "to install the issuing CA on the clients, or a "
			   "certificate from a CA they trust; until then RDP "
			   "clients warn about the server or refuse it.");
		verdict_detail(v, "%s: %s; subject %s, issuer %s", target,
			       t->verify_error[0] ? t->verify_error
						  : "the chain does not verify",
			       t->subject, t->issuer);
		bad = true;
	}
	if (!t->name_match) {
		v = verdict_add(out, "terminal_server.rdp.cert_name_mismatch",
				SEVERITY_WARN, LEVEL_THIRD_PARTY,
				"The RDP server's certificate does not name "
				"the host clients connect to");
		verdict_hint(v,
			     "Ask the terminal server's administrator (your "
			     "IT) for a certificate that lists the name users "
			     "connect by, or connect by a name the certificate "
			     "lists; otherwise RDP clients warn about the "
			     "server.");
		verdict_detail(v, "%s: certificate subject %s", target,
			       t->subject);
		bad = true;
	}
	return bad;
}

static void judge_cert(const char *target, const struct rdp_probe_result *r,
		       unsigned warn_days, struct verdict_list *out)
{
	const struct tls_info *t = &r->tls;
	bool untrusted;

	if (r->tls_rc < 0 || !t->have_cert) {
		add(out, "terminal_server.rdp.tls_failed", SEVERITY_WARN,
		    LEVEL_THIRD_PARTY,
		    N_("The RDP server selected TLS but the handshake failed"),
		    N_("Ask the terminal server's administrator to check the "
		       "server's certificate and key (xrdp.ini certificate= "
		       "and key_file=)."),
		    "%s: %s", target,
		    t->error[0] ? t->error : "no certificate");
		return;
	}
	untrusted = judge_trust(target, t, out);
	if (t->days_left < 0)
		add(out, "terminal_server.rdp.cert_expired", SEVERITY_FAIL,
		    LEVEL_THIRD_PARTY,
		    N_("The RDP server's certificate has expired"),
		    N_("Ask the terminal server's administrator to renew the "
		       "certificate; clients warn or refuse to connect."),
		    "%s: subject %s, expired %s (%d days ago)", target,
		    t->subject, t->not_after, -t->days_left);
	else if ((unsigned)t->days_left < warn_days)
		add(out, "terminal_server.rdp.cert_expiring", SEVERITY_WARN,
		    LEVEL_THIRD_PARTY,
		    N_("The RDP server's certificate expires soon"),
		    N_("Ask the terminal server's administrator to renew the "
		       "certificate before it expires."),
		    "%s: subject %s, expires %s (in %d days)", target,
		    t->subject, t->not_after, t->days_left);
	else if (!untrusted)
		add(out, "terminal_server.rdp.cert_ok", SEVERITY_OK,
		    LEVEL_THIRD_PARTY,
		    N_("The RDP server's certificate is valid"), NULL,
		    "%s: subject %s, issuer %s, expires %s (in %d days)%s",
		    target, t->subject, t->issuer, t->not_after, t->days_left,
		    t->self_signed ? ", self-signed" : "");
}

/* Did the probe fail to connect at all (nothing listens, no route)? */
static bool connect_failed(int rc)
{
	return rc < 0 && rc != -EBADMSG && rc != -ECONNRESET;
}

bool terminal_server_judge_service(const struct terminal_server_service *svc,
				   struct verdict_list *out)
{
	struct verdict_item *v;

	if (!svc->expected || !connect_failed(svc->connect_rc))
		return false;
	v = verdict_add(out, "terminal_server.rdp.service_down", SEVERITY_FAIL,
			LEVEL_THIRD_PARTY, "The RDP service is down");
	verdict_detail(v,
		       "%s, but nothing accepts connections on its listener "
		       "%s: %s; %s",
		       svc->why, svc->target, errno_words(svc->connect_rc),
		       svc->process_running
			       ? "an xrdp process runs, but not on this port"
			       : "no xrdp process runs");
	verdict_hint(v,
		     "Ask the terminal server's administrator (your IT) to "
		     "start xrdp ('systemctl start xrdp xrdp-sesman') and to "
		     "find in /var/log/xrdp.log why it stopped; until it runs "
		     "no user can connect. If this host is no longer meant to "
		     "be a terminal server, disable xrdp ('systemctl disable "
		     "xrdp') and rdiag stops expecting it.");
	return true;
}

void terminal_server_judge_rdp(const char *target,
			       const struct rdp_probe_result *r,
			       unsigned cert_warn_days,
			       struct verdict_list *out)
{
	struct rdp_security s;
	struct buf d;

	buf_init(&d, 0);
	attempt_text(&r->best, &d);
	attempt_text(&r->tls_only, &d);
	attempt_text(&r->plain, &d);
	rdp_probe_summarize(r, &s);
	if (connect_failed(r->best.rc)) {
		add(out, "terminal_server.rdp.unreachable", SEVERITY_WARN,
		    LEVEL_THIRD_PARTY, N_("The RDP server cannot be reached"),
		    N_("Check that the RDP service runs on the terminal server "
		       "and that no firewall blocks the port."),
		    "%s: %s", target, errno_words(r->best.rc));
		goto out;
	}
	if (s.selected < 0 && s.nla_required != 1) {
		add(out, "terminal_server.rdp.not_rdp", SEVERITY_WARN,
		    LEVEL_THIRD_PARTY,
		    N_("The RDP port answers, but not as an RDP server"),
		    N_("Check that rdp_host names the terminal server's RDP "
		       "port and that no other service took it."),
		    "%s: %s", target, d.data);
		goto out;
	}
	if (s.plain_accepted == 1)
		add(out, "terminal_server.rdp.plain_security", SEVERITY_WARN,
		    LEVEL_THIRD_PARTY,
		    N_("The RDP server accepts standard RDP security without "
		       "TLS"),
		    N_("Ask the terminal server's administrator to require TLS "
		       "(xrdp.ini security_layer=tls; Windows: "
		       "SecurityLayer=2) so sessions cannot be read or taken "
		       "over on the network."),
		    "%s: %s", target, d.data);
	else
		add(out, "terminal_server.rdp.ok", SEVERITY_OK,
		    LEVEL_THIRD_PARTY,
		    N_("The RDP server requires an encrypted connection"), NULL,
		    "%s: %s", target, d.data);
	if (s.nla_required == 0)
		add(out, "terminal_server.rdp.nla_not_required", SEVERITY_INFO,
		    LEVEL_THIRD_PARTY,
		    N_("The RDP server does not require Network Level "
		       "Authentication"),
		    N_("Anyone who reaches the port gets a login screen; where "
		       "the server supports it, the administrator can require "
		       "NLA (xrdp does not support it)."),
		    "%s: %s", target, d.data);
	if (r->tls_done)
		judge_cert(target, r, cert_warn_days, out);
out:
	buf_release(&d);
}
