/*
 * The one option parser of the commands (see args.h): getopt_long
 * underneath, driven by each command's table, and the usage text printed
 * from the same table so that the two cannot drift apart.
 */
#include <assert.h>
#include <string.h>

#include "cli/args.h"
#include "core/error.h"

/*
 * The usage error for what getopt_long (with ':' first in its option
 * string) returned: ':' for a missing value, '?' for an unknown option.
 */
static int getopt_error(const char *cmd, int opt, char **argv)
{
	if (opt == ':')
		return error_usage(cmd, "option '%s' needs a value",
				   argv[optind - 1]);
	return error_usage(cmd, "unknown option '%s'", argv[optind - 1]);
}

/* -h and --help; no command may use 'h' for anything else. */
enum { ARGS_HELP_ID = 'h' };

static const struct args_opt help_opt = {
	.id = ARGS_HELP_ID,
	.name = "help",
	.shortc = 'h',
};

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
	a->argc = argc;
	a->argv = argv;
	/* ':' first: a missing value is told apart from an unknown option. */
	a->shorts[ns++] = ':';
	for (size_t t = 0; t < 3 && spec->opts[t]; t++)
		for (const struct args_opt *o = spec->opts[t]; o->name; o++)
			add(a, &n, &ns, o);
	add(a, &n, &ns, &help_opt);
	a->shorts[ns] = '\0';
	memset(&a->lopts[n], 0, sizeof(a->lopts[n]));
	optind = first;
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
		a->rc = getopt_error(a->spec->cmd, c, a->argv);
		return ARGS_STOP;
	}
	return c;
}

int args_rest(const struct args *a)
{
	(void)a;
	return optind;
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
}
