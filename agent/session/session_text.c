/*
 * The pure parts of `rdiag session`: fingerprints, the consent text, JSON
 * string encoding for the audit log and the asciicast recording, key file
 * lines and durations. No I/O here, so all of it is unit-tested.
 */
#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/i18n.h"
#include "rdiag/utf8.h"
#include "session/session.h"

void session_fp_format(const unsigned char *digest, size_t len, char *out)
{
	char b64[SESSION_FP_MAX - 8];

	if (len > 32)
		len = 32; /* SHA-256; keeps the text within out */
	sodium_bin2base64(b64, sizeof(b64), digest, len,
			  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	snprintf(out, SESSION_FP_MAX, "SHA256:%s", b64);
}

/* The base64 part of a fingerprint, without prefix and padding. */
static void fp_core(const char *fp, const char **ret_p, size_t *ret_len)
{
	size_t n;

	if (strncmp(fp, "SHA256:", 7) == 0)
		fp += 7;
	n = strlen(fp);
	while (n > 0 && fp[n - 1] == '=')
		n--;
	*ret_p = fp;
	*ret_len = n;
}

bool session_fp_match(const char *pinned, const char *actual)
{
	const char *a, *b;
	size_t na, nb;

	if (!pinned || !actual)
		return false;
	fp_core(pinned, &a, &na);
	fp_core(actual, &b, &nb);
	return na > 0 && na == nb && memcmp(a, b, na) == 0;
}

int session_duration_parse(const char *s, unsigned *ret_s)
{
	unsigned long long v;
	int r;

	if ((r = parse_duration(s, 1, SESSION_DURATION_MAX, &v)) < 0)
		return r;
	*ret_s = (unsigned)v;
	return 0;
}

void session_duration_format(unsigned s, char *out, size_t len)
{
	unsigned h = s / 3600, m = s % 3600 / 60, sec = s % 60;
	int n = 0;

	out[0] = '\0';
	if (h)
		n += snprintf(out + n, len - (size_t)n, "%uh", h);
	if (m && (size_t)n < len)
		n += snprintf(out + n, len - (size_t)n, "%um", m);
	if ((sec || s == 0) && (size_t)n < len)
		snprintf(out + n, len - (size_t)n, "%us", sec);
}

int session_bool_parse(const char *s, bool *ret)
{
	static const char *const yes[] = { "yes", "true", "1", "on" };
	static const char *const no[] = { "no", "false", "0", "off" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcmp(s, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

void session_key_release(struct session_key *k)
{
	free(k->type);
	free(k->base64);
	free(k->comment);
	free(k->fp);
	memset(k, 0, sizeof(*k));
}

static bool is_b64(char c)
{
	return isalnum((unsigned char)c) || c == '+' || c == '/' || c == '=';
}

int session_key_parse_line(const char *line, struct session_key *ret)
{
	const char *p = line, *type, *b64, *end;
	size_t ntype, nb64, ncomment;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '\n' || *p == '\r' || *p == '#')
		return 1;
	type = p;
	while (*p && !isspace((unsigned char)*p))
		p++;
	ntype = (size_t)(p - type);
	/* A key type, never options like restrict,command="..." */
	if (ntype < 4 ||
	    (strncmp(type, "ssh-", 4) != 0 && strncmp(type, "ecdsa-", 6) != 0 &&
	     strncmp(type, "sk-", 3) != 0))
		return -EINVAL;
	while (*p == ' ' || *p == '\t')
		p++;
	b64 = p;
	while (*p && is_b64(*p))
		p++;
	nb64 = (size_t)(p - b64);
	if (nb64 < 16 || (*p && !isspace((unsigned char)*p)))
		return -EINVAL;
	while (*p == ' ' || *p == '\t')
		p++;
	end = p + strlen(p);
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	ncomment = (size_t)(end - p);
	memset(ret, 0, sizeof(*ret));
	ret->type = xstrndup(type, ntype);
	ret->base64 = xstrndup(b64, nb64);
	ret->comment = xstrndup(p, ncomment);
	return 0;
}

void session_consent_text(const struct session_consent *c, struct buf *out)
{
	char ttl[32], idle[32];

	session_duration_format(c->ttl_s, ttl, sizeof(ttl));
	session_duration_format(c->idle_s, idle, sizeof(idle));
	/* The customer's language: this text is shown, never stored. */
	buf_puts(out, _("A support engineer asks to connect to this machine."));
	buf_puts(out, "\n\n");
	buf_printf(out, _("  relay:     %s (as %s)\n"), c->relay,
		   c->relay_user);
	buf_printf(out,
		   i18n_ngettext("  who:       %zu key may connect:\n",
				 "  who:       %zu keys may connect:\n",
				 c->nkeys),
		   c->nkeys);
	for (size_t i = 0; i < c->nkeys; i++)
		buf_printf(out, "               %s %s\n", c->keys[i].fp,
			   *c->keys[i].comment ? c->keys[i].comment
					       : _("(no comment)"));
	buf_printf(out,
		   _("  how long:  at most %s, ended after %s without "
		     "activity\n"),
		   ttl, idle);
	if (c->read_only)
		buf_printf(out,
			   _("  mode:      read-only: the engineer sees this "
			     "terminal's shell (as '%s') and cannot type "
			     "into it\n"),
			   c->user);
	else if (c->command)
		buf_printf(out,
			   _("  mode:      the engineer runs '%s' as '%s' "
			     "and can type into it\n"),
			   c->command, c->user);
	else
		buf_printf(out,
			   _("  mode:      a full shell as '%s': the engineer "
			     "can run any command this account can\n"),
			   c->user);
	buf_printf(out, _("  recorded:  audit log and recording in %s\n"),
		   c->state_dir);
	buf_putc(out, '\n');
	if (c->read_only)
		buf_puts(out,
			 _("Type Ctrl-] to end the session at any time.\n"));
	else
		buf_puts(out,
			 _("Press Ctrl-C to end the session at any time.\n"));
}

size_t session_json_string(struct buf *out, const char *s, size_t len,
			   bool keep_partial)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	buf_putc(out, '"');
	while (i < len) {
		unsigned c = u[i];
		int n;

		if (c == '"' || c == '\\') {
			buf_putc(out, '\\');
			buf_putc(out, (char)c);
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			switch (c) {
			case '\n':
				buf_puts(out, "\\n");
				break;
			case '\r':
				buf_puts(out, "\\r");
				break;
			case '\t':
				buf_puts(out, "\\t");
				break;
			case '\b':
				buf_puts(out, "\\b");
				break;
			case '\f':
				buf_puts(out, "\\f");
				break;
			default:
				buf_printf(out, "\\u%04x", c);
			}
			i++;
			continue;
		}
		n = utf8_seq(u + i, len - i);
		if (n < 0 && keep_partial)
			break;
		if (n <= 0) {
			buf_puts(out, UTF8_REPLACEMENT);
			i++;
			continue;
		}
		buf_append(out, u + i, (size_t)n);
		i += (size_t)n;
	}
	buf_putc(out, '"');
	return i;
}

void session_cast_header(struct buf *out, unsigned cols, unsigned rows,
			 int64_t epoch, const char *title, const char *term)
{
	buf_printf(out,
		   "{\"version\":2,\"width\":%u,\"height\":%u,"
		   "\"timestamp\":%lld,\"title\":",
		   cols, rows, (long long)epoch);
	session_json_string(out, title, strlen(title), false);
	buf_puts(out, ",\"env\":{\"TERM\":");
	session_json_string(out, term, strlen(term), false);
	buf_puts(out, "}}\n");
}

size_t session_cast_event(struct buf *out, double t, char code,
			  const char *data, size_t len, bool keep_partial)
{
	size_t used;

	buf_printf(out, "[%.6f,\"%c\",", t < 0 ? 0.0 : t, code);
	used = session_json_string(out, data, len, keep_partial);
	buf_puts(out, "]\n");
	return used;
}

void session_audit_format(struct buf *out, const char *iso_time,
			  const char *session_id, const char *event,
			  const struct session_field *fields, size_t nfields)
{
	buf_puts(out, "{\"time\":");
	session_json_string(out, iso_time, strlen(iso_time), false);
	buf_puts(out, ",\"session\":");
	session_json_string(out, session_id, strlen(session_id), false);
	buf_puts(out, ",\"event\":");
	session_json_string(out, event, strlen(event), false);
	for (size_t i = 0; i < nfields; i++) {
		buf_putc(out, ',');
		session_json_string(out, fields[i].key, strlen(fields[i].key),
				    false);
		buf_putc(out, ':');
		if (fields[i].s)
			session_json_string(out, fields[i].s,
					    strlen(fields[i].s), false);
		else
			buf_printf(out, "%lld", (long long)fields[i].n);
	}
	buf_puts(out, "}\n");
}
