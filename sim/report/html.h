/* The HTML report: one self-contained page (styles, script and data inline,
 * nothing fetched) drawn from a run's summary.json and the traces it names,
 * or from a single trace. The page shows the summary, the failures with the
 * agents' log lines around them, a ladder diagram per scenario and the
 * latency distributions; docs/report.md says what it shows. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "core/error.h"

/* The page of a run: REPORT_DIR/summary.json and its traces, logs and
 * goldens, written to out_path (links to traces are relative to it when
 * they are under its directory). 0, or -1 with err located at the file that
 * could not be read or written; a trace that cannot be read is said on the
 * page, not an error. */
int vds_report_html_run(const char *report_dir, const char *out_path, vds_err *err);

/* The page of one trace (a capture's import, an old run's trace), its
 * replies timed from the stimulus before each. 0, or -1 with err (the trace's
 * header is unreadable, or out_path cannot be written). */
int vds_report_html_trace(const char *trace_path, const char *out_path, vds_err *err);

/* The page of events in memory (JsonObject*, borrowed; a capture's session)
 * under a trace header (borrowed: its source, target and port-writer name
 * the lanes), titled name. 0, or -1 with err when out_path cannot be
 * written. */
int vds_report_html_events(const char *name, JsonObject *header, GPtrArray *events,
                           const char *out_path, vds_err *err);

/* The page of a differential run (vdsim run --target A,B): REPORT_DIR/
 * differential.json, scenario by scenario, linking each target's own page
 * (REPORT_DIR/TARGET/index.html). 0, or -1 with err. */
int vds_report_html_differential(const char *report_dir, const char *out_path, vds_err *err);
