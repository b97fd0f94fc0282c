/*
 * `rdiag list`: the collectors rdiag has, with what each answers, its
 * default deadline and its config keys with their defaults (from the key
 * tables; --json also lists the agent's own sections).
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/command.h"
#include "cli/config_schema.h"
#include "core/i18n.h"
#include "registry.h"

enum {
	OPT_JSON = 256,
};

static const struct args_opt list_opts[] = {
	{ OPT_JSON, "json", 0, NULL, "one JSON object: {\"collectors\": [...]}",
	  0 },
	{ 'v', "verbose", 'v', NULL, "also list each collector's config keys",
	  ARGS_SHORT_UNLISTED },
	{ 0 },
};

static const struct args_exit list_exits[] = {
	{ EXIT_CLEAN, NULL },
	{ EXIT_USAGE, NULL },
	{ -1, NULL },
};

static const struct args_spec list_args = {
	.cmd = "list",
	.head = "usage: rdiag list [--json] [--verbose]\n",
	.opts = { list_opts },
	.column = 14,
	.exits = list_exits,
};

/* A section's keys for --json; "default" is null when there is none. */
static json_t *keys_json(const struct config_key *k)
{
	json_t *keys = json_array();

	for (; k && k->name; k++)
		json_array_append_new(
			keys, json_pack("{s:s, s:b, s:s, s:s?}", "name",
					k->name, "repeatable",
					(k->flags & CONFIG_KEY_REPEATABLE) != 0,
					"help", k->help ? k->help : "",
					"default", k->def));
	return keys;
}

static json_t *list_json(void)
{
	const struct config_section *s = config_schema();
	json_t *arr = json_array(), *sections = json_array();

	for (size_t i = 0; i < config_schema_agent_sections(); i++)
		json_array_append_new(sections,
				      json_pack("{s:s, s:o}", "name", s[i].name,
						"config_keys",
						keys_json(s[i].keys)));
	for (const struct collector *const *c = registry_collectors; *c; c++) {
		json_t *keys = keys_json((*c)->keys);

		json_array_append_new(
			arr, json_pack("{s:s, s:s, s:I, s:b, s:o}", "name",
				       (*c)->name, "summary", (*c)->summary,
				       "deadline_ms",
				       (json_int_t)(*c)->deadline_ms, "opt_in",
				       ((*c)->flags & COLLECTOR_OPT_IN) != 0,
				       "config_keys", keys));
	}
	return json_pack("{s:o, s:o}", "collectors", arr, "sections", sections);
}

static int cmd_list(int argc, char **argv)
{
	struct args a;
	bool json = false, verbose = false;
	int c, rest;

	args_init(&a, &list_args, argc, argv, 1);
	while ((c = args_next(&a)) >= 0) {
		if (c == OPT_JSON)
			json = true;
		else if (c == 'v')
			verbose = true;
	}
	if (c == ARGS_STOP)
		return a.rc;
	rest = args_rest(&a);
	if (rest < argc)
		return error_usage("list", "unexpected argument '%s'",
				   argv[rest]);
	if (json) {
		json_t *j = list_json();

		json_dumpf(j, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(j);
		return 0;
	}
	for (const struct collector *const *p = registry_collectors; *p; p++) {
		printf("%-16s %5.0f s  %s%s\n", (*p)->name,
		       (double)(*p)->deadline_ms / 1000.0, _((*p)->summary),
		       ((*p)->flags & COLLECTOR_OPT_IN) ? " (opt-in)" : "");
		for (const struct config_key *k = (*p)->keys;
		     verbose && k && k->name; k++)
			printf("    [%s] %s%s  %s%s%s%s\n", (*p)->name, k->name,
			       (k->flags & CONFIG_KEY_REPEATABLE)
				       ? " (repeatable)"
				       : "",
			       k->help ? k->help : "",
			       k->def ? " (default " : "", k->def ? k->def : "",
			       k->def ? ")" : "");
	}
	return 0;
}

const struct command cmd_list_entry = {
	.name = "list",
	.summary = N_("list the collectors and their deadlines"),
	.args = &list_args,
	.run = cmd_list,
};
