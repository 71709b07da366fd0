#include "report/report.h"

#include <errno.h>
#include <string.h>

#include "core/file.h"
#include "trace/trace.h"

static int cmp_u64(gconstpointer a, gconstpointer b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct(GArray *sorted, double p)
{
    guint n = sorted->len;
    guint i = (guint)(p / 100.0 * (n - 1) + 0.5);
    return g_array_index(sorted, uint64_t, MIN(i, n - 1)) / 1e6;
}

static char *latency_text(const vds_latency *l)
{
    g_autoptr(GArray) s = g_array_copy(l->ns);
    g_array_sort(s, cmp_u64);
    if (s->len == 1)
        return g_strdup_printf("%s %.1f ms", l->what, pct(s, 50));
    return g_strdup_printf("%s n=%u p50 %.1f p95 %.1f p99 %.1f max %.1f ms", l->what, s->len,
                           pct(s, 50), pct(s, 95), pct(s, 99), pct(s, 100));
}

static const char *status_word(vds_status s)
{
    switch (s) {
    case VDS_PASS:
        return "PASS";
    case VDS_FAIL:
    case VDS_ERROR:
        return "FAIL";
    case VDS_SKIP:
        return "SKIP";
    case VDS_XFAIL:
        return "XFAIL";
    case VDS_XPASS:
        return "XPASS";
    }
    return "?";
}

static const char *const status_keys[] = {"pass", "fail", "error", "skip", "xfail", "xpass"};

/* Does this result leave the run green? PASS, SKIP, XFAIL, and XPASS unless
   the run is strict. */
static bool run_ok(const vds_run_result *run, const vds_scenario_result *res)
{
    return res->status == VDS_PASS || res->status == VDS_SKIP || res->status == VDS_XFAIL ||
           (res->status == VDS_XPASS && !run->strict);
}

typedef struct console {
    FILE *out;
    bool verbose;
} console;

static void on_scenario(void *user, const vds_run_result *run, const vds_scenario_result *res)
{
    FILE *out = ((console *)user)->out;
    GString *lat = g_string_new(NULL);
    for (guint i = 0; i < res->latencies->len; i++) {
        g_autofree char *l = latency_text(res->latencies->pdata[i]);
        g_string_append_printf(lat, "%s%s", i ? "; " : "", l);
    }
    fprintf(out, "%s %-40s %u steps %6.2f s%s%s%s\n", status_word(res->status), res->s->id,
            res->steps_run, res->wall_ns / 1e9, lat->len ? "  (" : "", lat->str,
            lat->len ? ")" : "");
    if (res->status != VDS_PASS && res->failure)
        fprintf(out, "  %s\n", res->failure);
    if (res->status != VDS_PASS && res->agent_said)
        fprintf(out, "  the agent logged: %s\n", res->agent_said);
    for (guint i = 0; res->notes && i < res->notes->len; i++)
        fprintf(out, "  note: %s\n", (char *)res->notes->pdata[i]);
    if (run->results->len == 1 && run->target_info)
        fprintf(out, "  target: %s\n", run->target_info);
    g_string_free(lat, TRUE);
    fflush(out);
}

static void on_event(void *user, JsonObject *ev)
{
    console *c = user;
    if (!c->verbose)
        return;
    g_autofree char *line = vds_trace_event_text(ev);
    fprintf(c->out, "    %s\n", line);
}

static void on_notice(void *user, const char *text)
{
    fprintf(((console *)user)->out, "%s\n", text);
}

vds_run_observer vds_report_console(FILE *out, bool verbose)
{
    static console c; /* one console per process: the observer outlives the call */
    c.out = out;
    c.verbose = verbose;
    return (vds_run_observer){on_scenario, on_event, on_notice, &c};
}

void vds_report_console_totals(FILE *out, const vds_run_result *r, const char *report_dir,
                               const char *junit_path)
{
    unsigned failed = vds_run_result_count(r, VDS_FAIL) + vds_run_result_count(r, VDS_ERROR);
    unsigned skipped = vds_run_result_count(r, VDS_SKIP);
    unsigned not_run = r->total - r->results->len;
    fprintf(out, "%u passed, %u failed", vds_run_result_count(r, VDS_PASS), failed);
    unsigned xfail = vds_run_result_count(r, VDS_XFAIL), xpass = vds_run_result_count(r, VDS_XPASS);
    if (xfail)
        fprintf(out, ", %u xfail (known agent bugs)", xfail);
    if (xpass)
        fprintf(out, ", %u xpass (known bugs that no longer reproduce%s)", xpass,
                r->strict ? ": failures under --strict" : "");
    if (skipped)
        fprintf(out, ", %u skipped (not for target %s)", skipped, r->target_kind);
    if (not_run)
        fprintf(out, " (%u not run: interrupted)", not_run);
    else if (r->interrupted)
        fprintf(out, " (interrupted)");
    if (r->lost)
        fprintf(out, "\nresults not kept: %s", r->lost);
    fprintf(out, "\nresults: %s/summary.json  traces: %s/traces/%s%s\n", report_dir, report_dir,
            junit_path ? "  junit: " : "", junit_path ? junit_path : "");
    fflush(out);
}

static void member_str(JsonBuilder *b, const char *key, const char *v)
{
    json_builder_set_member_name(b, key);
    json_builder_add_string_value(b, v);
}

static void member_int(JsonBuilder *b, const char *key, gint64 v)
{
    json_builder_set_member_name(b, key);
    json_builder_add_int_value(b, v);
}

static void member_double(JsonBuilder *b, const char *key, double v)
{
    json_builder_set_member_name(b, key);
    json_builder_add_double_value(b, v);
}

static void add_latencies(JsonBuilder *b, const vds_scenario_result *res)
{
    json_builder_set_member_name(b, "latencies");
    json_builder_begin_array(b);
    for (guint j = 0; j < res->latencies->len; j++) {
        vds_latency *l = res->latencies->pdata[j];
        g_autoptr(GArray) s = g_array_copy(l->ns);
        g_array_sort(s, cmp_u64);
        json_builder_begin_object(b);
        member_int(b, "step", l->step);
        member_str(b, "msg", l->what);
        member_int(b, "n", s->len);
        static const double ps[] = {50, 95, 99, 100};
        static const char *const names[] = {"p50-ms", "p95-ms", "p99-ms", "max-ms"};
        for (int k = 0; k < 4; k++) {
            member_double(b, names[k], pct(s, ps[k]));
        }
        /* every sample, in run order: what vdsim compare tests */
        json_builder_set_member_name(b, "samples-ms");
        json_builder_begin_array(b);
        for (guint k = 0; k < l->ns->len; k++)
            json_builder_add_double_value(b, g_array_index(l->ns, uint64_t, k) / 1e6);
        json_builder_end_array(b);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

static void add_scenario(JsonBuilder *b, const vds_run_result *run, const vds_scenario_result *res)
{
    json_builder_begin_object(b);
    member_str(b, "id", res->s->id);
    member_str(b, "file", res->s->file);
    member_str(b, "status", status_keys[res->status]);
    json_builder_set_member_name(b, "passed"); /* it does not fail the run */
    json_builder_add_boolean_value(b, run_ok(run, res));
    if (res->known_bug) {
        json_builder_set_member_name(b, "known-bug");
        json_builder_begin_object(b);
        member_str(b, "agent", res->known_bug->agent);
        member_str(b, "ref", res->known_bug->ref);
        member_str(b, "why", res->known_bug->why);
        json_builder_end_object(b);
    }
    if (res->status == VDS_SKIP) {
        json_builder_set_member_name(b, "skipped");
        json_builder_add_boolean_value(b, true);
    }
    member_int(b, "steps-run", res->steps_run);
    member_double(b, "wall-ms", res->wall_ns / 1e6);
    member_double(b, "setup-ms", res->setup_ns / 1e6);
    if (res->failure) {
        member_str(b, "failure", res->failure);
    }
    if (res->agent_said) {
        member_str(b, "agent-said", res->agent_said);
    }
    if (res->trace_path) {
        member_str(b, "trace", res->trace_path);
    }
    add_latencies(b, res);
    json_builder_end_object(b);
}

int vds_report_summary(const vds_run_result *r, const char *report_dir, vds_err *err)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    member_str(b, "target", r->target);
    member_int(b, "peak-rss-kib", r->peak_rss_kib);
    member_str(b, "target-info", r->target_info ? r->target_info : "");
    member_str(b, "agent", r->agent ? r->agent : "");
    member_str(b, "agent-version", r->agent_version ? r->agent_version : "unknown");
    json_builder_set_member_name(b, "interrupted");
    json_builder_add_boolean_value(b, r->interrupted);
    if (r->interrupted) {
        member_double(b, "interrupted-at-ms", r->interrupted_ns / 1e6);
        json_builder_set_member_name(b, "not-run");
        json_builder_begin_array(b);
        for (guint i = r->results->len; r->scenarios && i < r->scenarios->len; i++)
            json_builder_add_string_value(b, ((vds_scenario *)r->scenarios->pdata[i])->id);
        json_builder_end_array(b);
    }
    if (r->lost)
        member_str(b, "results-not-kept", r->lost);
    if (r->verdict) {
        json_builder_set_member_name(b, "verdict");
        json_builder_begin_object(b);
        member_str(b, "result", r->verdict);
        member_str(b, "detail", r->verdict_detail ? r->verdict_detail : "");
        json_builder_end_object(b);
    }
    json_builder_set_member_name(b, "scenarios");
    json_builder_begin_array(b);
    for (guint i = 0; i < r->results->len; i++)
        add_scenario(b, r, r->results->pdata[i]);
    json_builder_end_array(b);
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autofree char *text = json_to_string(root, TRUE);
    g_autofree char *path = g_build_filename(report_dir, "summary.json", NULL);
    return vds_file_write(path, text, strlen(text), err);
}

static void junit_case(GString *f, const vds_run_result *run, const vds_scenario_result *res)
{
    g_autofree char *id = g_markup_escape_text(res->s->id, -1);
    g_autofree char *family = g_path_get_dirname(res->s->id);
    g_autofree char *cls = g_markup_escape_text(family, -1);
    g_autofree char *file = g_markup_escape_text(res->s->file, -1);
    g_string_append_printf(f,
                           "  <testcase classname=\"%s\" name=\"%s\" file=\"%s\" time=\"%.3f\">\n",
                           cls, id, file, res->wall_ns / 1e9);
    if (res->status == VDS_XFAIL) { /* as pytest writes an xfail */
        g_autofree char *m = g_markup_printf_escaped(
            "expected failure: known bug (agent %s): %s (%s): %s", res->known_bug->agent,
            res->known_bug->why, res->known_bug->ref, res->failure ? res->failure : "failed");
        g_string_append_printf(f, "    <skipped type=\"xfail\" message=\"%s\"/>\n", m);
    } else if (res->status == VDS_XPASS && !run->strict) {
        g_autofree char *m = g_markup_escape_text(res->failure, -1);
        g_string_append_printf(f, "    <system-out>XPASS: %s</system-out>\n", m);
    } else if (res->status != VDS_PASS) {
        g_autofree char *m = g_markup_escape_text(res->failure ? res->failure : "failed", -1);
        g_string_append_printf(f, "    <%s message=\"%s\"/>\n",
                               res->status == VDS_SKIP ? "skipped" : "failure", m);
    }
    if (res->logs) {
        g_autofree char *l = g_markup_escape_text(res->logs, -1);
        g_string_append_printf(f, "    <system-err>%s</system-err>\n", l);
    }
    g_string_append_printf(f, "  </testcase>\n");
}

/* The scenarios an interrupted run did not get to, as skipped cases. */
static void junit_not_run(GString *f, const vds_run_result *r)
{
    g_autofree char *why =
        g_strdup_printf("not run: the run was interrupted after %.1f s", r->interrupted_ns / 1e9);
    for (guint i = r->results->len; r->scenarios && i < r->scenarios->len; i++) {
        const vds_scenario *s = r->scenarios->pdata[i];
        g_autofree char *id = g_markup_escape_text(s->id, -1);
        g_autofree char *family = g_path_get_dirname(s->id);
        g_autofree char *cls = g_markup_escape_text(family, -1);
        g_autofree char *file = g_markup_escape_text(s->file, -1);
        g_string_append_printf(f,
                               "  <testcase classname=\"%s\" name=\"%s\" file=\"%s\" time=\"0\">\n"
                               "    <skipped message=\"%s\"/>\n  </testcase>\n",
                               cls, id, file, why);
    }
}

int vds_report_junit(const vds_run_result *r, const char *path, vds_err *err)
{
    unsigned failures = vds_run_result_count(r, VDS_FAIL) + vds_run_result_count(r, VDS_ERROR);
    unsigned skipped = vds_run_result_count(r, VDS_SKIP) + vds_run_result_count(r, VDS_XFAIL);
    unsigned total = r->scenarios ? r->scenarios->len : r->results->len;
    if (r->strict)
        failures += vds_run_result_count(r, VDS_XPASS);
    skipped += total - r->results->len; /* not run */
    g_autoptr(GString) f = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    g_autofree char *target = g_markup_escape_text(r->target, -1);
    g_string_append_printf(f,
                           "<testsuite name=\"vdsim %s\" tests=\"%u\" failures=\"%u\" "
                           "skipped=\"%u\" time=\"%.3f\">\n",
                           target, total, failures, skipped, r->wall_ns / 1e9);
    g_string_append_printf(f, "  <properties>\n    <property name=\"interrupted\" value=\"%s\"/>\n",
                           r->interrupted ? "true" : "false");
    g_autofree char *agent = g_markup_escape_text(r->agent ? r->agent : "", -1);
    g_autofree char *version =
        g_markup_escape_text(r->agent_version ? r->agent_version : "unknown", -1);
    g_string_append_printf(f,
                           "    <property name=\"agent\" value=\"%s\"/>\n"
                           "    <property name=\"agent-version\" value=\"%s\"/>\n",
                           agent, version);
    if (r->interrupted)
        g_string_append_printf(f, "    <property name=\"interrupted-at-s\" value=\"%.3f\"/>\n",
                               r->interrupted_ns / 1e9);
    if (r->lost) {
        g_autofree char *lost = g_markup_escape_text(r->lost, -1);
        g_string_append_printf(f, "    <property name=\"results-not-kept\" value=\"%s\"/>\n", lost);
    }
    g_string_append(f, "  </properties>\n");
    for (guint i = 0; i < r->results->len; i++)
        junit_case(f, r, r->results->pdata[i]);
    if (r->interrupted)
        junit_not_run(f, r);
    g_string_append(f, "</testsuite>\n");
    return vds_file_write(path, f->str, f->len, err);
}
