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

static const vds_agent_desc descs[VD_AGENT_END_MESSAGE] = {
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
                                  FAMILY(monitors)},
    [VD_AGENT_REPLY] = {.name = "reply",
                        .dirs = VDS_DIR_FROM_AGENT,
                        .min_size = 8,
                        .exact_common = true,
                        .exact_vdagentd = true,
                        .needs_cap = NO_CAP,
                        FAMILY(reply)},
    [VD_AGENT_CLIPBOARD] = {.name = "clipboard",
                            .dirs = VDS_DIR_BOTH,
                            .min_size = 4,
                            .sel_prefix = true,
                            .needs_cap = VD_AGENT_CAP_CLIPBOARD_BY_DEMAND,
                            FAMILY(clipboard)},
    [VD_AGENT_DISPLAY_CONFIG] = {.name = "display-config",
                                 .dirs = VDS_DIR_TO_AGENT,
                                 .min_size = 8,
                                 .exact_common = true,
                                 .exact_vdagentd = true,
                                 .needs_cap = NO_CAP,
                                 FAMILY(display_config)},
    [VD_AGENT_ANNOUNCE_CAPABILITIES] = {.name = "announce-capabilities",
                                        .dirs = VDS_DIR_BOTH,
                                        .min_size = 4,
                                        .needs_cap = NO_CAP,
                                        FAMILY(caps)},
    [VD_AGENT_CLIPBOARD_GRAB] = {.name = "clipboard-grab",
                                 .dirs = VDS_DIR_BOTH,
                                 .min_size = 0,
                                 .sel_prefix = true,
                                 .needs_cap = VD_AGENT_CAP_CLIPBOARD_BY_DEMAND,
                                 FAMILY(grab)},
    [VD_AGENT_CLIPBOARD_REQUEST] = {.name = "clipboard-request",
                                    .dirs = VDS_DIR_BOTH,
                                    .min_size = 4,
                                    .exact_common = true,
                                    .exact_vdagentd = true,
                                    .sel_prefix = true,
                                    .needs_cap = VD_AGENT_CAP_CLIPBOARD_BY_DEMAND,
                                    FAMILY(request)},
    [VD_AGENT_CLIPBOARD_RELEASE] = {.name = "clipboard-release",
                                    .dirs = VDS_DIR_BOTH,
                                    .min_size = 0,
                                    .exact_common = true,
                                    .exact_vdagentd = true,
                                    .sel_prefix = true,
                                    .needs_cap = VD_AGENT_CAP_CLIPBOARD_BY_DEMAND,
                                    FAMILY(release)},
    [VD_AGENT_FILE_XFER_START] = {.name = "file-xfer-start",
                                  .dirs = VDS_DIR_TO_AGENT,
                                  .min_size = 4,
                                  .needs_cap = NO_CAP,
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
                                    FAMILY(volume)},
    [VD_AGENT_GRAPHICS_DEVICE_INFO] = {.name = "graphics-device-info",
                                       .dirs = VDS_DIR_TO_AGENT,
                                       .min_size = 4,
                                       .needs_cap = VD_AGENT_CAP_GRAPHICS_DEVICE_INFO,
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

static uint32_t layout_min(const vds_agent_desc *d, uint32_t type, uint32_t caps)
{
    uint32_t min = d->min_size;
    if (d->sel_prefix && (caps & SEL))
        min += 4;
    if (type == VD_AGENT_CLIPBOARD_GRAB && (caps & SERIAL))
        min += 4;
    return min;
}

/* Content checks of spice-common beyond sizes: counts that must fit. */
static vds_verdict check_content(uint32_t type, const uint8_t *d, uint32_t size, char *why,
                                 size_t why_size)
{
    switch (type) {
    case VD_AGENT_MONITORS_CONFIG: {
        uint32_t n = vds_get_u32(d);
        uint32_t max = (size - 8) / 20;
        if (n > max) {
            snprintf(why, why_size, "num_of_monitors %u needs %llu bytes, message has %u", n,
                     8ull + 20ull * n, size);
            return VDS_VERDICT_TRUNCATED;
        }
        return VDS_VERDICT_OK;
    }
    case VD_AGENT_AUDIO_VOLUME_SYNC: {
        uint8_t n = d[2];
        if (n > (size - 3) / 2) {
            snprintf(why, why_size, "nchannels %u needs %u bytes, message has %u", n, 3 + 2 * n,
                     size);
            return VDS_VERDICT_TRUNCATED;
        }
        return VDS_VERDICT_OK;
    }
    case VD_AGENT_GRAPHICS_DEVICE_INFO: {
        uint32_t count = vds_get_u32(d);
        size_t off = 4;
        for (uint32_t i = 0; i < count; i++) {
            if (size - off < 16) {
                snprintf(why, why_size, "device %u of %u: entry at data byte %zu truncated", i,
                         count, off);
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
    case VD_AGENT_MOUSE_STATE:
    case VD_AGENT_REPLY:
    case VD_AGENT_CLIPBOARD:
    case VD_AGENT_DISPLAY_CONFIG:
    case VD_AGENT_ANNOUNCE_CAPABILITIES:
    case VD_AGENT_CLIPBOARD_GRAB:
    case VD_AGENT_CLIPBOARD_REQUEST:
    case VD_AGENT_CLIPBOARD_RELEASE:
    case VD_AGENT_FILE_XFER_START:
    case VD_AGENT_FILE_XFER_STATUS:
    case VD_AGENT_FILE_XFER_DATA:
    case VD_AGENT_CLIENT_DISCONNECTED:
    case VD_AGENT_MAX_CLIPBOARD:
    case VD_AGENT_END_MESSAGE:
        return VDS_VERDICT_OK;
    }
    return VDS_VERDICT_OK;
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

    uint32_t min = layout_min(d, type, caps);
    const uint8_t *data = msg + VDS_AGENT_HDR_SIZE;
    bool common_bad = d->exact_common ? size != min : size < min;
    bool vdagentd_bad = d->exact_vdagentd ? size != min : size < min;
    if (common_bad) {
        out->common = VDS_VERDICT_BAD_SIZE;
        snprintf(out->common_why, sizeof(out->common_why), "%s size %u %s %u", d->name, size,
                 d->exact_common ? "!=" : "< minimum", min);
    } else {
        out->common = check_content(type, data, size, out->common_why, sizeof(out->common_why));
    }
    if (vdagentd_bad) {
        out->vdagentd = VDS_VERDICT_BAD_SIZE;
        snprintf(out->vdagentd_why, sizeof(out->vdagentd_why), "%s size %u %s %u", d->name, size,
                 d->exact_vdagentd ? "!=" : "< minimum", min);
        return;
    }
    if (type == VD_AGENT_MONITORS_CONFIG) {
        /* do_client_monitors(): no room for the physical-size trailer */
        uint64_t want = 8ull + 20ull * vds_get_u32(data);
        if (size != want) {
            out->vdagentd = VDS_VERDICT_BAD_SIZE;
            snprintf(out->vdagentd_why, sizeof(out->vdagentd_why),
                     "monitors-config size %u != 8 + 20 * %u = %llu", size, vds_get_u32(data),
                     (unsigned long long)want);
            return;
        }
    }
    if (out->common != VDS_VERDICT_OK && type != VD_AGENT_MONITORS_CONFIG) {
        /* vdagentd only checks sizes; content problems reach its handlers */
        out->vdagentd = VDS_VERDICT_OK;
    }
    if (type == VD_AGENT_REPLY || type == VD_AGENT_DISPLAY_CONFIG) {
        out->vdagentd = VDS_VERDICT_IGNORED;
        snprintf(out->vdagentd_why, sizeof(out->vdagentd_why),
                 "%s is size-checked and then ignored", d->name);
    }
}

void vds_agent_msg_clear(vds_agent_msg *m)
{
    if (m->view) { /* borrowed: not ours to free */
        if (m->type == VD_AGENT_CLIPBOARD)
            m->u.clipboard.data = NULL;
        if (m->type == VD_AGENT_FILE_XFER_DATA)
            m->u.xfer_data.data = NULL;
        m->trailing = NULL;
    }
    switch (m->type) {
    case VD_AGENT_MONITORS_CONFIG:
        g_free(m->u.monitors.mons);
        g_free(m->u.monitors.mm);
        break;
    case VD_AGENT_CLIPBOARD:
        g_free(m->u.clipboard.data);
        break;
    case VD_AGENT_ANNOUNCE_CAPABILITIES:
        g_free(m->u.caps.caps);
        break;
    case VD_AGENT_CLIPBOARD_GRAB:
        g_free(m->u.grab.types);
        break;
    case VD_AGENT_FILE_XFER_START:
        g_free(m->u.xfer_start.keyfile);
        break;
    case VD_AGENT_FILE_XFER_DATA:
        g_free(m->u.xfer_data.data);
        break;
    case VD_AGENT_AUDIO_VOLUME_SYNC:
        g_free(m->u.volume.volume);
        break;
    case VD_AGENT_GRAPHICS_DEVICE_INFO:
        for (uint32_t i = 0; m->u.gdi.info && i < m->u.gdi.count; i++)
            g_free(m->u.gdi.info[i].device_address);
        g_free(m->u.gdi.info);
        break;
    default: /* the other types own nothing; m->type is any u32 here */
        break;
    }
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

static void apply_sel(vds_clip_sel *s, uint32_t caps)
{
    s->has_selection = (caps & SEL) != 0;
}

void vds_agent_msg_apply_caps(vds_agent_msg *m, uint32_t caps)
{
    switch (m->type) {
    case VD_AGENT_CLIPBOARD:
        apply_sel(&m->u.clipboard.sel, caps);
        break;
    case VD_AGENT_CLIPBOARD_GRAB:
        apply_sel(&m->u.grab.sel, caps);
        m->u.grab.has_serial = (caps & SERIAL) != 0;
        break;
    case VD_AGENT_CLIPBOARD_REQUEST:
        apply_sel(&m->u.request.sel, caps);
        break;
    case VD_AGENT_CLIPBOARD_RELEASE:
        apply_sel(&m->u.release.sel, caps);
        break;
    default: /* no conditional layout */
        break;
    }
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
