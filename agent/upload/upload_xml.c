/*
 * The few values rdiag reads from S3's XML replies (ListObjects, multipart
 * initiate and complete, error bodies), parsed by expat rather than found
 * by string search: entities (&amp; &lt;) are decoded, CDATA sections and
 * namespaces (xmlns on the root) are understood, and a tag named inside a
 * value or a comment is not mistaken for an element. Input is bounded
 * (UPLOAD_XML_MAX) and any DOCTYPE is refused, so entity expansion
 * (billion laughs) and external entities never happen.
 */
#include <errno.h>
#include <expat.h>
#include <stdlib.h>
#include <string.h>

#include "rdiag/buf.h"
#include "upload/upload_int.h"

/* Longest value kept (names, ids, keys, messages are far shorter). */
#define XML_VALUE_MAX 4096

struct xml_walk {
	XML_Parser p;
	const char *item; /* the element whose children are read, or NULL */
	const char *const *fields;
	size_t nfields;
	char **values;       /* nfields values of the current item */
	unsigned depth;      /* element depth */
	unsigned item_depth; /* depth of the open item, 0: none */
	int in_field;        /* index of the field being read, or -1 */
	unsigned field_depth;
	struct buf text;
	bool too_long;
	upload_xml_fn fn;
	void *arg;
	int rc;
};

/* The local part of a namespaced name "uri|local" (or the name itself). */
static const char *local_name(const char *name)
{
	const char *bar = strrchr(name, '|');

	return bar ? bar + 1 : name;
}

static void emit_item(struct xml_walk *w)
{
	int r = w->fn(w->values, w->nfields, w->arg);

	for (size_t i = 0; i < w->nfields; i++) {
		free(w->values[i]);
		w->values[i] = NULL;
	}
	if (r != 0) {
		w->rc = r;
		XML_StopParser(w->p, XML_FALSE);
	}
}

static void XMLCALL on_start(void *arg, const char *name, const char **attrs)
{
	struct xml_walk *w = arg;
	const char *ln = local_name(name);

	(void)attrs;
	w->depth++;
	if (w->in_field >= 0)
		return;
	if (w->item && !w->item_depth) {
		if (strcmp(ln, w->item) == 0)
			w->item_depth = w->depth;
		return;
	}
	for (size_t i = 0; i < w->nfields; i++)
		if (!w->values[i] && strcmp(ln, w->fields[i]) == 0) {
			w->in_field = (int)i;
			w->field_depth = w->depth;
			buf_reset(&w->text);
			w->too_long = false;
			return;
		}
}

static void XMLCALL on_end(void *arg, const char *name)
{
	struct xml_walk *w = arg;

	(void)name;
	if (w->in_field >= 0 && w->depth == w->field_depth) {
		if (!w->too_long)
			w->values[w->in_field] = xstrndup(
				w->text.len ? w->text.data : "", w->text.len);
		w->in_field = -1;
	} else if (w->item && w->item_depth == w->depth) {
		w->item_depth = 0;
		emit_item(w);
	} else if (!w->item && w->depth == 1) {
		emit_item(w);
	}
	w->depth--;
}

static void XMLCALL on_text(void *arg, const char *s, int len)
{
	struct xml_walk *w = arg;

	if (w->in_field < 0 || w->too_long)
		return;
	if (w->text.len + (size_t)len >= XML_VALUE_MAX) {
		w->too_long = true;
		return;
	}
	buf_append(&w->text, s, (size_t)len);
}

/* S3 never sends a DTD: one is refused before any entity is declared. */
static void XMLCALL on_doctype(void *arg, const char *name, const char *sysid,
			       const char *pubid, int has_internal)
{
	struct xml_walk *w = arg;

	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal;
	w->rc = -EBADMSG;
	XML_StopParser(w->p, XML_FALSE);
}

int upload_xml_each(const char *xml, size_t len, const char *item,
		    const char *const *fields, size_t nfields, upload_xml_fn fn,
		    void *arg)
{
	struct xml_walk w;
	enum XML_Status st;

	if (len > UPLOAD_XML_MAX)
		return -EFBIG;
	memset(&w, 0, sizeof(w));
	w.item = item;
	w.fields = fields;
	w.nfields = nfields;
	w.values = xcalloc(nfields ? nfields : 1, sizeof(char *));
	w.in_field = -1;
	w.fn = fn;
	w.arg = arg;
	buf_init(&w.text, XML_VALUE_MAX);
	w.p = XML_ParserCreateNS(NULL, '|');
	if (!w.p)
		abort();
	XML_SetUserData(w.p, &w);
	XML_SetElementHandler(w.p, on_start, on_end);
	XML_SetCharacterDataHandler(w.p, on_text);
	XML_SetStartDoctypeDeclHandler(w.p, on_doctype);
	st = XML_Parse(w.p, xml, (int)len, XML_TRUE);
	if (st == XML_STATUS_ERROR && !w.rc)
		w.rc = -EBADMSG;
	XML_ParserFree(w.p);
	for (size_t i = 0; i < nfields; i++)
		free(w.values[i]);
	free(w.values);
	buf_release(&w.text);
	return w.rc;
}

struct first_value {
	char *v;
};

static int keep_first(char **values, size_t n, void *arg)
{
	struct first_value *f = arg;

	(void)n;
	if (values[0]) {
		f->v = values[0];
		values[0] = NULL;
	}
	return 1; /* the document's element ended: stop */
}

char *upload_xml_value(const char *xml, const char *tag)
{
	struct first_value f = { NULL };
	const char *const fields[] = { tag };

	if (!xml)
		return NULL;
	(void)upload_xml_each(xml, strlen(xml), NULL, fields, 1, keep_first,
			      &f);
	return f.v;
}
