/* The one place time is read. Tests install a virtual clock. */
#pragma once

#include <stdint.h>

typedef uint64_t (*vds_clock_fn)(void *user);

/* Monotonic nanoseconds from the installed clock (CLOCK_MONOTONIC by default). */
uint64_t vds_clock_now_ns(void);
/* Install a clock; NULL restores the monotonic one. user is borrowed. */
void vds_clock_set(vds_clock_fn fn, void *user);
