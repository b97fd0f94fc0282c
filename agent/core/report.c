/*
 * Rendering the verdict (see report.h). The terminal text is meant for a
 * customer: plain words, one line per problem with its next step, grouped by
 * who can act, then what passed and where the evidence is.
 */
#include <stdio.h>
#include <string.h>

#include "core/bundle_format.h"
#include "core/report.h"

struct group {
	const char *heading;
	int min_level, max_level;
};

static const struct group groups[] = {
	{ "You can fix this yourself", 0, 0 },
	{ "For the vendor's support (helpdesk, technical support, "
	  "engineering)",
	  1, 3 },
	{ "For your IT department or another vendor (NAS, database, "
	  "antivirus, terminal server)",
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

const char *report_dropped_text(const struct collector_result *r, char *buf,
				size_t len)
{
	if (!dropped(r))
		return NULL;
	if (r->rejected > 0 && r->truncated)
		snprintf(buf, len,
			 "%zu record%s rejected as invalid, and records past "
			 "the limit cut off",
			 r->rejected, r->rejected == 1 ? "" : "s");
	else if (r->rejected > 0)
		snprintf(buf, len, "%zu record%s rejected as invalid",
			 r->rejected, r->rejected == 1 ? "" : "s");
	else
		snprintf(buf, len, "records past the limit cut off");
	return buf;
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
		snprintf(buf, len, "%zu problem%s", fails + warns,
			 fails + warns == 1 ? "" : "s");
	else if (warns > 0)
		snprintf(buf, len, "%zu warning%s", warns,
			 warns == 1 ? "" : "s");
	else if (r->rejected > 0)
		snprintf(buf, len, "%zu rejected", r->rejected);
	else if (r->truncated)
		snprintf(buf, len, "cut off");
	else
		return collector_status_name(r->status);
	return buf;
}

const char *report_headline(const struct verdict *v)
{
	if (count_severity(v, SEVERITY_FAIL) + count_severity(v, SEVERITY_WARN))
		return NULL;
	if (verdict_nothing_checked(v))
		return "Nothing was checked: every selected collector was "
		       "skipped (see why under \"Not checked\").";
	if (verdict_dropped(v) > 0)
		return "No problems found in what arrived, but records were "
		       "dropped: the verdict may be incomplete (see \"Records "
		       "dropped\").";
	return "No problems found.";
}

static void print_finding(FILE *out, json_t *f, bool colour)
{
	enum severity s = finding_severity(f);
	const char *tag = s == SEVERITY_FAIL ? "FAIL" : "WARN";
	const char *on = "", *off = "";
	const char *detail = fstr(f, "detail"), *hint = fstr(f, "hint");

	if (colour) {
		on = s == SEVERITY_FAIL ? "\033[1;31m" : "\033[1;33m";
		off = "\033[0m";
	}
	fprintf(out, "  %s%s%s  %s  [%s]\n", on, tag, off, fstr(f, "title"),
		fstr(f, "id"));
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
			const struct group *g, bool colour)
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
	fprintf(out, "\n%s%s (%zu)%s\n", colour ? "\033[1m" : "", g->heading, n,
		colour ? "\033[0m" : "");
	/* Failures first, then warnings, each in collector order. */
	for (int s = SEVERITY_FAIL; s >= SEVERITY_WARN; s--) {
		json_array_foreach(v->findings, i, f)
		{
			int lvl = finding_level(f);

			if ((int)finding_severity(f) == s &&
			    lvl >= g->min_level && lvl <= g->max_level)
				print_finding(out, f, colour);
		}
	}
}

static void print_list(FILE *out, const struct verdict *v, enum severity s,
		       const char *heading)
{
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
			fstr(f, "title"), fstr(f, "id"));
		if (fstr(f, "detail"))
			fprintf(out, "        %s\n", fstr(f, "detail"));
	}
}

/* Collectors that ended badly, or (skipped) those with nothing to check. */
static void print_statuses(FILE *out, const struct verdict *v, bool skipped,
			   const char *heading)
{
	bool header = false;

	for (size_t i = 0; i < v->n; i++) {
		const struct collector_result *r = &v->results[i];

		if (r->status == STATUS_OK ||
		    (r->status == STATUS_SKIPPED) != skipped)
			continue;
		if (!header)
			fprintf(out, "\n%s\n", heading);
		header = true;
		if (skipped)
			fprintf(out, "  %-16s %s\n", r->collector->name,
				r->reason ? r->reason : "");
		else
			fprintf(out, "  %-16s %-8s %s\n", r->collector->name,
				collector_status_name(r->status),
				r->reason ? r->reason : "");
	}
}

/* Collectors whose records the agent refused or cut off. */
static void print_dropped(FILE *out, const struct verdict *v)
{
	char text[160];

	if (verdict_dropped(v) == 0)
		return;
	fprintf(out, "\nRecords dropped (the verdict may be incomplete):\n");
	for (size_t i = 0; i < v->n; i++) {
		const struct collector_result *r = &v->results[i];

		if (report_dropped_text(r, text, sizeof(text)))
			fprintf(out, "  %-16s %s\n", r->collector->name, text);
	}
}

void report_text(FILE *out, const struct verdict *v, bool colour, bool full)
{
	size_t problems = count_severity(v, SEVERITY_FAIL) +
			  count_severity(v, SEVERITY_WARN);
	size_t passed = count_severity(v, SEVERITY_OK);

	fprintf(out, "rdiag verdict for %s%s%s\n", v->host,
		v->ticket ? ", ticket " : "", v->ticket ? v->ticket : "");
	if (report_headline(v))
		fprintf(out, "\n%s\n", report_headline(v));
	for (size_t g = 0; g < ARRAY_SIZE(groups); g++)
		print_group(out, v, &groups[g], colour);
	if (full) {
		print_list(out, v, SEVERITY_INFO, "For information");
		print_list(out, v, SEVERITY_OK, "Checks that passed");
	}
	fprintf(out, "\n%zu check%s passed, %zu problem%s found.\n", passed,
		passed == 1 ? "" : "s", problems, problems == 1 ? "" : "s");
	print_statuses(out, v, false, "Collectors that did not finish:");
	print_statuses(out, v, true, "Not checked:");
	print_dropped(out, v);
	if (v->bundle_path) {
		char size[32];

		format_size(v->bundle_size, size, sizeof(size));
		fprintf(out, "\nBundle:  %s (%s)\nSHA-256: %s\n",
			v->bundle_path, size, v->sha256);
	}
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
