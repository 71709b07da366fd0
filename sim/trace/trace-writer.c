#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/hex.h"
#include "trace/trace.h"

static void add_caps(JsonBuilder *b, const char *key, uint32_t caps)
{
    vds_describe_bits(b, key, &vds_agent_cap_names, caps);
}

JsonNode *vds_trace_header_new(const vds_trace_info *info)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *created = g_date_time_format_iso8601(now);

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "vdsim-trace");
    json_builder_add_int_value(b, VDS_TRACE_VERSION);
    json_builder_set_member_name(b, "tool");
    json_builder_add_string_value(b, "vdsim " VDS_VERSION);
    json_builder_set_member_name(b, "source");
    json_builder_add_string_value(b, info->source ? info->source : "");
    json_builder_set_member_name(b, "target");
    if (info->target)
        json_builder_add_string_value(b, info->target);
    else
        json_builder_add_null_value(b);
    if (info->port_writer) { /* who wrote to the agent's port: vdsim or a spice-server */
        json_builder_set_member_name(b, "port-writer");
        json_builder_add_string_value(b, info->port_writer);
    }
    json_builder_set_member_name(b, "agent-version");
    if (info->agent_version)
        json_builder_add_string_value(b, info->agent_version);
    else
        json_builder_add_null_value(b);
    json_builder_set_member_name(b, "caps");
    json_builder_begin_object(b);
    add_caps(b, "host", info->host_caps);
    add_caps(b, "agent", info->agent_caps);
    json_builder_end_object(b);
    json_builder_set_member_name(b, "host");
    json_builder_add_string_value(b, g_get_host_name());
    json_builder_set_member_name(b, "created");
    json_builder_add_string_value(b, created);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

static void add_raw_max(JsonBuilder *b, const uint8_t *p, size_t n, size_t max)
{
    json_builder_set_member_name(b, "raw");
    if (n > max) {
        vds_describe_digest(b, p, n);
    } else {
        g_autofree char *hex = vds_hex_encode(p, n);
        json_builder_add_string_value(b, hex);
    }
}

static void add_raw(JsonBuilder *b, const uint8_t *p, size_t n)
{
    add_raw_max(b, p, n, VDS_TRACE_RAW_MAX);
}

static void add_check(JsonBuilder *b, const vds_agent_check *c, vds_dir dir)
{
    bool vdagentd_matters = dir == VDS_DIR_TO_AGENT;
    if (c->common == VDS_VERDICT_OK && (!vdagentd_matters || c->vdagentd == VDS_VERDICT_OK) &&
        c->dir_ok && c->missing_cap < 0)
        return;
    json_builder_set_member_name(b, "check");
    json_builder_begin_object(b);
    if (c->common != VDS_VERDICT_OK) {
        g_autofree char *s = g_strdup_printf("%s: %s", vds_verdict_name(c->common), c->common_why);
        json_builder_set_member_name(b, "spice-common");
        json_builder_add_string_value(b, s);
    }
    if (vdagentd_matters && c->vdagentd != VDS_VERDICT_OK) {
        g_autofree char *s =
            g_strdup_printf("%s: %s", vds_verdict_name(c->vdagentd), c->vdagentd_why);
        json_builder_set_member_name(b, "spice-vdagentd");
        json_builder_add_string_value(b, s);
    }
    if (!c->dir_ok) {
        json_builder_set_member_name(b, "direction");
        json_builder_add_string_value(b, "unexpected in this direction");
    }
    if (c->missing_cap >= 0) {
        json_builder_set_member_name(b, "missing-cap");
        json_builder_add_string_value(
            b, vds_names_get(&vds_agent_cap_names, (uint32_t)c->missing_cap));
    }
    json_builder_end_object(b);
}

JsonNode *vds_trace_agent_event(uint64_t t_ns, vds_dir dir, const vds_chunk_msg *cm, uint32_t caps,
                                bool *malformed)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    vds_agent_check chk;
    vds_agent_msg m;
    vds_err err = {0};

    vds_agent_check_msg(cm->bytes, cm->len, caps, dir, &chk);
    int rc = vds_agent_decode_view(cm->bytes, cm->len, caps, &m, &err);
    *malformed = rc < 0; /* decode refuses exactly what spice-common refuses, bar quirks */

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "t");
    json_builder_add_int_value(b, (gint64)t_ns);
    json_builder_set_member_name(b, "kind");
    json_builder_add_string_value(b, "agent");
    json_builder_set_member_name(b, "dir");
    json_builder_add_string_value(b, vds_dir_name(dir));
    json_builder_set_member_name(b, "offset");
    json_builder_add_int_value(b, (gint64)cm->offset);
    json_builder_set_member_name(b, "port");
    json_builder_add_int_value(b, cm->port);
    json_builder_set_member_name(b, "chunks");
    json_builder_add_int_value(b, cm->n_chunks);
    if (cm->len >= VDS_AGENT_HDR_SIZE) {
        uint32_t type = vds_get_u32(cm->bytes + 4);
        vds_describe_enum(b, "type", &vds_agent_type_names, type);
        json_builder_set_member_name(b, "protocol");
        json_builder_add_int_value(b, vds_get_u32(cm->bytes));
        json_builder_set_member_name(b, "opaque");
        json_builder_add_int_value(b, (gint64)vds_get_u64(cm->bytes + 8));
        json_builder_set_member_name(b, "size");
        json_builder_add_int_value(b, vds_get_u32(cm->bytes + 16));
    }
    if (rc == 0) {
        json_builder_set_member_name(b, "fields");
        json_builder_begin_object(b);
        vds_agent_describe(&m, b);
        json_builder_end_object(b);
        vds_agent_msg_clear(&m);
    } else {
        char buf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
        json_builder_set_member_name(b, "error");
        json_builder_add_string_value(b, vds_err_str(&err, buf, sizeof(buf)));
    }
    add_check(b, &chk, dir);
    add_raw(b, cm->bytes, cm->len);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

JsonNode *vds_trace_spice_event(uint64_t t_ns, vds_spice_side side, uint8_t channel, uint16_t type,
                                const uint8_t *body, size_t len)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    const vds_spice_msg_desc *d = vds_spice_msg_desc_get(channel, side, type);
    char cbuf[32];

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "t");
    json_builder_add_int_value(b, (gint64)t_ns);
    json_builder_set_member_name(b, "kind");
    json_builder_add_string_value(b, "spice");
    json_builder_set_member_name(b, "dir");
    json_builder_add_string_value(b, side == VDS_SPICE_FROM_SERVER ? "from-server" : "to-server");
    json_builder_set_member_name(b, "channel");
    json_builder_add_string_value(
        b, vds_names_fmt(&vds_spice_channel_names, channel, cbuf, sizeof(cbuf)));
    json_builder_set_member_name(b, "type");
    if (d)
        json_builder_add_string_value(b, d->name);
    else
        json_builder_add_int_value(b, type);
    json_builder_set_member_name(b, "size");
    json_builder_add_int_value(b, (gint64)len);
    if (d && type != SPICE_MSG_MAIN_AGENT_DATA) { /* agent data: raw, decoded apart */
        json_builder_set_member_name(b, "fields");
        json_builder_begin_object(b);
        vds_err err = {0};
        if (vds_spice_msg_describe(channel, side, type, body, len, b, &err) < 0) {
            json_builder_end_object(b);
            char buf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
            json_builder_set_member_name(b, "error");
            json_builder_add_string_value(b, vds_err_str(&err, buf, sizeof(buf)));
        } else {
            json_builder_end_object(b);
        }
    }
    /* agent data: its messages are events of their own, with their bytes;
       a digest keeps a 16 MiB transfer's 8192 pieces small */
    add_raw_max(b, body, len, type == SPICE_MSG_MAIN_AGENT_DATA ? 64 : VDS_TRACE_RAW_MAX);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

static void add_str(JsonBuilder *b, const char *key, const char *v)
{
    json_builder_set_member_name(b, key);
    json_builder_add_string_value(b, v);
}

/* The members every event starts with. */
static void begin_event(JsonBuilder *b, uint64_t t_ns, const char *kind, const char *dir)
{
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "t");
    json_builder_add_int_value(b, (gint64)t_ns);
    add_str(b, "kind", kind);
    add_str(b, "dir", dir);
}

static JsonNode *end_event(JsonBuilder *b)
{
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

JsonNode *vds_trace_spice_closed_event(uint64_t t_ns, uint8_t channel, const vds_err *e)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    char buf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];

    begin_event(b, t_ns, "spice", "from-server");
    add_str(b, "channel", vds_names_get(&vds_spice_channel_names, channel));
    add_str(b, "type", "closed");
    if (e)
        add_str(b, "error", vds_err_str(e, buf, sizeof(buf)));
    return end_event(b);
}

JsonNode *vds_trace_server_log_event(uint64_t t_ns, GLogLevelFlags level, const char *message)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    const char *name = level & G_LOG_LEVEL_ERROR      ? "error"
                       : level & G_LOG_LEVEL_CRITICAL ? "critical"
                       : level & G_LOG_LEVEL_WARNING  ? "warning"
                       : level & G_LOG_LEVEL_MESSAGE  ? "message"
                       : level & G_LOG_LEVEL_INFO     ? "info"
                                                      : "debug";
    begin_event(b, t_ns, "spice", "server-log");
    add_str(b, "type", "log");
    add_str(b, "level", name);
    add_str(b, "message", message);
    return end_event(b);
}

JsonNode *vds_trace_error_event(uint64_t t_ns, vds_dir dir, const vds_err *e)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    char buf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];

    begin_event(b, t_ns, "framing-error", vds_dir_name(dir));
    add_str(b, "error", vds_err_str(e, buf, sizeof(buf)));
    return end_event(b);
}

static void append_fields(GString *s, JsonObject *ev)
{
    JsonNode *fields = json_object_get_member(ev, "fields");
    if (fields) {
        g_autofree char *f = vds_json_to_text(fields);
        if (*f)
            g_string_append_printf(s, " %s", f);
    }
}

char *vds_trace_event_text(JsonObject *ev)
{
    GString *s = g_string_new(NULL);
    const char *kind = json_object_get_string_member_with_default(ev, "kind", "?");
    gint64 t = json_object_get_int_member_with_default(ev, "t", 0);

    if (t > 0)
        g_string_append_printf(s, "%12.6f ", t / 1e9);
    if (json_object_has_member(ev, "offset"))
        g_string_append_printf(s, "@0x%06" G_GINT64_MODIFIER "x ",
                               json_object_get_int_member(ev, "offset"));
    g_string_append_printf(s, "%-10s ", json_object_get_string_member_with_default(ev, "dir", ""));
    if (strcmp(kind, "spice") == 0) {
        JsonNode *type = json_object_get_member(ev, "type");
        g_autofree char *tname = type ? vds_json_to_text(type) : g_strdup("?");
        g_string_append_printf(s, "%s %s size=%" G_GINT64_FORMAT,
                               json_object_get_string_member_with_default(ev, "channel", "?"),
                               tname, json_object_get_int_member_with_default(ev, "size", 0));
        append_fields(s, ev);
    } else if (strcmp(kind, "agent") == 0 || strcmp(kind, "port") == 0) {
        if (strcmp(kind, "port") == 0)
            g_string_append(s, "at-port ");
        JsonNode *type = json_object_get_member(ev, "type");
        g_autofree char *tname = type ? vds_json_to_text(type) : g_strdup("?");
        g_string_append_printf(s, "port=%" G_GINT64_FORMAT " %s",
                               json_object_get_int_member_with_default(ev, "port", 0), tname);
        if (json_object_has_member(ev, "size"))
            g_string_append_printf(s, " size=%" G_GINT64_FORMAT,
                                   json_object_get_int_member(ev, "size"));
        gint64 chunks = json_object_get_int_member_with_default(ev, "chunks", 1);
        if (chunks != 1)
            g_string_append_printf(s, " chunks=%" G_GINT64_FORMAT, chunks);
        append_fields(s, ev);
    } else if (strcmp(kind, "step") == 0) {
        gint64 step = json_object_get_int_member_with_default(ev, "step", 0);
        const char *failed = json_object_get_string_member_with_default(ev, "failed", NULL);
        if (failed)
            g_string_append_printf(s, "step %" G_GINT64_FORMAT " failed: %s", step, failed);
        else
            g_string_append_printf(s, "step %" G_GINT64_FORMAT " %s: %s", step,
                                   json_object_get_string_member_with_default(ev, "what", "?"),
                                   json_object_get_string_member_with_default(ev, "body", ""));
    } else {
        g_string_append(s, kind);
        const char *note = json_object_get_string_member_with_default(ev, "note", NULL);
        if (note)
            g_string_append_printf(s, " %s", note);
        JsonNode *obs = json_object_get_member(ev, "observed");
        if (obs) {
            g_autofree char *o = vds_json_to_text(obs);
            g_string_append_printf(s, ": %s", o);
        }
    }
    const char *error = json_object_get_string_member_with_default(ev, "error", NULL);
    if (error)
        g_string_append_printf(s, " ERROR %s", error);
    JsonNode *check = json_object_get_member(ev, "check");
    if (check) {
        g_autofree char *c = vds_json_to_text(check);
        g_string_append_printf(s, " ! %s", c);
    }
    return g_string_free(s, FALSE);
}

struct vds_trace_writer {
    FILE *fp;
    bool own;
    bool failed;
    char failed_why[256]; /* the first failure, with its errno */
    char *path;
};

static int write_node(vds_trace_writer *w, JsonNode *node, vds_err *err)
{
    g_autofree char *line = json_to_string(node, FALSE);
    if (w->failed) /* the first failure is the one to report */
        return vds_err_set(err, VDS_ERR_IO, w->path, "%s", w->failed_why);
    if (fputs(line, w->fp) < 0 || fputc('\n', w->fp) < 0 || fflush(w->fp) != 0) {
        w->failed = true;
        snprintf(w->failed_why, sizeof(w->failed_why), "cannot write trace: %s", g_strerror(errno));
        return vds_err_set(err, VDS_ERR_IO, w->path, "%s", w->failed_why);
    }
    return 0;
}

vds_trace_writer *vds_trace_writer_open(const char *path, const vds_trace_info *info, vds_err *err)
{
    vds_trace_writer *w = g_new0(vds_trace_writer, 1);
    w->path = g_strdup(path);
    if (strcmp(path, "-") == 0) {
        w->fp = stdout;
    } else {
        w->fp = fopen(path, "w");
        w->own = true;
        if (!w->fp) {
            vds_err_set(err, VDS_ERR_IO, path, "cannot create trace: %s", g_strerror(errno));
            g_free(w->path);
            g_free(w);
            return NULL;
        }
    }
    g_autoptr(JsonNode) hdr = vds_trace_header_new(info);
    if (write_node(w, hdr, err) < 0) {
        vds_trace_writer_close(w, NULL);
        return NULL;
    }
    return w;
}

int vds_trace_writer_add(vds_trace_writer *w, JsonNode *event, vds_err *err)
{
    return write_node(w, event, err);
}

int vds_trace_writer_close(vds_trace_writer *w, vds_err *err)
{
    int rc = 0;
    if (!w)
        return 0;
    if (w->own && !w->failed &&
        (fflush(w->fp) != 0 || (fsync(fileno(w->fp)) != 0 && errno != EINVAL))) {
        w->failed = true;
        snprintf(w->failed_why, sizeof(w->failed_why), "cannot write trace: %s", g_strerror(errno));
    }
    if (w->own && fclose(w->fp) != 0 && !w->failed) {
        w->failed = true;
        snprintf(w->failed_why, sizeof(w->failed_why), "cannot close trace: %s", g_strerror(errno));
    }
    if (w->failed)
        rc = vds_err_set(err, VDS_ERR_IO, w->path, "%s", w->failed_why);
    g_free(w->path);
    g_free(w);
    return rc;
}

static bool is_text(const uint8_t *p, size_t n)
{
    return !n || (!memchr(p, 0, n) && g_utf8_validate((const char *)p, (gssize)n, NULL));
}

JsonNode *vds_trace_bytes_node(const uint8_t *p, size_t n)
{
    JsonNode *node = json_node_new(JSON_NODE_VALUE);
    if (is_text(p, n)) {
        g_autofree char *s = g_strndup(n ? (const char *)p : "", n);
        json_node_set_string(node, s);
        return node;
    }
    g_autofree char *hex = vds_hex_encode(p, n);
    json_node_set_string(node, hex);
    JsonObject *o = json_object_new();
    json_object_set_member(o, "hex", node);
    JsonNode *out = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(out, o);
    return out;
}

char *vds_bytes_text(const uint8_t *p, size_t n)
{
    if (is_text(p, n))
        return g_strndup(n ? (const char *)p : "", n);
    g_autofree char *hex = vds_hex_encode(p, n);
    return g_strdup_printf("hex:%s", hex);
}
