/* Scenarios: one YAML file per case, validated into steps that keep their
 * file:line:col. The vocabulary of messages and fields is the codec's.
 *
 *   id: monitors/one-head
 *   requirement: the agent applies one monitor and replies success
 *   client-caps: [mouse-state, monitors-config, ...]   # default: spice-gtk's
 *   ignore: [clipboard-release]                         # unsolicited noise
 *   repeat: 1
 *   steps:
 *     - send:   {msg: monitors-config, monitors: [{w: 1024, h: 768}]}
 *     - expect: {msg: reply, type: monitors-config, error: success, within: 500ms}
 *     - guest:  {screen: [1024x768+0+0], within: 3s}
 */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "target/guest.h"
#include "target/target.h"

typedef enum vds_step_kind {
    VDS_STEP_SEND,          /* send: a message to the agent */
    VDS_STEP_EXPECT,        /* expect: a message from the agent within a window */
    VDS_STEP_NOT,           /* not: a message must not come within a window */
    VDS_STEP_ANY_ORDER,     /* any-order: several expects, in any order */
    VDS_STEP_GUEST,         /* guest: a guest-side effect holds within a window */
    VDS_STEP_GUEST_COPY,    /* guest-copy: the guest puts text on a selection */
    VDS_STEP_RAW,           /* raw: bytes written to the port as they are */
    VDS_STEP_GUEST_PASTE,   /* guest-paste: the guest starts reading a selection */
    VDS_STEP_GUEST_RELEASE, /* guest-release: the guest's selection owner goes away */
    VDS_STEP_CLIENT,        /* client: an action of the SPICE client (client targets) */
    VDS_STEP_GUEST_AGENT,   /* guest-agent: stop | continue the agent's daemon */
    VDS_STEP_KIND_COUNT
} vds_step_kind;

typedef enum vds_guest_kind {
    VDS_GUEST_INPUT,     /* events written to the agent's input device */
    VDS_GUEST_SCREEN,    /* the X screen's monitor layout */
    VDS_GUEST_CLIPBOARD, /* the content of an X selection, read now */
    VDS_GUEST_PASTED,    /* what the last guest-paste got */
} vds_guest_kind;

typedef struct vds_step vds_step;

/* send, expect, not (and any-order's expects) */
typedef struct vds_step_msg {
    uint32_t type;
    JsonObject *fields;  /* send: fields to build; expect/not: fields that must match */
    uint32_t port;       /* send: chunk port */
    bool port_given;     /* send: the scenario chose it (else: by message) */
    GBytes *payload;     /* send: data from payload-file */
    char *payload_file;  /* send: payload-file as written */
    bool optional;       /* expect */
    GHashTable *capture; /* expect: variable -> field name (strings) */
} vds_step_msg;

typedef struct vds_step_guest {
    vds_guest_kind what;
    GArray *events;    /* input: vds_input_event */
    GArray *rects;     /* screen: vds_rect */
    GBytes *text;      /* clipboard, pasted: what must be there (pasted: NULL = nothing) */
    char *text_file;   /* pasted-file as written */
    uint8_t selection; /* clipboard */
} vds_step_guest;

typedef struct vds_step_copy {
    GBytes *text; /* text, or NULL with a file */
    char *file;   /* payload-file as written */
    char *path;   /* ... resolved (not loaded: streamed when the step runs) */
    uint8_t selection;
} vds_step_copy;

typedef struct vds_step_raw {
    GBytes *bytes;
    uint32_t port; /* with chunk */
    bool chunk;    /* wrap the bytes in one chunk on port */
    bool port_given;
} vds_step_raw;

typedef struct vds_step_client {
    vds_client_action a; /* body borrowed from body */
    GBytes *body;        /* raw: the message body */
    JsonNode *spec;      /* raw: the action as written, for fmt */
} vds_step_client;

struct vds_step {
    vds_step_kind kind;
    unsigned index; /* 1-based position in steps */
    unsigned line, col;
    uint64_t within_ns; /* expect, not, guest, client closed: the window */
    bool within_given;  /* the scenario wrote it (else the default) */
    union {
        vds_step_msg msg;     /* send, expect, not */
        GPtrArray *any;       /* any-order: vds_step* (expects) */
        vds_step_guest guest; /* guest */
        vds_step_copy copy;   /* guest-copy */
        uint8_t selection;    /* guest-paste, guest-release */
        vds_step_raw raw;     /* raw */
        vds_step_client client;
        bool agent_stop; /* guest-agent: stop (true) or continue */
    } u;
};

/* known-bug: a scenario asserts correct behaviour; an agent known to get it
 * wrong is named by a version range. Where the range holds, a failure is an
 * expected one (XFAIL) and a pass says the mark is out of date (XPASS). */
typedef struct vds_known_bug {
    char *agent; /* a version range (core/version.h): "< 0.23.0", ">= 0.22.1" */
    char *ref;   /* upstream: a merge request, a commit, a source line */
    char *why;   /* what the agent does wrong, in a sentence */
} vds_known_bug;

typedef struct vds_scenario {
    char *file;
    char *id;
    char *requirement;
    /* targets: an override of what the needs decide, with its reason */
    GPtrArray *targets; /* char*: kind names; empty: no override */
    char *targets_why;
    unsigned needs_given; /* needs: what steps cannot show (VDS_CAP_*) */
    unsigned needs;       /* needs_given and what the steps need */
    uint32_t client_caps;
    /* field-agent-caps: what the agent of an imported session announced; a
       run notes when the agent here announces others */
    uint32_t field_agent_caps;
    bool has_field_agent_caps;
    GArray *ignore; /* uint32_t message types */
    /* differential: to-agent message types a server may legitimately add,
       drop or change (uint32_t), and why; what --target A,B does not diff */
    GArray *diff_ignore;
    char *diff_why;
    unsigned repeat;
    bool breaks_agent;     /* agent-after: broken (a known agent bug leaves it unusable) */
    GPtrArray *known_bugs; /* vds_known_bug*: known-bug marks, in file order */
    GPtrArray *steps;      /* vds_step* */
} vds_scenario;

/* The mark whose range holds for version (borrowed), or NULL. An unknown
 * version ("unknown" or NULL) matches the first mark: the run cannot tell,
 * and the result says so. */
const vds_known_bug *vds_scenario_known_bug(const vds_scenario *s, const char *version);

/* Why the scenario does not run on t (new string), or NULL when it does:
 * its targets: override leaves t's kind out, or t lacks a need. */
char *vds_scenario_not_for(const vds_scenario *s, const vds_target *t);

/* What a step needs of a target (VDS_CAP_*). */
unsigned vds_step_needs(const vds_step *st);

/* Write s in canonical form (new string): what `vdsim fmt` prints. Parsing
 * it gives the same scenario; writing that again gives the same text. */
char *vds_scenario_write(const vds_scenario *s);

/* The step's key in scenario files ("send", "guest-paste"); borrowed. */
const char *vds_step_kind_name(vds_step_kind kind);
/* A client step's action as scenario files name it ("mouse-mode"); borrowed. */
const char *vds_client_kind_name(vds_client_kind kind);

#define VDS_SCENARIO_MAX (16u << 20) /* a scenario file */
#define VDS_ID_MAX       128         /* a scenario id: it names files */

/* Is id a scenario id: '/'-separated segments of letters, digits, '-' and
 * '.', each starting with a letter or digit, at most VDS_ID_MAX long? Ids
 * make file names (traces, goldens), so this keeps them under their
 * directory and the id -> file name mapping one to one. why gets the reason. */
bool vds_scenario_id_ok(const char *id, char *why, size_t why_size);
/* No two scenarios (borrowed) share an id: -1 with err naming both files. */
int vds_scenarios_unique(GPtrArray *scenarios, vds_err *err);
#define VDS_PAYLOAD_MAX (256u << 20) /* a payload file (as large as a message may be) */

/* Load and validate a scenario file. Returns a new scenario (free with
 * vds_scenario_free) or NULL with a "file:line:col: message" error. Send
 * steps are built once here, so field errors surface without an agent. */
vds_scenario *vds_scenario_load(const char *path, vds_err *err);
vds_scenario *vds_scenario_parse(const char *file, const char *text, size_t len, vds_err *err);
void vds_scenario_free(vds_scenario *s);

/* Collect scenario files: files as given, directories searched for *.yaml in
 * sorted order. Returns a new array of paths (g_free'd elements). */
GPtrArray *vds_scenario_collect(char **args, vds_err *err);

/* "500ms", "2s", "1.5s", "250us" -> ns. */
bool vds_duration_parse(const char *s, uint64_t *ns);
/* "abs-x 1290", "btn-left 1", "wheel -1", "syn". */
bool vds_input_event_parse(const char *s, vds_input_event *ev);
/* The same back as text (into buf). */
const char *vds_input_event_fmt(const vds_input_event *ev, char *buf, size_t size);
