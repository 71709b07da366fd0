/* Matching received messages against expectations, and ${var} captures.
 * Pure functions over JSON trees: no target, no clock, no output. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>
#include <stdbool.h>

/* Does got hold everything want says? Objects match member by member (got
 * may have more), arrays element by element, except that two lists of
 * names (strings) compare as sets. want and got borrowed; got may be NULL. */
bool vds_match_json(JsonNode *want, JsonNode *got);

/* A copy of n where every string that is exactly "${name}" is replaced by
 * vars' value for name (GHashTable of char* -> JsonNode*, borrowed); names
 * not in vars stay as they are. Returns a new node. */
JsonNode *vds_match_subst(JsonNode *n, GHashTable *vars);

/* vds_match_subst over an object's members (borrowed); new node. */
JsonNode *vds_match_subst_object(JsonObject *fields, GHashTable *vars);

/* Store the captured fields: for each variable -> field name in capture
 * (char* -> char*, borrowed), got's member (an object node, borrowed) is
 * copied into vars under the variable's name. Missing fields are skipped. */
void vds_match_capture(GHashTable *capture, JsonNode *got, GHashTable *vars);

/* A new table for vds_match_subst / vds_match_capture. */
GHashTable *vds_match_vars_new(void);
