/* vdsim compare on summaries written here: what changed, and the latency
 * test's verdict on samples whose difference is known. */
#include "test-util.h"

#include <glib/gstdio.h>

#include "report/compare.h"

static char *tmp;

static void write_summary(const char *name, const char *scenarios)
{
    g_autofree char *dir = g_build_filename(tmp, name, NULL);
    g_mkdir_with_parents(dir, 0755);
    g_autofree char *path = g_build_filename(dir, "summary.json", NULL);
    g_autofree char *text = g_strdup_printf(
        "{\"target\": \"local\", \"agent\": \"spice-vdagent %s\", \"scenarios\": [%s]}", name,
        scenarios);
    assert_true(g_file_set_contents(path, text, -1, NULL));
}

static char *samples(double from, double step, int n)
{
    GString *s = g_string_new("[");
    for (int i = 0; i < n; i++)
        g_string_append_printf(s, "%s%.3f", i ? ", " : "", from + step * i);
    g_string_append_c(s, ']');
    return g_string_free(s, FALSE);
}

static char *latency(const char *id, const char *status, double from, int n)
{
    g_autofree char *v = samples(from, 0.01, n);
    return g_strdup_printf("{\"id\": \"%s\", \"status\": \"%s\", \"latencies\": [{\"step\": 2, "
                           "\"msg\": \"reply\", \"samples-ms\": %s}]}",
                           id, status, v);
}

static int compare(const char *a, const char *b, vds_comparison *c)
{
    g_autofree char *da = g_build_filename(tmp, a, NULL), *db = g_build_filename(tmp, b, NULL);
    vds_err err = {0};
    int rc = vds_compare_runs(da, db, &vds_runs_compare_defaults, c, &err);
    if (rc < 0)
        fail_msg("%s: %s", err.loc, err.msg);
    return rc;
}

static void outcomes(void **state)
{
    write_summary("1.0", "{\"id\": \"a/new-failure\", \"status\": \"pass\"},"
                         "{\"id\": \"a/fixed\", \"status\": \"fail\"},"
                         "{\"id\": \"a/no-longer\", \"status\": \"xfail\"},"
                         "{\"id\": \"a/back\", \"status\": \"pass\"},"
                         "{\"id\": \"a/skipped\", \"status\": \"pass\"},"
                         "{\"id\": \"a/gone\", \"status\": \"pass\"},"
                         "{\"id\": \"a/same\", \"passed\": true}");
    write_summary("2.0",
                  "{\"id\": \"a/new-failure\", \"status\": \"fail\", \"failure\": \"f:1:1: no\"},"
                  "{\"id\": \"a/fixed\", \"status\": \"pass\"},"
                  "{\"id\": \"a/no-longer\", \"status\": \"xpass\"},"
                  "{\"id\": \"a/back\", \"status\": \"xfail\", \"failure\": \"f:2:1: bug\"},"
                  "{\"id\": \"a/skipped\", \"status\": \"skip\", \"failure\": \"needs x\"},"
                  "{\"id\": \"a/added\", \"status\": \"pass\"},"
                  "{\"id\": \"a/same\", \"status\": \"pass\"}");
    vds_comparison c = {0};
    assert_int_equal(compare("1.0", "2.0", &c), 0);
    const char *t = c.text->str;
    assert_non_null(strstr(t, "  agent   A: spice-vdagent 1.0\n          B: spice-vdagent 2.0\n"));
    assert_non_null(
        strstr(t, "  NEW FAILURE     a/new-failure: pass -> fail\n                  f:1:1: no\n"));
    assert_non_null(strstr(t, "  fixed           a/fixed: fail -> pass\n"));
    assert_non_null(strstr(t, "  xfail->xpass    a/no-longer: xfail -> xpass\n"));
    assert_non_null(strstr(t, "  KNOWN BUG BACK  a/back: pass -> xfail\n"));
    assert_non_null(strstr(t, "  newly skipped   a/skipped: pass -> skip\n"));
    assert_non_null(strstr(t, "  new scenario    a/added: pass\n"));
    assert_non_null(strstr(t, "  gone            a/gone (not in B)\n"));
    assert_null(strstr(t, "a/same"));
    assert_non_null(strstr(t, "nothing to test: run both with --repeat 20"));
    assert_int_equal(c.regressions, 2);
    assert_non_null(strstr(t, "verdict: regressed (2)\n"));
    vds_comparison_clear(&c);
}

static void latency_shift(void **state)
{
    g_autofree char *a1 = latency("m/one", "pass", 1.0, 20),
                    *a2 = latency("m/two", "pass", 1.0, 20);
    g_autofree char *a3 = latency("m/few", "pass", 1.0, 5);
    g_autofree char *b1 = latency("m/one", "pass", 2.0, 20);   /* twice as slow */
    g_autofree char *b2 = latency("m/two", "pass", 1.005, 20); /* the same, shuffled by noise */
    g_autofree char *b3 = latency("m/few", "pass", 9.0, 5);
    g_autofree char *sa = g_strjoin(",", a1, a2, a3, NULL), *sb = g_strjoin(",", b1, b2, b3, NULL);
    write_summary("a", sa);
    write_summary("b", sb);
    vds_comparison c = {0};
    assert_int_equal(compare("a", "b", &c), 0);
    const char *t = c.text->str;
    assert_non_null(strstr(t, "latency: 2 expectations with at least 8 samples"));
    assert_non_null(strstr(t, "  SLOWER  m/one step 2 reply: p50 1.10 -> 2.10 ms, p95 1.18 -> "
                              "2.18 ms, +91%, p < 0.001 (n=20, 20)\n"));
    assert_null(strstr(t, "m/two"));
    assert_null(strstr(t, "m/few"));
    assert_int_equal(c.regressions, 1);
    vds_comparison_clear(&c);
    /* the other way round it is faster, and no regression */
    assert_int_equal(compare("b", "a", &c), 0);
    assert_non_null(strstr(c.text->str, "  faster  m/one step 2 reply"));
    assert_int_equal(c.regressions, 0);
    assert_non_null(strstr(c.text->str, "verdict: no regression\n"));
    vds_comparison_clear(&c);
}

static void bad_summaries(void **state)
{
    g_autofree char *dir = g_build_filename(tmp, "bad", NULL),
                    *ok = g_build_filename(tmp, "a", NULL);
    g_autofree char *path = g_build_filename(dir, "summary.json", NULL);
    g_mkdir_with_parents(dir, 0755);
    vds_comparison c = {0};
    vds_err err = {0};
    static const struct {
        const char *text, *msg;
    } cases[] = {
        {"{\"scenarios\": [{\"status\": \"pass\"}]}", "scenario 1 has no 'id'"},
        {"[1, 2]", "not a vdsim summary: no 'scenarios' array (is this a report directory of "
                   "vdsim run?)"},
        {"{\"scen", NULL},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        assert_true(g_file_set_contents(path, cases[i].text, -1, NULL));
        assert_int_equal(vds_compare_runs(ok, dir, &vds_runs_compare_defaults, &c, &err), -1);
        assert_string_equal(err.loc, path);
        if (cases[i].msg)
            assert_string_equal(err.msg, cases[i].msg);
        else
            assert_true(g_str_has_prefix(err.msg, "not JSON: "));
    }
    g_autofree char *none = g_build_filename(tmp, "none", NULL);
    assert_int_equal(vds_compare_runs(none, ok, &vds_runs_compare_defaults, &c, &err), -1);
    assert_non_null(strstr(err.loc, "none/summary.json"));
}

int main(void)
{
    tmp = g_dir_make_tmp("vdsim-compare-XXXXXX", NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(outcomes),
        cmocka_unit_test(latency_shift),
        cmocka_unit_test(bad_summaries),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        rc = 1;
    g_free(tmp);
    return rc;
}
