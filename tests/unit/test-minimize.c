/* Delta debugging over steps and inside messages (scenario/minimize.c), with
 * a run function that fails on a rule instead of an agent. */
#include "test-util.h"

#include "proto/format.h"
#include "scenario/minimize.h"

/* Fails ("expect reply: got nothing") when the scenario still holds a
   monitors-config with physical-size followed by its expect, like 0.22.1. */
static char *rule(void *user, const vds_scenario *c)
{
    unsigned *runs = user;
    (*runs)++;
    bool phys = false;
    for (guint i = 0; i < c->steps->len; i++) {
        const vds_step *st = c->steps->pdata[i];
        JsonNode *flags =
            st->kind == VDS_STEP_SEND ? json_object_get_member(st->u.msg.fields, "flags") : NULL;
        g_autofree char *ft = flags ? vds_json_to_text(flags) : NULL;
        if (ft && strstr(ft, "physical-size"))
            phys = true;
        else if (st->kind == VDS_STEP_EXPECT && phys)
            return g_strdup("expect reply: got nothing");
    }
    return NULL;
}

static void reduces_to_what_fails(void **state)
{
    GString *y = g_string_new("id: t/m\nsteps:\n");
    for (int i = 0; i < 20; i++)
        g_string_append_printf(y,
                               "  - send: {msg: mouse-state, x: %d, y: 1}\n"
                               "  - send: {msg: monitors-config, monitors: [{w: %d, h: 600}]}\n"
                               "  - expect: {msg: reply, type: monitors-config}\n",
                               i, 800 + i);
    g_string_append(y, "  - send: {msg: monitors-config, flags: [physical-size], monitors: "
                       "[{w: 1, h: 1, w-mm: 1, h-mm: 1}, {w: 2, h: 2, w-mm: 1, h-mm: 1}, "
                       "{w: 3, h: 3, w-mm: 1, h-mm: 1}]}\n"
                       "  - expect: {msg: reply, type: monitors-config}\n"
                       "  - send: {msg: clipboard, type: utf8-text, data: \"0123456789abcdef\"}\n");
    vds_err err = {0};
    vds_scenario *s = vds_scenario_parse("t.yaml", y->str, y->len, &err);
    g_string_free(y, TRUE);
    if (!s)
        fail_msg("%s: %s", err.loc, err.msg);
    unsigned runs = 0;
    vds_min_opts o = {500, 60ull * 1000000000, NULL, NULL, NULL};
    vds_min_stats st;
    g_autofree char *text = vds_minimize(s, "expect reply: got nothing", rule, &runs, &o, &st);
    assert_int_equal(st.steps0, 63);
    assert_int_equal(st.steps, 2); /* the send that shows it and the expect that waits */
    assert_false(st.bounded);
    assert_int_equal(st.runs, runs);
    assert_true(runs < 100);
    assert_non_null(strstr(text, "  - send: {msg: monitors-config, flags: [physical-size], "
                                 "monitors: [{w: 1, h: 1"));
    assert_null(strstr(text, "w: 2")); /* one monitor is enough */
    /* an expectation never stays without what it answers */
    assert_null(strstr(text, "mouse-state"));
    /* a bound ends it early and says so */
    o.max_runs = 3;
    g_autofree char *cut = vds_minimize(s, "expect reply: got nothing", rule, &runs, &o, &st);
    assert_non_null(strstr(cut, "physical-size"));
    assert_true(st.bounded);
    assert_true(st.steps > 2);
    vds_scenario_free(s);
}

static void signatures(void **state)
{
    static const char yaml[] = "id: t/s\nsteps:\n"
                               "  - send: {msg: monitors-config, monitors: [{w: 1, h: 1}]}\n"
                               "  - not: {msg: reply, within: 1s}\n";
    vds_err err = {0};
    vds_scenario *s = vds_scenario_parse("t.yaml", yaml, strlen(yaml), &err);
    assert_non_null(s);
    vds_scenario_result fail = {.s = s,
                                .status = VDS_FAIL,
                                .failure =
                                    "t.yaml:4:5: step 2 (not): got reply type=monitors-config "
                                    "error=success after 8.2 ms; it must not come within "
                                    "1000 ms"};
    g_autofree char *a = vds_failure_signature(s, &fail);
    assert_string_equal(a, "not reply: got reply type=monitors-config error=success after # ms; "
                           "it must not come within # ms");
    vds_scenario_result pass = {.s = s, .status = VDS_PASS};
    g_autofree char *b = vds_failure_signature(s, &pass);
    assert_string_equal(b, "reproduced: no reply after send monitors-config");
    vds_scenario_result error = {.s = s, .status = VDS_ERROR, .failure = "x"};
    assert_null(vds_failure_signature(s, &error));
    /* the agent's word on it is part of how it ended, pointers and sizes aside */
    vds_scenario_result said = {.s = s,
                                .status = VDS_PASS,
                                .agent_said = "spice-vdagentd: 0x55e2f27b35e0 sent monitors "
                                              "config: invalid message size 28"};
    g_autofree char *c = vds_failure_signature(s, &said);
    assert_string_equal(c, "reproduced: no reply after send monitors-config; the agent logged: "
                           "spice-vdagentd: # sent monitors config: invalid message size #");
    said.agent_said = "spice-vdagentd: 0x1 sent monitors config: invalid message size 44";
    g_autofree char *d = vds_failure_signature(s, &said);
    assert_string_equal(c, d);
    said.agent_said = "spice-vdagentd: unknown message type 99";
    g_autofree char *e = vds_failure_signature(s, &said);
    assert_string_not_equal(c, e);
    vds_scenario_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reduces_to_what_fails),
        cmocka_unit_test(signatures),
    };
    return cmocka_run_group_tests_name("/scenario/minimize", tests, NULL, NULL);
}
