/*
 * The system collector's judgement: measured numbers in, verdicts (the
 * findings to emit) out. Pure functions, so the thresholds are tested with
 * fixture numbers; system.c only measures and emits. Every id produced here
 * is documented in docs/collectors/system.md.
 */
#ifndef RDIAG_SYSTEM_JUDGE_H
#define RDIAG_SYSTEM_JUDGE_H

#include <stddef.h>
#include <stdint.h>

#include "mountinfo.h"
#include "rdiag/collector.h"
#include "system_parse.h"

#define SYSTEM_DISK_WARN_PERCENT 90
#define SYSTEM_DISK_FAIL_PERCENT 97

/* A local file system as statvfs() saw it (sizes in bytes). */
struct system_fs {
	const char *mount_point;
	const char *fstype;
	int responded; /* 0: statvfs hung or failed; the rest is unset */
	int error;     /* negative errno when it failed, 0 for a hang */
	uint64_t size, used, avail;
	uint64_t files, files_free, files_avail; /* files == 0: no inodes */
};

/*
 * used / (used + avail) in hundredths of a percent, as df(1) counts it
 * (space reserved for root counts as not available); 0 when both are 0.
 */
unsigned system_percent_x100(uint64_t used, uint64_t avail);

/*
 * Space and inodes against warn/fail percentages (a value strictly above
 * the threshold trips it): system.disk.space, system.disk.inodes,
 * system.disk.unresponsive per file system, or one system.disk.ok.
 */
void system_judge_disk(const struct system_fs *fs, size_t n,
		       unsigned warn_percent, unsigned fail_percent,
		       struct verdict_list *out);

/* system.memory.low (MemAvailable < 5 %, fail < 2 %) or system.memory.ok. */
void system_judge_memory(const struct system_meminfo *m,
			 struct verdict_list *out);

/* system.load.high (1 or 5 min load > 2x CPUs, fail 5 min > 4x) or .ok. */
void system_judge_load(const struct system_loadavg *l, unsigned cpus,
		       struct verdict_list *out);

/*
 * Swap activity between two /proc/vmstat samples interval_ms apart:
 * system.swap.thrashing or system.swap.ok.
 */
#define SYSTEM_THRASH_PAGES_PER_S 256
void system_judge_swap(const struct system_vmstat *before,
		       const struct system_vmstat *after, int64_t interval_ms,
		       struct verdict_list *out);

/*
 * Pressure-stall information (system_parse_pressure()) for memory, I/O and
 * CPU; a NULL resource is missing (kernel without CONFIG_PSI, psi=0) and
 * gets no verdict. Judged on the 60 s averages, so a burst of rdiag's own
 * start does not count; 10 and 300 s figures go into the detail.
 *   memory: system.swap.thrashing warn when some >= 10 %, fail when
 *           full >= 10 % (every task waiting for memory); else .ok
 *   io:     system.io.pressure warn when some >= 30 %, fail when full
 *           >= 30 %; else system.io.ok
 *   cpu:    system.cpu.pressure warn when some >= 50 % (no fail: the
 *           load judge fails an overloaded machine); else system.cpu.ok
 * Thresholds are in hundredths of a percent.
 */
#define SYSTEM_PSI_MEMORY_WARN_SOME 1000
#define SYSTEM_PSI_MEMORY_FAIL_FULL 1000
#define SYSTEM_PSI_IO_WARN_SOME     3000
#define SYSTEM_PSI_IO_FAIL_FULL     3000
#define SYSTEM_PSI_CPU_WARN_SOME    5000
void system_judge_pressure(const struct system_pressure *memory,
			   const struct system_pressure *io,
			   const struct system_pressure *cpu,
			   struct verdict_list *out);

/* What ntp_adjtime() said; available = 0 when the call failed. */
struct system_clock {
	int available;
	int state;  /* return value: TIME_OK ... TIME_ERROR */
	int status; /* STA_* bits */
	long maxerror_us, esterror_us;
	long offset_us;
};

/* Above this the kernel itself gives up on the time (16 s). */
#define SYSTEM_CLOCK_MAXERROR_US 16000000L
/* system.clock.unsynced or system.clock.ok (none when unavailable). */
void system_judge_clock(const struct system_clock *c, struct verdict_list *out);

/*
 * The host name's resolution: r is NULL when the lookup did not answer
 * within timeout_ms. system.hostname.unresolvable or system.hostname.ok.
 */
void system_judge_hostname(const char *hostname, const struct system_resolve *r,
			   unsigned timeout_ms, struct verdict_list *out);

/* system.dns.no_resolvers or system.dns.ok. */
void system_judge_dns(const struct system_resolvconf *rc,
		      struct verdict_list *out);

/*
 * Why the system collector leaves a mount alone (network, FUSE, autofs,
 * pseudo, hidden by a later mount on the same point, below a network mount,
 * read-only image, runtime tmpfs, read-only), or NULL when it is a local file
 * system to check.
 */
const char *system_mount_skip_reason(const struct mount_table *t,
				     const struct mount_entry *e);
/*
 * The mounts to statvfs(): indices into t of those with no skip reason,
 * the first of each device only, at most max. Returns the count.
 */
size_t system_mounts_select(const struct mount_table *t, size_t *ret_idx,
			    size_t max);

#endif
