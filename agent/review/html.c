/*
 * The HTML report (see html.h). Everything that comes from the bundle goes
 * through html_escape(); the only markup is the fixed skeleton below. The
 * page carries a Content-Security-Policy that forbids scripts and every
 * remote load, so even a mistake here could not make it run code.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/report.h"
#include "review/html.h"

static const char html_css[] =
	"*{box-sizing:border-box}"
	"body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;"
	"margin:0 auto;max-width:60rem;padding:1rem;color:#1d1d1f;"
	"background:#fff}"
	"h1{font-size:1.4rem;margin:.2rem 0 .6rem}"
	"h2{font-size:1.15rem;margin:1.6rem 0 .5rem;border-bottom:1px solid "
	"#ccc;padding-bottom:.2rem}"
	"h3{font-size:1rem;margin:1rem 0 .3rem}"
	".meta{color:#555;margin:0 0 .8rem}"
	".ok{color:#0a6b2c}.bad{color:#a50e0e}"
	".finding{border-left:.3rem solid #999;padding:.4rem .7rem;"
	"margin:.5rem 0;background:#f6f6f6;break-inside:avoid}"
	".finding.fail{border-color:#c62828}.finding.warn{border-color:#e0a100}"
	".finding.info{border-color:#1e6fd9}.finding.okf{border-color:#2e7d32}"
	".tag{display:inline-block;font-weight:700;font-size:.8rem;"
	"padding:0 .35rem;border-radius:.2rem;margin-right:.4rem;color:#fff;"
	"background:#777}"
	".fail .tag{background:#c62828}.warn .tag{background:#9a6d00}"
	".info .tag{background:#1e6fd9}.okf .tag{background:#2e7d32}"
	".id{color:#555;font-family:ui-monospace,monospace;font-size:.85rem;"
	"overflow-wrap:anywhere}"
	".detail{white-space:pre-wrap;overflow-wrap:anywhere;"
	"font-family:ui-monospace,monospace;font-size:.85rem;margin:.3rem 0}"
	".hint{margin:.2rem 0}"
	"table{border-collapse:collapse;width:100%;margin:.3rem 0}"
	"th,td{text-align:left;vertical-align:top;padding:.25rem .4rem;"
	"border-bottom:1px solid #e2e2e2;overflow-wrap:anywhere}"
	"td.v{font-family:ui-monospace,monospace;font-size:.85rem}"
	".partial{border:2px solid #9a6d00;background:#fff4d6;"
	"padding:.6rem .8rem;margin:.6rem 0}"
	"td.n{text-align:right;white-space:nowrap}"
	"@media (max-width:40rem){body{font-size:14px;padding:.6rem}"
	"th,td{display:block;border:0;padding:.1rem .2rem}"
	"tr{display:block;border-bottom:1px solid #e2e2e2;padding:.3rem 0}"
	"thead{display:none}"
	"td[data-l]::before{content:attr(data-l) \": \";color:#555}}"
	"@media print{body{max-width:none;padding:0;font-size:10.5pt;"
	"color:#000}"
	"h2{break-after:avoid}.finding{background:none;border-left-width:2pt}"
	".tag{color:#000;background:none!important;border:1px solid #000}"
	"a{color:#000;text-decoration:none}}";

struct html_group {
	const char *heading;
	int min_level, max_level;
};

static const struct html_group html_groups[] = {
	{ "You can fix this yourself", 0, 0 },
	{ "For the vendor's support", 1, 3 },
	{ "For your IT department or another vendor", 4, 4 },
};

void html_escape(struct buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		switch (*p) {
		case '&':
			buf_puts(b, "&amp;");
			break;
		case '<':
			buf_puts(b, "&lt;");
			break;
		case '>':
			buf_puts(b, "&gt;");
			break;
		case '"':
			buf_puts(b, "&quot;");
			break;
		case '\'':
			buf_puts(b, "&#39;");
			break;
		default:
			if ((*p < 0x20 && *p != '\n' && *p != '\t') ||
			    *p == 0x7f)
				buf_putc(b, '?');
			else
				buf_putc(b, (char)*p);
		}
	}
}

static void text_elem(struct buf *b, const char *tag, const char *cls,
		      const char *s)
{
	buf_printf(b, "<%s%s%s%s>", tag, cls ? " class=\"" : "", cls ? cls : "",
		   cls ? "\"" : "");
	html_escape(b, s);
	buf_printf(b, "</%s>", tag);
}

static const char *fstr(json_t *f, const char *key)
{
	return json_string_value(json_object_get(f, key));
}

static void render_finding(struct buf *b, json_t *f)
{
	const char *sev = fstr(f, "severity");
	const char *cls = strcmp(sev, "fail") == 0   ? "fail"
			  : strcmp(sev, "warn") == 0 ? "warn"
			  : strcmp(sev, "info") == 0 ? "info"
						     : "okf";
	int level = (int)json_integer_value(json_object_get(f, "level"));

	buf_printf(b, "<div class=\"finding %s\"><div><span class=\"tag\">",
		   cls);
	html_escape(b, sev);
	buf_puts(b, "</span><strong>");
	html_escape(b, fstr(f, "title"));
	buf_puts(b, "</strong></div><div class=\"id\">");
	html_escape(b, fstr(f, "id"));
	buf_puts(b, " &middot; ");
	html_escape(b, fstr(f, "collector"));
	buf_printf(b, " &middot; level %d (", level);
	html_escape(b, report_audience(level));
	buf_puts(b, ")</div>");
	if (fstr(f, "detail") && *fstr(f, "detail"))
		text_elem(b, "div", "detail", fstr(f, "detail"));
	if (fstr(f, "hint") && *fstr(f, "hint")) {
		buf_puts(b, "<div class=\"hint\">&rarr; ");
		html_escape(b, fstr(f, "hint"));
		buf_puts(b, "</div>");
	}
	if (fstr(f, "kb") && *fstr(f, "kb")) {
		buf_puts(b, "<div class=\"id\">Reference: ");
		html_escape(b, fstr(f, "kb"));
		buf_puts(b, "</div>");
	}
	buf_puts(b, "</div>\n");
}

static bool is_sev(json_t *f, const char *sev)
{
	return strcmp(fstr(f, "severity"), sev) == 0;
}

static void render_findings(struct buf *b, const struct review *r,
			    const struct verdict *v)
{
	size_t i;
	json_t *f;

	buf_puts(b, "<h2>Findings by who can act</h2>\n");
	for (size_t g = 0; g < ARRAY_SIZE(html_groups); g++) {
		const struct html_group *hg = &html_groups[g];
		size_t n = 0;

		json_array_foreach(r->findings, i, f)
		{
			int lvl = (int)json_integer_value(
				json_object_get(f, "level"));

			n += (is_sev(f, "fail") || is_sev(f, "warn")) &&
			     lvl >= hg->min_level && lvl <= hg->max_level;
		}
		if (n == 0)
			continue;
		buf_printf(b, "<h3>%s (%zu)</h3>\n", hg->heading, n);
		for (int pass = 0; pass < 2; pass++)
			json_array_foreach(r->findings, i, f)
			{
				int lvl = (int)json_integer_value(
					json_object_get(f, "level"));

				if (is_sev(f, pass == 0 ? "fail" : "warn") &&
				    lvl >= hg->min_level &&
				    lvl <= hg->max_level)
					render_finding(b, f);
			}
	}
	if (report_headline(v)) {
		buf_printf(b, "<p class=\"%s\">",
			   verdict_exit_code(v) == 0 ? "ok" : "bad");
		html_escape(b, report_headline(v));
		buf_puts(b, "</p>\n");
	}
	for (int pass = 0; pass < 2; pass++) {
		const char *sev = pass == 0 ? "info" : "ok";
		bool head = false;

		json_array_foreach(r->findings, i, f)
		{
			if (!is_sev(f, sev))
				continue;
			if (!head)
				buf_printf(b, "<h3>%s</h3>\n",
					   pass == 0 ? "For information"
						     : "Checks that passed");
			head = true;
			render_finding(b, f);
		}
	}
}

static void render_collectors(struct buf *b, const struct review *r)
{
	buf_puts(b, "<h2>Collectors and timings</h2>\n<table><thead><tr>"
		    "<th>collector</th><th>status</th><th>time</th>"
		    "<th>records</th><th>note</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < r->ncollectors; i++) {
		const struct review_collector *c = &r->collectors[i];

		buf_puts(b, "<tr><td data-l=\"collector\">");
		html_escape(b, c->name);
		buf_printf(b, "</td><td data-l=\"status\" class=\"%s\">",
			   strcmp(c->status, "ok") == 0 && !c->truncated &&
					   c->rejected == 0
				   ? "ok"
				   : "bad");
		html_escape(b, c->status);
		buf_printf(b,
			   "</td><td data-l=\"time\">%.1f s</td>"
			   "<td data-l=\"records\">%lld</td><td>",
			   (double)c->duration_ms / 1000.0,
			   (long long)c->records);
		html_escape(b, c->reason ? c->reason : "");
		if (c->truncated)
			buf_puts(b, " (records truncated)");
		if (c->rejected > 0)
			buf_printf(b, " (%lld record%s rejected as invalid)",
				   (long long)c->rejected,
				   c->rejected == 1 ? "" : "s");
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody></table>\n");
}

static void render_facts(struct buf *b, const struct review *r)
{
	buf_puts(b, "<h2>Facts per collector</h2>\n");
	for (size_t i = 0; i < r->ncollectors; i++) {
		const struct review_collector *c = &r->collectors[i];
		size_t k;
		json_t *fact;

		text_elem(b, "h3", NULL, c->name);
		if (json_array_size(c->facts) == 0) {
			buf_puts(b, "<p class=\"meta\">No facts.</p>\n");
			continue;
		}
		buf_puts(b, "<table><tbody>\n");
		json_array_foreach(c->facts, k, fact)
		{
			buf_puts(b, "<tr><th>");
			html_escape(b, fstr(fact, "key"));
			buf_puts(b, "</th><td class=\"v\">");
			html_escape(b, fstr(fact, "value"));
			buf_puts(b, "</td></tr>\n");
		}
		buf_puts(b, "</tbody></table>\n");
	}
}

static void names_list(struct buf *b, json_t *names)
{
	size_t i;
	json_t *v;

	if (json_array_size(names) == 0)
		buf_puts(b, "none");
	json_array_foreach(names, i, v)
	{
		if (i)
			buf_puts(b, ", ");
		html_escape(b, json_string_value(v));
	}
}

/* A part made by `rdiag export` says so first, and what it is a part of. */
static void render_partial(struct buf *b, const struct review *r)
{
	struct bundle_export_origin o;
	char *err = NULL;
	int k = bundle_export_origin_read(&r->man, &o, &err);

	free(err);
	if (k == 0)
		return;
	buf_puts(b,
		 "<div class=\"partial\"><p><strong>Partial bundle.</strong> "
		 "This report covers only the collectors kept");
	if (k < 0) {
		buf_puts(b, "; the part does not say which bundle it came "
			    "from.</p></div>\n");
		return;
	}
	buf_puts(b, ".</p>\n<table><tbody>\n<tr><th>exported from</th>"
		    "<td class=\"v\">");
	html_escape(b, o.bundle);
	if (o.sha256) {
		buf_puts(b, "<br>SHA-256 ");
		html_escape(b, o.sha256);
	}
	buf_puts(b, "</td></tr>\n<tr><th>collectors kept</th><td>");
	names_list(b, o.collectors);
	buf_puts(b, "</td></tr>\n<tr><th>left out</th><td>");
	if (o.left_out)
		names_list(b, o.left_out);
	else
		buf_puts(b, "not recorded (exported by an older rdiag)");
	buf_puts(b, "</td></tr>\n</tbody></table></div>\n");
}

static void file_row(struct buf *b, const char *name, json_int_t size,
		     const char *note)
{
	char sz[32];

	format_size(size > 0 ? (uint64_t)size : 0, sz, sizeof(sz));
	buf_puts(b, "<tr><td class=\"v\" data-l=\"file\">");
	html_escape(b, name);
	buf_printf(b,
		   "</td><td class=\"n\" data-l=\"size\">%s (%lld "
		   "bytes)</td><td>",
		   sz, (long long)size);
	html_escape(b, note ? note : "");
	buf_puts(b, "</td></tr>\n");
}

/* One table of files; prefix characters of each path are not shown. */
static void render_file_group(struct buf *b, json_t *list, size_t prefix)
{
	size_t k;
	json_t *f;

	if (json_array_size(list) == 0) {
		buf_puts(b, "<p class=\"meta\">No files.</p>\n");
		return;
	}
	buf_puts(b, "<table><thead><tr><th>file</th><th>size</th>"
		    "<th>note</th></tr></thead><tbody>\n");
	json_array_foreach(list, k, f)
	{
		const char *path =
			json_string_value(json_object_get(f, "path"));
		const char *orig = json_string_value(
			json_object_get(json_object_get(f, "source"), "name"));
		char *note =
			orig ? xasprintf("decompressed from %s", orig) : NULL;

		file_row(b, strlen(path) > prefix ? path + prefix : path,
			 json_integer_value(json_object_get(f, "size")), note);
		free(note);
	}
	buf_puts(b, "</tbody></table>\n");
}

/*
 * The evidence itself: every file of each collector (and the bundle's own
 * files) with its size, from the verified manifest, and what was left out
 * because it could not be made text to redact. One pass groups them, so a
 * hostile manifest with many files and collectors costs no more than its
 * length.
 */
static void render_files(struct buf *b, const struct review *r)
{
	json_t *groups = json_object(), *f, *list;
	const char *key;
	size_t i;

	buf_puts(b, "<h2>Evidence files</h2>\n<p class=\"meta\">What the "
		    "bundle holds, per collector, as its verified manifest "
		    "lists it.</p>\n");
	json_array_foreach(r->man.files, i, f)
	{
		const char *path =
			json_string_value(json_object_get(f, "path"));
		char *col = path ? bundle_path_collector(path) : NULL;

		key = col ? col : "";
		if (!(list = json_object_get(groups, key))) {
			list = json_array();
			json_object_set_new(groups, key, list);
		}
		json_array_append(list, f);
		free(col);
	}
	for (size_t c = 0; c < r->ncollectors; c++) {
		const char *col = r->collectors[c].name;

		text_elem(b, "h3", NULL, col);
		render_file_group(b, json_object_get(groups, col),
				  strlen(BUNDLE_COLLECTORS_DIR) + strlen(col) +
					  2);
	}
	/* Files under a collector the manifest does not list, if any. */
	json_object_foreach(groups, key, list)
	{
		if (!*key || review_collector_find(r, key))
			continue;
		text_elem(b, "h3", NULL, key);
		render_file_group(b, list,
				  strlen(BUNDLE_COLLECTORS_DIR) + strlen(key) +
					  2);
	}
	buf_puts(b, "<h3>The bundle's own files</h3>\n");
	render_file_group(b, json_object_get(groups, ""), 0);
	json_decref(groups);
	if (json_array_size(r->man.omitted) > 0) {
		buf_puts(b, "<h3>Left out (could not be made text to "
			    "redact)</h3>\n<table><thead><tr><th>file</th>"
			    "<th>size</th><th>why</th></tr></thead><tbody>\n");
		json_array_foreach(r->man.omitted, i, f)
		{
			const char *path =
				json_string_value(json_object_get(f, "path"));
			const char *why =
				json_string_value(json_object_get(f, "reason"));

			file_row(b, path ? path : "?",
				 json_integer_value(json_object_get(f, "size")),
				 why);
		}
		buf_puts(b, "</tbody></table>\n");
	}
}

static void render_redactions(struct buf *b, const struct review *r)
{
	const char *rule;
	json_t *n;

	buf_puts(b, "<h2>What was redacted</h2>\n");
	if (!r->redactions || json_object_size(r->redactions) == 0) {
		buf_puts(b, "<p>Nothing matched a redaction rule.</p>\n");
		return;
	}
	buf_puts(b, "<p class=\"meta\">Secret values were replaced before the "
		    "bundle was written; only the counts are kept.</p>\n"
		    "<table><tbody>\n");
	json_object_foreach(r->redactions, rule, n)
	{
		buf_puts(b, "<tr><th>");
		html_escape(b, rule);
		buf_printf(b, "</th><td>%lld</td></tr>\n",
			   (long long)json_integer_value(n));
	}
	buf_puts(b, "</tbody></table>\n");
}

static void render_integrity(struct buf *b, const struct review *r)
{
	buf_puts(b, "<h2>Integrity</h2>\n<table><tbody>\n<tr><th>bundle</th>"
		    "<td class=\"v\">");
	html_escape(b, r->path ? r->path : "(memory)");
	buf_puts(b, "</td></tr>\n<tr><th>SHA-256</th><td class=\"v\">");
	html_escape(b, r->sha256);
	buf_printf(b,
		   "</td></tr>\n<tr><th>files</th><td class=\"ok\">%llu "
		   "files match the manifest</td></tr>\n<tr><th>sidecar</th>"
		   "<td>%s</td></tr>\n<tr><th>signature</th><td>",
		   (unsigned long long)r->nfiles,
		   r->sidecar == REVIEW_SIDECAR_OK ? "matches" : "not present");
	if (r->is_signed) {
		buf_puts(b, "valid, key ");
		html_escape(b, r->signer);
		buf_puts(b, r->trusted ? " (trusted)"
				       : " (not checked "
					 "against a trusted "
					 "key)");
	} else {
		buf_puts(b, "not signed");
	}
	buf_printf(b,
		   "</td></tr>\n<tr><th>encrypted</th><td>%s</td></tr>\n"
		   "</tbody></table>\n",
		   r->encrypted ? "yes" : "no");
}

void html_render(struct review *r, struct buf *b)
{
	struct verdict v;
	int rc;

	review_verdict(r, &v);
	rc = verdict_exit_code(&v);
	buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
		    "<meta charset=\"utf-8\">"
		    "<meta name=\"viewport\" content=\"width=device-width, "
		    "initial-scale=1\">"
		    "<meta http-equiv=\"Content-Security-Policy\" "
		    "content=\"default-src 'none'; style-src 'unsafe-inline'; "
		    "img-src 'none'; script-src 'none'; form-action 'none'\">"
		    "<meta name=\"referrer\" content=\"no-referrer\">"
		    "<title>rdiag report: ");
	html_escape(b, r->host);
	buf_puts(b, "</title><style>");
	buf_puts(b, html_css);
	buf_puts(b, "</style></head><body>\n<h1>rdiag report for ");
	html_escape(b, r->host);
	if (r->ticket) {
		buf_puts(b, ", ticket ");
		html_escape(b, r->ticket);
	}
	buf_puts(b, "</h1>\n<p class=\"meta\">");
	html_escape(b, r->started ? r->started : "?");
	buf_puts(b, " &ndash; ");
	html_escape(b, r->finished ? r->finished : "?");
	buf_puts(b, " &middot; rdiag ");
	html_escape(b, r->agent_version ? r->agent_version : "?");
	buf_puts(b, "</p>\n");
	render_partial(b, r);
	buf_printf(b, "<p class=\"%s\"><strong>%s</strong></p>\n",
		   rc == 0 ? "ok" : "bad",
		   rc == 2 ? "Failures found."
		   : rc == 1 && report_headline(&v)
			   ? "Records were dropped: the verdict may be "
			     "incomplete."
		   : rc == 1 ? "Warnings found."
		   : rc == EXIT_NOTHING_CHECKED
			   ? "Nothing was checked."
			   : "Nothing worse than information.");
	render_findings(b, r, &v);
	render_collectors(b, r);
	render_facts(b, r);
	render_files(b, r);
	render_redactions(b, r);
	render_integrity(b, r);
	buf_puts(b, "</body></html>\n");
}

int html_write(struct review *r, const char *path, bool force, char **ret_err)
{
	char *tmp = xasprintf("%s.XXXXXX", path);
	struct buf b;
	int fd, ret;

	buf_init(&b, 0);
	html_render(r, &b);
	/*
	 * A new 0600 file beside the target (mkstemp: O_EXCL, never through
	 * a link planted there), synced, then put in place: with link(),
	 * which never replaces an existing file, or with --force by
	 * rename(), which replaces a planted symbolic link itself instead of
	 * writing through it.
	 */
	fd = mkstemp(tmp);
	if (fd < 0) {
		ret = -errno;
		*ret_err = xasprintf("cannot create '%s': %s", path,
				     strerror(errno));
		goto out;
	}
	ret = write_all(fd, b.data, b.len);
	if (ret == 0 && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	if (ret < 0) {
		*ret_err = xasprintf("cannot write '%s': %s", path,
				     strerror(-ret));
	} else if (force ? rename(tmp, path) < 0 : link(tmp, path) < 0) {
		ret = -errno;
		*ret_err = ret == -EEXIST
				   ? xasprintf("'%s' exists; use --force "
					       "to replace it",
					       path)
				   : xasprintf("cannot create '%s': %s", path,
					       strerror(-ret));
	}
	(void)unlink(tmp);
out:
	free(tmp);
	buf_release(&b);
	return ret;
}
