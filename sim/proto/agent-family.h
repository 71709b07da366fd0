/* Shared by the family files: the selection prefix and error shorthands. */
#pragma once

#include "proto/agent.h"

#define VDS_SEL_CAP    VDS_CAP(VD_AGENT_CAP_CLIPBOARD_SELECTION)
#define VDS_SERIAL_CAP VDS_CAP(VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL)

/* A blob member of m: a copy of n bytes at p, or p itself in a view. */
static inline uint8_t *vds_blob(const vds_agent_msg *m, const uint8_t *p, size_t n)
{
    return m->view ? (uint8_t *)p : g_memdup2(p, n);
}

/* Read the selection prefix if caps say it is there; returns its length. */
static inline uint32_t vds_sel_decode(const uint8_t *d, uint32_t caps, vds_clip_sel *s)
{
    if (!(caps & VDS_SEL_CAP))
        return 0;
    s->has_selection = true;
    s->selection = d[0];
    memcpy(s->reserved, d + 1, 3);
    return 4;
}

static inline int vds_sel_encode(const vds_clip_sel *s, vds_buf *out, vds_err *err)
{
    if (!s->has_selection)
        return 0;
    uint8_t p[4] = {s->selection, s->reserved[0], s->reserved[1], s->reserved[2]};
    return vds_buf_append(out, p, 4, err);
}

static inline void vds_sel_describe(const vds_clip_sel *s, JsonBuilder *b)
{
    if (!s->has_selection)
        return;
    vds_describe_enum(b, "selection", &vds_clip_sel_names, s->selection);
    if (s->reserved[0] | s->reserved[1] | s->reserved[2]) {
        json_builder_set_member_name(b, "reserved");
        json_builder_add_int_value(b, s->reserved[0] | s->reserved[1] << 8 | s->reserved[2] << 16);
    }
}

static inline int vds_put32(vds_buf *out, uint32_t v, vds_err *err)
{
    uint8_t *p = vds_buf_extend(out, 4, err);
    if (!p)
        return -1;
    vds_put_u32(p, v);
    return 0;
}

static inline void vds_member_int(JsonBuilder *b, const char *key, gint64 v)
{
    json_builder_set_member_name(b, key);
    json_builder_add_int_value(b, v);
}

/* Keep bytes past the fixed layout so nothing read is lost. */
static inline void vds_keep_trailing(vds_agent_msg *m, const uint8_t *p, size_t n)
{
    if (n) {
        m->trailing = vds_blob(m, p, n);
        m->trailing_len = n;
    }
}

/* Descriptor hooks (see vds_agent_desc), each in its family's file. */
vds_verdict vds_monitors_check(const uint8_t *d, uint32_t size, char *why, size_t why_size);
vds_verdict vds_monitors_check_vdagentd(const vds_agent_desc *desc, const uint8_t *d, uint32_t size,
                                        char *why, size_t why_size);
vds_verdict vds_volume_check(const uint8_t *d, uint32_t size, char *why, size_t why_size);
vds_verdict vds_gdi_check(const uint8_t *d, uint32_t size, char *why, size_t why_size);
void vds_clipboard_apply_caps(vds_agent_msg *m, uint32_t caps);
void vds_grab_apply_caps(vds_agent_msg *m, uint32_t caps);
void vds_request_apply_caps(vds_agent_msg *m, uint32_t caps);
void vds_release_apply_caps(vds_agent_msg *m, uint32_t caps);
void vds_monitors_clear(vds_agent_msg *m);
void vds_clipboard_clear(vds_agent_msg *m);
void vds_caps_clear(vds_agent_msg *m);
void vds_grab_clear(vds_agent_msg *m);
void vds_xfer_start_clear(vds_agent_msg *m);
void vds_xfer_data_clear(vds_agent_msg *m);
void vds_volume_clear(vds_agent_msg *m);
void vds_gdi_clear(vds_agent_msg *m);
