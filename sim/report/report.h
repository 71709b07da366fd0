/* Reports of a run: the console lines, summary.json and JUnit XML, all
 * written from the runner's vds_run_result. */
#pragma once

#include <stdio.h>

#include "scenario/runner.h"

/* An observer that prints one line per scenario to out (borrowed), the
 * target's line after the first, verbose event lines when verbose, and
 * notices. */
vds_run_observer vds_report_console(FILE *out, bool verbose);

/* The closing lines: counts, what was not run, where the results are. */
void vds_report_console_totals(FILE *out, const vds_run_result *r, const char *report_dir,
                               const char *junit_path);

/* DIR/summary.json. -1 with err when it cannot be written. */
int vds_report_summary(const vds_run_result *r, const char *report_dir, vds_err *err);
/* JUnit XML at path. -1 with err when it cannot be written. */
int vds_report_junit(const vds_run_result *r, const char *path, vds_err *err);
