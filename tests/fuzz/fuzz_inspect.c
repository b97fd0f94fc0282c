/*
 * libFuzzer harness: everything `rdiag inspect` does with a bundle's bytes,
 * from memory — the libarchive read with every entry check and cap, the
 * manifest, findings and records parsing, signature check, and rendering
 * the verdict, JSON and HTML from whatever passed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/report.h"
#include "review/html.h"
#include "review/review.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct review_limits lim;
	struct review_opts o = { .limits = &lim };
	struct review *r = NULL;
	char *err = NULL;

	/* Small caps keep each run fast; the logic is the same. */
	review_limits_default(&lim);
	lim.max_entries = 2000;
	lim.max_entry_size = 4u << 20;
	lim.max_total = 16u << 20;
	lim.ratio_floor = 1u << 20;
	lim.max_json = 1u << 20;
	lim.max_kept = 4u << 20;
	if (review_open_memory(data, size, &o, &r, &err) == 0) {
		struct verdict v;
		struct buf b;
		json_t *j;
		FILE *f = fopen("/dev/null", "w");

		review_verdict(r, &v);
		if (f) {
			report_text(f, &v, false, true);
			fclose(f);
		}
		j = report_json(&v);
		json_decref(j);
		buf_init(&b, 0);
		html_render(r, &b);
		buf_release(&b);
	}
	review_free(r);
	free(err);
	return 0;
}
