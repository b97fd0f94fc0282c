/*
 * The table of Linux endpoint protection products the antivirus collector
 * knows: how to recognise each one (process names, executable locations,
 * install directories, systemd units, Debian packages) and how to ask it for
 * an exclusion. It is data: adding a product is adding a row, and tests can
 * rely on the names without reading the collector's code.
 */
#ifndef RDIAG_ANTIVIRUS_PRODUCTS_H
#define RDIAG_ANTIVIRUS_PRODUCTS_H

#include <stdbool.h>
#include <stddef.h>

#define AV_LIST_MAX 6

enum av_kind {
	AV_KIND_AV,     /* antivirus / endpoint protection */
	AV_KIND_EDR,    /* endpoint detection and response */
	AV_KIND_POLICY, /* application allow-listing: blocks, not a scanner */
};

struct av_product {
	const char *id;     /* [a-z0-9_]+, used in fact keys */
	const char *name;   /* for people */
	const char *vendor; /* who to call (level 4) */
	enum av_kind kind;
	/*
	 * Process names (as in /proc/PID/comm, matched on its first 15
	 * bytes, or the basename of /proc/PID/exe) that do real-time
	 * (on-access) scanning, and those that are only part of the product.
	 */
	const char *realtime_procs[AV_LIST_MAX];
	const char *other_procs[AV_LIST_MAX];
	/* Executable path prefixes: any process below is the product's. */
	const char *exe_prefixes[AV_LIST_MAX];
	const char *dirs[AV_LIST_MAX];     /* install directories */
	const char *units[AV_LIST_MAX];    /* systemd unit names */
	const char *packages[AV_LIST_MAX]; /* Debian package names */
	/*
	 * How to exclude a directory, with one %s for it: a config line or
	 * a command when the product has one, else the console setting.
	 */
	const char *exclusion;
};

extern const struct av_product av_products[];
extern const size_t av_nproducts;

enum av_proc_role {
	AV_PROC_NONE,
	AV_PROC_COMPONENT, /* part of the product */
	AV_PROC_REALTIME,  /* its on-access scanner */
};

/*
 * Which product a process belongs to, from its comm (may be NULL) and the
 * target of its exe link (may be NULL or end in " (deleted)"). Returns the
 * row or NULL; *ret_role says how it matched.
 */
const struct av_product *av_product_match(const char *comm, const char *exe,
					  enum av_proc_role *ret_role);

/* p->exclusion with every %s replaced by dir; caller frees. */
char *av_product_exclusion(const struct av_product *p, const char *dir);

#endif
