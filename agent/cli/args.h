/*
 * Command-line options declared as a table per command and parsed in one
 * place (tmux's args_parse in spirit): each command lists its options once
 * (long name, short letter, value name, help text), and the same table
 * gives getopt_long its arguments and `rdiag help NAME` its option list.
 * --help and -h, an unknown option and a missing value are handled here,
 * the same way for every command.
 */
#ifndef RDIAG_ARGS_H
#define RDIAG_ARGS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

/* The short letter works but is not shown in the option list. */
#define ARGS_SHORT_UNLISTED 0x1
/*
 * The value may be left out ("--upload" alone, or "--upload URL" and
 * "--upload=URL"); a.value is NULL when it was. The next word is taken as
 * the value unless it starts with '-'; listed as "--upload [URL]".
 */
#define ARGS_VALUE_OPTIONAL 0x2

/* One option. A table ends with an entry whose name is NULL. */
struct args_opt {
	int id;            /* what args_next() returns: the short letter, or
			      a command's own number from 256 */
	const char *name;  /* long name without "--" */
	char shortc;       /* 'q' for -q, or 0 */
	const char *value; /* the value's name in the list ("FILE"); NULL:
			      the option takes no value */
	const char *help;  /* text beside it in the option list, further
			      lines after '\n' (indented to the column);
			      NULL: not listed (the head text explains it) */
	unsigned flags;    /* ARGS_* */
};

/* An exit code a command may return; why NULL: exit_code_meaning()'s. */
struct args_exit {
	int code; /* core/exitcode.h; -1 ends a list */
	const char *why;
};

/* What `rdiag help NAME` prints: head, the option list, tail, exits. */
struct args_spec {
	const char *cmd;  /* "upload": for messages */
	const char *head; /* "usage: rdiag upload BUNDLE --to URL ...\n" */
	/* the command's own options, then shared ones (--key, --trust) */
	const struct args_opt *opts[3];
	int column;       /* where the help text starts (0: 26) */
	const char *tail; /* after the option list, or NULL */
	/* every code the command may return, in order, ended by code -1 */
	const struct args_exit *exits;
};

#define ARGS_MAX_OPTS 40

/* Parsing state; on the stack of the command. */
struct args {
	const struct args_spec *spec;
	int base;          /* argv[base] is getopt's argv[0] */
	int argc;          /* from base */
	char **argv;       /* from base */
	const char *value; /* the value of the option just returned */
	const char *word;  /* the argv word it ended in (for messages) */
	int rc;            /* the exit code after ARGS_STOP */
	struct option lopts[ARGS_MAX_OPTS + 2];
	char shorts[2 * ARGS_MAX_OPTS + 4];
};

enum {
	ARGS_DONE = -1, /* no more options; args_rest() is the first operand */
	ARGS_STOP = -2, /* --help printed (rc 0) or a usage error reported
			   (rc EXIT_USAGE): the command returns a->rc */
};

/*
 * Start parsing argv[first..argc) (argv[0] is the command's name; first
 * is 2 after a subcommand such as `request create`). Options and operands
 * may be mixed, as with getopt_long.
 */
void args_init(struct args *a, const struct args_spec *spec, int argc,
	       char **argv, int first);

/* The next option's id (a->value holds its value), ARGS_DONE or ARGS_STOP. */
int args_next(struct args *a);

/* Index in argv of the first operand, once args_next() said ARGS_DONE. */
int args_rest(const struct args *a);

/*
 * "did you mean": feed the names a word could have meant, one by one, and
 * take the closest (edit distance with transpositions, at most 1 for words
 * up to 4 characters, at most 2 above; the first of equals wins), or NULL.
 */
struct args_suggest {
	const char *word;
	size_t len;
	const char *best;
	size_t dist;
};

void args_suggest_init(struct args_suggest *s, const char *word, size_t len);
void args_suggest_try(struct args_suggest *s, const char *name);
const char *args_suggest_result(const struct args_suggest *s);

/* Edit distance of a[0..alen) and b (optimal string alignment). */
size_t args_distance(const char *a, size_t alen, const char *b);

/* The closest of names (NULL-terminated) to word, or NULL (as above). */
const char *args_closest(const char *word, const char *const *names);

/* Print spec's usage text (head, option list, tail) to f. */
void args_usage(const struct args_spec *spec, FILE *f);

#endif
