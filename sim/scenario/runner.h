/* Runs scenarios against a target and returns what happened. The runner
 * formats nothing: report/ writes the console lines, summary.json and JUnit
 * from the result, and cli/ installs the signal handlers. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "scenario/scenario.h"

typedef enum vds_status {
    VDS_PASS,
    VDS_FAIL,  /* the agent did not do what the scenario says */
    VDS_ERROR, /* infrastructure: the stack did not start, setup failed */
    VDS_SKIP,  /* not for this target (failure says why) */
    VDS_XFAIL, /* failed where a known-bug mark says this agent fails (failure keeps how) */
    VDS_XPASS, /* passed where a known-bug mark says it fails: the mark is out of date */
} vds_status;

typedef struct vds_latency {
    unsigned step;
    const char *what; /* the message's name (static) */
    GArray *ns;       /* uint64_t, one per repetition */
} vds_latency;

typedef struct vds_scenario_result {
    const vds_scenario *s; /* borrowed from the run's scenarios */
    vds_status status;
    char *failure; /* located; the reason when skipped */
    unsigned steps_run;
    uint64_t wall_ns;
    uint64_t setup_ns;    /* the new client session: link to agent answer */
    GPtrArray *latencies; /* vds_latency* */
    char *trace_path;     /* its trace, or NULL */
    char *logs;           /* agent log tails on failure, or NULL */
    char *agent_said;     /* the last line the agents logged in this scenario that reads as
                             a complaint (invalid, error, dropping, ...), or NULL */
    GPtrArray *notes;     /* char*: what a reader should know (the agent here differs) */
    const vds_known_bug *known_bug; /* borrowed from s: the mark that held (XFAIL, XPASS) */
} vds_scenario_result;

typedef struct vds_run_result {
    char *target;        /* as given */
    char *target_kind;   /* the registry's name */
    char *target_info;   /* one line about it, or NULL */
    char *agent;         /* the agent under test, once the target said (or NULL) */
    char *agent_version; /* its version alone, or NULL */
    GPtrArray *results;  /* vds_scenario_result*, in run order */
    unsigned total;      /* scenarios asked for (more than results when interrupted) */
    bool interrupted;
    uint64_t interrupted_ns; /* when, since the run's start */
    GPtrArray *scenarios;    /* borrowed: all asked for, the ones not run after results */
    char *lost;              /* the first result that could not be kept (path: errno), or NULL */
    char *verdict;           /* a replay's: reproduced, not reproduced, inconclusive; or NULL */
    char *verdict_detail;    /* its words */
    uint64_t wall_ns;
    int64_t peak_rss_kib; /* vdsim's own VmHWM at the end, -1 unknown */
    bool strict;          /* an XPASS fails the run */
} vds_run_result;

void vds_run_result_free(vds_run_result *r);
/* 0 all passed (or skipped, or failed where a known bug says so), 1 a
 * scenario failed (or, strict, passed where a known bug says it fails), 3 an infrastructure fault,
 * an interrupted run or results that could not be kept. */
int vds_run_result_exit(const vds_run_result *r);
/* Note that a result could not be kept (the first one is reported). */
void vds_run_result_lost(vds_run_result *r, const vds_err *err);
/* Counts by status. */
unsigned vds_run_result_count(const vds_run_result *r, vds_status st);

/* What the caller hears while the run goes (all may be NULL). */
typedef struct vds_run_observer {
    /* one scenario done; res borrowed */
    void (*scenario)(void *user, const vds_run_result *run, const vds_scenario_result *res);
    /* every trace event as it is recorded (verbose runs) */
    void (*event)(void *user, JsonObject *ev);
    /* a line worth saying: a golden updated, a trace that could not be written */
    void (*notice)(void *user, const char *text);
    void *user;
} vds_run_observer;

typedef struct vds_run_opts {
    const char *target;     /* "local" */
    const char *golden_dir; /* compare each scenario's trace with DIR/<id>.jsonl */
    bool update_golden;     /* write them instead */
    const char *trace_path; /* the whole run's trace, or NULL */
    const char *report_dir; /* per-scenario traces and logs of failures */
    unsigned repeat;        /* overrides each scenario's repeat when > 0 */
    uint64_t tol_floor_ns;
    unsigned tol_pct;
    bool fresh_agent;               /* restart the stack for every scenario */
    bool keep_started;              /* leave the target running at the end (runs in a row) */
    bool strict;                    /* XPASS (a known bug that no longer holds) fails the run */
    const volatile bool *interrupt; /* set (by cli's signal handler) to stop; may be NULL */
    vds_run_observer observer;
} vds_run_opts;

/* Run the scenarios (borrowed) on a new target made from opts->target.
 * Returns the result (free with vds_run_result_free), or NULL with err when
 * the target cannot be made (err->code VDS_ERR_USAGE for a bad name). */
vds_run_result *vds_run(GPtrArray *scenarios, const vds_run_opts *opts, vds_err *err);

struct vds_target;
/* The same with a target the caller made (borrowed; tests pass a fake). */
vds_run_result *vds_run_target(GPtrArray *scenarios, const vds_run_opts *opts,
                               struct vds_target *t);
