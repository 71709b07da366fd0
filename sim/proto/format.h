/* The one formatter: fields as JSON members, JSON as one text line. Used by
 * the agent codec, the SPICE tables, traces and every human-facing message. */
#pragma once

#include <json-glib/json-glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/names.h"

/* Add "key": [names of set bits] to b. */
void vds_describe_bits(JsonBuilder *b, const char *key, const vds_names *names, uint32_t bits);
/* Add "key": "name" (or the number when unnamed). */
void vds_describe_enum(JsonBuilder *b, const char *key, const vds_names *names, uint32_t v);
/* Add "key": text when bytes are valid UTF-8 without NULs, else {"hex": ...}. */
void vds_describe_bytes(JsonBuilder *b, const char *key, const uint8_t *p, size_t n, bool as_text);
/* Add the value {"len": n, "sha256": hex} (the member name is the caller's). */
void vds_describe_digest(JsonBuilder *b, const uint8_t *p, size_t n);
/* Render the JSON object node as one line "k=v k2=[a,b] ..." (new string, g_free). */
char *vds_json_to_text(JsonNode *node);
