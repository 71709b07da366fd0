/* VD_AGENT_MONITORS_CONFIG and its optional physical-size trailer. */
#include <stdio.h>

#include "proto/agent-build.h"
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

/* --- from named fields (scenarios) ------------------------------------- */

VDS_FIELDS(monitors, "flags", "monitors");
static const char *const mon_fields[] = {"w", "h", "x", "y", "depth", "w-mm", "h-mm", NULL};
int vds_monitors_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    VDS_BUILD_BEGIN(monitors);
    if (vds_field_bits(f, "flags", &vds_monitors_flag_names, &m->u.monitors.flags, c) < 0)
        return -1;
    JsonNode *n = json_object_get_member(f, "monitors");
    if (!n)
        return vds_field_bad(c, "monitors", "missing (a list of {w, h, x, y})");
    if (!JSON_NODE_HOLDS_ARRAY(n))
        return vds_field_bad(c, "monitors", "expected a list of {w, h, x, y}");
    JsonArray *a = json_node_get_array(n);
    guint count = json_array_get_length(a);
    m->u.monitors.count = count;
    m->u.monitors.mons = g_new0(vds_mon, count ? count : 1);
    for (guint i = 0; i < count; i++) {
        JsonNode *e = json_array_get_element(a, i);
        char path[32];
        snprintf(path, sizeof(path), "monitors[%u].", i);
        vds_field_ctx mc = {cc.msg, path, err};
        if (!JSON_NODE_HOLDS_OBJECT(e))
            return vds_field_bad(&mc, "", "expected {w, h, x, y}");
        JsonObject *o = json_node_get_object(e);
        vds_mon *mon = &m->u.monitors.mons[i];
        int64_t w, h, x, y, depth, wmm, hmm;
        if (vds_field_only(o, mon_fields, &mc) < 0 ||
            vds_field_num(o, "w", NULL, 0, UINT32_MAX, 0, true, &w, &mc) < 0 ||
            vds_field_num(o, "h", NULL, 0, UINT32_MAX, 0, true, &h, &mc) < 0 ||
            vds_field_num(o, "x", NULL, INT32_MIN, INT32_MAX, 0, false, &x, &mc) < 0 ||
            vds_field_num(o, "y", NULL, INT32_MIN, INT32_MAX, 0, false, &y, &mc) < 0 ||
            vds_field_num(o, "depth", NULL, 0, UINT32_MAX, 32, false, &depth, &mc) < 0 ||
            vds_field_num(o, "w-mm", NULL, 0, UINT16_MAX, 0, false, &wmm, &mc) < 0 ||
            vds_field_num(o, "h-mm", NULL, 0, UINT16_MAX, 0, false, &hmm, &mc) < 0)
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

/* --- checks and ownership ----------------------------------------------- */

/* spice-common: the monitors counted must fit. */
vds_verdict vds_monitors_check(const uint8_t *d, uint32_t size, char *why, size_t why_size)
{
    uint32_t n = vds_get_u32(d);
    uint32_t max = (size - 8) / 20;
    if (n > max) {
        snprintf(why, why_size, "num_of_monitors %u needs %llu bytes, message has %u", n,
                 8ull + 20ull * n, size);
        return VDS_VERDICT_TRUNCATED;
    }
    return VDS_VERDICT_OK;
}

/* do_client_monitors(): no room for the physical-size trailer, so a
   message of any other size than 8 + 20n is dropped without a reply. */
vds_verdict vds_monitors_check_vdagentd(const vds_agent_desc *desc, const uint8_t *d, uint32_t size,
                                        char *why, size_t why_size)
{
    uint64_t want = 8ull + 20ull * vds_get_u32(d);
    if (size == want)
        return VDS_VERDICT_OK;
    snprintf(why, why_size, "monitors-config size %u != 8 + 20 * %u = %llu", size, vds_get_u32(d),
             (unsigned long long)want);
    return VDS_VERDICT_BAD_SIZE;
}

void vds_monitors_clear(vds_agent_msg *m)
{
    g_free(m->u.monitors.mons);
    g_free(m->u.monitors.mm);
}
