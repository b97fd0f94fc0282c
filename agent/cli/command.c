/*
 * What every command shares beyond the table: the usage error for an option
 * getopt_long did not accept.
 */
#include <getopt.h>

#include "cli/command.h"

int cmd_getopt_error(const char *cmd, int opt, char **argv)
{
	if (opt == ':')
		return error_usage(cmd, "option '%s' needs a value",
				   argv[optind - 1]);
	return error_usage(cmd, "unknown option '%s'", argv[optind - 1]);
}
