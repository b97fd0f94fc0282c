/*
 * SQLite for the database collector: the file, its permissions, the file
 * system it lives on (SQLite on a network file system is a known cause of
 * corruption, because its locks do not work there), the journal mode, and
 * PRAGMA quick_check on a read-only open. Everything that touches the file
 * runs in a bounded sub-worker: the file may sit on a hung mount.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/vfs.h>
#endif

#include <sqlite3.h>

#include "database_engine.h"
#include "database_private.h"
#include "database_sqlite.h"
#include "rdiag/i18n.h"

struct sqlite_out {
	int stat_errno;
	bool regular;
	int64_t size;
	int open_errno;
	bool writable;
	bool dir_writable;
	long fs_magic;
	char fs_name[32];
	enum database_sqlite_fs fs_class;
	int sqlite_rc;
	char sqlite_err[256];
	char journal_mode[16];
	bool quick_ok;
	char quick[512];
	int64_t wal_size; /* -1 when there is no -wal file */
	int64_t check_ms;
};

static const struct {
	long magic;
	const char *name;
	enum database_sqlite_fs cls;
} fs_magics[] = {
	{ 0x6969, "nfs", DATABASE_SQLITE_FS_NETWORK },
	{ (long)0xFF534D42, "cifs", DATABASE_SQLITE_FS_NETWORK },
	{ (long)0xFE534D42, "smb2", DATABASE_SQLITE_FS_NETWORK },
	{ 0x517B, "smb", DATABASE_SQLITE_FS_NETWORK },
	{ 0x00C36400, "ceph", DATABASE_SQLITE_FS_NETWORK },
	{ 0x01021997, "9p", DATABASE_SQLITE_FS_NETWORK },
	{ 0x5346414F, "afs", DATABASE_SQLITE_FS_NETWORK },
	{ 0x6B414653, "afs", DATABASE_SQLITE_FS_NETWORK },
	{ 0x47504653, "gpfs", DATABASE_SQLITE_FS_NETWORK },
	{ 0x65735546, "fuse", DATABASE_SQLITE_FS_FUSE },
	{ 0xEF53, "ext4", DATABASE_SQLITE_FS_LOCAL },
	{ 0x58465342, "xfs", DATABASE_SQLITE_FS_LOCAL },
	{ (long)0x9123683E, "btrfs", DATABASE_SQLITE_FS_LOCAL },
	{ 0x01021994, "tmpfs", DATABASE_SQLITE_FS_LOCAL },
	{ 0x794C7630, "overlay", DATABASE_SQLITE_FS_LOCAL },
	{ 0x2FC12FC1, "zfs", DATABASE_SQLITE_FS_LOCAL },
	{ 0x4D44, "vfat", DATABASE_SQLITE_FS_LOCAL },
	{ 0x5346544E, "ntfs", DATABASE_SQLITE_FS_LOCAL },
	{ 0x65735543, "fuseblk", DATABASE_SQLITE_FS_FUSE },
};

enum database_sqlite_fs database_sqlite_fs_classify(long magic,
						    const char **ret_name)
{
	for (size_t i = 0; i < ARRAY_SIZE(fs_magics); i++)
		if ((fs_magics[i].magic & 0xFFFFFFFFL) ==
		    (magic & 0xFFFFFFFFL)) {
			*ret_name = fs_magics[i].name;
			return fs_magics[i].cls;
		}
	*ret_name = "unknown";
	return DATABASE_SQLITE_FS_UNKNOWN;
}

static void run_sql(sqlite3 *db, const char *sql, char *out, size_t len,
		    bool *all_ok)
{
	sqlite3_stmt *st = NULL;
	size_t o = 0;
	int rows = 0, rc;

	out[0] = '\0';
	if (all_ok)
		*all_ok = false;
	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		snprintf(out, len, "%s", sqlite3_errmsg(db));
		return;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		int n;

		if (all_ok && rows == 0 && t &&
		    strcmp((const char *)t, "ok") == 0)
			*all_ok = true;
		else if (all_ok)
			*all_ok = false;
		n = snprintf(out + o, len - o, "%s%s", rows ? "; " : "",
			     t ? (const char *)t : "");
		rows++;
		if (n < 0 || (size_t)n >= len - o)
			break;
		o += (size_t)n;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		if (all_ok)
			*all_ok = false;
		snprintf(out, len, "%s", sqlite3_errmsg(db));
	}
	sqlite3_finalize(st);
}

/* In the sub-worker: every file access of the check. */
static int sqlite_fn(void *arg, void *out, size_t out_max)
{
	const char *path = arg;
	struct sqlite_out *o = out;
	char *dir, *wal, *slash;
	struct stat st;
	sqlite3 *db = NULL;
	int64_t start = now_ms();
	int fd;

	if (out_max < sizeof(*o))
		return -ENOBUFS;
	memset(o, 0, sizeof(*o));
	o->wal_size = -1;
	if (stat(path, &st) < 0) {
		o->stat_errno = errno;
		return (int)sizeof(*o);
	}
	o->regular = S_ISREG(st.st_mode);
	o->size = (int64_t)st.st_size;
#if defined(__linux__)
	{
		struct statfs sf;
		const char *name;

		if (statfs(path, &sf) == 0) {
			o->fs_magic = (long)sf.f_type;
			o->fs_class =
				database_sqlite_fs_classify(o->fs_magic, &name);
			snprintf(o->fs_name, sizeof(o->fs_name), "%s", name);
		}
	}
#endif
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		o->open_errno = errno;
		return (int)sizeof(*o);
	}
	close(fd);
	o->writable = faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) == 0;
	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir ? 1 : 0] = '\0';
	o->dir_writable = faccessat(AT_FDCWD, dir, W_OK, AT_EACCESS) == 0;
	free(dir);
	wal = xasprintf("%s-wal", path);
	if (stat(wal, &st) == 0)
		o->wal_size = (int64_t)st.st_size;
	free(wal);
	if (!o->regular)
		return (int)sizeof(*o);
	o->sqlite_rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	if (o->sqlite_rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, 2000);
		run_sql(db, "PRAGMA journal_mode", o->journal_mode,
			sizeof(o->journal_mode), NULL);
		run_sql(db, "PRAGMA quick_check", o->quick, sizeof(o->quick),
			&o->quick_ok);
		o->sqlite_rc = sqlite3_errcode(db);
	}
	snprintf(o->sqlite_err, sizeof(o->sqlite_err), "%s",
		 db ? sqlite3_errmsg(db) : sqlite3_errstr(o->sqlite_rc));
	sqlite3_close(db);
	o->check_ms = now_ms() - start;
	return (int)sizeof(*o);
}

static void report(struct database_target *t, const struct sqlite_out *o)
{
	const char *path = t->url.path;

	if (o->stat_errno == ENOENT || o->stat_errno == ENOTDIR) {
		database_finding(t, "db.sqlite.missing", SEVERITY_FAIL,
				 LEVEL_SUPPORT,
				 N_("The SQLite database file does not exist"),
				 N_("Check the database path in the "
				    "application's setting; restore the file "
				    "from a backup if it was deleted"),
				 "'%s': %s", path, strerror(o->stat_errno));
		return;
	}
	if (o->stat_errno || o->open_errno) {
		int e = o->stat_errno ? o->stat_errno : o->open_errno;

		database_finding(
			t, "db.sqlite.unreadable", SEVERITY_FAIL, LEVEL_SELF,
			N_("The SQLite database file cannot be read by this "
			   "user"),
			N_("Give the application's user read and write access "
			   "to the file and its directory (chown/chmod), or "
			   "run rdiag as that user"),
			"'%s': %s", path, strerror(e));
		return;
	}
	if (!o->regular) {
		database_finding(t, "db.sqlite.not_a_file", SEVERITY_FAIL,
				 LEVEL_SUPPORT,
				 N_("The SQLite database path is not a file"),
				 N_("Check the database path in the "
				    "application's setting"),
				 "'%s'", path);
		return;
	}
	database_fact(t, "sqlite.size", "%lld", (long long)o->size);
	database_fact(t, "sqlite.filesystem", "%s (0x%lx)", o->fs_name,
		      (unsigned long)o->fs_magic & 0xFFFFFFFFUL);
	if (o->fs_class == DATABASE_SQLITE_FS_NETWORK)
		database_finding(t, "db.sqlite.network_fs", SEVERITY_FAIL,
				 LEVEL_SUPPORT,
				 N_("The SQLite database lives on a network "
				    "file system"),
				 N_("SQLite's locking does not work reliably "
				    "over NFS/SMB and the database will get "
				    "corrupted: move it to a local disk of the "
				    "host that runs the application"),
				 "'%s' is on %s", path, o->fs_name);
	else if (o->fs_class == DATABASE_SQLITE_FS_FUSE)
		database_finding(
			t, "db.sqlite.fuse_fs", SEVERITY_WARN, LEVEL_SUPPORT,
			N_("The SQLite database lives on a FUSE file system"),
			N_("If this FUSE file system is a network mount "
			   "(sshfs, cloud drive), SQLite's locks do not work "
			   "there: move the database to a local disk"),
			"'%s' is on %s", path, o->fs_name);
	if (!o->writable || !o->dir_writable)
		database_finding(
			t, "db.sqlite.read_only", SEVERITY_WARN, LEVEL_SELF,
			N_("The SQLite database cannot be written by this "
			   "user"),
			N_("SQLite needs write access to the file and to its "
			   "directory (for the journal): fix the permissions "
			   "for the application's user"),
			"'%s': file %s, directory %s", path,
			o->writable ? "writable" : "read-only",
			o->dir_writable ? "writable" : "read-only");
	if (o->journal_mode[0])
		database_fact(t, "sqlite.journal_mode", "%s", o->journal_mode);
	if (o->wal_size >= 0)
		database_fact(t, "sqlite.wal_size", "%lld",
			      (long long)o->wal_size);
	database_fact(t, "sqlite.check_ms", "%lld", (long long)o->check_ms);
	if (o->sqlite_rc == SQLITE_NOTADB) {
		database_finding(t, "db.sqlite.not_a_database", SEVERITY_FAIL,
				 LEVEL_SUPPORT,
				 N_("The file is not an SQLite database (or "
				    "its header is destroyed)"),
				 N_("Check the path; if it is right, restore "
				    "the database from a backup"),
				 "'%s': %s", path, o->sqlite_err);
		return;
	}
	if (!o->quick_ok) {
		database_finding(
			t, "db.sqlite.corrupt", SEVERITY_FAIL, LEVEL_SUPPORT,
			N_("The SQLite database is damaged"),
			N_("Stop the application, keep a copy of the file, and "
			   "restore from a backup (or try sqlite3 .recover); "
			   "send this bundle to the vendor's support"),
			"'%s': quick_check: %s", path,
			o->quick[0] ? o->quick : o->sqlite_err);
		return;
	}
	if (strcasecmp(o->journal_mode, "wal") == 0)
		database_finding(t, "db.sqlite.wal", SEVERITY_INFO,
				 LEVEL_SUPPORT,
				 N_("The SQLite database uses write-ahead "
				    "logging (WAL)"),
				 N_("Copy the -wal and -shm files together "
				    "with the database when backing it up; WAL "
				    "needs all users on this one host"),
				 "'%s': journal_mode wal, -wal file %lld bytes",
				 path, (long long)o->wal_size);
	database_finding(t, "db.sqlite.ok", SEVERITY_OK, LEVEL_SUPPORT,
			 N_("The SQLite database passes its integrity check"),
			 NULL, "'%s': %lld bytes, journal_mode %s, on %s", path,
			 (long long)o->size, o->journal_mode, o->fs_name);
}

static void database_sqlite_check(struct database_target *t, int fd)
{
	struct sqlite_out *o = xcalloc(1, sizeof(*o));
	struct bounded_result br;
	int r;

	(void)fd; /* a local file: no connection */
	/* quick_check reads the whole file: allow more than one step. */
	r = ctx_bounded(t->ctx, t->step_ms * 4, sqlite_fn, t->url.path, o,
			sizeof(*o), &br);
	if (r < 0 || br.status != BOUNDED_DONE || br.out_len < sizeof(*o)) {
		database_finding(
			t, "db.sqlite.hung", SEVERITY_FAIL, LEVEL_THIRD_PARTY,
			N_("Checking the SQLite database did not finish"),
			N_("The file system holding it hangs or is very slow: "
			   "ask your IT to check the storage or mount"),
			"'%s': %s after %lld ms%s%s", t->url.path,
			r < 0                          ? "not started"
			: br.status == BOUNDED_STUCK   ? "stuck (D state)"
			: br.status == BOUNDED_CRASHED ? "crashed"
						       : "timed out",
			(long long)(r < 0 ? 0 : br.elapsed_ms),
			br.wchan[0] && r == 0 ? ", wchan " : "",
			r == 0 ? br.wchan : "");
	} else {
		report(t, o);
	}
	free(o);
}

const struct database_engine database_engine_sqlite = {
	.kind = DATABASE_SQLITE,
	.network = false,
	.check = database_sqlite_check,
};
