/*
 * `rdiag agent`, the installed agent (see agentd.h): its settings, the
 * local policy, the audit log, the lock, the state directory and the poll
 * loop. Each request runs in a forked child through the same code as
 * `rdiag run` (run_execute with a plan built here), so a request that crashes
 * or exhausts something takes only its child down, and the agent records it and
 * goes on. A request is claimed in the replay store (synced) before the child
 * starts; a claimed request never starts again, so a crash in the middle
 * loses that run instead of repeating it (at most once).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/error.h"
#include "core/exitcode.h"
#include "core/report.h"
#include "core/run.h"
#include "core/sanitize.h"
#include "platform/fsutil.h"
#include "platform/platform.h"
#include "platform/proc.h"
#include "rdiag/url.h"
#include "registry.h"
#include "request/agentd.h"
#include "request/request_run.h"
#include "review/review.h"

const struct config_key agentd_config_keys[] = {
	{ "id", 0,
	  "this agent's id: names its request location (default: host name)",
	  NULL },
	{ "poll_url", 0,
	  "request location: s3://bucket/prefix/ or https://host/path/ (the id "
	  "is appended)",
	  NULL },
	{ "poll_interval", 0, "time between polls (a duration)", "60" },
	{ "poll_max_interval", 0,
	  "longest backoff after failed polls (a duration)", "900" },
	{ "unattended", 0,
	  "collectors that may run without approval, comma separated (default: "
	  "none)",
	  NULL },
	{ "allowed_upload", CONFIG_KEY_REPEATABLE,
	  "upload targets requests may name: URL prefixes (default: any)",
	  NULL },
	{ NULL, 0, NULL, NULL },
};

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* ---- settings ---- */

static char **split_list(const char *s)
{
	char *copy = xstrdup(s ? s : ""), *save = NULL, *tok;
	char **list = xcalloc(1, sizeof(*list));
	size_t n = 0;

	for (tok = strtok_r(copy, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		list = xreallocarray(list, n + 2, sizeof(*list));
		list[n++] = xstrdup(tok);
		list[n] = NULL;
	}
	free(copy);
	return list;
}

static void free_list(char **list)
{
	for (char **p = list; p && *p; p++)
		free(*p);
	free(list);
}

static bool in_list(char *const *list, const char *s)
{
	for (; list && *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

static bool id_label_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || s[0] == '.')
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789-_.") == n;
}

char *agentd_location(const char *poll_url, const char *id)
{
	size_t n = strlen(poll_url);
	bool s3 = strncmp(poll_url, "s3://", 5) == 0;

	if (n && poll_url[n - 1] == '/')
		return xasprintf("%s%s%s", poll_url, id, s3 ? "/" : "");
	return xstrdup(poll_url);
}

static int seconds(const struct config *c, const char *key, unsigned def,
		   unsigned *ret, char **ret_err)
{
	const char *s = config_get(c, "agentd", key);
	unsigned long long v;

	*ret = def;
	if (!s)
		return 0;
	if (parse_duration(s, 1, 86400, &v) < 0) {
		*ret_err = xasprintf("[agentd] %s must be a duration from 1 "
				     "to 86400 seconds (" DURATION_EXAMPLES
				     "), not '%s'",
				     key, s);
		return -EINVAL;
	}
	*ret = (unsigned)v;
	return 0;
}

static int opts_load(struct agentd_opts *o, const char *config_path,
		     const struct config_section *schema, bool need_location,
		     char **ret_err)
{
	const char **vals = NULL;
	const char *s;
	size_t n;
	int r;

	memset(o, 0, sizeof(*o));
	config_init(&o->config);
	if (!config_path && access(RDIAG_SYSCONFDIR "/agent.conf", F_OK) == 0)
		config_path = RDIAG_SYSCONFDIR "/agent.conf";
	o->schema = schema;
	if ((r = config_load_files(&o->config, config_path, schema, ret_err)) <
	    0)
		return r;
	if (config_path)
		o->config_path = xstrdup(config_path);
	s = config_get(&o->config, "agentd", "id");
	o->id = s ? xstrdup(s) : run_host_label();
	if (!id_label_ok(o->id)) {
		*ret_err = xasprintf("[agentd] id may use only letters, "
				     "digits, '.', '-' and '_', not '%s'",
				     o->id);
		return -EINVAL;
	}
	s = config_get(&o->config, "agentd", "poll_url");
	if (s) {
		struct upload_url u;

		if ((r = upload_url_parse(s, &u, ret_err)) < 0)
			return r;
		r = u.scheme == UPLOAD_S3 || u.scheme == UPLOAD_HTTPS;
		upload_url_release(&u);
		if (!r) {
			*ret_err = xstrdup("[agentd] poll_url must be an "
					   "s3:// or https:// URL");
			return -EINVAL;
		}
		o->location = agentd_location(s, o->id);
	} else if (need_location) {
		*ret_err = xasprintf("[agentd] poll_url is not set%s%s",
				     config_path ? " in " : "",
				     config_path ? config_path : "");
		return -EINVAL;
	}
	if ((r = seconds(&o->config, "poll_interval", 60, &o->interval_s,
			 ret_err)) < 0 ||
	    (r = seconds(&o->config, "poll_max_interval", 900,
			 &o->max_interval_s, ret_err)) < 0)
		return r;
	if (o->max_interval_s < o->interval_s)
		o->max_interval_s = o->interval_s;
	o->unattended =
		split_list(config_get(&o->config, "agentd", "unattended"));
	for (char **p = o->unattended; *p; p++)
		if (!registry_find(registry_collectors, *p)) {
			*ret_err = xasprintf("[agentd] unattended names an "
					     "unknown collector '%s'",
					     *p);
			return -EINVAL;
		}
	if ((n = config_values(&o->config, "agentd", "allowed_upload", &vals)) >
	    0) {
		o->allowed_uploads = xcalloc(n + 1, sizeof(char *));
		for (size_t i = 0; i < n; i++)
			o->allowed_uploads[i] = xstrdup(vals[i]);
	}
	free(vals);
	o->state_dir = request_state_dir(&o->config);
	o->trusted_dir = request_trusted_dir(&o->config);
	return 0;
}

int agentd_opts_load(struct agentd_opts *o, const char *config_path,
		     const struct config_section *schema, bool need_location,
		     char **ret_err)
{
	int r = opts_load(o, config_path, schema, need_location, ret_err);

	/* Name the file and line the bad value came from. */
	if (r < 0)
		config_blame_message(&o->config, ret_err);
	return r;
}

void agentd_opts_release(struct agentd_opts *o)
{
	config_release(&o->config);
	free(o->config_path);
	free(o->id);
	free(o->location);
	free(o->state_dir);
	free(o->trusted_dir);
	free_list(o->unattended);
	free_list(o->allowed_uploads);
	memset(o, 0, sizeof(*o));
}

/* ---- policy ---- */

/*
 * The parts of a URL that decide where a bundle goes, split by url_split
 * (libcurl's URL API), the very reading upload_url_parse() gives the
 * upload itself: a string prefix would let https://vendor.example@evil/
 * and file:///drop/../elsewhere/ pass. The path is percent-decoded and
 * must hold no "." or ".." segment (the upload code would walk it); the
 * port is the scheme's default when none is given.
 */
struct url_where {
	char *scheme, *host, *port, *path;
};

static void url_where_free(struct url_where *w)
{
	free(w->scheme);
	free(w->host);
	free(w->port);
	free(w->path);
	memset(w, 0, sizeof(*w));
}

static const char *default_port(const char *scheme)
{
	if (strcmp(scheme, "https") == 0)
		return "443";
	if (strcmp(scheme, "http") == 0)
		return "80";
	if (strcmp(scheme, "sftp") == 0)
		return "22";
	return NULL;
}

static bool url_where_get(const char *url, struct url_where *w)
{
	struct url_parts p;
	enum url_fault f;
	const char *dp;
	bool ok;

	memset(w, 0, sizeof(*w));
	if (url_split(url, strncasecmp(url, "file:", 5) == 0 ? URL_AS_FILE : 0,
		      &p, &f) < 0)
		return false;
	/* No fragment or control character: the policy sees what is sent. */
	ok = !p.fragment &&
	     url_decode(p.path, strlen(p.path), false, &w->path) == 0;
	w->scheme = p.scheme;
	p.scheme = NULL;
	w->host = url_host_literal(&p);
	if (p.port)
		w->port = xasprintf("%u", p.port);
	else if ((dp = default_port(w->scheme)))
		w->port = xstrdup(dp);
	url_parts_release(&p);
	if (ok) {
		/* No dot segments, and no encoded slash smuggling one in. */
		for (const char *s = w->path; *s;) {
			size_t n = strcspn(s, "/");

			if ((n == 1 && s[0] == '.') ||
			    (n == 2 && s[0] == '.' && s[1] == '.'))
				ok = false;
			s += n + (s[n] == '/');
		}
	}
	if (!ok)
		url_where_free(w);
	return ok;
}

static bool str_eq_nocase(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcasecmp(a, b) == 0);
}

/* Is target inside allowed: same scheme, host, port, and a path below? */
static bool upload_allowed(const char *target, const char *allowed)
{
	struct url_where t, a;
	bool ok = false;

	if (!url_where_get(target, &t))
		return false;
	if (url_where_get(allowed, &a)) {
		size_t n = strlen(a.path);

		ok = str_eq_nocase(t.scheme, a.scheme) &&
		     str_eq_nocase(t.host, a.host) &&
		     str_eq_nocase(t.port, a.port) &&
		     strncmp(t.path, a.path, n) == 0 &&
		     (n == 0 || a.path[n - 1] == '/' || t.path[n] == '\0' ||
		      t.path[n] == '/');
		url_where_free(&a);
	}
	url_where_free(&t);
	return ok;
}

int agentd_policy(const struct agentd_opts *o, const struct request *rq,
		  char **ret_why)
{
	char *outside = NULL;

	{
		char *label = run_host_label();
		bool mine = request_for_me(rq, o->id, label);

		free(label);
		if (!mine) {
			*ret_why = xasprintf("the request is for '%s', not "
					     "for this agent ('%s')",
					     rq->audience, o->id);
			return -EPERM;
		}
	}
	if (o->allowed_uploads) {
		bool ok = false;

		for (char **p = o->allowed_uploads; *p && !ok; p++)
			ok = upload_allowed(rq->upload, *p);
		if (!ok) {
			char *shown = upload_url_scrub(rq->upload);

			*ret_why = xasprintf("upload target '%s' is not in "
					     "[agentd] allowed_upload",
					     shown);
			free(shown);
			return -EPERM;
		}
	}
	for (size_t i = 0; i < rq->ncollectors; i++) {
		char *t;

		if (in_list(o->unattended, rq->collectors[i]))
			continue;
		t = xasprintf("%s%s%s", outside ? outside : "",
			      outside ? "," : "", rq->collectors[i]);
		free(outside);
		outside = t;
	}
	if (!outside)
		return 0;
	*ret_why = xasprintf("not allowed unattended: %s", outside);
	free(outside);
	return 1;
}

/* ---- audit log ---- */

int agentd_audit(const char *state_dir, json_t *rec)
{
	char when[32], *path = xasprintf("%s/" AUDIT_FILE, state_dir), *line;
	int fd = -1, r;

	utc_iso8601(time(NULL), when, sizeof(when));
	json_object_set_new(rec, "time", json_string(when));
	line = json_dumps(rec,
			  JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	if (!line)
		abort();
	fprintf(stderr, "rdiag agent: %s\n", line);
	if ((r = audit_open(state_dir, &fd)) < 0) {
		fprintf(stderr, "rdiag agent: cannot open audit log '%s': %s\n",
			path, strerror(-r));
	} else {
		size_t n = strlen(line);

		line[n] = '\n';
		if ((r = audit_append(fd, line, n + 1)) == 0 && fsync(fd) < 0)
			r = -errno;
		line[n] = '\0';
		if (r < 0)
			fprintf(stderr,
				"rdiag agent: cannot write audit log '%s': "
				"%s\n",
				path, strerror(-r));
		close(fd);
	}
	free(line);
	free(path);
	return r;
}

static void audit_str(json_t *rec, const char *key, const char *value)
{
	char *clean = sanitize_text(value, false);

	json_object_set_new(rec, key, json_string(clean));
	free(clean);
}

static json_t *audit_rec(const char *event, const struct request *rq)
{
	json_t *j = json_object(), *cols;
	char *upload;

	json_object_set_new(j, "event", json_string(event));
	if (!rq)
		return j;
	cols = json_array();
	for (size_t i = 0; i < rq->ncollectors; i++)
		json_array_append_new(cols, json_string(rq->collectors[i]));
	upload = upload_url_scrub(rq->upload);
	json_object_set_new(j, "id", json_string(rq->id));
	json_object_set_new(j, "ticket", json_string(rq->ticket));
	json_object_set_new(j, "collectors", cols);
	audit_str(j, "upload", upload);
	json_object_set_new(j, "key", json_string(rq->key_fpr));
	free(upload);
	return j;
}

static void audit(const struct agentd_opts *o, json_t *rec)
{
	(void)agentd_audit(o->state_dir, rec);
	json_decref(rec);
}

/* ---- state directory ---- */

static char *state_path(const struct agentd_opts *o, const char *sub,
			const char *name)
{
	return xasprintf("%s/%s/%s", o->state_dir, sub, name);
}

static int write_file(const char *path, const char *data, bool excl)
{
	char *tmp = excl ? xstrdup(path) : xasprintf("%s.tmp", path);
	int fd, r = 0;

	fd = open(tmp,
		  O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
			  (excl ? O_EXCL : O_TRUNC),
		  0600);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if ((r = write_all(fd, data, strlen(data))) == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r == 0 && !excl && rename(tmp, path) < 0)
		r = -errno;
out:
	free(tmp);
	return r;
}

static char *read_small(const char *path, size_t max)
{
	char *buf = NULL;
	size_t got = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	buf = xmalloc(max + 1);
	while (got < max && (n = read(fd, buf + got, max - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	return buf;
}

static bool exists(const struct agentd_opts *o, const char *sub,
		   const char *name)
{
	char *p = state_path(o, sub, name);
	bool e = access(p, F_OK) == 0;

	free(p);
	return e;
}

static void mark(const struct agentd_opts *o, const char *sub, const char *name,
		 const char *data)
{
	char *p = state_path(o, sub, name);
	int r = write_file(p, data, false);

	if (r < 0)
		fprintf(stderr, "rdiag agent: cannot write '%s': %s\n", p,
			strerror(-r));
	free(p);
}

/* STATE/done/ID: {"result":...} and, when the run ended, its exit code. */
static void mark_done(const struct agentd_opts *o, const char *id,
		      const char *result, bool has_exit, int exit_code)
{
	json_t *j = json_pack("{s:s}", "result", result);
	char *line;

	if (j && has_exit)
		json_object_set_new(j, "exit", json_integer(exit_code));
	line = request_json_line(j);
	mark(o, "done", id, line);
	free(line);
}

static void unmark(const struct agentd_opts *o, const char *sub,
		   const char *name)
{
	char *p = state_path(o, sub, name);

	unlink(p);
	free(p);
}

static int make_state_dirs(const struct agentd_opts *o, char **ret_err)
{
	static const char *const subs[] = { "seen",    "done",     "handled",
					    "pending", "approved", "work" };
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		char *d = xasprintf("%s/%s", o->state_dir, subs[i]);

		r = fs_mkdirs(d);
		if (r < 0)
			*ret_err = xasprintf("cannot create '%s': %s", d,
					     strerror(-r));
		free(d);
		if (r < 0)
			return r;
	}
	return 0;
}

int agentd_lock(const char *state_dir, char **ret_err)
{
	char *path = xasprintf("%s/agent.lock", state_dir), pid[32];
	struct flock fl;
	int fd, r;

	if ((r = fs_mkdirs(state_dir)) < 0) {
		*ret_err = xasprintf("cannot create '%s': %s", state_dir,
				     strerror(-r));
		goto out;
	}
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		*ret_err = xasprintf("cannot open lock '%s': %s", path,
				     strerror(errno));
		goto out;
	}
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLK, &fl) < 0) {
		r = errno == EACCES || errno == EAGAIN ? -EAGAIN : -errno;
		*ret_err = r == -EAGAIN
				   ? xasprintf("another rdiag agent is running "
					       "(it holds '%s')",
					       path)
				   : xasprintf("cannot lock '%s': %s", path,
					       strerror(-r));
		close(fd);
		goto out;
	}
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == 0)
		(void)write_all(fd, pid, strlen(pid));
	r = fd;
out:
	free(path);
	return r;
}

/* Claims by the agent that never finished: the agent died in the middle. */
static void recover(const struct agentd_opts *o)
{
	char *dir = xasprintf("%s/seen", o->state_dir);
	struct dirent *de;
	DIR *d = opendir(dir);

	free(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char *p, *text;
		json_t *j, *rec;
		const char *by, *ticket;

		if (de->d_name[0] == '.' || exists(o, "done", de->d_name))
			continue;
		p = state_path(o, "seen", de->d_name);
		text = read_small(p, 4096);
		free(p);
		j = text ? json_loads(text, 0, NULL) : NULL;
		free(text);
		by = json_string_value(json_object_get(j, "by"));
		ticket = json_string_value(json_object_get(j, "ticket"));
		if (by && strcmp(by, "agent") == 0) {
			rec = audit_rec("interrupted", NULL);
			audit_str(rec, "id", de->d_name);
			audit_str(rec, "ticket", ticket ? ticket : "");
			json_object_set_new(
				rec, "reason",
				json_string("the agent stopped during this "
					    "run; not run again (at most "
					    "once)"));
			audit(o, rec);
			mark_done(o, de->d_name, "interrupted", false, 0);
		}
		json_decref(j);
	}
	closedir(d);
}

/* ---- running a request ---- */

static int run_child(const struct agentd_opts *o, const struct request *rq)
{
	struct run_plan p;
	char *err = NULL;
	int rc = 0;

	/* What `rdiag run --config AGENT.CONF --out STATE/work -q` would do:
	 * the config read afresh, [agent] applied, the request's collectors,
	 * ticket and target. */
	run_plan_init(&p);
	free(p.out_dir);
	p.out_dir = xasprintf("%s/work", o->state_dir);
	p.command_line =
		o->config_path ? xasprintf("rdiag run --config %s --out %s -q",
					   o->config_path, p.out_dir)
			       : xasprintf("rdiag run --out %s -q", p.out_dir);
	p.observer = o->run_observer;
	if (config_load_files(&p.config, o->config_path, o->schema, &err) < 0) {
		error_msg("%s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (run_plan_apply_config(&p, &err) < 0) {
		rc = error_usage("run", "%s", err);
		goto out;
	}
	/* --out wins over [agent] out_dir. */
	free(p.out_dir);
	p.out_dir = xasprintf("%s/work", o->state_dir);
	request_run_apply(&p, rq);
	rc = run_execute(&p);
out:
	run_plan_release(&p);
	free(err);
	return rc < 0 ? EXIT_SOFTWARE : rc;
}

static const char *result_name(int rc)
{
	/* The verdict's codes: the run went through and was uploaded. */
	if (rc >= 0 && rc <= EXIT_NOTHING_CHECKED)
		return "uploaded";
	if (rc == EXIT_UNAVAILABLE)
		return "upload failed";
	if (rc == EXIT_INTERRUPTED)
		return "interrupted";
	return "failed";
}

/* What the child that runs one request needs. */
struct run_job {
	const struct agentd_opts *o;
	const struct request *rq;
};

static int run_job_fn(void *arg)
{
	const struct run_job *j = arg;

	return run_child(j->o, j->rq);
}

static void run_request(const struct agentd_opts *o, const struct request *rq)
{
	struct run_job job = { o, rq };
	char *err = NULL;
	json_t *rec;
	pid_t pid;
	int r, rc = 0;

	if ((r = request_store_claim(o->state_dir, rq, "agent", &err)) < 0) {
		rec = audit_rec("refused", rq);
		audit_str(rec, "reason", err);
		audit(o, rec);
		free(err);
		return;
	}
	if ((r = proc_spawn_fn(run_job_fn, &job, &pid)) < 0) {
		rec = audit_rec("failed", rq);
		audit_str(rec, "reason", strerror(-r));
		audit(o, rec);
		mark_done(o, rq->id, "failed", false, 0);
		return;
	}
	rec = audit_rec("started", rq);
	json_object_set_new(rec, "pid", json_integer(pid));
	audit(o, rec);
	(void)proc_wait(pid, &rc);
	rec = audit_rec("finished", rq);
	json_object_set_new(rec, "exit", json_integer(rc));
	json_object_set_new(rec, "result", json_string(result_name(rc)));
	audit(o, rec);
	mark_done(o, rq->id, result_name(rc), true, rc);
}

/* ---- one poll ---- */

static void body_hash(const struct agentd_item *it, char ret[65])
{
	unsigned char d[crypto_hash_sha256_BYTES];

	if (it->oversized) {
		char *s = xasprintf("oversized:%s", it->name);

		crypto_hash_sha256(d, (const unsigned char *)s, strlen(s));
		free(s);
	} else {
		crypto_hash_sha256(d, (const unsigned char *)it->body, it->len);
	}
	sodium_bin2hex(ret, 65, d, sizeof(d));
}

static void handle_item(const struct agentd_opts *o,
			const struct request_keyring *kr,
			const struct agentd_item *it)
{
	struct request rq;
	enum request_fault f = REQUEST_FAULT_NONE;
	char *err = NULL, *why = NULL, *token, *tok_file;
	size_t len;
	json_t *rec;
	int r;

	request_init(&rq);
	if (it->oversized) {
		rec = audit_rec("refused", NULL);
		audit_str(rec, "object", it->name);
		json_object_set_new(rec, "reason",
				    json_string("oversized request: larger "
						"than a token may be"));
		audit(o, rec);
		return;
	}
	token = xstrndup(it->body, it->len);
	len = strlen(token);
	while (len && strchr(" \t\r\n", token[len - 1]))
		token[--len] = '\0';
	if (request_verify(token, len, kr, time(NULL), &rq, &f, &err) < 0) {
		rec = audit_rec("refused", NULL);
		audit_str(rec, "object", it->name);
		audit_str(rec, "reason", err);
		audit(o, rec);
		goto out;
	}
	if (request_store_seen(o->state_dir, rq.id) ||
	    exists(o, "pending", rq.id)) {
		rec = audit_rec("refused", &rq);
		audit_str(rec, "object", it->name);
		json_object_set_new(
			rec, "reason",
			json_string(request_store_seen(o->state_dir, rq.id)
					    ? "replayed request: already run "
					      "on this machine"
					    : "already waiting for approval"));
		audit(o, rec);
		goto out;
	}
	r = agentd_policy(o, &rq, &why);
	if (r < 0) {
		rec = audit_rec("refused", &rq);
		audit_str(rec, "object", it->name);
		audit_str(rec, "reason", why);
		audit(o, rec);
		goto out;
	}
	if (r > 0) {
		tok_file = xasprintf("%s\n", token);
		mark(o, "pending", rq.id, tok_file);
		free(tok_file);
		rec = audit_rec("waiting", &rq);
		audit_str(rec, "object", it->name);
		audit_str(rec, "reason", why);
		json_object_set_new(rec, "approve",
				    json_sprintf("rdiag approve %s", rq.id));
		audit(o, rec);
		goto out;
	}
	rec = audit_rec("accepted", &rq);
	audit_str(rec, "object", it->name);
	json_object_set_new(rec, "reason",
			    json_string("all collectors allowed unattended"));
	audit(o, rec);
	run_request(o, &rq);
out:
	request_release(&rq);
	free(token);
	free(err);
	free(why);
}

/* Requests approved since the last poll: verify again, then run. */
static void run_approved(const struct agentd_opts *o,
			 const struct request_keyring *kr)
{
	char *dir = xasprintf("%s/approved", o->state_dir);
	struct dirent *de;
	DIR *d = opendir(dir);

	free(dir);
	if (!d)
		return;
	while ((de = readdir(d)) && !stop_requested) {
		struct request rq;
		enum request_fault f;
		char *p, *token, *err = NULL;
		json_t *rec;
		size_t len;

		if (de->d_name[0] == '.')
			continue;
		request_init(&rq);
		p = state_path(o, "pending", de->d_name);
		token = read_small(p, REQUEST_TOKEN_MAX + 2);
		free(p);
		len = token ? strlen(token) : 0;
		while (len && strchr(" \t\r\n", token[len - 1]))
			token[--len] = '\0';
		if (!token ||
		    request_verify(token, len, kr, time(NULL), &rq, &f, &err) <
			    0 ||
		    strcmp(rq.id, de->d_name) != 0) {
			rec = audit_rec("refused", NULL);
			audit_str(rec, "id", de->d_name);
			audit_str(rec, "reason",
				  err ? err
				      : "approved, but its request is gone");
			audit(o, rec);
		} else {
			run_request(o, &rq);
		}
		unmark(o, "pending", de->d_name);
		unmark(o, "approved", de->d_name);
		request_release(&rq);
		free(token);
		free(err);
	}
	closedir(d);
}

int agentd_poll(const struct agentd_opts *o, char **ret_err)
{
	struct request_keyring kr;
	struct upload_opts uo;
	struct agentd_item *items = NULL;
	size_t n = 0;
	int r;

	memset(&kr, 0, sizeof(kr));
	if ((r = make_state_dirs(o, ret_err)) < 0)
		return r;
	recover(o);
	if ((r = request_keyring_load(&kr, o->trusted_dir, ret_err)) < 0)
		return r;
	if ((r = upload_opts_load(&uo, &o->config, ret_err)) < 0)
		goto out;
	uo.quiet = true;
	if ((r = agentd_fetch(o->location, &uo, &items, &n, ret_err)) < 0)
		goto out;
	for (size_t i = 0; i < n && !stop_requested; i++) {
		char h[65];

		body_hash(&items[i], h);
		if (exists(o, "handled", h))
			continue;
		/* Marked first: a request that kills us is not retried. */
		mark(o, "handled", h, "");
		handle_item(o, &kr, &items[i]);
	}
	run_approved(o, &kr);
	r = 0;
out:
	agentd_items_free(items, n);
	request_keyring_wipe(&kr);
	return r;
}

/* ---- the service ---- */

/* One wake-up per poll interval; a stop signal ends the wait at once. */
static void sleep_s(unsigned ms)
{
	(void)proc_sleep_unless(ms, &stop_requested);
}

int agentd_main(const struct agentd_opts *o, bool once)
{
	char *err = NULL;
	unsigned failures = 0;
	json_t *rec;
	int lock, rc = 0, r;

	if (sodium_init() < 0)
		abort();
	if ((lock = agentd_lock(o->state_dir, &err)) < 0) {
		error_msg("agent: %s", err);
		free(err);
		return lock == -EAGAIN ? AGENTD_EXIT_LOCKED : EXIT_CANTCREAT;
	}
	proc_catch_stop_signals(on_stop);
	rec = audit_rec("agent started", NULL);
	json_object_set_new(rec, "agent", json_string(o->id));
	audit_str(rec, "location", o->location);
	json_object_set_new(rec, "once", json_boolean(once));
	audit(o, rec);
	while (!stop_requested) {
		unsigned delay_ms;

		r = agentd_poll(o, &err);
		if (r < 0) {
			rec = audit_rec("poll failed", NULL);
			audit_str(rec, "reason", err ? err : strerror(-r));
			audit(o, rec);
			free(err);
			err = NULL;
			failures++;
			rc = EXIT_UNAVAILABLE;
		} else {
			failures = 0;
			rc = 0;
		}
		if (once)
			break;
		delay_ms =
			failures ? upload_backoff_ms(
					   failures, o->interval_s * 1000,
					   o->max_interval_s * 1000,
					   (double)randombytes_uniform(65536) /
						   65536.0)
				 : o->interval_s * 1000;
		sleep_s(delay_ms);
	}
	rec = audit_rec("agent stopped", NULL);
	audit(o, rec);
	close(lock);
	return rc;
}

/* ---- approvals ---- */

static int list_pending(const struct agentd_opts *o)
{
	struct request_keyring kr;
	char *dir = xasprintf("%s/pending", o->state_dir), *err = NULL;
	struct dirent *de;
	size_t count = 0;
	DIR *d = opendir(dir);

	free(dir);
	/* No key directory yet: nothing can have been verified either. */
	if (request_keyring_load(&kr, o->trusted_dir, &err) < 0 && d) {
		error_msg("approve: %s", err);
		free(err);
		closedir(d);
		return EXIT_USAGE;
	}
	free(err);
	err = NULL;
	while (d && (de = readdir(d))) {
		struct request rq;
		enum request_fault f;
		char *p, *token;

		if (de->d_name[0] == '.' || strchr(de->d_name, '.'))
			continue;
		request_init(&rq);
		p = state_path(o, "pending", de->d_name);
		token = read_small(p, REQUEST_TOKEN_MAX + 2);
		free(p);
		if (token && request_verify(token, strcspn(token, "\r\n"), &kr,
					    time(NULL), &rq, &f, &err) == 0) {
			request_print_summary(stdout, &rq);
			printf("  approve:     rdiag approve %s%s\n\n", rq.id,
			       exists(o, "approved", rq.id)
				       ? " (approved; runs at the next poll)"
				       : "");
			count++;
		}
		free(err);
		err = NULL;
		free(token);
		request_release(&rq);
	}
	if (d)
		closedir(d);
	if (count == 0)
		printf("no request is waiting for approval\n");
	request_keyring_wipe(&kr);
	return 0;
}

int agentd_approve(const struct agentd_opts *o, const char *id, bool deny)
{
	struct request_keyring kr;
	struct request rq;
	enum request_fault f;
	char *p = NULL, *token = NULL, *err = NULL, *who;
	json_t *rec;
	int rc = 0, r;

	if (!id)
		return list_pending(o);
	memset(&kr, 0, sizeof(kr));
	request_init(&rq);
	if (strlen(id) != REQUEST_ID_LEN ||
	    strspn(id, "0123456789abcdef") != REQUEST_ID_LEN) {
		rc = error_usage("approve", "'%s' is not a request id", id);
		goto out;
	}
	p = state_path(o, "pending", id);
	if (!(token = read_small(p, REQUEST_TOKEN_MAX + 2))) {
		error_msg("approve: no request %s is waiting for approval "
			  "(see 'rdiag approve --list')",
			  id);
		rc = EXIT_USAGE;
		goto out;
	}
	who = xasprintf("uid %ld", platform_uid());
	if (deny) {
		unmark(o, "pending", id);
		unmark(o, "approved", id);
		rec = audit_rec("denied", NULL);
		json_object_set_new(rec, "id", json_string(id));
		json_object_set_new(rec, "by", json_string(who));
		audit(o, rec);
		printf("request %s denied; it will not run\n", id);
		free(who);
		goto out;
	}
	if ((r = request_keyring_load(&kr, o->trusted_dir, &err)) < 0 ||
	    (r = request_verify(token, strcspn(token, "\r\n"), &kr, time(NULL),
				&rq, &f, &err)) < 0) {
		error_msg("approve: %s", err);
		free(who);
		rc = EXIT_DATAERR;
		goto out;
	}
	request_print_summary(stdout, &rq);
	free(p);
	p = state_path(o, "approved", id);
	if ((r = write_file(p, who, true)) < 0 && r != -EEXIST) {
		error_msg("approve: cannot write '%s': %s", p, strerror(-r));
		free(who);
		rc = EXIT_CANTCREAT;
		goto out;
	}
	rec = audit_rec("approved", &rq);
	json_object_set_new(rec, "by", json_string(who));
	audit(o, rec);
	free(who);
	printf("approved; the agent runs it at its next poll\n");
out:
	request_keyring_wipe(&kr);
	request_release(&rq);
	free(p);
	free(token);
	free(err);
	return rc;
}
