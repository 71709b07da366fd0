/* Delta debugging of a failing scenario: the fewest steps (and the smallest
 * layouts and clipboard texts inside them) that still fail the same way. */
#pragma once

#include <glib.h>
#include <stdint.h>

#include "scenario/runner.h"
#include "scenario/scenario.h"

/* How a run ended, stable across reductions (new string): for a failure,
 * the failing step's kind, its message type and its message with numbers
 * and quoted values taken out; for a pass of a scenario with a `not` (a
 * replay that reproduces what a field agent never answered), which message
 * did not come after which; else NULL. Either way followed by the last
 * complaint the agents logged in that run, numbers and pointers taken out,
 * when they logged one. */
char *vds_failure_signature(const vds_scenario *s, const vds_scenario_result *res);

/* Run a candidate (borrowed) and say how it failed: a new signature, or NULL
 * when it passed or could not be run. */
typedef char *(*vds_min_run_fn)(void *user, const vds_scenario *candidate);

typedef struct vds_min_opts {
    unsigned max_runs;              /* stop after this many runs */
    uint64_t max_ns;                /* and after this long */
    const volatile bool *interrupt; /* may be NULL */
    /* after each run: runs so far, steps now, steps at the start */
    void (*progress)(void *user, unsigned runs, unsigned steps, unsigned steps0);
    void *user;
} vds_min_opts;

typedef struct vds_min_stats {
    unsigned runs, steps0, steps;
    uint64_t ns;
    bool bounded; /* a bound or an interrupt ended it before it was minimal */
} vds_min_stats;

/* The smallest variant of s (borrowed) whose run fails with signature want:
 * its text in canonical form (new string). Candidates that do not parse
 * (a variable whose capture went, say) are not run. */
char *vds_minimize(const vds_scenario *s, const char *want, vds_min_run_fn run, void *user,
                   const vds_min_opts *o, vds_min_stats *stats);
