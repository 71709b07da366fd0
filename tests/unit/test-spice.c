#include "test-util.h"

#include "proto/format.h"
#include "proto/spice.h"

/* The main-channel link a raw client sent to libspice-server 0.15.1
 * (protocol-reference appendix A). */
#define CLIENT_LINK                                                         \
    "52454451 02000000 02000000 1a000000 00000000 01 00 01000000 01000000 " \
    "12000000 0b000000 06000000"

static void link_mess_real(void **state)
{
    g_autoptr(GBytes) b = hex_bytes(CLIENT_LINK);
    gsize len;
    const uint8_t *p = g_bytes_get_data(b, &len);
    vds_spice_link_hdr h;
    vds_spice_link_mess m;
    vds_err err = {0};

    assert_int_equal(vds_spice_link_hdr_decode(p, len, &h, &err), 0);
    assert_int_equal(h.size, 26);
    assert_int_equal(vds_spice_link_mess_decode(p + 16, h.size, &m, &err), 0);
    assert_int_equal(m.channel_type, SPICE_CHANNEL_MAIN);
    assert_int_equal(m.caps.n_common, 1);
    assert_int_equal(m.caps.common[0], 0x0b);
    assert_true(vds_spice_caps_has(m.caps.common, m.caps.n_common, SPICE_COMMON_CAP_MINI_HEADER));
    assert_false(vds_spice_caps_has(m.caps.common, m.caps.n_common, SPICE_COMMON_CAP_AUTH_SASL));
    assert_int_equal(m.caps.channel[0], 0x06);
    vds_buf out;
    vds_buf_init(&out, 256);
    assert_int_equal(vds_spice_link_mess_encode(&m, &out, &err), 0);
    assert_int_equal(out.len, len);
    assert_memory_equal(out.data, p, len);
    vds_buf_clear(&out);
    vds_spice_caps_clear(&m.caps);
}

static void link_reply_round_trip(void **state)
{
    uint32_t common = 0x0b, channel = 0x0f;
    vds_spice_link_reply r = {.error = SPICE_LINK_ERR_OK, .caps = {1, 1, &common, &channel}};
    vds_spice_link_reply back;
    vds_spice_link_hdr h;
    vds_err err = {0};
    vds_buf out;

    for (unsigned i = 0; i < VDS_SPICE_PUBKEY_SIZE; i++)
        r.pub_key[i] = (uint8_t)i;
    vds_buf_init(&out, 512);
    assert_int_equal(vds_spice_link_reply_encode(&r, &out, &err), 0);
    assert_int_equal(out.len, 16 + 186);
    assert_int_equal(vds_spice_link_hdr_decode(out.data, out.len, &h, &err), 0);
    assert_int_equal(h.size, 186); /* what libspice-server and QEMU send */
    assert_int_equal(vds_spice_link_reply_decode(out.data + 16, h.size, &back, &err), 0);
    assert_memory_equal(back.pub_key, r.pub_key, VDS_SPICE_PUBKEY_SIZE);
    assert_int_equal(back.caps.channel[0], 0x0f);
    vds_spice_caps_clear(&back.caps);
    vds_buf_clear(&out);
}

static void link_errors(void **state)
{
    vds_spice_link_hdr h;
    vds_spice_link_mess m;
    vds_err err = {0};
    g_autoptr(GBytes) http = hex_bytes("47455420 2f204854 54502f31 2e310d0a");
    assert_int_equal(vds_spice_link_hdr_decode(g_bytes_get_data(http, NULL), 16, &h, &err), -1);
    assert_string_equal(err.msg, "bad magic 47 45 54 20 (expected 'REDQ')");
    g_autoptr(GBytes) v1 = hex_bytes("52454451 01000000 02000000 1a000000");
    assert_int_equal(vds_spice_link_hdr_decode(g_bytes_get_data(v1, NULL), 16, &h, &err), -1);
    assert_string_equal(err.msg, "protocol major version 1, expected 2");
    assert_int_equal(vds_spice_link_hdr_decode(g_bytes_get_data(v1, NULL), 9, &h, &err), -1);
    assert_string_equal(err.msg, "link header needs 16 bytes, have 9");
    g_autoptr(GBytes) caps =
        hex_bytes("00000000 01 00 05000000 01000000 12000000 0b000000 06000000");
    assert_int_equal(vds_spice_link_mess_decode(g_bytes_get_data(caps, NULL), 26, &m, &err), -1);
    assert_string_equal(err.loc, "link byte 22");
    assert_string_equal(err.msg, "caps at offset 18 (5 + 1 words) run past the 26-byte body");
    g_autoptr(GBytes) many = hex_bytes("00000000 01 00 01040000 00000000 12000000");
    assert_int_equal(vds_spice_link_mess_decode(g_bytes_get_data(many, NULL), 18, &m, &err), -1);
    assert_string_equal(err.msg, "1025 common / 0 channel caps words exceed 1024");
}

static void data_headers(void **state)
{
    vds_spice_data_hdr h = {.serial = 7, .type = SPICE_MSG_MAIN_INIT, .size = 32}, back;
    vds_buf out;
    vds_err err = {0};
    vds_buf_init(&out, 64);
    for (int mini = 0; mini < 2; mini++) {
        vds_buf_reset(&out);
        assert_int_equal(vds_spice_data_hdr_encode(&h, mini, &out, &err), 0);
        assert_int_equal(out.len, mini ? 6 : 18);
        assert_int_equal(vds_spice_data_hdr_decode(out.data, out.len, mini, &back, &err), 0);
        assert_int_equal(back.type, h.type);
        assert_int_equal(back.size, 32);
        assert_int_equal(back.serial, mini ? 0 : 7);
    }
    /* the INIT header libspice-server sent (mini): type 103, 32 bytes */
    g_autoptr(GBytes) init = hex_bytes("6700 20000000");
    assert_int_equal(vds_spice_data_hdr_decode(g_bytes_get_data(init, NULL), 6, true, &back, &err),
                     0);
    assert_int_equal(back.type, SPICE_MSG_MAIN_INIT);
    assert_int_equal(vds_spice_data_hdr_decode(g_bytes_get_data(init, NULL), 5, true, &back, &err),
                     -1);
    assert_string_equal(err.msg, "mini data header needs 6 bytes, have 5");
    vds_buf_clear(&out);
}

static JsonObject *describe(uint8_t ch, vds_spice_side side, uint16_t type, const uint8_t *p,
                            size_t len, JsonNode **root, vds_err *err)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    int rc = vds_spice_msg_describe(ch, side, type, p, len, b, err);
    json_builder_end_object(b);
    *root = json_builder_get_root(b);
    return rc < 0 ? NULL : json_node_get_object(*root);
}

static void init_fields(void **state)
{
    g_autoptr(GBytes) body = hex_bytes("140e4f0f 00000000 01000000 01000000 01000000 0a000000 "
                                       "00000000 00000000");
    vds_err err = {0};
    g_autoptr(JsonNode) root = NULL;
    JsonObject *o = describe(SPICE_CHANNEL_MAIN, VDS_SPICE_FROM_SERVER, SPICE_MSG_MAIN_INIT,
                             g_bytes_get_data(body, NULL), 32, &root, &err);
    assert_non_null(o);
    assert_int_equal(json_object_get_int_member(o, "session-id"), 256839188);
    assert_int_equal(json_object_get_int_member(o, "agent-connected"), 1);
    assert_int_equal(json_object_get_int_member(o, "agent-tokens"), 10);
    g_autofree char *text = vds_json_to_text(root);
    assert_str_contains(text, "supported-mouse-modes=1 current-mouse-mode=1");
}

static void body_errors(void **state)
{
    vds_err err = {0};
    g_autoptr(JsonNode) r1 = NULL, r2 = NULL, r3 = NULL;
    static const uint8_t ping[4] = {1, 0, 0, 0};
    assert_null(
        describe(SPICE_CHANNEL_MAIN, VDS_SPICE_FROM_SERVER, SPICE_MSG_PING, ping, 4, &r1, &err));
    assert_string_equal(err.loc, "body byte 4");
    assert_string_equal(err.msg, "ping: field 'timestamp' needs 8 bytes, 0 left");
    static const uint8_t mode[5] = {3, 0, 2, 0, 9};
    assert_null(describe(SPICE_CHANNEL_MAIN, VDS_SPICE_FROM_SERVER, SPICE_MSG_MAIN_MOUSE_MODE, mode,
                         5, &r2, &err));
    assert_string_equal(err.msg, "mouse-mode: 1 bytes left over after the last field");
    static const uint8_t list[6] = {5, 0, 0, 0, 3, 0};
    assert_null(describe(SPICE_CHANNEL_MAIN, VDS_SPICE_FROM_SERVER, SPICE_MSG_MAIN_CHANNELS_LIST,
                         list, 6, &r3, &err));
    assert_string_equal(err.msg, "channels-list: field 'channels' needs 10 bytes, 2 left");
    assert_int_equal(
        vds_spice_msg_type_find(SPICE_CHANNEL_INPUTS, VDS_SPICE_FROM_CLIENT, "mouse-position"),
        SPICE_MSGC_INPUTS_MOUSE_POSITION);
    assert_int_equal(vds_spice_msg_type_find(SPICE_CHANNEL_MAIN, VDS_SPICE_FROM_CLIENT, "pong"),
                     SPICE_MSGC_PONG);
    assert_int_equal(vds_spice_msg_type_find(SPICE_CHANNEL_MAIN, VDS_SPICE_FROM_CLIENT, "nope"),
                     -1);
    assert_null(vds_spice_msg_desc_get(SPICE_CHANNEL_DISPLAY, VDS_SPICE_FROM_SERVER, 101));
}

/* Every message in the table: a sample body -> describe -> encode -> same bytes. */
static void table_round_trip(void **state)
{
    static const uint8_t channels[] = {SPICE_CHANNEL_MAIN, SPICE_CHANNEL_INPUTS};
    unsigned n = 0;
    for (size_t c = 0; c < G_N_ELEMENTS(channels); c++) {
        for (int side = 0; side < 2; side++) {
            for (uint16_t type = 1; type < 200; type++) {
                const vds_spice_msg_desc *d = vds_spice_msg_desc_get(channels[c], side, type);
                if (!d)
                    continue;
                vds_buf body, out;
                vds_err err = {0};
                vds_buf_init(&body, 256);
                vds_buf_init(&out, 256);
                uint8_t v = 1;
                for (const vds_field *f = d->fields; f->kind != VDS_F_END; f++) {
                    static const uint8_t str[] = {4, 0, 0, 0, 'a', 'b', 'c', 0};
                    static const uint8_t chans[] = {2, 0, 0, 0, 1, 0, 3, 0};
                    switch (f->kind) {
                    case VDS_F_LEN_STRING:
                        vds_buf_append(&body, str, sizeof(str), NULL);
                        break;
                    case VDS_F_CHANNELS:
                        vds_buf_append(&body, chans, sizeof(chans), NULL);
                        break;
                    case VDS_F_REST:
                        vds_buf_append(&body, "\x01\x02\x03", 3, NULL);
                        break;
                    case VDS_F_U8:
                    case VDS_F_U16:
                    case VDS_F_U32:
                    case VDS_F_I32:
                    case VDS_F_U64:
                    case VDS_F_UUID: {
                        size_t w = f->kind == VDS_F_U8     ? 1
                                   : f->kind == VDS_F_U16  ? 2
                                   : f->kind == VDS_F_U64  ? 8
                                   : f->kind == VDS_F_UUID ? 16
                                                           : 4;
                        for (size_t i = 0; i < w; i++) {
                            uint8_t byte = i == 0 ? v++ : 0;
                            vds_buf_append(&body, &byte, 1, NULL);
                        }
                        break;
                    }
                    case VDS_F_END:
                        break;
                    }
                }
                g_autoptr(JsonNode) root = NULL;
                JsonObject *o = describe(channels[c], side, type, body.data, body.len, &root, &err);
                if (!o)
                    fail_msg("%s: %s", d->name, err.msg);
                if (vds_spice_msg_encode(channels[c], side, type, o, &out, &err) < 0)
                    fail_msg("%s: encode: %s", d->name, err.msg);
                if (out.len != body.len || (body.len && memcmp(out.data, body.data, body.len) != 0))
                    fail_msg("%s: round trip changed the bytes", d->name);
                vds_buf_clear(&body);
                vds_buf_clear(&out);
                n++;
            }
        }
    }
    assert_true(n >= 45);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(link_mess_real),   cmocka_unit_test(link_reply_round_trip),
        cmocka_unit_test(link_errors),      cmocka_unit_test(data_headers),
        cmocka_unit_test(init_fields),      cmocka_unit_test(body_errors),
        cmocka_unit_test(table_round_trip),
    };
    return cmocka_run_group_tests_name("/proto/spice", tests, NULL, NULL);
}
