/*
 * The ticket flow shared by `rdiag upload BUNDLE --to redmine+https://...`
 * and `rdiag run --ticket ID --upload ...`: [ticket] options, the verdict
 * read back from the bundle, the size decision (attach, or store and
 * link), the post through the system's adapter, the read-back check, the
 * receipt and what the user sees. The bundle is never removed unless the
 * ticket confirmed it (or the store did, for a linked one) and asked to.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/bundle_format.h"
#include "core/error.h"
#include "core/exitcode.h"
#include "core/log.h"
#include "platform/fsutil.h"
#include "review/review.h"
#include "ticket/ticket_int.h"

static const struct ticket_adapter *const adapters[] = {
	[TICKET_REDMINE] = &ticket_redmine_adapter,
	[TICKET_RT] = &ticket_rt_adapter,
	[TICKET_JIRA] = &ticket_jira_adapter,
	[TICKET_ZENDESK] = &ticket_zendesk_adapter,
};

/* ---- the flow ---- */

struct flow {
	struct ticket_ctx c;
	struct ticket_opts to;
	struct ticket_url url;
	struct review *rv; /* the bundle, read and verified */
	struct config empty;
	const char *bundle;
	char *base, *sha256, *link, *findings_path;
	uint64_t size;
	int fd, findings_fd;
	bool stored;
};

/* Authentication as each system takes it; refuses when none is set. */
static int set_auth(struct flow *fl, char **ret_err)
{
	struct ticket_ctx *c = &fl->c;
	const struct ticket_opts *o = &fl->to;
	const char *sys = c->ad->title;

	if (o->user && (o->token || o->password)) {
		/* Zendesk's API token is "EMAIL/token" with the token as
		 * password; Jira Cloud's is the plain e-mail address. */
		c->basic_user = fl->url.system == TICKET_ZENDESK && o->token
					? xasprintf("%s/token", o->user)
					: xstrdup(o->user);
		c->basic_password = o->token ? o->token : o->password;
		return 0;
	}
	if (o->token) {
		c->auth_header = c->ad->token_header(c, o->token);
		return 0;
	}
	*ret_err = xasprintf(
		"%s needs credentials: set RDIAG_TICKET_TOKEN (the API key "
		"or token)%s, or [ticket] token in a 0600 config file",
		sys,
		fl->url.system == TICKET_JIRA ||
				fl->url.system == TICKET_ZENDESK
			? " and RDIAG_TICKET_USER (the account's e-mail)"
			: "");
	return -EINVAL;
}

/* Store the bundle ([ticket] store) and remember the link. */
static int store_bundle(struct flow *fl)
{
	struct upload_opts so = *fl->c.uo;
	struct upload_receipt rc;
	char *err = NULL;
	size_t n;
	int r;

	memset(&rc, 0, sizeof(rc));
	so.force = true; /* the ticket's receipt decides what was sent */
	so.remove_after = false;
	so.form_field = NULL;
	if (!so.quiet)
		fprintf(stderr,
			"rdiag: '%s' is too large to attach; storing it at "
			"%s\n",
			fl->base, fl->to.store);
	r = upload_bundle(fl->bundle, fl->to.store, &so, &rc, &err);
	if (r < 0) {
		ticket_fail(&fl->c, "cannot store the bundle for the link: %s",
			    err ? err : "unknown error");
		free(err);
		upload_receipt_release(&rc);
		return r == -EINVAL ? -EINVAL : -EREMOTEIO;
	}
	n = strlen(rc.target);
	fl->link = n && rc.target[n - 1] == '/'
			   ? xasprintf("%s%s", rc.target, fl->base)
			   : xstrdup(rc.target);
	fl->stored = true;
	upload_receipt_release(&rc);
	return 0;
}

/* findings.json as a file of its own, to attach instead of the bundle. */
static int findings_file(struct flow *fl, struct ticket_file *f)
{
	const char *tmp = getenv("TMPDIR");
	char *path = xasprintf("%s/rdiag-findings-XXXXXX", tmp ? tmp : "/tmp");
	int fd = mkstemp(path), r;

	if (fd < 0 || (r = write_all(fd, fl->rv->findings_text,
				     fl->rv->findings_len)) < 0) {
		r = -errno;
		ticket_fail(&fl->c,
			    "cannot write a temporary findings.json: %s",
			    strerror(errno));
		if (fd >= 0)
			close(fd);
		(void)unlink(path);
		free(path);
		return r;
	}
	fl->findings_path = path;
	fl->findings_fd = fd;
	memset(f, 0, sizeof(*f));
	f->path = path;
	f->name = BUNDLE_FINDINGS;
	f->content_type = "application/json";
	f->fd = fd;
	f->size = fl->rv->findings_len;
	return 0;
}

/*
 * The verdict for the note, from the one bundle reader: the bundle may come
 * from anywhere, so it is verified before anything of it is posted.
 */
static int read_bundle(struct flow *fl, char **ret_err)
{
	struct review_opts o;
	char *err = NULL;
	int r;

	memset(&o, 0, sizeof(o));
	r = review_open(fl->bundle, &o, &fl->rv, &err);
	if (r < 0) {
		*ret_err = xasprintf("'%s' is not a readable bundle: %s",
				     fl->bundle, err ? err : strerror(-r));
		free(err);
	}
	return r;
}

static char *render(struct flow *fl, const struct ticket_file *att)
{
	struct ticket_note n;
	const char *v = fl->rv->man.agent_version;
	const char *host = fl->rv->man.host;

	memset(&n, 0, sizeof(n));
	n.findings = fl->rv->findings;
	n.collectors = fl->rv->man.collectors;
	n.ncollectors = fl->rv->man.ncollectors;
	n.host = host ? host : "unknown host";
	n.ticket = fl->c.ticket;
	n.version = v ? v : RDIAG_VERSION;
	n.bundle = fl->base;
	n.size = fl->size;
	n.sha256 = fl->sha256;
	n.link = fl->link;
	n.attached = fl->stored && att ? att->name : NULL;
	return ticket_note_render(&n, fl->c.ad->markup(&fl->c));
}

/* Post the note with att (NULL: the note alone), then read it back. */
static int post_and_verify(struct flow *fl, const struct ticket_file *att)
{
	char *note = render(fl, att);
	int r;

	r = fl->c.ad->post(&fl->c, att, note);
	free(note);
	if (r == 0 && att)
		r = fl->c.ad->verify(&fl->c, att);
	return r;
}

static char *receipt_path(const char *bundle)
{
	return xasprintf("%s.receipt.json", bundle);
}

/* A receipt saying this bundle already went to this ticket. */
static bool already_posted(struct flow *fl, char **ret_when)
{
	char *path = receipt_path(fl->bundle);
	json_t *j = json_load_file(path, 0, NULL);
	const char *st, *tg, *tk, *tm;
	json_int_t size;
	bool yes = false;

	free(path);
	if (j &&
	    json_unpack(j, "{s:s, s:s, s:s, s:I, s:s}", "status", &st, "target",
			&tg, "ticket", &tk, "size", &size, "time", &tm) == 0 &&
	    strcmp(st, "posted") == 0 && strcmp(tg, fl->url.shown) == 0 &&
	    strcmp(tk, fl->c.ticket) == 0 && (uint64_t)size == fl->size) {
		*ret_when = xstrdup(tm);
		yes = true;
	}
	json_decref(j);
	return yes;
}

static json_t *receipt_json(struct flow *fl, const struct ticket_file *att)
{
	char now[32];

	utc_iso8601(time(NULL), now, sizeof(now));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s?, s:s?, "
			 "s:s?, s:s?, s:b, s:s}",
			 "format", BUNDLE_FORMAT_RECEIPT, "status", "posted",
			 "target", fl->url.shown, "scheme",
			 ticket_system_name(fl->url.system), "ticket",
			 fl->c.ticket, "bundle", fl->base, "size",
			 (json_int_t)fl->size, "sha256", fl->sha256, "link",
			 fl->link, "attached", att ? att->name : NULL,
			 "server_hash", fl->c.digest ? fl->c.digest : NULL,
			 "verified", att != NULL, "time", now);
}

static void receipt_write(struct flow *fl, json_t *j)
{
	char *path = receipt_path(fl->bundle);
	char *text = json_dumps(j, JSON_INDENT(2) | JSON_ENSURE_ASCII);

	/* Never through a fixed temporary name: see fs_write_atomic(). */
	if (!text || fs_write_atomic(path, text, strlen(text), 0600) < 0)
		log_msg("cannot write receipt '%s', ignoring", path);
	free(path);
	free(text);
}

static void print_done(struct flow *fl, const struct ticket_file *att,
		       json_t *receipt)
{
	const struct upload_opts *o = fl->c.uo;
	char sz[32];

	if (o->json) {
		json_object_set_new(receipt, "exit_code", json_integer(0));
		json_dumpf(receipt, stdout, JSON_INDENT(2) | JSON_ENSURE_ASCII);
		fputc('\n', stdout);
		return;
	}
	if (o->quiet)
		return;
	format_size(fl->size, sz, sizeof(sz));
	if (fl->stored)
		printf("stored %s (%s) at %s and linked it from %s ticket "
		       "%s\n",
		       fl->bundle, sz, fl->link, fl->c.ad->title, fl->c.ticket);
	else
		printf("attached %s (%s) to %s ticket %s at %s\n", fl->bundle,
		       sz, fl->c.ad->title, fl->c.ticket, fl->url.shown);
	printf("  note:        the verdict, in %s's markup\n", fl->c.ad->title);
	if (att)
		printf("  verified:    %s is on the ticket, %llu bytes%s\n",
		       att->name, (unsigned long long)att->size,
		       fl->c.digest ? ", SHA-256 matches" : "");
	if (fl->sha256)
		printf("  sha256:      %s\n", fl->sha256);
	printf("  receipt:     %s.receipt.json\n", fl->bundle);
}

static int run_flow(struct flow *fl, char **ret_err, int *ret_code)
{
	struct ticket_ctx *c = &fl->c;
	const struct upload_opts *uo = c->uo;
	struct ticket_file bf, ff, *att = NULL;
	enum ticket_size_action act;
	struct stat sb;
	uint64_t limit = 0;
	char *when = NULL;
	bool told;
	json_t *rc;
	int r;

	*ret_code = EXIT_UNAVAILABLE;
	fl->fd = open(fl->bundle, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fl->fd < 0 || fstat(fl->fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		*ret_err = xasprintf("'%s' is not a regular file we can read",
				     fl->bundle);
		*ret_code = EXIT_DATAERR;
		return -ENOENT;
	}
	fl->size = (uint64_t)sb.st_size;
	if ((r = read_bundle(fl, ret_err)) < 0) {
		*ret_code = EXIT_DATAERR;
		return r;
	}
	c->ticket = uo->ticket;
	if (!c->ticket)
		c->ticket = fl->rv->man.ticket;
	if (!c->ticket) {
		*ret_err = xasprintf("which ticket? the bundle names none: "
				     "give --ticket ID");
		*ret_code = EXIT_USAGE;
		return -EINVAL;
	}
	if (!ticket_id_valid(fl->url.system, c->ticket)) {
		*ret_err = xasprintf("'%s' is not a %s ticket id", c->ticket,
				     c->ad->title);
		*ret_code = EXIT_USAGE;
		return -EINVAL;
	}
	if ((r = set_auth(fl, ret_err)) < 0) {
		*ret_code = EXIT_USAGE;
		return r;
	}
	if (!uo->force && already_posted(fl, &when)) {
		*ret_err = xasprintf("'%s' was already posted to %s ticket %s "
				     "on %s; use --force to post it again",
				     fl->bundle, c->ad->title, c->ticket, when);
		free(when);
		*ret_code = 0;
		return -EALREADY;
	}
	fl->sha256 = xmalloc(65);
	if ((r = fs_sha256_fd(fl->fd, fl->sha256)) < 0) {
		*ret_err = xasprintf("cannot read '%s': %s", fl->bundle,
				     strerror(-r));
		*ret_code = EXIT_DATAERR;
		return r;
	}
	log_msg("posting '%s' to %s ticket %s at '%s'", fl->bundle,
		c->ad->title, c->ticket, fl->url.shown);
	if ((r = c->ad->check(c)) < 0)
		goto fail;
	/* The configured limit, else what the system says, else its
	 * documented default. */
	limit = fl->to.max_attachment;
	told = false;
	if (!limit && c->ad->limit) {
		r = c->ad->limit(c, &limit);
		if (r == -EPERM)
			goto fail;
		told = r == 0;
		if (r < 0) {
			log_msg("%s, ignoring: using the documented limit",
				c->err ? c->err : "no limit");
			free(c->err);
			c->err = NULL;
		}
	}
	if (!limit && !told)
		limit = ticket_default_limit(fl->url.system);
	c->limit = limit;
	memset(&bf, 0, sizeof(bf));
	bf.path = fl->bundle;
	bf.name = fl->base;
	bf.content_type = strstr(fl->base, ".zst") ? "application/zstd"
						   : "application/gzip";
	bf.fd = fl->fd;
	bf.size = fl->size;
	bf.sha256 = fl->sha256;
	act = ticket_size_decide(fl->size, limit, fl->to.store != NULL);
	if (act == TICKET_TOO_LARGE) {
		char a[32], b[32];

		format_size(fl->size, a, sizeof(a));
		format_size(limit, b, sizeof(b));
		ticket_fail(c,
			    "'%s' (%s) is larger than %s's attachment limit "
			    "(%s): set [ticket] store to an s3://, sftp:// or "
			    "https:// target so it is stored and linked",
			    fl->base, a, c->ad->title, b);
		r = -EFBIG;
		goto fail;
	}
	if (act == TICKET_ATTACH) {
		att = &bf;
		c->uc.size = bf.size;
		r = post_and_verify(fl, att);
		/* The system may know a lower limit than we did. */
		if (r == -EFBIG && fl->to.store) {
			log_msg("%s; storing the bundle instead", c->err);
			free(c->err);
			c->err = NULL;
			act = TICKET_STORE;
		} else if (r < 0) {
			goto fail;
		}
	}
	if (act == TICKET_STORE) {
		if ((r = store_bundle(fl)) < 0)
			goto fail;
		att = NULL;
		if ((r = findings_file(fl, &ff)) < 0)
			goto fail;
		if (ticket_size_decide(ff.size, limit, false) == TICKET_ATTACH)
			att = &ff;
		c->uc.size = ff.size;
		if ((r = post_and_verify(fl, att)) < 0)
			goto fail;
	}
	rc = receipt_json(fl, att);
	receipt_write(fl, rc);
	log_msg("posted '%s' to %s ticket %s", fl->bundle, c->ad->title,
		c->ticket);
	print_done(fl, att, rc);
	json_decref(rc);
	*ret_code = 0;
	return 0;
fail:
	*ret_err = xasprintf("cannot post '%s' to %s ticket %s: %s", fl->bundle,
			     c->ad->title, c->ticket,
			     c->err ? c->err : strerror(-r));
	*ret_code = r == -EINVAL ? EXIT_USAGE : EXIT_UNAVAILABLE;
	return r;
}

int ticket_cmd_run(const char *bundle, const char *url,
		   const struct upload_opts *o)
{
	struct flow fl;
	char *err = NULL, *copy = xstrdup(bundle);
	int r, code = EXIT_USAGE;

	memset(&fl, 0, sizeof(fl));
	fl.fd = fl.findings_fd = -1;
	fl.bundle = bundle;
	fl.base = xstrdup(basename(copy));
	config_init(&fl.empty);
	if ((r = ticket_url_parse(url, &fl.url, &err)) < 0 ||
	    (r = ticket_opts_load(&fl.to, o->config ? o->config : &fl.empty,
				  &err)) < 0)
		goto out;
	fl.c.ad = adapters[fl.url.system];
	fl.c.uo = o;
	fl.c.to = &fl.to;
	fl.c.url = &fl.url;
	if ((r = upload_url_parse(fl.url.base, &fl.c.hu, &err)) < 0)
		goto out;
	fl.c.uc.o = o;
	fl.c.uc.u = &fl.c.hu;
	fl.c.uc.url = fl.url.base;
	fl.c.uc.shown = fl.url.shown;
	fl.c.uc.bundle = bundle;
	fl.c.uc.base = fl.base;
	fl.c.uc.fd = -1;
	fl.c.uc.started_ms = now_ms();
	r = run_flow(&fl, &err, &code);
	if (r == 0 && o->remove_after) {
		if (unlink(bundle) < 0)
			error_msg("cannot remove '%s': %s, ignoring", bundle,
				  strerror(errno));
		else if (!o->quiet && !o->json)
			printf("  removed %s (the %s has it)\n", bundle,
			       fl.stored ? "store" : "ticket");
	}
out:
	if (err) {
		error_msg("%s", err);
		if (code == EXIT_UNAVAILABLE)
			error_msg(
				"the bundle is kept at '%s'; to post it later "
				"run: rdiag upload '%s' --to '%s' --ticket "
				"%s",
				bundle, bundle, fl.url.shown, fl.c.ticket);
		if (o->json && r != -EALREADY) {
			json_t *j = json_pack(
				"{s:s, s:s, s:s?, s:s?, s:s, s:i}", "format",
				BUNDLE_FORMAT_RECEIPT, "status", "failed",
				"target", fl.url.shown, "ticket", fl.c.ticket,
				"error", err, "exit_code", code);

			json_dumpf(j, stdout,
				   JSON_INDENT(2) | JSON_ENSURE_ASCII);
			fputc('\n', stdout);
			json_decref(j);
		}
	}
	fflush(stdout);
	if (fl.fd >= 0)
		close(fl.fd);
	if (fl.findings_fd >= 0)
		close(fl.findings_fd);
	if (fl.findings_path)
		(void)unlink(fl.findings_path);
	free(fl.findings_path);
	free(fl.c.auth_header);
	free(fl.c.basic_user);
	free(fl.c.digest);
	free(fl.c.attach_id);
	free(fl.c.err);
	upload_url_release(&fl.c.hu);
	review_free(fl.rv);
	ticket_url_release(&fl.url);
	config_release(&fl.empty);
	free(fl.sha256);
	free(fl.link);
	free(fl.base);
	free(copy);
	free(err);
	return code;
}
