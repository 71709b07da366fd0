/* The runner's timing rules on a virtual clock, against a fake target whose
 * replies are scripted: "when X is sent, answer Y after D ns". */
#include "test-util.h"

#include <glib/gstdio.h>
#include <math.h>

#include "core/clock.h"
#include "proto/agent.h"
#include "report/report.h"
#include "scenario/runner.h"
#include "target/target.h"

typedef struct rule {
    uint32_t on_type;        /* when a message of this type is sent... */
    uint64_t after_ns;       /* ...deliver reply this much later */
    uint64_t every_other_ns; /* when set: every second time this much later instead */
    unsigned hits;
    GBytes *reply;
} rule;

typedef struct delivery {
    uint64_t at;
    GBytes *bytes;
} delivery;

typedef struct fake {
    vds_target base;
    uint64_t now;
    GPtrArray *rules;              /* rule* */
    GPtrArray *pending;            /* delivery*, unsorted */
    GPtrArray *sent;               /* GBytes*: every message sent, in order */
    vds_rect screen;               /* what X shows (one output), when w is set */
    uint32_t display_w, display_h; /* what a screenshot shows, when set */
} fake;

typedef struct fake_oracle {
    vds_oracle base;
    fake *f;
} fake_oracle;

static uint64_t fake_clock(void *user)
{
    return ((fake *)user)->now;
}

static GBytes *msg(uint32_t type, const char *data_hex)
{
    g_autoptr(GBytes) data = hex_bytes(data_hex);
    gsize n;
    const uint8_t *d = g_bytes_get_data(data, &n);
    uint8_t *m = g_malloc0(20 + n);
    vds_put_u32(m, 1);
    vds_put_u32(m + 4, type);
    vds_put_u32(m + 16, (uint32_t)n);
    if (n)
        memcpy(m + 20, d, n);
    return g_bytes_new_take(m, 20 + n);
}

static void deliver_at(fake *f, uint64_t at, GBytes *b)
{
    delivery *d = g_new0(delivery, 1);
    d->at = at;
    d->bytes = g_bytes_ref(b);
    g_ptr_array_add(f->pending, d);
}

static int fake_start(vds_target *t, vds_err *err)
{
    t->port_open = true;
    return 0;
}

static void fake_stop(vds_target *t) {}

static int fake_session(vds_target *t, uint32_t caps, uint64_t deadline, vds_err *err)
{
    return vds_target_port_session(t, caps, err);
}

static int fake_send(vds_target *t, uint32_t port, const uint8_t *m, size_t len, uint64_t *t_ns,
                     vds_err *err)
{
    fake *f = (fake *)t;
    *t_ns = f->now;
    g_ptr_array_add(f->sent, g_bytes_new(m, len));
    uint32_t type = vds_get_u32(m + 4);
    for (guint i = 0; i < f->rules->len; i++) {
        rule *r = f->rules->pdata[i];
        if (r->on_type == type)
            deliver_at(
                f, f->now + (r->every_other_ns && r->hits++ % 2 ? r->every_other_ns : r->after_ns),
                r->reply);
    }
    return 0;
}

static int fake_raw(vds_target *t, const uint8_t *d, size_t len, vds_err *err)
{
    return 0;
}

static int fake_screen(vds_oracle *o, GArray *rects, vds_err *err)
{
    fake *f = ((fake_oracle *)o)->f;
    if (!f->screen.w)
        return vds_err_set(err, VDS_ERR_USAGE, NULL, "no screen in the fake");
    g_array_set_size(rects, 0);
    g_array_append_val(rects, f->screen);
    return 0;
}

static int fake_display(vds_oracle *o, uint32_t *w, uint32_t *h, vds_err *err)
{
    fake *f = ((fake_oracle *)o)->f;
    *w = f->display_w;
    *h = f->display_h;
    return f->display_w ? 0 : 1;
}

static int fake_clipboard(vds_oracle *o, uint8_t sel, uint64_t to, GBytes **text, vds_err *err)
{
    return vds_err_set(err, VDS_ERR_USAGE, NULL, "no clipboard in the fake");
}

static int fake_copy(vds_oracle *o, uint8_t sel, GBytes *text, const char *path, vds_err *err)
{
    return 0;
}

static void fake_release(vds_oracle *o, uint8_t sel) {}

static int fake_paste_start(vds_oracle *o, uint8_t sel, vds_err *err)
{
    return 0;
}

static int fake_paste_result(vds_oracle *o, uint64_t deadline, GBytes **text, vds_err *err)
{
    *text = NULL;
    return -1;
}

/* Virtual time: jump to the next delivery or the deadline. */
static bool fake_wait(vds_target *t, uint64_t deadline, bool (*done)(void *), void *user)
{
    fake *f = (fake *)t;
    for (;;) {
        if (done(user))
            return true;
        delivery *next = NULL;
        guint at = 0;
        for (guint i = 0; i < f->pending->len; i++) {
            delivery *d = f->pending->pdata[i];
            if (!next || d->at < next->at) {
                next = d;
                at = i;
            }
        }
        if (!next || next->at > deadline) {
            f->now = MAX(f->now, deadline);
            return done(user);
        }
        f->now = MAX(f->now, next->at);
        vds_rx *rx = g_new0(vds_rx, 1);
        rx->t_ns = f->now;
        rx->port = 1;
        rx->bytes = g_bytes_ref(next->bytes);
        rx->n_chunks = 1;
        g_queue_push_tail(t->rx, rx);
        g_ptr_array_remove_index(f->pending, at);
        g_bytes_unref(next->bytes);
        g_free(next);
    }
}

static void fake_reset(vds_oracle *o) {}

static void fake_free(vds_target *t) {}

static void fake_oracle_free(vds_oracle *o)
{
    g_free(o);
}

static const vds_link_ops fake_ops = {
    .start = fake_start,
    .stop = fake_stop,
    .session = fake_session,
    .send = fake_send,
    .write_raw = fake_raw,
    .wait = fake_wait,
    .free = fake_free,
};

static const vds_oracle_ops fake_oracle_ops = {
    .name = "fake",
    .screen = fake_screen,
    .display = fake_display,
    .clipboard = fake_clipboard,
    .guest_copy = fake_copy,
    .guest_release = fake_release,
    .paste_start = fake_paste_start,
    .paste_result = fake_paste_result,
    .reset = fake_reset,
    .free = fake_oracle_free,
};

static void add_rule(fake *f, uint32_t on, uint64_t after_ms, GBytes *reply)
{
    rule *r = g_new0(rule, 1);
    r->on_type = on;
    r->after_ns = after_ms * 1000000;
    r->reply = reply;
    g_ptr_array_add(f->rules, r);
}

static void rule_free(rule *r)
{
    g_bytes_unref(r->reply);
    g_free(r);
}

static fake *fake_new(void)
{
    fake *f = g_new0(fake, 1);
    /* a port link ("local": raw-port) with an oracle of every kind */
    vds_target_init(&f->base, &fake_ops, "local", NULL);
    fake_oracle *o = g_new0(fake_oracle, 1);
    vds_oracle_init(&o->base, &fake_oracle_ops, VDS_CAP_ALL & ~VDS_CAP_SPICE_CLIENT, NULL);
    o->f = f;
    vds_target_set_oracle(&f->base, &o->base);
    f->rules = g_ptr_array_new_with_free_func((GDestroyNotify)rule_free);
    f->pending = g_ptr_array_new();
    f->sent = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    f->now = 1000000000;
    /* every client announcement (request=1) gets the agent's caps at once */
    add_rule(f, VD_AGENT_ANNOUNCE_CAPABILITIES, 0, msg(6, "00000000 e78d0300"));
    vds_clock_set(fake_clock, f);
    return f;
}

static void fake_free_all(fake *f)
{
    vds_clock_set(NULL, NULL);
    g_queue_free_full(f->base.rx, (GDestroyNotify)vds_rx_free);
    vds_oracle_free(f->base.oracle);
    g_ptr_array_unref(f->rules);
    for (guint i = 0; i < f->pending->len; i++) {
        delivery *d = f->pending->pdata[i];
        g_bytes_unref(d->bytes);
        g_free(d);
    }
    g_ptr_array_unref(f->pending);
    g_ptr_array_unref(f->sent);
    g_free(f->base.info);
    g_free(f->base.agent_version);
    g_free(f);
}

static bool strict_run;     /* run_text's --strict */
static unsigned repeat_run; /* its --repeat-run */
static bool until_fail;     /* its --until-fail */
static JsonNode *last_root; /* the last run_text's whole summary */

/* Run one scenario text on f; returns the exit code and the summary's first
 * scenario object (new node) through *summary. */
static int run_text(fake *f, const char *yaml, JsonNode **summary)
{
    vds_err err = {0};
    vds_scenario *s = vds_scenario_parse("t.yaml", yaml, strlen(yaml), &err);
    if (!s)
        fail_msg("%s: %s", err.loc, err.msg);
    g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func((GDestroyNotify)vds_scenario_free);
    g_ptr_array_add(list, s);
    g_autofree char *dir = g_dir_make_tmp("vdsim-runner-XXXXXX", NULL);
    vds_run_opts o = {.target = "fake",
                      .report_dir = dir,
                      .tol_floor_ns = 250000000,
                      .tol_pct = 50,
                      .strict = strict_run,
                      .repeat_run = repeat_run,
                      .until_fail = until_fail};
    vds_run_result *res = vds_run_target(list, &o, &f->base);
    assert_int_equal(vds_report_summary(res, dir, &err), 0);
    int rc = vds_run_result_exit(res);
    vds_run_result_free(res);
    g_autofree char *path = g_build_filename(dir, "summary.json", NULL);
    g_autoptr(JsonParser) p = json_parser_new();
    assert_true(json_parser_load_from_file(p, path, NULL));
    JsonArray *a =
        json_object_get_array_member(json_node_get_object(json_parser_get_root(p)), "scenarios");
    *summary = json_node_copy(json_array_get_element(a, 0));
    g_clear_pointer(&last_root, json_node_unref);
    last_root = json_node_copy(json_parser_get_root(p));
    /* the report dir: summary, traces/ */
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    return rc;
}

static const char *failure(JsonNode *n)
{
    return json_object_get_string_member_with_default(json_node_get_object(n), "failure", "");
}

#define MONITORS "  - send: {msg: monitors-config, monitors: [{w: 800, h: 600}]}\n"
#define REPLY_OK "02000000 01000000"

static void window_edges(void **state)
{
    for (int late = 0; late < 2; late++) {
        fake *f = fake_new();
        add_rule(f, VD_AGENT_MONITORS_CONFIG, late ? 501 : 499, msg(3, REPLY_OK));
        g_autoptr(JsonNode) sum = NULL;
        int rc = run_text(f,
                          "id: t/w\nsteps:\n" MONITORS
                          "  - expect: {msg: reply, type: monitors-config, within: 500ms}\n",
                          &sum);
        if (late) {
            assert_int_equal(rc, 1);
            assert_string_equal(failure(sum), "t.yaml:4:5: step 2 (expect): expected reply "
                                              "type=monitors-config within 500 ms, got nothing");
        } else {
            assert_int_equal(rc, 0);
            /* on the virtual clock the latency is exact */
            JsonArray *lat = json_object_get_array_member(json_node_get_object(sum), "latencies");
            assert_true(json_object_get_double_member(json_array_get_object_element(lat, 0),
                                                      "p50-ms") == 499.0);
        }
        fake_free_all(f);
    }
}

#define KNOWN_BUG                                                                             \
    "id: t/k\nknown-bug: {agent: \"< 0.23.0\", ref: MR-51, why: drops it}\nsteps:\n" MONITORS \
    "  - expect: {msg: reply, type: monitors-config, within: 1s}\n"

static const char *status_of(JsonNode *n)
{
    return json_object_get_string_member(json_node_get_object(n), "status");
}

/* One run of KNOWN_BUG: the agent's version, whether it answers, --strict. */
static int known_bug_run(const char *version, bool answers, bool strict, JsonNode **sum)
{
    fake *f = fake_new();
    f->base.agent_version = g_strdup(version);
    if (answers)
        add_rule(f, VD_AGENT_MONITORS_CONFIG, 1, msg(3, REPLY_OK));
    strict_run = strict;
    int rc = run_text(f, KNOWN_BUG, sum);
    strict_run = false;
    fake_free_all(f);
    return rc;
}

static void known_bugs(void **state)
{
    g_autoptr(JsonNode) xfail = NULL, xpass = NULL, strict = NULL, fixed = NULL, fine = NULL;
    /* the bug holds where the mark says: an expected failure, the run green */
    assert_int_equal(known_bug_run("0.22.1-3+b2", false, false, &xfail), 0);
    assert_string_equal(status_of(xfail), "xfail");
    assert_true(json_object_get_boolean_member(json_node_get_object(xfail), "passed"));
    assert_string_equal(failure(xfail), "t.yaml:5:5: step 2 (expect): expected reply "
                                        "type=monitors-config within 1000 ms, got nothing");
    JsonObject *kb = json_object_get_object_member(json_node_get_object(xfail), "known-bug");
    assert_string_equal(json_object_get_string_member(kb, "ref"), "MR-51");
    /* in range but the agent behaves: the mark is out of date */
    assert_int_equal(known_bug_run("0.22.1-3+b2", true, false, &xpass), 0);
    assert_string_equal(status_of(xpass), "xpass");
    assert_string_equal(failure(xpass), "t.yaml: known bug no longer reproduces on 0.22.1-3+b2: "
                                        "update the mark (agent < 0.23.0; MR-51)");
    assert_int_equal(known_bug_run("0.22.1-3+b2", true, true, &strict), 1);
    assert_false(json_object_get_boolean_member(json_node_get_object(strict), "passed"));
    /* out of the range: an ordinary failure, an ordinary pass */
    assert_int_equal(known_bug_run("0.23.0-1", false, false, &fixed), 1);
    assert_string_equal(status_of(fixed), "fail");
    assert_int_equal(known_bug_run("0.23.0-1", true, true, &fine), 0);
    assert_string_equal(status_of(fine), "pass");
}

static void must_not_occur(void **state)
{
    fake *f = fake_new();
    add_rule(f, VD_AGENT_MONITORS_CONFIG, 200, msg(3, REPLY_OK));
    g_autoptr(JsonNode) sum = NULL;
    assert_int_equal(
        run_text(f, "id: t/n\nsteps:\n" MONITORS "  - not: {msg: reply, within: 500ms}\n", &sum),
        1);
    assert_string_equal(failure(sum), "t.yaml:4:5: step 2 (not): got reply type=monitors-config "
                                      "error=success after 200.0 ms; it must not come within "
                                      "500 ms");
    fake_free_all(f);
    /* 600 ms later is fine */
    f = fake_new();
    add_rule(f, VD_AGENT_MONITORS_CONFIG, 600, msg(3, REPLY_OK));
    g_autoptr(JsonNode) sum2 = NULL;
    assert_int_equal(
        run_text(f, "id: t/n\nsteps:\n" MONITORS "  - not: {msg: reply, within: 500ms}\n", &sum2),
        0);
    fake_free_all(f);
}

static void unexpected_ignored_optional(void **state)
{
    /* a clipboard release comes before the reply */
    static const char *const yaml[] = {
        "id: t/u\nsteps:\n" MONITORS "  - expect: {msg: reply, within: 1s}\n",
        "id: t/u\nignore: [clipboard-release]\nsteps:\n" MONITORS
        "  - expect: {msg: reply, within: 1s}\n",
        "id: t/u\nsteps:\n" MONITORS "  - expect: {msg: clipboard-release, optional: true}\n"
        "  - expect: {msg: reply, within: 1s}\n",
    };
    for (int i = 0; i < 3; i++) {
        fake *f = fake_new();
        add_rule(f, VD_AGENT_MONITORS_CONFIG, 10, msg(9, "00000000"));
        add_rule(f, VD_AGENT_MONITORS_CONFIG, 20, msg(3, REPLY_OK));
        g_autoptr(JsonNode) sum = NULL;
        int rc = run_text(f, yaml[i], &sum);
        if (i == 0) {
            assert_int_equal(rc, 1);
            assert_string_equal(failure(sum), "t.yaml:4:5: step 2 (expect): expected reply within "
                                              "1000 ms, got clipboard-release selection=clipboard "
                                              "after 10.0 ms");
        } else {
            assert_int_equal(rc, 0);
        }
        fake_free_all(f);
    }
}

static void any_order_and_capture(void **state)
{
    fake *f = fake_new();
    /* the agent grabs with serial 41 and then replies */
    add_rule(f, VD_AGENT_MONITORS_CONFIG, 5, msg(3, REPLY_OK));
    add_rule(f, VD_AGENT_MONITORS_CONFIG, 3, msg(7, "00000000 29000000 01000000"));
    g_autoptr(JsonNode) sum = NULL;
    int rc = run_text(f,
                      "id: t/a\nsteps:\n" MONITORS
                      "  - any-order: [{msg: reply}, {msg: clipboard-grab, capture: {s: serial}}]\n"
                      "  - send: {msg: clipboard-grab, serial: \"${s}\", types: [utf8-text]}\n",
                      &sum);
    assert_int_equal(rc, 0);
    /* the grab we sent carries the captured serial */
    GBytes *last = f->sent->pdata[f->sent->len - 1];
    for (guint i = 0; i < f->sent->len; i++) {
        GBytes *b = f->sent->pdata[i];
        if (vds_get_u32((const uint8_t *)g_bytes_get_data(b, NULL) + 4) == VD_AGENT_CLIPBOARD_GRAB)
            last = b;
    }
    g_autofree char *hex = vds_hex_encode(g_bytes_get_data(last, NULL), g_bytes_get_size(last));
    assert_string_equal(hex + 40, "0000000029000000"
                                  "01000000");
    fake_free_all(f);
}

/* Latency counts from what the message answers (the send), not from the
   start of the expect step that took it. */
static void latency_from_stimulus(void **state)
{
    fake *f = fake_new();
    add_rule(f, VD_AGENT_MONITORS_CONFIG, 499, msg(3, REPLY_OK));
    g_autoptr(JsonNode) sum = NULL;
    assert_int_equal(run_text(f,
                              "id: t/s\nsteps:\n" MONITORS
                              "  - not: {msg: clipboard-grab, within: 100ms}\n"
                              "  - expect: {msg: reply, within: 1s}\n",
                              &sum),
                     0);
    JsonObject *l = json_array_get_object_element(
        json_object_get_array_member(json_node_get_object(sum), "latencies"), 0);
    assert_true(json_object_get_double_member(l, "p50-ms") == 499.0);
    fake_free_all(f);
}

/* A scenario whose steps need what the target lacks is skipped, and the
 * skip names the need and why the target lacks it. */
static void steps_the_target_lacks(void **state)
{
    const char *const cases[][2] = {
        {"  - client: {position: [1, 2]}\n",
         "t.yaml: needs spice-client; local: is the server end of the agent's port"},
        {"  - guest-agent: stop\n",
         "t.yaml: needs agent-control; local: sees the guest through fake, which lacks it (can "
         "stop and continue the agent)"},
        {"needs: [multi-head]\nsteps:\n  - guest: {screen: [1x1+0+0]}\n",
         "t.yaml: needs multi-head; local: sees the guest through fake, which lacks it (has an X "
         "screen with more than one output)"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        fake *f = fake_new();
        f->base.caps &= ~(VDS_CAP_AGENT_CONTROL | VDS_CAP_MULTI_HEAD);
        g_autoptr(JsonNode) sum = NULL;
        bool own_steps = strncmp(cases[i][0], "needs", 5) == 0;
        g_autofree char *text =
            g_strconcat("id: t/c\n", own_steps ? "" : "steps:\n", cases[i][0], NULL);
        assert_int_equal(run_text(f, text, &sum), 0);
        assert_true(json_object_get_boolean_member(json_node_get_object(sum), "skipped"));
        assert_string_equal(failure(sum), cases[i][1]);
        fake_free_all(f);
    }
}

/* With one output, what the display shows (a screenshot) must follow X. */
static void screen_and_display(void **state)
{
    static const char text[] = "id: t/s\nsteps:\n  - guest: {screen: [1024x768+0+0], within: 1s}\n";
    fake *f = fake_new();
    f->screen = (vds_rect){.w = 1024, .h = 768};
    g_autoptr(JsonNode) ok = NULL;
    assert_int_equal(run_text(f, text, &ok), 0); /* no display to look at: X decides */
    f->display_w = 1024;
    f->display_h = 768;
    g_autoptr(JsonNode) same = NULL;
    assert_int_equal(run_text(f, text, &same), 0);
    f->display_w = 800;
    f->display_h = 600;
    g_autoptr(JsonNode) sum = NULL;
    assert_int_equal(run_text(f, text, &sum), 1);
    assert_string_equal(failure(sum),
                        "t.yaml:3:5: step 1 (guest): the X screen shows "
                        "[1024x768+0+0], but the display shows 800x600 after 1000 ms");
    fake_free_all(f);
}

static void repeat_statistics(void **state)
{
    fake *f = fake_new();
    add_rule(f, VD_AGENT_MONITORS_CONFIG, 7, msg(3, REPLY_OK));
    g_autoptr(JsonNode) sum = NULL;
    assert_int_equal(run_text(f,
                              "id: t/r\nrepeat: 50\nsteps:\n" MONITORS
                              "  - expect: {msg: reply, within: 1s}\n",
                              &sum),
                     0);
    JsonObject *l = json_array_get_object_element(
        json_object_get_array_member(json_node_get_object(sum), "latencies"), 0);
    assert_int_equal(json_object_get_int_member(l, "n"), 50);
    assert_true(json_object_get_double_member(l, "p50-ms") == 7.0);
    assert_true(json_object_get_double_member(l, "max-ms") == 7.0);
    fake_free_all(f);
}

/* --repeat-run: an agent that answers in time every other run is flaky, at
   a pass rate of 1/2 with its Wilson interval; --until-fail stops at the
   first failing run and keeps its trace. */
static void repeat_run_flaky(void **state)
{
    static const char text[] = "id: t/f\nsteps:\n" MONITORS
                               "  - expect: {msg: reply, type: monitors-config, within: 500ms}\n";
    for (int stop = 0; stop < 2; stop++) {
        fake *f = fake_new();
        add_rule(f, VD_AGENT_MONITORS_CONFIG, 100, msg(3, REPLY_OK));
        ((rule *)f->rules->pdata[f->rules->len - 1])->every_other_ns = 900000000;
        repeat_run = 4;
        until_fail = stop;
        g_autoptr(JsonNode) sum = NULL;
        assert_int_equal(run_text(f, text, &sum), 1);
        repeat_run = 0;
        until_fail = false;
        JsonObject *runs = json_object_get_object_member(json_node_get_object(sum), "runs");
        JsonObject *root = json_node_get_object(last_root);
        assert_string_equal(status_of(sum), "fail");
        if (stop) {
            assert_string_equal(json_object_get_string_member(runs, "outcomes"), "PF");
            assert_true(json_object_get_boolean_member(root, "stopped-at-first-failure"));
        } else {
            assert_string_equal(json_object_get_string_member(runs, "outcomes"), "PFPF");
            assert_int_equal(json_object_get_int_member(runs, "passed"), 2);
            JsonArray *w = json_object_get_array_member(runs, "wilson-95");
            assert_true(fabs(json_array_get_double_element(w, 0) - 0.1500) < 1e-4);
            assert_true(fabs(json_array_get_double_element(w, 1) - 0.8500) < 1e-4);
            assert_false(json_object_has_member(root, "stopped-at-first-failure"));
        }
        assert_true(json_object_get_boolean_member(runs, "flaky"));
        /* the failing runs are listed with their located failure */
        JsonObject *f2 =
            json_array_get_object_element(json_object_get_array_member(runs, "not-passed"), 0);
        assert_int_equal(json_object_get_int_member(f2, "run"), 2);
        assert_int_equal(json_object_get_int_member(f2, "failed-step"), 2);
        assert_non_null(strstr(json_object_get_string_member(f2, "failure"), "t.yaml:4:5:"));
        fake_free_all(f);
    }
    g_clear_pointer(&last_root, json_node_unref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(window_edges),
        cmocka_unit_test(must_not_occur),
        cmocka_unit_test(unexpected_ignored_optional),
        cmocka_unit_test(any_order_and_capture),
        cmocka_unit_test(latency_from_stimulus),
        cmocka_unit_test(steps_the_target_lacks),
        cmocka_unit_test(repeat_statistics),
        cmocka_unit_test(screen_and_display),
        cmocka_unit_test(known_bugs),
        cmocka_unit_test(repeat_run_flaky),
    };
    return cmocka_run_group_tests_name("/scenario/runner", tests, NULL, NULL);
}
