#include "test-util.h"

#include "proto/agent.h"

#define SEL    VDS_CAP(VD_AGENT_CAP_CLIPBOARD_SELECTION)
#define SERIAL VDS_CAP(VD_AGENT_CAP_CLIPBOARD_GRAB_SERIAL)

static void table_complete(void **state)
{
    assert_null(vds_agent_desc_get(0));
    assert_null(vds_agent_desc_get(VD_AGENT_END_MESSAGE));
    for (uint32_t t = 1; t < VD_AGENT_END_MESSAGE; t++) {
        const vds_agent_desc *d = vds_agent_desc_get(t);
        if (!d)
            fail_msg("VD_AGENT type %u has no descriptor", t);
        assert_string_equal(vds_agent_type_names.names[t], d->name);
        for (const char *c = d->name; *c; c++)
            assert_true(g_ascii_islower(*c) || *c == '-');
        assert_non_null(d->decode);
        assert_non_null(d->encode);
        assert_non_null(d->describe);
        assert_true(d->dirs != 0);
        for (uint32_t u = 1; u < t; u++)
            assert_string_not_equal(vds_agent_desc_get(u)->name, d->name);
    }
    for (uint32_t c = 0; c < VD_AGENT_END_CAP; c++)
        assert_non_null(vds_names_get(&vds_agent_cap_names, c));
}

static JsonNode *describe(const vds_agent_msg *m)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    vds_agent_describe(m, b);
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

/* Every member of want must be in got with an equal value (recursing into objects). */
static void assert_json_subset(JsonObject *want, JsonObject *got, const char *where)
{
    g_autoptr(GList) members = json_object_get_members(want);
    for (GList *l = members; l; l = l->next) {
        JsonNode *w = json_object_get_member(want, l->data);
        JsonNode *g = json_object_get_member(got, l->data);
        if (!g)
            fail_msg("%s: field '%s' missing", where, (const char *)l->data);
        if (JSON_NODE_HOLDS_OBJECT(w) && JSON_NODE_HOLDS_OBJECT(g)) {
            assert_json_subset(json_node_get_object(w), json_node_get_object(g), where);
            continue;
        }
        if (!json_node_equal(w, g)) {
            g_autofree char *ws = json_to_string(w, FALSE), *gs = json_to_string(g, FALSE);
            fail_msg("%s: field '%s' is %s, expected %s", where, (const char *)l->data, gs, ws);
        }
    }
}

/* Real bytes from spice-vdagentd/-vdagent 0.22.1, fields computed in Python. */
static void real_vectors(void **state)
{
    g_autoptr(GBytes) file = fixture_bytes("codec/vectors.jsonl");
    g_autofree char *text = g_strndup(g_bytes_get_data(file, NULL), g_bytes_get_size(file));
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    bool seen[VD_AGENT_END_MESSAGE] = {0};
    unsigned count = 0;

    for (size_t i = 0; lines[i]; i++) {
        if (!*lines[i])
            continue;
        g_autoptr(JsonParser) p = json_parser_new();
        assert_true(json_parser_load_from_data(p, lines[i], -1, NULL));
        JsonObject *v = json_node_get_object(json_parser_get_root(p));
        const char *name = json_object_get_string_member(v, "name");
        uint32_t caps =
            (uint32_t)g_ascii_strtoull(json_object_get_string_member(v, "caps"), NULL, 16);
        g_autoptr(GBytes) bytes = hex_bytes(json_object_get_string_member(v, "hex"));
        gsize len;
        const uint8_t *data = g_bytes_get_data(bytes, &len);
        vds_agent_msg m;
        vds_err err = {0};
        vds_agent_check chk;

        if (vds_agent_decode(data, len, caps, &m, &err) < 0)
            fail_msg("%s: %s: %s", name, err.loc, err.msg);
        vds_agent_check_msg(data, len, caps, VDS_DIR_BOTH, &chk);
        assert_int_equal(chk.common, VDS_VERDICT_OK);
        seen[m.type] = true;
        g_autoptr(JsonNode) got = describe(&m);
        assert_json_subset(json_object_get_object_member(v, "expect"), json_node_get_object(got),
                           name);
        vds_buf out;
        vds_buf_init(&out, 1u << 20);
        assert_int_equal(vds_agent_encode(&m, &out, &err), 0);
        if (out.len != len || memcmp(out.data, data, len) != 0)
            fail_msg("%s: re-encoding changed the bytes", name);
        /* and from the described fields, as a scenario would write them */
        bool summarised = m.type == VD_AGENT_CLIPBOARD && m.u.clipboard.len > 4096;
        if (!summarised) {
            vds_agent_msg built;
            vds_build_ctx ctx = {.caps = caps};
            if (vds_agent_msg_build(m.type, json_node_get_object(got), &ctx, &built, &err) < 0)
                fail_msg("%s: build: %s", name, err.msg);
            vds_buf_reset(&out);
            assert_int_equal(vds_agent_encode(&built, &out, &err), 0);
            if (out.len != len || memcmp(out.data, data, len) != 0)
                fail_msg("%s: building from the described fields changed the bytes", name);
            vds_agent_msg_clear(&built);
        }
        vds_buf_clear(&out);
        vds_agent_msg_clear(&m);
        count++;
    }
    assert_true(count >= 30);
    for (uint32_t t = 1; t < VD_AGENT_END_MESSAGE; t++)
        if (!seen[t])
            fail_msg("no real vector for %s", vds_agent_desc_get(t)->name);
}

/* encode -> decode -> encode with the given caps must reproduce the bytes. */
static void round_trip(vds_agent_msg *m, uint32_t caps, const char *what)
{
    vds_buf a, b;
    vds_err err = {0};
    vds_agent_msg back;

    vds_buf_init(&a, 8u << 20);
    vds_buf_init(&b, 8u << 20);
    m->protocol = VD_AGENT_PROTOCOL;
    vds_agent_msg_apply_caps(m, caps);
    if (vds_agent_encode(m, &a, &err) < 0)
        fail_msg("%s: encode: %s", what, err.msg);
    if (vds_agent_decode(a.data, a.len, caps, &back, &err) < 0)
        fail_msg("%s caps 0x%x: decode: %s %s", what, caps, err.loc, err.msg);
    assert_int_equal(back.type, m->type);
    assert_int_equal(back.size, a.len - VDS_AGENT_HDR_SIZE);
    assert_int_equal(back.trailing_len, 0);
    assert_int_equal(vds_agent_encode(&back, &b, &err), 0);
    if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
        fail_msg("%s caps 0x%x: bytes changed in the round trip", what, caps);
    g_autoptr(JsonNode) d1 = describe(m);
    g_autoptr(JsonNode) d2 = describe(&back);
    if (!json_node_equal(d1, d2))
        fail_msg("%s: fields changed in the round trip", what);
    vds_agent_msg_clear(&back);
    /* a view decodes the same, its blobs inside the bytes, and clears
       without freeing them (ASan would see it) */
    vds_agent_msg view;
    if (vds_agent_decode_view(a.data, a.len, caps, &view, &err) < 0)
        fail_msg("%s caps 0x%x: decode_view: %s %s", what, caps, err.loc, err.msg);
    g_autoptr(JsonNode) d3 = describe(&view);
    if (!json_node_equal(d1, d3))
        fail_msg("%s: a view describes differently", what);
    if (view.type == VD_AGENT_CLIPBOARD && view.u.clipboard.len)
        assert_true(view.u.clipboard.data >= a.data && view.u.clipboard.data < a.data + a.len);
    vds_agent_msg_clear(&view);
    vds_buf_clear(&a);
    vds_buf_clear(&b);
}

/* A view's trailing bytes borrow too (LeakSanitizer in tools/check sees a copy). */
static void view_trailing(void **state)
{
    /* ANNOUNCE_CAPABILITIES: request, one caps word, two bytes more */
    g_autoptr(GBytes) b = hex_bytes("01000000 06000000 0000000000000000 0a000000"
                                    "00000000 05000000 abcd");
    gsize n;
    const uint8_t *p = g_bytes_get_data(b, &n);
    vds_agent_msg m;
    vds_err err = {0};
    assert_int_equal(vds_agent_decode_view(p, n, 0, &m, &err), 0);
    assert_int_equal(m.trailing_len, 2);
    assert_ptr_equal(m.trailing, p + n - 2);
    vds_agent_msg_clear(&m);
    assert_int_equal(vds_agent_decode(p, n, 0, &m, &err), 0);
    assert_true(m.trailing != p + n - 2);
    assert_memory_equal(m.trailing, "\xab\xcd", 2);
    vds_agent_msg_clear(&m);
}

static void round_trips(void **state)
{
    static const uint32_t cap_sets[] = {0, SEL, SERIAL, SEL | SERIAL};
    uint8_t text[] = "grüße";
    uint32_t types[] = {1, 2, 6};
    vds_mon mons[2] = {{768, 1024, 32, 0, 0}, {600, 800, 32, 1024, -5}};
    vds_mon_mm mm[2] = {{200, 300}, {150, 250}};
    uint16_t vol[2] = {1, 65535};
    uint32_t capw[2] = {VDS_CAPS_VDAGENTD, 0x80000000u};
    char kf[] = "[vdagent-file-xfer]\nname=a\nsize=1\n";
    vds_display_info gdi[2] = {{1, 0, 0, "pci/0000/02.0", 0}, {2, 1, 1, "pci/0000/03.0", 0}};

    for (size_t c = 0; c < G_N_ELEMENTS(cap_sets); c++) {
        uint32_t caps = cap_sets[c];
        vds_agent_msg m = {0};
        m.type = VD_AGENT_CLIPBOARD_GRAB;
        for (size_t n = 0; n <= 3; n++) {
            m.u.grab.serial = (uint32_t)n;
            m.u.grab.types = types;
            m.u.grab.n_types = n;
            m.u.grab.sel.selection = 1;
            round_trip(&m, caps, "clipboard-grab");
        }
        memset(&m, 0, sizeof(m));
        m.type = VD_AGENT_CLIPBOARD;
        m.u.clipboard.type = VD_AGENT_CLIPBOARD_UTF8_TEXT;
        m.u.clipboard.data = text;
        m.u.clipboard.len = sizeof(text) - 1;
        round_trip(&m, caps, "clipboard");
        m.u.clipboard.len = 0;
        round_trip(&m, caps, "clipboard empty");
        memset(&m, 0, sizeof(m));
        m.type = VD_AGENT_CLIPBOARD_REQUEST;
        m.u.request.type = VD_AGENT_CLIPBOARD_IMAGE_PNG;
        round_trip(&m, caps, "clipboard-request");
        memset(&m, 0, sizeof(m));
        m.type = VD_AGENT_CLIPBOARD_RELEASE;
        m.u.release.sel.selection = 1;
        round_trip(&m, caps, "clipboard-release");
    }

    vds_agent_msg m = {0};
    m.type = VD_AGENT_MOUSE_STATE;
    m.u.mouse.x = 0xffffffffu;
    m.u.mouse.buttons = 0xfe;
    m.u.mouse.display_id = 255;
    round_trip(&m, 0, "mouse-state");

    for (int with_mm = 0; with_mm < 2; with_mm++) {
        for (uint32_t n = 0; n <= 2; n++) {
            memset(&m, 0, sizeof(m));
            m.type = VD_AGENT_MONITORS_CONFIG;
            m.u.monitors.count = n;
            m.u.monitors.flags = VD_AGENT_CONFIG_MONITORS_FLAG_USE_POS |
                                 (with_mm ? VD_AGENT_CONFIG_MONITORS_FLAG_PHYSICAL_SIZE : 0);
            m.u.monitors.mons = mons;
            m.u.monitors.mm = with_mm && n ? mm : NULL;
            round_trip(&m, 0, "monitors-config");
        }
    }
    memset(&m, 0, sizeof(m));
    m.type = VD_AGENT_REPLY;
    m.u.reply.type = VD_AGENT_MONITORS_CONFIG;
    m.u.reply.error = VD_AGENT_ERROR;
    round_trip(&m, 0, "reply");
    memset(&m, 0, sizeof(m));
    m.type = VD_AGENT_DISPLAY_CONFIG;
    m.u.display_config.flags = 0xf;
    m.u.display_config.depth = 16;
    round_trip(&m, 0, "display-config");
    for (size_t n = 0; n <= 2; n++) {
        memset(&m, 0, sizeof(m));
        m.type = VD_AGENT_ANNOUNCE_CAPABILITIES;
        m.u.caps.request = 1;
        m.u.caps.caps = capw;
        m.u.caps.n_words = n;
        round_trip(&m, 0, "announce-capabilities");
    }
    memset(&m, 0, sizeof(m));
    m.type = VD_AGENT_FILE_XFER_START;
    m.u.xfer_start.id = 3;
    m.u.xfer_start.keyfile = kf;
    m.u.xfer_start.len = strlen(kf);
    round_trip(&m, 0, "file-xfer-start");
    for (int detail = 0; detail < 3; detail++) {
        memset(&m, 0, sizeof(m));
        m.type = VD_AGENT_FILE_XFER_STATUS;
        m.u.xfer_status.id = 9;
        m.u.xfer_status.result = detail == 1   ? VD_AGENT_FILE_XFER_STATUS_NOT_ENOUGH_SPACE
                                 : detail == 2 ? VD_AGENT_FILE_XFER_STATUS_ERROR
                                               : VD_AGENT_FILE_XFER_STATUS_SUCCESS;
        m.u.xfer_status.has_disk_free = detail == 1;
        m.u.xfer_status.disk_free = 1ull << 40;
        m.u.xfer_status.has_error = detail == 2;
        m.u.xfer_status.error_type = 0;
        m.u.xfer_status.error_code = 14;
        round_trip(&m, 0, "file-xfer-status");
    }
    memset(&m, 0, sizeof(m));
    m.type = VD_AGENT_FILE_XFER_DATA;
    m.u.xfer_data.id = 3;
    m.u.xfer_data.size = 5;
    m.u.xfer_data.data = text;
    m.u.xfer_data.len = 5;
    round_trip(&m, 0, "file-xfer-data");
    memset(&m, 0, sizeof(m));
    m.type = VD_AGENT_CLIENT_DISCONNECTED;
    round_trip(&m, 0, "client-disconnected");
    memset(&m, 0, sizeof(m));
    m.type = VD_AGENT_MAX_CLIPBOARD;
    m.u.max_clipboard.max = -1;
    round_trip(&m, 0, "max-clipboard");
    for (uint8_t n = 0; n <= 2; n++) {
        memset(&m, 0, sizeof(m));
        m.type = VD_AGENT_AUDIO_VOLUME_SYNC;
        m.u.volume.is_playback = 1;
        m.u.volume.nchannels = n;
        m.u.volume.volume = vol;
        round_trip(&m, 0, "audio-volume-sync");
    }
    for (uint32_t n = 0; n <= 2; n++) {
        memset(&m, 0, sizeof(m));
        m.type = VD_AGENT_GRAPHICS_DEVICE_INFO;
        m.u.gdi.count = n;
        m.u.gdi.info = gdi;
        round_trip(&m, 0, "graphics-device-info");
    }
}

/* A 1 MiB clipboard survives, and describes itself by hash. */
static void large_clipboard(void **state)
{
    size_t n = 1u << 20;
    g_autofree uint8_t *data = g_malloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (uint8_t)('a' + i % 26);
    vds_agent_msg m = {0};
    m.type = VD_AGENT_CLIPBOARD;
    m.u.clipboard.type = VD_AGENT_CLIPBOARD_UTF8_TEXT;
    m.u.clipboard.data = data;
    m.u.clipboard.len = n;
    round_trip(&m, SEL | SERIAL, "1 MiB clipboard");
    g_autoptr(JsonNode) d = describe(&m);
    JsonObject *o = json_object_get_object_member(json_node_get_object(d), "data");
    assert_int_equal(json_object_get_int_member(o, "len"), n);
    assert_int_equal(strlen(json_object_get_string_member(o, "sha256")), 64);
}

static void check_msg(const char *hex, uint32_t caps, vds_dir dir, vds_agent_check *chk)
{
    g_autoptr(GBytes) b = hex_bytes(hex);
    gsize len;
    const uint8_t *p = g_bytes_get_data(b, &len);
    vds_agent_check_msg(p, len, caps, dir, chk);
}

#define HDR(type, size) "01000000 " type " 0000000000000000 " size

static void verdicts_differ(void **state)
{
    vds_agent_check c;

    /* spice-gtk >= 0.39's physical-size trailer: fine for spice-common, dropped by vdagentd */
    check_msg(HDR("02000000", "20000000") "01000000 03000000 d0020000 00050000 20000000 "
                                          "00000000 00000000 2c01f401",
              VDS_CAPS_VDAGENTD, VDS_DIR_TO_AGENT, &c);
    assert_int_equal(c.common, VDS_VERDICT_OK);
    assert_int_equal(c.vdagentd, VDS_VERDICT_BAD_SIZE);
    assert_string_equal(c.vdagentd_why, "monitors-config size 32 != 8 + 20 * 1 = 28");
    /* a detailed file-xfer error: >= 8 for spice-common, == 8 for vdagentd */
    check_msg(HDR("0b000000", "0d000000") "01000000 02000000 00 0e000000", 0, VDS_DIR_TO_AGENT, &c);
    assert_int_equal(c.common, VDS_VERDICT_OK);
    assert_int_equal(c.vdagentd, VDS_VERDICT_BAD_SIZE);
    assert_string_equal(c.vdagentd_why, "file-xfer-status size 13 != 8");
    /* vdagentd size-checks a REPLY from the host and ignores it */
    check_msg(HDR("03000000", "08000000") "02000000 01000000", 0, VDS_DIR_TO_AGENT, &c);
    assert_int_equal(c.common, VDS_VERDICT_OK);
    assert_int_equal(c.vdagentd, VDS_VERDICT_IGNORED);
    assert_false(c.dir_ok);
    /* a grab to an agent that never said clipboard-by-demand */
    check_msg(HDR("07000000", "04000000") "01000000", 0, VDS_DIR_TO_AGENT, &c);
    assert_int_equal(c.common, VDS_VERDICT_OK);
    assert_int_equal(c.missing_cap, VD_AGENT_CAP_CLIPBOARD_BY_DEMAND);
    /* mouse-state from the agent is the wrong way round */
    check_msg(HDR("01000000", "0d000000") "00000000 00000000 00000000 00", VDS_CAPS_SPICE_GTK,
              VDS_DIR_FROM_AGENT, &c);
    assert_false(c.dir_ok);
}

static void unknown_and_quirks(void **state)
{
    vds_agent_msg m;
    vds_err err = {0};
    g_autoptr(GBytes) unk = hex_bytes(HDR("63000000", "03000000") "aabbcc");
    gsize len;
    const uint8_t *p = g_bytes_get_data(unk, &len);

    /* a future type decodes with its payload kept */
    assert_int_equal(vds_agent_decode(p, len, 0, &m, &err), 0);
    assert_int_equal(m.type, 99);
    assert_int_equal(m.trailing_len, 3);
    g_autoptr(JsonNode) d = describe(&m);
    assert_string_equal(
        json_object_get_string_member(
            json_object_get_object_member(json_node_get_object(d), "payload"), "hex"),
        "aabbcc");
    vds_agent_msg_clear(&m);

    /* vdagentd's 1-byte RELEASE on session switch */
    g_autoptr(GBytes) rel = hex_bytes(HDR("09000000", "01000000") "01");
    p = g_bytes_get_data(rel, &len);
    assert_int_equal(vds_agent_decode(p, len, SEL, &m, &err), 0);
    assert_true(m.u.release.short_release);
    assert_int_equal(m.u.release.sel.selection, 1);
    vds_buf out;
    vds_buf_init(&out, 64);
    assert_int_equal(vds_agent_encode(&m, &out, &err), 0);
    assert_int_equal(out.len, len);
    assert_memory_equal(out.data, p, len);
    vds_buf_clear(&out);
    vds_agent_msg_clear(&m);

    /* future capability bits are named by number, not dropped */
    g_autoptr(GBytes) caps = hex_bytes(HDR("06000000", "0c000000") "00000000 01000000 01000000");
    p = g_bytes_get_data(caps, &len);
    assert_int_equal(vds_agent_decode(p, len, 0, &m, &err), 0);
    g_autoptr(JsonNode) dc = describe(&m);
    g_autofree char *text = vds_json_to_text(dc);
    assert_string_equal(text, "request=0 words=2 caps=[mouse-state,cap-32]");
    vds_agent_msg_clear(&m);
}

static char *build_error(uint32_t type, const char *json)
{
    g_autoptr(JsonParser) p = json_parser_new();
    vds_build_ctx ctx = {.caps = VDS_CAPS_VDAGENTD};
    vds_agent_msg m;
    vds_err err = {0};
    assert_true(json_parser_load_from_data(p, json, -1, NULL));
    if (vds_agent_msg_build(type, json_node_get_object(json_parser_get_root(p)), &ctx, &m, &err) ==
        0) {
        vds_agent_msg_clear(&m);
        return NULL;
    }
    return g_strdup(err.msg);
}

#define assert_build_error(type, json, want)                                                    \
    do {                                                                                        \
        g_autofree char *e_ = build_error(type, json);                                          \
        if (!e_ || strcmp(e_, want) != 0)                                                       \
            fail_msg("build %s\n  got  '%s'\n  want '%s'", json, e_ ? e_ : "(accepted)", want); \
    } while (0)

static void build_errors(void **state)
{
    assert_null(build_error(VD_AGENT_MOUSE_STATE, "{\"x\":1,\"y\":2,\"buttons\":[\"left\"]}"));
    assert_build_error(VD_AGENT_MOUSE_STATE, "{\"x\":1,\"y\":2,\"buttons\":[\"lfet\"]}",
                       "mouse-state: field 'buttons': item 0: not a button name (did you mean "
                       "'left'?)");
    assert_build_error(VD_AGENT_MOUSE_STATE, "{\"x\":1}", "mouse-state: field 'y': missing");
    assert_build_error(VD_AGENT_MOUSE_STATE, "{\"x\":1,\"y\":2,\"dispaly\":1}",
                       "mouse-state: field 'dispaly': unknown field (did you mean 'display'?)");
    assert_build_error(VD_AGENT_MOUSE_STATE, "{\"x\":1,\"y\":2,\"display\":300}",
                       "mouse-state: field 'display': 300 is out of range 0..255");
    assert_build_error(VD_AGENT_MONITORS_CONFIG,
                       "{\"monitors\":[{\"w\":1,\"h\":1},{\"w\":\"wide\",\"h\":1}]}",
                       "monitors-config: field 'monitors[1].w': expected a number");
    assert_build_error(VD_AGENT_REPLY, "{\"type\":\"monitor-config\"}",
                       "reply: field 'type': unknown message type 'monitor-config' (did you mean "
                       "'monitors-config'?)");
    assert_build_error(VD_AGENT_CLIPBOARD, "{\"data\":\"abc\",\"len\":4}",
                       "clipboard: field 'len': 4 but data has 3 bytes");
    assert_build_error(VD_AGENT_CLIENT_DISCONNECTED, "{\"zap\":1}",
                       "client-disconnected: field 'zap': unknown field (client-disconnected has: "
                       "no fields)");

    /* defaults follow the receiver's caps: selection prefix and grab serial */
    g_autoptr(JsonParser) p = json_parser_new();
    assert_true(json_parser_load_from_data(p, "{\"types\":[\"utf8-text\"]}", -1, NULL));
    vds_build_ctx ctx = {.caps = VDS_CAPS_VDAGENTD};
    vds_agent_msg m;
    vds_buf out;
    vds_buf_init(&out, 64);
    assert_int_equal(vds_agent_msg_build(VD_AGENT_CLIPBOARD_GRAB,
                                         json_node_get_object(json_parser_get_root(p)), &ctx, &m,
                                         NULL),
                     0);
    assert_int_equal(vds_agent_encode(&m, &out, NULL), 0);
    g_autofree char *hex = vds_hex_encode(out.data + 20, out.len - 20);
    assert_string_equal(hex, "000000000000000001000000");
    vds_agent_msg_clear(&m);
    vds_buf_clear(&out);
}

static void caps_parse(void **state)
{
    uint32_t caps;
    vds_err err = {0};
    assert_int_equal(vds_agent_caps_parse("mouse-state, reply", &caps, &err), 0);
    assert_int_equal(caps, 0x5);
    assert_int_equal(vds_agent_caps_parse("0x38de7", &caps, &err), 0);
    assert_int_equal(caps, VDS_CAPS_VDAGENTD);
    assert_int_equal(vds_agent_caps_parse("vdagentd", &caps, &err), 0);
    assert_int_equal(caps, VDS_CAPS_VDAGENTD);
    assert_int_equal(vds_agent_caps_parse("clipbaord-selection", &caps, &err), -1);
    assert_string_equal(err.msg, "unknown capability 'clipbaord-selection' (did you mean "
                                 "'clipboard-selection'?)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_complete),     cmocka_unit_test(real_vectors),
        cmocka_unit_test(round_trips),        cmocka_unit_test(view_trailing),
        cmocka_unit_test(large_clipboard),    cmocka_unit_test(verdicts_differ),
        cmocka_unit_test(unknown_and_quirks), cmocka_unit_test(caps_parse),
        cmocka_unit_test(build_errors),
    };
    return cmocka_run_group_tests_name("/proto/agent-msg", tests, NULL, NULL);
}
