/*
 * The floor under the bundle step's idle CPU class. SCHED_IDLE gets a
 * processor only when nothing else wants it, which is what a production
 * host needs while rdiag compresses its logs; but on a host whose every
 * processor is saturated (often the very host being diagnosed) the
 * bundle would hardly move and the run would never end. The watch
 * samples the process's CPU time once a second and, after
 * IDLEWATCH_STARVED_S seconds in a row with less than
 * IDLEWATCH_FLOOR_PERMILLE of one processor, puts every thread back in
 * the normal class (still nice 10): the run ends, slower but surely.
 */
#ifndef RDIAG_CORE_IDLEWATCH_H
#define RDIAG_CORE_IDLEWATCH_H

#include <stdint.h>

#define IDLEWATCH_STARVED_S      5
#define IDLEWATCH_FLOOR_PERMILLE 50 /* 5 % of one processor */

struct idlewatch;

/*
 * Start watching: call before the calling thread enters the idle class
 * (the watch's own thread must not inherit it). NULL when no thread
 * could be started; the bundle then runs without the floor.
 */
struct idlewatch *idlewatch_start(void);

/*
 * Stop and free the watch. Returns the seconds after its start at which
 * the floor was applied, or 0 when it never was.
 */
unsigned idlewatch_stop(struct idlewatch *w);

/*
 * The judgement, pure: the seconds in a row the process has been starved,
 * given that count before this one-second sample and the CPU time the
 * process used in it (nanoseconds). The floor applies when it reaches
 * IDLEWATCH_STARVED_S. Exposed for the unit test.
 */
unsigned idlewatch_count(unsigned starved, uint64_t cpu_ns);

#endif
