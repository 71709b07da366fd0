/* The rules are spice-vdagentd's virtio-port.c (protocol-reference 1.2):
 * port < 3, chunk <= 2048 when read by the agent, per-port reassembly, and a
 * chunk may not carry bytes past the end of the current message. */
#include "proto/agent-chunk.h"

#include <stdio.h>

#include "proto/agent.h"

const vds_chunk_limits vds_chunk_limits_to_agent = {VDS_AGENT_MAX_CHUNK, 64u << 20};
const vds_chunk_limits vds_chunk_limits_from_agent = {(64u << 20) + VDS_AGENT_HDR_SIZE,
                                                      (64u << 20) + VDS_AGENT_HDR_SIZE};

typedef struct port_state {
    vds_buf msg;      /* bytes of the message being reassembled */
    uint64_t msg_off; /* stream offset of its first chunk */
    uint32_t n_chunks;
} port_state;

struct vds_chunk_reader {
    vds_chunk_limits limits;
    vds_chunk_msg_fn fn;
    void *user;
    uint64_t off; /* stream bytes consumed */
    uint8_t hdr[VDS_CHUNK_HDR_SIZE];
    uint32_t hdr_have;   /* header bytes collected of the current chunk */
    uint32_t port, left; /* current chunk: port and payload bytes still to come */
    uint64_t chunk_off;
    bool failed;
    port_state ports[VDS_CHUNK_PORTS];
};

vds_chunk_reader *vds_chunk_reader_new(const vds_chunk_limits *limits, vds_chunk_msg_fn fn,
                                       void *user)
{
    vds_chunk_reader *r = g_new0(vds_chunk_reader, 1);
    r->limits = *limits;
    r->fn = fn;
    r->user = user;
    for (unsigned i = 0; i < VDS_CHUNK_PORTS; i++)
        vds_buf_init(&r->ports[i].msg, limits->max_msg);
    return r;
}

void vds_chunk_reader_free(vds_chunk_reader *r)
{
    if (!r)
        return;
    for (unsigned i = 0; i < VDS_CHUNK_PORTS; i++)
        vds_buf_clear(&r->ports[i].msg);
    g_free(r);
}

uint64_t vds_chunk_reader_offset(const vds_chunk_reader *r)
{
    return r->off;
}

void vds_chunk_reader_reset_port(vds_chunk_reader *r, uint32_t port)
{
    if (port < VDS_CHUNK_PORTS) {
        vds_buf_reset(&r->ports[port].msg);
        r->ports[port].n_chunks = 0;
    }
}

static int fail(vds_chunk_reader *r, vds_err *err, uint64_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(vds_chunk_reader *r, vds_err *err, uint64_t at, const char *fmt, ...)
{
    char loc[48];
    va_list ap;

    r->failed = true;
    snprintf(loc, sizeof(loc), "byte 0x%llx", (unsigned long long)at);
    va_start(ap, fmt);
    vds_err_setv(err, VDS_ERR_PROTOCOL, loc, fmt, ap);
    va_end(ap);
    return -1;
}

static size_t msg_total(const uint8_t *hdr)
{
    return VDS_AGENT_HDR_SIZE + (size_t)vds_get_u32(hdr + 16);
}

/* Append payload bytes of the current chunk to its port's message. */
static int take_payload(vds_chunk_reader *r, const uint8_t *p, uint32_t n, vds_err *err)
{
    port_state *ps = &r->ports[r->port];
    uint64_t at = r->off;

    if (ps->msg.len == 0 && ps->n_chunks == 0)
        ps->msg_off = r->chunk_off;
    while (n > 0) {
        size_t have = ps->msg.len;
        size_t want;
        if (have < VDS_AGENT_HDR_SIZE) {
            want = VDS_AGENT_HDR_SIZE - have;
        } else {
            size_t total = msg_total(ps->msg.data);
            want = total - have;
        }
        size_t take = n < want ? n : want;
        if (vds_buf_append(&ps->msg, p, take, err) < 0)
            return fail(r, err, at, "port %u message exceeds the %u-byte limit", r->port,
                        r->limits.max_msg);
        p += take;
        n -= (uint32_t)take;
        at += take;
        if (ps->msg.len == VDS_AGENT_HDR_SIZE && have < VDS_AGENT_HDR_SIZE) {
            size_t total = msg_total(ps->msg.data);
            if (total > r->limits.max_msg)
                return fail(r, err, at - 4, /* the header's size field */
                            "message data size %zu exceeds the limit %u", total - 20,
                            r->limits.max_msg - VDS_AGENT_HDR_SIZE);
            /* the size is known: room for exactly the rest, no doubling */
            if (vds_buf_reserve_exact(&ps->msg, total - VDS_AGENT_HDR_SIZE, err) < 0)
                return fail(r, err, at, "port %u message exceeds the %u-byte limit", r->port,
                            r->limits.max_msg);
        }
        if (ps->msg.len >= VDS_AGENT_HDR_SIZE && ps->msg.len == msg_total(ps->msg.data)) {
            if (n > 0 || r->left > 0)
                return fail(r, err, at,
                            "chunk larger than message, lost sync? (port %u chunk at 0x%llx has "
                            "%u bytes past the end of a %zu-byte message)",
                            r->port, (unsigned long long)r->chunk_off, n + r->left, ps->msg.len);
            vds_chunk_msg m = {r->port,     ps->msg.data,     ps->msg.len,
                               ps->msg_off, ps->n_chunks + 1, &ps->msg};
            ps->n_chunks = 0;
            ps->msg.len = 0;
            r->fn(r->user, &m);
            return 0;
        }
    }
    return 0;
}

int vds_chunk_reader_feed(vds_chunk_reader *r, const uint8_t *data, size_t len, vds_err *err)
{
    if (r->failed)
        return vds_err_set(err, VDS_ERR_PROTOCOL, NULL, "reader stopped after an earlier error");
    while (len > 0) {
        if (r->left == 0 && r->hdr_have < VDS_CHUNK_HDR_SIZE) {
            /* fast path: a whole chunk holding a whole message, nothing pending */
            if (r->hdr_have == 0 && len >= VDS_CHUNK_HDR_SIZE + VDS_AGENT_HDR_SIZE) {
                uint32_t port = vds_get_u32(data), size = vds_get_u32(data + 4);
                if (port < VDS_CHUNK_PORTS && size <= r->limits.max_chunk &&
                    len - VDS_CHUNK_HDR_SIZE >= size && r->ports[port].msg.len == 0 &&
                    size >= VDS_AGENT_HDR_SIZE && msg_total(data + VDS_CHUNK_HDR_SIZE) == size) {
                    vds_chunk_msg m = {port, data + VDS_CHUNK_HDR_SIZE, size, r->off, 1, NULL};
                    r->off += VDS_CHUNK_HDR_SIZE + size;
                    data += VDS_CHUNK_HDR_SIZE + size;
                    len -= VDS_CHUNK_HDR_SIZE + size;
                    r->fn(r->user, &m);
                    continue;
                }
            }
            if (r->hdr_have == 0)
                r->chunk_off = r->off;
            size_t take = MIN(len, VDS_CHUNK_HDR_SIZE - r->hdr_have);
            memcpy(r->hdr + r->hdr_have, data, take);
            r->hdr_have += (uint32_t)take;
            r->off += take;
            data += take;
            len -= take;
            if (r->hdr_have < VDS_CHUNK_HDR_SIZE)
                break;
            r->port = vds_get_u32(r->hdr);
            r->left = vds_get_u32(r->hdr + 4);
            if (r->port >= VDS_CHUNK_PORTS)
                return fail(r, err, r->chunk_off, "chunk port %u invalid (must be < %u)", r->port,
                            VDS_CHUNK_PORTS);
            if (r->left > r->limits.max_chunk)
                return fail(r, err, r->chunk_off + 4, "chunk size %u too large (limit %u)", r->left,
                            r->limits.max_chunk);
            r->chunk_off = r->off - VDS_CHUNK_HDR_SIZE;
            if (r->left == 0) { /* size-0 chunks are tolerated */
                r->hdr_have = 0;
                continue;
            }
            continue;
        }
        uint32_t take = (uint32_t)MIN(len, (size_t)r->left);
        r->left -= take;
        port_state *ps = &r->ports[r->port];
        if (take_payload(r, data, take, err) < 0)
            return -1;
        r->off += take;
        data += take;
        len -= take;
        if (r->left == 0) {
            r->hdr_have = 0;
            if (ps->msg.len > 0)
                ps->n_chunks++;
        }
    }
    return 0;
}

int vds_chunk_reader_finish(vds_chunk_reader *r, vds_err *err)
{
    if (r->failed)
        return vds_err_set(err, VDS_ERR_PROTOCOL, NULL, "reader stopped after an earlier error");
    if (r->hdr_have > 0 && r->hdr_have < VDS_CHUNK_HDR_SIZE)
        return fail(r, err, r->chunk_off, "stream ended inside a chunk header (%u of 8 bytes)",
                    r->hdr_have);
    if (r->left > 0)
        return fail(r, err, r->chunk_off, "stream ended inside a chunk (%u payload bytes missing)",
                    r->left);
    for (uint32_t p = 0; p < VDS_CHUNK_PORTS; p++) {
        const port_state *ps = &r->ports[p];
        if (ps->msg.len == 0)
            continue;
        if (ps->msg.len < VDS_AGENT_HDR_SIZE)
            return fail(r, err, ps->msg_off,
                        "stream ended inside a message header on port %u (%zu of 20 bytes)", p,
                        ps->msg.len);
        return fail(r, err, ps->msg_off,
                    "stream ended inside a message on port %u (%zu of %zu bytes)", p, ps->msg.len,
                    msg_total(ps->msg.data));
    }
    return 0;
}

#define TAKE_MIN (64u << 10) /* smaller messages are copied */

GBytes *vds_chunk_msg_take(const vds_chunk_msg *m)
{
    if (!m->store || m->len < TAKE_MIN || m->store->data != m->bytes)
        return g_bytes_new(m->bytes, m->len);
    size_t len;
    uint8_t *d = vds_buf_steal(m->store, &len);
    return g_bytes_new_take(d, m->len);
}

int vds_chunk_write(uint32_t port, const uint8_t *msg, size_t len, uint32_t max_chunk, vds_buf *out,
                    vds_err *err)
{
    if (max_chunk != 0 && max_chunk < VDS_AGENT_HDR_SIZE)
        return vds_err_set(err, VDS_ERR_USAGE, NULL,
                           "max chunk %u cannot hold the 20-byte message header", max_chunk);
    if (len > UINT32_MAX)
        return vds_err_set(err, VDS_ERR_LIMIT, NULL, "message of %zu bytes too large", len);
    size_t start = out->len;
    size_t off = 0;
    do {
        size_t n = len - off;
        if (max_chunk && n > max_chunk)
            n = max_chunk;
        uint8_t *p = vds_buf_extend(out, VDS_CHUNK_HDR_SIZE + n, err);
        if (!p) {
            out->len = start;
            return -1;
        }
        vds_put_u32(p, port);
        vds_put_u32(p + 4, (uint32_t)n);
        if (n)
            memcpy(p + VDS_CHUNK_HDR_SIZE, msg + off, n);
        off += n;
    } while (off < len);
    return 0;
}
