/* VD_AGENT_MONITORS_CONFIG and its optional physical-size trailer. */
#include "proto/agent-family.h"

int vds_monitors_decode(const uint8_t *d, uint32_t size, uint32_t caps, vds_agent_msg *m,
                        vds_err *err)
{
    uint32_t n = vds_get_u32(d); /* bounded by the check: 8 + 20n <= size */
    m->u.monitors.count = n;
    m->u.monitors.flags = vds_get_u32(d + 4);
    m->u.monitors.mons = g_new0(vds_mon, n ? n : 1);
    const uint8_t *p = d + 8;
    for (uint32_t i = 0; i < n; i++, p += 20) {
        vds_mon *mon = &m->u.monitors.mons[i];
        mon->height = vds_get_u32(p);
        mon->width = vds_get_u32(p + 4);
        mon->depth = vds_get_u32(p + 8);
        mon->x = (int32_t)vds_get_u32(p + 12);
        mon->y = (int32_t)vds_get_u32(p + 16);
    }
    size_t used = 8 + 20 * (size_t)n;
    /* spice-common accepts the flag without the trailer; keep whatever is there */
    if ((m->u.monitors.flags & VD_AGENT_CONFIG_MONITORS_FLAG_PHYSICAL_SIZE) &&
        size - used >= 4 * (size_t)n && n) {
        m->u.monitors.mm = g_new0(vds_mon_mm, n);
        for (uint32_t i = 0; i < n; i++, p += 4) {
            m->u.monitors.mm[i].height = vds_get_u16(p);
            m->u.monitors.mm[i].width = vds_get_u16(p + 2);
        }
        used += 4 * (size_t)n;
    }
    vds_keep_trailing(m, d + used, size - used);
    return 0;
}

int vds_monitors_encode(const vds_agent_msg *m, vds_buf *out, vds_err *err)
{
    uint32_t n = m->u.monitors.count;
    size_t len = 8 + 20 * (size_t)n + (m->u.monitors.mm ? 4 * (size_t)n : 0);
    uint8_t *p = vds_buf_extend(out, len, err);
    if (!p)
        return -1;
    vds_put_u32(p, n);
    vds_put_u32(p + 4, m->u.monitors.flags);
    p += 8;
    for (uint32_t i = 0; i < n; i++, p += 20) {
        const vds_mon *mon = &m->u.monitors.mons[i];
        vds_put_u32(p, mon->height);
        vds_put_u32(p + 4, mon->width);
        vds_put_u32(p + 8, mon->depth);
        vds_put_u32(p + 12, (uint32_t)mon->x);
        vds_put_u32(p + 16, (uint32_t)mon->y);
    }
    for (uint32_t i = 0; m->u.monitors.mm && i < n; i++, p += 4) {
        vds_put_u16(p, m->u.monitors.mm[i].height);
        vds_put_u16(p + 2, m->u.monitors.mm[i].width);
    }
    return 0;
}

void vds_monitors_describe(const vds_agent_msg *m, JsonBuilder *b)
{
    vds_describe_bits(b, "flags", &vds_monitors_flag_names, m->u.monitors.flags);
    json_builder_set_member_name(b, "monitors");
    json_builder_begin_array(b);
    for (uint32_t i = 0; i < m->u.monitors.count; i++) {
        const vds_mon *mon = &m->u.monitors.mons[i];
        json_builder_begin_object(b);
        vds_member_int(b, "w", mon->width);
        vds_member_int(b, "h", mon->height);
        vds_member_int(b, "x", mon->x);
        vds_member_int(b, "y", mon->y);
        vds_member_int(b, "depth", mon->depth);
        if (m->u.monitors.mm) {
            vds_member_int(b, "w-mm", m->u.monitors.mm[i].width);
            vds_member_int(b, "h-mm", m->u.monitors.mm[i].height);
        }
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}
