#include "test-util.h"

#include "scenario/scenario.h"

static void durations(void **state)
{
    uint64_t ns;
    assert_true(vds_duration_parse("500ms", &ns));
    assert_int_equal(ns, 500000000);
    assert_true(vds_duration_parse("1.5s", &ns));
    assert_int_equal(ns, 1500000000);
    assert_true(vds_duration_parse("250us", &ns));
    assert_int_equal(ns, 250000);
    assert_false(vds_duration_parse("500", &ns));
    assert_false(vds_duration_parse("-1s", &ns));
    assert_false(vds_duration_parse("2h", &ns));
    assert_false(vds_duration_parse("ms", &ns));
}

static void input_events(void **state)
{
    vds_input_event ev;
    char buf[64];
    assert_true(vds_input_event_parse("abs-x 1290", &ev));
    assert_int_equal(ev.type, 3);
    assert_int_equal(ev.code, 0);
    assert_int_equal(ev.value, 1290);
    assert_true(vds_input_event_parse("btn-left 1", &ev));
    assert_int_equal(ev.code, 0x110);
    assert_string_equal(vds_input_event_fmt(&ev, buf, sizeof(buf)), "btn-left 1");
    assert_true(vds_input_event_parse("wheel -1", &ev));
    assert_int_equal(ev.value, -1);
    assert_true(vds_input_event_parse("syn", &ev));
    assert_string_equal(vds_input_event_fmt(&ev, buf, sizeof(buf)), "syn");
    assert_false(vds_input_event_parse("syn 1", &ev));
    assert_false(vds_input_event_parse("abs-x", &ev));
    assert_false(vds_input_event_parse("abs-x ten", &ev));
}

static vds_scenario *parse(const char *text, vds_err *err)
{
    return vds_scenario_parse("t.yaml", text, strlen(text), err);
}

static void good_scenario(void **state)
{
    vds_err err = {0};
    vds_scenario *s =
        parse("id: a/b\n"
              "requirement: it works\n"
              "client-caps: [reply, clipboard-selection]\n"
              "ignore: [clipboard-release]\n"
              "repeat: 3\n"
              "steps:\n"
              "  - send: {msg: mouse-state, x: 1, y: 2}\n"
              "  - expect: {msg: clipboard-grab, within: 250ms, optional: true,\n"
              "             capture: {s: serial}}\n"
              "  - send: {msg: clipboard-grab, serial: \"${s}\", types: [utf8-text]}\n"
              "  - any-order: [{msg: reply}, {msg: clipboard, data: \"42\"}]\n"
              "  - guest: {screen: [1024x768+0+0, 800x600+1024-10]}\n"
              "  - raw: {hex: \"01000000 00000000\"}\n",
              &err);
    if (!s)
        fail_msg("%s: %s", err.loc, err.msg);
    assert_string_equal(s->id, "a/b");
    assert_int_equal(s->repeat, 3);
    assert_int_equal(s->client_caps, (1u << 2) | (1u << 6));
    assert_int_equal(s->ignore->len, 1);
    assert_int_equal(s->steps->len, 6);
    vds_step *send = s->steps->pdata[0];
    assert_int_equal(send->kind, VDS_STEP_SEND);
    assert_int_equal(send->u.msg.port, 2); /* mouse goes on the server port */
    assert_int_equal(send->line, 7);
    assert_int_equal(send->col, 5);
    vds_step *exp = s->steps->pdata[1];
    assert_true(exp->u.msg.optional);
    assert_int_equal(exp->within_ns, 250000000);
    assert_string_equal(g_hash_table_lookup(exp->u.msg.capture, "s"), "serial");
    assert_false(json_object_has_member(exp->u.msg.fields, "within"));
    vds_step *any = s->steps->pdata[3];
    assert_int_equal(any->u.any->len, 2);
    /* the quoted "42" stays a string; a plain 42 would be a number */
    vds_step *clip = any->u.any->pdata[1];
    assert_string_equal(json_object_get_string_member(clip->u.msg.fields, "data"), "42");
    vds_step *scr = s->steps->pdata[4];
    assert_int_equal(scr->u.guest.rects->len, 2);
    assert_int_equal(g_array_index(scr->u.guest.rects, vds_rect, 1).y, -10);
    vds_step *raw = s->steps->pdata[5];
    assert_int_equal(g_bytes_get_size(raw->u.raw.bytes), 8);
    vds_scenario_free(s);
}

typedef struct bad {
    const char *yaml;
    const char *error; /* "t.yaml:L:C: message" */
} bad;

static const bad bads[] = {
    {"", "t.yaml:1:1: empty file: expected a scenario mapping"},
    {"- a\n", "t.yaml:1:1: a scenario is a mapping with id, requirement and steps"},
    {"steps: [{send: {msg: reply}}]\n", "t.yaml:1:1: missing 'id' (e.g. id: monitors/one-head)"},
    {"id: x\n", "t.yaml:1:1: missing 'steps': a list of send/expect/guest/... steps"},
    {"id: x\nstep: []\n", "t.yaml:2:1: unknown scenario key 'step' (did you mean 'steps'?)"},
    {"id: x\nid: y\n", "t.yaml:2:1: duplicate key 'id'"},
    {"id: &a x\nrequirement: *a\n", "t.yaml:2:14: YAML aliases are not supported"},
    {"id: x\nsteps:\n  - {send: {msg: reply}, expect: {msg: reply}}\n",
     "t.yaml:3:5: a step is one of: send, expect, not, any-order, guest, guest-copy, raw, "
     "guest-paste, guest-release, client, guest-agent"},
    {"id: x\nsteps:\n  - send: [1]\n",
     "t.yaml:3:11: the body of 'send' is a mapping: {key: value, ...}"},
    {"id: x\nsteps:\n  - send: {x: 1}\n", "t.yaml:3:11: missing 'msg': the message type"},
    {"id: x\nsteps:\n  - send: {msg: [reply]}\n", "t.yaml:3:17: msg must be a single value"},
    {"id: x\nsteps:\n  - send: {msg: reply, type: monitors-config, eror: 1}\n",
     "t.yaml:3:47: reply: field 'eror': unknown field (did you mean 'error'?)"},
    {"id: x\nsteps:\n  - send: {msg: mouse-state, x: 1}\n",
     "t.yaml:3:11: mouse-state: field 'y': missing"},
    {"id: x\nsteps:\n  - send: {msg: reply, type: 2, port: 7}\n",
     "t.yaml:3:39: port must be 0, 1 or 2, not '7'"},
    {"id: x\nsteps:\n  - send: {msg: clipboard, payload-file: nope.bin}\n",
     "t.yaml:3:42: ./nope.bin: cannot read payload: No such file or directory"},
    {"id: x\nsteps:\n  - send: {msg: clipboard, payload-file: /dev/zero}\n",
     "t.yaml:3:42: /dev/zero: payload is a character device, not a regular file"},
    {"id: x\nsteps:\n  - guest-copy: {payload-file: /dev/null}\n",
     "t.yaml:3:32: /dev/null: payload is a character device, not a regular file"},
    {"id: ../x\nsteps:\n  - raw: {hex: \"00\"}\n",
     "t.yaml:1:5: bad id '../x': segment 1 ('..') must start with a letter or digit (ids are "
     "family/name: letters, digits, '-' and '.', segments split by '/')"},
    {"id: a//b\nsteps:\n  - raw: {hex: \"00\"}\n",
     "t.yaml:1:5: bad id 'a//b': segment 2 ('') must start with a letter or digit (ids are "
     "family/name: letters, digits, '-' and '.', segments split by '/')"},
    {"id: a/b_c\nsteps:\n  - raw: {hex: \"00\"}\n",
     "t.yaml:1:5: bad id 'a/b_c': '_' at character 2 is not allowed (ids use letters, digits, "
     "'-', '.' and '/')"},
    {"id: x\ntargets: [local]\nsteps:\n  - raw: {hex: \"00\"}\n",
     "t.yaml:2:10: targets is an override with a reason: {only: [local], why: TEXT}; what a "
     "scenario needs comes from its steps and needs:"},
    /* the node that is wrong: a value deep in a list, a missing field, bytes
       that are not UTF-8 */
    {"id: x\nsteps:\n  - send: {msg: monitors-config,\n           monitors: [{w: 1, h: 1},\n"
     "                      {w: 2, h: bad}]}\n",
     "t.yaml:5:33: monitors-config: field 'monitors[1].h': expected a number"},
    {"id: x\nsteps:\n  - send: {msg: monitors-config}\n",
     "t.yaml:3:11: monitors-config: field 'monitors': missing (a list of {w, h, x, y})"},
    {"id: x\nrequirement: a\n\n\nsteps: [\xff]\n",
     "t.yaml:5:9: invalid leading UTF-8 octet (byte 0xff at offset 31)"},
    /* variables: captured before they are used, in expect too; inside strings */
    {"id: x\nsteps:\n  - expect: {msg: clipboard-grab, serial: \"${s}\"}\n",
     "t.yaml:3:43: variable 's' is used before a step captures it"},
    {"id: x\nsteps:\n  - expect: {msg: clipboard, capture: {d: data}}\n"
     "  - send: {msg: clipboard, type: utf8-text, data: \"a${d}-${e}\"}\n",
     "t.yaml:4:51: variable 'e' is used before a step captures it"},
    {"id: x\nneeds: [multihead]\nsteps:\n  - raw: {hex: \"00\"}\n",
     "t.yaml:2:9: unknown capability 'multihead' (did you mean 'multi-head'?)"},
    {"id: x\nsteps:\n  - not: {msg: reply}\n",
     "t.yaml:3:10: 'not' needs 'within': how long the message must stay away"},
    {"id: x\nsteps:\n  - expect: {msg: reply, optional: maybe}\n",
     "t.yaml:3:36: optional is true or false, not 'maybe'"},
    {"id: x\nsteps:\n  - raw: {hex: \"00\", port: seven}\n",
     "t.yaml:3:28: port is a number from 0 to 4294967295, not 'seven'"},
    {"id: x\nsteps:\n  - raw: {hex: \"00\", port: -1}\n",
     "t.yaml:3:28: port is a number from 0 to 4294967295, not '-1'"},
    {"id: x\nsteps:\n  - raw: {hex: \"00\", chunk: yes}\n",
     "t.yaml:3:29: chunk is true or false, not 'yes'"},
    {"id: x\nsteps:\n  - expect: {msg: reply, capture: {t: tpye}}\n",
     "t.yaml:3:39: reply has no field 'tpye' to capture"},
    {"id: x\nsteps:\n  - any-order: {msg: reply}\n",
     "t.yaml:3:16: any-order is a list of expect bodies: [{msg: ...}, {msg: ...}]"},
    {"id: x\nsteps:\n  - guest: {input: [abs-x 1], screen: [1x1+0+0]}\n",
     "t.yaml:3:12: a guest check is one of input, screen, clipboard or pasted"},
    {"id: x\nsteps:\n  - guest: {screen: [1024x768]}\n",
     "t.yaml:3:22: bad monitor '1024x768' (write WxH+X+Y, e.g. 1024x768+0+0)"},
    {"id: x\nsteps:\n  - guest: {clipboard: a, selection: secondary}\n",
     "t.yaml:3:38: selection is clipboard or primary, not 'secondary'"},
    {"id: x\nsteps:\n  - guest-copy: {selection: primary}\n",
     "t.yaml:3:17: guest-copy takes text or payload-file"},
    {"id: x\nsteps:\n  - raw: {hex: \"0z\"}\n", "t.yaml:3:16: bad hex digit 'z' at character 1"},
    {"id: x\nrepeat: 0\nsteps: [{raw: {hex: \"00\"}}]\n",
     "t.yaml:2:9: repeat is a count from 1 to 100000, not '0'"},
    {"id: x\nclient-caps: [reply, clipboard-selektion]\nsteps: [{raw: {hex: \"00\"}}]\n",
     "t.yaml:2:22: unknown capability 'clipboard-selektion' (did you mean 'clipboard-selection'?)"},
    {"id: x\nignore: [replies]\nsteps: [{raw: {hex: \"00\"}}]\n",
     "t.yaml:2:10: unknown message type 'replies' (did you mean 'reply'?)"},
    {"id: x\ndifferential: {ignore: [graphics-device-infos], why: w}\nsteps: [{raw: {hex: "
     "\"00\"}}]\n",
     "t.yaml:2:25: unknown message type 'graphics-device-infos' (did you mean "
     "'graphics-device-info'?)"},
    {"id: x\ndifferential: {ignore: [mouse-state]}\nsteps: [{raw: {hex: \"00\"}}]\n",
     "t.yaml:2:15: differential needs both ignore (what a server may change) and why (what "
     "makes that legitimate)"},
    {"id: x\ndifferential: [mouse-state]\nsteps: [{raw: {hex: \"00\"}}]\n",
     "t.yaml:2:15: differential is a map: {ignore: [mouse-state], why: TEXT}"},
    {"id: x\nsteps:\n  - client: {positon: [1, 2]}\n",
     "t.yaml:3:14: unknown client action 'positon' (did you mean 'position'?)"},
    {"id: x\nsteps:\n  - client: {position: [1]}\n", "t.yaml:3:24: position is [x, y]"},
    {"id: x\nsteps:\n  - client: {press: lft}\n",
     "t.yaml:3:21: unknown button 'lft' (did you mean 'left'?) (have: left, middle, right, up, "
     "down)"},
    {"id: x\nsteps:\n  - client: {mouse-mode: client, press: left}\n",
     "t.yaml:3:34: client takes one action per step ('mouse-mode' and 'press')"},
    {"id: x\nsteps:\n  - client: {raw: {channel: main, type: nosuch}}\n",
     "t.yaml:3:41: no main message 'nosuch' from a client (a name, or a number)"},
    {"id: x\nsteps:\n  - client: {disconnect: true}\n",
     "t.yaml:3:13: 'disconnect' takes nothing: write client: disconnect"},
    {"id: x\nsteps:\n  - client: {raw: {channel: main, type: mouse-mode-request}}\n",
     "t.yaml:3:19: mouse-mode-request: field 'mode' missing or not a number"},
    {"id: x\nsteps:\n  - guest-agent: pause\n", "t.yaml:3:18: guest-agent is stop or continue"},
    /* names, not the numbers a names table also reads (fuzz/scenario found it) */
    {"id: x\nsteps:\n  - client: {\"2\": 1}\n", "t.yaml:3:14: unknown client action '2'"},
    {"id: x\nsteps:\n  - client: {press: \"9\"}\n",
     "t.yaml:3:21: unknown button '9' (have: left, middle, right, up, down)"},
    {"id: x\nsteps: [\n",
     "t.yaml:3:1: did not find expected node content while parsing a flow node"},
    {"id: x\n---\nid: y\n",
     "t.yaml:2:1: one scenario per file: a second YAML document starts here"},
    {"id: x\nknown-bug: {agent: \"< 0.23\", why: w}\nsteps:\n  - send: {msg: reply}\n",
     "t.yaml:2:12: known-bug needs agent (the versions it holds in), ref (where upstream has it) "
     "and why; 'ref' is missing"},
    {"id: x\nknown-bug: {agent: \"before 0.23\", ref: r, why: w}\nsteps:\n  - send: {msg: reply}\n",
     "t.yaml:2:20: agent range 'before 0.23': 'before 0.23' does not start with < <= > >= = or !="},
    {"id: x\nknown-bug: [{agent: \"< 0.23\", ref: r, why: w}, 3]\nsteps:\n  - send: {msg: reply}\n",
     "t.yaml:2:48: a known-bug mark is {agent: \"< 0.23.0\", ref: URL-OR-COMMIT, why: TEXT}"},
    {"id: x\nknown-bug: {agent: \"< 0.23\", ref: r, why: w, fixed: yes}\nsteps:\n  - send: {msg: "
     "reply}\n",
     "t.yaml:2:46: unknown known-bug key 'fixed' (expected one of: agent, ref, why)"},
};

static void bad_scenarios(void **state)
{
    char buf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    assert_true(G_N_ELEMENTS(bads) >= 25);
    for (size_t i = 0; i < G_N_ELEMENTS(bads); i++) {
        vds_err err = {0};
        vds_scenario *s = parse(bads[i].yaml, &err);
        if (s) {
            vds_scenario_free(s);
            fail_msg("accepted:\n%s", bads[i].yaml);
        }
        vds_err_str(&err, buf, sizeof(buf));
        if (strcmp(buf, bads[i].error) != 0)
            fail_msg("case %zu\n  got  '%s'\n  want '%s'", i, buf, bads[i].error);
    }
}

/* Typed stand-ins: a variable captured from a string field builds where a
 * string goes, one from a number where a number goes, whole or inside text. */
static void variables_lint(void **state)
{
    static const char yaml[] =
        "id: t/vars\nsteps:\n"
        "  - expect: {msg: clipboard-grab, capture: {s: serial}}\n"
        "  - expect: {msg: clipboard, capture: {d: data}}\n"
        "  - send: {msg: clipboard, type: utf8-text, data: \"${d}\"}\n"
        "  - send: {msg: clipboard, type: utf8-text, data: \"a${d}b ${s}-${s}\"}\n"
        "  - send: {msg: clipboard-grab, types: [utf8-text], serial: \"${s}\"}\n"
        "  - expect: {msg: clipboard, data: \"x${d}\"}\n";
    vds_err err = {0};
    vds_scenario *s = vds_scenario_parse("t.yaml", yaml, strlen(yaml), &err);
    if (!s)
        fail_msg("%s: %s", err.loc, err.msg);
    vds_scenario_free(s);
    /* a string variable where a number goes is the build's error, at lint */
    static const char wrong[] = "id: t/vars\nsteps:\n"
                                "  - expect: {msg: clipboard, capture: {d: data}}\n"
                                "  - send: {msg: clipboard-grab, types: [utf8-text], serial: "
                                "\"${d}\"}\n";
    assert_null(vds_scenario_parse("t.yaml", wrong, strlen(wrong), &err));
    assert_non_null(strstr(err.msg, "serial"));
}

static void repo_scenarios_lint(void **state)
{
    g_autofree char *dir = g_build_filename(VDS_SOURCE_DIR, "scenarios", NULL);
    char *args[] = {dir, NULL};
    vds_err err = {0};
    g_autoptr(GPtrArray) files = vds_scenario_collect(args, &err);
    assert_non_null(files);
    assert_true(files->len >= 8);
    for (guint i = 0; i < files->len; i++) {
        vds_scenario *s = vds_scenario_load(files->pdata[i], &err);
        if (!s)
            fail_msg("%s: %s", err.loc, err.msg);
        vds_scenario_free(s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(durations),           cmocka_unit_test(input_events),
        cmocka_unit_test(good_scenario),       cmocka_unit_test(bad_scenarios),
        cmocka_unit_test(repo_scenarios_lint), cmocka_unit_test(variables_lint),
    };
    return cmocka_run_group_tests_name("/scenario", tests, NULL, NULL);
}
