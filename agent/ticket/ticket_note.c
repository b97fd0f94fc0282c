/*
 * The note posted to a ticket: the verdict (findings that need action,
 * grouped by who can act, as report.c groups them; passed checks counted;
 * collectors that did not finish), then the bundle (name, size, SHA-256,
 * or the link where it was stored). One layout, written through a small
 * emitter per markup. Finding texts come from collectors and may hold
 * anything, so every markup escapes every character that could start
 * markup, a link, a macro or a ticket reference; plain text reuses
 * report_text() itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/report.h"
#include "rdiag/buf.h"
#include "rdiag/record.h"
#include "ticket/ticket.h"

enum style {
	STYLE_PLAIN,
	STYLE_STRONG,
	STYLE_CODE,
	STYLE_LINK, /* the text is the URL */
};

struct emitter;

struct emitter_ops {
	void (*heading)(struct emitter *e, int level, const char *text);
	void (*para_begin)(struct emitter *e);
	void (*para_end)(struct emitter *e);
	void (*list_begin)(struct emitter *e);
	void (*list_end)(struct emitter *e);
	void (*item_begin)(struct emitter *e);
	void (*item_end)(struct emitter *e);
	void (*text)(struct emitter *e, const char *s, enum style st);
};

/* A text markup: the strings around each element and its escaper. */
struct markup {
	const char *h_open[2], *h_close[2]; /* levels 3 and 4 */
	const char *p_open, *p_close;
	const char *list_open, *list_close;
	const char *item_open, *item_close;
	const char *strong_open, *strong_close;
	const char *code_open, *code_close;
	void (*escape)(struct buf *b, const char *s);
	void (*link)(struct buf *b, const char *url);
};

struct emitter {
	const struct emitter_ops *ops;
	const struct markup *m; /* text markups */
	struct buf b;
	/* ADF: the node arrays being filled */
	json_t *doc, *block, *list, *item;
};

/* ---- escaping ---- */

static bool is_punct(unsigned char c)
{
	return c > ' ' && c < 0x7f && !(c >= '0' && c <= '9') &&
	       !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z');
}

/*
 * Textile (Redmine): every ASCII punctuation that could start markup
 * becomes a numeric entity, which Redmine renders as the character; '<'
 * is covered too. '#', ':' and '{' stop issue links, autolinks and macros.
 */
static void escape_textile(struct buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < ' ' || *p == 0x7f)
			(void)buf_putc(b, ' ');
		else if (is_punct(*p) && !strchr(".,/?", *p))
			(void)buf_printf(b, "&#%d;", *p);
		else
			(void)buf_putc(b, (char)*p);
	}
}

static void escape_html(struct buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '&':
			(void)buf_puts(b, "&amp;");
			break;
		case '<':
			(void)buf_puts(b, "&lt;");
			break;
		case '>':
			(void)buf_puts(b, "&gt;");
			break;
		case '"':
			(void)buf_puts(b, "&quot;");
			break;
		case '\'':
			(void)buf_puts(b, "&#39;");
			break;
		default:
			(void)buf_putc(b,
				       *p < ' ' || *p == 0x7f ? ' ' : (char)*p);
		}
	}
}

/* Jira wiki: a backslash makes the next special character literal. */
static void escape_jira(struct buf *b, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < ' ' || *p == 0x7f) {
			(void)buf_putc(b, ' ');
			continue;
		}
		if (is_punct(*p) && !strchr(".,/:;'\"", *p))
			(void)buf_putc(b, '\\');
		(void)buf_putc(b, (char)*p);
	}
}

/* A URL we may show as a link: https:// and nothing that ends it early. */
static bool link_safe(const char *url)
{
	return strncmp(url, "https://", 8) == 0 &&
	       strspn(url,
		      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789-._~/:%?=&+[]@") == strlen(url);
}

static void link_textile(struct buf *b, const char *url)
{
	/* Redmine links a bare https:// URL itself. */
	if (link_safe(url) && !strpbrk(url, "[]"))
		(void)buf_puts(b, url);
	else
		escape_textile(b, url);
}

static void link_html(struct buf *b, const char *url)
{
	if (link_safe(url)) {
		(void)buf_puts(b, "<a href=\"");
		escape_html(b, url);
		(void)buf_puts(b, "\">");
		escape_html(b, url);
		(void)buf_puts(b, "</a>");
	} else {
		escape_html(b, url);
	}
}

static void link_jira(struct buf *b, const char *url)
{
	if (link_safe(url) && !strpbrk(url, "[]|"))
		(void)buf_printf(b, "[%s]", url);
	else
		escape_jira(b, url);
}

static const struct markup markup_textile = {
	.h_open = { "h3. ", "h4. " },
	.h_close = { "\n\n", "\n\n" },
	.p_close = "\n\n",
	.list_close = "\n",
	.item_open = "* ",
	.item_close = "\n",
	.strong_open = "*",
	.strong_close = "*",
	.escape = escape_textile,
	.link = link_textile,
};

static const struct markup markup_html = {
	.h_open = { "<h3>", "<h4>" },
	.h_close = { "</h3>\n", "</h4>\n" },
	.p_open = "<p>",
	.p_close = "</p>\n",
	.list_open = "<ul>\n",
	.list_close = "</ul>\n",
	.item_open = "<li>",
	.item_close = "</li>\n",
	.strong_open = "<strong>",
	.strong_close = "</strong>",
	.code_open = "<code>",
	.code_close = "</code>",
	.escape = escape_html,
	.link = link_html,
};

static const struct markup markup_jira = {
	.h_open = { "h3. ", "h4. " },
	.h_close = { "\n", "\n" },
	.p_close = "\n\n",
	.list_close = "\n",
	.item_open = "* ",
	.item_close = "\n",
	.strong_open = "*",
	.strong_close = "*",
	.escape = escape_jira,
	.link = link_jira,
};

/* ---- text emitter ---- */

static const char *str(const char *s)
{
	return s ? s : "";
}

static void t_heading(struct emitter *e, int level, const char *text)
{
	const struct markup *m = e->m;

	(void)buf_puts(&e->b, m->h_open[level > 3]);
	m->escape(&e->b, text);
	(void)buf_puts(&e->b, m->h_close[level > 3]);
}

static void t_para_begin(struct emitter *e)
{
	(void)buf_puts(&e->b, str(e->m->p_open));
}

static void t_para_end(struct emitter *e)
{
	(void)buf_puts(&e->b, str(e->m->p_close));
}

static void t_list_begin(struct emitter *e)
{
	(void)buf_puts(&e->b, str(e->m->list_open));
}

static void t_list_end(struct emitter *e)
{
	(void)buf_puts(&e->b, str(e->m->list_close));
}

static void t_item_begin(struct emitter *e)
{
	(void)buf_puts(&e->b, str(e->m->item_open));
}

static void t_item_end(struct emitter *e)
{
	(void)buf_puts(&e->b, str(e->m->item_close));
}

static void t_text(struct emitter *e, const char *s, enum style st)
{
	const struct markup *m = e->m;

	switch (st) {
	case STYLE_LINK:
		m->link(&e->b, s);
		return;
	case STYLE_STRONG:
		(void)buf_puts(&e->b, str(m->strong_open));
		m->escape(&e->b, s);
		(void)buf_puts(&e->b, str(m->strong_close));
		return;
	case STYLE_CODE:
		(void)buf_puts(&e->b, str(m->code_open));
		m->escape(&e->b, s);
		(void)buf_puts(&e->b, str(m->code_close));
		return;
	case STYLE_PLAIN:
		m->escape(&e->b, s);
		return;
	}
}

static const struct emitter_ops text_ops = {
	.heading = t_heading,
	.para_begin = t_para_begin,
	.para_end = t_para_end,
	.list_begin = t_list_begin,
	.list_end = t_list_end,
	.item_begin = t_item_begin,
	.item_end = t_item_end,
	.text = t_text,
};

/* ---- ADF emitter: nodes, so nothing needs escaping ---- */

static json_t *adf_text(const char *s, enum style st)
{
	json_t *t = json_pack("{s:s, s:s}", "type", "text", "text", s);

	if (st == STYLE_STRONG || st == STYLE_CODE)
		json_object_set_new(
			t, "marks",
			json_pack("[{s:s}]", "type",
				  st == STYLE_STRONG ? "strong" : "code"));
	else if (st == STYLE_LINK && strncmp(s, "https://", 8) == 0)
		json_object_set_new(t, "marks",
				    json_pack("[{s:s, s:{s:s}}]", "type",
					      "link", "attrs", "href", s));
	return t;
}

static void a_heading(struct emitter *e, int level, const char *text)
{
	json_array_append_new(json_object_get(e->doc, "content"),
			      json_pack("{s:s, s:{s:i}, s:[o]}", "type",
					"heading", "attrs", "level", level,
					"content",
					adf_text(text, STYLE_PLAIN)));
}

static void a_para_begin(struct emitter *e)
{
	e->block = json_array();
}

static void a_para_end(struct emitter *e)
{
	json_t *p = json_pack("{s:s, s:o}", "type", "paragraph", "content",
			      e->block);

	json_array_append_new(
		e->item ? e->item : json_object_get(e->doc, "content"), p);
	e->block = NULL;
}

static void a_list_begin(struct emitter *e)
{
	e->list = json_array();
}

static void a_list_end(struct emitter *e)
{
	json_array_append_new(json_object_get(e->doc, "content"),
			      json_pack("{s:s, s:o}", "type", "bulletList",
					"content", e->list));
	e->list = NULL;
}

static void a_item_begin(struct emitter *e)
{
	e->item = json_array();
	a_para_begin(e);
}

static void a_item_end(struct emitter *e)
{
	json_t *item = e->item;

	a_para_end(e);
	json_array_append_new(e->list, json_pack("{s:s, s:o}", "type",
						 "listItem", "content", item));
	e->item = NULL;
}

static void a_text(struct emitter *e, const char *s, enum style st)
{
	if (*s) /* ADF refuses empty text nodes */
		json_array_append_new(e->block, adf_text(s, st));
}

static const struct emitter_ops adf_ops = {
	.heading = a_heading,
	.para_begin = a_para_begin,
	.para_end = a_para_end,
	.list_begin = a_list_begin,
	.list_end = a_list_end,
	.item_begin = a_item_begin,
	.item_end = a_item_end,
	.text = a_text,
};

/* ---- the layout ---- */

struct group {
	const char *heading;
	int min_level, max_level;
};

/* As report.c groups the terminal verdict. */
static const struct group groups[] = {
	{ "The customer can fix this", 0, 0 },
	{ "For the vendor's support (helpdesk, technical support, "
	  "engineering)",
	  1, 3 },
	{ "For the customer's IT or another vendor (NAS, database, "
	  "antivirus, terminal server)",
	  4, 4 },
};

static enum severity sev(json_t *f)
{
	enum severity s = SEVERITY_INFO;

	severity_from_name(json_string_value(json_object_get(f, "severity")),
			   &s);
	return s;
}

static const char *fs(json_t *f, const char *key)
{
	const char *s = json_string_value(json_object_get(f, key));

	return s ? s : "";
}

static size_t count(json_t *findings, enum severity s)
{
	size_t i, n = 0;
	json_t *f;

	json_array_foreach(findings, i, f) n += sev(f) == s;
	return n;
}

static void emit_finding(struct emitter *e, json_t *f)
{
	const struct emitter_ops *o = e->ops;

	o->item_begin(e);
	o->text(e, sev(f) == SEVERITY_FAIL ? "FAIL" : "WARN", STYLE_STRONG);
	o->text(e, " ", STYLE_PLAIN);
	o->text(e, fs(f, "title"), STYLE_PLAIN);
	o->text(e, " [", STYLE_PLAIN);
	o->text(e, fs(f, "id"), STYLE_CODE);
	o->text(e, "]", STYLE_PLAIN);
	if (*fs(f, "detail")) {
		o->text(e, " \xe2\x80\x94 ", STYLE_PLAIN);
		o->text(e, fs(f, "detail"), STYLE_PLAIN);
	}
	if (*fs(f, "hint")) {
		o->text(e, " \xe2\x86\x92 ", STYLE_PLAIN);
		o->text(e, fs(f, "hint"), STYLE_PLAIN);
	}
	o->item_end(e);
}

static void emit_groups(struct emitter *e, const struct ticket_note *n,
			size_t *listed, size_t *left)
{
	for (size_t g = 0; g < ARRAY_SIZE(groups); g++) {
		size_t i, k = 0;
		json_t *f;
		char *h;

		json_array_foreach(n->findings, i, f)
		{
			int lvl = (int)json_integer_value(
				json_object_get(f, "level"));

			k += sev(f) >= SEVERITY_WARN &&
			     lvl >= groups[g].min_level &&
			     lvl <= groups[g].max_level;
		}
		if (k == 0)
			continue;
		h = xasprintf("%s (%zu)", groups[g].heading, k);
		e->ops->heading(e, 4, h);
		free(h);
		e->ops->list_begin(e);
		/* Failures first, then warnings, each in collector order. */
		for (int s = SEVERITY_FAIL; s >= SEVERITY_WARN; s--)
			json_array_foreach(n->findings, i, f)
			{
				int lvl = (int)json_integer_value(
					json_object_get(f, "level"));

				if ((int)sev(f) != s ||
				    lvl < groups[g].min_level ||
				    lvl > groups[g].max_level)
					continue;
				if (*listed >= TICKET_NOTE_MAX_FINDINGS) {
					(*left)++;
					continue;
				}
				emit_finding(e, f);
				(*listed)++;
			}
		e->ops->list_end(e);
	}
}

static void emit_unfinished(struct emitter *e, const struct ticket_note *n)
{
	size_t k = 0;

	for (size_t i = 0; i < n->ncollectors; i++) {
		const struct bundle_manifest_collector *c = &n->collectors[i];
		const char *st = collector_status_name(c->status);

		if (c->status == STATUS_OK || c->status == STATUS_SKIPPED)
			continue;
		if (k++ == 0) {
			e->ops->para_begin(e);
			e->ops->text(e, "Collectors that did not finish:",
				     STYLE_PLAIN);
		}
		e->ops->text(e, " ", STYLE_PLAIN);
		e->ops->text(e, c->name, STYLE_CODE);
		e->ops->text(e, " (", STYLE_PLAIN);
		e->ops->text(e, st, STYLE_PLAIN);
		e->ops->text(e, ")", STYLE_PLAIN);
	}
	if (k)
		e->ops->para_end(e);
}

static void emit_item(struct emitter *e, const char *label, const char *v,
		      enum style st)
{
	e->ops->item_begin(e);
	e->ops->text(e, label, STYLE_PLAIN);
	e->ops->text(e, v, st);
	e->ops->item_end(e);
}

static void emit_bundle(struct emitter *e, const struct ticket_note *n)
{
	char size[32], *s;

	format_size(n->size, size, sizeof(size));
	s = xasprintf("%s (%llu bytes)", size, (unsigned long long)n->size);
	e->ops->heading(e, 4,
			n->link ? "Bundle (too large to attach here, stored)"
				: "Bundle (attached)");
	e->ops->list_begin(e);
	emit_item(e, "Name: ", n->bundle, STYLE_CODE);
	emit_item(e, "Size: ", s, STYLE_PLAIN);
	emit_item(e, "SHA-256: ", n->sha256 ? n->sha256 : "unknown",
		  STYLE_CODE);
	if (n->link)
		emit_item(e, "Stored at: ", n->link, STYLE_LINK);
	if (n->attached)
		emit_item(e, "Attached instead: ", n->attached, STYLE_CODE);
	e->ops->list_end(e);
	free(s);
}

static void emit_note(struct emitter *e, const struct ticket_note *n)
{
	size_t problems = count(n->findings, SEVERITY_FAIL) +
			  count(n->findings, SEVERITY_WARN);
	size_t passed = count(n->findings, SEVERITY_OK), listed = 0, left = 0;
	char *s;

	s = xasprintf("rdiag verdict for %s%s%s", n->host,
		      n->ticket ? ", ticket " : "", str(n->ticket));
	e->ops->heading(e, 3, s);
	free(s);
	if (problems == 0) {
		e->ops->para_begin(e);
		e->ops->text(e, "No problems found.", STYLE_PLAIN);
		e->ops->para_end(e);
	}
	emit_groups(e, n, &listed, &left);
	e->ops->para_begin(e);
	s = xasprintf("%zu check%s passed, %zu problem%s found.", passed,
		      passed == 1 ? "" : "s", problems,
		      problems == 1 ? "" : "s");
	e->ops->text(e, s, STYLE_PLAIN);
	free(s);
	if (left) {
		s = xasprintf(" %zu more not listed here: see findings.json.",
			      left);
		e->ops->text(e, s, STYLE_PLAIN);
		free(s);
	}
	e->ops->para_end(e);
	emit_unfinished(e, n);
	emit_bundle(e, n);
	e->ops->para_begin(e);
	s = xasprintf("Posted by rdiag %s from host ", n->version);
	e->ops->text(e, s, STYLE_PLAIN);
	free(s);
	e->ops->text(e, n->host, STYLE_CODE);
	e->ops->text(e, ".", STYLE_PLAIN);
	e->ops->para_end(e);
}

/* The findings with control characters (newlines too) made spaces, so a
 * finding keeps to its lines in the verdict text. */
static json_t *flatten(json_t *findings)
{
	json_t *copy = json_deep_copy(findings), *f, *v;
	size_t i;
	const char *k;

	json_array_foreach(copy, i, f)
	{
		json_object_foreach(f, k, v)
		{
			char *s;

			if (!json_is_string(v))
				continue;
			s = xstrdup(json_string_value(v));
			for (char *p = s; *p; p++)
				if ((*p > 0 && *p < ' ') || *p == 0x7f)
					*p = ' ';
			json_string_set(v, s);
			free(s);
		}
	}
	return copy;
}

/* Plain text is the terminal verdict itself, then the bundle lines. */
static char *render_plain(const struct ticket_note *n)
{
	struct verdict v;
	struct buf b;
	char *text = NULL, size[32];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	json_t *flat = flatten(n->findings);

	if (!f)
		abort(); /* only fails on memory exhaustion */
	memset(&v, 0, sizeof(v));
	v.findings = flat;
	v.host = n->host;
	v.ticket = n->ticket;
	report_text(f, &v, false, false);
	fclose(f);
	json_decref(flat);
	buf_init(&b, 0);
	/* Control characters from a finding must not reach the ticket. */
	for (const char *p = text; *p; p++)
		(void)buf_putc(&b,
			       (*p > 0 && *p < ' ' && *p != '\n') || *p == 0x7f
				       ? ' '
				       : *p);
	free(text);
	format_size(n->size, size, sizeof(size));
	(void)buf_printf(&b, "\nBundle:  %s (%s, %llu bytes)%s\nSHA-256: %s\n",
			 n->bundle, size, (unsigned long long)n->size,
			 n->link ? ", too large to attach here" : "",
			 n->sha256 ? n->sha256 : "unknown");
	if (n->link)
		(void)buf_printf(&b, "Stored at: %s\n", n->link);
	if (n->attached)
		(void)buf_printf(&b, "Attached instead: %s\n", n->attached);
	(void)buf_printf(&b, "\nPosted by rdiag %s from host %s.\n", n->version,
			 n->host);
	return buf_detach(&b, NULL);
}

char *ticket_note_render(const struct ticket_note *n, enum ticket_markup m)
{
	struct emitter e;
	char *s;

	memset(&e, 0, sizeof(e));
	switch (m) {
	case TICKET_MARKUP_PLAIN:
		return render_plain(n);
	case TICKET_MARKUP_ADF:
		e.ops = &adf_ops;
		e.doc = json_pack("{s:s, s:i, s:[]}", "type", "doc", "version",
				  1, "content");
		emit_note(&e, n);
		s = json_dumps(e.doc, JSON_COMPACT);
		json_decref(e.doc);
		if (!s)
			abort();
		return s;
	case TICKET_MARKUP_TEXTILE:
		e.m = &markup_textile;
		break;
	case TICKET_MARKUP_HTML:
		e.m = &markup_html;
		break;
	case TICKET_MARKUP_JIRA:
		e.m = &markup_jira;
		break;
	}
	e.ops = &text_ops;
	buf_init(&e.b, 0);
	emit_note(&e, n);
	return buf_detach(&e.b, NULL);
}
