/*
 * The floor under the bundle step's idle CPU class (idlewatch.h says
 * why). One thread sleeping on a condition variable with a one-second
 * timeout: no busy polling, and stopping it is immediate.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "core/idlewatch.h"
#include "platform/platform.h"
#include "rdiag/util.h"

struct idlewatch {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	unsigned applied_s; /* seconds after start; 0: never */
};

unsigned idlewatch_count(unsigned starved, uint64_t cpu_ns)
{
	return cpu_ns < IDLEWATCH_FLOOR_PERMILLE * 1000000ull ? starved + 1 : 0;
}

static uint64_t process_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *watch(void *arg)
{
	struct idlewatch *w = arg;
	uint64_t last = process_cpu_ns(), now;
	unsigned starved = 0, secs = 0;
	struct timespec until;

	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec++;
		if (pthread_cond_timedwait(&w->wake, &w->lock, &until) !=
			    ETIMEDOUT ||
		    w->stop)
			continue;
		secs++;
		now = process_cpu_ns();
		starved = idlewatch_count(starved, now - last);
		last = now;
		if (starved >= IDLEWATCH_STARVED_S) {
			(void)platform_background_cpu(false);
			w->applied_s = secs;
			break;
		}
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct idlewatch *idlewatch_start(void)
{
	struct idlewatch *w = xcalloc(1, sizeof(*w));

	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	if (pthread_create(&w->thread, NULL, watch, w) != 0) {
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return NULL;
	}
	return w;
}

unsigned idlewatch_stop(struct idlewatch *w)
{
	unsigned applied;

	if (!w)
		return 0;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	applied = w->applied_s;
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
	return applied;
}
