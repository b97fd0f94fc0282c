/*
 * libFuzzer harness: a Windows API fixture (tests/data/windows/README.md)
 * through the fixture source, every reader and judge of the Windows
 * collectors (wincheck.h), and a recorder around it, so hostile registry
 * types, numbers, lists and strings are tried against all of them.
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "wincheck.h"
#include "winsrc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const sources[] = { "DmsServer", NULL };
static const char *const dirs[] = { "D:\\DmsData", "Z:\\Share", NULL };
static const struct wincheck_app app = { "C:\\Dms\\dms.exe", dirs, sources };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct verdict_list l = VERDICT_LIST_INIT;
	struct winsrc inner, src;
	struct wincheck_events ev;
	struct wincheck_smb smb;
	struct wincheck_rds rds;
	struct wincheck_av av;
	json_t *root;
	char *text;

	root = json_loadb((const char *)data, size, 0, NULL);
	if (!root)
		return 0;
	if (!json_is_object(root)) {
		json_decref(root);
		return 0;
	}
	winsrc_fixture_load(root, &inner);
	winsrc_record_open(&inner, &src);
	if (wincheck_av_read(&src, &av) == 0) {
		wincheck_av_judge(&av, &app, &l);
		wincheck_av_release(&av);
	}
	if (wincheck_rds_read(&src, &rds) == 0) {
		wincheck_rds_judge(&rds, &l);
		wincheck_rds_release(&rds);
	}
	if (wincheck_smb_read(&src, &smb) == 0) {
		wincheck_smb_judge(&smb, &app, &l);
		wincheck_smb_release(&smb);
	}
	if (wincheck_events_read(&src, &app, 0, &ev) == 0) {
		wincheck_events_judge(&ev, &app, &l);
		wincheck_events_release(&ev);
	}
	text = winsrc_record_dump(&src);
	free(text);
	winsrc_close(&src);
	verdict_list_release(&l);
	return 0;
}
