#include "scenario/differential.h"

#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "core/names.h"
#include "proto/agent.h"
#include "target/target.h"
#include "trace/trace.h"

bool vds_differential_target_ok(const char *target)
{
    const vds_target_kind *k = vds_target_kind_for(target);
    return k && k->port_view;
}

char *vds_differential_report_dir(const char *base, const char *target)
{
    g_autofree char *name = g_strdup(target);
    for (char *p = name; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '.')
            *p = '_';
    return g_build_filename(base, name, NULL);
}

/* One target's run: scenario id -> its summary entry (borrowed from root). */
typedef struct run {
    JsonParser *parser;
    GHashTable *by_id; /* const char* -> JsonObject* */
} run;

static int run_load(run *r, const char *dir, vds_err *err)
{
    g_autofree char *path = g_build_filename(dir, "summary.json", NULL);
    g_autoptr(GError) gerr = NULL;
    r->parser = json_parser_new();
    r->by_id = g_hash_table_new(g_str_hash, g_str_equal);
    if (!json_parser_load_from_file(r->parser, path, &gerr))
        return vds_err_set(err, VDS_ERR_IO, path, "%s", gerr->message);
    JsonNode *root = json_parser_get_root(r->parser);
    JsonArray *a = root && JSON_NODE_HOLDS_OBJECT(root)
                       ? json_object_get_array_member(json_node_get_object(root), "scenarios")
                       : NULL;
    if (!a)
        return vds_err_set(err, VDS_ERR_PARSE, path, "no \"scenarios\" list");
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *o = json_array_get_object_element(a, i);
        const char *id = o ? json_object_get_string_member_with_default(o, "id", NULL) : NULL;
        if (id)
            g_hash_table_insert(r->by_id, (gpointer)id, o);
    }
    return 0;
}

static void run_clear(run *r)
{
    g_clear_pointer(&r->by_id, g_hash_table_unref);
    g_clear_object(&r->parser);
}

/* The trace of a scenario that ran on this target, or NULL (reason set). */
static const char *trace_of(run *r, const char *id, const char **why)
{
    JsonObject *o = g_hash_table_lookup(r->by_id, id);
    if (!o) {
        *why = "not-run";
        return NULL;
    }
    if (json_object_get_boolean_member_with_default(o, "skipped", FALSE)) {
        *why = "skipped";
        return NULL;
    }
    const char *t = json_object_get_string_member_with_default(o, "trace", NULL);
    if (!t)
        *why = "not-run";
    return t;
}

/* Compare one scenario's two traces; 0 same, 1 different (d filled), -1 err. */
static int diff_one(const vds_scenario *s, const char *ta, const char *tb, const char *la,
                    const char *lb, vds_diff *d, vds_err *err)
{
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    for (guint i = 0; i < s->diff_ignore->len; i++)
        g_ptr_array_add(names, (gpointer)vds_names_get(&vds_agent_type_names,
                                                       g_array_index(s->diff_ignore, uint32_t, i)));
    g_ptr_array_add(names, NULL);
    vds_compare_opts o = {
        .ignore_framing = true,
        .received_only = true,
        .ignore_types = (const char *const *)names->pdata,
        .label_a = la,
        .label_b = lb,
    };
    vds_trace_reader *a = vds_trace_reader_open(ta, err);
    if (!a)
        return -1;
    vds_trace_reader *b = vds_trace_reader_open(tb, err);
    if (!b) {
        vds_trace_reader_free(a);
        return -1;
    }
    int rc = vds_trace_compare(a, b, &o, d, err);
    vds_trace_reader_free(a);
    vds_trace_reader_free(b);
    return rc;
}

static void add_str(JsonBuilder *b, const char *k, const char *v)
{
    json_builder_set_member_name(b, k);
    if (v)
        json_builder_add_string_value(b, v);
    else
        json_builder_add_null_value(b);
}

typedef struct tally {
    unsigned same, differ, left;
} tally;

/* One scenario on targets a and b into jb (an open object) and the console:
   0 same or not compared, 1 different, -1 error. */
static int compare_scenario(JsonBuilder *jb, const vds_scenario *s, run *ra, run *rb, const char *a,
                            const char *b, tally *t, vds_err *err)
{
    const char *why_a = NULL, *why_b = NULL;
    const char *ta = trace_of(ra, s->id, &why_a);
    const char *tb = trace_of(rb, s->id, &why_b);
    add_str(jb, "id", s->id);
    if (!ta || !tb) {
        add_str(jb, "result", why_a ? why_a : why_b);
        t->left++;
        return 0;
    }
    vds_diff d = {0};
    int c = diff_one(s, ta, tb, a, b, &d, err);
    if (c < 0)
        return -1;
    add_str(jb, "result", c ? "different" : "same");
    add_str(jb, "trace-a", ta);
    add_str(jb, "trace-b", tb);
    if (c) {
        add_str(jb, "what", d.what);
        json_builder_set_member_name(jb, "line-a");
        json_builder_add_int_value(jb, (gint64)d.line_a);
        json_builder_set_member_name(jb, "line-b");
        json_builder_add_int_value(jb, (gint64)d.line_b);
        printf("DIFF %-40s %s vs %s: %s\n", s->id, a, b, d.what);
        printf("    %s:%zu: %s\n", ta, d.line_a, d.text_a ? d.text_a : "(end)");
        printf("    %s:%zu: %s\n", tb, d.line_b, d.text_b ? d.text_b : "(end)");
        t->differ++;
    } else {
        printf("SAME %-40s %s = %s%s%s%s\n", s->id, a, b,
               s->diff_why ? "  (ignoring what the scenario allows: " : "",
               s->diff_why ? s->diff_why : "", s->diff_why ? ")" : "");
        t->same++;
    }
    vds_diff_clear(&d);
    return c;
}

static int write_json(JsonBuilder *jb, const char *out_dir, vds_err *err)
{
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = json_builder_get_root(jb);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    g_autofree char *path = g_build_filename(out_dir, "differential.json", NULL);
    g_autoptr(GError) gerr = NULL;
    if (!json_generator_to_file(gen, path, &gerr))
        return vds_err_set(err, VDS_ERR_IO, path, "%s", gerr->message);
    printf("differential: %s\n", path);
    return 0;
}

int vds_differential(GPtrArray *scenarios, const char *const *targets,
                     const char *const *report_dirs, guint n, const char *out_dir, vds_err *err)
{
    run *runs = g_new0(run, n);
    int rc = 0;
    tally t = {0};
    g_autoptr(JsonBuilder) jb = json_builder_new();

    for (guint i = 0; i < n; i++)
        if (run_load(&runs[i], report_dirs[i], err) < 0) {
            rc = -1;
            goto out;
        }
    json_builder_begin_object(jb);
    json_builder_set_member_name(jb, "pairs");
    json_builder_begin_array(jb);
    for (guint j = 1; j < n; j++) {
        json_builder_begin_object(jb);
        add_str(jb, "a", targets[0]);
        add_str(jb, "b", targets[j]);
        json_builder_set_member_name(jb, "scenarios");
        json_builder_begin_array(jb);
        for (guint i = 0; i < scenarios->len; i++) {
            json_builder_begin_object(jb);
            int c = compare_scenario(jb, scenarios->pdata[i], &runs[0], &runs[j], targets[0],
                                     targets[j], &t, err);
            json_builder_end_object(jb);
            if (c < 0) {
                rc = -1;
                goto out;
            }
            rc |= c;
        }
        json_builder_end_array(jb);
        json_builder_end_object(jb);
    }
    json_builder_end_array(jb);
    json_builder_end_object(jb);
    printf("differential: %u same, %u different, %u not compared (skipped or not run on both)\n",
           t.same, t.differ, t.left);
    if (write_json(jb, out_dir, err) < 0)
        rc = -1;
out:
    for (guint i = 0; i < n; i++)
        run_clear(&runs[i]);
    g_free(runs);
    return rc;
}
