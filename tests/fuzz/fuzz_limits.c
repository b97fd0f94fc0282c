/*
 * libFuzzer harness: the /proc and cgroup file parsers (limits, stat,
 * status, environ, cgroup path and values, keyed files, fdinfo, file-nr,
 * /etc/default/locale, printers.conf).
 */
#include <stddef.h>
#include <stdint.h>

#include "terminal_server_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *t = (const char *)data;
	struct terminal_server_limits lim;
	struct terminal_server_stat st;
	struct terminal_server_status status;
	struct terminal_server_env env;
	char path[160], lang[64];
	uint64_t v, a, m;

	(void)terminal_server_parse_limits(t, size, &lim);
	(void)terminal_server_parse_stat(t, size, &st);
	(void)terminal_server_parse_status(t, size, &status);
	(void)terminal_server_parse_environ(t, size, &env);
	(void)terminal_server_parse_cgroup_path(t, size, path, sizeof(path));
	(void)terminal_server_parse_cgroup_value(t, size, &v);
	(void)terminal_server_parse_keyed(t, size, "oom_kill", &v);
	(void)terminal_server_parse_inotify_watches(t, size);
	(void)terminal_server_parse_file_nr(t, size, &a, &m);
	(void)terminal_server_parse_locale(t, size, lang, sizeof(lang));
	(void)terminal_server_parse_printers_conf(t, size);
	return 0;
}
