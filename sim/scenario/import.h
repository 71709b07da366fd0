/* Importing what happened in the field (a capture's SPICE session, or any
 * vdsim trace) as a scenario that replays it by meaning: the client's
 * messages become sends, the agent's answers expectations with windows from
 * the field's gaps, what the guest's user did becomes guest steps, and what
 * the field agent never answered a `not`. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "core/error.h"

typedef struct vds_import_info {
    const char *source;  /* the capture or trace, as the user named it */
    const char *id;      /* the scenario's id (made from the file name when NULL) */
    unsigned session;    /* which session of the capture (comments) */
    GPtrArray *left_out; /* char*: what the import did not take, for the header comment */
} vds_import_info;

/* The scenario (YAML text, new string) for events (JsonObject*, borrowed:
 * trace events in time order, each with "frame" when they come from a
 * capture). NULL with err when there is nothing to replay. */
char *vds_import_scenario(GPtrArray *events, const vds_import_info *info, vds_err *err);

/* An id made from a file name: "import/" + its base name, lower case, what an
 * id cannot hold turned into '-' (new string). */
char *vds_import_id_for(const char *path);
