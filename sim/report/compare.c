/* Comparing two runs' summaries (compare.h). */
#include "report/compare.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "core/file.h"
#include "core/stats.h"
#include "report/summary-load.h"

const vds_runs_compare_opts vds_runs_compare_defaults = {
    .alpha = 0.01, .min_shift_pct = 10, .min_shift_ms = 0.1, .min_samples = 8};

typedef struct run {
    char *path;        /* its summary.json */
    JsonNode *root;    /* owned */
    GHashTable *by_id; /* id -> JsonObject* (borrowed from root) */
    GPtrArray *order;  /* ids in run order (borrowed) */
    char *recipe;      /* guest/recipe.txt (vdsim vm keeps it) on one line, or NULL */
} run;

static void run_clear(run *r)
{
    g_free(r->path);
    if (r->root)
        json_node_unref(r->root);
    if (r->by_id)
        g_hash_table_unref(r->by_id);
    if (r->order)
        g_ptr_array_unref(r->order);
    g_free(r->recipe);
}

/* Summaries written before statuses existed have passed and skipped. */
static const char *status_of(JsonObject *s)
{
    const char *st = vds_json_str(s, "status", NULL);
    if (st)
        return st;
    if (json_object_get_boolean_member_with_default(s, "skipped", FALSE))
        return "skip";
    return json_object_get_boolean_member_with_default(s, "passed", FALSE) ? "pass" : "fail";
}

static int load_run(const char *dir, run *r, vds_err *err)
{
    r->path = g_build_filename(dir, "summary.json", NULL);
    r->root = vds_summary_load(dir, err);
    if (!r->root)
        return -1;
    r->by_id = g_hash_table_new(g_str_hash, g_str_equal);
    r->order = g_ptr_array_new();
    JsonArray *a = json_object_get_array_member(json_node_get_object(r->root), "scenarios");
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *s = json_array_get_object_element(a, i);
        const char *id = vds_json_str(s, "id", NULL);
        g_hash_table_insert(r->by_id, (gpointer)id, s);
        g_ptr_array_add(r->order, (gpointer)id);
    }
    g_autofree char *recipe_path = g_build_filename(dir, "guest", "recipe.txt", NULL);
    g_autofree char *recipe = vds_file_read_all(recipe_path, 1 << 16, "recipe", NULL, NULL);
    if (recipe) { /* its lines but the package list, on one */
        g_auto(GStrv) lines = g_strsplit(g_strstrip(recipe), "\n", 12);
        GString *one = g_string_new(NULL);
        for (char **l = lines; *l; l++)
            if (**l && !g_str_has_prefix(*l, "packages:"))
                g_string_append_printf(one, "%s%s", one->len ? "; " : "", *l);
        r->recipe = g_string_free(one, FALSE);
    }
    return 0;
}

static bool failed(const char *st)
{
    return !strcmp(st, "fail") || !strcmp(st, "error");
}

static bool ran_ok(const char *st)
{
    return !strcmp(st, "pass") || !strcmp(st, "xpass");
}

/* One scenario present in both: a line when its outcome changed. */
static void scenario_change(GString *out, unsigned *regressions, const char *id, JsonObject *a,
                            JsonObject *b)
{
    const char *sa = status_of(a), *sb = status_of(b);
    if (!strcmp(sa, sb))
        return;
    const char *word = NULL;
    bool bad = false;
    if (failed(sb) && !failed(sa))
        word = "NEW FAILURE", bad = true;
    else if (!strcmp(sb, "xfail") && ran_ok(sa))
        word = "KNOWN BUG BACK", bad = true;
    else if (failed(sa) && (ran_ok(sb) || !strcmp(sb, "xfail")))
        word = "fixed";
    else if (!strcmp(sa, "xfail") && !strcmp(sb, "xpass"))
        word = "xfail->xpass";
    else if (!strcmp(sa, "xfail") && !strcmp(sb, "pass"))
        word = "fixed";
    else if (!strcmp(sb, "skip"))
        word = "newly skipped";
    else
        word = "changed";
    *regressions += bad;
    g_string_append_printf(out, "  %-15s %s: %s -> %s", word, id, sa, sb);
    const char *why = vds_json_str(b, "failure", NULL);
    if (why && strcmp(sb, "pass"))
        g_string_append_printf(out, "\n                  %s", why);
    g_string_append_c(out, '\n');
}

static GArray *samples(JsonObject *lat)
{
    GArray *v = g_array_new(FALSE, FALSE, sizeof(double));
    JsonNode *n = json_object_get_member(lat, "samples-ms");
    if (!n || !JSON_NODE_HOLDS_ARRAY(n))
        return v;
    JsonArray *a = json_node_get_array(n);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        double d = json_array_get_double_element(a, i);
        g_array_append_val(v, d);
    }
    return v;
}

/* The latency of one expectation in both runs, matched by step and message. */
static void latency_change(GString *out, unsigned *regressions, unsigned *tested,
                           const vds_runs_compare_opts *o, const char *id, JsonObject *la,
                           JsonObject *lb)
{
    g_autoptr(GArray) a = samples(la), b = samples(lb);
    const char *what = vds_json_str(lb, "msg", "?");
    gint64 step = json_object_get_int_member_with_default(lb, "step", 0);
    if (a->len < o->min_samples || b->len < o->min_samples)
        return;
    (*tested)++;
    double *va = (double *)a->data, *vb = (double *)b->data;
    double p = vds_mann_whitney_p(va, a->len, vb, b->len);
    double ma = vds_percentile(va, a->len, 50), mb = vds_percentile(vb, b->len, 50);
    double shift = ma > 0 ? (mb - ma) / ma * 100 : 0;
    if (p >= o->alpha || fabs(shift) < o->min_shift_pct || fabs(mb - ma) < o->min_shift_ms)
        return;
    bool slower = mb > ma;
    *regressions += slower;
    g_string_append_printf(out,
                           "  %-7s %s step %" G_GINT64_FORMAT
                           " %s: p50 %.2f -> %.2f ms, p95 %.2f -> %.2f ms, %+.0f%%, p %s %.2g "
                           "(n=%u, %u)\n",
                           slower ? "SLOWER" : "faster", id, step, what, ma, mb,
                           vds_percentile(va, a->len, 95), vds_percentile(vb, b->len, 95), shift,
                           p < 0.001 ? "<" : "=", p < 0.001 ? 0.001 : p, a->len, b->len);
}

static JsonObject *latency_at(JsonObject *s, gint64 step, const char *msg)
{
    JsonNode *n = json_object_get_member(s, "latencies");
    if (!n || !JSON_NODE_HOLDS_ARRAY(n))
        return NULL;
    JsonArray *a = json_node_get_array(n);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *l = json_array_get_object_element(a, i);
        if (l && json_object_get_int_member_with_default(l, "step", -1) == step &&
            !g_strcmp0(vds_json_str(l, "msg", NULL), msg))
            return l;
    }
    return NULL;
}

static void latencies(GString *out, unsigned *regressions, const vds_runs_compare_opts *o, run *ra,
                      run *rb)
{
    GString *lines = g_string_new(NULL);
    unsigned tested = 0;
    for (guint i = 0; i < rb->order->len; i++) {
        const char *id = rb->order->pdata[i];
        JsonObject *a = g_hash_table_lookup(ra->by_id, id), *b = g_hash_table_lookup(rb->by_id, id);
        JsonNode *n = a ? json_object_get_member(b, "latencies") : NULL;
        if (!n || !JSON_NODE_HOLDS_ARRAY(n))
            continue;
        JsonArray *arr = json_node_get_array(n);
        for (guint k = 0; k < json_array_get_length(arr); k++) {
            JsonObject *lb = json_array_get_object_element(arr, k);
            JsonObject *la =
                lb ? latency_at(a, json_object_get_int_member_with_default(lb, "step", -1),
                                vds_json_str(lb, "msg", ""))
                   : NULL;
            if (la)
                latency_change(lines, regressions, &tested, o, id, la, lb);
        }
    }
    g_string_append_printf(out,
                           "latency: %u expectations with at least %u samples in both runs, "
                           "Mann-Whitney U, p < %g and a median shift of %g%% and %g ms or "
                           "more:\n",
                           tested, o->min_samples, o->alpha, o->min_shift_pct, o->min_shift_ms);
    if (!tested)
        g_string_append(out,
                        "  nothing to test: run both with --repeat 20 (or more) for samples\n");
    else if (!lines->len)
        g_string_append(out, "  no significant shift\n");
    g_string_append(out, lines->str);
    g_string_free(lines, TRUE);
}

static void side_by_side(GString *out, const char *what, const char *a, const char *b)
{
    g_string_append_printf(out, "  %-7s A: %s\n  %-7s B: %s%s\n", what, a ? a : "(not recorded)",
                           "", b ? b : "(not recorded)", g_strcmp0(a, b) ? "" : "  (same)");
}

static void header(GString *out, run *ra, run *rb, const char *dir_a, const char *dir_b)
{
    JsonObject *a = json_node_get_object(ra->root), *b = json_node_get_object(rb->root);
    g_string_append_printf(out, "vdsim compare\n  A: %s\n  B: %s\n", dir_a, dir_b);
    side_by_side(out, "agent", vds_json_str(a, "agent", NULL), vds_json_str(b, "agent", NULL));
    side_by_side(out, "target", vds_json_str(a, "target", NULL), vds_json_str(b, "target", NULL));
    if (ra->recipe || rb->recipe)
        side_by_side(out, "image", ra->recipe, rb->recipe);
}

int vds_compare_runs(const char *dir_a, const char *dir_b, const vds_runs_compare_opts *o,
                     vds_comparison *out, vds_err *err)
{
    run ra = {0}, rb = {0};
    int rc = -1;
    if (load_run(dir_a, &ra, err) < 0 || load_run(dir_b, &rb, err) < 0)
        goto done;
    out->text = g_string_new(NULL);
    out->regressions = 0;
    header(out->text, &ra, &rb, dir_a, dir_b);
    GString *changes = g_string_new(NULL);
    unsigned both = 0;
    for (guint i = 0; i < rb.order->len; i++) {
        const char *id = rb.order->pdata[i];
        JsonObject *a = g_hash_table_lookup(ra.by_id, id), *b = g_hash_table_lookup(rb.by_id, id);
        if (!a) {
            g_string_append_printf(changes, "  %-15s %s: %s\n", "new scenario", id, status_of(b));
            out->regressions += failed(status_of(b));
            continue;
        }
        both++;
        scenario_change(changes, &out->regressions, id, a, b);
    }
    for (guint i = 0; i < ra.order->len; i++)
        if (!g_hash_table_contains(rb.by_id, ra.order->pdata[i]))
            g_string_append_printf(changes, "  %-15s %s (not in B)\n", "gone",
                                   (char *)ra.order->pdata[i]);
    g_string_append_printf(out->text, "scenarios: %u in both%s\n%s", both,
                           changes->len ? ", changed:" : ", none changed", changes->str);
    g_string_free(changes, TRUE);
    latencies(out->text, &out->regressions, o, &ra, &rb);
    if (out->regressions)
        g_string_append_printf(out->text, "verdict: regressed (%u)\n", out->regressions);
    else
        g_string_append(out->text, "verdict: no regression\n");
    rc = 0;
done:
    run_clear(&ra);
    run_clear(&rb);
    return rc;
}

void vds_comparison_clear(vds_comparison *c)
{
    if (c->text)
        g_string_free(c->text, TRUE);
    c->text = NULL;
}
