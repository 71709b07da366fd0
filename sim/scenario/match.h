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

/* A copy of n with variables replaced by vars' values (GHashTable of char*
 * -> JsonNode*, borrowed): a string that is exactly "${name}" becomes the
 * value itself, with its type (a number stays a number); "${name}" inside a
 * longer string becomes the value's text. Names not in vars stay as they
 * are. Returns a new node. */
JsonNode *vds_match_subst(JsonNode *n, GHashTable *vars);

/* The next "${name}" in s (names: letters, digits, '-', '_'): where it
 * starts, with the name in *name (new string); NULL when there is none. */
const char *vds_match_var_next(const char *s, char **name);

/* vds_match_subst over an object's members (borrowed); new node. */
JsonNode *vds_match_subst_object(JsonObject *fields, GHashTable *vars);

/* Store the captured fields: for each variable -> field name in capture
 * (char* -> char*, borrowed), got's member (an object node, borrowed) is
 * copied into vars under the variable's name. Missing fields are skipped. */
void vds_match_capture(GHashTable *capture, JsonNode *got, GHashTable *vars);

/* A new table for vds_match_subst / vds_match_capture. */
GHashTable *vds_match_vars_new(void);
