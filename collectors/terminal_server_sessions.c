/*
 * Grouping processes and utmpx logins into sessions and users. The input
 * comes from the collector's own /proc scan; counts are small (a terminal
 * server has hundreds of sessions, not millions), so plain linear searches
 * keep this obvious.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdiag/utf8.h"
#include "terminal_server_sessions.h"

static const struct terminal_server_env *
env_of(const struct terminal_server_env *envs, size_t nenvs, int i)
{
	return i >= 0 && (size_t)i < nenvs ? &envs[i] : NULL;
}

static const struct terminal_server_proc *
proc_find(const struct terminal_server_proc *p, size_t n, int pid)
{
	for (size_t i = 0; i < n; i++)
		if (p[i].pid == pid)
			return &p[i];
	return NULL;
}

/* An xrdp session's display; -1 when the process is in none. */
static long remote_display(const struct terminal_server_env *e, long offset)
{
	long d;

	if (!e)
		return -1;
	d = terminal_server_display_number(e->display);
	if (e->xrdp_session)
		return d < 0 ? 0 : d;
	/* ":10" only: "localhost:10.0" is an ssh-forwarded display. */
	if (e->display[0] == ':' && d >= offset)
		return d;
	return -1;
}

static struct terminal_server_session *
session_add(struct terminal_server_sessions *s)
{
	struct terminal_server_session *x;

	s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
	x = &s->v[s->n++];
	memset(x, 0, sizeof(*x));
	x->display = -1;
	x->env = -1;
	return x;
}

static bool earlier(const struct terminal_server_proc *a,
		    const struct terminal_server_proc *b)
{
	return a->start_ticks < b->start_ticks ||
	       (a->start_ticks == b->start_ticks && a->pid < b->pid);
}

static void remote_sessions(struct terminal_server_sessions *s,
			    const struct terminal_server_proc *procs,
			    size_t nprocs,
			    const struct terminal_server_env *envs,
			    size_t nenvs, long offset)
{
	for (size_t i = 0; i < nprocs; i++) {
		const struct terminal_server_proc *p = &procs[i];
		const struct terminal_server_env *e =
			env_of(envs, nenvs, p->env);
		long d = remote_display(e, offset);
		struct terminal_server_session *x = NULL;

		if (d < 0)
			continue;
		for (size_t k = 0; k < s->n; k++)
			if (s->v[k].uid == p->uid && s->v[k].display == d)
				x = &s->v[k];
		if (!x) {
			x = session_add(s);
			x->uid = p->uid;
			x->display = d;
			x->xrdp = true;
			x->leader = p->pid;
			x->env = p->env;
		} else {
			const struct terminal_server_proc *l =
				proc_find(procs, nprocs, x->leader);

			if (l && earlier(p, l)) {
				x->leader = p->pid;
				x->env = p->env;
			}
		}
		if (!x->user[0] && e && e->user[0])
			utf8_copy(x->user, sizeof(x->user), e->user);
	}
}

static void login_sessions(struct terminal_server_sessions *s,
			   const struct terminal_server_proc *procs,
			   size_t nprocs,
			   const struct terminal_server_login *logins,
			   size_t nlogins)
{
	for (size_t i = 0; i < nlogins; i++) {
		const struct terminal_server_login *l = &logins[i];
		const struct terminal_server_proc *p =
			proc_find(procs, nprocs, l->pid);
		struct terminal_server_session *x = NULL;

		if (!p && nprocs > 0) {
			s->stale_logins++;
			continue;
		}
		/* xrdp may log its own sessions: count them once. */
		for (size_t k = 0; p && k < s->n; k++) {
			const struct terminal_server_proc *m =
				proc_find(procs, nprocs, s->v[k].leader);

			if (s->v[k].xrdp && s->v[k].uid == p->uid &&
			    (s->v[k].leader == p->pid ||
			     (m && m->sid == p->sid)))
				x = &s->v[k];
		}
		if (!x) {
			x = session_add(s);
			x->uid = p ? p->uid : TERMINAL_SERVER_UID_UNKNOWN;
			x->leader = l->pid;
			x->env = p ? p->env : -1;
		}
		x->from_utmp = true;
		utf8_copy(x->line, sizeof(x->line), l->line);
		utf8_copy(x->user, sizeof(x->user), l->user);
	}
}

static struct terminal_server_user *
user_find(struct terminal_server_sessions *s,
	  const struct terminal_server_session *x)
{
	for (size_t i = 0; i < s->nusers; i++) {
		struct terminal_server_user *u = &s->users[i];

		if (x->uid != TERMINAL_SERVER_UID_UNKNOWN
			    ? u->uid == x->uid
			    : u->uid == TERMINAL_SERVER_UID_UNKNOWN &&
				      strcmp(u->name, x->user) == 0)
			return u;
	}
	return NULL;
}

static int user_cmp(const void *a, const void *b)
{
	const struct terminal_server_user *x = a, *y = b;

	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void build_users(struct terminal_server_sessions *s,
			const struct terminal_server_proc *procs, size_t nprocs,
			long ticks_per_s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct terminal_server_session *x = &s->v[i];
		struct terminal_server_user *u = user_find(s, x);

		if (!u) {
			s->users = xreallocarray(s->users, s->nusers + 1,
						 sizeof(*s->users));
			u = &s->users[s->nusers++];
			memset(u, 0, sizeof(*u));
			u->uid = x->uid;
			u->leader_pid = x->leader;
			u->nofile_limit = TERMINAL_SERVER_NO_LIMIT;
			u->nproc_limit = TERMINAL_SERVER_NO_LIMIT;
			u->mem_max = TERMINAL_SERVER_NO_LIMIT;
			u->pids_max = TERMINAL_SERVER_NO_LIMIT;
		}
		u->sessions++;
		if (!u->name[0] && x->user[0])
			utf8_copy(u->name, sizeof(u->name), x->user);
	}
	for (size_t k = 0; k < s->nusers; k++) {
		struct terminal_server_user *u = &s->users[k];
		uint64_t ticks = 0;

		if (!u->name[0])
			snprintf(u->name, sizeof(u->name), "uid %lu",
				 (unsigned long)u->uid);
		if (u->uid == TERMINAL_SERVER_UID_UNKNOWN)
			continue;
		for (size_t i = 0; i < nprocs; i++) {
			const struct terminal_server_proc *p = &procs[i];

			if (p->uid != u->uid)
				continue;
			u->processes++;
			u->threads += p->threads ? p->threads : 1;
			u->rss_kb += p->rss_kb;
			ticks += p->cpu_ticks;
			u->inotify_instances += p->inotify_instances;
			u->inotify_watches += p->inotify_watches;
			if (p->nfds > u->max_fds) {
				u->max_fds = p->nfds;
				u->max_fds_pid = p->pid;
			}
		}
		if (ticks_per_s > 0)
			u->cpu_ms = ticks * 1000 / (uint64_t)ticks_per_s;
	}
	if (s->nusers > 1)
		qsort(s->users, s->nusers, sizeof(*s->users), user_cmp);
}

int terminal_server_sessions_build(const struct terminal_server_proc *procs,
				   size_t nprocs,
				   const struct terminal_server_env *envs,
				   size_t nenvs,
				   const struct terminal_server_login *logins,
				   size_t nlogins, long display_offset,
				   long ticks_per_s,
				   struct terminal_server_sessions *ret)
{
	struct terminal_server_sessions s;

	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < nprocs; i++) {
		if (strcmp(procs[i].name, "xrdp") == 0)
			s.presence.rdp_service_running = true;
		else if (strcmp(procs[i].name, "xrdp-sesman") == 0)
			s.presence.session_manager_running = true;
	}
	remote_sessions(&s, procs, nprocs, envs, nenvs, display_offset);
	login_sessions(&s, procs, nprocs, logins, nlogins);
	build_users(&s, procs, nprocs, ticks_per_s);
	for (size_t i = 0; i < s.n; i++)
		if (s.v[i].xrdp)
			s.presence.remote_sessions++;
	s.presence.sessions = (unsigned)s.n;
	s.presence.users = (unsigned)s.nusers;
	*ret = s;
	return 0;
}

void terminal_server_sessions_release(struct terminal_server_sessions *s)
{
	free(s->v);
	free(s->users);
	memset(s, 0, sizeof(*s));
}
