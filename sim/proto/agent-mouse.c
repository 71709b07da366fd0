/* VD_AGENT_MOUSE_STATE: absolute pointer position and buttons, per monitor. */
#include "proto/agent-build.h"
#include "proto/agent-family.h"

int vds_mouse_decode(const uint8_t *d, uint32_t size, uint32_t caps, vds_agent_msg *m, vds_err *err)
{
    m->u.mouse.x = vds_get_u32(d);
    m->u.mouse.y = vds_get_u32(d + 4);
    m->u.mouse.buttons = vds_get_u32(d + 8);
    m->u.mouse.display_id = d[12];
    return 0;
}

int vds_mouse_encode(const vds_agent_msg *m, vds_buf *out, vds_err *err)
{
    uint8_t *p = vds_buf_extend(out, 13, err);
    if (!p)
        return -1;
    vds_put_u32(p, m->u.mouse.x);
    vds_put_u32(p + 4, m->u.mouse.y);
    vds_put_u32(p + 8, m->u.mouse.buttons);
    p[12] = m->u.mouse.display_id;
    return 0;
}

void vds_mouse_describe(const vds_agent_msg *m, JsonBuilder *b)
{
    vds_member_int(b, "x", m->u.mouse.x);
    vds_member_int(b, "y", m->u.mouse.y);
    vds_describe_bits(b, "buttons", &vds_button_names, m->u.mouse.buttons);
    vds_member_int(b, "display", m->u.mouse.display_id);
}

/* --- from named fields (scenarios) ------------------------------------- */

VDS_FIELDS(mouse, "x", "y", "buttons", "display");
int vds_mouse_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    VDS_BUILD_BEGIN(mouse);
    int64_t d;
    U32("x", NULL, 0, true, m->u.mouse.x);
    U32("y", NULL, 0, true, m->u.mouse.y);
    if (vds_field_bits(f, "buttons", &vds_button_names, &m->u.mouse.buttons, c) < 0 ||
        vds_field_num(f, "display", NULL, 0, 255, 0, false, &d, c) < 0)
        return -1;
    m->u.mouse.display_id = (uint8_t)d;
    return 0;
}
