/* The small families: REPLY, DISPLAY_CONFIG, CLIENT_DISCONNECTED,
 * MAX_CLIPBOARD, AUDIO_VOLUME_SYNC, GRAPHICS_DEVICE_INFO. */
#include <stdio.h>

#include "proto/agent-build.h"
#include "proto/agent-family.h"

int vds_reply_decode(const uint8_t *d, uint32_t size, uint32_t caps, vds_agent_msg *m, vds_err *err)
{
    m->u.reply.type = vds_get_u32(d);
    m->u.reply.error = vds_get_u32(d + 4);
    return 0;
}

int vds_reply_encode(const vds_agent_msg *m, vds_buf *out, vds_err *err)
{
    if (vds_put32(out, m->u.reply.type, err) < 0)
        return -1;
    return vds_put32(out, m->u.reply.error, err);
}

void vds_reply_describe(const vds_agent_msg *m, JsonBuilder *b)
{
    vds_describe_enum(b, "type", &vds_agent_type_names, m->u.reply.type);
    vds_describe_enum(b, "error", &vds_reply_error_names, m->u.reply.error);
}

int vds_display_config_decode(const uint8_t *d, uint32_t size, uint32_t caps, vds_agent_msg *m,
                              vds_err *err)
{
    m->u.display_config.flags = vds_get_u32(d);
    m->u.display_config.depth = vds_get_u32(d + 4);
    return 0;
}

int vds_display_config_encode(const vds_agent_msg *m, vds_buf *out, vds_err *err)
{
    if (vds_put32(out, m->u.display_config.flags, err) < 0)
        return -1;
    return vds_put32(out, m->u.display_config.depth, err);
}

void vds_display_config_describe(const vds_agent_msg *m, JsonBuilder *b)
{
    vds_describe_bits(b, "flags", &vds_display_flag_names, m->u.display_config.flags);
    vds_member_int(b, "depth", m->u.display_config.depth);
}

int vds_disconnected_decode(const uint8_t *d, uint32_t size, uint32_t caps, vds_agent_msg *m,
                            vds_err *err)
{
    return 0;
}

int vds_disconnected_encode(const vds_agent_msg *m, vds_buf *out, vds_err *err)
{
    return 0;
}

void vds_disconnected_describe(const vds_agent_msg *m, JsonBuilder *b) {}

int vds_max_clipboard_decode(const uint8_t *d, uint32_t size, uint32_t caps, vds_agent_msg *m,
                             vds_err *err)
{
    m->u.max_clipboard.max = (int32_t)vds_get_u32(d);
    return 0;
}

int vds_max_clipboard_encode(const vds_agent_msg *m, vds_buf *out, vds_err *err)
{
    return vds_put32(out, (uint32_t)m->u.max_clipboard.max, err);
}

void vds_max_clipboard_describe(const vds_agent_msg *m, JsonBuilder *b)
{
    vds_member_int(b, "max", m->u.max_clipboard.max);
}

int vds_volume_decode(const uint8_t *d, uint32_t size, uint32_t caps, vds_agent_msg *m,
                      vds_err *err)
{
    uint8_t n = d[2]; /* bounded by the check: 3 + 2n <= size */
    m->u.volume.is_playback = d[0];
    m->u.volume.mute = d[1];
    m->u.volume.nchannels = n;
    m->u.volume.volume = g_new0(uint16_t, n ? n : 1);
    for (unsigned i = 0; i < n; i++)
        m->u.volume.volume[i] = vds_get_u16(d + 3 + 2 * i);
    vds_keep_trailing(m, d + 3 + 2 * n, size - 3 - 2 * n);
    return 0;
}

int vds_volume_encode(const vds_agent_msg *m, vds_buf *out, vds_err *err)
{
    uint8_t n = m->u.volume.nchannels;
    uint8_t *p = vds_buf_extend(out, 3 + 2 * (size_t)n, err);
    if (!p)
        return -1;
    p[0] = m->u.volume.is_playback;
    p[1] = m->u.volume.mute;
    p[2] = n;
    for (unsigned i = 0; i < n; i++)
        vds_put_u16(p + 3 + 2 * i, m->u.volume.volume[i]);
    return 0;
}

void vds_volume_describe(const vds_agent_msg *m, JsonBuilder *b)
{
    vds_member_int(b, "playback", m->u.volume.is_playback);
    vds_member_int(b, "mute", m->u.volume.mute);
    json_builder_set_member_name(b, "volume");
    json_builder_begin_array(b);
    for (unsigned i = 0; i < m->u.volume.nchannels; i++)
        json_builder_add_int_value(b, m->u.volume.volume[i]);
    json_builder_end_array(b);
}

int vds_gdi_decode(const uint8_t *d, uint32_t size, uint32_t caps, vds_agent_msg *m, vds_err *err)
{
    uint32_t count = vds_get_u32(d); /* entries bounded by the check */
    size_t off = 4;
    m->u.gdi.count = count;
    m->u.gdi.info = g_new0(vds_display_info, count ? count : 1);
    for (uint32_t i = 0; i < count; i++) {
        vds_display_info *in = &m->u.gdi.info[i];
        in->channel_id = vds_get_u32(d + off);
        in->monitor_id = vds_get_u32(d + off + 4);
        in->device_display_id = vds_get_u32(d + off + 8);
        in->device_address_len = vds_get_u32(d + off + 12);
        off += 16;
        /* like spice-common: the last byte is the terminator whatever it holds */
        in->device_address = g_strndup((const char *)d + off, in->device_address_len - 1);
        off += in->device_address_len;
    }
    vds_keep_trailing(m, d + off, size - off);
    return 0;
}

int vds_gdi_encode(const vds_agent_msg *m, vds_buf *out, vds_err *err)
{
    if (vds_put32(out, m->u.gdi.count, err) < 0)
        return -1;
    for (uint32_t i = 0; i < m->u.gdi.count; i++) {
        const vds_display_info *in = &m->u.gdi.info[i];
        size_t alen = strlen(in->device_address) + 1;
        uint8_t *p = vds_buf_extend(out, 16 + alen, err);
        if (!p)
            return -1;
        vds_put_u32(p, in->channel_id);
        vds_put_u32(p + 4, in->monitor_id);
        vds_put_u32(p + 8, in->device_display_id);
        vds_put_u32(p + 12, (uint32_t)alen);
        memcpy(p + 16, in->device_address, alen);
    }
    return 0;
}

void vds_gdi_describe(const vds_agent_msg *m, JsonBuilder *b)
{
    json_builder_set_member_name(b, "displays");
    json_builder_begin_array(b);
    for (uint32_t i = 0; i < m->u.gdi.count; i++) {
        const vds_display_info *in = &m->u.gdi.info[i];
        json_builder_begin_object(b);
        vds_member_int(b, "channel-id", in->channel_id);
        vds_member_int(b, "monitor-id", in->monitor_id);
        vds_member_int(b, "device-display-id", in->device_display_id);
        json_builder_set_member_name(b, "device-address");
        json_builder_add_string_value(b, in->device_address);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

/* --- from named fields (scenarios) ------------------------------------- */

VDS_FIELDS(reply, "type", "error");
int vds_reply_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    VDS_BUILD_BEGIN(reply);
    U32("type", &vds_agent_type_names, 0, true, m->u.reply.type);
    U32("error", &vds_reply_error_names, VD_AGENT_SUCCESS, false, m->u.reply.error);
    return 0;
}

VDS_FIELDS(display_config, "flags", "depth");
int vds_display_config_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m,
                             vds_err *err)
{
    VDS_BUILD_BEGIN(display_config);
    U32("depth", NULL, 32, false, m->u.display_config.depth);
    return vds_field_bits(f, "flags", &vds_display_flag_names, &m->u.display_config.flags, c);
}

const char *const vds_disconnected_fields[] = {NULL};
int vds_disconnected_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    VDS_BUILD_BEGIN(disconnected);
    return 0;
}

VDS_FIELDS(max_clipboard, "max");
int vds_max_clipboard_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    VDS_BUILD_BEGIN(max_clipboard);
    int64_t v = 0;
    if (vds_field_num(f, "max", NULL, INT32_MIN, INT32_MAX, -1, false, &v, c) < 0)
        return -1;
    m->u.max_clipboard.max = (int32_t)v;
    return 0;
}

VDS_FIELDS(volume, "playback", "mute", "volume");
int vds_volume_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    VDS_BUILD_BEGIN(volume);
    int64_t v;
    if (vds_field_num(f, "playback", NULL, 0, 255, 1, false, &v, c) < 0)
        return -1;
    m->u.volume.is_playback = (uint8_t)v;
    if (vds_field_num(f, "mute", NULL, 0, 255, 0, false, &v, c) < 0)
        return -1;
    m->u.volume.mute = (uint8_t)v;
    JsonNode *n = json_object_get_member(f, "volume");
    JsonArray *a = n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
    if (n && !a)
        return vds_field_bad(c, "volume", "expected a list of numbers");
    guint count = a ? json_array_get_length(a) : 0;
    if (count > 255)
        return vds_field_bad(c, "volume", "%u channels, at most 255", count);
    m->u.volume.nchannels = (uint8_t)count;
    m->u.volume.volume = g_new0(uint16_t, count ? count : 1);
    for (guint i = 0; i < count; i++) {
        JsonNode *e = json_array_get_element(a, i);
        if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_INT64 ||
            json_node_get_int(e) < 0 || json_node_get_int(e) > UINT16_MAX)
            return vds_field_bad(c, "volume", "item %u: expected 0..65535", i);
        m->u.volume.volume[i] = (uint16_t)json_node_get_int(e);
    }
    return 0;
}

VDS_FIELDS(gdi, "displays");
static const char *const gdi_fields[] = {"channel-id", "monitor-id", "device-display-id",
                                         "device-address", NULL};
int vds_gdi_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    VDS_BUILD_BEGIN(gdi);
    JsonNode *n = json_object_get_member(f, "displays");
    JsonArray *a = n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
    if (n && !a)
        return vds_field_bad(c, "displays", n ? "expected a list" : "missing (a list)");
    guint count = a ? json_array_get_length(a) : 0;
    m->u.gdi.count = count;
    m->u.gdi.info = g_new0(vds_display_info, count ? count : 1);
    for (guint i = 0; i < count; i++) {
        JsonNode *e = json_array_get_element(a, i);
        char path[32];
        snprintf(path, sizeof(path), "displays[%u].", i);
        vds_field_ctx dc = {cc.msg, path, err};
        if (!JSON_NODE_HOLDS_OBJECT(e))
            return vds_field_bad(&dc, "", "expected an object");
        JsonObject *o = json_node_get_object(e);
        vds_display_info *in = &m->u.gdi.info[i];
        int64_t ch, mon, dd;
        const char *addr = json_object_get_string_member_with_default(o, "device-address", NULL);
        if (vds_field_only(o, gdi_fields, &dc) < 0 ||
            vds_field_num(o, "channel-id", NULL, 0, UINT32_MAX, 0, false, &ch, &dc) < 0 ||
            vds_field_num(o, "monitor-id", NULL, 0, UINT32_MAX, 0, false, &mon, &dc) < 0 ||
            vds_field_num(o, "device-display-id", NULL, 0, UINT32_MAX, 0, false, &dd, &dc) < 0)
            return -1;
        if (!addr)
            return vds_field_bad(&dc, "device-address", "missing");
        *in = (vds_display_info){(uint32_t)ch, (uint32_t)mon, (uint32_t)dd, g_strdup(addr),
                                 (uint32_t)strlen(addr) + 1};
    }
    return 0;
}

/* --- checks and ownership ----------------------------------------------- */

/* spice-common: the channels counted must fit. */
vds_verdict vds_volume_check(const uint8_t *d, uint32_t size, char *why, size_t why_size)
{
    uint8_t n = d[2];
    if (n > (size - 3) / 2) {
        snprintf(why, why_size, "nchannels %u needs %u bytes, message has %u", n, 3 + 2 * n, size);
        return VDS_VERDICT_TRUNCATED;
    }
    return VDS_VERDICT_OK;
}

void vds_volume_clear(vds_agent_msg *m)
{
    g_free(m->u.volume.volume);
}

/* spice-common: every device entry and its address fit, no empty address. */
vds_verdict vds_gdi_check(const uint8_t *d, uint32_t size, char *why, size_t why_size)
{
    uint32_t count = vds_get_u32(d);
    size_t off = 4;
    for (uint32_t i = 0; i < count; i++) {
        if (size - off < 16) {
            snprintf(why, why_size, "device %u of %u: entry at data byte %zu truncated", i, count,
                     off);
            return VDS_VERDICT_TRUNCATED;
        }
        uint32_t alen = vds_get_u32(d + off + 12);
        off += 16;
        if (alen == 0) {
            snprintf(why, why_size, "device %u: device_address_len is 0", i);
            return VDS_VERDICT_BAD_DATA;
        }
        if (size - off < alen) {
            snprintf(why, why_size, "device %u: address of %u bytes past the end (%zu left)", i,
                     alen, size - off);
            return VDS_VERDICT_TRUNCATED;
        }
        off += alen;
    }
    return VDS_VERDICT_OK;
}

void vds_gdi_clear(vds_agent_msg *m)
{
    for (uint32_t i = 0; m->u.gdi.info && i < m->u.gdi.count; i++)
        g_free(m->u.gdi.info[i].device_address);
    g_free(m->u.gdi.info);
}
