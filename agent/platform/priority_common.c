/*
 * The parts of platform.h's priority functions that need nothing from the
 * operating system, shared by every platform implementation: how many
 * threads bulk work gets on a busy host.
 */
#include "platform/platform.h"

unsigned platform_threads_for_pressure(unsigned ncpu, double some_pct)
{
	double n;

	if (some_pct < 0)
		some_pct = 0;
	if (some_pct > 100)
		some_pct = 100;
	n = (double)ncpu * (100.0 - some_pct) / 100.0 + 0.5;
	return n < 1 ? 1 : (unsigned)n;
}
