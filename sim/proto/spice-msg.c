/* Main, inputs and common SPICE message bodies as field layouts: one table
 * entry per message drives checking, describing and encoding. */
#include <stdio.h>
#include <string.h>

#include "core/hex.h"
#include "proto/spice.h"

#define F(k, n)      \
    {                \
        VDS_F_##k, n \
    }

static const vds_spice_msg_desc common_server[SPICE_MSG_LIST + 1] = {
    [SPICE_MSG_MIGRATE] = {"migrate", {F(U32, "flags")}},
    [SPICE_MSG_MIGRATE_DATA] = {"migrate-data", {F(REST, "data")}},
    [SPICE_MSG_SET_ACK] = {"set-ack", {F(U32, "generation"), F(U32, "window")}},
    [SPICE_MSG_PING] = {"ping", {F(U32, "id"), F(U64, "timestamp"), F(REST, "padding")}},
    [SPICE_MSG_WAIT_FOR_CHANNELS] = {"wait-for-channels", {F(REST, "data")}},
    [SPICE_MSG_DISCONNECTING] = {"disconnecting", {F(U64, "timestamp"), F(U32, "reason")}},
    [SPICE_MSG_NOTIFY] = {"notify",
                          {F(U64, "timestamp"), F(U32, "severity"), F(U32, "visibility"),
                           F(U32, "what"), F(LEN_STRING, "message"), F(REST, "tail")}},
    [SPICE_MSG_LIST] = {"list", {F(REST, "data")}},
};

static const vds_spice_msg_desc common_client[SPICE_MSGC_DISCONNECTING + 1] = {
    [SPICE_MSGC_ACK_SYNC] = {"ack-sync", {F(U32, "generation")}},
    [SPICE_MSGC_ACK] = {"ack", {{VDS_F_END, NULL}}},
    [SPICE_MSGC_PONG] = {"pong", {F(U32, "id"), F(U64, "timestamp")}},
    [SPICE_MSGC_MIGRATE_FLUSH_MARK] = {"migrate-flush-mark", {{VDS_F_END, NULL}}},
    [SPICE_MSGC_MIGRATE_DATA] = {"migrate-data", {F(REST, "data")}},
    [SPICE_MSGC_DISCONNECTING] = {"disconnecting", {F(U64, "timestamp"), F(U32, "reason")}},
};

static const vds_spice_msg_desc main_server[SPICE_MSG_END_MAIN] = {
    [SPICE_MSG_MAIN_MIGRATE_BEGIN] = {"migrate-begin", {F(REST, "data")}},
    [SPICE_MSG_MAIN_MIGRATE_CANCEL] = {"migrate-cancel", {{VDS_F_END, NULL}}},
    [SPICE_MSG_MAIN_INIT] = {"init",
                             {F(U32, "session-id"), F(U32, "display-channels-hint"),
                              F(U32, "supported-mouse-modes"), F(U32, "current-mouse-mode"),
                              F(U32, "agent-connected"), F(U32, "agent-tokens"),
                              F(U32, "multi-media-time"), F(U32, "ram-hint")}},
    [SPICE_MSG_MAIN_CHANNELS_LIST] = {"channels-list", {F(CHANNELS, "channels")}},
    [SPICE_MSG_MAIN_MOUSE_MODE] = {"mouse-mode",
                                   {F(U16, "supported-modes"), F(U16, "current-mode")}},
    [SPICE_MSG_MAIN_MULTI_MEDIA_TIME] = {"multi-media-time", {F(U32, "time")}},
    [SPICE_MSG_MAIN_AGENT_CONNECTED] = {"agent-connected", {{VDS_F_END, NULL}}},
    [SPICE_MSG_MAIN_AGENT_DISCONNECTED] = {"agent-disconnected", {F(U32, "error-code")}},
    [SPICE_MSG_MAIN_AGENT_DATA] = {"agent-data", {F(REST, "data")}},
    [SPICE_MSG_MAIN_AGENT_TOKEN] = {"agent-token", {F(U32, "num-tokens")}},
    [SPICE_MSG_MAIN_MIGRATE_SWITCH_HOST] = {"migrate-switch-host", {F(REST, "data")}},
    [SPICE_MSG_MAIN_MIGRATE_END] = {"migrate-end", {{VDS_F_END, NULL}}},
    [SPICE_MSG_MAIN_NAME] = {"name", {F(LEN_STRING, "name")}},
    [SPICE_MSG_MAIN_UUID] = {"uuid", {F(UUID, "uuid")}},
    [SPICE_MSG_MAIN_AGENT_CONNECTED_TOKENS] = {"agent-connected-tokens", {F(U32, "num-tokens")}},
    [SPICE_MSG_MAIN_MIGRATE_BEGIN_SEAMLESS] = {"migrate-begin-seamless", {F(REST, "data")}},
    [SPICE_MSG_MAIN_MIGRATE_DST_SEAMLESS_ACK] = {"migrate-dst-seamless-ack", {{VDS_F_END, NULL}}},
    [SPICE_MSG_MAIN_MIGRATE_DST_SEAMLESS_NACK] = {"migrate-dst-seamless-nack", {{VDS_F_END, NULL}}},
};

static const vds_spice_msg_desc main_client[SPICE_MSGC_END_MAIN] = {
    [SPICE_MSGC_MAIN_CLIENT_INFO] = {"client-info", {F(U64, "cache-size")}},
    [SPICE_MSGC_MAIN_MIGRATE_CONNECTED] = {"migrate-connected", {{VDS_F_END, NULL}}},
    [SPICE_MSGC_MAIN_MIGRATE_CONNECT_ERROR] = {"migrate-connect-error", {{VDS_F_END, NULL}}},
    [SPICE_MSGC_MAIN_ATTACH_CHANNELS] = {"attach-channels", {{VDS_F_END, NULL}}},
    [SPICE_MSGC_MAIN_MOUSE_MODE_REQUEST] = {"mouse-mode-request", {F(U16, "mode")}},
    [SPICE_MSGC_MAIN_AGENT_START] = {"agent-start", {F(U32, "num-tokens")}},
    [SPICE_MSGC_MAIN_AGENT_DATA] = {"agent-data", {F(REST, "data")}},
    [SPICE_MSGC_MAIN_AGENT_TOKEN] = {"agent-token", {F(U32, "num-tokens")}},
    [SPICE_MSGC_MAIN_MIGRATE_END] = {"migrate-end", {{VDS_F_END, NULL}}},
    [SPICE_MSGC_MAIN_MIGRATE_DST_DO_SEAMLESS] = {"migrate-dst-do-seamless",
                                                 {F(U32, "src-version")}},
    [SPICE_MSGC_MAIN_MIGRATE_CONNECTED_SEAMLESS] = {"migrate-connected-seamless",
                                                    {{VDS_F_END, NULL}}},
    [SPICE_MSGC_MAIN_QUALITY_INDICATOR] = {"quality-indicator", {F(REST, "data")}},
};

static const vds_spice_msg_desc inputs_server[SPICE_MSG_END_INPUTS] = {
    [SPICE_MSG_INPUTS_INIT] = {"inputs-init", {F(U16, "modifiers")}},
    [SPICE_MSG_INPUTS_KEY_MODIFIERS] = {"key-modifiers", {F(U16, "modifiers")}},
    [SPICE_MSG_INPUTS_MOUSE_MOTION_ACK] = {"mouse-motion-ack", {{VDS_F_END, NULL}}},
};

static const vds_spice_msg_desc inputs_client[SPICE_MSGC_END_INPUTS] = {
    [SPICE_MSGC_INPUTS_KEY_DOWN] = {"key-down", {F(U32, "code")}},
    [SPICE_MSGC_INPUTS_KEY_UP] = {"key-up", {F(U32, "code")}},
    [SPICE_MSGC_INPUTS_KEY_MODIFIERS] = {"key-modifiers", {F(U16, "modifiers")}},
    [SPICE_MSGC_INPUTS_KEY_SCANCODE] = {"key-scancode", {F(REST, "scancodes")}},
    [SPICE_MSGC_INPUTS_MOUSE_MOTION] = {"mouse-motion",
                                        {F(I32, "dx"), F(I32, "dy"), F(U16, "buttons")}},
    [SPICE_MSGC_INPUTS_MOUSE_POSITION] = {"mouse-position",
                                          {F(U32, "x"), F(U32, "y"), F(U16, "buttons"),
                                           F(U8, "display")}},
    [SPICE_MSGC_INPUTS_MOUSE_PRESS] = {"mouse-press", {F(U8, "button"), F(U16, "buttons")}},
    [SPICE_MSGC_INPUTS_MOUSE_RELEASE] = {"mouse-release", {F(U8, "button"), F(U16, "buttons")}},
};

#undef F

typedef struct table {
    const vds_spice_msg_desc *descs;
    size_t count;
} table;

#define TABLE(t)             \
    {                        \
        (t), G_N_ELEMENTS(t) \
    }

static table channel_table(uint8_t channel, vds_spice_side side)
{
    static const table none = {NULL, 0};
    switch (channel) {
    case SPICE_CHANNEL_MAIN:
        return side == VDS_SPICE_FROM_SERVER ? (table)TABLE(main_server)
                                             : (table)TABLE(main_client);
    case SPICE_CHANNEL_INPUTS:
        return side == VDS_SPICE_FROM_SERVER ? (table)TABLE(inputs_server)
                                             : (table)TABLE(inputs_client);
    default:
        return none;
    }
}

const vds_spice_msg_desc *vds_spice_msg_desc_get(uint8_t channel, vds_spice_side side,
                                                 uint16_t type)
{
    table t = type <= SPICE_MSG_BASE_LAST
                  ? (side == VDS_SPICE_FROM_SERVER ? (table)TABLE(common_server)
                                                   : (table)TABLE(common_client))
                  : channel_table(channel, side);
    if (!t.descs || type >= t.count || !t.descs[type].name)
        return NULL;
    return &t.descs[type];
}

int vds_spice_msg_type_find(uint8_t channel, vds_spice_side side, const char *name)
{
    table ts[2] = {channel_table(channel, side), side == VDS_SPICE_FROM_SERVER
                                                     ? (table)TABLE(common_server)
                                                     : (table)TABLE(common_client)};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; ts[k].descs && i < ts[k].count; i++)
            if (ts[k].descs[i].name && strcmp(ts[k].descs[i].name, name) == 0)
                return (int)i;
    return -1;
}

static int short_body(vds_err *err, const vds_spice_msg_desc *d, const vds_field *f, size_t off,
                      size_t need, size_t len)
{
    char loc[32];
    snprintf(loc, sizeof(loc), "body byte %zu", off);
    return vds_err_set(err, VDS_ERR_PARSE, loc, "%s: field '%s' needs %zu bytes, %zu left", d->name,
                       f->name, need, len - off);
}

static size_t fixed_size(vds_field_kind k)
{
    switch (k) {
    case VDS_F_U8:
        return 1;
    case VDS_F_U16:
        return 2;
    case VDS_F_U32:
    case VDS_F_I32:
    case VDS_F_LEN_STRING:
    case VDS_F_CHANNELS:
        return 4;
    case VDS_F_U64:
        return 8;
    case VDS_F_UUID:
        return 16;
    case VDS_F_REST:
    case VDS_F_END:
        return 0;
    }
    return 0;
}

/* Walk the layout once to check bounds; with b, also describe. */
static int walk(const vds_spice_msg_desc *d, const uint8_t *p, size_t len, JsonBuilder *b,
                vds_err *err)
{
    size_t off = 0;
    for (const vds_field *f = d->fields; f->kind != VDS_F_END; f++) {
        size_t need = fixed_size(f->kind);
        if (len - off < need)
            return short_body(err, d, f, off, need, len);
        const uint8_t *q = p + off;
        if (b && f->kind != VDS_F_REST)
            json_builder_set_member_name(b, f->name);
        switch (f->kind) {
        case VDS_F_U8:
            if (b)
                json_builder_add_int_value(b, q[0]);
            break;
        case VDS_F_U16:
            if (b)
                json_builder_add_int_value(b, vds_get_u16(q));
            break;
        case VDS_F_U32:
            if (b)
                json_builder_add_int_value(b, vds_get_u32(q));
            break;
        case VDS_F_I32:
            if (b)
                json_builder_add_int_value(b, (int32_t)vds_get_u32(q));
            break;
        case VDS_F_U64:
            if (b)
                json_builder_add_int_value(b, (gint64)vds_get_u64(q));
            break;
        case VDS_F_UUID:
            if (b) {
                g_autofree char *hex = vds_hex_encode(q, 16);
                json_builder_add_string_value(b, hex);
            }
            break;
        case VDS_F_LEN_STRING: {
            uint32_t n = vds_get_u32(q);
            if (len - off - 4 < n)
                return short_body(err, d, f, off + 4, n, len);
            if (b) {
                /* NAME counts its NUL; show the text without it */
                size_t text = n && q[4 + n - 1] == 0 ? n - 1 : n;
                g_autofree char *s = g_strndup((const char *)q + 4, text);
                if (g_utf8_validate(s, -1, NULL) && strlen(s) == text) {
                    json_builder_add_string_value(b, s);
                } else { /* not text: all n bytes, exactly */
                    g_autofree char *hex = vds_hex_encode(q + 4, n);
                    json_builder_begin_object(b);
                    json_builder_set_member_name(b, "hex");
                    json_builder_add_string_value(b, hex);
                    json_builder_end_object(b);
                }
                json_builder_set_member_name(b, g_intern_static_string("len"));
                json_builder_add_int_value(b, n);
            }
            need += n;
            break;
        }
        case VDS_F_CHANNELS: {
            uint32_t n = vds_get_u32(q);
            if ((len - off - 4) / 2 < n)
                return short_body(err, d, f, off + 4, 2ull * n, len);
            if (b) {
                json_builder_begin_array(b);
                for (uint32_t i = 0; i < n; i++) {
                    json_builder_begin_array(b);
                    json_builder_add_int_value(b, q[4 + 2 * i]);
                    json_builder_add_int_value(b, q[5 + 2 * i]);
                    json_builder_end_array(b);
                }
                json_builder_end_array(b);
            }
            need += 2ull * n;
            break;
        }
        case VDS_F_REST:
            need = len - off;
            if (b && (need || strcmp(f->name, "tail") != 0)) {
                json_builder_set_member_name(b, f->name);
                /* the net-test PING pads 256000 bytes: say how many when they
                   are all zero, which encodes back exactly */
                bool zeros = need > 64 && strcmp(f->name, "padding") == 0;
                for (size_t i = 0; zeros && i < need; i++)
                    zeros = q[i] == 0;
                if (zeros) {
                    json_builder_begin_object(b);
                    json_builder_set_member_name(b, "len");
                    json_builder_add_int_value(b, (gint64)need);
                    json_builder_end_object(b);
                } else {
                    g_autofree char *hex = vds_hex_encode(q, need);
                    json_builder_add_string_value(b, hex);
                }
            }
            break;
        case VDS_F_END:
            break;
        }
        off += need;
    }
    if (off != len) {
        char loc[32];
        snprintf(loc, sizeof(loc), "body byte %zu", off);
        return vds_err_set(err, VDS_ERR_PARSE, loc, "%s: %zu bytes left over after the last field",
                           d->name, len - off);
    }
    return 0;
}

int vds_spice_msg_describe(uint8_t channel, vds_spice_side side, uint16_t type, const uint8_t *body,
                           size_t len, JsonBuilder *b, vds_err *err)
{
    const vds_spice_msg_desc *d = vds_spice_msg_desc_get(channel, side, type);
    if (!d)
        return vds_err_set(err, VDS_ERR_PARSE, NULL, "unknown %s message %u on channel %u",
                           side == VDS_SPICE_FROM_SERVER ? "server" : "client", type, channel);
    if (walk(d, body, len, NULL, err) < 0)
        return -1;
    return walk(d, body, len, b, err);
}

static int get_int(JsonObject *o, const char *name, const char *msg, gint64 *out, vds_err *err)
{
    JsonNode *n = json_object_get_member(o, name);
    if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64)
        return vds_err_set(err, VDS_ERR_USAGE, NULL, "%s: field '%s' missing or not a number", msg,
                           name);
    *out = json_node_get_int(n);
    return 0;
}

int vds_spice_msg_encode(uint8_t channel, vds_spice_side side, uint16_t type, JsonObject *o,
                         vds_buf *out, vds_err *err)
{
    const vds_spice_msg_desc *d = vds_spice_msg_desc_get(channel, side, type);
    size_t start = out->len;
    gint64 v = 0;

    if (!d)
        return vds_err_set(err, VDS_ERR_USAGE, NULL, "unknown %s message %u on channel %u",
                           side == VDS_SPICE_FROM_SERVER ? "server" : "client", type, channel);
    for (const vds_field *f = d->fields; f->kind != VDS_F_END; f++) {
        uint8_t *p;
        switch (f->kind) {
        case VDS_F_U8:
        case VDS_F_U16:
        case VDS_F_U32:
        case VDS_F_I32:
        case VDS_F_U64:
            if (get_int(o, f->name, d->name, &v, err) < 0)
                goto fail;
            if (!(p = vds_buf_extend(out, fixed_size(f->kind), err)))
                goto fail;
            if (f->kind == VDS_F_U8)
                p[0] = (uint8_t)v;
            else if (f->kind == VDS_F_U16)
                vds_put_u16(p, (uint16_t)v);
            else if (f->kind == VDS_F_U64)
                vds_put_u64(p, (uint64_t)v);
            else
                vds_put_u32(p, (uint32_t)v);
            break;
        case VDS_F_UUID:
        case VDS_F_REST: {
            JsonNode *node = json_object_get_member(o, f->name);
            if (f->kind == VDS_F_REST && node && JSON_NODE_HOLDS_OBJECT(node)) {
                gint64 n =
                    json_object_get_int_member_with_default(json_node_get_object(node), "len", -1);
                if (n < 0 || n > (1 << 24)) {
                    vds_err_set(err, VDS_ERR_USAGE, NULL, "%s: '%s' needs a len of 0..16 MiB",
                                d->name, f->name);
                    goto fail;
                }
                if (!(p = vds_buf_extend(out, (size_t)n, err)))
                    goto fail;
                memset(p, 0, (size_t)n);
                break;
            }
            const char *s = node && JSON_NODE_HOLDS_VALUE(node) ? json_node_get_string(node) : NULL;
            if (!s && f->kind == VDS_F_REST)
                break; /* optional padding/tail */
            if (!s) {
                vds_err_set(err, VDS_ERR_USAGE, NULL, "%s: field '%s' missing", d->name, f->name);
                goto fail;
            }
            size_t before = out->len;
            if (vds_hex_decode(s, out, err) < 0)
                goto fail;
            if (f->kind == VDS_F_UUID && out->len - before != 16) {
                vds_err_set(err, VDS_ERR_USAGE, NULL, "%s: uuid needs 16 bytes", d->name);
                goto fail;
            }
            break;
        }
        case VDS_F_LEN_STRING: {
            JsonNode *node = json_object_get_member(o, f->name);
            if (node && JSON_NODE_HOLDS_OBJECT(node)) { /* {"hex": ...}: the bytes as they are */
                const char *hex = json_object_get_string_member_with_default(
                    json_node_get_object(node), "hex", "");
                size_t at = out->len;
                if (!vds_buf_extend(out, 4, err) || vds_hex_decode(hex, out, err) < 0)
                    goto fail;
                vds_put_u32(out->data + at, (uint32_t)(out->len - at - 4));
                break;
            }
            const char *s = node && JSON_NODE_HOLDS_VALUE(node) ? json_node_get_string(node) : NULL;
            if (!s) {
                vds_err_set(err, VDS_ERR_USAGE, NULL, "%s: field '%s' missing", d->name, f->name);
                goto fail;
            }
            gint64 n = json_object_get_int_member_with_default(o, "len", (gint64)strlen(s) + 1);
            if (n < (gint64)strlen(s) || n > (gint64)strlen(s) + 1) {
                vds_err_set(err, VDS_ERR_USAGE, NULL,
                            "%s: len %" G_GINT64_FORMAT " does not fit text of %zu bytes", d->name,
                            n, strlen(s));
                goto fail;
            }
            if (!(p = vds_buf_extend(out, 4 + (size_t)n, err)))
                goto fail;
            vds_put_u32(p, (uint32_t)n);
            memset(p + 4, 0, (size_t)n);
            memcpy(p + 4, s, strlen(s));
            break;
        }
        case VDS_F_CHANNELS: {
            JsonArray *a = json_object_has_member(o, f->name)
                               ? json_object_get_array_member(o, f->name)
                               : NULL;
            if (!a) {
                vds_err_set(err, VDS_ERR_USAGE, NULL, "%s: field '%s' missing", d->name, f->name);
                goto fail;
            }
            guint n = json_array_get_length(a);
            if (!(p = vds_buf_extend(out, 4 + 2 * (size_t)n, err)))
                goto fail;
            vds_put_u32(p, n);
            for (guint i = 0; i < n; i++) {
                JsonArray *pair = json_array_get_array_element(a, i);
                if (!pair || json_array_get_length(pair) != 2) {
                    vds_err_set(err, VDS_ERR_USAGE, NULL, "%s: channel %u is not [type, id]",
                                d->name, i);
                    goto fail;
                }
                p[4 + 2 * i] = (uint8_t)json_array_get_int_element(pair, 0);
                p[5 + 2 * i] = (uint8_t)json_array_get_int_element(pair, 1);
            }
            break;
        }
        case VDS_F_END:
            break;
        }
    }
    return 0;
fail:
    out->len = start;
    return -1;
}
