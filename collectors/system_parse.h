/*
 * Pure parsers for the host files the system collector reads: text in,
 * struct out, no I/O, so unit tests drive them from fixtures. Private to
 * collectors/system*.c and their tests.
 *
 * Parsers return 0 and fill *ret, or -EINVAL when the text lacks what makes
 * it that file (then *ret is untouched). Strings in the structs are heap
 * copies freed by the matching _release().
 */
#ifndef RDIAG_SYSTEM_PARSE_H
#define RDIAG_SYSTEM_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "rdiag/buf.h"

/* etc/os-release: unquoted values of the keys we report, NULL if absent. */
struct system_osinfo {
	char *name;
	char *pretty_name;
	char *id;
	char *version_id;
};

int system_parse_os_release(const char *text, size_t len,
			    struct system_osinfo *ret);
void system_osinfo_release(struct system_osinfo *o);

/* proc/meminfo, in kB. MemTotal is required. */
struct system_meminfo {
	uint64_t total_kb;
	uint64_t free_kb;
	uint64_t available_kb; /* estimated when the kernel has no field */
	uint64_t buffers_kb;
	uint64_t cached_kb;
	uint64_t swap_total_kb;
	uint64_t swap_free_kb;
	int has_available; /* MemAvailable was present (kernel >= 3.14) */
};

int system_parse_meminfo(const char *text, size_t len,
			 struct system_meminfo *ret);

/* proc/loadavg; loads in hundredths, so no floating point and no locale. */
struct system_loadavg {
	unsigned load1_x100, load5_x100, load15_x100;
	unsigned running, total;
};

int system_parse_loadavg(const char *text, size_t len,
			 struct system_loadavg *ret);

/* proc/uptime: whole seconds since boot. */
int system_parse_uptime(const char *text, size_t len, uint64_t *ret_seconds);

/* proc/cpuinfo: "processor" entries and the first model name found. */
struct system_cpuinfo {
	unsigned count;
	char *model; /* NULL when the architecture names none */
};

int system_parse_cpuinfo(const char *text, size_t len,
			 struct system_cpuinfo *ret);
void system_cpuinfo_release(struct system_cpuinfo *c);

/* proc/vmstat: pages swapped in and out since boot. */
struct system_vmstat {
	uint64_t pswpin, pswpout;
};

int system_parse_vmstat(const char *text, size_t len,
			struct system_vmstat *ret);

/*
 * proc/pressure/{memory,io,cpu} (pressure-stall information, kernel 4.20+
 * with CONFIG_PSI): the share of wall time in which some (at least one)
 * or all ("full") non-idle tasks were stalled on the resource, averaged
 * over 10, 60 and 300 s, in hundredths of a percent, and the total stall
 * time in microseconds. "some" is required; "full" is missing for cpu on
 * kernels before 5.13 (has_full = 0 then).
 */
struct system_psi_line {
	unsigned avg10_x100, avg60_x100, avg300_x100;
	uint64_t total_us;
};

struct system_pressure {
	struct system_psi_line some, full;
	int has_full;
};

int system_parse_pressure(const char *text, size_t len,
			  struct system_pressure *ret);

/* etc/resolv.conf. Never fails: an empty file means "no resolvers". */
#define SYSTEM_MAX_NAMESERVERS 8

struct system_resolvconf {
	char *nameservers[SYSTEM_MAX_NAMESERVERS];
	size_t n_nameservers;
	size_t n_ignored; /* nameserver lines beyond the maximum */
	char *search;     /* "search" or "domain", last one wins */
};

int system_parse_resolv_conf(const char *text, size_t len,
			     struct system_resolvconf *ret);
void system_resolvconf_release(struct system_resolvconf *r);

/* proc/PID/status: the fields of the top-process table. Name required. */
struct system_proc {
	int pid;
	unsigned uid;
	uint64_t rss_kb; /* 0 for kernel threads */
	char name[64];
};

int system_parse_status(const char *text, size_t len, struct system_proc *ret);

/*
 * Sort v by RSS, largest first (ties by pid), and return how many of them
 * make the top k.
 */
size_t system_top_select(struct system_proc *v, size_t n, size_t k);
/* Append the table "PID UID RSS_KB NAME" for v[0..n) to b. */
int system_top_format(const struct system_proc *v, size_t n, struct buf *b);

/*
 * The answer of the name-resolution sub-worker, as text so it can cross
 * the bounded-call pipe: "ok\n<canonical>\n<addr> <addr>...\n" or
 * "error\n<message>\n".
 */
struct system_resolve {
	int ok;
	char *canonical; /* when ok; may equal the asked name */
	char *addresses; /* when ok, space separated */
	char *error;     /* when !ok */
};

int system_parse_resolve(const char *text, size_t len,
			 struct system_resolve *ret);
void system_resolve_release(struct system_resolve *r);

#endif
