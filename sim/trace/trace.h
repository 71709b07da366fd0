/* Traces: JSON Lines, a versioned header line, then one event per line.
 *
 *   {"vdsim-trace":1,"tool":"vdsim 0.1.0","source":...,"target":...,"caps":{...},...}
 *   {"t":1234,"kind":"agent","dir":"from-agent","port":1,"type":"reply",...,
 *    "fields":{...},"raw":"0100..."}
 *
 * The event objects built here are also what --verbose and failure messages
 * print (vds_trace_event_text), so the three never disagree. */
#pragma once

#include <json-glib/json-glib.h>
#include <stdint.h>
#include <stdio.h>

#include "core/error.h"
#include "proto/agent-chunk.h"
#include "proto/agent.h"
#include "proto/spice.h"

#define VDS_TRACE_VERSION   1
#define VDS_TRACE_RAW_MAX   4096       /* raw bytes above this become {len, sha256} */
#define VDS_TRACE_MAX_LINE  (4u << 20) /* a longer line is an error, not a hang */
#define VDS_TRACE_MAX_DEPTH 64         /* deeper JSON is refused before json-glib sees it */

typedef struct vds_trace_info {
    const char *source;        /* what produced it: "decode:FILE", a scenario id */
    const char *target;        /* "local", "spice://...", or NULL */
    const char *port_writer;   /* who wrote to the agent's port: "vdsim", "spice-server", NULL */
    const char *agent_version; /* when known, else NULL */
    uint32_t host_caps;        /* caps deciding layouts of from-agent messages */
    uint32_t agent_caps;       /* caps deciding layouts of to-agent messages */
} vds_trace_info;

/* Returns a new header object (json_node_unref). */
JsonNode *vds_trace_header_new(const vds_trace_info *info);

/* Build the event for one reassembled agent message: decoded fields, the
 * verdicts of both references when not ok, raw bytes. *malformed is set when
 * spice-common rejects it. Returns a new node (json_node_unref). */
JsonNode *vds_trace_agent_event(uint64_t t_ns, vds_dir dir, const vds_chunk_msg *cm, uint32_t caps,
                                bool *malformed);
/* One SPICE message (main, inputs, common) with its fields; AGENT_DATA
 * bodies stay raw (their agent messages are events of their own). New node. */
JsonNode *vds_trace_spice_event(uint64_t t_ns, vds_spice_side side, uint8_t channel, uint16_t type,
                                const uint8_t *body, size_t len);
/* A SPICE channel that ended (kind "spice", type "closed"), with the reason
 * the client saw, or none when it closed in order. Returns a new node. */
JsonNode *vds_trace_spice_closed_event(uint64_t t_ns, uint8_t channel, const vds_err *e);
/* A message the embedded spice-server logged (kind "spice", type "log",
 * level and message). Returns a new node. */
JsonNode *vds_trace_server_log_event(uint64_t t_ns, GLogLevelFlags level, const char *message);
/* A framing error at a stream offset. Returns a new node. */
JsonNode *vds_trace_error_event(uint64_t t_ns, vds_dir dir, const vds_err *e);

/* Bytes as a trace value: a string when they are UTF-8 text without NUL,
 * else {"hex": "..."}, so any bytes round-trip through a trace (as agent
 * events' data fields do). New node. */
JsonNode *vds_trace_bytes_node(const uint8_t *p, size_t n);
/* The same for a message: the text, or "hex:..." (new string). */
char *vds_bytes_text(const uint8_t *p, size_t n);

/* One event as a human line (new string, g_free). */
char *vds_trace_event_text(JsonObject *event);

typedef struct vds_trace_writer vds_trace_writer;

/* Open path ("-" = stdout) and write the header. Each event is flushed as
 * written, so an interrupted run still leaves its trace. Free with _close. */
vds_trace_writer *vds_trace_writer_open(const char *path, const vds_trace_info *info, vds_err *err);
int vds_trace_writer_add(vds_trace_writer *w, JsonNode *event, vds_err *err);
/* Close and free; -1 if a write failed at any point. Accepts NULL. */
int vds_trace_writer_close(vds_trace_writer *w, vds_err *err);

/* --- reading ---------------------------------------------------------- */

typedef struct vds_trace_reader vds_trace_reader;

typedef struct vds_trace_line {
    size_t lineno;     /* 1-based line in the file */
    const char *text;  /* the line as read; borrowed until the next call */
    JsonObject *event; /* borrowed until the next call */
} vds_trace_line;

/* Does the file at path begin as a vdsim trace does (its header's first
 * member)? Only a sniff: what to hand it to, a trace reader or libpcap. */
bool vds_trace_file_sniff(const char *path);
/* Open and validate the header. Errors are located "name:line:col". */
vds_trace_reader *vds_trace_reader_open(const char *path, vds_err *err);
/* The same over bytes in memory (copied); name is used in error locations. */
vds_trace_reader *vds_trace_reader_new_from_data(const char *name, const char *data, size_t len,
                                                 vds_err *err);
void vds_trace_reader_free(vds_trace_reader *r);
const char *vds_trace_reader_name(const vds_trace_reader *r);
/* The header object, borrowed. */
JsonObject *vds_trace_reader_header(vds_trace_reader *r);
/* 1 and fills line, 0 at the end, -1 with a located error. */
int vds_trace_reader_next(vds_trace_reader *r, vds_trace_line *line, vds_err *err);

/* --- comparison -------------------------------------------------------- */

typedef struct vds_compare_opts {
    bool check_time;
    uint64_t tol_floor_ns; /* a gap may differ by max(floor, pct% of the golden gap) */
    unsigned tol_pct;
    /* compare messages, not how they were cut: "chunks" differs between
       the port (one chunk per agent write) and a SPICE client (AGENT_DATA
       pieces), so a golden from one target compared on another skips it */
    bool ignore_framing;
    /* Which events take part. false: a golden comparison (agent, note and
       framing events; SPICE and port views are skipped). true: a
       differential one, only what the agent received after setup (step > 0):
       "agent" events to the agent in a trace whose header says vdsim wrote
       the port ("port-writer"), the server's "port" events in any other. */
    bool received_only;
    const char *const *ignore_types; /* with received_only: message names to skip, NULL-ended */
    const char *label_a, *label_b;   /* how differences name them: NULL = "", "golden" */
} vds_compare_opts;

extern const vds_compare_opts vds_compare_defaults;

typedef struct vds_diff {
    size_t line_a, line_b; /* 0 when that side had no event there */
    char *text_a, *text_b; /* owned; the lines; NULL at end of trace */
    char what[512];        /* "fields.monitors[1].w: 1024 != 1280" */
} vds_diff;

void vds_diff_clear(vds_diff *d);

/* Remove volatile members (times, serials, ids, opaque, raw when decoded) from
 * a copy of event. Returns a new node. */
JsonNode *vds_trace_normalise(JsonObject *event);

/* How golden checks time an event: a stimulus (a message to the agent, a
 * note of a guest action, which has no "observed" member), a reply (a
 * message from the agent, timed from the last stimulus), or neither (the
 * harness's pacing, guest observations, wire events). */
typedef enum vds_event_role { VDS_EV_OTHER, VDS_EV_STIMULUS, VDS_EV_REPLY } vds_event_role;
vds_event_role vds_trace_event_role(JsonObject *event);

/* Compare trace a against golden b event by event. 0 equal, 1 different (d
 * filled with the first difference), -1 error reading either. */
int vds_trace_compare(vds_trace_reader *a, vds_trace_reader *b, const vds_compare_opts *o,
                      vds_diff *d, vds_err *err);
