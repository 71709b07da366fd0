#include "test-util.h"

#include "proto/agent-chunk.h"
#include "proto/agent.h"

typedef struct seen {
    GPtrArray *msgs; /* GBytes */
    GArray *ports, *chunks, *offsets;
} seen;

static void seen_init(seen *s)
{
    s->msgs = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    s->ports = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    s->chunks = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    s->offsets = g_array_new(FALSE, FALSE, sizeof(uint64_t));
}

static void seen_clear(seen *s)
{
    g_ptr_array_unref(s->msgs);
    g_array_unref(s->ports);
    g_array_unref(s->chunks);
    g_array_unref(s->offsets);
}

static void on_msg(void *user, const vds_chunk_msg *m)
{
    seen *s = user;
    g_ptr_array_add(s->msgs, vds_chunk_msg_take(m)); /* large ones take the buffer */
    g_array_append_val(s->ports, m->port);
    g_array_append_val(s->chunks, m->n_chunks);
    g_array_append_val(s->offsets, m->offset);
}

/* Feed in pieces of the given sizes (cycled); 0 means all at once. */
static void feed_all(const vds_chunk_limits *lim, const uint8_t *p, size_t len, size_t piece,
                     seen *s)
{
    vds_err err = {0};
    vds_chunk_reader *r = vds_chunk_reader_new(lim, on_msg, s);
    size_t off = 0, step = piece ? piece : len;
    while (off < len) {
        size_t n = MIN(step, len - off);
        if (vds_chunk_reader_feed(r, p + off, n, &err) < 0)
            fail_msg("feed at %zu: %s: %s", off, err.loc, err.msg);
        off += n;
        if (piece)
            step = 1 + (step * 7 + 3) % 97; /* vary the split points */
    }
    if (vds_chunk_reader_finish(r, &err) < 0)
        fail_msg("finish: %s: %s", err.loc, err.msg);
    assert_int_equal(vds_chunk_reader_offset(r), len);
    vds_chunk_reader_free(r);
}

static void same(seen *a, seen *b)
{
    assert_int_equal(a->msgs->len, b->msgs->len);
    for (guint i = 0; i < a->msgs->len; i++) {
        assert_true(g_bytes_equal(a->msgs->pdata[i], b->msgs->pdata[i]));
        assert_int_equal(g_array_index(a->ports, uint32_t, i),
                         g_array_index(b->ports, uint32_t, i));
        assert_int_equal(g_array_index(a->offsets, uint64_t, i),
                         g_array_index(b->offsets, uint64_t, i));
    }
}

static void real_stream(const char *file, const vds_chunk_limits *lim, unsigned want,
                        const uint32_t *first_types, size_t n_first)
{
    g_autoptr(GBytes) data = fixture_bytes(file);
    gsize len;
    const uint8_t *p = g_bytes_get_data(data, &len);
    seen whole, bytes, pieces;

    seen_init(&whole);
    seen_init(&bytes);
    seen_init(&pieces);
    feed_all(lim, p, len, 0, &whole);
    feed_all(lim, p, len, 1, &bytes);
    feed_all(lim, p, len, 5, &pieces);
    assert_int_equal(whole.msgs->len, want);
    same(&whole, &bytes);
    same(&whole, &pieces);
    for (size_t i = 0; i < n_first; i++)
        assert_int_equal(
            vds_get_u32((const uint8_t *)g_bytes_get_data(whole.msgs->pdata[i], NULL) + 4),
            first_types[i]);
    seen_clear(&whole);
    seen_clear(&bytes);
    seen_clear(&pieces);
}

static void agent_session_stream(void **state)
{
    static const uint32_t from[] = {VD_AGENT_ANNOUNCE_CAPABILITIES, VD_AGENT_ANNOUNCE_CAPABILITIES,
                                    VD_AGENT_REPLY};
    static const uint32_t to[] = {VD_AGENT_ANNOUNCE_CAPABILITIES, VD_AGENT_MONITORS_CONFIG};
    real_stream("streams/session.from-agent.bin", &vds_chunk_limits_from_agent, 15, from, 3);
    real_stream("streams/session.to-agent.bin", &vds_chunk_limits_to_agent, 23, to, 2);
}

static void write_and_reassemble(size_t msg_len, uint32_t max_chunk, size_t want_chunks)
{
    vds_buf msg, wire;
    vds_err err = {0};
    seen s;

    vds_buf_init(&msg, 8u << 20);
    vds_buf_init(&wire, 16u << 20);
    uint8_t *p = vds_buf_extend(&msg, msg_len, NULL);
    memset(p, 0x41, msg_len);
    vds_put_u32(p, 1);
    vds_put_u32(p + 4, VD_AGENT_CLIPBOARD);
    vds_put_u64(p + 8, 0);
    vds_put_u32(p + 16, (uint32_t)(msg_len - 20));
    assert_int_equal(vds_chunk_write(1, msg.data, msg.len, max_chunk, &wire, &err), 0);
    /* walk the chunks: each within the limit, the first holds the header */
    size_t off = 0, chunks = 0;
    while (off < wire.len) {
        uint32_t size = vds_get_u32(wire.data + off + 4);
        assert_int_equal(vds_get_u32(wire.data + off), 1);
        if (max_chunk)
            assert_true(size <= max_chunk);
        if (chunks == 0)
            assert_true(size >= 20);
        off += 8 + size;
        chunks++;
    }
    assert_int_equal(chunks, want_chunks);
    seen_init(&s);
    feed_all(max_chunk && max_chunk <= 2048 ? &vds_chunk_limits_to_agent
                                            : &vds_chunk_limits_from_agent,
             wire.data, wire.len, 0, &s);
    assert_int_equal(s.msgs->len, 1);
    assert_int_equal(g_array_index(s.chunks, uint32_t, 0), want_chunks);
    assert_int_equal(g_bytes_get_size(s.msgs->pdata[0]), msg_len);
    assert_memory_equal(g_bytes_get_data(s.msgs->pdata[0], NULL), msg.data, msg_len);
    seen_clear(&s);
    vds_buf_clear(&msg);
    vds_buf_clear(&wire);
}

static void writer_slices(void **state)
{
    write_and_reassemble(20 + (1u << 20), 2048, (20 + (1u << 20) + 2047) / 2048);
    write_and_reassemble(2048, 2048, 1);
    write_and_reassemble(2049, 2048, 2);
    write_and_reassemble(20, 2048, 1);
    write_and_reassemble(7028, 0, 1);    /* the agent's way: one chunk */
    write_and_reassemble(7028, 1024, 7); /* qemu-vdagent's way */

    vds_buf out;
    vds_err err = {0};
    vds_buf_init(&out, 64);
    assert_int_equal(vds_chunk_write(1, (const uint8_t *)"x", 1, 19, &out, &err), -1);
    assert_string_equal(err.msg, "max chunk 19 cannot hold the 20-byte message header");
    vds_buf_clear(&out);
}

static void interleaved_ports(void **state)
{
    /* port 1: a 28-byte message in chunks of 20 + 8; port 2: a whole mouse state between */
    g_autoptr(GBytes) b =
        hex_bytes("01000000 14000000 01000000 0e000000 0000000000000000 04000000"
                  "00000000 00000000" /* a size-0 chunk on port 0, tolerated */
                  "02000000 21000000 01000000 01000000 0000000000000000 0d000000 2c010000 90010000 "
                  "00000000 00"
                  "01000000 04000000 ffffffff");
    gsize len;
    const uint8_t *p = g_bytes_get_data(b, &len);
    seen s;
    seen_init(&s);
    feed_all(&vds_chunk_limits_to_agent, p, len, 1, &s);
    assert_int_equal(s.msgs->len, 2);
    assert_int_equal(g_array_index(s.ports, uint32_t, 0), 2);
    assert_int_equal(g_array_index(s.offsets, uint64_t, 0), 0x24);
    assert_int_equal(g_array_index(s.ports, uint32_t, 1), 1);
    assert_int_equal(g_array_index(s.offsets, uint64_t, 1), 0);
    assert_int_equal(g_array_index(s.chunks, uint32_t, 1), 2);
    seen_clear(&s);
}

static void reset_and_stop(void **state)
{
    g_autoptr(GBytes) half = hex_bytes("01000000 0a000000 01000000 0d000000 0000");
    g_autoptr(GBytes) whole =
        hex_bytes("01000000 14000000 01000000 0d000000 0000000000000000 00000000");
    vds_err err = {0};
    seen s;
    seen_init(&s);
    vds_chunk_reader *r = vds_chunk_reader_new(&vds_chunk_limits_to_agent, on_msg, &s);
    assert_int_equal(vds_chunk_reader_feed(r, g_bytes_get_data(half, NULL), 18, &err), 0);
    vds_chunk_reader_reset_port(r, 1); /* CLIENT_DISCONNECTED drops the partial message */
    assert_int_equal(vds_chunk_reader_feed(r, g_bytes_get_data(whole, NULL), 28, &err), 0);
    assert_int_equal(vds_chunk_reader_finish(r, &err), 0);
    assert_int_equal(s.msgs->len, 1);
    /* an error stops the reader for good */
    static const uint8_t bad[8] = {9, 0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(vds_chunk_reader_feed(r, bad, 8, &err), -1);
    assert_string_equal(err.loc, "byte 0x2e");
    assert_int_equal(vds_chunk_reader_feed(r, g_bytes_get_data(whole, NULL), 28, &err), -1);
    assert_string_equal(err.msg, "reader stopped after an earlier error");
    vds_chunk_reader_free(r);
    seen_clear(&s);
}

static void agent_oversize(void **state)
{
    /* the agent writes one 7028-byte chunk: fine from it, fatal into it */
    vds_buf wire;
    vds_err err = {0};
    vds_buf_init(&wire, 1u << 20);
    g_autofree uint8_t *msg = g_malloc0(7028);
    vds_put_u32(msg, 1);
    vds_put_u32(msg + 4, VD_AGENT_CLIPBOARD);
    vds_put_u32(msg + 16, 7008);
    assert_int_equal(vds_chunk_write(1, msg, 7028, 0, &wire, &err), 0);
    seen s;
    seen_init(&s);
    vds_chunk_reader *r = vds_chunk_reader_new(&vds_chunk_limits_to_agent, on_msg, &s);
    assert_int_equal(vds_chunk_reader_feed(r, wire.data, wire.len, &err), -1);
    assert_string_equal(err.msg, "chunk size 7028 too large (limit 2048)");
    vds_chunk_reader_free(r);
    feed_all(&vds_chunk_limits_from_agent, wire.data, wire.len, 0, &s);
    assert_int_equal(s.msgs->len, 1);
    seen_clear(&s);
    vds_buf_clear(&wire);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(agent_session_stream), cmocka_unit_test(writer_slices),
        cmocka_unit_test(interleaved_ports),    cmocka_unit_test(reset_and_stop),
        cmocka_unit_test(agent_oversize),
    };
    return cmocka_run_group_tests_name("/proto/agent-chunk", tests, NULL, NULL);
}
