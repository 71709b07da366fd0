/* The one formatter: message fields as JSON members, and JSON as a text line.
 * Traces, --verbose output and failure messages all go through here. */
#include <stdio.h>
#include <string.h>

#include "core/hex.h"
#include "proto/format.h"

#define DESCRIBE_BYTES_MAX 4096 /* above this, bytes are summarised by hash */

void vds_describe_bits(JsonBuilder *b, const char *key, const vds_names *names, uint32_t bits)
{
    json_builder_set_member_name(b, key);
    json_builder_begin_array(b);
    for (unsigned i = 0; i < 32; i++) {
        if (!(bits & (1u << i)))
            continue;
        const char *n = vds_names_get(names, i);
        if (n) {
            json_builder_add_string_value(b, n);
        } else {
            char tmp[16];
            snprintf(tmp, sizeof(tmp), "bit-%u", i);
            json_builder_add_string_value(b, tmp);
        }
    }
    json_builder_end_array(b);
}

void vds_describe_enum(JsonBuilder *b, const char *key, const vds_names *names, uint32_t v)
{
    const char *n = vds_names_get(names, v);
    json_builder_set_member_name(b, key);
    if (n)
        json_builder_add_string_value(b, n);
    else
        json_builder_add_int_value(b, v);
}

void vds_describe_digest(JsonBuilder *b, const uint8_t *p, size_t n)
{
    g_autofree char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA256, p, n);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "len");
    json_builder_add_int_value(b, (gint64)n);
    json_builder_set_member_name(b, "sha256");
    json_builder_add_string_value(b, sum);
    json_builder_end_object(b);
}

void vds_describe_bytes(JsonBuilder *b, const char *key, const uint8_t *p, size_t n, bool as_text)
{
    json_builder_set_member_name(b, key);
    if (n > DESCRIBE_BYTES_MAX) {
        vds_describe_digest(b, p, n);
        return;
    }
    if (n == 0) { /* p may be NULL: an empty payload decodes to no buffer */
        if (as_text) {
            json_builder_add_string_value(b, "");
        } else {
            json_builder_begin_object(b);
            json_builder_set_member_name(b, "hex");
            json_builder_add_string_value(b, "");
            json_builder_end_object(b);
        }
        return;
    }
    if (as_text && !memchr(p, 0, n) && g_utf8_validate((const char *)p, (gssize)n, NULL)) {
        g_autofree char *s = g_strndup((const char *)p, n);
        json_builder_add_string_value(b, s);
        return;
    }
    g_autofree char *hex = vds_hex_encode(p, n);
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "hex");
    json_builder_add_string_value(b, hex);
    json_builder_end_object(b);
}

static void text_value(GString *out, JsonNode *node);

static void text_string(GString *out, const char *s)
{
    bool plain = *s != '\0';
    for (const char *c = s; *c; c++)
        if (!g_ascii_isalnum(*c) && !strchr("-_.+:/", *c))
            plain = false;
    if (plain) {
        g_string_append(out, s);
        return;
    }
    g_string_append_c(out, '"');
    for (const char *c = s; *c; c++) {
        switch (*c) {
        case '"':
            g_string_append(out, "\\\"");
            break;
        case '\\':
            g_string_append(out, "\\\\");
            break;
        case '\n':
            g_string_append(out, "\\n");
            break;
        case '\t':
            g_string_append(out, "\\t");
            break;
        case '\r':
            g_string_append(out, "\\r");
            break;
        default:
            if ((unsigned char)*c < 0x20)
                g_string_append_printf(out, "\\x%02x", (unsigned char)*c);
            else
                g_string_append_c(out, *c);
        }
    }
    g_string_append_c(out, '"');
}

static void text_object(GString *out, JsonObject *obj, bool braces)
{
    g_autoptr(GList) members = json_object_get_members(obj);
    bool first = true;

    if (braces)
        g_string_append_c(out, '{');
    for (GList *l = members; l; l = l->next) {
        if (!first)
            g_string_append_c(out, braces ? ',' : ' ');
        first = false;
        g_string_append_printf(out, "%s=", (const char *)l->data);
        text_value(out, json_object_get_member(obj, l->data));
    }
    if (braces)
        g_string_append_c(out, '}');
}

static void text_value(GString *out, JsonNode *node)
{
    switch (json_node_get_node_type(node)) {
    case JSON_NODE_OBJECT:
        text_object(out, json_node_get_object(node), true);
        return;
    case JSON_NODE_ARRAY: {
        JsonArray *a = json_node_get_array(node);
        g_string_append_c(out, '[');
        for (guint i = 0; i < json_array_get_length(a); i++) {
            if (i)
                g_string_append_c(out, ',');
            text_value(out, json_array_get_element(a, i));
        }
        g_string_append_c(out, ']');
        return;
    }
    case JSON_NODE_VALUE:
        if (json_node_get_value_type(node) == G_TYPE_STRING)
            text_string(out, json_node_get_string(node));
        else if (json_node_get_value_type(node) == G_TYPE_BOOLEAN)
            g_string_append(out, json_node_get_boolean(node) ? "true" : "false");
        else if (json_node_get_value_type(node) == G_TYPE_DOUBLE)
            g_string_append_printf(out, "%g", json_node_get_double(node));
        else
            g_string_append_printf(out, "%" G_GINT64_FORMAT, json_node_get_int(node));
        return;
    case JSON_NODE_NULL:
        g_string_append(out, "null");
        return;
    }
}

char *vds_json_to_text(JsonNode *node)
{
    GString *out = g_string_new(NULL);
    if (JSON_NODE_HOLDS_OBJECT(node))
        text_object(out, json_node_get_object(node), false);
    else
        text_value(out, node);
    return g_string_free(out, FALSE);
}
