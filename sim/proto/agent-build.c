/* Messages from named fields: the inverse of describe(), for scenarios.
 * Field names and value names are the ones traces use. */
#include <stdio.h>
#include <string.h>

#include "core/hex.h"
#include "proto/agent-family.h"

typedef struct field_ctx {
    const char *msg;  /* message name, for errors */
    const char *path; /* "" or "monitors[1]." */
    vds_err *err;
} field_ctx;

static int bad(const field_ctx *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(const field_ctx *c, const char *key, const char *fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return vds_err_set(c->err, VDS_ERR_USAGE, NULL, "%s: field '%s%s': %s", c->msg, c->path, key,
                       what);
}

/* Every member of f must be one of allowed. */
static int only(JsonObject *f, const char *const *allowed, const field_ctx *c)
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
            return bad(c, k, "unknown field (did you mean '%s'?)", near);
        return bad(c, k, "unknown field (%s has: %s)", c->msg, n ? list : "no fields");
    }
    return 0;
}

/* A number, or a name from names. Absent: def, or an error when required. */
static int get_num(JsonObject *f, const char *key, const vds_names *names, int64_t min, int64_t max,
                   int64_t def, bool required, int64_t *out, const field_ctx *c)
{
    JsonNode *n = json_object_get_member(f, key);
    if (!n) {
        if (required)
            return bad(c, key, "missing");
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
            return bad(c, key, "unknown %s '%s'%s%s%s", names->what, s,
                       near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
        }
        *out = v;
    } else {
        return bad(c, key, "expected %s", names ? "a number or a name" : "a number");
    }
    if (*out < min || *out > max)
        return bad(c, key,
                   "%" G_GINT64_FORMAT " is out of range %" G_GINT64_FORMAT "..%" G_GINT64_FORMAT,
                   *out, min, max);
    return 0;
}

#define U32(key, names, def, req, dst)                                   \
    do {                                                                 \
        int64_t v_ = 0;                                                  \
        if (get_num(f, key, names, 0, UINT32_MAX, def, req, &v_, c) < 0) \
            return -1;                                                   \
        (dst) = (uint32_t)v_;                                            \
    } while (0)

/* A list of bit names (or one number) into a mask. */
static int get_bits(JsonObject *f, const char *key, const vds_names *names, uint32_t *out,
                    const field_ctx *c)
{
    JsonNode *n = json_object_get_member(f, key);
    *out = 0;
    if (!n)
        return 0;
    if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64) {
        int64_t v = json_node_get_int(n);
        if (v < 0 || v > UINT32_MAX)
            return bad(c, key, "%" G_GINT64_FORMAT " is not a 32-bit mask", v);
        *out = (uint32_t)v;
        return 0;
    }
    if (!JSON_NODE_HOLDS_ARRAY(n))
        return bad(c, key, "expected a list of %s names or a number", names->what);
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
            return bad(c, key, "item %u: not a %s name%s%s%s", i, names->what,
                       near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
        }
        *out |= 1u << bit;
    }
    return 0;
}

/* Bytes from a string (its UTF-8), {"hex": ...}, or the context's payload. */
static int get_bytes(JsonObject *f, const char *key, const vds_build_ctx *ctx, uint8_t **data,
                     size_t *len, const field_ctx *c)
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
        return bad(c, key, "expected text or {hex: ...}");
    vds_buf b;
    vds_err herr = {0};
    vds_buf_init(&b, 256u << 20);
    if (vds_hex_decode(hex, &b, &herr) < 0) {
        vds_buf_clear(&b);
        return bad(c, key, "%s", herr.msg);
    }
    *data = b.data;
    *len = b.len;
    return 0;
}

static int get_sel(JsonObject *f, const vds_build_ctx *ctx, vds_clip_sel *s, const field_ctx *c)
{
    int64_t v = 0;
    bool given = json_object_has_member(f, "selection");
    if (get_num(f, "selection", &vds_clip_sel_names, 0, 255, 0, false, &v, c) < 0)
        return -1;
    s->has_selection = given || (ctx->caps & VDS_SEL_CAP);
    s->selection = (uint8_t)v;
    return 0;
}

#define FIELDS(fam, ...) const char *const vds_##fam##_fields[] = {__VA_ARGS__, NULL}
#define BEGIN(fam)                                                         \
    field_ctx cc = {vds_agent_desc_get(m->type)->name, "", err}, *c = &cc; \
    if (only(f, vds_##fam##_fields, c) < 0)                                \
    return -1

FIELDS(mouse, "x", "y", "buttons", "display");
int vds_mouse_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    BEGIN(mouse);
    int64_t d;
    U32("x", NULL, 0, true, m->u.mouse.x);
    U32("y", NULL, 0, true, m->u.mouse.y);
    if (get_bits(f, "buttons", &vds_button_names, &m->u.mouse.buttons, c) < 0 ||
        get_num(f, "display", NULL, 0, 255, 0, false, &d, c) < 0)
        return -1;
    m->u.mouse.display_id = (uint8_t)d;
    return 0;
}

FIELDS(monitors, "flags", "monitors");
static const char *const mon_fields[] = {"w", "h", "x", "y", "depth", "w-mm", "h-mm", NULL};
int vds_monitors_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    BEGIN(monitors);
    if (get_bits(f, "flags", &vds_monitors_flag_names, &m->u.monitors.flags, c) < 0)
        return -1;
    JsonNode *n = json_object_get_member(f, "monitors");
    if (!n || !JSON_NODE_HOLDS_ARRAY(n))
        return bad(c, "monitors", "expected a list of {w, h, x, y}");
    JsonArray *a = json_node_get_array(n);
    guint count = json_array_get_length(a);
    m->u.monitors.count = count;
    m->u.monitors.mons = g_new0(vds_mon, count ? count : 1);
    for (guint i = 0; i < count; i++) {
        JsonNode *e = json_array_get_element(a, i);
        char path[32];
        snprintf(path, sizeof(path), "monitors[%u].", i);
        field_ctx mc = {cc.msg, path, err};
        if (!JSON_NODE_HOLDS_OBJECT(e))
            return bad(&mc, "", "expected {w, h, x, y}");
        JsonObject *o = json_node_get_object(e);
        vds_mon *mon = &m->u.monitors.mons[i];
        int64_t w, h, x, y, depth, wmm, hmm;
        if (only(o, mon_fields, &mc) < 0 ||
            get_num(o, "w", NULL, 0, UINT32_MAX, 0, true, &w, &mc) < 0 ||
            get_num(o, "h", NULL, 0, UINT32_MAX, 0, true, &h, &mc) < 0 ||
            get_num(o, "x", NULL, INT32_MIN, INT32_MAX, 0, false, &x, &mc) < 0 ||
            get_num(o, "y", NULL, INT32_MIN, INT32_MAX, 0, false, &y, &mc) < 0 ||
            get_num(o, "depth", NULL, 0, UINT32_MAX, 32, false, &depth, &mc) < 0 ||
            get_num(o, "w-mm", NULL, 0, UINT16_MAX, 0, false, &wmm, &mc) < 0 ||
            get_num(o, "h-mm", NULL, 0, UINT16_MAX, 0, false, &hmm, &mc) < 0)
            return -1;
        *mon = (vds_mon){(uint32_t)h, (uint32_t)w, (uint32_t)depth, (int32_t)x, (int32_t)y};
        if (json_object_has_member(o, "w-mm") || json_object_has_member(o, "h-mm")) {
            if (!m->u.monitors.mm)
                m->u.monitors.mm = g_new0(vds_mon_mm, count);
            m->u.monitors.mm[i] = (vds_mon_mm){(uint16_t)hmm, (uint16_t)wmm};
        }
    }
    return 0;
}

FIELDS(reply, "type", "error");
int vds_reply_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    BEGIN(reply);
    U32("type", &vds_agent_type_names, 0, true, m->u.reply.type);
    U32("error", &vds_reply_error_names, VD_AGENT_SUCCESS, false, m->u.reply.error);
    return 0;
}

FIELDS(clipboard, "selection", "type", "len", "data");
int vds_clipboard_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    BEGIN(clipboard);
    U32("type", &vds_clip_type_names, VD_AGENT_CLIPBOARD_UTF8_TEXT, false, m->u.clipboard.type);
    if (get_sel(f, ctx, &m->u.clipboard.sel, c) < 0 ||
        get_bytes(f, "data", ctx, &m->u.clipboard.data, &m->u.clipboard.len, c) < 0)
        return -1;
    int64_t len;
    if (get_num(f, "len", NULL, 0, INT64_MAX, (int64_t)m->u.clipboard.len, false, &len, c) < 0)
        return -1;
    if ((size_t)len != m->u.clipboard.len)
        return bad(c, "len", "%" G_GINT64_FORMAT " but data has %zu bytes", len,
                   m->u.clipboard.len);
    return 0;
}

FIELDS(display_config, "flags", "depth");
int vds_display_config_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m,
                             vds_err *err)
{
    BEGIN(display_config);
    U32("depth", NULL, 32, false, m->u.display_config.depth);
    return get_bits(f, "flags", &vds_display_flag_names, &m->u.display_config.flags, c);
}

FIELDS(caps, "request", "words", "caps");
int vds_caps_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    BEGIN(caps);
    uint32_t word;
    int64_t words;
    U32("request", NULL, 0, false, m->u.caps.request);
    if (get_bits(f, "caps", &vds_agent_cap_names, &word, c) < 0 ||
        get_num(f, "words", NULL, 0, 1024, 1, false, &words, c) < 0)
        return -1;
    m->u.caps.n_words = (size_t)words;
    m->u.caps.caps = g_new0(uint32_t, words ? (size_t)words : 1);
    if (words)
        m->u.caps.caps[0] = word;
    return 0;
}

FIELDS(grab, "selection", "serial", "types");
int vds_grab_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    BEGIN(grab);
    if (get_sel(f, ctx, &m->u.grab.sel, c) < 0)
        return -1;
    m->u.grab.has_serial = json_object_has_member(f, "serial") || (ctx->caps & VDS_SERIAL_CAP);
    U32("serial", NULL, 0, false, m->u.grab.serial);
    JsonNode *n = json_object_get_member(f, "types");
    if (n && !JSON_NODE_HOLDS_ARRAY(n))
        return bad(c, "types", "expected a list of clipboard types");
    JsonArray *a = n ? json_node_get_array(n) : NULL;
    guint count = a ? json_array_get_length(a) : 0;
    m->u.grab.n_types = count;
    m->u.grab.types = g_new0(uint32_t, count ? count : 1);
    for (guint i = 0; i < count; i++) {
        JsonObject *tmp = json_object_new();
        json_object_set_member(tmp, "types", json_node_copy(json_array_get_element(a, i)));
        int64_t v;
        int rc = get_num(tmp, "types", &vds_clip_type_names, 0, UINT32_MAX, 0, true, &v, c);
        json_object_unref(tmp);
        if (rc < 0)
            return -1;
        m->u.grab.types[i] = (uint32_t)v;
    }
    return 0;
}

FIELDS(request, "selection", "type");
int vds_request_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    BEGIN(request);
    U32("type", &vds_clip_type_names, VD_AGENT_CLIPBOARD_UTF8_TEXT, false, m->u.request.type);
    return get_sel(f, ctx, &m->u.request.sel, c);
}

FIELDS(release, "selection");
int vds_release_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    BEGIN(release);
    return get_sel(f, ctx, &m->u.release.sel, c);
}

FIELDS(xfer_start, "id", "name", "file-size", "keyfile");
int vds_xfer_start_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    BEGIN(xfer_start);
    U32("id", NULL, 0, true, m->u.xfer_start.id);
    const char *kf = json_object_get_string_member_with_default(f, "keyfile", NULL);
    if (kf) {
        m->u.xfer_start.keyfile = g_strdup(kf);
    } else {
        const char *name = json_object_get_string_member_with_default(f, "name", NULL);
        JsonNode *size = json_object_get_member(f, "file-size");
        if (!name || !size)
            return bad(c, name ? "file-size" : "name", "missing (or give the whole keyfile)");
        g_autofree char *sz = json_node_get_value_type(size) == G_TYPE_STRING
                                  ? g_strdup(json_node_get_string(size))
                                  : g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(size));
        m->u.xfer_start.keyfile =
            g_strdup_printf("[vdagent-file-xfer]\nname=%s\nsize=%s\n", name, sz);
    }
    m->u.xfer_start.len = strlen(m->u.xfer_start.keyfile);
    return 0;
}

FIELDS(xfer_status, "id", "result", "disk-free", "error-type", "error-code");
int vds_xfer_status_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    BEGIN(xfer_status);
    int64_t v;
    U32("id", NULL, 0, true, m->u.xfer_status.id);
    U32("result", &vds_xfer_status_names, 0, true, m->u.xfer_status.result);
    if ((m->u.xfer_status.has_disk_free = json_object_has_member(f, "disk-free"))) {
        if (get_num(f, "disk-free", NULL, 0, INT64_MAX, 0, true, &v, c) < 0)
            return -1;
        m->u.xfer_status.disk_free = (uint64_t)v;
    }
    if ((m->u.xfer_status.has_error = json_object_has_member(f, "error-code"))) {
        U32("error-code", NULL, 0, true, m->u.xfer_status.error_code);
        if (get_num(f, "error-type", NULL, 0, 255, 0, false, &v, c) < 0)
            return -1;
        m->u.xfer_status.error_type = (uint8_t)v;
    }
    return 0;
}

FIELDS(xfer_data, "id", "size", "data");
int vds_xfer_data_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    BEGIN(xfer_data);
    int64_t size;
    U32("id", NULL, 0, true, m->u.xfer_data.id);
    if (get_bytes(f, "data", ctx, &m->u.xfer_data.data, &m->u.xfer_data.len, c) < 0 ||
        get_num(f, "size", NULL, 0, INT64_MAX, (int64_t)m->u.xfer_data.len, false, &size, c) < 0)
        return -1;
    m->u.xfer_data.size = (uint64_t)size;
    return 0;
}

const char *const vds_disconnected_fields[] = {NULL};
int vds_disconnected_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    BEGIN(disconnected);
    return 0;
}

FIELDS(max_clipboard, "max");
int vds_max_clipboard_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    BEGIN(max_clipboard);
    int64_t v = 0;
    if (get_num(f, "max", NULL, INT32_MIN, INT32_MAX, -1, false, &v, c) < 0)
        return -1;
    m->u.max_clipboard.max = (int32_t)v;
    return 0;
}

FIELDS(volume, "playback", "mute", "volume");
int vds_volume_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    BEGIN(volume);
    int64_t v;
    if (get_num(f, "playback", NULL, 0, 255, 1, false, &v, c) < 0)
        return -1;
    m->u.volume.is_playback = (uint8_t)v;
    if (get_num(f, "mute", NULL, 0, 255, 0, false, &v, c) < 0)
        return -1;
    m->u.volume.mute = (uint8_t)v;
    JsonNode *n = json_object_get_member(f, "volume");
    JsonArray *a = n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
    if (n && !a)
        return bad(c, "volume", "expected a list of numbers");
    guint count = a ? json_array_get_length(a) : 0;
    if (count > 255)
        return bad(c, "volume", "%u channels, at most 255", count);
    m->u.volume.nchannels = (uint8_t)count;
    m->u.volume.volume = g_new0(uint16_t, count ? count : 1);
    for (guint i = 0; i < count; i++) {
        JsonNode *e = json_array_get_element(a, i);
        if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_INT64 ||
            json_node_get_int(e) < 0 || json_node_get_int(e) > UINT16_MAX)
            return bad(c, "volume", "item %u: expected 0..65535", i);
        m->u.volume.volume[i] = (uint16_t)json_node_get_int(e);
    }
    return 0;
}

FIELDS(gdi, "displays");
static const char *const gdi_fields[] = {"channel-id", "monitor-id", "device-display-id",
                                         "device-address", NULL};
int vds_gdi_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    BEGIN(gdi);
    JsonNode *n = json_object_get_member(f, "displays");
    JsonArray *a = n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : NULL;
    if (n && !a)
        return bad(c, "displays", "expected a list");
    guint count = a ? json_array_get_length(a) : 0;
    m->u.gdi.count = count;
    m->u.gdi.info = g_new0(vds_display_info, count ? count : 1);
    for (guint i = 0; i < count; i++) {
        JsonNode *e = json_array_get_element(a, i);
        char path[32];
        snprintf(path, sizeof(path), "displays[%u].", i);
        field_ctx dc = {cc.msg, path, err};
        if (!JSON_NODE_HOLDS_OBJECT(e))
            return bad(&dc, "", "expected an object");
        JsonObject *o = json_node_get_object(e);
        vds_display_info *in = &m->u.gdi.info[i];
        int64_t ch, mon, dd;
        const char *addr = json_object_get_string_member_with_default(o, "device-address", NULL);
        if (only(o, gdi_fields, &dc) < 0 ||
            get_num(o, "channel-id", NULL, 0, UINT32_MAX, 0, false, &ch, &dc) < 0 ||
            get_num(o, "monitor-id", NULL, 0, UINT32_MAX, 0, false, &mon, &dc) < 0 ||
            get_num(o, "device-display-id", NULL, 0, UINT32_MAX, 0, false, &dd, &dc) < 0)
            return -1;
        if (!addr)
            return bad(&dc, "device-address", "missing");
        *in = (vds_display_info){(uint32_t)ch, (uint32_t)mon, (uint32_t)dd, g_strdup(addr),
                                 (uint32_t)strlen(addr) + 1};
    }
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
