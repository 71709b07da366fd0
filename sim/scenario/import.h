/* Importing what happened in the field (a capture's SPICE session, or any
 * vdsim trace) as a scenario that replays it by meaning: the client's
 * messages become sends, the agent's answers expectations with windows from
 * the field's gaps, what the guest's user did becomes guest steps, and what
 * the field agent never answered a `not`. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "core/error.h"

/* Data a replay sends that the scenario names by file (payload-file). */
typedef struct vds_import_payload {
    char *name;   /* as the scenario names it: under vds_import_info.payload_dir */
    GBytes *data; /* the bytes the file must hold */
} vds_import_payload;

void vds_import_payload_free(vds_import_payload *p);

typedef struct vds_import_info {
    const char *source;  /* the capture or trace, as the user named it */
    const char *id;      /* the scenario's id (made from the file name when NULL) */
    unsigned session;    /* which session of the capture (comments) */
    const char *via;     /* how SPICE went when not straight ("over WebSocket"), for comments */
    GPtrArray *left_out; /* char*: what the import did not take, for the header comment */
    /* JsonObject* (an event) -> GBytes*: data its event knows by digest
       only (borrowed, may be NULL: such data becomes a placeholder) */
    GHashTable *payloads;
    /* where the scenario says payload files are (relative to the scenario
       or absolute); NULL: no files, placeholders */
    const char *payload_dir;
    /* out (vds_import_payload*, the caller's array): the files the scenario
       names, for the caller to write before the scenario is read */
    GPtrArray *payload_files;
} vds_import_info;

/* The scenario (YAML text, new string) for events (JsonObject*, borrowed:
 * trace events in time order, each with "frame" when they come from a
 * capture). NULL with err when there is nothing to replay. */
char *vds_import_scenario(GPtrArray *events, const vds_import_info *info, vds_err *err);

/* An id made from a file name: "import/" + its base name, lower case, what an
 * id cannot hold turned into '-' (new string). */
char *vds_import_id_for(const char *path);
