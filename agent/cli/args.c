/*
 * The one option parser of the commands (see args.h): getopt_long
 * underneath, driven by each command's table, and the usage text printed
 * from the same table so that the two cannot drift apart.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "cli/args.h"
#include "core/error.h"
#include "core/exitcode.h"

/* Longer words are not compared (no suggestion for them). */
#define ARGS_WORD_MAX 64

/* -h and --help; no command may use 'h' for anything else. */
enum { ARGS_HELP_ID = 'h' };

static const struct args_opt help_opt = {
	.id = ARGS_HELP_ID,
	.name = "help",
	.shortc = 'h',
};

size_t args_distance(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b), d[3][ARGS_WORD_MAX + 1];

	if (alen > ARGS_WORD_MAX || blen > ARGS_WORD_MAX)
		return SIZE_MAX;
	/* Rows i-2, i-1 and i of the table, kept round-robin. */
	for (size_t j = 0; j <= blen; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= alen; i++) {
		size_t *cur = d[i % 3], *prev = d[(i - 1) % 3],
		       *prev2 = d[(i - 2 + 3) % 3];

		cur[0] = i;
		for (size_t j = 1; j <= blen; j++) {
			size_t cost = a[i - 1] != b[j - 1], v;

			v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (prev[j - 1] + cost < v)
				v = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < v)
				v = prev2[j - 2] + 1;
			cur[j] = v;
		}
	}
	return d[alen % 3][blen];
}

void args_suggest_init(struct args_suggest *s, const char *word, size_t len)
{
	s->word = word;
	s->len = len;
	s->best = NULL;
	s->dist = SIZE_MAX;
}

void args_suggest_try(struct args_suggest *s, const char *name)
{
	size_t d = args_distance(s->word, s->len, name);

	if (d < s->dist) {
		s->dist = d;
		s->best = name;
	}
}

const char *args_suggest_result(const struct args_suggest *s)
{
	size_t limit = s->len <= 4 ? 1 : 2;

	return s->best && s->dist > 0 && s->dist <= limit ? s->best : NULL;
}

const char *args_closest(const char *word, const char *const *names)
{
	struct args_suggest s;

	args_suggest_init(&s, word, strlen(word));
	for (; *names; names++)
		args_suggest_try(&s, *names);
	return args_suggest_result(&s);
}

/*
 * The closest long option to an unknown "--naem[=v]" (or "-name", one
 * dash short), or NULL.
 */
static const char *option_suggest(const struct args_spec *spec,
				  const char *word)
{
	struct args_suggest s;
	const char *w = word + strspn(word, "-");

	if (strlen(word) < 3 || word[0] != '-')
		return NULL;
	args_suggest_init(&s, w, strcspn(w, "="));
	for (size_t t = 0; t < 3 && spec->opts[t]; t++)
		for (const struct args_opt *o = spec->opts[t]; o->name; o++)
			args_suggest_try(&s, o->name);
	args_suggest_try(&s, help_opt.name);
	/* "-timeout": the right name with one dash too few. */
	if (s.dist == 0 && word[1] != '-')
		return s.best;
	return args_suggest_result(&s);
}

/*
 * The usage error for what getopt_long (with ':' first in its option
 * string) returned: ':' for a missing value, '?' for an unknown option.
 * An unknown letter is named by itself ("-t"): inside a cluster such as
 * "-timeout" optind still points before it, so argv[optind - 1] would be
 * the word before. A one-dash long name gets its two-dash spelling.
 */
static int getopt_error(const struct args *a, int opt, int before)
{
	const char *word = a->argv[optind - 1], *best = NULL;
	char letter[3] = { '-', (char)optopt, '\0' };

	/*
	 * "--flag=1" for a flag that takes no value: glibc returns '?',
	 * mingw-w64's getopt_long ':' although a value was given. Both
	 * read as glibc's, so rdiag.exe says what rdiag says.
	 */
	if (opt == ':' && strncmp(word, "--", 2) == 0 && strchr(word, '='))
		opt = '?';
	if (opt == ':')
		return error_usage(a->spec->cmd, "option '%s' needs a value",
				   word);
	/* A long option ("--x", "--flag=1") is a whole word getopt passed. */
	if (optopt && optopt < 256 &&
	    !(optind > before && strncmp(word, "--", 2) == 0)) {
		word = letter;
		for (int i = 1; i < a->argc && !best; i++)
			if (a->argv[i][0] == '-' && a->argv[i][1] == optopt)
				best = option_suggest(a->spec, a->argv[i]);
	} else {
		best = option_suggest(a->spec, word);
	}
	if (best)
		return error_usage(a->spec->cmd,
				   "unknown option '%s'; did you mean '--%s'?",
				   word, best);
	return error_usage(a->spec->cmd, "unknown option '%s'", word);
}

static void add(struct args *a, size_t *n, size_t *ns, const struct args_opt *o)
{
	assert(*n < ARGS_MAX_OPTS + 1);
	/* getopt_long returns the letter for -x, so the id must be it. */
	assert(!o->shortc || o->id == o->shortc);
	assert(o == &help_opt || o->id != ARGS_HELP_ID);
	a->lopts[*n] = (struct option){
		.name = o->name,
		.has_arg = !o->value                        ? no_argument
			   : o->flags & ARGS_VALUE_OPTIONAL ? optional_argument
							    : required_argument,
		.flag = NULL,
		.val = o->id,
	};
	(*n)++;
	if (o->shortc) {
		a->shorts[(*ns)++] = o->shortc;
		if (o->value)
			a->shorts[(*ns)++] = ':';
		if (o->value && (o->flags & ARGS_VALUE_OPTIONAL))
			a->shorts[(*ns)++] = ':';
	}
}

void args_init(struct args *a, const struct args_spec *spec, int argc,
	       char **argv, int first)
{
	size_t n = 0, ns = 0;

	memset(a, 0, sizeof(*a));
	a->spec = spec;
	/*
	 * getopt sees argv from the word before the first option, so that
	 * optind = 0 can reset it fully (glibc keeps its place inside a
	 * cluster such as "-qx" otherwise, even across commands).
	 */
	a->base = first - 1;
	a->argc = argc - a->base;
	a->argv = argv + a->base;
	/* ':' first: a missing value is told apart from an unknown option. */
	a->shorts[ns++] = ':';
	for (size_t t = 0; t < 3 && spec->opts[t]; t++)
		for (const struct args_opt *o = spec->opts[t]; o->name; o++)
			add(a, &n, &ns, o);
	add(a, &n, &ns, &help_opt);
	a->shorts[ns] = '\0';
	memset(&a->lopts[n], 0, sizeof(a->lopts[n]));
	optind = 0;
	opterr = 0;
}

/* The table entry of an option id, or NULL. */
static const struct args_opt *find_opt(const struct args_spec *spec, int id)
{
	for (size_t t = 0; t < 3 && spec->opts[t]; t++)
		for (const struct args_opt *o = spec->opts[t]; o->name; o++)
			if (o->id == id)
				return o;
	return NULL;
}

int args_next(struct args *a)
{
	int before = optind ? optind : 1;
	int c = getopt_long(a->argc, a->argv, a->shorts, a->lopts, NULL);
	const struct args_opt *o;

	a->value = optarg;
	/* getopt takes an optional value only after '='; "--opt VALUE"
	 * means the same unless VALUE looks like an option. */
	if (c >= 0 && !optarg && (o = find_opt(a->spec, c)) && o->value &&
	    (o->flags & ARGS_VALUE_OPTIONAL) && optind < a->argc &&
	    a->argv[optind][0] != '-')
		a->value = a->argv[optind++];
	a->word = optind > 0 && optind <= a->argc ? a->argv[optind - 1] : NULL;
	if (c == -1)
		return ARGS_DONE;
	if (c == ARGS_HELP_ID) {
		args_usage(a->spec, stdout);
		a->rc = 0;
		return ARGS_STOP;
	}
	if (c == ':' || c == '?') {
		a->rc = getopt_error(a, c, before);
		return ARGS_STOP;
	}
	return c;
}

int args_rest(const struct args *a)
{
	return optind + a->base;
}

static void print_opt(const struct args_opt *o, int column, FILE *f)
{
	const char *h = o->help;
	int len;

	if (o->shortc && !(o->flags & ARGS_SHORT_UNLISTED))
		len = fprintf(f, "  -%c, --%s", o->shortc, o->name);
	else
		len = fprintf(f, "  --%s", o->name);
	if (o->value)
		len += fprintf(f,
			       o->flags & ARGS_VALUE_OPTIONAL ? " [%s]" : " %s",
			       o->value);
	for (;;) {
		size_t n = strcspn(h, "\n");

		fprintf(f, "%*s%.*s\n", len < column ? column - len : 1, "",
			(int)n, h);
		if (!h[n])
			break;
		h += n + 1;
		len = 0;
	}
}

void args_usage(const struct args_spec *spec, FILE *f)
{
	int column = spec->column ? spec->column : 26;

	fputs(spec->head, f);
	for (size_t t = 0; t < 3 && spec->opts[t]; t++)
		for (const struct args_opt *o = spec->opts[t]; o->name; o++)
			if (o->help)
				print_opt(o, column, f);
	if (spec->tail)
		fputs(spec->tail, f);
	if (spec->exits) {
		fputs("\nExit status:\n", f);
		for (const struct args_exit *e = spec->exits; e->code >= 0; e++)
			fprintf(f, "  %-4d %s\n", e->code,
				e->why ? e->why : exit_code_meaning(e->code));
	}
}
