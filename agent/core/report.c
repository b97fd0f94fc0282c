/*
 * Rendering the verdict (see report.h). The terminal text is meant for a
 * customer: plain words, one line per problem with its next step, grouped by
 * who can act, then what passed and where the evidence is.
 */
#include <stdio.h>
#include <string.h>

#include "core/bundle_format.h"
#include "core/i18n.h"
#include "core/report.h"

/*
 * The text goes to the customer's terminal in their language (local) or
 * into the bundle, a ticket or an export in English, whatever the locale:
 * the engineer who opens a German customer's bundle reads English.
 */
static const char *tr(bool local, const char *s) RDIAG_FORMAT_ARG(2);
static const char *ntr(bool local, const char *s, const char *p,
		       unsigned long n) RDIAG_FORMAT_ARG(2) RDIAG_FORMAT_ARG(3);

static const char *tr(bool local, const char *s)
{
	return local ? i18n_gettext(s) : s;
}

static const char *ntr(bool local, const char *s, const char *p,
		       unsigned long n)
{
	return local ? i18n_ngettext(s, p, n) : n == 1 ? s : p;
}

struct group {
	const char *heading;
	int min_level, max_level;
};

static const struct group groups[] = {
	{ N_("You can fix this yourself"), 0, 0 },
	{ N_("For the vendor's support (helpdesk, technical support, "
	     "engineering)"),
	  1, 3 },
	{ N_("For your IT department or another vendor (NAS, database, "
	     "antivirus, terminal server)"),
	  4, 4 },
};

static const char *const audiences[] = {
	"you",
	"the vendor's helpdesk",
	"the vendor's technical support",
	"the vendor's engineering",
	"your IT or another vendor",
};

const char *report_audience(int level)
{
	return level >= 0 && level <= 4 ? audiences[level] : "?";
}

static enum severity finding_severity(json_t *f)
{
	enum severity s = SEVERITY_INFO;

	severity_from_name(json_string_value(json_object_get(f, "severity")),
			   &s);
	return s;
}

static int finding_level(json_t *f)
{
	return (int)json_integer_value(json_object_get(f, "level"));
}

static const char *fstr(json_t *f, const char *key)
{
	return json_string_value(json_object_get(f, key));
}

static size_t count_severity(const struct verdict *v, enum severity s);

bool verdict_nothing_checked(const struct verdict *v)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->results[i].status != STATUS_SKIPPED)
			return false;
	return v->n > 0;
}

static bool dropped(const struct collector_result *r)
{
	return r->rejected > 0 || r->truncated;
}

size_t verdict_dropped(const struct verdict *v)
{
	size_t n = 0;

	for (size_t i = 0; i < v->n; i++)
		n += dropped(&v->results[i]);
	return n;
}

int verdict_exit_code(const struct verdict *v)
{
	enum severity worst = SEVERITY_OK;
	size_t i;
	json_t *f;

	json_array_foreach(v->findings, i, f)
	{
		enum severity s = finding_severity(f);

		if (s > worst)
			worst = s;
	}
	if (worst == SEVERITY_FAIL)
		return EXIT_FAILURES;
	if (worst == SEVERITY_WARN || verdict_dropped(v) > 0)
		return EXIT_WARNINGS;
	return verdict_nothing_checked(v) ? EXIT_NOTHING_CHECKED : EXIT_CLEAN;
}

static const char *dropped_text(const struct collector_result *r, char *buf,
				size_t len, bool local)
{
	if (!dropped(r))
		return NULL;
	if (r->rejected > 0 && r->truncated)
		snprintf(
			buf, len,
			ntr(local,
			    "%zu record rejected as invalid, and records past "
			    "the limit cut off",
			    "%zu records rejected as invalid, and records past "
			    "the limit cut off",
			    r->rejected),
			r->rejected);
	else if (r->rejected > 0)
		snprintf(buf, len,
			 ntr(local, "%zu record rejected as invalid",
			     "%zu records rejected as invalid", r->rejected),
			 r->rejected);
	else
		snprintf(buf, len, "%s",
			 tr(local, "records past the limit cut off"));
	return buf;
}

const char *report_dropped_text(const struct collector_result *r, char *buf,
				size_t len)
{
	return dropped_text(r, buf, len, false);
}

const char *report_collector_label(const struct collector_result *r, char *buf,
				   size_t len)
{
	size_t fails = 0, warns = 0, i;
	json_t *rec;

	if (r->status != STATUS_OK && r->status != STATUS_PARTIAL)
		return collector_status_name(r->status);
	json_array_foreach(r->records, i, rec)
	{
		const char *k = fstr(rec, "kind");

		if (!k || strcmp(k, "finding") != 0)
			continue;
		fails += finding_severity(rec) == SEVERITY_FAIL;
		warns += finding_severity(rec) == SEVERITY_WARN;
	}
	if (fails > 0)
		snprintf(buf, len,
			 i18n_ngettext("%zu problem", "%zu problems",
				       fails + warns),
			 fails + warns);
	else if (warns > 0)
		snprintf(buf, len,
			 i18n_ngettext("%zu warning", "%zu warnings", warns),
			 warns);
	else if (r->rejected > 0)
		snprintf(buf, len, _("%zu rejected"), r->rejected);
	else if (r->truncated)
		snprintf(buf, len, "%s", _("cut off"));
	else
		return collector_status_name(r->status);
	return buf;
}

const char *report_headline(const struct verdict *v)
{
	if (count_severity(v, SEVERITY_FAIL) + count_severity(v, SEVERITY_WARN))
		return NULL;
	if (verdict_nothing_checked(v))
		return N_("Nothing was checked: every selected collector was "
			  "skipped (see why under \"Not checked\").");
	if (verdict_dropped(v) > 0)
		return N_("No problems found in what arrived, but records were "
			  "dropped: the verdict may be incomplete (see "
			  "\"Records dropped\").");
	return N_("No problems found.");
}

/* A finding's own text, in the reader's language when local. */
static const char *ftext(json_t *f, const char *key, bool local, char *buf,
			 size_t len)
{
	const char *s = fstr(f, key);

	return local && s ? i18n_display(s, buf, len) : s;
}

static void print_finding(FILE *out, json_t *f, bool colour, bool local)
{
	enum severity s = finding_severity(f);
	const char *tag = s == SEVERITY_FAIL ? "FAIL" : "WARN";
	const char *on = "", *off = "";
	char tbuf[1024], hbuf[2048];
	const char *detail = fstr(f, "detail");
	const char *hint = ftext(f, "hint", local, hbuf, sizeof(hbuf));

	if (colour) {
		on = s == SEVERITY_FAIL ? "\033[1;31m" : "\033[1;33m";
		off = "\033[0m";
	}
	fprintf(out, "  %s%s%s  %s  [%s]\n", on, tag, off,
		ftext(f, "title", local, tbuf, sizeof(tbuf)), fstr(f, "id"));
	if (detail && *detail)
		fprintf(out, "        %s\n", detail);
	if (hint && *hint)
		fprintf(out, "        -> %s\n", hint);
}

static size_t count_severity(const struct verdict *v, enum severity s)
{
	size_t i, n = 0;
	json_t *f;

	json_array_foreach(v->findings, i, f) n += finding_severity(f) == s;
	return n;
}

static void print_group(FILE *out, const struct verdict *v,
			const struct group *g, bool colour, bool local)
{
	size_t i, n = 0;
	json_t *f;

	json_array_foreach(v->findings, i, f)
	{
		int lvl = finding_level(f);

		if (finding_severity(f) >= SEVERITY_WARN &&
		    lvl >= g->min_level && lvl <= g->max_level)
			n++;
	}
	if (n == 0)
		return;
	fprintf(out, "\n%s%s (%zu)%s\n", colour ? "\033[1m" : "",
		tr(local, g->heading), n, colour ? "\033[0m" : "");
	/* Failures first, then warnings, each in collector order. */
	for (int s = SEVERITY_FAIL; s >= SEVERITY_WARN; s--) {
		json_array_foreach(v->findings, i, f)
		{
			int lvl = finding_level(f);

			if ((int)finding_severity(f) == s &&
			    lvl >= g->min_level && lvl <= g->max_level)
				print_finding(out, f, colour, local);
		}
	}
}

static void print_list(FILE *out, const struct verdict *v, enum severity s,
		       const char *heading, bool local)
{
	char tbuf[1024];
	size_t i;
	json_t *f;

	if (count_severity(v, s) == 0)
		return;
	fprintf(out, "\n%s\n", heading);
	json_array_foreach(v->findings, i, f)
	{
		if (finding_severity(f) != s)
			continue;
		fprintf(out, "  %-5s %s  [%s]\n", severity_name(s),
			ftext(f, "title", local, tbuf, sizeof(tbuf)),
			fstr(f, "id"));
		if (fstr(f, "detail"))
			fprintf(out, "        %s\n", fstr(f, "detail"));
	}
}

/* Collectors that ended badly, or (skipped) those with nothing to check. */
static void print_statuses(FILE *out, const struct verdict *v, bool skipped,
			   const char *heading, bool local)
{
	bool header = false;
	char rbuf[1024];

	for (size_t i = 0; i < v->n; i++) {
		const struct collector_result *r = &v->results[i];

		const char *reason;

		if (r->status == STATUS_OK ||
		    (r->status == STATUS_SKIPPED) != skipped)
			continue;
		if (!header)
			fprintf(out, "\n%s\n", heading);
		header = true;
		reason = r->reason ? r->reason : "";
		if (local)
			reason = i18n_display(reason, rbuf, sizeof(rbuf));
		if (skipped)
			fprintf(out, "  %-16s %s\n", r->collector->name,
				reason);
		else
			fprintf(out, "  %-16s %-8s %s\n", r->collector->name,
				collector_status_name(r->status), reason);
	}
}

/* Collectors whose records the agent refused or cut off. */
static void print_dropped(FILE *out, const struct verdict *v, bool local)
{
	char text[320];

	if (verdict_dropped(v) == 0)
		return;
	fprintf(out, "\n%s\n",
		tr(local, "Records dropped (the verdict may be incomplete):"));
	for (size_t i = 0; i < v->n; i++) {
		const struct collector_result *r = &v->results[i];

		if (dropped_text(r, text, sizeof(text), local))
			fprintf(out, "  %-16s %s\n", r->collector->name, text);
	}
}

static void text(FILE *out, const struct verdict *v, bool colour, bool full,
		 bool local)
{
	size_t problems = count_severity(v, SEVERITY_FAIL) +
			  count_severity(v, SEVERITY_WARN);
	size_t passed = count_severity(v, SEVERITY_OK);
	char checks[160];

	if (v->ticket)
		fprintf(out, tr(local, "rdiag verdict for %s, ticket %s"),
			v->host, v->ticket);
	else
		fprintf(out, tr(local, "rdiag verdict for %s"), v->host);
	fputc('\n', out);
	if (report_headline(v))
		fprintf(out, "\n%s\n", tr(local, report_headline(v)));
	for (size_t g = 0; g < ARRAY_SIZE(groups); g++)
		print_group(out, v, &groups[g], colour, local);
	if (full) {
		print_list(out, v, SEVERITY_INFO, tr(local, "For information"),
			   local);
		print_list(out, v, SEVERITY_OK, tr(local, "Checks that passed"),
			   local);
	}
	/* Two counts, two plural forms: "3 checks passed, 1 problem found." */
	snprintf(checks, sizeof(checks),
		 ntr(local, "%zu check passed", "%zu checks passed", passed),
		 passed);
	fputc('\n', out);
	fprintf(out,
		ntr(local, "%s, %zu problem found.", "%s, %zu problems found.",
		    problems),
		checks, problems);
	fputc('\n', out);
	print_statuses(out, v, false,
		       tr(local, "Collectors that did not finish:"), local);
	print_statuses(out, v, true, tr(local, "Not checked:"), local);
	print_dropped(out, v, local);
	if (v->bundle_path) {
		char size[32];

		format_size(v->bundle_size, size, sizeof(size));
		/* TRANSLATORS: the two labels are padded to one width. */
		fputc('\n', out);
		fprintf(out, tr(local, "Bundle:  %s (%s)"), v->bundle_path,
			size);
		fprintf(out, "\nSHA-256: %s\n", v->sha256);
	}
}

void report_text(FILE *out, const struct verdict *v, bool colour, bool full)
{
	text(out, v, colour, full, false);
}

void report_text_local(FILE *out, const struct verdict *v, bool colour,
		       bool full)
{
	text(out, v, colour, full, true);
}

json_t *report_json(const struct verdict *v)
{
	json_t *o = json_object(), *cols = json_array(), *fs = json_array();
	size_t i;
	json_t *f;

	for (i = 0; i < v->n; i++) {
		const struct collector_result *r = &v->results[i];

		json_array_append_new(
			cols, json_pack("{s:s, s:s, s:s?, s:I, s:I, s:b}",
					"name", r->collector->name, "status",
					collector_status_name(r->status),
					"reason", r->reason, "duration_ms",
					(json_int_t)r->duration_ms, "rejected",
					(json_int_t)r->rejected, "truncated",
					r->truncated));
	}
	json_array_foreach(v->findings, i, f)
	{
		json_t *c = json_object();
		static const char *const keys[] = { "id",       "collector",
						    "severity", "level",
						    "title",    "detail",
						    "hint",     "kb" };

		for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
			json_t *val = json_object_get(f, keys[k]);

			if (val)
				json_object_set(c, keys[k], val);
			else if (strcmp(keys[k], "kb") != 0)
				json_object_set_new(c, keys[k], json_null());
		}
		json_array_append_new(fs, c);
	}
	json_object_set_new(o, "format", json_string(BUNDLE_FORMAT_VERDICT));
	json_object_set_new(o, "host", json_string(v->host));
	json_object_set_new(o, "ticket",
			    v->ticket ? json_string(v->ticket) : json_null());
	json_object_set_new(o, "bundle",
			    v->bundle_path ? json_string(v->bundle_path)
					   : json_null());
	json_object_set_new(o, "sha256",
			    v->sha256 ? json_string(v->sha256) : json_null());
	json_object_set_new(o, "bundle_size",
			    v->bundle_path
				    ? json_integer((json_int_t)v->bundle_size)
				    : json_null());
	json_object_set_new(o, "exit_code", json_integer(verdict_exit_code(v)));
	json_object_set_new(o, "nothing_checked",
			    json_boolean(verdict_nothing_checked(v)));
	json_object_set_new(o, "collectors", cols);
	json_object_set_new(o, "findings", fs);
	return o;
}
