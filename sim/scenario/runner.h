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

void vds_latency_free(vds_latency *l);

typedef struct vds_scenario_result {
    const vds_scenario *s; /* borrowed from the run's scenarios */
    vds_status status;
    char *failure; /* located; the reason when skipped */
    unsigned steps_run;
    unsigned failed_step; /* the step that failed (1-based), 0 none or not a step */
    uint64_t wall_ns;
    uint64_t setup_ns;    /* the new client session: link to agent answer */
    GPtrArray *latencies; /* vds_latency* */
    char *trace_path;     /* its trace, or NULL (of many runs, only the first and failing) */
    char *golden_path;    /* the golden it was compared with, or NULL */
    char *log_path;       /* REPORT/logs/ID.log when the agents' logs were kept, or NULL */
    char *logs;           /* agent log tails on failure, or NULL */
    char *agent_said;     /* the last line the agents logged in this scenario that reads as
                             a complaint (invalid, error, dropping, ...), or NULL */
    GPtrArray *notes;     /* char*: what a reader should know (the agent here differs) */
    const vds_known_bug *known_bug; /* borrowed from s: the mark that held (XFAIL, XPASS) */
    unsigned run_no;                /* which run of its scenario (1-based; --repeat-run) */
    bool last_run;                  /* its scenario's last run in this run */
} vds_scenario_result;

typedef struct vds_run_result {
    char *target;        /* as given */
    char *target_kind;   /* the registry's name */
    char *target_info;   /* one line about it, or NULL */
    char *agent;         /* the agent under test, once the target said (or NULL) */
    char *agent_version; /* its version alone, or NULL */
    GPtrArray *results;  /* vds_scenario_result*, in run order */
    unsigned total;      /* scenarios asked for */
    unsigned started;    /* scenarios begun (fewer than total when interrupted or stopped) */
    unsigned repeat_run; /* runs asked for per scenario (1: once) */
    bool until_fail;     /* the run stops at the first failure */
    bool stopped;        /* and did: the scenarios after it were not run */
    bool interrupted;
    uint64_t interrupted_ns; /* when, since the run's start */
    GPtrArray *scenarios;    /* borrowed: all asked for, the ones not run after results */
    char *lost;              /* the first result that could not be kept (path: errno), or NULL */
    char *verdict;           /* a replay's: reproduced, not reproduced, inconclusive; or NULL */
    char *verdict_detail;    /* its words */
    uint64_t wall_ns;
    gint64 started_unix_us; /* wall clock at the start */
    int64_t peak_rss_kib;   /* vdsim's own VmHWM at the end, -1 unknown */
    bool strict;            /* an XPASS fails the run */
} vds_run_result;

void vds_run_result_free(vds_run_result *r);
/* Does this result leave the run green? PASS, SKIP, XFAIL, and XPASS unless
 * the run is strict. */
bool vds_result_ok(const vds_run_result *run, const vds_scenario_result *res);

/* The runs of one scenario under --repeat-run, and what they say about it. */
typedef struct vds_result_group {
    const vds_scenario *s;            /* borrowed */
    GPtrArray *runs;                  /* vds_scenario_result*, borrowed from the run, in order */
    vds_status status;                /* the worst: error, fail, xpass, xfail, pass, skip */
    const vds_scenario_result *first; /* borrowed: the first run with that status */
    unsigned passed;         /* runs where the agent did what the scenario says (pass, xpass) */
    unsigned judged;         /* runs that were not skipped */
    double rate_lo, rate_hi; /* Wilson 95 % interval of passed/judged */
    bool flaky;              /* both outcomes occurred */
} vds_result_group;

/* The results grouped by scenario, in run order (free with g_ptr_array_unref). */
GPtrArray *vds_result_groups(const vds_run_result *r);
/* The group of the last result: the scenario just run (free with
 * vds_result_group_free); NULL when there are no results. */
vds_result_group *vds_result_group_last(const vds_run_result *r);
void vds_result_group_free(vds_result_group *g);
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
    /* a scenario's run begins (run_no 1-based); s borrowed */
    void (*begin)(void *user, const vds_run_result *run, const vds_scenario *s, unsigned run_no);
    /* one scenario done; res borrowed */
    void (*scenario)(void *user, const vds_run_result *run, const vds_scenario_result *res);
    /* every trace event as it is recorded (verbose runs) */
    void (*event)(void *user, JsonObject *ev);
    /* a line worth saying: a golden updated, a trace that could not be written */
    void (*notice)(void *user, const char *text);
    void *user;
} vds_run_observer;

/* --until-fail without --repeat-run: at most this many runs of a scenario. */
#define VDS_UNTIL_FAIL_MAX 1000

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
    unsigned repeat_run;            /* run each scenario N times as fresh sessions (0: once) */
    bool until_fail;                /* stop the whole run at the first failing run */
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
