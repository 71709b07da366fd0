/* Clipboard family: CLIPBOARD, GRAB, REQUEST, RELEASE, with the selection
 * prefix (CLIPBOARD_SELECTION) and the grab serial (CLIPBOARD_GRAB_SERIAL). */
#include "proto/agent-build.h"
#include "proto/agent-family.h"

int vds_clipboard_decode(const uint8_t *d, uint32_t size, uint32_t caps, vds_agent_msg *m,
                         vds_err *err)
{
    uint32_t off = vds_sel_decode(d, caps, &m->u.clipboard.sel);
    m->u.clipboard.type = vds_get_u32(d + off);
    off += 4;
    m->u.clipboard.len = size - off;
    m->u.clipboard.data = vds_blob(m, d + off, size - off);
    return 0;
}

int vds_clipboard_encode(const vds_agent_msg *m, vds_buf *out, vds_err *err)
{
    if (vds_sel_encode(&m->u.clipboard.sel, out, err) < 0 ||
        vds_put32(out, m->u.clipboard.type, err) < 0)
        return -1;
    return vds_buf_append(out, m->u.clipboard.data, m->u.clipboard.len, err);
}

void vds_clipboard_describe(const vds_agent_msg *m, JsonBuilder *b)
{
    vds_sel_describe(&m->u.clipboard.sel, b);
    vds_describe_enum(b, "type", &vds_clip_type_names, m->u.clipboard.type);
    vds_member_int(b, "len", (gint64)m->u.clipboard.len);
    vds_describe_bytes(b, "data", m->u.clipboard.data, m->u.clipboard.len,
                       m->u.clipboard.type == VD_AGENT_CLIPBOARD_UTF8_TEXT);
}

int vds_grab_decode(const uint8_t *d, uint32_t size, uint32_t caps, vds_agent_msg *m, vds_err *err)
{
    uint32_t off = vds_sel_decode(d, caps, &m->u.grab.sel);
    if (caps & VDS_SERIAL_CAP) {
        m->u.grab.has_serial = true;
        m->u.grab.serial = vds_get_u32(d + off);
        off += 4;
    }
    size_t n = (size - off) / 4;
    m->u.grab.n_types = n;
    m->u.grab.types = g_new0(uint32_t, n ? n : 1);
    for (size_t i = 0; i < n; i++)
        m->u.grab.types[i] = vds_get_u32(d + off + 4 * i);
    off += (uint32_t)(4 * n);
    vds_keep_trailing(m, d + off, size - off);
    return 0;
}

int vds_grab_encode(const vds_agent_msg *m, vds_buf *out, vds_err *err)
{
    if (vds_sel_encode(&m->u.grab.sel, out, err) < 0)
        return -1;
    if (m->u.grab.has_serial && vds_put32(out, m->u.grab.serial, err) < 0)
        return -1;
    for (size_t i = 0; i < m->u.grab.n_types; i++)
        if (vds_put32(out, m->u.grab.types[i], err) < 0)
            return -1;
    return 0;
}

void vds_grab_describe(const vds_agent_msg *m, JsonBuilder *b)
{
    char num[16];

    vds_sel_describe(&m->u.grab.sel, b);
    if (m->u.grab.has_serial)
        vds_member_int(b, "serial", m->u.grab.serial);
    json_builder_set_member_name(b, "types");
    json_builder_begin_array(b);
    for (size_t i = 0; i < m->u.grab.n_types; i++)
        json_builder_add_string_value(
            b, vds_names_fmt(&vds_clip_type_names, m->u.grab.types[i], num, sizeof(num)));
    json_builder_end_array(b);
}

int vds_request_decode(const uint8_t *d, uint32_t size, uint32_t caps, vds_agent_msg *m,
                       vds_err *err)
{
    uint32_t off = vds_sel_decode(d, caps, &m->u.request.sel);
    m->u.request.type = vds_get_u32(d + off);
    return 0;
}

int vds_request_encode(const vds_agent_msg *m, vds_buf *out, vds_err *err)
{
    if (vds_sel_encode(&m->u.request.sel, out, err) < 0)
        return -1;
    return vds_put32(out, m->u.request.type, err);
}

void vds_request_describe(const vds_agent_msg *m, JsonBuilder *b)
{
    vds_sel_describe(&m->u.request.sel, b);
    vds_describe_enum(b, "type", &vds_clip_type_names, m->u.request.type);
}

int vds_release_decode(const uint8_t *d, uint32_t size, uint32_t caps, vds_agent_msg *m,
                       vds_err *err)
{
    vds_sel_decode(d, caps, &m->u.release.sel);
    return 0;
}

int vds_release_encode(const vds_agent_msg *m, vds_buf *out, vds_err *err)
{
    return vds_sel_encode(&m->u.release.sel, out, err);
}

void vds_release_describe(const vds_agent_msg *m, JsonBuilder *b)
{
    vds_sel_describe(&m->u.release.sel, b);
}

/* --- from named fields (scenarios) ------------------------------------- */

VDS_FIELDS(clipboard, "selection", "type", "len", "data");
int vds_clipboard_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    VDS_BUILD_BEGIN(clipboard);
    U32("type", &vds_clip_type_names, VD_AGENT_CLIPBOARD_UTF8_TEXT, false, m->u.clipboard.type);
    if (vds_field_sel(f, ctx, &m->u.clipboard.sel, c) < 0 ||
        vds_field_bytes(f, "data", ctx, &m->u.clipboard.data, &m->u.clipboard.len, c) < 0)
        return -1;
    int64_t len;
    if (vds_field_num(f, "len", NULL, 0, INT64_MAX, (int64_t)m->u.clipboard.len, false, &len, c) <
        0)
        return -1;
    if ((size_t)len != m->u.clipboard.len)
        return vds_field_bad(c, "len", "%" G_GINT64_FORMAT " but data has %zu bytes", len,
                             m->u.clipboard.len);
    return 0;
}

VDS_FIELDS(grab, "selection", "serial", "types");
int vds_grab_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    VDS_BUILD_BEGIN(grab);
    if (vds_field_sel(f, ctx, &m->u.grab.sel, c) < 0)
        return -1;
    m->u.grab.has_serial = json_object_has_member(f, "serial") || (ctx->caps & VDS_SERIAL_CAP);
    U32("serial", NULL, 0, false, m->u.grab.serial);
    JsonNode *n = json_object_get_member(f, "types");
    if (n && !JSON_NODE_HOLDS_ARRAY(n))
        return vds_field_bad(c, "types", "expected a list of clipboard types");
    JsonArray *a = n ? json_node_get_array(n) : NULL;
    guint count = a ? json_array_get_length(a) : 0;
    m->u.grab.n_types = count;
    m->u.grab.types = g_new0(uint32_t, count ? count : 1);
    for (guint i = 0; i < count; i++) {
        JsonObject *tmp = json_object_new();
        json_object_set_member(tmp, "types", json_node_copy(json_array_get_element(a, i)));
        int64_t v;
        int rc = vds_field_num(tmp, "types", &vds_clip_type_names, 0, UINT32_MAX, 0, true, &v, c);
        json_object_unref(tmp);
        if (rc < 0)
            return -1;
        m->u.grab.types[i] = (uint32_t)v;
    }
    return 0;
}

VDS_FIELDS(request, "selection", "type");
int vds_request_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    VDS_BUILD_BEGIN(request);
    U32("type", &vds_clip_type_names, VD_AGENT_CLIPBOARD_UTF8_TEXT, false, m->u.request.type);
    return vds_field_sel(f, ctx, &m->u.request.sel, c);
}

VDS_FIELDS(release, "selection");
int vds_release_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    VDS_BUILD_BEGIN(release);
    return vds_field_sel(f, ctx, &m->u.release.sel, c);
}

/* --- layouts the caps decide, and ownership ------------------------------ */

static void apply_sel(vds_clip_sel *s, uint32_t caps)
{
    s->has_selection = (caps & VDS_SEL_CAP) != 0;
}

void vds_clipboard_apply_caps(vds_agent_msg *m, uint32_t caps)
{
    apply_sel(&m->u.clipboard.sel, caps);
}

void vds_grab_apply_caps(vds_agent_msg *m, uint32_t caps)
{
    apply_sel(&m->u.grab.sel, caps);
    m->u.grab.has_serial = (caps & VDS_SERIAL_CAP) != 0;
}

void vds_request_apply_caps(vds_agent_msg *m, uint32_t caps)
{
    apply_sel(&m->u.request.sel, caps);
}

void vds_release_apply_caps(vds_agent_msg *m, uint32_t caps)
{
    apply_sel(&m->u.release.sel, caps);
}

void vds_clipboard_clear(vds_agent_msg *m)
{
    if (!m->view) /* a view's data is the message's own bytes */
        g_free(m->u.clipboard.data);
}

void vds_grab_clear(vds_agent_msg *m)
{
    g_free(m->u.grab.types);
}
