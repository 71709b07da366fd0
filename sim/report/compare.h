/* vdsim compare: what changed between two runs (two nights), read from their
 * report directories' summary.json. Per scenario: new failures, fixes, known
 * bugs that stopped or started reproducing, scenarios newly skipped, added or
 * gone. Per expectation: a latency shift judged by the Mann-Whitney U test on
 * the repeat samples, not by a threshold on one number. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "core/error.h"

typedef struct vds_runs_compare_opts {
    double alpha;         /* a shift counts when p < alpha (default 0.01) */
    double min_shift_pct; /* and the median moved at least this much (default 10) */
    double min_shift_ms;  /* and at least this many ms (default 0.1): tens of microseconds
                             on a sub-millisecond reply are real but not a regression */
    unsigned min_samples; /* fewer on either side: no test, said so (default 8) */
} vds_runs_compare_opts;

extern const vds_runs_compare_opts vds_runs_compare_defaults;

typedef struct vds_comparison {
    GString *text;        /* the report, as printed */
    unsigned regressions; /* new failures, passes that became known bugs, slower latencies */
} vds_comparison;

/* Compare run B (the newer) with run A. 0 and *out filled (text owned by
 * out: vds_comparison_clear), or -1 with err located at the summary that
 * could not be read. */
int vds_compare_runs(const char *dir_a, const char *dir_b, const vds_runs_compare_opts *o,
                     vds_comparison *out, vds_err *err);
void vds_comparison_clear(vds_comparison *c);
