/* VD_AGENT_ANNOUNCE_CAPABILITIES: request flag and capability words. */
#include "proto/agent-build.h"
#include "proto/agent-family.h"

int vds_caps_decode(const uint8_t *d, uint32_t size, uint32_t caps, vds_agent_msg *m, vds_err *err)
{
    m->u.caps.request = vds_get_u32(d);
    size_t n = (size - 4) / 4;
    m->u.caps.n_words = n;
    m->u.caps.caps = g_new0(uint32_t, n ? n : 1);
    for (size_t i = 0; i < n; i++)
        m->u.caps.caps[i] = vds_get_u32(d + 4 + 4 * i);
    size_t used = 4 + 4 * n;
    vds_keep_trailing(m, d + used, size - used);
    return 0;
}

int vds_caps_encode(const vds_agent_msg *m, vds_buf *out, vds_err *err)
{
    if (vds_put32(out, m->u.caps.request, err) < 0)
        return -1;
    for (size_t i = 0; i < m->u.caps.n_words; i++)
        if (vds_put32(out, m->u.caps.caps[i], err) < 0)
            return -1;
    return 0;
}

void vds_caps_describe(const vds_agent_msg *m, JsonBuilder *b)
{
    vds_member_int(b, "request", m->u.caps.request);
    if (m->u.caps.n_words != 1) /* one word today; say so when a peer sends more or none */
        vds_member_int(b, "words", (gint64)m->u.caps.n_words);
    json_builder_set_member_name(b, "caps");
    json_builder_begin_array(b);
    for (size_t w = 0; w < m->u.caps.n_words; w++) {
        for (unsigned bit = 0; bit < 32; bit++) {
            if (!(m->u.caps.caps[w] & (1u << bit)))
                continue;
            const char *n = vds_names_get(&vds_agent_cap_names, (uint32_t)(w * 32 + bit));
            if (n) {
                json_builder_add_string_value(b, n);
            } else {
                g_autofree char *s = g_strdup_printf("cap-%zu", w * 32 + bit);
                json_builder_add_string_value(b, s);
            }
        }
    }
    json_builder_end_array(b);
}

/* --- from named fields (scenarios) ------------------------------------- */

VDS_FIELDS(caps, "request", "words", "caps");
int vds_caps_build(JsonObject *f, const vds_build_ctx *ctx, vds_agent_msg *m, vds_err *err)
{
    VDS_BUILD_BEGIN(caps);
    uint32_t word;
    int64_t words;
    U32("request", NULL, 0, false, m->u.caps.request);
    if (vds_field_bits(f, "caps", &vds_agent_cap_names, &word, c) < 0 ||
        vds_field_num(f, "words", NULL, 0, 1024, 1, false, &words, c) < 0)
        return -1;
    m->u.caps.n_words = (size_t)words;
    m->u.caps.caps = g_new0(uint32_t, words ? (size_t)words : 1);
    if (words)
        m->u.caps.caps[0] = word;
    return 0;
}

void vds_caps_clear(vds_agent_msg *m)
{
    g_free(m->u.caps.caps);
}
