/* vdsim fmt: writing a scenario back (scenario/write.c) gives a text that
 * parses to the same steps, and writing that again changes nothing; and the
 * needs a scenario's steps imply (scenario/steps.c). */
#include "test-util.h"

#include "proto/agent.h"
#include "scenario/scenario.h"
#include "scenario/step.h"
#include "target/target.h"

static bool bytes_same(GBytes *a, GBytes *b)
{
    return (!a && !b) || (a && b && g_bytes_equal(a, b));
}

static bool arrays_same(GArray *a, GArray *b)
{
    if (!a || !b)
        return a == b;
    return a->len == b->len &&
           (!a->len || memcmp(a->data, b->data, a->len * g_array_get_element_size(a)) == 0);
}

static bool objects_same(JsonObject *a, JsonObject *b)
{
    if (!a || !b)
        return a == b;
    g_autoptr(JsonNode) na = json_node_init_object(json_node_alloc(), a);
    g_autoptr(JsonNode) nb = json_node_init_object(json_node_alloc(), b);
    return json_node_equal(na, nb);
}

static bool captures_same(GHashTable *a, GHashTable *b)
{
    if (!a || !b)
        return a == b;
    if (g_hash_table_size(a) != g_hash_table_size(b))
        return false;
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, a);
    while (g_hash_table_iter_next(&it, &k, &v))
        if (g_strcmp0(v, g_hash_table_lookup(b, k)) != 0)
            return false;
    return true;
}

static bool msg_same(const vds_step_msg *a, const vds_step_msg *b)
{
    return a->type == b->type && a->port == b->port && a->optional == b->optional &&
           objects_same(a->fields, b->fields) && bytes_same(a->payload, b->payload) &&
           captures_same(a->capture, b->capture);
}

/* Everything a step does when it runs (not where it was written). */
static bool step_same(const vds_step *a, const vds_step *b)
{
    if (a->kind != b->kind || a->within_ns != b->within_ns)
        return false;
    switch (a->kind) {
    case VDS_STEP_SEND:
    case VDS_STEP_EXPECT:
    case VDS_STEP_NOT:
        return msg_same(&a->u.msg, &b->u.msg);
    case VDS_STEP_ANY_ORDER:
        if (a->u.any->len != b->u.any->len)
            return false;
        for (guint i = 0; i < a->u.any->len; i++)
            if (!step_same(a->u.any->pdata[i], b->u.any->pdata[i]))
                return false;
        return true;
    case VDS_STEP_GUEST:
        return a->u.guest.what == b->u.guest.what && a->u.guest.selection == b->u.guest.selection &&
               arrays_same(a->u.guest.events, b->u.guest.events) &&
               arrays_same(a->u.guest.rects, b->u.guest.rects) &&
               bytes_same(a->u.guest.text, b->u.guest.text);
    case VDS_STEP_GUEST_COPY:
        return a->u.copy.selection == b->u.copy.selection &&
               bytes_same(a->u.copy.text, b->u.copy.text) &&
               g_strcmp0(a->u.copy.path, b->u.copy.path) == 0;
    case VDS_STEP_RAW:
        return a->u.raw.chunk == b->u.raw.chunk && a->u.raw.port == b->u.raw.port &&
               bytes_same(a->u.raw.bytes, b->u.raw.bytes);
    case VDS_STEP_GUEST_PASTE:
    case VDS_STEP_GUEST_RELEASE:
        return a->u.selection == b->u.selection;
    case VDS_STEP_CLIENT: {
        vds_client_action x = a->u.client.a, y = b->u.client.a;
        x.body = y.body = NULL;
        return memcmp(&x, &y, sizeof(x)) == 0 && bytes_same(a->u.client.body, b->u.client.body);
    }
    case VDS_STEP_GUEST_AGENT:
        return a->u.agent_stop == b->u.agent_stop;
    case VDS_STEP_KIND_COUNT:
        break;
    }
    return false;
}

static void scenarios_same(const vds_scenario *a, const vds_scenario *b)
{
    assert_string_equal(a->id, b->id);
    assert_string_equal(a->requirement ? a->requirement : "", b->requirement ? b->requirement : "");
    assert_int_equal(a->client_caps, b->client_caps);
    assert_int_equal(a->needs, b->needs);
    assert_int_equal(a->repeat, b->repeat);
    assert_int_equal(a->breaks_agent, b->breaks_agent);
    assert_true(arrays_same(a->ignore, b->ignore));
    assert_true(arrays_same(a->diff_ignore, b->diff_ignore));
    assert_int_equal(a->targets->len, b->targets->len);
    assert_int_equal(a->steps->len, b->steps->len);
    for (guint i = 0; i < a->steps->len; i++)
        if (!step_same(a->steps->pdata[i], b->steps->pdata[i]))
            fail_msg("%s: step %u differs after fmt", a->file, i + 1);
}

/* Every scenario of the suite: fmt -> parse gives the same scenario, and fmt
   of that is the same text (written beside the original, so relative
   payload files resolve the same). */
static void repo_scenarios_round_trip(void **state)
{
    g_autofree char *dir = g_build_filename(VDS_SOURCE_DIR, "scenarios", NULL);
    char *args[] = {dir, NULL};
    vds_err err = {0};
    g_autoptr(GPtrArray) files = vds_scenario_collect(args, &err);
    assert_non_null(files);
    assert_true(files->len >= 30);
    for (guint i = 0; i < files->len; i++) {
        const char *path = files->pdata[i];
        vds_scenario *a = vds_scenario_load(path, &err);
        if (!a)
            fail_msg("%s: %s", err.loc, err.msg);
        g_autofree char *text = vds_scenario_write(a);
        vds_scenario *b = vds_scenario_parse(path, text, strlen(text), &err);
        if (!b)
            fail_msg("%s: fmt wrote what it cannot read: %s: %s\n%s", path, err.loc, err.msg, text);
        scenarios_same(a, b);
        g_autofree char *again = vds_scenario_write(b);
        assert_string_equal(text, again);
        vds_scenario_free(a);
        vds_scenario_free(b);
    }
}

static void awkward_strings(void **state)
{
    /* strings that plain YAML would read as something else come back as they were */
    static const char yaml[] =
        "id: t/s\n"
        "requirement: \"a: b, [c] #d\\n\\ttab 'q' \\\"dq\\\"\"\n"
        "steps:\n"
        "  - guest-copy: {text: \"123\"}\n"
        "  - guest-copy: {text: \"true\"}\n"
        "  - guest-copy: {text: \"-x\"}\n"
        "  - guest-copy: {text: \"\"}\n"
        "  - guest: {clipboard: \"null\", selection: primary, within: 1500ms}\n";
    vds_err err = {0};
    vds_scenario *a = vds_scenario_parse("t.yaml", yaml, strlen(yaml), &err);
    if (!a)
        fail_msg("%s: %s", err.loc, err.msg);
    g_autofree char *text = vds_scenario_write(a);
    vds_scenario *b = vds_scenario_parse("t.yaml", text, strlen(text), &err);
    if (!b)
        fail_msg("%s: %s\n%s", err.loc, err.msg, text);
    scenarios_same(a, b);
    assert_true(strstr(text, "within: 1500ms") != NULL);
    vds_scenario_free(a);
    vds_scenario_free(b);
}

static void characters_yaml_cannot_hold(void **state)
{
    /* DEL, C0 and C1 controls, a byte order mark and U+FFFF in a field's
       text: written escaped, read back the same; and a comment of them is
       printable */
    (void)state;
    static const char text[] = "a\x7f"
                               "b\xc2\x85"
                               "c\x01"
                               "d\xef\xbb\xbf"
                               "e\xef\xbf\xbf"
                               "f\xc3\xa9";
    GString *y = g_string_new("id: t/c\nsteps:\n  - guest-copy: {text: ");
    vds_yaml_put_string(y, text);
    g_string_append(y, "}\n");
    assert_non_null(strstr(y->str, "\"a\\x7fb\\x85c\\x01d\\ufeffe\\uffff"));
    vds_err err = {0};
    vds_scenario *s = vds_scenario_parse("t.yaml", y->str, y->len, &err);
    if (!s)
        fail_msg("%s: %s\n%s", err.loc, err.msg, y->str);
    const vds_step *st = s->steps->pdata[0];
    gsize n;
    const char *got = g_bytes_get_data(st->u.copy.text, &n);
    assert_int_equal(n, strlen(text));
    assert_memory_equal(got, text, n);
    vds_scenario_free(s);
    g_string_free(y, TRUE);
    g_autofree char *c = vds_yaml_printable("x\ny\x7f\xc2\x9f\xc3\xa9");
    assert_string_equal(c, "x\\x0ay\\x7f\\x9f\xc3\xa9");
}

static unsigned needs_of(const char *steps)
{
    vds_err err = {0};
    g_autofree char *yaml = g_strconcat("id: t/n\n", steps, NULL);
    vds_scenario *s = vds_scenario_parse("t.yaml", yaml, strlen(yaml), &err);
    if (!s)
        fail_msg("%s: %s", err.loc, err.msg);
    unsigned n = s->needs;
    vds_scenario_free(s);
    return n;
}

static void needs_from_steps(void **state)
{
    assert_int_equal(needs_of("steps:\n  - send: {msg: monitors-config, monitors: [{w: 1, h: "
                              "1}]}\n"),
                     0);
    assert_int_equal(needs_of("steps:\n  - send: {msg: monitors-config, monitors: [{w: 1, h: "
                              "1}, {w: 1, h: 1}]}\n"),
                     VDS_CAP_MULTI_HEAD);
    assert_int_equal(needs_of("steps:\n  - raw: {hex: \"00\"}\n"), VDS_CAP_RAW_PORT);
    assert_int_equal(needs_of("steps:\n  - send: {msg: reply, type: monitors-config, port: 0}\n"),
                     VDS_CAP_RAW_PORT);
    assert_int_equal(needs_of("steps:\n  - client: disconnect\n"), VDS_CAP_SPICE_CLIENT);
    assert_int_equal(needs_of("steps:\n  - guest: {input: []}\n  - guest-paste: {}\n"),
                     VDS_CAP_INPUT | VDS_CAP_CLIPBOARD);
    assert_int_equal(needs_of("steps:\n  - guest: {screen: [1x1+0+0, 1x1+1+0]}\n"),
                     VDS_CAP_SCREEN | VDS_CAP_MULTI_HEAD);
    assert_int_equal(needs_of("steps:\n  - guest-agent: stop\n"), VDS_CAP_AGENT_CONTROL);
    /* what steps cannot show */
    assert_int_equal(needs_of("needs: [input-frames]\nsteps:\n  - guest: {input: []}\n"),
                     VDS_CAP_INPUT | VDS_CAP_INPUT_FRAMES);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(repo_scenarios_round_trip),
        cmocka_unit_test(awkward_strings),
        cmocka_unit_test(characters_yaml_cannot_hold),
        cmocka_unit_test(needs_from_steps),
    };
    return cmocka_run_group_tests_name("/scenario/fmt", tests, NULL, NULL);
}
