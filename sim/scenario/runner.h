/* Runs scenarios against a target and reports. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "scenario/scenario.h"

typedef struct vds_run_opts {
    const char *target;     /* "local" */
    const char *golden_dir; /* compare each scenario's trace with DIR/<id>.jsonl */
    bool update_golden;     /* write them instead */
    const char *trace_path; /* the whole run's trace, or NULL */
    const char *junit_path; /* or NULL */
    const char *report_dir; /* summary.json, per-scenario traces, logs of failures */
    unsigned repeat;        /* overrides each scenario's repeat when > 0 */
    uint64_t tol_floor_ns;
    unsigned tol_pct;
    bool fresh_agent; /* restart the stack for every scenario */
    bool verbose;     /* print every message as it goes */
} vds_run_opts;

/* Run the scenario files; returns the exit code (0 pass, 1 a scenario
 * failed, 3 infrastructure fault). Results go to stdout and opts' files. */
int vds_run(GPtrArray *scenarios, const vds_run_opts *opts);

struct vds_target;
/* The same with a target the caller made (borrowed; tests pass a fake). */
int vds_run_target(GPtrArray *scenarios, const vds_run_opts *opts, struct vds_target *t);
