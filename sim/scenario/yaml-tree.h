/* YAML documents as a tree whose every node keeps its file:line:col. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>

#include "core/error.h"

typedef enum vds_ynode_kind {
    VDS_Y_SCALAR,
    VDS_Y_SEQ,
    VDS_Y_MAP,
} vds_ynode_kind;

typedef struct vds_ynode vds_ynode;
struct vds_ynode {
    vds_ynode_kind kind;
    unsigned line, col; /* 1-based */
    char *value;        /* scalar text */
    bool quoted;        /* scalar was quoted: always a string */
    GPtrArray *items;   /* seq: vds_ynode*; map: alternating key, value nodes */
};

typedef struct vds_ydoc {
    char *file;
    vds_ynode *root;
} vds_ydoc;

/* Parse one YAML document from text (file names it in errors). Returns a new
 * document (free with vds_ydoc_free) or NULL with "file:line:col: ..." in err.
 * Aliases are refused; the input is bounded by the caller. */
vds_ydoc *vds_ydoc_parse(const char *file, const char *text, size_t len, vds_err *err);
void vds_ydoc_free(vds_ydoc *doc);

/* The value for key in a map node, or NULL. Borrowed. */
vds_ynode *vds_ynode_get(const vds_ynode *map, const char *key);
/* Set err to "file:line:col: message" at node. Returns -1. */
int vds_ynode_error(const vds_ydoc *doc, const vds_ynode *node, vds_err *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Convert to JSON: plain scalars that look like integers become numbers,
 * true/false booleans, null/~ null; quoted scalars stay strings. New node. */
JsonNode *vds_ynode_to_json(const vds_ynode *node);
