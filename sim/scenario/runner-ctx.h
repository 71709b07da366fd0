/* What the runner's parts share (inside the scenario layer): the state of a
 * run, recording into traces, failing a step, and the one wait. */
#pragma once

#include "scenario/await.h"
#include "scenario/runner.h"
#include "scenario/step.h"
#include "target/target.h"
#include "trace/trace.h"

struct vds_runner {
    const vds_run_opts *o;
    vds_target *t;
    GMainContext *ctx;
    vds_run_result *run;
    vds_trace_writer *run_trace;
    vds_trace_writer *trace; /* this scenario's */
    GQueue wire;             /* JsonNode*: target wire events not yet written, clock ns */
    const vds_scenario *s;
    vds_scenario_result *res;
    uint64_t t0, run_t0;
    uint64_t stim_t; /* clock of the last stimulus (a send, a guest action); 0: none yet */
    uint32_t agent_caps;
    uint32_t serial[2];
    GHashTable *vars; /* name -> JsonNode */
    guint input_pos;
    unsigned step;
    bool stack_broken;   /* the agent stopped answering: restart before reuse */
    goffset log_from[2]; /* the agents' logs' sizes when this scenario began */
};

/* --- record.c: traces ----------------------------------------------------- */

/* Time since the scenario's start. */
uint64_t vds_runner_rel(vds_runner *r, uint64_t t);
/* Write ev (borrowed) after the wire events older than it. */
void vds_runner_record(vds_runner *r, JsonNode *ev);
/* A note; without detail (borrowed) it is a stimulus. */
void vds_runner_note(vds_runner *r, const char *what, JsonNode *detail);
/* A step begins (failed NULL; rep counts repetitions from 0, written when
 * not 0), or failed, saying how: a "step" event, which the report draws and
 * comparisons leave out. */
void vds_runner_step_event(vds_runner *r, const vds_step *st, unsigned rep, const char *failed);
/* The trace event of a received message (new node). */
JsonNode *vds_runner_rx_event(vds_runner *r, const vds_rx *rx);
/* The target's observe callback (user: the runner). */
void vds_runner_on_wire(void *user, JsonNode *ev);
/* Write every wire event up to upto (scenario time). */
void vds_runner_flush_wire(vds_runner *r, uint64_t upto);

/* --- runner.c ----------------------------------------------------------------- */

/* Fail st with a located message (the first failure of the scenario is
 * kept). Returns -1. */
int vds_step_fail(vds_runner *r, const vds_step *st, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* Fail st for why the wait ended (dead or interrupted). Returns -1. */
int vds_step_fail_await(vds_runner *r, const vds_step *st, vds_await_status why);
/* vds_await with the run's interrupt flag. */
vds_await_status vds_runner_await(vds_runner *r, uint64_t deadline, uint64_t poll_ns,
                                  bool (*check)(void *), void *user);
bool vds_runner_interrupted(const vds_runner *r);

/* --- golden.c ------------------------------------------------------------------ */

/* Compare (or with update_golden write) the scenario's golden. */
void vds_golden_check(vds_runner *r, vds_scenario_result *res);
/* The agents' log tails into res->logs and REPORT/logs/. */
void vds_copy_logs(vds_runner *r, vds_scenario_result *res);
/* Where the agents' logs stand as a scenario begins, and the last complaint
   they logged since, into res->agent_said. */
void vds_logs_mark(vds_runner *r);
void vds_logs_complaint(vds_runner *r, vds_scenario_result *res);
/* REPORT/traces/<id>.jsonl, ... (new string). */
char *vds_report_path(const char *dir, const char *sub, const char *id, const char *ext);
/* The same for the scenario's current run: <id>.run<K><ext> when a scenario
 * runs more than once (new string). */
char *vds_runner_result_path(vds_runner *r, const char *sub, const char *ext);
