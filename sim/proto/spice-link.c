/* SPICE link handshake structures and data headers (protocol-reference 2). */
#include <stdio.h>
#include <string.h>

#include "proto/spice.h"

static const char *const link_err_names[] = {
    [SPICE_LINK_ERR_OK] = "ok",
    [SPICE_LINK_ERR_ERROR] = "error",
    [SPICE_LINK_ERR_INVALID_MAGIC] = "invalid-magic",
    [SPICE_LINK_ERR_INVALID_DATA] = "invalid-data",
    [SPICE_LINK_ERR_VERSION_MISMATCH] = "version-mismatch",
    [SPICE_LINK_ERR_NEED_SECURED] = "need-secured",
    [SPICE_LINK_ERR_NEED_UNSECURED] = "need-unsecured",
    [SPICE_LINK_ERR_PERMISSION_DENIED] = "permission-denied",
    [SPICE_LINK_ERR_BAD_CONNECTION_ID] = "bad-connection-id",
    [SPICE_LINK_ERR_CHANNEL_NOT_AVAILABLE] = "channel-not-available",
};
_Static_assert(G_N_ELEMENTS(link_err_names) == SPICE_LINK_ERR_ENUM_END, "link error unnamed");
const vds_names vds_spice_link_err_names = VDS_NAMES("link error", link_err_names);

static const char *const channel_names[] = {
    [SPICE_CHANNEL_MAIN] = "main",         [SPICE_CHANNEL_DISPLAY] = "display",
    [SPICE_CHANNEL_INPUTS] = "inputs",     [SPICE_CHANNEL_CURSOR] = "cursor",
    [SPICE_CHANNEL_PLAYBACK] = "playback", [SPICE_CHANNEL_RECORD] = "record",
    [SPICE_CHANNEL_TUNNEL] = "tunnel",     [SPICE_CHANNEL_SMARTCARD] = "smartcard",
    [SPICE_CHANNEL_USBREDIR] = "usbredir", [SPICE_CHANNEL_PORT] = "port",
    [SPICE_CHANNEL_WEBDAV] = "webdav",
};
const vds_names vds_spice_channel_names = VDS_NAMES("channel", channel_names);

void vds_spice_caps_clear(vds_spice_caps *c)
{
    g_free(c->common);
    g_free(c->channel);
    memset(c, 0, sizeof(*c));
}

bool vds_spice_caps_has(const uint32_t *words, uint32_t n, unsigned bit)
{
    return bit / 32 < n && (words[bit / 32] & (1u << (bit % 32)));
}

int vds_spice_link_hdr_decode(const uint8_t *p, size_t len, vds_spice_link_hdr *h, vds_err *err)
{
    if (len < VDS_SPICE_LINK_HDR_SIZE)
        return vds_err_set(err, VDS_ERR_PARSE, "link byte 0",
                           "link header needs 16 bytes, have %zu", len);
    h->magic = vds_get_u32(p);
    h->major = vds_get_u32(p + 4);
    h->minor = vds_get_u32(p + 8);
    h->size = vds_get_u32(p + 12);
    if (h->magic != SPICE_MAGIC)
        return vds_err_set(err, VDS_ERR_PROTOCOL, "link byte 0",
                           "bad magic %02x %02x %02x %02x (expected 'REDQ')", p[0], p[1], p[2],
                           p[3]);
    if (h->major != SPICE_VERSION_MAJOR)
        return vds_err_set(err, VDS_ERR_PROTOCOL, "link byte 4",
                           "protocol major version %u, expected %u", h->major, SPICE_VERSION_MAJOR);
    if (h->size > 4096)
        return vds_err_set(err, VDS_ERR_PROTOCOL, "link byte 12", "link body size %u exceeds 4096",
                           h->size);
    return 0;
}

int vds_spice_link_hdr_encode(uint32_t body_size, vds_buf *out, vds_err *err)
{
    uint8_t *p = vds_buf_extend(out, VDS_SPICE_LINK_HDR_SIZE, err);
    if (!p)
        return -1;
    vds_put_u32(p, SPICE_MAGIC);
    vds_put_u32(p + 4, SPICE_VERSION_MAJOR);
    vds_put_u32(p + 8, SPICE_VERSION_MINOR);
    vds_put_u32(p + 12, body_size);
    return 0;
}

/* Caps: n_common then n_channel words at caps_offset, all inside len. */
static int caps_decode(const uint8_t *p, size_t len, uint32_t n_common, uint32_t n_channel,
                       uint32_t offset, size_t field_at, vds_spice_caps *c, vds_err *err)
{
    char loc[32];

    snprintf(loc, sizeof(loc), "link byte %zu", field_at);
    if (n_common > VDS_SPICE_MAX_CAPS || n_channel > VDS_SPICE_MAX_CAPS)
        return vds_err_set(err, VDS_ERR_PROTOCOL, loc,
                           "%u common / %u channel caps words exceed %u", n_common, n_channel,
                           VDS_SPICE_MAX_CAPS);
    uint64_t end = (uint64_t)offset + 4ull * (n_common + n_channel);
    if (end > len)
        return vds_err_set(err, VDS_ERR_PROTOCOL, loc,
                           "caps at offset %u (%u + %u words) run past the %zu-byte body", offset,
                           n_common, n_channel, len);
    c->n_common = n_common;
    c->n_channel = n_channel;
    c->common = g_new0(uint32_t, n_common ? n_common : 1);
    c->channel = g_new0(uint32_t, n_channel ? n_channel : 1);
    for (uint32_t i = 0; i < n_common; i++)
        c->common[i] = vds_get_u32(p + offset + 4 * i);
    for (uint32_t i = 0; i < n_channel; i++)
        c->channel[i] = vds_get_u32(p + offset + 4 * (n_common + i));
    return 0;
}

static int caps_encode(const vds_spice_caps *c, vds_buf *out, vds_err *err)
{
    uint8_t *p = vds_buf_extend(out, 4 * ((size_t)c->n_common + c->n_channel), err);
    if (!p)
        return -1;
    for (uint32_t i = 0; i < c->n_common; i++, p += 4)
        vds_put_u32(p, c->common[i]);
    for (uint32_t i = 0; i < c->n_channel; i++, p += 4)
        vds_put_u32(p, c->channel[i]);
    return 0;
}

int vds_spice_link_mess_decode(const uint8_t *p, size_t len, vds_spice_link_mess *m, vds_err *err)
{
    memset(m, 0, sizeof(*m));
    if (len < VDS_SPICE_LINK_MESS_SIZE)
        return vds_err_set(err, VDS_ERR_PARSE, "link byte 16",
                           "link message needs 18 bytes, have %zu", len);
    m->connection_id = vds_get_u32(p);
    m->channel_type = p[4];
    m->channel_id = p[5];
    return caps_decode(p, len, vds_get_u32(p + 6), vds_get_u32(p + 10), vds_get_u32(p + 14), 16 + 6,
                       &m->caps, err);
}

int vds_spice_link_mess_encode(const vds_spice_link_mess *m, vds_buf *out, vds_err *err)
{
    size_t start = out->len;
    uint32_t caps_len = 4 * (m->caps.n_common + m->caps.n_channel);
    if (vds_spice_link_hdr_encode(VDS_SPICE_LINK_MESS_SIZE + caps_len, out, err) < 0)
        return -1;
    uint8_t *p = vds_buf_extend(out, VDS_SPICE_LINK_MESS_SIZE, err);
    if (!p)
        goto fail;
    vds_put_u32(p, m->connection_id);
    p[4] = m->channel_type;
    p[5] = m->channel_id;
    vds_put_u32(p + 6, m->caps.n_common);
    vds_put_u32(p + 10, m->caps.n_channel);
    vds_put_u32(p + 14, VDS_SPICE_LINK_MESS_SIZE);
    if (caps_encode(&m->caps, out, err) < 0)
        goto fail;
    return 0;
fail:
    out->len = start;
    return -1;
}

int vds_spice_link_reply_decode(const uint8_t *p, size_t len, vds_spice_link_reply *r, vds_err *err)
{
    memset(r, 0, sizeof(*r));
    if (len < VDS_SPICE_LINK_REPLY_SIZE)
        return vds_err_set(err, VDS_ERR_PARSE, "link byte 16",
                           "link reply needs 178 bytes, have %zu", len);
    r->error = vds_get_u32(p);
    memcpy(r->pub_key, p + 4, VDS_SPICE_PUBKEY_SIZE);
    return caps_decode(p, len, vds_get_u32(p + 166), vds_get_u32(p + 170), vds_get_u32(p + 174),
                       16 + 166, &r->caps, err);
}

int vds_spice_link_reply_encode(const vds_spice_link_reply *r, vds_buf *out, vds_err *err)
{
    size_t start = out->len;
    uint32_t caps_len = 4 * (r->caps.n_common + r->caps.n_channel);
    if (vds_spice_link_hdr_encode(VDS_SPICE_LINK_REPLY_SIZE + caps_len, out, err) < 0)
        return -1;
    uint8_t *p = vds_buf_extend(out, VDS_SPICE_LINK_REPLY_SIZE, err);
    if (!p)
        goto fail;
    vds_put_u32(p, r->error);
    memcpy(p + 4, r->pub_key, VDS_SPICE_PUBKEY_SIZE);
    vds_put_u32(p + 166, r->caps.n_common);
    vds_put_u32(p + 170, r->caps.n_channel);
    vds_put_u32(p + 174, VDS_SPICE_LINK_REPLY_SIZE);
    if (caps_encode(&r->caps, out, err) < 0)
        goto fail;
    return 0;
fail:
    out->len = start;
    return -1;
}

int vds_spice_data_hdr_decode(const uint8_t *p, size_t len, bool mini, vds_spice_data_hdr *h,
                              vds_err *err)
{
    size_t need = mini ? VDS_SPICE_MINI_HDR_SIZE : VDS_SPICE_FULL_HDR_SIZE;
    memset(h, 0, sizeof(*h));
    if (len < need)
        return vds_err_set(err, VDS_ERR_PARSE, NULL, "%s data header needs %zu bytes, have %zu",
                           mini ? "mini" : "full", need, len);
    if (mini) {
        h->type = vds_get_u16(p);
        h->size = vds_get_u32(p + 2);
    } else {
        h->serial = vds_get_u64(p);
        h->type = vds_get_u16(p + 8);
        h->size = vds_get_u32(p + 10);
        h->sub_list = vds_get_u32(p + 14);
    }
    return 0;
}

int vds_spice_data_hdr_encode(const vds_spice_data_hdr *h, bool mini, vds_buf *out, vds_err *err)
{
    uint8_t *p = vds_buf_extend(out, mini ? VDS_SPICE_MINI_HDR_SIZE : VDS_SPICE_FULL_HDR_SIZE, err);
    if (!p)
        return -1;
    if (mini) {
        vds_put_u16(p, h->type);
        vds_put_u32(p + 2, h->size);
    } else {
        vds_put_u64(p, h->serial);
        vds_put_u16(p + 8, h->type);
        vds_put_u32(p + 10, h->size);
        vds_put_u32(p + 14, h->sub_list);
    }
    return 0;
}
