/* The HTML report (html.h): the page's data is built here as one JSON
 * object, the page's script draws it. The data is bounded so that a
 * 1000-repetition run stays a page a browser opens: events per scenario,
 * bytes per event, samples per latency and log lines are capped, and what
 * was left out is counted on the page. */
#include "report/html.h"

#include <string.h>

#include "core/file.h"
#include "report/summary-load.h"
#include "scenario/differential.h"
#include "trace/trace.h"

GResource *vds_page_get_resource(void); /* report-page.c, made by glib-compile-resources */

#define EVENTS_HEAD 1200 /* a long trace: its first events... */
#define EVENTS_TAIL 600  /* ...and its last, where a failure is */
#define STRING_MAX  240  /* a field's text, in bytes */
#define RAW_HEX_MAX 512  /* raw bytes shown, as hex digits (256 bytes; the trace has more) */
#define SAMPLES_MAX 20000
#define LOG_CONTEXT 12 /* log lines either side of the agent's complaint */
#define LOG_MAX     (1u << 20)
#define TRACE_MAX   (1ull << 30)

/* o's integer member key, dflt when it is absent or not an integer (a
   summary may have been edited by hand). */
static gint64 int_or(JsonObject *o, const char *key, gint64 dflt)
{
    JsonNode *n = json_object_get_member(o, key);
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_INT64
               ? json_node_get_int(n)
               : dflt;
}

/* Element i of a when it is an object, else NULL. */
static JsonObject *object_at(JsonArray *a, guint i)
{
    JsonNode *n = json_array_get_element(a, i);
    return n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : NULL;
}

/* --- bounding what goes in ------------------------------------------------ */

/* s cut to at most max bytes at a character, with how long it was. */
static char *cut_text(const char *s, size_t max)
{
    size_t len = strlen(s);
    if (len <= max)
        return g_strdup(s);
    const char *end = g_utf8_find_prev_char(s, s + max);
    return g_strdup_printf("%.*s... (%zu bytes)", (int)(end ? end - s : 0), s, len);
}

/* A copy of n (the reader's nodes are immutable) with strings longer than
   max cut and arrays past 64 elements ended with "..." (new node). */
static JsonNode *bounded_copy(JsonNode *n, size_t max)
{
    if (JSON_NODE_HOLDS_OBJECT(n)) {
        JsonObject *o = json_object_new();
        JsonObjectIter it;
        const char *k;
        JsonNode *v;
        json_object_iter_init(&it, json_node_get_object(n));
        while (json_object_iter_next(&it, &k, &v))
            json_object_set_member(o, k, bounded_copy(v, max));
        JsonNode *out = json_node_new(JSON_NODE_OBJECT);
        json_node_take_object(out, o);
        return out;
    }
    if (JSON_NODE_HOLDS_ARRAY(n)) {
        JsonArray *in = json_node_get_array(n), *a = json_array_new();
        guint len = json_array_get_length(in);
        for (guint i = 0; i < len && i < 64; i++) /* sixteen monitors are 16 */
            json_array_add_element(a, bounded_copy(json_array_get_element(in, i), max));
        if (len > 64)
            json_array_add_string_element(a, "...");
        JsonNode *out = json_node_new(JSON_NODE_ARRAY);
        json_node_take_array(out, a);
        return out;
    }
    if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING &&
        strlen(json_node_get_string(n)) > max) {
        g_autofree char *c = cut_text(json_node_get_string(n), max);
        JsonNode *out = json_node_new(JSON_NODE_VALUE);
        json_node_set_string(out, c);
        return out;
    }
    return json_node_copy(n); /* a number, a boolean, null: never changed */
}

/* An event as the page shows it: every member, long text and raw bytes cut
   (new node). */
static JsonNode *page_event(JsonObject *ev)
{
    JsonObject *o = json_object_new();
    JsonObjectIter it;
    const char *k;
    JsonNode *v;
    /* AGENT_DATA's bytes are an agent message, which is an event of its own:
       its SPICE event shows their start, once */
    bool agent_data = !strcmp(vds_json_str(ev, "kind", ""), "spice") &&
                      !strcmp(vds_json_str(ev, "type", ""), "agent-data");
    size_t raw_max = agent_data ? RAW_HEX_MAX / 4 : RAW_HEX_MAX;
    json_object_iter_init(&it, ev);
    while (json_object_iter_next(&it, &k, &v)) {
        if (!strcmp(k, "raw") && JSON_NODE_HOLDS_VALUE(v) &&
            json_node_get_value_type(v) == G_TYPE_STRING &&
            strlen(json_node_get_string(v)) > raw_max) {
            const char *hex = json_node_get_string(v);
            json_object_set_int_member(o, "raw-len", (gint64)strlen(hex) / 2);
            g_autofree char *head = g_strndup(hex, raw_max);
            json_object_set_string_member(o, "raw", head);
            continue;
        }
        if (agent_data && !strcmp(k, "fields"))
            continue; /* its data is the raw bytes again */
        /* a field's text is cut shorter than the runner's own words */
        bool data = !strcmp(k, "fields") || !strcmp(k, "observed");
        json_object_set_member(o, k, bounded_copy(v, data ? STRING_MAX : 4 * STRING_MAX));
    }
    JsonNode *out = json_node_new(JSON_NODE_OBJECT);
    json_node_take_object(out, o);
    return out;
}

/* --- reading traces --------------------------------------------------------- */

typedef struct trace_view {
    JsonObject *header; /* owned, or NULL */
    JsonArray *events;  /* owned: page events, a {"kind":"gap"} where some were left out */
    GQueue tail;        /* JsonNode*: the last EVENTS_TAIL past the head, while adding */
    char *error;        /* why reading stopped early, located, or NULL */
    guint64 n_events;   /* in the trace */
} trace_view;

static void trace_view_clear(trace_view *v)
{
    if (v->header)
        json_object_unref(v->header);
    if (v->events)
        json_array_unref(v->events);
    g_queue_clear_full(&v->tail, (GDestroyNotify)json_node_unref);
    g_free(v->error);
}

/* One more event (borrowed): the first EVENTS_HEAD go in, then the last
   EVENTS_TAIL are kept until trace_view_end. */
static void trace_view_add(trace_view *v, JsonObject *ev)
{
    if (!v->events)
        v->events = json_array_new();
    v->n_events++;
    if (v->n_events <= EVENTS_HEAD) {
        json_array_add_element(v->events, page_event(ev));
        return;
    }
    g_queue_push_tail(&v->tail, page_event(ev));
    if (v->tail.length > EVENTS_TAIL)
        json_node_unref(g_queue_pop_head(&v->tail));
}

/* The events left out between the head and the tail as a gap, then the tail. */
static void trace_view_end(trace_view *v)
{
    if (!v->events)
        v->events = json_array_new();
    guint64 left_out = v->n_events - MIN(v->n_events, EVENTS_HEAD) - v->tail.length;
    if (left_out) {
        JsonObject *gap = json_object_new();
        json_object_set_string_member(gap, "kind", "gap");
        json_object_set_int_member(gap, "left-out", (gint64)left_out);
        json_array_add_object_element(v->events, gap);
    }
    JsonNode *n;
    while ((n = g_queue_pop_head(&v->tail)))
        json_array_add_element(v->events, n);
}

/* The trace at path. -1 when even its header cannot be read (v->error says
   why); a bad line later ends the events, said in v->error. */
static int read_trace(const char *path, trace_view *v)
{
    vds_err err = {0};
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    vds_trace_reader *r = vds_file_check(path, TRACE_MAX, "trace", &err) == 0
                              ? vds_trace_reader_open(path, &err)
                              : NULL;
    if (!r) {
        v->error = g_strdup(vds_err_str(&err, ebuf, sizeof(ebuf)));
        trace_view_end(v);
        return -1;
    }
    v->header = json_object_ref(vds_trace_reader_header(r));
    vds_trace_line l;
    int rc;
    while ((rc = vds_trace_reader_next(r, &l, &err)) > 0)
        trace_view_add(v, l.event);
    if (rc < 0)
        v->error = g_strdup(vds_err_str(&err, ebuf, sizeof(ebuf)));
    trace_view_end(v);
    vds_trace_reader_free(r);
    return 0;
}

/* step -> the golden's first reply gap in it (ms), from the golden's trace. */
static GHashTable *golden_gaps(const char *path)
{
    GHashTable *gaps = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    vds_err err = {0};
    vds_trace_reader *r = vds_file_check(path, TRACE_MAX, "golden", &err) == 0
                              ? vds_trace_reader_open(path, &err)
                              : NULL;
    vds_trace_line l;
    gint64 stim = 0;
    while (r && vds_trace_reader_next(r, &l, &err) > 0) {
        vds_event_role what = vds_trace_event_role(l.event);
        gint64 t = int_or(l.event, "t", 0);
        gint64 step = int_or(l.event, "step", 0);
        if (what == VDS_EV_STIMULUS)
            stim = t;
        else if (what == VDS_EV_REPLY && !g_hash_table_contains(gaps, GINT_TO_POINTER(step))) {
            double *ms = g_new(double, 1);
            *ms = (t - stim) / 1e6;
            g_hash_table_insert(gaps, GINT_TO_POINTER(step), ms);
        }
    }
    vds_trace_reader_free(r);
    return gaps;
}

/* --- paths and logs ------------------------------------------------------- */

/* How the page at out_dir links to path: relative under its directory, a
   file: URI elsewhere (new string). */
static char *link_to(const char *out_dir, const char *path)
{
    g_autofree char *abs = g_canonicalize_filename(path, NULL);
    size_t n = strlen(out_dir);
    if (!strncmp(abs, out_dir, n) && abs[n] == '/')
        return g_uri_escape_string(abs + n + 1, "/", FALSE);
    g_autofree char *uri = g_filename_to_uri(abs, NULL, NULL);
    return uri ? g_steal_pointer(&uri) : g_strdup(abs);
}

/* The log's lines around the agent's complaint (or its last lines) into
   {"link", "first", "lines", "hit"}: hit is the complaint's index, -1. */
static JsonObject *log_excerpt(const char *out_dir, const char *path, const char *said)
{
    g_autofree char *text = vds_file_read_all(path, LOG_MAX, "log", NULL, NULL);
    if (!text)
        return NULL;
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    gint n = (gint)g_strv_length(lines), hit = -1;
    while (n > 0 && !*lines[n - 1])
        n--;
    for (gint i = n - 1; said && i >= 0 && hit < 0; i--)
        if (strstr(lines[i], said))
            hit = i;
    gint from = hit >= 0 ? MAX(0, hit - LOG_CONTEXT) : MAX(0, n - 2 * LOG_CONTEXT);
    gint to = hit >= 0 ? MIN(n, hit + LOG_CONTEXT + 1) : n;
    JsonObject *o = json_object_new();
    g_autofree char *link = link_to(out_dir, path);
    json_object_set_string_member(o, "link", link);
    json_object_set_int_member(o, "first", from + 1);
    json_object_set_int_member(o, "hit", hit >= 0 ? hit - from : -1);
    JsonArray *a = json_array_new();
    for (gint i = from; i < to; i++) {
        g_autofree char *c = cut_text(lines[i], 4 * STRING_MAX);
        json_array_add_string_element(a, c);
    }
    json_object_set_array_member(o, "lines", a);
    return o;
}

/* --- a scenario's part ------------------------------------------------------ */

static void add_view(JsonObject *sc, trace_view *v, const char *link)
{
    if (link)
        json_object_set_string_member(sc, "trace-link", link);
    json_object_set_int_member(sc, "trace-events", (gint64)v->n_events);
    if (v->header)
        json_object_set_object_member(sc, "trace-header", json_object_ref(v->header));
    json_object_set_array_member(sc, "events", json_array_ref(v->events));
    if (v->error)
        json_object_set_string_member(sc, "trace-error", v->error);
}

static void add_trace(JsonObject *sc, const char *out_dir, const char *path)
{
    trace_view v = {0};
    read_trace(path, &v);
    g_autofree char *link = link_to(out_dir, path);
    add_view(sc, &v, link);
    trace_view_clear(&v);
}

/* The summary's latencies with their samples capped and the golden's gap. */
static void add_latencies(JsonObject *sc, JsonObject *from, const char *golden);

/* --- what the page takes from a summary: typed copies ---------------------- */

/* A summary may have been edited by hand or cut short: the page takes each
   member only when it has the type the script expects, so nothing in a
   summary can make the page's script fail. */
typedef enum vtype { T_STR, T_INT, T_NUM, T_BOOL, T_STRS, T_NUMS } vtype;

typedef struct member {
    const char *key;
    vtype type;
} member;

static bool value_of(JsonNode *n, GType want)
{
    return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == want;
}

static bool number(JsonNode *n)
{
    return value_of(n, G_TYPE_INT64) || value_of(n, G_TYPE_DOUBLE);
}

/* An array of the elements of a that are strings (or numbers), at most max. */
static JsonNode *array_of(JsonArray *a, bool numbers, guint max, guint *left_out)
{
    JsonArray *out = json_array_new();
    guint n = json_array_get_length(a), kept = 0;
    for (guint i = 0; i < n; i++) {
        JsonNode *e = json_array_get_element(a, i);
        if (numbers ? !number(e) : !value_of(e, G_TYPE_STRING))
            continue;
        if (kept++ < max)
            json_array_add_element(out, json_node_copy(e));
    }
    *left_out = kept > max ? kept - max : 0;
    JsonNode *node = json_node_new(JSON_NODE_ARRAY);
    json_node_take_array(node, out);
    return node;
}

/* A new object with those members of from (may be NULL) that have their type. */
static JsonObject *pick(JsonObject *from, const member *m)
{
    JsonObject *o = json_object_new();
    for (; from && m->key; m++) {
        JsonNode *n = json_object_get_member(from, m->key);
        bool ok = m->type == T_STR    ? value_of(n, G_TYPE_STRING)
                  : m->type == T_INT  ? value_of(n, G_TYPE_INT64)
                  : m->type == T_NUM  ? number(n)
                  : m->type == T_BOOL ? value_of(n, G_TYPE_BOOLEAN)
                                      : n && JSON_NODE_HOLDS_ARRAY(n);
        if (!ok)
            continue;
        if (m->type == T_STRS || m->type == T_NUMS) {
            guint left_out;
            json_object_set_member(
                o, m->key,
                array_of(json_node_get_array(n), m->type == T_NUMS, SAMPLES_MAX, &left_out));
            if (left_out) {
                g_autofree char *k = g_strconcat(m->key, "-left-out", NULL);
                json_object_set_int_member(o, k, left_out);
            }
        } else {
            json_object_set_member(o, m->key, json_node_copy(n));
        }
    }
    return o;
}

/* from's member key picked when it is an object, else NULL. */
static JsonObject *pick_object(JsonObject *from, const char *key, const member *m)
{
    JsonNode *n = json_object_get_member(from, key);
    return n && JSON_NODE_HOLDS_OBJECT(n) ? pick(json_node_get_object(n), m) : NULL;
}

static const member scenario_members[] = {{"run", T_INT},
                                          {"id", T_STR},
                                          {"file", T_STR},
                                          {"status", T_STR},
                                          {"passed", T_BOOL},
                                          {"failure", T_STR},
                                          {"failed-step", T_INT},
                                          {"agent-said", T_STR},
                                          {"steps-run", T_INT},
                                          {"wall-ms", T_NUM},
                                          {"setup-ms", T_NUM},
                                          {"golden", T_STR},
                                          {NULL, 0}};
static const member known_bug_members[] = {
    {"agent", T_STR}, {"ref", T_STR}, {"why", T_STR}, {NULL, 0}};
static const member runs_members[] = {
    {"n", T_INT},          {"judged", T_INT}, {"passed", T_INT},   {"pass-rate", T_NUM},
    {"wilson-95", T_NUMS}, {"flaky", T_BOOL}, {"outcomes", T_STR}, {NULL, 0}};
static const member not_passed_members[] = {
    {"run", T_INT}, {"status", T_STR}, {"failure", T_STR}, {"failed-step", T_INT}, {NULL, 0}};
static const member latency_members[] = {
    {"step", T_INT},   {"msg", T_STR},         {"n", T_INT},
    {"p50-ms", T_NUM}, {"p95-ms", T_NUM},      {"p99-ms", T_NUM},
    {"max-ms", T_NUM}, {"samples-ms", T_NUMS}, {NULL, 0}};

static void add_latencies(JsonObject *sc, JsonObject *from, const char *golden)
{
    JsonNode *lat = json_object_get_member(from, "latencies");
    if (!lat || !JSON_NODE_HOLDS_ARRAY(lat))
        return;
    g_autoptr(GHashTable) gaps = golden ? golden_gaps(golden) : NULL;
    JsonArray *out = json_array_new();
    JsonArray *a = json_node_get_array(lat);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *e = object_at(a, i);
        if (!e)
            continue;
        JsonObject *o = pick(e, latency_members);
        gint64 step = int_or(o, "step", 0);
        double *g = gaps ? g_hash_table_lookup(gaps, GINT_TO_POINTER(step)) : NULL;
        if (g)
            json_object_set_double_member(o, "golden-ms", *g);
        json_array_add_object_element(out, o);
    }
    json_object_set_array_member(sc, "latencies", out);
}

/* The runs of --repeat-run, with links to the failing runs' traces. */
static JsonObject *page_runs(JsonObject *s, const char *out_dir)
{
    JsonObject *runs = pick_object(s, "runs", runs_members);
    JsonNode *rn = runs ? json_object_get_member(s, "runs") : NULL;
    JsonNode *np = rn ? json_object_get_member(json_node_get_object(rn), "not-passed") : NULL;
    if (!runs || !np || !JSON_NODE_HOLDS_ARRAY(np))
        return runs;
    JsonArray *in = json_node_get_array(np), *out = json_array_new();
    for (guint i = 0; i < json_array_get_length(in); i++) {
        JsonObject *f = object_at(in, i);
        if (!f)
            continue;
        JsonObject *o = pick(f, not_passed_members);
        const char *t = vds_json_str(f, "trace", NULL);
        if (t) {
            g_autofree char *link = link_to(out_dir, t);
            json_object_set_string_member(o, "trace-link", link);
        }
        json_array_add_object_element(out, o);
    }
    json_object_set_array_member(runs, "not-passed", out);
    return runs;
}

/* Did the agent do what the scenario says in a run of this status? */
static bool passed_status(const char *status)
{
    return status && (!strcmp(status, "pass") || !strcmp(status, "xpass"));
}

/* Of many runs, the first kept run whose outcome differs from the one the
   page shows (a pass beside a failure), with its trace: {run, status,
   trace-link, events, ...}, or NULL. */
static JsonObject *page_contrast(JsonObject *s, const char *out_dir)
{
    JsonNode *rn = json_object_get_member(s, "runs");
    JsonNode *kn = rn && JSON_NODE_HOLDS_OBJECT(rn)
                       ? json_object_get_member(json_node_get_object(rn), "kept")
                       : NULL;
    if (!kn || !JSON_NODE_HOLDS_ARRAY(kn))
        return NULL;
    bool shown = passed_status(vds_json_str(s, "status", NULL));
    JsonArray *kept = json_node_get_array(kn);
    for (guint i = 0; i < json_array_get_length(kept); i++) {
        JsonObject *k = object_at(kept, i);
        const char *status = vds_json_str(k, "status", NULL);
        const char *trace = vds_json_str(k, "trace", NULL);
        if (!k || !status || !trace || !strcmp(status, "skip") || passed_status(status) == shown)
            continue;
        JsonObject *c = pick(k, not_passed_members);
        add_trace(c, out_dir, trace);
        return c;
    }
    return NULL;
}

static JsonObject *page_scenario(JsonObject *s, const char *out_dir)
{
    JsonObject *sc = pick(s, scenario_members);
    JsonObject *bug = pick_object(s, "known-bug", known_bug_members);
    if (bug)
        json_object_set_object_member(sc, "known-bug", bug);
    JsonObject *runs = page_runs(s, out_dir);
    if (runs)
        json_object_set_object_member(sc, "runs", runs);
    const char *trace = vds_json_str(s, "trace", NULL);
    if (trace)
        add_trace(sc, out_dir, trace);
    JsonObject *contrast = page_contrast(s, out_dir);
    if (contrast)
        json_object_set_object_member(sc, "contrast", contrast);
    add_latencies(sc, s, vds_json_str(s, "golden", NULL));
    const char *logs = vds_json_str(s, "logs", NULL);
    JsonObject *log = logs ? log_excerpt(out_dir, logs, vds_json_str(s, "agent-said", NULL)) : NULL;
    if (log)
        json_object_set_object_member(sc, "log", log);
    return sc;
}

/* --- the page ---------------------------------------------------------------- */

static GBytes *asset(const char *name, vds_err *err)
{
    g_autofree char *path = g_strconcat("/org/vdsim/report/", name, NULL);
    g_autoptr(GError) gerr = NULL;
    GBytes *b = g_resource_lookup_data(vds_page_get_resource(), path, 0, &gerr);
    if (!b)
        vds_err_set(err, VDS_ERR_IO, path, "%s", gerr->message);
    return b;
}

/* The data as JSON that a <script> element holds as it is: every '<' escaped
   (JSON has none outside strings), so no "</script>" or "<!--" ends it. */
static void append_data(GString *page, JsonObject *data)
{
    g_autoptr(JsonNode) root = json_node_new(JSON_NODE_OBJECT);
    json_node_set_object(root, data);
    g_autofree char *text = json_to_string(root, FALSE);
    for (const char *p = text; *p; p++) {
        if (*p == '<')
            g_string_append(page, "\\u003c");
        else
            g_string_append_c(page, *p);
    }
}

static int write_page(JsonObject *data, const char *title, const char *out_path, vds_err *err)
{
    g_autoptr(GBytes) css = asset("report.css", err);
    g_autoptr(GBytes) js = css ? asset("report.js", err) : NULL;
    if (!js)
        return -1;
    g_autoptr(GString) page =
        g_string_new("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                     "<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width\">\n");
    g_autofree char *t = g_markup_escape_text(title, -1);
    g_string_append_printf(page, "<title>%s</title>\n<style>\n", t);
    g_string_append_len(page, g_bytes_get_data(css, NULL), (gssize)g_bytes_get_size(css));
    g_string_append(page, "</style>\n</head>\n<body>\n"
                          "<noscript>This page draws the report with JavaScript. The same results "
                          "are in summary.json and the traces beside it.</noscript>\n"
                          "<div id=\"app\"></div>\n"
                          "<script type=\"application/json\" id=\"vdsim-data\">");
    append_data(page, data);
    g_string_append(page, "</script>\n<script>\n");
    g_string_append_len(page, g_bytes_get_data(js, NULL), (gssize)g_bytes_get_size(js));
    g_string_append(page, "</script>\n</body>\n</html>\n");
    return vds_file_write(out_path, page->str, page->len, err);
}

/* The page's directory, absolute: links are made relative to it. */
static char *out_dir_of(const char *out_path)
{
    g_autofree char *abs = g_canonicalize_filename(out_path, NULL);
    return g_path_get_dirname(abs);
}

static const member run_members[] = {
    {"target", T_STR},           {"target-info", T_STR},  {"agent", T_STR},
    {"agent-version", T_STR},    {"host", T_STR},         {"started", T_STR},
    {"wall-ms", T_NUM},          {"interrupted", T_BOOL}, {"not-run", T_STRS},
    {"repeat-run", T_INT},       {"until-fail", T_BOOL},  {"stopped-at-first-failure", T_BOOL},
    {"results-not-kept", T_STR}, {"peak-rss-kib", T_INT}, {NULL, 0}};
static const member verdict_members[] = {{"result", T_STR}, {"detail", T_STR}, {NULL, 0}};

int vds_report_html_run(const char *report_dir, const char *out_path, vds_err *err)
{
    g_autoptr(JsonNode) root = vds_summary_load(report_dir, err);
    if (!root)
        return -1;
    JsonObject *sum = json_node_get_object(root);
    g_autofree char *out_dir = out_dir_of(out_path);
    JsonObject *data = json_object_new();
    JsonObject *run = pick(sum, run_members);
    JsonObject *verdict = pick_object(sum, "verdict", verdict_members);
    if (verdict)
        json_object_set_object_member(run, "verdict", verdict);
    g_autofree char *summary = g_build_filename(report_dir, "summary.json", NULL);
    g_autofree char *summary_link = link_to(out_dir, summary);
    json_object_set_string_member(run, "summary-link", summary_link);
    json_object_set_object_member(data, "run", run);
    JsonArray *out = json_array_new();
    JsonArray *a = json_object_get_array_member(sum, "scenarios");
    for (guint i = 0; i < json_array_get_length(a); i++)
        json_array_add_object_element(out,
                                      page_scenario(json_array_get_object_element(a, i), out_dir));
    json_object_set_array_member(data, "scenarios", out);
    g_autofree char *title =
        g_strdup_printf("vdsim: %s on %s", vds_json_str(sum, "agent-version", "agent"),
                        vds_json_str(sum, "target", "?"));
    int rc = write_page(data, title, out_path, err);
    json_object_unref(data);
    return rc;
}

/* The replies of a trace timed from the stimulus before each, by message:
   what a summary's latencies say for a run. */
static JsonArray *trace_latencies(JsonArray *events)
{
    g_autoptr(GHashTable) by_type = g_hash_table_new(g_str_hash, g_str_equal);
    JsonArray *out = json_array_new();
    gint64 stim = -1;
    for (guint i = 0; i < json_array_get_length(events); i++) {
        JsonObject *e = json_array_get_object_element(events, i);
        vds_event_role what = vds_trace_event_role(e);
        gint64 t = int_or(e, "t", 0);
        if (what == VDS_EV_STIMULUS)
            stim = t;
        const char *type = vds_json_str(e, "type", NULL);
        if (what != VDS_EV_REPLY || stim < 0 || !type)
            continue;
        JsonObject *l = g_hash_table_lookup(by_type, type);
        if (!l) {
            l = json_object_new();
            json_object_set_string_member(l, "msg", type);
            json_object_set_int_member(l, "step", 0);
            json_object_set_array_member(l, "samples-ms", json_array_new());
            json_array_add_object_element(out, l);
            /* the key is the member's own copy */
            g_hash_table_insert(by_type, (gpointer)vds_json_str(l, "msg", ""), l);
        }
        JsonArray *s = json_object_get_array_member(l, "samples-ms");
        if (json_array_get_length(s) < SAMPLES_MAX)
            json_array_add_double_element(s, (t - stim) / 1e6);
    }
    return out;
}

/* The page of one trace's events (a view with its header). */
static int view_page(trace_view *v, const char *name, const char *link, const char *out_path,
                     vds_err *err)
{
    JsonObject *data = json_object_new();
    JsonObject *run = json_object_new();
    json_object_set_string_member(run, "source", vds_json_str(v->header, "source", name));
    json_object_set_string_member(run, "target", vds_json_str(v->header, "target", "none"));
    json_object_set_string_member(run, "agent-version",
                                  vds_json_str(v->header, "agent-version", "unknown"));
    json_object_set_string_member(run, "host", vds_json_str(v->header, "host", ""));
    json_object_set_string_member(run, "started", vds_json_str(v->header, "created", ""));
    json_object_set_object_member(data, "run", run);
    JsonObject *sc = json_object_new();
    json_object_set_string_member(sc, "id", name);
    json_object_set_string_member(sc, "status", "trace");
    add_view(sc, v, link);
    json_object_set_array_member(sc, "latencies", trace_latencies(v->events));
    JsonArray *list = json_array_new();
    json_array_add_object_element(list, sc);
    json_object_set_array_member(data, "scenarios", list);
    g_autofree char *title = g_strdup_printf("vdsim: %s", name);
    int rc = write_page(data, title, out_path, err);
    json_object_unref(data);
    return rc;
}

int vds_report_html_trace(const char *trace_path, const char *out_path, vds_err *err)
{
    trace_view v = {0};
    if (read_trace(trace_path, &v) < 0) {
        vds_err_set(err, VDS_ERR_PARSE, NULL, "%s", v.error);
        trace_view_clear(&v);
        return -1;
    }
    g_autofree char *out_dir = out_dir_of(out_path);
    g_autofree char *link = link_to(out_dir, trace_path);
    g_autofree char *base = g_path_get_basename(trace_path);
    int rc = view_page(&v, base, link, out_path, err);
    trace_view_clear(&v);
    return rc;
}

int vds_report_html_events(const char *name, JsonObject *header, GPtrArray *events,
                           const char *out_path, vds_err *err)
{
    trace_view v = {.header = json_object_ref(header)};
    for (guint i = 0; i < events->len; i++)
        trace_view_add(&v, events->pdata[i]);
    trace_view_end(&v);
    int rc = view_page(&v, name, NULL, out_path, err);
    trace_view_clear(&v);
    return rc;
}

int vds_report_html_differential(const char *report_dir, const char *out_path, vds_err *err)
{
    g_autofree char *path = g_build_filename(report_dir, "differential.json", NULL);
    size_t len = 0;
    g_autofree char *text = vds_file_read_all(path, VDS_SUMMARY_MAX, "differential", &len, err);
    if (!text)
        return -1;
    g_autoptr(JsonParser) p = json_parser_new();
    g_autoptr(GError) gerr = NULL;
    if (!json_parser_load_from_data(p, text, (gssize)len, &gerr))
        return vds_err_set(err, VDS_ERR_PARSE, path, "not JSON: %s", gerr->message);
    JsonNode *root = json_parser_get_root(p);
    JsonObject *top = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
    JsonNode *pairs = top ? json_object_get_member(top, "pairs") : NULL;
    if (!pairs || !JSON_NODE_HOLDS_ARRAY(pairs))
        return vds_err_set(err, VDS_ERR_PARSE, path, "not a differential: no 'pairs' array");
    g_autofree char *out_dir = out_dir_of(out_path);
    JsonObject *data = json_object_new();
    json_object_set_member(data, "differential", json_node_copy(pairs));
    /* each target's own page, where its scenarios' ladders are */
    JsonObject *pages = json_object_new();
    JsonArray *a = json_node_get_array(pairs);
    for (guint i = 0; i < json_array_get_length(a); i++) {
        JsonObject *pair = object_at(a, i);
        static const char *const sides[] = {"a", "b"};
        for (size_t k = 0; pair && k < G_N_ELEMENTS(sides); k++) {
            const char *target = vds_json_str(pair, sides[k], NULL);
            if (!target || json_object_has_member(pages, target))
                continue;
            g_autofree char *dir = vds_differential_report_dir(report_dir, target);
            g_autofree char *page = g_build_filename(dir, "index.html", NULL);
            g_autofree char *link = link_to(out_dir, page);
            json_object_set_string_member(pages, target, link);
        }
    }
    json_object_set_object_member(data, "pages", pages);
    g_autofree char *link = link_to(out_dir, path);
    JsonObject *run = json_object_new();
    json_object_set_string_member(run, "summary-link", link);
    json_object_set_object_member(data, "run", run);
    json_object_set_array_member(data, "scenarios", json_array_new());
    int rc = write_page(data, "vdsim: differential", out_path, err);
    json_object_unref(data);
    return rc;
}
