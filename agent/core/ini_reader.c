/*
 * The INI reader (see ini_reader.h for why rdiag has its own). The syntax
 * is inih's as Debian builds it: [section], name = value or name: value,
 * ';' and '#' comment lines, ' ;' inline comments, a UTF-8 BOM, and an
 * indented line after an entry continuing it (another value for the same
 * name). Unlike inih it stops at the first problem, refuses NUL bytes,
 * control characters and lines over INI_READER_MAX_LINE, and never cuts a
 * line or a name.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/ini_reader.h"
#include "rdiag/buf.h"
#include "rdiag/util.h"

static char *rstrip(char *s)
{
	char *p = s + strlen(s);

	while (p > s && isspace((unsigned char)p[-1]))
		*--p = '\0';
	return s;
}

static char *lskip(char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return s;
}

/* First of chars, or an inline ';' after whitespace, or the end. */
static char *find_chars_or_comment(char *s, const char *chars)
{
	bool was_space = false;

	while (*s && (!chars || !strchr(chars, *s)) &&
	       !(was_space && *s == ';')) {
		was_space = isspace((unsigned char)*s);
		s++;
	}
	return s;
}

/*
 * One line into b without its newline: 1 when a line was read, 0 at the
 * end, a negative errno, or -E2BIG / -EILSEQ for a line too long / with a
 * NUL byte or a control character (the rest of the line is not read).
 */
static int read_line(FILE *f, struct buf *b)
{
	int c, bad = 0;
	bool any = false;

	buf_reset(b);
	while ((c = getc(f)) != EOF) {
		any = true;
		if (c == '\n')
			break;
		if (bad)
			continue;
		if (b->len >= INI_READER_MAX_LINE)
			bad = -E2BIG;
		else if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f)
			bad = -EILSEQ;
		else
			buf_putc(b, (char)c);
	}
	if (ferror(f))
		return -EIO;
	if (bad)
		return bad;
	/* CRLF files: the CR before the newline is part of the ending. */
	if (b->len && b->data[b->len - 1] == '\r')
		b->data[--b->len] = '\0';
	if (memchr(b->data, '\r', b->len))
		return -EILSEQ;
	return any ? 1 : 0;
}

int ini_reader_parse(FILE *f, ini_reader_fn fn, void *user,
		     const char **ret_why)
{
	struct buf line;
	char *section = xstrdup(""), *prev_name = xstrdup("");
	int lineno = 0, r, ret = 0;

	*ret_why = NULL;
	buf_init(&line, 0);
	while ((r = read_line(f, &line)) != 0) {
		char *start, *end, *name, *value;

		lineno++;
		if (r == -E2BIG || r == -EILSEQ) {
			*ret_why = r == -E2BIG
					   ? "line longer than 65536 bytes"
					   : "NUL byte or control character in "
					     "the line";
			ret = lineno;
			break;
		}
		if (r < 0) {
			ret = r;
			break;
		}
		start = line.data;
		if (lineno == 1 && strncmp(start, "\xEF\xBB\xBF", 3) == 0)
			start += 3;
		start = lskip(rstrip(start));
		if (*start == ';' || *start == '#')
			continue;
		if (*prev_name && *start && start > line.data) {
			/* An indented line continues the entry before. */
			end = find_chars_or_comment(start, NULL);
			*end = '\0';
			rstrip(start);
			if (!fn(user, section, prev_name, start, lineno)) {
				ret = lineno;
				break;
			}
		} else if (*start == '[') {
			end = find_chars_or_comment(start + 1, "]");
			if (*end != ']') {
				ret = lineno;
				break;
			}
			*end = '\0';
			free(section);
			section = xstrdup(start + 1);
			prev_name[0] = '\0';
		} else if (*start) {
			end = find_chars_or_comment(start, "=:");
			if (*end != '=' && *end != ':') {
				ret = lineno;
				break;
			}
			*end = '\0';
			name = rstrip(start);
			value = end + 1;
			end = find_chars_or_comment(value, NULL);
			*end = '\0';
			value = rstrip(lskip(value));
			free(prev_name);
			prev_name = xstrdup(name);
			if (!fn(user, section, name, value, lineno)) {
				ret = lineno;
				break;
			}
		}
	}
	buf_release(&line);
	free(section);
	free(prev_name);
	return ret;
}
