/*
 * libFuzzer harness: the nas collector's kernel-text parsers,
 * /proc/self/mountstats (with the totals and verdicts over what it found)
 * and /proc/fs/cifs/Stats, plus path normalisation.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nas_judge.h"
#include "nas_parse.h"
#include "rdiag/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct nas_where w = { "/p", "/m", "nfs", "s:/e", true };
	const char *text = (const char *)data;
	struct nas_cifs_stats *cs = xcalloc(1, sizeof(*cs));
	struct nas_thresholds t;
	struct nas_mountstats s;
	char *path;

	nas_thresholds_default(&t);
	if (nas_mountstats_parse(text, size, &s) == 0) {
		for (size_t i = 0; i < s.n; i++) {
			struct verdict_list vs = VERDICT_LIST_INIT;

			nas_judge_nfs_stats(&w, &s.v[i], &t, &vs);
			verdict_list_release(&vs);
		}
		nas_mountstats_release(&s);
	}
	if (nas_cifs_stats_parse(text, size, cs) == 0) {
		struct verdict_list vs = VERDICT_LIST_INIT;

		nas_judge_cifs_stats(cs, &vs);
		verdict_list_release(&vs);
	}
	free(cs);
	path = malloc(size + 1);
	if (path) {
		memcpy(path, data, size);
		path[size] = '\0';
		free(nas_path_normalise(path));
		free(path);
	}
	return 0;
}
