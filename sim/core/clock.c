#include "core/clock.h"

#include <time.h>

static uint64_t monotonic_ns(void *user)
{
    struct timespec ts;
    (void)user;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static vds_clock_fn clock_fn = monotonic_ns;
static void *clock_user;

uint64_t vds_clock_now_ns(void)
{
    return clock_fn(clock_user);
}

void vds_clock_set(vds_clock_fn fn, void *user)
{
    clock_fn = fn ? fn : monotonic_ns;
    clock_user = fn ? user : NULL;
}
