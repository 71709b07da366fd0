/* The table of step kinds (inside the scenario layer): one descriptor per
 * kind with its key, how its body is parsed, run, written back and what it
 * needs of a target. Adding a step kind is a row here plus its functions. */
#pragma once

#include <glib.h>

#include "core/error.h"
#include "core/names.h"
#include "scenario/scenario.h"
#include "scenario/yaml-tree.h"

/* Parsing a scenario file (scenario.c). */
typedef struct vds_parse_ctx {
    vds_ydoc *doc;
    vds_scenario *s;
    GHashTable *vars; /* variables captured so far */
    vds_err *err;
} vds_parse_ctx;

typedef struct vds_runner vds_runner; /* runner.c */

typedef struct vds_step_desc {
    vds_step_kind kind;
    const char *key; /* "send": the step's key in scenario files */
    bool map_body;   /* the body must be a mapping (else any node) */
    /* Fill st's payload from body; -1 with a located error in c->err. */
    int (*parse)(vds_parse_ctx *c, const vds_ynode *body, vds_step *st);
    /* Run it; start is when the step began (clock ns). -1: failed (located). */
    int (*run)(vds_runner *r, const vds_step *st, uint64_t start);
    /* What it needs of a target (VDS_CAP_*); NULL: nothing. */
    unsigned (*needs)(const vds_step *st);
    /* Its body in canonical YAML flow form (what follows "key: "). */
    void (*write)(GString *out, const vds_step *st);
    /* Free the payload. */
    void (*clear)(vds_step *st);
} vds_step_desc;

/* Indexed by vds_step_kind. */
extern const vds_step_desc vds_step_table[VDS_STEP_KIND_COUNT];
/* The steps' keys as a names table (suggestions), made from the table. */
const vds_names *vds_step_key_names(void);

/* The descriptor for a key, NULL when there is none. */
const vds_step_desc *vds_step_desc_for(const char *key);
/* "send, expect, ...": every key, from the table (new string). */
char *vds_step_keys_text(void);
/* Free a step and its payload. Accepts NULL. */
void vds_step_free(vds_step *st);

/* The parsers (scenario.c). */
int vds_parse_send(vds_parse_ctx *c, const vds_ynode *body, vds_step *st);
int vds_parse_expect(vds_parse_ctx *c, const vds_ynode *body, vds_step *st);
int vds_parse_not(vds_parse_ctx *c, const vds_ynode *body, vds_step *st);
int vds_parse_any_order(vds_parse_ctx *c, const vds_ynode *body, vds_step *st);
int vds_parse_guest(vds_parse_ctx *c, const vds_ynode *body, vds_step *st);
int vds_parse_guest_copy(vds_parse_ctx *c, const vds_ynode *body, vds_step *st);
int vds_parse_raw(vds_parse_ctx *c, const vds_ynode *body, vds_step *st);
int vds_parse_selection_step(vds_parse_ctx *c, const vds_ynode *body, vds_step *st);
int vds_parse_client(vds_parse_ctx *c, const vds_ynode *body, vds_step *st);
int vds_parse_guest_agent(vds_parse_ctx *c, const vds_ynode *body, vds_step *st);

/* The runners (step-agent.c, step-guest.c, step-client.c). */
int vds_run_send(vds_runner *r, const vds_step *st, uint64_t start);
int vds_run_expect(vds_runner *r, const vds_step *st, uint64_t start);
int vds_run_not(vds_runner *r, const vds_step *st, uint64_t start);
int vds_run_any_order(vds_runner *r, const vds_step *st, uint64_t start);
int vds_run_raw(vds_runner *r, const vds_step *st, uint64_t start);
int vds_run_guest(vds_runner *r, const vds_step *st, uint64_t start);
int vds_run_guest_copy(vds_runner *r, const vds_step *st, uint64_t start);
int vds_run_guest_paste(vds_runner *r, const vds_step *st, uint64_t start);
int vds_run_guest_release(vds_runner *r, const vds_step *st, uint64_t start);
int vds_run_client(vds_runner *r, const vds_step *st, uint64_t start);
int vds_run_guest_agent(vds_runner *r, const vds_step *st, uint64_t start);

/* YAML flow values as fmt writes them (write.c): a string plain when it reads
 * back the same, else double-quoted; any JSON value; a duration in its
 * largest whole unit. */
void vds_yaml_put_string(GString *out, const char *s);
/* s with what a YAML stream may not hold, and line breaks, as \xNN or
   \uNNNN: for a comment (new string). */
char *vds_yaml_printable(const char *s);
void vds_yaml_put_json(GString *out, JsonNode *n);
void vds_yaml_put_duration(GString *out, uint64_t ns);

/* The writers (write.c). */
void vds_write_send(GString *out, const vds_step *st);
void vds_write_expect(GString *out, const vds_step *st);
void vds_write_not(GString *out, const vds_step *st);
void vds_write_any_order(GString *out, const vds_step *st);
void vds_write_guest(GString *out, const vds_step *st);
void vds_write_guest_copy(GString *out, const vds_step *st);
void vds_write_raw(GString *out, const vds_step *st);
void vds_write_selection_step(GString *out, const vds_step *st);
void vds_write_client(GString *out, const vds_step *st);
void vds_write_guest_agent(GString *out, const vds_step *st);
