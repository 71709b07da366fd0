/* The differential check of `vdsim run --target A,B`: after one run per
 * target, what the agent received on A against what it received on B,
 * scenario by scenario. On local vdsim wrote those messages to the port
 * itself; on local-server spice-server did, from what vdsim's client sent,
 * so a difference is something the server added, dropped or changed. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "core/error.h"
#include "scenario/scenario.h"

/* Targets whose traces show what the agent received. */
bool vds_differential_target_ok(const char *target);

/* A report directory name for target under base (new string). */
char *vds_differential_report_dir(const char *base, const char *target);

/* Compare the runs in report_dirs[i] (each with its summary.json and traces,
 * for targets[i]) against the first, for each of scenarios (borrowed) that
 * ran on both: received messages after setup, minus the scenario's
 * differential ignore list. Prints one line per scenario and pair, and
 * writes out_dir/differential.json. Returns 0 when all agree, 1 when some
 * differ, -1 with err when a summary or trace cannot be read. */
int vds_differential(GPtrArray *scenarios, const char *const *targets,
                     const char *const *report_dirs, guint n, const char *out_dir, vds_err *err);
