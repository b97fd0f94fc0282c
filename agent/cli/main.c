/*
 * rdiag's entry point: find the command in the table and run it. Global
 * options are few on purpose; everything else belongs to a command.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/command.h"
#include "core/i18n.h"

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const struct args_opt no_opts[] = {
	{ 0 },
};

static const struct args_exit help_exits[] = {
	{ EXIT_CLEAN, NULL },
	{ EXIT_USAGE, NULL },
	{ -1, NULL },
};

static const struct args_spec help_args = {
	.cmd = "help",
	.head = "usage: rdiag help [COMMAND]\n",
	.opts = { no_opts },
	.exits = help_exits,
};

static const struct args_exit version_exits[] = {
	{ EXIT_CLEAN, NULL },
	{ EXIT_USAGE, NULL },
	{ -1, NULL },
};

static const struct args_spec version_args = {
	.cmd = "version",
	.head = "usage: rdiag version\n",
	.opts = { no_opts },
	.exits = version_exits,
};

static const struct command cmd_help_entry = {
	.name = "help",
	.summary = N_("show the commands, or one command's options"),
	.args = &help_args,
	.run = cmd_help,
};

static const struct command cmd_version_entry = {
	.name = "version",
	.summary = N_("print the version"),
	.args = &version_args,
	.run = cmd_version,
};

/* Sorted by name; NULL-terminated. */
static const struct command *const commands[] = {
	&cmd_agent_entry,   &cmd_approve_entry, &cmd_diff_entry,
	&cmd_export_entry,  &cmd_extract_entry, &cmd_help_entry,
	&cmd_inspect_entry, &cmd_keygen_entry,  &cmd_list_entry,
	&cmd_request_entry, &cmd_run_entry,     &cmd_session_entry,
	&cmd_upload_entry,  &cmd_version_entry, NULL,
};

static const struct command *find_command(const char *name)
{
	for (const struct command *const *c = commands; *c; c++)
		if (strcmp((*c)->name, name) == 0)
			return *c;
	return NULL;
}

/* "unknown command", with the closest command name when one is close. */
static int unknown_command(const char *name)
{
	const char *names[ARRAY_SIZE(commands)], *best;
	size_t n = 0;

	for (const struct command *const *c = commands; *c; c++)
		names[n++] = (*c)->name;
	names[n] = NULL;
	if ((best = args_closest(name, names)))
		return error_usage(NULL,
				   "unknown command '%s'; did you mean '%s'?",
				   name, best);
	return error_usage(NULL, "unknown command '%s'", name);
}

static void print_overview(FILE *f)
{
	fputs("usage: rdiag COMMAND [options]\n\ncommands:\n", f);
	for (const struct command *const *c = commands; *c; c++)
		fprintf(f, "  %-10s %s\n", (*c)->name, _((*c)->summary));
	fputs("\nEvery command takes -h/--help. Durations (options and "
	      "config keys):\n"
	      "90s, 15m, 1h30m, 2d; a plain number is seconds (milliseconds "
	      "in *_ms keys).\n"
	      "See 'rdiag help COMMAND' or man rdiag.\n",
	      f);
}

static int cmd_help(int argc, char **argv)
{
	const struct command *c;
	struct args a;
	int rest;

	args_init(&a, &help_args, argc, argv, 1);
	if (args_next(&a) == ARGS_STOP)
		return a.rc;
	rest = args_rest(&a);
	if (rest == argc) {
		print_overview(stdout);
		return 0;
	}
	if (argc - rest > 2)
		return error_usage("help", "too many arguments");
	if (!(c = find_command(argv[rest])))
		return unknown_command(argv[rest]);
	/* `rdiag help request create`: a subcommand its usage names. */
	if (argc - rest == 2) {
		char *sub = xasprintf("rdiag %s %s ", c->name, argv[rest + 1]);
		bool known = strstr(c->args->head, sub) != NULL;

		free(sub);
		if (!known)
			return error_usage("help",
					   "'%s' has no subcommand '%s'",
					   c->name, argv[rest + 1]);
	}
	printf("rdiag %s: %s\n\n", c->name, _(c->summary));
	args_usage(c->args, stdout);
	return 0;
}

static int cmd_version(int argc, char **argv)
{
	struct args a;
	int rest;

	args_init(&a, &version_args, argc, argv, 1);
	if (args_next(&a) == ARGS_STOP)
		return a.rc;
	rest = args_rest(&a);
	if (rest < argc)
		return error_usage("version", "unexpected argument '%s'",
				   argv[rest]);
	printf("rdiag %s\n", RDIAG_VERSION);
	return 0;
}

int main(int argc, char **argv)
{
	const struct command *c;

	i18n_init();
	if (argc < 2) {
		print_overview(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cmd_help(1, argv);
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version(1, argv);
	if (!(c = find_command(argv[1])))
		return unknown_command(argv[1]);
	return c->run(argc - 1, argv + 1);
}
