/*
 * The Windows collectors of rdiag.exe: antivirus, terminal_server and nas
 * under the Linux collectors' names (rdiag.exe leaves those out), and
 * eventlog. Each opens a winsrc source (the live Windows APIs, or with
 * `fixture` a JSON file of recorded API results), runs the readers and
 * judges of wincheck.h and emits their verdicts and a few facts. Portable:
 * it builds on Linux too, where only a fixture can feed it (the unit
 * tests), and collectors/registry.c lists it in the Windows build only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rdiag/collector.h"
#include "rdiag/util.h"
#include "wincheck.h"
#include "winsrc.h"

#define FIXTURE_HELP                                                        \
	"read recorded Windows API results from this JSON file instead of " \
	"asking Windows (tests/data/windows/README.md)"

#define RECORD_HELP                                                     \
	"yes: keep every Windows API result the collector used as the " \
	"artifact windows-api.json, a fixture for tests"

/* The artifact a recording run writes. */
#define RECORD_ARTIFACT "windows-api.json"

static const struct config_key av_keys[] = {
	{ "path", CONFIG_KEY_REPEATABLE,
	  "another application directory to check (after [product] "
	  "data_dir)",
	  NULL },
	{ "executable", 0,
	  "the application's executable, for process exclusions and "
	  "Controlled Folder Access",
	  NULL },
	{ "fixture", 0, FIXTURE_HELP, NULL },
	{ "record_fixture", 0, RECORD_HELP, "no" },
	{ NULL, 0, NULL, NULL },
};

static const struct config_key ts_keys[] = {
	{ "fixture", 0, FIXTURE_HELP, NULL },
	{ "record_fixture", 0, RECORD_HELP, "no" },
	{ NULL, 0, NULL, NULL },
};

static const struct config_key nas_keys[] = {
	{ "path", CONFIG_KEY_REPEATABLE,
	  "a directory the application uses on a share (after [product] "
	  "data_dir)",
	  NULL },
	{ "fixture", 0, FIXTURE_HELP, NULL },
	{ "record_fixture", 0, RECORD_HELP, "no" },
	{ NULL, 0, NULL, NULL },
};

static const struct config_key ev_keys[] = {
	{ "source", CONFIG_KEY_REPEATABLE,
	  "an event log source (provider) the application writes as", NULL },
	{ "executable", 0,
	  "the application's executable, for crash and hang reports", NULL },
	{ "fixture", 0, FIXTURE_HELP, NULL },
	{ "record_fixture", 0, RECORD_HELP, "no" },
	{ NULL, 0, NULL, NULL },
};

/*
 * The live source, or the fixture named in the section; wrapped in a
 * recorder when record_fixture is yes.
 */
static int open_source(struct collector_ctx *ctx, struct winsrc *src)
{
	const char *fixture = ctx_config_get(ctx, "fixture");
	const char *record = ctx_config_get(ctx, "record_fixture");
	struct winsrc inner;
	char *err = NULL;
	int r;

	if (!fixture) {
		if ((r = winsrc_live_open(&inner)) < 0) {
			ctx_skip(ctx,
				 "the Windows APIs are not available here");
			return r;
		}
	} else if ((r = winsrc_fixture_open(fixture, &inner, &err)) < 0) {
		ctx_log(ctx, "%s", err);
		ctx_skip(ctx, "the fixture cannot be read");
		free(err);
		return r;
	}
	if (record && strcmp(record, "yes") == 0)
		winsrc_record_open(&inner, src);
	else
		*src = inner;
	return 0;
}

/* Close the source, writing what a recorder kept as an artifact. */
static int close_source(struct collector_ctx *ctx, struct winsrc *src)
{
	char *text = winsrc_record_dump(src);
	int r = 0;

	if (text) {
		r = ctx_artifact_write(ctx, RECORD_ARTIFACT, text,
				       strlen(text));
		free(text);
	}
	winsrc_close(src);
	return r;
}

/*
 * The application directories: every [product] data_dir, then every path
 * of the section. NULL-terminated, allocated (the strings are ctx's).
 */
static const char **app_dirs(struct collector_ctx *ctx)
{
	const char *const *pv, *const *sv;
	size_t np = ctx_config_section_values(ctx, "product", "data_dir", &pv);
	size_t ns = ctx_config_values(ctx, "path", &sv), n = 0;
	const char **v = xcalloc(np + ns + 1, sizeof(*v));

	for (size_t i = 0; i < np; i++)
		v[n++] = pv[i];
	for (size_t i = 0; i < ns; i++)
		v[n++] = sv[i];
	return v;
}

static void note(int *r, int q)
{
	if (q < 0 && *r == 0)
		*r = q;
}

static int emit(struct collector_ctx *ctx, struct verdict_list *l)
{
	int r = verdict_emit(ctx, l);

	verdict_list_release(l);
	return r;
}

static int av_run(struct collector_ctx *ctx)
{
	const char **dirs = app_dirs(ctx);
	struct wincheck_app app = { ctx_config_get(ctx, "executable"), dirs,
				    NULL };
	struct verdict_list l = VERDICT_LIST_INIT;
	struct wincheck_av av;
	struct winsrc src;
	int r;

	if ((r = open_source(ctx, &src)) < 0) {
		free(dirs);
		return 0;
	}
	if ((r = wincheck_av_read(&src, &av)) == 0) {
		if (av.def.engine[0])
			ctx_fact(ctx, "defender.engine", "%s", av.def.engine);
		if (av.def.signature[0])
			ctx_fact(ctx, "defender.signatures", "%s",
				 av.def.signature);
		if (av.def.installed)
			ctx_fact_int(ctx, "defender.realtime", av.def.realtime);
		ctx_fact_int(ctx, "minifilters", (int64_t)av.nfilters);
		wincheck_av_judge(&av, &app, &l);
		wincheck_av_release(&av);
	}
	if (r == 0)
		r = emit(ctx, &l);
	else
		verdict_list_release(&l);
	note(&r, close_source(ctx, &src));
	free(dirs);
	return r;
}

static int ts_run(struct collector_ctx *ctx)
{
	struct verdict_list l = VERDICT_LIST_INIT;
	struct wincheck_rds rds;
	struct winsrc src;
	int r;

	if ((r = open_source(ctx, &src)) < 0)
		return 0;
	if ((r = wincheck_rds_read(&src, &rds)) == 0) {
		ctx_fact_int(ctx, "rds.role", rds.role);
		ctx_fact_int(ctx, "rds.licensing_mode", rds.licensing_mode);
		ctx_fact_int(ctx, "rds.sessions", (int64_t)rds.nsessions);
		wincheck_rds_judge(&rds, &l);
		wincheck_rds_release(&rds);
	}
	if (r == 0)
		r = emit(ctx, &l);
	else
		verdict_list_release(&l);
	note(&r, close_source(ctx, &src));
	return r;
}

static int nas_run(struct collector_ctx *ctx)
{
	const char **dirs = app_dirs(ctx);
	struct wincheck_app app = { NULL, dirs, NULL };
	struct verdict_list l = VERDICT_LIST_INIT;
	struct wincheck_smb smb;
	struct winsrc src;
	int r;

	if ((r = open_source(ctx, &src)) < 0) {
		free(dirs);
		return 0;
	}
	if ((r = wincheck_smb_read(&src, &smb)) == 0) {
		ctx_fact_int(ctx, "smb.smb1", smb.smb1);
		ctx_fact_int(ctx, "mapped_drives", (int64_t)smb.ndrives);
		wincheck_smb_judge(&smb, &app, &l);
		wincheck_smb_release(&smb);
	}
	if (r == 0)
		r = emit(ctx, &l);
	else
		verdict_list_release(&l);
	note(&r, close_source(ctx, &src));
	free(dirs);
	return r;
}

static int ev_run(struct collector_ctx *ctx)
{
	const char *const *sources = NULL;
	struct verdict_list l = VERDICT_LIST_INIT;
	struct wincheck_events ev;
	struct wincheck_app app;
	struct winsrc src;
	time_t since;
	int r;

	ctx_config_values(ctx, "source", &sources);
	app = (struct wincheck_app){ ctx_config_get(ctx, "executable"), NULL,
				     sources };
	if ((r = open_source(ctx, &src)) < 0)
		return 0;
	/* without --since: the last week, as the Linux log reader does */
	since = ctx_since(ctx);
	if (!since && src.ops->now(src.self))
		since = src.ops->now(src.self) - 7 * 86400;
	if ((r = wincheck_events_read(&src, &app, since, &ev)) == 0) {
		wincheck_events_judge(&ev, &app, &l);
		wincheck_events_release(&ev);
	}
	if (r == 0)
		r = emit(ctx, &l);
	else
		verdict_list_release(&l);
	note(&r, close_source(ctx, &src));
	return r;
}

const struct collector collector_win_antivirus = {
	.name = "antivirus",
	.summary = "Defender's protection, exclusions, Controlled Folder "
		   "Access and ASR rules; other products and their file "
		   "system filters",
	.flags = COLLECTOR_WANTS_ROOT,
	.deadline_ms = 60000,
	.platforms = RDIAG_WINDOWS,
	.keys = av_keys,
	.run = av_run,
};

const struct collector collector_win_terminal_server = {
	.name = "terminal_server",
	.summary = "RDS role and licensing, the RDP listener's security and "
		   "certificate, sessions and redirection policies",
	.flags = COLLECTOR_WANTS_ROOT,
	.deadline_ms = 30000,
	.platforms = RDIAG_WINDOWS,
	.keys = ts_keys,
	.run = ts_run,
};

const struct collector collector_win_nas = {
	.name = "nas",
	.summary = "SMB client settings, Offline Files and the mapped "
		   "network drives",
	.flags = 0,
	.deadline_ms = 30000,
	.platforms = RDIAG_WINDOWS,
	.keys = nas_keys,
	.run = nas_run,
};

const struct collector collector_eventlog = {
	.name = "eventlog",
	.summary = "the application's errors, crashes and hangs in the "
		   "Windows event log",
	.flags = COLLECTOR_WANTS_ROOT,
	.deadline_ms = 30000,
	.platforms = RDIAG_WINDOWS,
	.keys = ev_keys,
	.run = ev_run,
};
