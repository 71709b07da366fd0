#include "test-util.h"

#include <glib/gstdio.h>

#include "trace/trace.h"

#define HEADER "{\"vdsim-trace\":1,\"tool\":\"vdsim test\"}\n"
#define EV(t, fields)                                                   \
    "{\"t\":" #t ",\"kind\":\"agent\",\"dir\":\"to-agent\",\"port\":1," \
    "\"type\":\"monitors-config\",\"fields\":" fields ",\"raw\":\"00\"}\n"
#define MON(w) "{\"flags\":[],\"monitors\":[{\"w\":" #w ",\"h\":600}]}"
#define REPLY(t)                                                          \
    "{\"t\":" #t ",\"kind\":\"agent\",\"dir\":\"from-agent\",\"port\":1," \
    "\"type\":\"reply\",\"fields\":{\"error\":\"success\"}}\n"
#define OBSERVED(t) \
    "{\"t\":" #t ",\"kind\":\"note\",\"note\":\"guest screen\",\"observed\":\"x\"}\n"
#define GRAB(serial)                                                   \
    "{\"t\":5,\"kind\":\"agent\",\"dir\":\"from-agent\",\"port\":1,"   \
    "\"type\":\"clipboard-grab\",\"fields\":{\"serial\":" #serial "}," \
    "\"raw\":\"0" #serial "\"}\n"

static char *read_error(const char *text)
{
    vds_err err = {0};
    char buf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    vds_trace_reader *r = vds_trace_reader_new_from_data("t.jsonl", text, strlen(text), &err);
    if (r) {
        vds_trace_line line;
        int rc;
        while ((rc = vds_trace_reader_next(r, &line, &err)) > 0)
            ;
        vds_trace_reader_free(r);
        if (rc == 0)
            return NULL;
    }
    return g_strdup(vds_err_str(&err, buf, sizeof(buf)));
}

#define assert_read_error(text, want)                                \
    do {                                                             \
        g_autofree char *got_ = read_error(text);                    \
        if (!got_)                                                   \
            fail_msg("accepted: %s", text);                          \
        if (strcmp(got_, want) != 0)                                 \
            fail_msg("error\n  got  '%s'\n  want '%s'", got_, want); \
    } while (0)

static void reader_errors(void **state)
{
    assert_null(read_error(HEADER EV(1, MON(800))));
    assert_read_error("", "t.jsonl: empty trace: no header line");
    assert_read_error(
        "{\"a\":1}\n",
        "t.jsonl:1: not a vdsim trace: the first line has no \"vdsim-trace\" version");
    assert_read_error("{\"vdsim-trace\":2}\n",
                      "t.jsonl:1: unsupported trace version 2 (this vdsim reads version 1)");
    assert_read_error(HEADER "[1]\n", "t.jsonl:2:1: expected a JSON object");
    assert_read_error(HEADER "\n{\"kind\":\"agent\"}\n",
                      "t.jsonl:3: event has no integer \"t\" (ns since start)");
    assert_read_error(HEADER EV(9, MON(1)) EV(8, MON(1)),
                      "t.jsonl:3: time goes backwards: 8 after 9");
    assert_read_error(HEADER "{\"t\":1,\"kind\":\"dance\"}\n",
                      "t.jsonl:2: unknown event kind 'dance'");
    assert_read_error(HEADER "{\"t\":1,\"kind\":\"agent\",\"type\":\"reply\"}\n",
                      "t.jsonl:2: agent event needs \"dir\": \"to-agent\" or \"from-agent\"");
    assert_read_error(HEADER "{\"t\":1,\"kind\":\"agent\",\"dir\":\"to-agent\"}\n",
                      "t.jsonl:2: agent event has neither \"type\" nor \"error\"");
    assert_read_error(HEADER "{\"t\":1,\"kind\":\"a\xff\"}\n", "t.jsonl:2:17: invalid UTF-8");
    /* json-glib's own message, with our location */
    g_autofree char *e = read_error(HEADER "{\"t\":1,\"kind\" \"agent\"}\n");
    assert_non_null(e);
    assert_true(g_str_has_prefix(e, "t.jsonl:2:"));
}

static int compare(const char *a, const char *b, const vds_compare_opts *o, vds_diff *d)
{
    vds_err err = {0};
    vds_trace_reader *ra = vds_trace_reader_new_from_data("a.jsonl", a, strlen(a), &err);
    vds_trace_reader *rb = vds_trace_reader_new_from_data("b.jsonl", b, strlen(b), &err);
    assert_non_null(ra);
    assert_non_null(rb);
    int rc = vds_trace_compare(ra, rb, o, d, &err);
    vds_trace_reader_free(ra);
    vds_trace_reader_free(rb);
    return rc;
}

static void compare_fields(void **state)
{
    vds_diff d;
    /* serials, raw bytes and small time shifts are volatile */
    assert_int_equal(compare(HEADER EV(1, MON(800)) GRAB(1), HEADER EV(2, MON(800)) GRAB(2),
                             &vds_compare_defaults, &d),
                     0);
    assert_int_equal(compare(HEADER EV(1, MON(800)) EV(2, MON(800)),
                             HEADER EV(1, MON(800)) EV(2, MON(1024)), &vds_compare_defaults, &d),
                     1);
    assert_string_equal(d.what, "event 2: fields.monitors[0].w: 800 != 1024 (golden)");
    assert_int_equal(d.line_a, 3);
    assert_int_equal(d.line_b, 3);
    assert_str_contains(d.text_b, "\"w\":1024");
    vds_diff_clear(&d);
    assert_int_equal(compare(HEADER EV(1, MON(800)) EV(2, MON(800)), HEADER EV(1, MON(800)),
                             &vds_compare_defaults, &d),
                     1);
    assert_string_equal(d.what, "event 2: extra event (the golden trace ended)");
    assert_null(d.text_b);
    vds_diff_clear(&d);
    assert_int_equal(compare(HEADER, HEADER GRAB(0), &vds_compare_defaults, &d), 1);
    assert_string_equal(d.what, "event 1: missing event (the trace ended)");
    vds_diff_clear(&d);
}

/* What the agent received: "agent" events on local, the server's "port"
   events elsewhere, after setup, minus the ignored types. */
#define RX(t, kind, step, type, fields)                                                    \
    "{\"t\":" #t ",\"kind\":\"" kind "\",\"dir\":\"to-agent\",\"port\":1,\"type\":\"" type \
    "\",\"fields\":" fields ",\"step\":" #step "}\n"
#define LOCAL_HDR  "{\"vdsim-trace\":1,\"tool\":\"vdsim test\",\"target\":\"local\"}\n"
#define SERVER_HDR "{\"vdsim-trace\":1,\"tool\":\"vdsim test\",\"target\":\"local-server\"}\n"

static void compare_received(void **state)
{
    static const char *const ignore[] = {"graphics-device-info", NULL};
    vds_compare_opts o = {.received_only = true,
                          .ignore_framing = true,
                          .ignore_types = ignore,
                          .label_a = "local",
                          .label_b = "local-server"};
    const char *local = LOCAL_HDR RX(5, "agent", 0, "client-disconnected", "{}")
        RX(9, "agent", 1, "monitors-config", MON(800)) REPLY(12);
    /* the client's own view ("agent") and the setup are not what arrived */
    const char *server = SERVER_HDR RX(1, "port", 0, "client-disconnected", "{}")
        RX(2, "agent", 1, "monitors-config", MON(1024))
            RX(3, "port", 2, "graphics-device-info", "{\"displays\":[]}")
                RX(4, "port", 2, "monitors-config", MON(800));
    vds_diff d;
    assert_int_equal(compare(local, server, &o, &d), 0);
    /* a server that changed the width is caught, named by target */
    const char *changed = SERVER_HDR RX(4, "port", 2, "monitors-config", MON(640));
    assert_int_equal(compare(local, changed, &o, &d), 1);
    assert_string_equal(d.what, "event 1: fields.monitors[0].w: 800 != 640 (local-server)");
    vds_diff_clear(&d);
    /* and one that dropped it */
    assert_int_equal(compare(local, SERVER_HDR, &o, &d), 1);
    assert_string_equal(d.what, "event 1: extra event (the local-server trace ended)");
    vds_diff_clear(&d);
    assert_int_equal(compare(LOCAL_HDR, changed, &o, &d), 1);
    assert_string_equal(d.what, "event 1: missing event (the local trace ended)");
    vds_diff_clear(&d);
}

static void compare_time(void **state)
{
    vds_diff d;
    vds_compare_opts o = {.check_time = true, .tol_floor_ns = 250000000, .tol_pct = 50};
    /* the reply came 600 ms after the request; the golden says 100 ms */
    const char *a = HEADER EV(0, MON(1)) REPLY(600000000);
    const char *b = HEADER EV(0, MON(1)) REPLY(100000000);
    assert_int_equal(compare(a, b, &o, &d), 1);
    assert_string_equal(d.what, "event 2: came 600.0 ms after the last stimulus, golden 100.0 ms "
                                "(tolerance 250.0 ms)");
    vds_diff_clear(&d);
    o.tol_floor_ns = 600000000; /* the floor covers it */
    assert_int_equal(compare(a, b, &o, &d), 0);
    o.tol_floor_ns = 0;
    o.tol_pct = 500; /* so does 500% of 100 ms */
    assert_int_equal(compare(a, b, &o, &d), 0);
    o.tol_pct = 0;
    o.check_time = false;
    assert_int_equal(compare(a, b, &o, &d), 0);

    /* the harness's pacing is not timed: a slow observation between the
       request and the next one changes nothing, the reaction is what counts */
    o = (vds_compare_opts){.check_time = true, .tol_floor_ns = 1000000, .tol_pct = 0};
    const char *slow = HEADER EV(0, MON(1)) REPLY(2000000) OBSERVED(900000000) EV(900000000, MON(1))
        REPLY(902000000);
    const char *fast = HEADER EV(0, MON(1)) REPLY(2000000) OBSERVED(100000000) EV(100000000, MON(1))
        REPLY(102000000);
    assert_int_equal(compare(slow, fast, &o, &d), 0);
}

static void write_then_read(void **state)
{
    g_autofree char *dir = g_dir_make_tmp("vdsim-test-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "t.jsonl", NULL);
    vds_trace_info info = {
        .source = "unit", .host_caps = VDS_CAPS_SPICE_GTK, .agent_caps = VDS_CAPS_VDAGENTD};
    vds_err err = {0};
    g_autoptr(GBytes) reply =
        hex_bytes("01000000 03000000 0000000000000000 08000000 02000000 01000000");
    vds_chunk_msg cm = {1, g_bytes_get_data(reply, NULL), g_bytes_get_size(reply), 0, 1, NULL};
    bool malformed;

    vds_trace_writer *w = vds_trace_writer_open(path, &info, &err);
    assert_non_null(w);
    g_autoptr(JsonNode) ev =
        vds_trace_agent_event(1500, VDS_DIR_FROM_AGENT, &cm, VDS_CAPS_SPICE_GTK, &malformed);
    assert_false(malformed);
    g_autofree char *text = vds_trace_event_text(json_node_get_object(ev));
    assert_str_contains(text, "from-agent port=1 reply size=8 type=monitors-config error=success");
    assert_int_equal(vds_trace_writer_add(w, ev, &err), 0);
    vds_err fe;
    vds_err_set(&fe, VDS_ERR_PROTOCOL, "byte 0x1c", "chunk port 3 invalid (must be < 3)");
    g_autoptr(JsonNode) fev = vds_trace_error_event(2000, VDS_DIR_TO_AGENT, &fe);
    assert_int_equal(vds_trace_writer_add(w, fev, &err), 0);
    assert_int_equal(vds_trace_writer_close(w, &err), 0);

    vds_trace_reader *r = vds_trace_reader_open(path, &err);
    assert_non_null(r);
    JsonObject *h = vds_trace_reader_header(r);
    assert_int_equal(json_object_get_int_member(h, "vdsim-trace"), VDS_TRACE_VERSION);
    assert_int_equal(json_array_get_length(json_object_get_array_member(
                         json_object_get_object_member(h, "caps"), "agent")),
                     12);
    vds_trace_line line;
    assert_int_equal(vds_trace_reader_next(r, &line, &err), 1);
    assert_int_equal(line.lineno, 2);
    assert_string_equal(json_object_get_string_member(line.event, "raw"),
                        "010000000300000000000000000000000800000002000000"
                        "01000000");
    assert_int_equal(vds_trace_reader_next(r, &line, &err), 1);
    assert_string_equal(json_object_get_string_member(line.event, "error"),
                        "byte 0x1c: chunk port 3 invalid (must be < 3)");
    assert_int_equal(vds_trace_reader_next(r, &line, &err), 0);
    vds_trace_reader_free(r);
    g_unlink(path);
    g_rmdir(dir);

    assert_null(vds_trace_writer_open("/nonexistent/dir/t.jsonl", &info, &err));
    assert_string_equal(err.loc, "/nonexistent/dir/t.jsonl");
    assert_string_equal(err.msg, "cannot create trace: No such file or directory");
}

/* What json-glib must not see: deep nesting (its parser recurses) and
   integers past 64 bits (it wraps them). */
static void reader_limits(void **state)
{
    GString *deep = g_string_new(HEADER "{\"t\":1,\"kind\":\"note\",\"x\":");
    for (int i = 0; i < 100000; i++)
        g_string_append_c(deep, '[');
    for (int i = 0; i < 100000; i++)
        g_string_append_c(deep, ']');
    g_string_append(deep, "}\n");
    assert_read_error(deep->str, "t.jsonl:2:89: nesting deeper than 64 levels");
    g_string_free(deep, TRUE);
    assert_read_error(HEADER "{\"t\":1180591620717411303424,\"kind\":\"note\"}\n",
                      "t.jsonl:2:6: number 1180591620717411303424 does not fit 64 bits");
    assert_read_error(HEADER "{\"t\":9223372036854775808,\"kind\":\"note\"}\n",
                      "t.jsonl:2:6: number 9223372036854775808 does not fit 64 bits");
    /* what fits, fits; brackets and digits inside strings are text */
    assert_null(read_error(HEADER "{\"t\":9223372036854775807,\"kind\":\"note\","
                                  "\"note\":\"[[[[ 99999999999999999999999 \\\" {\"}\n"));
    assert_null(read_error(HEADER "{\"t\":1,\"kind\":\"note\",\"x\":1.5e300}\n"));
}

/* Any bytes a guest or agent produces go into a trace and come back: text as
   text, the rest as {hex}. Random byte strings through an agent clipboard
   event and through a note's observation, written, read back, compared. */
static void any_bytes_round_trip(void **state)
{
    g_autofree char *dir = g_dir_make_tmp("vdsim-test-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "t.jsonl", NULL);
    vds_trace_info info = {.source = "unit", .host_caps = 0, .agent_caps = 0};
    vds_err err = {0};
    GRand *rnd = g_rand_new_with_seed(20261126);
    for (int round = 0; round < 200; round++) {
        size_t n = (size_t)g_rand_int_range(rnd, 0, 64);
        uint8_t data[64];
        for (size_t i = 0; i < n; i++) /* mostly ASCII, some high bytes, some NULs */
            data[i] = (uint8_t)(g_rand_int_range(rnd, 0, 4) ? g_rand_int_range(rnd, 32, 127)
                                                            : g_rand_int_range(rnd, 0, 256));
        /* VD_AGENT_CLIPBOARD without the selection prefix: type then data */
        uint8_t msg[20 + 4 + 64] = {1, 0, 0, 0, 4};
        vds_put_u32(msg + 16, (uint32_t)(4 + n));
        vds_put_u32(msg + 20, 1);
        memcpy(msg + 24, data, n);
        vds_chunk_msg cm = {1, msg, 24 + n, 0, 1, NULL};
        bool malformed;
        vds_trace_writer *w = vds_trace_writer_open(path, &info, &err);
        assert_non_null(w);
        g_autoptr(JsonNode) ev = vds_trace_agent_event(1, VDS_DIR_FROM_AGENT, &cm, 0, &malformed);
        g_autoptr(JsonNode) obs = vds_trace_bytes_node(data, n);
        JsonObject *note = json_object_new();
        json_object_set_int_member(note, "t", 2);
        json_object_set_string_member(note, "kind", "note");
        json_object_set_string_member(note, "note", "guest pasted");
        json_object_set_member(note, "observed", json_node_copy(obs));
        g_autoptr(JsonNode) nn = json_node_init_object(json_node_alloc(), note);
        json_object_unref(note);
        assert_int_equal(vds_trace_writer_add(w, ev, &err), 0);
        assert_int_equal(vds_trace_writer_add(w, nn, &err), 0);
        assert_int_equal(vds_trace_writer_close(w, &err), 0);

        vds_trace_reader *r = vds_trace_reader_open(path, &err);
        if (!r)
            fail_msg("round %d: %s: %s", round, err.loc, err.msg);
        vds_trace_line line;
        for (int k = 0; k < 2; k++) {
            assert_int_equal(vds_trace_reader_next(r, &line, &err), 1);
            JsonNode *v = k == 0 ? json_object_get_member(
                                       json_object_get_object_member(line.event, "fields"), "data")
                                 : json_object_get_member(line.event, "observed");
            gsize got_n = 0;
            g_autofree uint8_t *got = NULL;
            if (JSON_NODE_HOLDS_OBJECT(v)) {
                vds_buf b;
                vds_buf_init(&b, 1024);
                assert_int_equal(
                    vds_hex_decode(json_object_get_string_member(json_node_get_object(v), "hex"),
                                   &b, &err),
                    0);
                got_n = b.len;
                got = g_memdup2(b.data, b.len);
                vds_buf_clear(&b);
            } else {
                const char *s = json_node_get_string(v);
                got_n = strlen(s);
                got = g_memdup2(s, got_n);
            }
            if (got_n != n || (n && memcmp(got, data, n) != 0))
                fail_msg("round %d, event %d: %zu bytes back for %zu", round, k, got_n, n);
        }
        vds_trace_reader_free(r);
    }
    g_rand_free(rnd);
    g_unlink(path);
    g_rmdir(dir);
}

static void malformed_event(void **state)
{
    /* a message spice-common rejects is kept with its raw bytes and the reason */
    g_autoptr(GBytes) bad =
        hex_bytes("01000000 01000000 0000000000000000 0c000000 00000000 00000000 00000000");
    vds_chunk_msg cm = {2, g_bytes_get_data(bad, NULL), g_bytes_get_size(bad), 0x40, 1, NULL};
    bool malformed;
    g_autoptr(JsonNode) ev = vds_trace_agent_event(0, VDS_DIR_TO_AGENT, &cm, 0, &malformed);
    assert_true(malformed);
    JsonObject *o = json_node_get_object(ev);
    assert_string_equal(json_object_get_string_member(o, "error"),
                        "message byte 16: mouse-state size 12 != 13");
    assert_string_equal(
        json_object_get_string_member(json_object_get_object_member(o, "check"), "spice-vdagentd"),
        "bad-size: mouse-state size 12 != 13");
    g_autofree char *text = vds_trace_event_text(o);
    assert_str_contains(text,
                        "@0x000040 to-agent   port=2 mouse-state size=12 ERROR message byte 16");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reader_errors),    cmocka_unit_test(compare_fields),
        cmocka_unit_test(compare_received), cmocka_unit_test(compare_time),
        cmocka_unit_test(write_then_read),  cmocka_unit_test(malformed_event),
        cmocka_unit_test(reader_limits),    cmocka_unit_test(any_bytes_round_trip),
    };
    return cmocka_run_group_tests_name("/trace", tests, NULL, NULL);
}
