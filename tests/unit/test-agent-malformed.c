/* Malformed agent input: each case states the layer that rejects it, the
 * verdict of both references and the exact located error text. */
#include "test-util.h"

#include "proto/agent-chunk.h"
#include "proto/agent.h"

#define SEL           VDS_CAP(VD_AGENT_CAP_CLIPBOARD_SELECTION)
#define SERIAL        VDS_CAP(VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL)
#define TO            VDS_DIR_TO_AGENT
#define FROM          VDS_DIR_FROM_AGENT
#define OK            VDS_VERDICT_OK
#define M(type, size) "01000000 " type " 0000000000000000 " size " "

typedef struct bad_case {
    const char *name;
    vds_dir dir;
    uint32_t caps;
    bool raw; /* hex is the whole stream; else one message wrapped in one chunk */
    const char *hex;
    vds_verdict common, vdagentd; /* message cases (raw cases with an error are framing cases) */
    bool decodes;                 /* message cases: vds_agent_decode succeeds */
    const char *error;            /* framing error "loc: msg", or the verdict's reason */
} bad_case;

static const bad_case cases[] = {
    /* --- the chunk layer --- */
    {"truncated chunk header", TO, 0, true, "01000000 1c00",
     .error = "byte 0x0: stream ended inside a chunk header (6 of 8 bytes)"},
    {"truncated chunk payload", TO, 0, true, "01000000 1c000000 01000000 06000000",
     .error = "byte 0x0: stream ended inside a chunk (20 payload bytes missing)"},
    {"port 3", TO, 0, true, "03000000 04000000 00000000",
     .error = "byte 0x0: chunk port 3 invalid (must be < 3)"},
    {"port 0xffffffff", FROM, 0, true, "ffffffff 04000000",
     .error = "byte 0x0: chunk port 4294967295 invalid (must be < 3)"},
    {"oversize chunk into the agent", TO, 0, true, "01000000 01080000",
     .error = "byte 0x4: chunk size 2049 too large (limit 2048)"},
    {"two messages in one chunk", TO, 0, true,
     "01000000 28000000 " M("0d000000", "00000000") M("0d000000", "00000000"),
     .error =
         "byte 0x1c: chunk larger than message, lost sync? (port 1 chunk at 0x0 has 20 bytes past "
         "the end of a 20-byte message)"},
    {"chunk with bytes past the message", TO, 0, true,
     "02000000 1c000000 " M("0e000000", "04000000") "ffffffff aabbccdd",
     .error =
         "byte 0x20: chunk larger than message, lost sync? (port 2 chunk at 0x0 has 4 bytes past "
         "the end of a 24-byte message)"},
    {"message header split, then end", TO, 0, true, "01000000 0a000000 01000000 06000000 0000",
     .error = "byte 0x0: stream ended inside a message header on port 1 (10 of 20 bytes)"},
    {"message over chunks, then end", TO, 0, true,
     "01000000 14000000 " M("02000000", "1c000000") "01000000 0a000000 01000000 00000000 5802",
     .error = "byte 0x0: stream ended inside a message on port 1 (30 of 48 bytes)"},
    {"message size past the limit", TO, 0, true, "01000000 14000000 " M("04000000", "ffffffff"),
     .error = "byte 0x18: message data size 4294967295 exceeds the limit 67108844"},
    {"garbage after a message", FROM, 0, true, "01000000 14000000 " M("0d000000", "00000000") "ff",
     .error = "byte 0x1c: stream ended inside a chunk header (1 of 8 bytes)"},
    /* --- the message layer --- */
    {"protocol 0", TO, 0, false, "00000000 0d000000 0000000000000000 00000000",
     VDS_VERDICT_BAD_PROTOCOL, VDS_VERDICT_BAD_PROTOCOL, false, "protocol 0 != 1"},
    {"protocol 2", FROM, 0, false, "02000000 03000000 0000000000000000 00000000",
     VDS_VERDICT_BAD_PROTOCOL, VDS_VERDICT_BAD_PROTOCOL, false, "protocol 2 != 1"},
    {"type 0", TO, 0, false, M("00000000", "00000000"), VDS_VERDICT_UNKNOWN_TYPE,
     VDS_VERDICT_UNKNOWN_TYPE, true, "unknown message type 0"},
    {"type 17 (end marker)", TO, 0, false, M("11000000", "01000000") "00", VDS_VERDICT_UNKNOWN_TYPE,
     VDS_VERDICT_UNKNOWN_TYPE, true, "unknown message type 17"},
    {"mouse-state short", TO, 0, false, M("01000000", "0c000000") "00000000 00000000 00000000",
     VDS_VERDICT_BAD_SIZE, VDS_VERDICT_BAD_SIZE, false, "mouse-state size 12 != 13"},
    {"mouse-state long", TO, 0, false, M("01000000", "0e000000") "00000000 00000000 00000000 0000",
     VDS_VERDICT_BAD_SIZE, VDS_VERDICT_BAD_SIZE, false, "mouse-state size 14 != 13"},
    {"monitors-config short", TO, 0, false, M("02000000", "04000000") "01000000",
     VDS_VERDICT_BAD_SIZE, VDS_VERDICT_BAD_SIZE, false, "monitors-config size 4 < minimum 8"},
    {"monitors-config count past the end", TO, 0, false,
     M("02000000", "1c000000") "02000000 00000000 58020000 20030000 20000000 00000000 00000000",
     VDS_VERDICT_TRUNCATED, VDS_VERDICT_BAD_SIZE, false,
     "num_of_monitors 2 needs 48 bytes, message has 28"},
    {"monitors-config huge num_of_monitors", TO, 0, false,
     M("02000000", "1c000000") "ffffffff 00000000 58020000 20030000 20000000 00000000 00000000",
     VDS_VERDICT_TRUNCATED, VDS_VERDICT_BAD_SIZE, false,
     "num_of_monitors 4294967295 needs 85899345908 bytes, message has 28"},
    {"reply short", FROM, 0, false, M("03000000", "04000000") "02000000", VDS_VERDICT_BAD_SIZE,
     VDS_VERDICT_BAD_SIZE, false, "reply size 4 != 8"},
    {"clipboard without room for the type", TO, SEL, false,
     M("04000000", "06000000") "0000 0000 0100", VDS_VERDICT_BAD_SIZE, VDS_VERDICT_BAD_SIZE, false,
     "clipboard size 6 < minimum 8"},
    {"clipboard no selection, 3 bytes", TO, 0, false, M("04000000", "03000000") "010000",
     VDS_VERDICT_BAD_SIZE, VDS_VERDICT_BAD_SIZE, false, "clipboard size 3 < minimum 4"},
    {"grab without its serial", TO, SEL | SERIAL, false, M("07000000", "06000000") "00000000 0100",
     VDS_VERDICT_BAD_SIZE, VDS_VERDICT_BAD_SIZE, false, "clipboard-grab size 6 < minimum 8"},
    {"request with extra bytes", TO, SEL, false,
     M("08000000", "0c000000") "00000000 01000000 01000000", VDS_VERDICT_BAD_SIZE,
     VDS_VERDICT_BAD_SIZE, false, "clipboard-request size 12 != 8"},
    {"release without selection", TO, SEL, false, M("09000000", "00000000"), VDS_VERDICT_BAD_SIZE,
     VDS_VERDICT_BAD_SIZE, false, "clipboard-release size 0 != 4"},
    {"display-config empty", TO, 0, false, M("05000000", "00000000"), VDS_VERDICT_BAD_SIZE,
     VDS_VERDICT_BAD_SIZE, false, "display-config size 0 != 8"},
    {"announce-capabilities short", FROM, 0, false, M("06000000", "02000000") "0100",
     VDS_VERDICT_BAD_SIZE, VDS_VERDICT_BAD_SIZE, false, "announce-capabilities size 2 < minimum 4"},
    {"file-xfer-start short", TO, 0, false, M("0a000000", "03000000") "010000",
     VDS_VERDICT_BAD_SIZE, VDS_VERDICT_BAD_SIZE, false, "file-xfer-start size 3 < minimum 4"},
    {"file-xfer-status short", TO, 0, false, M("0b000000", "07000000") "01000000 000000",
     VDS_VERDICT_BAD_SIZE, VDS_VERDICT_BAD_SIZE, false, "file-xfer-status size 7 < minimum 8"},
    {"file-xfer-data short", TO, 0, false, M("0c000000", "0b000000") "01000000 00000000 000000",
     VDS_VERDICT_BAD_SIZE, VDS_VERDICT_BAD_SIZE, false, "file-xfer-data size 11 < minimum 12"},
    {"client-disconnected with a byte", TO, 0, false, M("0d000000", "01000000") "00",
     VDS_VERDICT_BAD_SIZE, VDS_VERDICT_BAD_SIZE, false, "client-disconnected size 1 != 0"},
    {"max-clipboard long", TO, 0, false, M("0e000000", "08000000") "ffffffff ffffffff",
     VDS_VERDICT_BAD_SIZE, VDS_VERDICT_BAD_SIZE, false, "max-clipboard size 8 != 4"},
    {"audio-volume-sync channels past the end", TO, 0, false,
     M("0f000000", "07000000") "010003 0080 0080", VDS_VERDICT_TRUNCATED, OK, false,
     "nchannels 3 needs 9 bytes, message has 7"},
    {"audio-volume-sync short", TO, 0, false, M("0f000000", "02000000") "0100",
     VDS_VERDICT_BAD_SIZE, VDS_VERDICT_BAD_SIZE, false, "audio-volume-sync size 2 < minimum 3"},
    {"graphics-device-info entry truncated", TO, 0, false,
     M("10000000", "0c000000") "01000000 00000000 00000000", VDS_VERDICT_TRUNCATED, OK, false,
     "device 0 of 1: entry at data byte 4 truncated"},
    {"graphics-device-info empty address", TO, 0, false,
     M("10000000", "14000000") "01000000 00000000 00000000 00000000 00000000", VDS_VERDICT_BAD_DATA,
     OK, false, "device 0: device_address_len is 0"},
    {"graphics-device-info address past the end", TO, 0, false,
     M("10000000", "16000000") "01000000 00000000 00000000 00000000 08000000 6162",
     VDS_VERDICT_TRUNCATED, OK, false, "device 0: address of 8 bytes past the end (2 left)"},
    {"physical-size trailer", TO, VDS_CAPS_VDAGENTD, false,
     M("02000000", "20000000") "01000000 02000000 d0020000 00050000 20000000 00000000 00000000 "
                               "2c01f401",
     OK, VDS_VERDICT_BAD_SIZE, true, "monitors-config size 32 != 8 + 20 * 1 = 28"},
    /* --- edges that are valid --- */
    {"zero-length payload", TO, 0, false, M("0d000000", "00000000"), OK, OK, true, ""},
    {"largest payload in one host chunk", TO, 0, true,
     "01000000 00080000 " M("04000000", "ec070000"), OK, OK, true, ""}, /* + 2028 bytes below */
};

typedef struct collected {
    unsigned n;
    GByteArray *first;
    uint32_t port;
} collected;

static void collect(void *user, const vds_chunk_msg *m)
{
    collected *c = user;
    if (c->n++ == 0) {
        g_byte_array_append(c->first, m->bytes, (guint)m->len);
        c->port = m->port;
    }
}

/* Feed the stream whole or a byte at a time; returns the framing error text or NULL. */
static char *feed(const bad_case *bc, const uint8_t *p, size_t len, bool bytewise, collected *c)
{
    vds_err err = {0};
    char buf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    const vds_chunk_limits *lim =
        bc->dir == TO ? &vds_chunk_limits_to_agent : &vds_chunk_limits_from_agent;
    vds_chunk_reader *r = vds_chunk_reader_new(lim, collect, c);
    int rc = 0;
    if (bytewise) {
        for (size_t i = 0; i < len && rc == 0; i++)
            rc = vds_chunk_reader_feed(r, p + i, 1, &err);
    } else {
        rc = vds_chunk_reader_feed(r, p, len, &err);
    }
    if (rc == 0)
        rc = vds_chunk_reader_finish(r, &err);
    vds_chunk_reader_free(r);
    return rc < 0 ? g_strdup(vds_err_str(&err, buf, sizeof(buf))) : NULL;
}

static void run_case(const bad_case *bc)
{
    GString *hex = g_string_new(NULL);
    if (bc->raw) {
        g_string_append(hex, bc->hex);
        if (strstr(bc->name, "largest payload"))
            for (int i = 0; i < 2028; i++)
                g_string_append(hex, "5a");
    } else {
        g_autoptr(GBytes) msg = hex_bytes(bc->hex);
        g_string_append_printf(hex, "01000000 %08x %s",
                               GUINT32_TO_BE((uint32_t)g_bytes_get_size(msg)), bc->hex);
    }
    g_autoptr(GBytes) stream = hex_bytes(hex->str);
    g_string_free(hex, TRUE);
    gsize len;
    const uint8_t *p = g_bytes_get_data(stream, &len);

    collected whole = {0, g_byte_array_new(), 0}, bytes = {0, g_byte_array_new(), 0};
    g_autofree char *e1 = feed(bc, p, len, false, &whole);
    g_autofree char *e2 = feed(bc, p, len, true, &bytes);
    if (g_strcmp0(e1, e2) != 0 || whole.n != bytes.n)
        fail_msg("%s: bulk and byte-at-a-time feeding disagree: '%s' / '%s'", bc->name, e1, e2);
    if (bc->raw && bc->error[0]) { /* the chunk layer must reject it */
        if (!e1)
            fail_msg("%s: the chunk layer accepted it", bc->name);
        if (strcmp(e1, bc->error) != 0)
            fail_msg("%s: error\n  got  '%s'\n  want '%s'", bc->name, e1, bc->error);
    } else {
        if (e1)
            fail_msg("%s: unexpected framing error '%s'", bc->name, e1);
        assert_int_equal(whole.n, 1);
        vds_agent_check chk;
        vds_agent_check_msg(whole.first->data, whole.first->len, bc->caps, bc->dir, &chk);
        if (chk.common != bc->common || chk.vdagentd != bc->vdagentd)
            fail_msg("%s: verdicts %s/%s, want %s/%s (%s | %s)", bc->name,
                     vds_verdict_name(chk.common), vds_verdict_name(chk.vdagentd),
                     vds_verdict_name(bc->common), vds_verdict_name(bc->vdagentd), chk.common_why,
                     chk.vdagentd_why);
        const char *why = chk.common != OK ? chk.common_why : chk.vdagentd_why;
        if (strcmp(why, bc->error) != 0)
            fail_msg("%s: reason\n  got  '%s'\n  want '%s'", bc->name, why, bc->error);
        vds_agent_msg m;
        vds_err err = {0};
        int rc = vds_agent_decode(whole.first->data, whole.first->len, bc->caps, &m, &err);
        if ((rc == 0) != bc->decodes)
            fail_msg("%s: decode %s (%s)", bc->name, rc == 0 ? "succeeded" : "failed", err.msg);
        if (rc == 0)
            vds_agent_msg_clear(&m);
        else
            assert_string_equal(err.msg, bc->error);
    }
    g_byte_array_unref(whole.first);
    g_byte_array_unref(bytes.first);
}

static void malformed_table(void **state)
{
    assert_true(G_N_ELEMENTS(cases) >= 30);
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
        run_case(&cases[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(malformed_table)};
    return cmocka_run_group_tests_name("/proto/agent-malformed", tests, NULL, NULL);
}
