/*
 * Pure helpers of the SQLite check, visible to its unit test.
 */
#ifndef RDIAG_DATABASE_SQLITE_H
#define RDIAG_DATABASE_SQLITE_H

enum database_sqlite_fs {
	DATABASE_SQLITE_FS_UNKNOWN,
	DATABASE_SQLITE_FS_LOCAL,
	DATABASE_SQLITE_FS_NETWORK,
	DATABASE_SQLITE_FS_FUSE,
};

/* Classify a statfs() f_type; *ret_name is a static name ("nfs"). */
enum database_sqlite_fs database_sqlite_fs_classify(long magic,
						    const char **ret_name);

#endif
