/* Reading a run's summary.json back (vdsim compare, vdsim report). */
#pragma once

#include <json-glib/json-glib.h>

#include "core/error.h"

/* The longest summary.json read back. */
#define VDS_SUMMARY_MAX (256u << 20)

/* DIR/summary.json, checked to be a vdsim summary: an object with a
 * 'scenarios' array of objects that each have a string 'id'. Returns its
 * root (new node; json_node_unref), or NULL with err located at the file. */
JsonNode *vds_summary_load(const char *dir, vds_err *err);

/* o's member key when it is a string, else dflt (borrowed from o). */
const char *vds_json_str(JsonObject *o, const char *key, const char *dflt);
