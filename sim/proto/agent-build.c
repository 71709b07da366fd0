/* Messages from named fields: the inverse of describe(), for scenarios.
 * Field names and value names are the ones traces use. Each family builds
 * its own messages (in its file); these are the field readers they share. */
#include <stdio.h>
#include <string.h>

#include "core/hex.h"
#include "proto/agent-build.h"
#include "proto/agent-family.h"

int vds_field_bad(const vds_field_ctx *c, const char *key, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    /* the field's path is the location, so a scenario can point at it */
    char loc[128];
    snprintf(loc, sizeof(loc), "%s%s", c->path, key);
    size_t n = strlen(loc);
    if (n && loc[n - 1] == '.')
        loc[n - 1] = '\0';
    return vds_err_set(c->err, VDS_ERR_USAGE, loc, "%s: field '%s%s': %s", c->msg, c->path, key,
                       what);
}

/* Every member of f must be one of allowed. */
int vds_field_only(JsonObject *f, const char *const *allowed, const vds_field_ctx *c)
{
    g_autoptr(GList) members = json_object_get_members(f);
    for (GList *l = members; l; l = l->next) {
        const char *k = l->data;
        bool ok = false;
        for (size_t i = 0; allowed[i] && !ok; i++)
            ok = strcmp(allowed[i], k) == 0;
        if (ok)
            continue;
        size_t n = 0;
        while (allowed[n])
            n++;
        vds_names names = {"field", allowed, n};
        const char *near = vds_names_suggest(&names, k);
        g_autofree char *list = g_strjoinv(", ", (char **)allowed);
        if (near)
            return vds_field_bad(c, k, "unknown field (did you mean '%s'?)", near);
        return vds_field_bad(c, k, "unknown field (%s has: %s)", c->msg, n ? list : "no fields");
    }
    return 0;
}

/* A number, or a name from names. Absent: def, or an error when required. */
int vds_field_num(JsonObject *f, const char *key, const vds_names *names, int64_t min, int64_t max,
                  int64_t def, bool required, int64_t *out, const vds_field_ctx *c)
{
    JsonNode *n = json_object_get_member(f, key);
    if (!n) {
        if (required)
            return vds_field_bad(c, key, "missing");
        *out = def;
        return 0;
    }
    if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64) {
        *out = json_node_get_int(n);
    } else if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING && names) {
        uint32_t v;
        const char *s = json_node_get_string(n);
        if (!vds_names_find(names, s, &v)) {
            const char *near = vds_names_suggest(names, s);
            return vds_field_bad(c, key, "unknown %s '%s'%s%s%s", names->what, s,
                                 near ? " (did you mean '" : "", near ? near : "",
                                 near ? "'?)" : "");
        }
        *out = v;
    } else {
        return vds_field_bad(c, key, "expected %s", names ? "a number or a name" : "a number");
    }
    if (*out < min || *out > max)
        return vds_field_bad(
            c, key, "%" G_GINT64_FORMAT " is out of range %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT,
            *out, min, max);
    return 0;
}

/* A list of bit names (or one number) into a mask. */
int vds_field_bits(JsonObject *f, const char *key, const vds_names *names, uint32_t *out,
                   const vds_field_ctx *c)
{
    JsonNode *n = json_object_get_member(f, key);
    *out = 0;
    if (!n)
        return 0;
    if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64) {
        int64_t v = json_node_get_int(n);
        if (v < 0 || v > UINT32_MAX)
            return vds_field_bad(c, key, "%" G_GINT64_FORMAT " is not a 32-bit mask", v);
        *out = (uint32_t)v;
        return 0;
    }
    if (!JSON_NODE_HOLDS_ARRAY(n))
        return vds_field_bad(c, key, "expected a list of %s names or a number", names->what);
    JsonArray *a = json_node_get_array(n);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonNode *e = json_array_get_element(a, i);
        uint32_t bit;
        const char *s = JSON_NODE_HOLDS_VALUE(e) && json_node_get_value_type(e) == G_TYPE_STRING
                            ? json_node_get_string(e)
                            : NULL;
        if (s && g_str_has_prefix(s, "bit-"))
            s += 4;
        if (!s || !vds_names_find(names, s, &bit) || bit >= 32) {
            const char *near = s ? vds_names_suggest(names, s) : NULL;
            return vds_field_bad(c, key, "item %u: not a %s name%s%s%s", i, names->what,
                                 near ? " (did you mean '" : "", near ? near : "",
                                 near ? "'?)" : "");
        }
        *out |= 1u << bit;
    }
    return 0;
}

/* Bytes from a string (its UTF-8), {"hex": ...}, or the context's payload. */
int vds_field_bytes(JsonObject *f, const char *key, const vds_build_ctx *ctx, uint8_t **data,
                    size_t *len, const vds_field_ctx *c)
{
    JsonNode *n = json_object_get_member(f, key);
    *data = NULL;
    *len = 0;
    if (!n && ctx->payload) {
        *len = g_bytes_get_size(ctx->payload);
        *data = g_memdup2(g_bytes_get_data(ctx->payload, NULL), *len);
        return 0;
    }
    if (!n)
        return 0;
    if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING) {
        *len = strlen(json_node_get_string(n));
        *data = g_memdup2(json_node_get_string(n), *len);
        return 0;
    }
    const char *hex =
        JSON_NODE_HOLDS_OBJECT(n)
            ? json_object_get_string_member_with_default(json_node_get_object(n), "hex", NULL)
            : NULL;
    if (!hex)
        return vds_field_bad(c, key, "expected text or {hex: ...}");
    vds_buf b;
    vds_err herr = {0};
    vds_buf_init(&b, 256u << 20);
    if (vds_hex_decode(hex, &b, &herr) < 0) {
        vds_buf_clear(&b);
        return vds_field_bad(c, key, "%s", herr.msg);
    }
    *data = b.data;
    *len = b.len;
    return 0;
}

int vds_field_sel(JsonObject *f, const vds_build_ctx *ctx, vds_clip_sel *s, const vds_field_ctx *c)
{
    int64_t v = 0;
    bool given = json_object_has_member(f, "selection");
    if (vds_field_num(f, "selection", &vds_clip_sel_names, 0, 255, 0, false, &v, c) < 0)
        return -1;
    s->has_selection = given || (ctx->caps & VDS_SEL_CAP);
    s->selection = (uint8_t)v;
    return 0;
}

int vds_agent_msg_build(uint32_t type, JsonObject *fields, const vds_build_ctx *ctx,
                        vds_agent_msg *m, vds_err *err)
{
    const vds_agent_desc *d = vds_agent_desc_get(type);
    memset(m, 0, sizeof(*m));
    if (!d)
        return vds_err_set(err, VDS_ERR_USAGE, NULL, "no message type %u to build", type);
    m->protocol = VD_AGENT_PROTOCOL;
    m->type = type;
    if (d->build(fields, ctx, m, err) < 0) {
        vds_agent_msg_clear(m);
        return -1;
    }
    return 0;
}
