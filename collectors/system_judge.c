/*
 * Thresholds and wording of the system collector's findings (see
 * system_judge.h). Titles speak to the customer, details carry the numbers,
 * hints name the next concrete step.
 */
#define _DEFAULT_SOURCE /* STA_* and TIME_* from <sys/timex.h> */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>

#include "rdiag/buf.h"
#include "rdiag/i18n.h"
#include "rdiag/util.h"
#include "system_judge.h"

/* A verdict with a static title and an optional static hint. */
static struct verdict_item *add(struct verdict_list *l, const char *id,
				enum severity sev, enum support_level level,
				const char *title, const char *hint)
{
	struct verdict_item *v = verdict_add(l, id, sev, level, "%s", title);

	if (hint)
		verdict_hint(v, "%s", hint);
	return v;
}

unsigned system_percent_x100(uint64_t used, uint64_t avail)
{
	/* Scale huge counts down first so that used * 10000 cannot wrap. */
	while (used > UINT64_MAX / 20000 || avail > UINT64_MAX / 20000) {
		used >>= 10;
		avail >>= 10;
	}
	if (used + avail == 0)
		return 0;
	return (unsigned)(used * 10000 / (used + avail));
}

/* Where the space usually goes, by mount point. */
static char *space_hint(const char *mp)
{
	if (strcmp(mp, "/boot") == 0 || strncmp(mp, "/boot/", 6) == 0)
		return xasprintf(
			"Remove kernels that are no longer used "
			"(Debian/Ubuntu: "
			"'apt-get autoremove --purge'; RHEL/SUSE: 'dnf remove "
			"--oldinstallonly' or 'zypper purge-kernels').");
	if (strcmp(mp, "/tmp") == 0 || strcmp(mp, "/var/tmp") == 0)
		return xasprintf("Delete old files in %s that no program has "
				 "open any more (see 'ls -lt %s | tail').",
				 mp, mp);
	if (strcmp(mp, "/home") == 0 || strncmp(mp, "/home/", 6) == 0)
		return xasprintf(
			"Ask the users to delete or move large files; "
			"'du -xh --max-depth=2 %s | sort -h | tail' shows "
			"whose directories are largest.",
			mp);
	if (strcmp(mp, "/") == 0 || strcmp(mp, "/var") == 0 ||
	    strncmp(mp, "/var/", 5) == 0)
		return xasprintf(
			"Find the largest directories with 'du -xh "
			"--max-depth=2 %s | sort -h | tail'. Usual suspects: "
			"old "
			"logs in /var/log ('journalctl --vacuum-size=200M'), "
			"package caches ('apt-get clean' or 'dnf clean all'), "
			"core dumps in /var/crash or "
			"/var/lib/systemd/coredump, "
			"and old backups or temporary files of the "
			"application.",
			mp);
	return xasprintf(
		"Find the largest directories with 'du -xh "
		"--max-depth=2 %s | sort -h | tail' and delete or move "
		"what is no longer needed, or ask your IT to enlarge "
		"the file system.",
		mp);
}

static enum severity over(unsigned x100, unsigned warn, unsigned fail)
{
	if (x100 > fail * 100)
		return SEVERITY_FAIL;
	if (x100 > warn * 100)
		return SEVERITY_WARN;
	return SEVERITY_OK;
}

static void fmt_pct(char *s, size_t len, unsigned x100)
{
	snprintf(s, len, "%u.%u %%", x100 / 100, x100 % 100 / 10);
}

void system_judge_disk(const struct system_fs *fs, size_t n,
		       unsigned warn_percent, unsigned fail_percent,
		       struct verdict_list *out)
{
	size_t before = out->n, checked = 0;
	struct buf list;

	buf_init(&list, 0);
	for (size_t i = 0; i < n; i++) {
		const struct system_fs *f = &fs[i];
		char pct[32], size[32], avail[32];
		struct verdict_item *v;
		unsigned x100;
		enum severity sev;

		if (!f->responded) {
			if (f->error < 0)
				continue; /* failed fast: logged, not judged */
			v = add(out, "system.disk.unresponsive", SEVERITY_FAIL,
				LEVEL_THIRD_PARTY,
				N_("A local disk does not respond"),
				N_("Ask your IT to check the disk or storage "
				   "behind this file system (kernel log: "
				   "'dmesg | tail -50'); programs that use it "
				   "will hang too."));
			verdict_detail(
				v, "statvfs of %s (%s) did not answer in time",
				f->mount_point, f->fstype);
			continue;
		}
		if (f->size == 0)
			continue;
		checked++;
		x100 = system_percent_x100(f->used, f->avail);
		fmt_pct(pct, sizeof(pct), x100);
		buf_printf(&list, "%s%s (%s) %s used", checked > 1 ? "; " : "",
			   f->mount_point, f->fstype, pct);
		if ((sev = over(x100, warn_percent, fail_percent)) !=
		    SEVERITY_OK) {
			char *hint = space_hint(f->mount_point);

			v = add(out, "system.disk.space", sev, LEVEL_SELF,
				sev == SEVERITY_FAIL
					? N_("A disk is full")
					: N_("A disk is nearly full"),
				hint);
			free(hint);
			format_size(f->size, size, sizeof(size));
			format_size(f->avail, avail, sizeof(avail));
			verdict_detail(v,
				       "%s (%s) is %s used: %s free of %s "
				       "(warn above %u %%, fail above %u %%)",
				       f->mount_point, f->fstype, pct, avail,
				       size, warn_percent, fail_percent);
		}
		if (f->files == 0)
			continue; /* btrfs and others: no inode limit */
		x100 = system_percent_x100(f->files - f->files_free,
					   f->files_avail);
		fmt_pct(pct, sizeof(pct), x100);
		buf_printf(&list, ", %s inodes", pct);
		if ((sev = over(x100, warn_percent, fail_percent)) !=
		    SEVERITY_OK) {
			char *hint = xasprintf(
				N_("The file system has room but no free "
				   "inodes: too many small files. Find the "
				   "directories holding most files with 'find "
				   "%s -xdev -type f | cut -d/ -f1-4 | sort | "
				   "uniq -c | sort -n | tail' and delete stale "
				   "ones (sessions, caches, temp files)."),
				f->mount_point);

			v = add(out, "system.disk.inodes", sev, LEVEL_SELF,
				sev == SEVERITY_FAIL
					? N_("A disk cannot take more files")
					: N_("A disk can take few more files"),
				hint);
			free(hint);
			verdict_detail(v,
				       "%s (%s) has %s of its inodes in use: "
				       "%llu of %llu free "
				       "(warn above %u %%, fail above %u %%)",
				       f->mount_point, f->fstype, pct,
				       (unsigned long long)f->files_avail,
				       (unsigned long long)f->files,
				       warn_percent, fail_percent);
		}
	}
	if (out->n == before && checked > 0) {
		struct verdict_item *v =
			add(out, "system.disk.ok", SEVERITY_OK, LEVEL_SELF,
			    N_("Local disks have enough free space and inodes"),
			    NULL);

		verdict_detail(v, "%zu local file system%s checked: %s",
			       checked, checked == 1 ? "" : "s", list.data);
	}
	buf_release(&list);
}

void system_judge_memory(const struct system_meminfo *m,
			 struct verdict_list *out)
{
	uint64_t avail =
		m->available_kb < m->total_kb ? m->available_kb : m->total_kb;
	unsigned x100 = system_percent_x100(avail, m->total_kb - avail);
	struct verdict_item *v;
	char pct[32];

	fmt_pct(pct, sizeof(pct), x100);
	if (x100 < 500) {
		v = add(out, "system.memory.low",
			x100 < 200 ? SEVERITY_FAIL : SEVERITY_WARN,
			LEVEL_THIRD_PARTY,
			N_("The computer is short of memory"),
			N_("Close programs that are not needed (the largest "
			   "are listed in top-processes.txt); if memory stays "
			   "this low, ask your IT to add memory to this "
			   "machine."));
	} else {
		v = add(out, "system.memory.ok", SEVERITY_OK, LEVEL_SELF,
			N_("Enough memory is available"), NULL);
	}
	verdict_detail(
		v,
		"%llu kB of %llu kB available (%s%s); swap %llu kB free of "
		"%llu kB",
		(unsigned long long)m->available_kb,
		(unsigned long long)m->total_kb, pct,
		m->has_available ? "" : ", estimated",
		(unsigned long long)m->swap_free_kb,
		(unsigned long long)m->swap_total_kb);
}

void system_judge_load(const struct system_loadavg *l, unsigned cpus,
		       struct verdict_list *out)
{
	unsigned long long limit = 200ull * (cpus ? cpus : 1);
	struct verdict_item *v;

	if (l->load1_x100 > limit || l->load5_x100 > limit) {
		v = add(out, "system.load.high",
			l->load5_x100 > 2 * limit ? SEVERITY_FAIL
						  : SEVERITY_WARN,
			LEVEL_THIRD_PARTY, N_("The computer is overloaded"),
			N_("See which programs use the processors ('top', and "
			   "top-processes.txt in the bundle); ask your IT to "
			   "move work off this machine or give it more "
			   "processors."));
	} else {
		v = add(out, "system.load.ok", SEVERITY_OK, LEVEL_SELF,
			N_("The processors are not overloaded"), NULL);
	}
	verdict_detail(
		v,
		"load average %u.%02u (1 min), %u.%02u (5 min), %u.%02u "
		"(15 min) on %u CPU%s; more than %llu waiting is overload",
		l->load1_x100 / 100, l->load1_x100 % 100, l->load5_x100 / 100,
		l->load5_x100 % 100, l->load15_x100 / 100, l->load15_x100 % 100,
		cpus ? cpus : 1, cpus == 1 ? "" : "s", limit / 100);
}

static uint64_t per_second(uint64_t a, uint64_t b, int64_t ms)
{
	return b > a ? (b - a) * 1000 / (uint64_t)ms : 0;
}

void system_judge_swap(const struct system_vmstat *before,
		       const struct system_vmstat *after, int64_t interval_ms,
		       struct verdict_list *out)
{
	uint64_t in, outp;
	struct verdict_item *v;

	if (interval_ms <= 0)
		return;
	in = per_second(before->pswpin, after->pswpin, interval_ms);
	outp = per_second(before->pswpout, after->pswpout, interval_ms);
	if (in >= SYSTEM_THRASH_PAGES_PER_S &&
	    outp >= SYSTEM_THRASH_PAGES_PER_S) {
		v = add(out, "system.swap.thrashing",
			in + outp >= 20 * SYSTEM_THRASH_PAGES_PER_S
				? SEVERITY_FAIL
				: SEVERITY_WARN,
			LEVEL_THIRD_PARTY,
			N_("The computer is slowed down by swapping"),
			N_("Memory is too small for what runs here: close "
			   "programs that are not needed (see "
			   "top-processes.txt) or ask your IT to add memory."));
	} else {
		v = add(out, "system.swap.ok", SEVERITY_OK, LEVEL_SELF,
			N_("The computer is not swapping heavily"), NULL);
	}
	verdict_detail(
		v,
		"%llu pages/s swapped in and %llu pages/s swapped out over "
		"%lld ms (thrashing: both at least %d pages/s)",
		(unsigned long long)in, (unsigned long long)outp,
		(long long)interval_ms, SYSTEM_THRASH_PAGES_PER_S);
}

/* How one resource's stall is judged and told. */
struct psi_rule {
	const char *bad_id, *ok_id;
	unsigned warn_some, fail_full; /* 0: no such threshold */
	const char *what, *bad_title, *ok_title, *hint;
};

static void psi_line(struct buf *b, const char *name,
		     const struct system_psi_line *l)
{
	buf_printf(b,
		   "%s %u.%02u %% (10 s), %u.%02u %% (60 s), %u.%02u %% "
		   "(300 s)",
		   name, l->avg10_x100 / 100, l->avg10_x100 % 100,
		   l->avg60_x100 / 100, l->avg60_x100 % 100,
		   l->avg300_x100 / 100, l->avg300_x100 % 100);
}

static void judge_psi(const struct system_pressure *p,
		      const struct psi_rule *rule, struct verdict_list *out)
{
	enum severity sev = SEVERITY_OK;
	struct verdict_item *v;
	struct buf d;
	char *s;

	if (!p)
		return;
	if (rule->warn_some && p->some.avg60_x100 >= rule->warn_some)
		sev = SEVERITY_WARN;
	if (rule->fail_full && p->has_full &&
	    p->full.avg60_x100 >= rule->fail_full)
		sev = SEVERITY_FAIL;
	if (sev == SEVERITY_OK)
		v = add(out, rule->ok_id, SEVERITY_OK, LEVEL_SELF,
			rule->ok_title, NULL);
	else
		v = add(out, rule->bad_id, sev, LEVEL_THIRD_PARTY,
			rule->bad_title, rule->hint);
	buf_init(&d, 0);
	buf_printf(&d, "tasks stalled on %s (pressure-stall information): ",
		   rule->what);
	psi_line(&d, "some", &p->some);
	if (p->has_full) {
		buf_puts(&d, "; ");
		psi_line(&d, "all", &p->full);
	}
	buf_puts(&d, "; judged on the 60 s average:");
	if (rule->warn_some)
		buf_printf(&d, " warn at some >= %u %%", rule->warn_some / 100);
	if (rule->fail_full)
		buf_printf(&d, ", fail at all >= %u %%", rule->fail_full / 100);
	s = buf_detach(&d, NULL);
	verdict_detail(v, "%s", s);
	free(s);
}

void system_judge_pressure(const struct system_pressure *memory,
			   const struct system_pressure *io,
			   const struct system_pressure *cpu,
			   struct verdict_list *out)
{
	static const struct psi_rule rules[] = {
		{ "system.swap.thrashing", "system.swap.ok",
		  SYSTEM_PSI_MEMORY_WARN_SOME, SYSTEM_PSI_MEMORY_FAIL_FULL,
		  "memory", N_("The computer is slowed down by swapping"),
		  N_("The computer is not swapping heavily"),
		  N_("Memory is too small for what runs here: close programs "
		     "that are not needed (see top-processes.txt) or ask your "
		     "IT to add memory.") },
		{ "system.io.pressure", "system.io.ok", SYSTEM_PSI_IO_WARN_SOME,
		  SYSTEM_PSI_IO_FAIL_FULL, "disk I/O",
		  N_("Programs often wait for the disks"),
		  N_("Programs rarely wait for the disks"),
		  N_("The disks or the storage behind them are too slow for "
		     "what runs here: ask your IT to check the storage "
		     "('iostat -x 5', 'iotop') and move heavy jobs such as "
		     "backups or scans out of working hours.") },
		{ "system.cpu.pressure", "system.cpu.ok",
		  SYSTEM_PSI_CPU_WARN_SOME, 0, "the processors",
		  N_("Programs often wait for a processor"),
		  N_("Programs rarely wait for a processor"),
		  N_("See which programs use the processors ('top', and "
		     "top-processes.txt in the bundle); ask your IT to move "
		     "work off this machine or give it more processors.") },
	};

	judge_psi(memory, &rules[0], out);
	judge_psi(io, &rules[1], out);
	judge_psi(cpu, &rules[2], out);
}

void system_judge_clock(const struct system_clock *c, struct verdict_list *out)
{
	struct verdict_item *v;

	if (!c->available)
		return;
	if (c->state == TIME_ERROR || (c->status & STA_UNSYNC) ||
	    c->maxerror_us >= SYSTEM_CLOCK_MAXERROR_US) {
		v = add(out, "system.clock.unsynced", SEVERITY_WARN,
			LEVEL_THIRD_PARTY,
			N_("The computer's clock is not synchronised"),
			N_("Ask your IT to enable time synchronisation (chrony "
			   "or systemd-timesyncd: 'timedatectl set-ntp true') "
			   "against the company's time server; wrong clocks "
			   "break logins, certificates and the order of "
			   "documents."));
	} else {
		v = add(out, "system.clock.ok", SEVERITY_OK, LEVEL_SELF,
			N_("The clock is synchronised"), NULL);
	}
	verdict_detail(v,
		       "kernel clock state %d, status 0x%04x%s, maximum error "
		       "%ld us, estimated error %ld us, offset %ld us",
		       c->state, (unsigned)c->status,
		       (c->status & STA_UNSYNC) ? " (unsynchronised)" : "",
		       c->maxerror_us, c->esterror_us, c->offset_us);
}

void system_judge_hostname(const char *hostname, const struct system_resolve *r,
			   unsigned timeout_ms, struct verdict_list *out)
{
	struct verdict_item *v;

	if (!r || !r->ok) {
		v = add(out, "system.hostname.unresolvable", SEVERITY_WARN,
			LEVEL_THIRD_PARTY,
			N_("This computer's own name cannot be looked up"),
			N_("Ask your IT to register this computer's name in "
			   "DNS (or add it to /etc/hosts); licence checks, "
			   "database clients and Kerberos need the name to "
			   "resolve."));
		if (!r)
			verdict_detail(
				v,
				"looking up '%s' gave no answer within %u ms",
				hostname, timeout_ms);
		else
			verdict_detail(v, "looking up '%s' failed: %s",
				       hostname,
				       r->error ? r->error : "unknown error");
	} else {
		v = add(out, "system.hostname.ok", SEVERITY_OK, LEVEL_SELF,
			N_("This computer's name resolves"), NULL);
		verdict_detail(v, "'%s' resolves to '%s' (%s)", hostname,
			       r->canonical, r->addresses ? r->addresses : "");
	}
}

void system_judge_dns(const struct system_resolvconf *rc,
		      struct verdict_list *out)
{
	struct verdict_item *v;
	struct buf list;

	if (rc->n_nameservers == 0) {
		v = add(out, "system.dns.no_resolvers", SEVERITY_WARN,
			LEVEL_THIRD_PARTY, N_("No DNS server is configured"),
			N_("Ask your IT to configure DNS servers for this "
			   "computer (nameserver lines in /etc/resolv.conf, "
			   "usually set by DHCP, NetworkManager or "
			   "systemd-resolved)."));
		verdict_detail(v,
			       "/etc/resolv.conf has no nameserver line; the "
			       "resolver falls back to 127.0.0.1");
		return;
	}
	buf_init(&list, 0);
	for (size_t i = 0; i < rc->n_nameservers; i++)
		buf_printf(&list, "%s%s", i ? ", " : "", rc->nameservers[i]);
	v = add(out, "system.dns.ok", SEVERITY_OK, LEVEL_SELF,
		N_("DNS servers are configured"), NULL);
	verdict_detail(v, "nameservers: %s%s%s", list.data,
		       rc->search ? "; search: " : "",
		       rc->search ? rc->search : "");
	buf_release(&list);
}

static int below(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return path[0] == '/' && path[1] != '\0';
	return strncmp(path, dir, n) == 0 && path[n] == '/';
}

static int read_only(const char *opts)
{
	return strcmp(opts, "ro") == 0 || strncmp(opts, "ro,", 3) == 0;
}

const char *system_mount_skip_reason(const struct mount_table *t,
				     const struct mount_entry *e)
{
	static const char *const images[] = { "squashfs", "iso9660", "erofs",
					      "cramfs", "udf" };

	if (mount_is_network(e))
		return "network or FUSE";
	if (mount_is_autofs(e))
		return "autofs";
	if (mount_is_pseudo(e))
		return "pseudo";
	/* Mounted over later: statvfs of the path would see the other one. */
	if (e >= t->v && e < t->v + t->n)
		for (const struct mount_entry *o = e + 1; o < t->v + t->n; o++)
			if (strcmp(o->mount_point, e->mount_point) == 0)
				return "hidden by a later mount";
	for (size_t i = 0; i < t->n; i++) {
		const struct mount_entry *o = &t->v[i];

		/* Reaching it would walk through a mount that may hang. */
		if ((mount_is_network(o) || mount_is_autofs(o)) &&
		    below(e->mount_point, o->mount_point))
			return "below a network or autofs mount";
	}
	for (size_t i = 0; i < ARRAY_SIZE(images); i++)
		if (strcmp(e->fstype, images[i]) == 0)
			return "read-only image";
	if (strcmp(e->fstype, "ramfs") == 0)
		return "ramfs";
	if (strcmp(e->fstype, "tmpfs") == 0 &&
	    strcmp(e->mount_point, "/dev/shm") != 0 &&
	    (below(e->mount_point, "/dev") || below(e->mount_point, "/run") ||
	     below(e->mount_point, "/sys") || below(e->mount_point, "/proc") ||
	     strcmp(e->mount_point, "/dev") == 0 ||
	     strcmp(e->mount_point, "/sys") == 0))
		return "runtime tmpfs";
	if (read_only(e->mount_opts))
		return "read-only";
	return NULL;
}

size_t system_mounts_select(const struct mount_table *t, size_t *ret_idx,
			    size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n && n < max; i++) {
		const struct mount_entry *e = &t->v[i];
		int dup = 0;

		if (system_mount_skip_reason(t, e))
			continue;
		/* Bind mounts and subvolumes: one statvfs per device. */
		for (size_t j = 0; j < n && !dup; j++)
			dup = t->v[ret_idx[j]].major == e->major &&
			      t->v[ret_idx[j]].minor == e->minor;
		if (!dup)
			ret_idx[n++] = i;
	}
	return n;
}
