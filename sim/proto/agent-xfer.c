/* File transfer: FILE_XFER_START, FILE_XFER_STATUS (with detailed errors),
 * FILE_XFER_DATA. */
#include "proto/agent-build.h"
#include "proto/agent-family.h"

int vds_xfer_start_decode(const uint8_t *d, uint32_t size, uint32_t caps, vds_agent_msg *m,
                          vds_err *err)
{
    m->u.xfer_start.id = vds_get_u32(d);
    m->u.xfer_start.len = size - 4;
    m->u.xfer_start.keyfile = g_malloc(size - 4 + 1);
    memcpy(m->u.xfer_start.keyfile, d + 4, size - 4);
    m->u.xfer_start.keyfile[size - 4] = '\0';
    return 0;
}

int vds_xfer_start_encode(const vds_agent_msg *m, vds_buf *out, vds_err *err)
{
    if (vds_put32(out, m->u.xfer_start.id, err) < 0)
        return -1;
    return vds_buf_append(out, m->u.xfer_start.keyfile, m->u.xfer_start.len, err);
}

void vds_xfer_start_describe(const vds_agent_msg *m, JsonBuilder *b)
{
    vds_member_int(b, "id", m->u.xfer_start.id);
    /* the keyfile is what the agent acts on: show the two keys it reads */
    g_autoptr(GKeyFile) kf = g_key_file_new();
    if (g_key_file_load_from_data(kf, m->u.xfer_start.keyfile, m->u.xfer_start.len, G_KEY_FILE_NONE,
                                  NULL)) {
        g_autofree char *name = g_key_file_get_string(kf, "vdagent-file-xfer", "name", NULL);
        g_autofree char *size = g_key_file_get_string(kf, "vdagent-file-xfer", "size", NULL);
        if (name) {
            json_builder_set_member_name(b, "name");
            json_builder_add_string_value(b, name);
        }
        if (size) {
            json_builder_set_member_name(b, "file-size");
            json_builder_add_string_value(b, size);
        }
    }
    vds_describe_bytes(b, "keyfile", (const uint8_t *)m->u.xfer_start.keyfile, m->u.xfer_start.len,
                       true);
}

int vds_xfer_status_decode(const uint8_t *d, uint32_t size, uint32_t caps, vds_agent_msg *m,
                           vds_err *err)
{
    m->u.xfer_status.id = vds_get_u32(d);
    m->u.xfer_status.result = vds_get_u32(d + 4);
    uint32_t used = 8;
    /* details come with FILE_XFER_DETAILED_ERRORS; their presence is told by size */
    if (m->u.xfer_status.result == VD_AGENT_FILE_XFER_STATUS_NOT_ENOUGH_SPACE && size >= 16) {
        m->u.xfer_status.has_disk_free = true;
        m->u.xfer_status.disk_free = vds_get_u64(d + 8);
        used = 16;
    } else if (m->u.xfer_status.result == VD_AGENT_FILE_XFER_STATUS_ERROR && size >= 13) {
        m->u.xfer_status.has_error = true;
        m->u.xfer_status.error_type = d[8];
        m->u.xfer_status.error_code = vds_get_u32(d + 9);
        used = 13;
    }
    vds_keep_trailing(m, d + used, size - used);
    return 0;
}

int vds_xfer_status_encode(const vds_agent_msg *m, vds_buf *out, vds_err *err)
{
    if (vds_put32(out, m->u.xfer_status.id, err) < 0 ||
        vds_put32(out, m->u.xfer_status.result, err) < 0)
        return -1;
    if (m->u.xfer_status.has_disk_free) {
        uint8_t *p = vds_buf_extend(out, 8, err);
        if (!p)
            return -1;
        vds_put_u64(p, m->u.xfer_status.disk_free);
    } else if (m->u.xfer_status.has_error) {
        uint8_t *p = vds_buf_extend(out, 5, err);
        if (!p)
            return -1;
        p[0] = m->u.xfer_status.error_type;
        vds_put_u32(p + 1, m->u.xfer_status.error_code);
    }
    return 0;
}

void vds_xfer_status_describe(const vds_agent_msg *m, JsonBuilder *b)
{
    vds_member_int(b, "id", m->u.xfer_status.id);
    vds_describe_enum(b, "result", &vds_xfer_status_names, m->u.xfer_status.result);
    if (m->u.xfer_status.has_disk_free)
        vds_member_int(b, "disk-free", (gint64)m->u.xfer_status.disk_free);
    if (m->u.xfer_status.has_error) {
        vds_member_int(b, "error-type", m->u.xfer_status.error_type);
        vds_member_int(b, "error-code", m->u.xfer_status.error_code);
    }
}

int vds_xfer_data_decode(const uint8_t *d, uint32_t size, uint32_t caps, vds_agent_msg *m,
                         vds_err *err)
{
    m->u.xfer_data.id = vds_get_u32(d);
    m->u.xfer_data.size = vds_get_u64(d + 4);
    m->u.xfer_data.len = size - 12;
    m->u.xfer_data.data = vds_blob(m, d + 12, size - 12);
    return 0;
}

int vds_xfer_data_encode(const vds_agent_msg *m, vds_buf *out, vds_err *err)
{
    uint8_t *p = vds_buf_extend(out, 12, err);
    if (!p)
        return -1;
    vds_put_u32(p, m->u.xfer_data.id);
    vds_put_u64(p + 4, m->u.xfer_data.size);
    return vds_buf_append(out, m->u.xfer_data.data, m->u.xfer_data.len, err);
}

void vds_xfer_data_describe(const vds_agent_msg *m, JsonBuilder *b)
{
    vds_member_int(b, "id", m->u.xfer_data.id);
    vds_member_int(b, "size", (gint64)m->u.xfer_data.size);
    vds_describe_bytes(b, "data", m->u.xfer_data.data, m->u.xfer_data.len, false);
}

/* --- from named fields (scenarios) ------------------------------------- */

VDS_FIELDS(xfer_start, "id", "name", "file-size", "keyfile");
int vds_xfer_start_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    VDS_BUILD_BEGIN(xfer_start);
    U32("id", NULL, 0, true, m->u.xfer_start.id);
    const char *kf = json_object_get_string_member_with_default(f, "keyfile", NULL);
    if (kf) {
        m->u.xfer_start.keyfile = g_strdup(kf);
    } else {
        const char *name = json_object_get_string_member_with_default(f, "name", NULL);
        JsonNode *size = json_object_get_member(f, "file-size");
        if (!name || !size)
            return vds_field_bad(c, name ? "file-size" : "name",
                                 "missing (or give the whole keyfile)");
        g_autofree char *sz = json_node_get_value_type(size) == G_TYPE_STRING
                                  ? g_strdup(json_node_get_string(size))
                                  : g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(size));
        m->u.xfer_start.keyfile =
            g_strdup_printf("[vdagent-file-xfer]\nname=%s\nsize=%s\n", name, sz);
    }
    m->u.xfer_start.len = strlen(m->u.xfer_start.keyfile);
    return 0;
}

VDS_FIELDS(xfer_status, "id", "result", "disk-free", "error-type", "error-code");
int vds_xfer_status_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    VDS_BUILD_BEGIN(xfer_status);
    int64_t v;
    U32("id", NULL, 0, true, m->u.xfer_status.id);
    U32("result", &vds_xfer_status_names, 0, true, m->u.xfer_status.result);
    if ((m->u.xfer_status.has_disk_free = json_object_has_member(f, "disk-free"))) {
        if (vds_field_num(f, "disk-free", NULL, 0, INT64_MAX, 0, true, &v, c) < 0)
            return -1;
        m->u.xfer_status.disk_free = (uint64_t)v;
    }
    if ((m->u.xfer_status.has_error = json_object_has_member(f, "error-code"))) {
        U32("error-code", NULL, 0, true, m->u.xfer_status.error_code);
        if (vds_field_num(f, "error-type", NULL, 0, 255, 0, false, &v, c) < 0)
            return -1;
        m->u.xfer_status.error_type = (uint8_t)v;
    }
    return 0;
}

VDS_FIELDS(xfer_data, "id", "size", "data");
int vds_xfer_data_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    VDS_BUILD_BEGIN(xfer_data);
    int64_t size;
    U32("id", NULL, 0, true, m->u.xfer_data.id);
    if (vds_field_bytes(f, "data", ctx, &m->u.xfer_data.data, &m->u.xfer_data.len, c) < 0 ||
        vds_field_num(f, "size", NULL, 0, INT64_MAX, (int64_t)m->u.xfer_data.len, false, &size, c) <
            0)
        return -1;
    m->u.xfer_data.size = (uint64_t)size;
    return 0;
}

/* --- ownership --------------------------------------------------------------- */

void vds_xfer_start_clear(vds_agent_msg *m)
{
    g_free(m->u.xfer_start.keyfile);
}

void vds_xfer_data_clear(vds_agent_msg *m)
{
    if (!m->view) /* a view's data is the message's own bytes */
        g_free(m->u.xfer_data.data);
}
