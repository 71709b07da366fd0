/* The VD_AGENT_* descriptor table and the generic check/decode/encode. */
#include <stdio.h>
#include <string.h>

#include "proto/agent-family.h"

#define SEL    VDS_CAP(VD_AGENT_CAP_CLIPBOARD_SELECTION)
#define SERIAL VDS_CAP(VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL)

#define FAMILY(fam)                                                                               \
    .decode = vds_##fam##_decode, .encode = vds_##fam##_encode, .describe = vds_##fam##_describe, \
    .fields = vds_##fam##_fields, .build = vds_##fam##_build

/* Size rules: spice-common common/agent.c agent_message_check_size() and
 * spice-vdagentd 0.22.1 vdagent_message_check_size() (protocol-reference 1.3).
 * The two differ only for FILE_XFER_STATUS (vdagentd: exact) and in
 * vdagentd's extra MONITORS_CONFIG check, applied in vds_agent_check_msg(). */
#define NO_CAP (-1)

/* REPLY and DISPLAY_CONFIG: vdagentd checks their size and does nothing more. */
static vds_verdict ignored_by_vdagentd(const vds_agent_desc *d, const uint8_t *data, uint32_t size,
                                       char *why, size_t why_size)
{
    snprintf(why, why_size, "%s is size-checked and then ignored", d->name);
    return VDS_VERDICT_IGNORED;
}

/* Left unsized, so the assertion below fails when a type is missing at the end. */
static const vds_agent_desc descs[] = {
    [VD_AGENT_MOUSE_STATE] = {.name = "mouse-state",
                              .dirs = VDS_DIR_TO_AGENT,
                              .min_size = 13,
                              .exact_common = true,
                              .exact_vdagentd = true,
                              .needs_cap = VD_AGENT_CAP_MOUSE_STATE,
                              FAMILY(mouse)},
    [VD_AGENT_MONITORS_CONFIG] = {.name = "monitors-config",
                                  .dirs = VDS_DIR_TO_AGENT,
                                  .min_size = 8,
                                  .needs_cap = VD_AGENT_CAP_MONITORS_CONFIG,
                                  .check = vds_monitors_check,
                                  .check_vdagentd = vds_monitors_check_vdagentd,
                                  .clear = vds_monitors_clear,
                                  FAMILY(monitors)},
    [VD_AGENT_REPLY] = {.name = "reply",
                        .dirs = VDS_DIR_FROM_AGENT,
                        .min_size = 8,
                        .exact_common = true,
                        .exact_vdagentd = true,
                        .needs_cap = NO_CAP,
                        .check_vdagentd = ignored_by_vdagentd,
                        FAMILY(reply)},
    [VD_AGENT_CLIPBOARD] = {.name = "clipboard",
                            .dirs = VDS_DIR_BOTH,
                            .min_size = 4,
                            .sel_prefix = true,
                            .needs_cap = VD_AGENT_CAP_CLIPBOARD_BY_DEMAND,
                            .apply_caps = vds_clipboard_apply_caps,
                            .clear = vds_clipboard_clear,
                            FAMILY(clipboard)},
    [VD_AGENT_DISPLAY_CONFIG] = {.name = "display-config",
                                 .dirs = VDS_DIR_TO_AGENT,
                                 .min_size = 8,
                                 .exact_common = true,
                                 .exact_vdagentd = true,
                                 .needs_cap = NO_CAP,
                                 .check_vdagentd = ignored_by_vdagentd,
                                 FAMILY(display_config)},
    [VD_AGENT_ANNOUNCE_CAPABILITIES] = {.name = "announce-capabilities",
                                        .dirs = VDS_DIR_BOTH,
                                        .min_size = 4,
                                        .needs_cap = NO_CAP,
                                        .clear = vds_caps_clear,
                                        FAMILY(caps)},
    [VD_AGENT_CLIPBOARD_GRAB] = {.name = "clipboard-grab",
                                 .dirs = VDS_DIR_BOTH,
                                 .min_size = 0,
                                 .sel_prefix = true,
                                 .serial_prefix = true,
                                 .needs_cap = VD_AGENT_CAP_CLIPBOARD_BY_DEMAND,
                                 .apply_caps = vds_grab_apply_caps,
                                 .clear = vds_grab_clear,
                                 FAMILY(grab)},
    [VD_AGENT_CLIPBOARD_REQUEST] = {.name = "clipboard-request",
                                    .dirs = VDS_DIR_BOTH,
                                    .min_size = 4,
                                    .exact_common = true,
                                    .exact_vdagentd = true,
                                    .sel_prefix = true,
                                    .needs_cap = VD_AGENT_CAP_CLIPBOARD_BY_DEMAND,
                                    .apply_caps = vds_request_apply_caps,
                                    FAMILY(request)},
    [VD_AGENT_CLIPBOARD_RELEASE] = {.name = "clipboard-release",
                                    .dirs = VDS_DIR_BOTH,
                                    .min_size = 0,
                                    .exact_common = true,
                                    .exact_vdagentd = true,
                                    .sel_prefix = true,
                                    .needs_cap = VD_AGENT_CAP_CLIPBOARD_BY_DEMAND,
                                    .apply_caps = vds_release_apply_caps,
                                    FAMILY(release)},
    [VD_AGENT_FILE_XFER_START] = {.name = "file-xfer-start",
                                  .dirs = VDS_DIR_TO_AGENT,
                                  .min_size = 4,
                                  .needs_cap = NO_CAP,
                                  .clear = vds_xfer_start_clear,
                                  FAMILY(xfer_start)},
    [VD_AGENT_FILE_XFER_STATUS] = {.name = "file-xfer-status",
                                   .dirs = VDS_DIR_BOTH,
                                   .min_size = 8,
                                   .exact_vdagentd = true,
                                   .needs_cap = NO_CAP,
                                   FAMILY(xfer_status)},
    [VD_AGENT_FILE_XFER_DATA] = {.name = "file-xfer-data",
                                 .dirs = VDS_DIR_TO_AGENT,
                                 .min_size = 12,
                                 .needs_cap = NO_CAP,
                                 .clear = vds_xfer_data_clear,
                                 FAMILY(xfer_data)},
    [VD_AGENT_CLIENT_DISCONNECTED] = {.name = "client-disconnected",
                                      .dirs = VDS_DIR_TO_AGENT,
                                      .min_size = 0,
                                      .exact_common = true,
                                      .exact_vdagentd = true,
                                      .needs_cap = NO_CAP,
                                      FAMILY(disconnected)},
    [VD_AGENT_MAX_CLIPBOARD] = {.name = "max-clipboard",
                                .dirs = VDS_DIR_TO_AGENT,
                                .min_size = 4,
                                .exact_common = true,
                                .exact_vdagentd = true,
                                .needs_cap = VD_AGENT_CAP_MAX_CLIPBOARD,
                                FAMILY(max_clipboard)},
    [VD_AGENT_AUDIO_VOLUME_SYNC] = {.name = "audio-volume-sync",
                                    .dirs = VDS_DIR_TO_AGENT,
                                    .min_size = 3,
                                    .needs_cap = VD_AGENT_CAP_AUDIO_VOLUME_SYNC,
                                    .check = vds_volume_check,
                                    .clear = vds_volume_clear,
                                    FAMILY(volume)},
    [VD_AGENT_GRAPHICS_DEVICE_INFO] = {.name = "graphics-device-info",
                                       .dirs = VDS_DIR_TO_AGENT,
                                       .min_size = 4,
                                       .needs_cap = VD_AGENT_CAP_GRAPHICS_DEVICE_INFO,
                                       .check = vds_gdi_check,
                                       .clear = vds_gdi_clear,
                                       FAMILY(gdi)},
};
_Static_assert(G_N_ELEMENTS(descs) == VD_AGENT_END_MESSAGE,
               "descriptor table must cover every VD_AGENT_* type");

/* Names come from descs, never from a second hand-kept list; this array only
 * gives vds_names its shape and is filled before main(). */
static const char *type_name_table[VD_AGENT_END_MESSAGE];
const vds_names vds_agent_type_names = {"message type", type_name_table,
                                        G_N_ELEMENTS(type_name_table)};

static void __attribute__((constructor)) init_type_names(void)
{
    for (size_t i = 0; i < G_N_ELEMENTS(descs); i++)
        type_name_table[i] = descs[i].name;
}

const vds_agent_desc *vds_agent_desc_get(uint32_t type)
{
    if (type >= G_N_ELEMENTS(descs) || !descs[type].name)
        return NULL;
    return &descs[type];
}

const char *vds_dir_name(vds_dir d)
{
    switch (d) {
    case VDS_DIR_TO_AGENT:
        return "to-agent";
    case VDS_DIR_FROM_AGENT:
        return "from-agent";
    }
    return "?";
}

bool vds_dir_parse(const char *s, vds_dir *out)
{
    if (strcmp(s, "to-agent") == 0 || strcmp(s, "host") == 0) {
        *out = VDS_DIR_TO_AGENT;
        return true;
    }
    if (strcmp(s, "from-agent") == 0 || strcmp(s, "agent") == 0) {
        *out = VDS_DIR_FROM_AGENT;
        return true;
    }
    return false;
}

const char *vds_verdict_name(vds_verdict v)
{
    switch (v) {
    case VDS_VERDICT_OK:
        return "ok";
    case VDS_VERDICT_TRUNCATED:
        return "truncated";
    case VDS_VERDICT_BAD_PROTOCOL:
        return "bad-protocol";
    case VDS_VERDICT_UNKNOWN_TYPE:
        return "unknown-type";
    case VDS_VERDICT_BAD_SIZE:
        return "bad-size";
    case VDS_VERDICT_BAD_DATA:
        return "bad-data";
    case VDS_VERDICT_IGNORED:
        return "ignored";
    }
    return "?";
}

static uint32_t layout_min(const vds_agent_desc *d, uint32_t caps)
{
    uint32_t min = d->min_size;
    if (d->sel_prefix && (caps & SEL))
        min += 4;
    if (d->serial_prefix && (caps & SERIAL))
        min += 4;
    return min;
}

static void set_both(vds_agent_check *out, vds_verdict v, const char *why)
{
    out->common = out->vdagentd = v;
    snprintf(out->common_why, sizeof(out->common_why), "%s", why);
    snprintf(out->vdagentd_why, sizeof(out->vdagentd_why), "%s", why);
}

void vds_agent_check_msg(const uint8_t *msg, size_t len, uint32_t caps, vds_dir dir,
                         vds_agent_check *out)
{
    char why[160];

    memset(out, 0, sizeof(*out));
    out->dir_ok = true;
    out->missing_cap = -1;
    if (len < VDS_AGENT_HDR_SIZE) {
        snprintf(why, sizeof(why), "message header needs 20 bytes, have %zu", len);
        set_both(out, VDS_VERDICT_TRUNCATED, why);
        return;
    }
    uint32_t protocol = vds_get_u32(msg), type = vds_get_u32(msg + 4);
    uint32_t size = vds_get_u32(msg + 16);
    if (protocol != VD_AGENT_PROTOCOL) {
        snprintf(why, sizeof(why), "protocol %u != %u", protocol, VD_AGENT_PROTOCOL);
        set_both(out, VDS_VERDICT_BAD_PROTOCOL, why);
        return;
    }
    const vds_agent_desc *d = vds_agent_desc_get(type);
    if (!d) {
        snprintf(why, sizeof(why), "unknown message type %u", type);
        set_both(out, VDS_VERDICT_UNKNOWN_TYPE, why);
        return;
    }
    if (len - VDS_AGENT_HDR_SIZE != size) {
        snprintf(why, sizeof(why), "header size %u but %zu data bytes present", size,
                 len - VDS_AGENT_HDR_SIZE);
        set_both(out, VDS_VERDICT_TRUNCATED, why);
        return;
    }
    out->dir_ok = (d->dirs & dir) != 0;
    if (d->needs_cap >= 0 && !(caps & VDS_CAP(d->needs_cap)))
        out->missing_cap = d->needs_cap;

    uint32_t min = layout_min(d, caps);
    const uint8_t *data = msg + VDS_AGENT_HDR_SIZE;
    bool common_bad = d->exact_common ? size != min : size < min;
    bool vdagentd_bad = d->exact_vdagentd ? size != min : size < min;
    if (common_bad) {
        out->common = VDS_VERDICT_BAD_SIZE;
        snprintf(out->common_why, sizeof(out->common_why), "%s size %u %s %u", d->name, size,
                 d->exact_common ? "!=" : "< minimum", min);
    } else {
        out->common = d->check ? d->check(data, size, out->common_why, sizeof(out->common_why))
                               : VDS_VERDICT_OK;
    }
    if (vdagentd_bad) {
        out->vdagentd = VDS_VERDICT_BAD_SIZE;
        snprintf(out->vdagentd_why, sizeof(out->vdagentd_why), "%s size %u %s %u", d->name, size,
                 d->exact_vdagentd ? "!=" : "< minimum", min);
        return;
    }
    /* content problems spice-common sees reach vdagentd's handlers: what
       it does with them is its own check */
    out->vdagentd = d->check_vdagentd ? d->check_vdagentd(d, data, size, out->vdagentd_why,
                                                          sizeof(out->vdagentd_why))
                                      : VDS_VERDICT_OK;
}

void vds_agent_msg_clear(vds_agent_msg *m)
{
    const vds_agent_desc *d = vds_agent_desc_get(m->type); /* m->type is any u32 here */
    if (d && d->clear)
        d->clear(m);
    if (!m->view) /* a view's trailing bytes are borrowed */
        g_free(m->trailing);
    memset(m, 0, sizeof(*m));
}

static int decode(const uint8_t *bytes, size_t len, uint32_t caps, bool view, vds_agent_msg *m,
                  vds_err *err)
{
    vds_agent_check chk;

    memset(m, 0, sizeof(*m));
    m->view = view;
    vds_agent_check_msg(bytes, len, caps, VDS_DIR_BOTH, &chk);
    if (len < VDS_AGENT_HDR_SIZE)
        return vds_err_set(err, VDS_ERR_PARSE, "message byte 0", "%s", chk.common_why);
    m->protocol = vds_get_u32(bytes);
    m->type = vds_get_u32(bytes + 4);
    m->opaque = vds_get_u64(bytes + 8);
    m->size = vds_get_u32(bytes + 16);
    const uint8_t *data = bytes + VDS_AGENT_HDR_SIZE;

    if (chk.common == VDS_VERDICT_UNKNOWN_TYPE && len - VDS_AGENT_HDR_SIZE == m->size) {
        m->trailing = vds_blob(m, data, m->size);
        m->trailing_len = m->size;
        return 0;
    }
    /* vdagentd's 1-byte RELEASE on session switch: decode it, the check says the rest */
    bool short_release = m->type == VD_AGENT_CLIPBOARD_RELEASE && m->size == 1 &&
                         len == VDS_AGENT_HDR_SIZE + 1 && chk.common == VDS_VERDICT_BAD_SIZE;
    if (chk.common != VDS_VERDICT_OK && !short_release) {
        const char *loc = chk.common == VDS_VERDICT_BAD_PROTOCOL   ? "message byte 0"
                          : chk.common == VDS_VERDICT_UNKNOWN_TYPE ? "message byte 4"
                          : chk.common == VDS_VERDICT_BAD_SIZE     ? "message byte 16"
                                                                   : "message byte 20";
        int ret = vds_err_set(err, VDS_ERR_PARSE, loc, "%s", chk.common_why);
        memset(m, 0, sizeof(*m));
        return ret;
    }
    if (short_release) {
        m->u.release.sel.has_selection = true;
        m->u.release.sel.selection = data[0];
        m->u.release.short_release = true;
        return 0;
    }
    const vds_agent_desc *d = vds_agent_desc_get(m->type);
    if (d->decode(data, m->size, caps, m, err) < 0) {
        vds_agent_msg_clear(m);
        return -1;
    }
    return 0;
}

int vds_agent_decode(const uint8_t *bytes, size_t len, uint32_t caps, vds_agent_msg *m,
                     vds_err *err)
{
    return decode(bytes, len, caps, false, m, err);
}

int vds_agent_decode_view(const uint8_t *bytes, size_t len, uint32_t caps, vds_agent_msg *m,
                          vds_err *err)
{
    return decode(bytes, len, caps, true, m, err);
}

int vds_agent_encode(const vds_agent_msg *m, vds_buf *out, vds_err *err)
{
    size_t start = out->len;
    uint8_t *h = vds_buf_extend(out, VDS_AGENT_HDR_SIZE, err);
    if (!h)
        return -1;
    vds_put_u32(h, m->protocol);
    vds_put_u32(h + 4, m->type);
    vds_put_u64(h + 8, m->opaque);
    const vds_agent_desc *d = vds_agent_desc_get(m->type);
    if (d && !(m->type == VD_AGENT_CLIPBOARD_RELEASE && m->u.release.short_release)) {
        if (d->encode(m, out, err) < 0)
            goto fail;
    } else if (d) {
        if (vds_buf_append(out, &m->u.release.sel.selection, 1, err) < 0)
            goto fail;
    }
    if (m->trailing_len && vds_buf_append(out, m->trailing, m->trailing_len, err) < 0)
        goto fail;
    size_t size = out->len - start - VDS_AGENT_HDR_SIZE;
    if (size > UINT32_MAX) {
        vds_err_set(err, VDS_ERR_LIMIT, NULL, "message data of %zu bytes exceeds u32", size);
        goto fail;
    }
    vds_put_u32(out->data + start + 16, (uint32_t)size);
    return 0;
fail:
    out->len = start;
    return -1;
}

void vds_agent_msg_apply_caps(vds_agent_msg *m, uint32_t caps)
{
    const vds_agent_desc *d = vds_agent_desc_get(m->type);
    if (d && d->apply_caps)
        d->apply_caps(m, caps);
}

void vds_agent_describe(const vds_agent_msg *m, JsonBuilder *b)
{
    const vds_agent_desc *d = vds_agent_desc_get(m->type);
    if (d) {
        if (m->type == VD_AGENT_CLIPBOARD_RELEASE && m->u.release.short_release) {
            vds_describe_enum(b, "selection", &vds_clip_sel_names, m->u.release.sel.selection);
            json_builder_set_member_name(b, "quirk");
            json_builder_add_string_value(b, "1-byte release (spice-vdagentd)");
        } else {
            d->describe(m, b);
        }
    }
    if (m->trailing_len)
        vds_describe_bytes(b, d ? "trailing" : "payload", m->trailing, m->trailing_len, false);
}
