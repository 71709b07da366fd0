/* Matching and ${var} substitution (scenario/match.c), and the one wait
 * (scenario/await.c) on a target whose loop is a virtual clock. */
#include "test-util.h"

#include "core/clock.h"
#include "scenario/await.h"
#include "scenario/match.h"

static JsonNode *j(const char *text)
{
    g_autoptr(JsonParser) p = json_parser_new();
    assert_true(json_parser_load_from_data(p, text, -1, NULL));
    return json_node_copy(json_parser_get_root(p));
}

static void match_subset(void **state)
{
    static const struct {
        const char *want, *got;
        bool same;
    } cases[] = {
        {"{\"a\":1}", "{\"a\":1,\"b\":2}", true},                 /* got may say more */
        {"{\"a\":1,\"b\":2}", "{\"a\":1}", false},                /* but not less */
        {"{\"a\":[\"x\",\"y\"]}", "{\"a\":[\"y\",\"x\"]}", true}, /* names: a set */
        {"{\"a\":[1,2]}", "{\"a\":[2,1]}", false},                /* numbers: in order */
        {"{\"a\":[\"x\"]}", "{\"a\":[\"x\",\"y\"]}", false},      /* same length */
        {"{\"m\":[{\"w\":1}]}", "{\"m\":[{\"w\":1,\"h\":2}]}", true},
        {"{\"a\":\"1\"}", "{\"a\":1}", false}, /* a string is not a number */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(JsonNode) w = j(cases[i].want);
        g_autoptr(JsonNode) g = j(cases[i].got);
        if (vds_match_json(w, g) != cases[i].same)
            fail_msg("case %zu: %s against %s", i, cases[i].want, cases[i].got);
    }
    g_autoptr(JsonNode) w = j("{\"a\":1}");
    assert_false(vds_match_json(w, NULL));
}

static void subst_and_capture(void **state)
{
    g_autoptr(GHashTable) vars = vds_match_vars_new();
    g_autoptr(GHashTable) capture = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(capture, "s", "serial");
    g_hash_table_insert(capture, "gone", "nothing-there");
    g_autoptr(JsonNode) got = j("{\"serial\":7,\"selection\":\"clipboard\"}");
    vds_match_capture(capture, got, vars);
    assert_int_equal(g_hash_table_size(vars), 1); /* a missing field captures nothing */
    g_autoptr(JsonNode) tmpl =
        j("{\"serial\":\"${s}\",\"list\":[\"${s}\",\"${t}\"],\"x\":\"${s\"}");
    g_autoptr(JsonNode) out = vds_match_subst(tmpl, vars);
    g_autofree char *text = json_to_string(out, FALSE);
    /* a whole value keeps its type; unknown ones and non-variables stay */
    assert_string_equal(text, "{\"serial\":7,\"list\":[7,\"${t}\"],\"x\":\"${s\"}");
    /* the template is not touched */
    g_autofree char *again = json_to_string(tmpl, FALSE);
    assert_true(strstr(again, "${s}") != NULL);
}

static void subst_inside_strings(void **state)
{
    g_autoptr(GHashTable) vars = vds_match_vars_new();
    g_autoptr(JsonNode) seven = j("7");
    g_autoptr(JsonNode) word = j("\"hi\"");
    g_hash_table_insert(vars, g_strdup("x"), json_node_copy(seven));
    g_hash_table_insert(vars, g_strdup("w-1"), json_node_copy(word));
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"\"a${x}b\"", "\"a7b\""},     {"\"${x}-${x}\"", "\"7-7\""},
        {"\"${w-1}\"", "\"hi\""},      {"\"${x}\"", "7"},      /* the whole value: a number */
        {"\"${x} \"", "\"7 \""},                               /* not the whole value: text */
        {"\"${y}${x}\"", "\"${y}7\""},                         /* y not captured: left as written */
        {"\"$${x}}\"", "\"$7}\""},     {"\"${}\"", "\"${}\""}, /* no name: not a variable */
        {"\"${x\"", "\"${x\""},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(JsonNode) in = j(cases[i].in);
        g_autoptr(JsonNode) out = vds_match_subst(in, vars);
        g_autofree char *text = json_to_string(out, FALSE);
        if (strcmp(text, cases[i].out) != 0)
            fail_msg("case %zu: %s -> %s, want %s", i, cases[i].in, text, cases[i].out);
    }
}

/* --- await on a fake target ------------------------------------------------ */

typedef struct clocked {
    vds_target base;
    uint64_t now;
    uint64_t die_at; /* the stack dies then (0: never) */
    unsigned waits;
} clocked;

static uint64_t clock_of(void *user)
{
    return ((clocked *)user)->now;
}

/* Virtual time: each wait moves the clock 10 ms (or to the deadline) and
   asks done again, as a loop iteration would. */
static bool clocked_wait(vds_target *t, uint64_t deadline, bool (*done)(void *), void *user)
{
    clocked *c = (clocked *)t;
    while (!done(user)) {
        if (c->now >= deadline)
            return false;
        c->waits++;
        c->now = MIN(deadline, c->now + 10000000ull);
        if (c->die_at && c->now >= c->die_at && !t->dead)
            t->dead = g_strdup("gone");
    }
    return true;
}

static void clocked_free(vds_target *t) {}

static const vds_link_ops clocked_ops = {.wait = clocked_wait, .free = clocked_free};

typedef struct counter {
    clocked *c;
    uint64_t at; /* holds from then on */
    unsigned calls;
} counter;

static bool holds_at(void *user)
{
    counter *k = user;
    k->calls++;
    return k->at && k->c->now >= k->at;
}

static void await_reasons(void **state)
{
    clocked c = {0};
    c.now = 1000000000ull;
    vds_target_init(&c.base, &clocked_ops, "local", NULL);
    vds_clock_set(clock_of, &c);
    volatile bool stop = false;
    vds_await_opts o = {.deadline = c.now + 100000000ull, .interrupt = &stop};

    counter k = {&c, c.now + 30000000ull, 0};
    assert_int_equal(vds_await(&c.base, &o, holds_at, &k), VDS_AWAIT_MATCH);
    assert_true(c.now >= k.at);

    k = (counter){&c, 0, 0};
    o.deadline = c.now + 50000000ull;
    assert_int_equal(vds_await(&c.base, &o, holds_at, &k), VDS_AWAIT_TIMEOUT);
    assert_true(c.now >= o.deadline);
    assert_true(k.calls >= 1);

    /* polled: the check runs once per interval, not at every wake */
    k = (counter){&c, 0, 0};
    o.deadline = c.now + 200000000ull;
    o.poll_ns = 50000000ull;
    assert_int_equal(vds_await(&c.base, &o, holds_at, &k), VDS_AWAIT_TIMEOUT);
    assert_in_range(k.calls, 4, 5);
    o.poll_ns = 0;

    c.die_at = c.now + 20000000ull;
    o.deadline = c.now + 1000000000ull;
    assert_int_equal(vds_await(&c.base, &o, holds_at, &k), VDS_AWAIT_DEAD);
    assert_true(c.now < o.deadline);

    /* a check that holds wins over a dead stack seen at the same time */
    k = (counter){&c, c.now, 0};
    assert_int_equal(vds_await(&c.base, &o, holds_at, &k), VDS_AWAIT_MATCH);
    g_clear_pointer(&c.base.dead, g_free);

    stop = true;
    k = (counter){&c, 0, 0};
    assert_int_equal(vds_await(&c.base, &o, holds_at, &k), VDS_AWAIT_INTERRUPTED);
    assert_string_equal(vds_await_status_name(VDS_AWAIT_INTERRUPTED), "interrupted");
    vds_clock_set(NULL, NULL);
    g_queue_free(c.base.rx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(match_subset),
        cmocka_unit_test(subst_and_capture),
        cmocka_unit_test(subst_inside_strings),
        cmocka_unit_test(await_reasons),
    };
    return cmocka_run_group_tests_name("/scenario/match", tests, NULL, NULL);
}
