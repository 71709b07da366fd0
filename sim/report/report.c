#include "report/report.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
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

/* Every vds_latency of runs (vds_scenario_result*), merged by step and
   message: each run's samples after the run before's (new vds_latency*,
   their what borrowed). */
static GPtrArray *merged_latencies(GPtrArray *runs)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)vds_latency_free);
    for (guint i = 0; i < runs->len; i++) {
        const vds_scenario_result *res = runs->pdata[i];
        for (guint j = 0; res->latencies && j < res->latencies->len; j++) {
            const vds_latency *l = res->latencies->pdata[j];
            vds_latency *m = NULL;
            for (guint k = 0; k < out->len && !m; k++) {
                vds_latency *o = out->pdata[k];
                if (o->step == l->step && strcmp(o->what, l->what) == 0)
                    m = o;
            }
            if (!m) {
                m = g_new0(vds_latency, 1);
                m->step = l->step;
                m->what = l->what;
                m->ns = g_array_new(FALSE, FALSE, sizeof(uint64_t));
                g_ptr_array_add(out, m);
            }
            g_array_append_vals(m->ns, l->ns->data, l->ns->len);
        }
    }
    return out;
}

static char *latencies_text(GPtrArray *lats)
{
    GString *lat = g_string_new(NULL);
    for (guint i = 0; i < lats->len; i++) {
        g_autofree char *l = latency_text(lats->pdata[i]);
        g_string_append_printf(lat, "%s%s", i ? "; " : "", l);
    }
    return g_string_free(lat, FALSE);
}

/* How often a scenario of many runs passed: "97/100 passed (95 % CI 91.5-99.0 %)". */
static char *rate_text(const vds_result_group *g)
{
    return g_strdup_printf("%u/%u passed (95 %% CI %.1f-%.1f %%)", g->passed, g->judged,
                           100 * g->rate_lo, 100 * g->rate_hi);
}

/* The progress line's longest: one terminal line, so \r can take it back. */
#define PROGRESS_COLS 79
/* Without a terminal, a progress line this often (VDSIM_PROGRESS_SECONDS). */
#define PROGRESS_EVERY_S 30

typedef struct console {
    FILE *out;
    bool verbose;
    bool tty;        /* stderr is a terminal: a progress line rewritten in place */
    bool shown;      /* it is on the screen */
    uint64_t t0;     /* the first scenario's start */
    uint64_t said;   /* the last plain progress line */
    uint64_t every;  /* ns between plain progress lines */
    unsigned failed; /* runs that failed the run so far */
} console;

static console the_console; /* one console per process: the observer outlives the call */

static void progress_clear(console *c)
{
    if (!c->shown)
        return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    c->shown = false;
}

/* ", about 3 min left" from the runs done so far, or "" before the first:
   what is left of this scenario's runs and every scenario not begun (an
   upper bound with --until-fail, or when scenarios are skipped). */
static char *time_left(const vds_run_result *run, unsigned run_no, double elapsed)
{
    unsigned done = run->results->len;
    if (!done)
        return g_strdup("");
    double left_runs = (double)(run->repeat_run - run_no + 1) +
                       (double)(run->total - run->started) * run->repeat_run;
    double secs = elapsed / done * left_runs;
    if (secs >= 120)
        return g_strdup_printf(", about %.0f min left", secs / 60);
    return g_strdup_printf(", about %.0f s left", secs);
}

static void on_begin(void *user, const vds_run_result *run, const vds_scenario *s, unsigned run_no)
{
    console *c = user;
    uint64_t now = vds_clock_now_ns();
    if (!c->t0)
        c->t0 = c->said = now;
    g_autofree char *runs =
        run->repeat_run > 1 ? g_strdup_printf(", run %u of %u", run_no, run->repeat_run) : NULL;
    double elapsed = (now - c->t0) / 1e9;
    g_autofree char *left = time_left(run, run_no, elapsed);
    if (c->tty) {
        g_autofree char *line =
            g_strdup_printf("[%u/%u%s] %.0f s%s, %u failed: %s", run->started, run->total,
                            runs ? runs : "", elapsed, left, c->failed, s->id);
        if (g_utf8_strlen(line, -1) > PROGRESS_COLS)
            *g_utf8_offset_to_pointer(line, PROGRESS_COLS) = 0;
        fprintf(stderr, "\r\033[K%s", line);
        fflush(stderr);
        c->shown = true;
    } else if (now - c->said >= c->every) {
        fprintf(c->out, "progress: scenario %u of %u%s, %.0f s%s, %u failed\n", run->started,
                run->total, runs ? runs : "", elapsed, left, c->failed);
        fflush(c->out);
        c->said = now;
    }
}

static void print_result(FILE *out, const char *word, const char *id, const char *runs,
                         const vds_scenario_result *res, GPtrArray *lats, uint64_t wall_ns)
{
    g_autofree char *lat = latencies_text(lats);
    fprintf(out, "%s %-40s%s %u steps %6.2f s%s%s%s\n", word, id, runs ? runs : "", res->steps_run,
            wall_ns / 1e9, *lat ? "  (" : "", lat, *lat ? ")" : "");
    if (res->status != VDS_PASS && res->failure)
        fprintf(out, "  %s\n", res->failure);
    if (res->status != VDS_PASS && res->agent_said)
        fprintf(out, "  the agent logged: %s\n", res->agent_said);
    for (guint i = 0; res->notes && i < res->notes->len; i++)
        fprintf(out, "  note: %s\n", (char *)res->notes->pdata[i]);
}

/* Under --repeat-run: a failing run as it happens, and the scenario's line
   when its runs are done. */
static void on_repeated(console *c, const vds_run_result *run, const vds_scenario_result *res)
{
    if (!vds_result_ok(run, res)) {
        g_autofree char *runs = g_strdup_printf(" run %u", res->run_no);
        g_autoptr(GPtrArray) none = g_ptr_array_new();
        print_result(c->out, status_word(res->status), res->s->id, runs, res, none, res->wall_ns);
    }
    if (!res->last_run)
        return;
    vds_result_group *g = vds_result_group_last(run);
    g_autoptr(GPtrArray) lats = merged_latencies(g->runs);
    g_autofree char *lat = latencies_text(lats);
    g_autofree char *rate = rate_text(g);
    uint64_t wall = 0;
    for (guint i = 0; i < g->runs->len; i++)
        wall += ((vds_scenario_result *)g->runs->pdata[i])->wall_ns;
    fprintf(c->out, "%s %-40s %s, %.2f s%s%s%s\n", g->flaky ? "FLAKY" : status_word(g->status),
            g->s->id, rate, wall / 1e9, *lat ? "  (" : "", lat, *lat ? ")" : "");
    if (g->status == VDS_SKIP && g->first->failure)
        fprintf(c->out, "  %s\n", g->first->failure);
    vds_result_group_free(g);
}

static void on_scenario(void *user, const vds_run_result *run, const vds_scenario_result *res)
{
    console *c = user;
    progress_clear(c);
    c->failed += !vds_result_ok(run, res);
    if (run->repeat_run > 1) {
        on_repeated(c, run, res);
    } else {
        print_result(c->out, status_word(res->status), res->s->id, NULL, res, res->latencies,
                     res->wall_ns);
        if (run->results->len == 1 && run->target_info)
            fprintf(c->out, "  target: %s\n", run->target_info);
    }
    fflush(c->out);
}

static void on_event(void *user, JsonObject *ev)
{
    console *c = user;
    if (!c->verbose)
        return;
    progress_clear(c);
    g_autofree char *line = vds_trace_event_text(ev);
    fprintf(c->out, "    %s\n", line);
}

static void on_notice(void *user, const char *text)
{
    console *c = user;
    progress_clear(c);
    fprintf(c->out, "%s\n", text);
}

vds_run_observer vds_report_console(FILE *out, bool verbose)
{
    const char *every = g_getenv("VDSIM_PROGRESS_SECONDS");
    guint64 secs = PROGRESS_EVERY_S;
    if (every && !g_ascii_string_to_unsigned(every, 10, 0, 86400, &secs, NULL))
        secs = PROGRESS_EVERY_S; /* not a number of seconds: the default */
    the_console = (console){.out = out,
                            .verbose = verbose,
                            .tty = isatty(STDERR_FILENO),
                            .every = secs * 1000000000ull};
    return (vds_run_observer){.begin = on_begin,
                              .scenario = on_scenario,
                              .event = on_event,
                              .notice = on_notice,
                              .user = &the_console};
}

/* Scenarios by the status of their runs (the worst run's). */
static unsigned count_groups(GPtrArray *groups, vds_status st)
{
    unsigned n = 0;
    for (guint i = 0; i < groups->len; i++)
        n += ((vds_result_group *)groups->pdata[i])->status == st;
    return n;
}

void vds_report_console_totals(FILE *out, const vds_run_result *r, const char *report_dir,
                               const char *junit_path)
{
    progress_clear(&the_console);
    g_autoptr(GPtrArray) groups = vds_result_groups(r);
    unsigned failed = count_groups(groups, VDS_FAIL) + count_groups(groups, VDS_ERROR);
    unsigned skipped = count_groups(groups, VDS_SKIP);
    unsigned not_run = r->total - r->started;
    fprintf(out, "%u passed, %u failed", count_groups(groups, VDS_PASS), failed);
    unsigned xfail = count_groups(groups, VDS_XFAIL), xpass = count_groups(groups, VDS_XPASS);
    if (xfail)
        fprintf(out, ", %u xfail (known agent bugs)", xfail);
    if (xpass)
        fprintf(out, ", %u xpass (known bugs that no longer reproduce%s)", xpass,
                r->strict ? ": failures under --strict" : "");
    if (skipped)
        fprintf(out, ", %u skipped (not for target %s)", skipped, r->target_kind);
    if (r->repeat_run > 1) {
        unsigned flaky = 0;
        for (guint i = 0; i < groups->len; i++)
            flaky += ((vds_result_group *)groups->pdata[i])->flaky;
        fprintf(out, "; %u run%s, %u failed, %u flaky scenario%s", r->results->len,
                r->results->len == 1 ? "" : "s",
                vds_run_result_count(r, VDS_FAIL) + vds_run_result_count(r, VDS_ERROR), flaky,
                flaky == 1 ? "" : "s");
    }
    if (not_run)
        fprintf(out, " (%u not run: %s)", not_run,
                r->stopped ? "stopped at the first failure" : "interrupted");
    else if (r->interrupted)
        fprintf(out, " (interrupted)");
    else if (r->stopped)
        fprintf(out, " (stopped at the first failure)");
    if (r->lost)
        fprintf(out, "\nresults not kept: %s", r->lost);
    fprintf(out, "\nresults: %s/summary.json  report: %s/index.html  traces: %s/traces/%s%s\n",
            report_dir, report_dir, report_dir, junit_path ? "  junit: " : "",
            junit_path ? junit_path : "");
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

static void add_latencies(JsonBuilder *b, GPtrArray *lats)
{
    json_builder_set_member_name(b, "latencies");
    json_builder_begin_array(b);
    for (guint j = 0; j < lats->len; j++) {
        vds_latency *l = lats->pdata[j];
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

/* What one run of a scenario says, beside its id. */
static void add_run_members(JsonBuilder *b, const vds_run_result *run,
                            const vds_scenario_result *res)
{
    if (run->repeat_run > 1)
        member_int(b, "run", res->run_no);
    member_str(b, "status", status_keys[res->status]);
    json_builder_set_member_name(b, "passed"); /* it does not fail the run */
    json_builder_add_boolean_value(b, vds_result_ok(run, res));
    if (res->failure)
        member_str(b, "failure", res->failure);
    if (res->failed_step)
        member_int(b, "failed-step", res->failed_step);
    if (res->agent_said)
        member_str(b, "agent-said", res->agent_said);
    if (res->trace_path)
        member_str(b, "trace", res->trace_path);
}

/* Under --repeat-run: how often it passed, and every run that did not. */
static void add_runs(JsonBuilder *b, const vds_run_result *run, const vds_result_group *g)
{
    json_builder_set_member_name(b, "runs");
    json_builder_begin_object(b);
    member_int(b, "n", g->runs->len);
    member_int(b, "judged", g->judged);
    member_int(b, "passed", g->passed);
    member_double(b, "pass-rate", g->judged ? (double)g->passed / g->judged : 0);
    json_builder_set_member_name(b, "wilson-95");
    json_builder_begin_array(b);
    json_builder_add_double_value(b, g->rate_lo);
    json_builder_add_double_value(b, g->rate_hi);
    json_builder_end_array(b);
    json_builder_set_member_name(b, "flaky");
    json_builder_add_boolean_value(b, g->flaky);
    json_builder_set_member_name(b, "outcomes"); /* one letter per run, in order */
    g_autoptr(GString) o = g_string_new(NULL);
    for (guint i = 0; i < g->runs->len; i++) {
        const vds_scenario_result *res = g->runs->pdata[i];
        g_string_append_c(o, "PFESxX"[res->status]);
    }
    json_builder_add_string_value(b, o->str);
    json_builder_set_member_name(b, "kept"); /* the runs whose traces were kept */
    json_builder_begin_array(b);
    for (guint i = 0; i < g->runs->len; i++) {
        const vds_scenario_result *res = g->runs->pdata[i];
        if (!res->trace_path)
            continue;
        json_builder_begin_object(b);
        member_int(b, "run", res->run_no);
        member_str(b, "status", status_keys[res->status]);
        member_str(b, "trace", res->trace_path);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_set_member_name(b, "not-passed");
    json_builder_begin_array(b);
    for (guint i = 0; i < g->runs->len; i++) {
        const vds_scenario_result *res = g->runs->pdata[i];
        if (res->status == VDS_PASS || res->status == VDS_SKIP)
            continue;
        json_builder_begin_object(b);
        member_int(b, "run", res->run_no);
        add_run_members(b, run, res);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
}

static void add_scenario(JsonBuilder *b, const vds_run_result *run, const vds_result_group *g)
{
    const vds_scenario_result *res = g->first;
    json_builder_begin_object(b);
    member_str(b, "id", g->s->id);
    member_str(b, "file", g->s->file);
    add_run_members(b, run, res);
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
    if (res->golden_path)
        member_str(b, "golden", res->golden_path);
    if (res->log_path)
        member_str(b, "logs", res->log_path);
    member_int(b, "steps-run", res->steps_run);
    member_double(b, "wall-ms", res->wall_ns / 1e6);
    member_double(b, "setup-ms", res->setup_ns / 1e6);
    if (run->repeat_run > 1)
        add_runs(b, run, g);
    g_autoptr(GPtrArray) lats = merged_latencies(g->runs);
    add_latencies(b, lats);
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
    member_str(b, "host", g_get_host_name());
    g_autoptr(GDateTime) started =
        g_date_time_new_from_unix_utc(r->started_unix_us / G_USEC_PER_SEC);
    g_autofree char *when = started ? g_date_time_format_iso8601(started) : g_strdup("");
    member_str(b, "started", when);
    json_builder_set_member_name(b, "interrupted");
    json_builder_add_boolean_value(b, r->interrupted);
    if (r->interrupted)
        member_double(b, "interrupted-at-ms", r->interrupted_ns / 1e6);
    if (r->started < r->total) {
        json_builder_set_member_name(b, "not-run");
        json_builder_begin_array(b);
        for (guint i = r->started; r->scenarios && i < r->scenarios->len; i++)
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
    if (r->repeat_run > 1) {
        member_int(b, "repeat-run", r->repeat_run);
        json_builder_set_member_name(b, "until-fail");
        json_builder_add_boolean_value(b, r->until_fail);
    }
    if (r->stopped) {
        json_builder_set_member_name(b, "stopped-at-first-failure");
        json_builder_add_boolean_value(b, true);
    }
    member_double(b, "wall-ms", r->wall_ns / 1e6);
    json_builder_set_member_name(b, "scenarios");
    json_builder_begin_array(b);
    g_autoptr(GPtrArray) groups = vds_result_groups(r);
    for (guint i = 0; i < groups->len; i++)
        add_scenario(b, r, groups->pdata[i]);
    json_builder_end_array(b);
    json_builder_end_object(b);
    g_autoptr(JsonNode) root = json_builder_get_root(b);
    g_autofree char *text = json_to_string(root, TRUE);
    g_autofree char *path = g_build_filename(report_dir, "summary.json", NULL);
    return vds_file_write(path, text, strlen(text), err);
}

static void junit_props(GString *f, const vds_result_group *g)
{
    g_string_append_printf(f,
                           "    <properties>\n"
                           "      <property name=\"runs\" value=\"%u\"/>\n"
                           "      <property name=\"passed\" value=\"%u\"/>\n"
                           "      <property name=\"pass-rate\" value=\"%.4f\"/>\n"
                           "      <property name=\"wilson-95\" value=\"%.4f-%.4f\"/>\n"
                           "      <property name=\"flaky\" value=\"%s\"/>\n"
                           "    </properties>\n",
                           g->runs->len, g->passed, g->judged ? (double)g->passed / g->judged : 0.0,
                           g->rate_lo, g->rate_hi, g->flaky ? "true" : "false");
}

static void junit_case(GString *f, const vds_run_result *run, const vds_result_group *g)
{
    const vds_scenario_result *res = g->first;
    g_autofree char *id = g_markup_escape_text(g->s->id, -1);
    g_autofree char *family = g_path_get_dirname(g->s->id);
    g_autofree char *cls = g_markup_escape_text(family, -1);
    g_autofree char *file = g_markup_escape_text(g->s->file, -1);
    uint64_t wall = 0;
    for (guint i = 0; i < g->runs->len; i++)
        wall += ((vds_scenario_result *)g->runs->pdata[i])->wall_ns;
    g_string_append_printf(f,
                           "  <testcase classname=\"%s\" name=\"%s\" file=\"%s\" time=\"%.3f\">\n",
                           cls, id, file, wall / 1e9);
    if (run->repeat_run > 1)
        junit_props(f, g);
    /* many runs: the message says how often, then the first such run's failure */
    g_autofree char *rate = NULL;
    if (run->repeat_run > 1) {
        g_autofree char *r = rate_text(g);
        rate = g_strdup_printf("%s%s; run %u: ", g->flaky ? "flaky: " : "", r, res->run_no);
    }
    if (res->status == VDS_XFAIL) { /* as pytest writes an xfail */
        g_autofree char *m =
            g_markup_printf_escaped("%sexpected failure: known bug (agent %s): %s (%s): %s",
                                    rate ? rate : "", res->known_bug->agent, res->known_bug->why,
                                    res->known_bug->ref, res->failure ? res->failure : "failed");
        g_string_append_printf(f, "    <skipped type=\"xfail\" message=\"%s\"/>\n", m);
    } else if (res->status == VDS_XPASS && !run->strict) {
        g_autofree char *m = g_markup_printf_escaped("%s%s", rate ? rate : "", res->failure);
        g_string_append_printf(f, "    <system-out>XPASS: %s</system-out>\n", m);
    } else if (res->status != VDS_PASS) {
        g_autofree char *m = g_markup_printf_escaped("%s%s", rate ? rate : "",
                                                     res->failure ? res->failure : "failed");
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
        r->stopped ? g_strdup("not run: the run stopped at the first failure (--until-fail)")
                   : g_strdup_printf("not run: the run was interrupted after %.1f s",
                                     r->interrupted_ns / 1e9);
    for (guint i = r->started; r->scenarios && i < r->scenarios->len; i++) {
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
    g_autoptr(GPtrArray) groups = vds_result_groups(r);
    unsigned failures = count_groups(groups, VDS_FAIL) + count_groups(groups, VDS_ERROR);
    unsigned skipped = count_groups(groups, VDS_SKIP) + count_groups(groups, VDS_XFAIL);
    unsigned total = r->scenarios ? r->scenarios->len : groups->len;
    if (r->strict)
        failures += count_groups(groups, VDS_XPASS);
    skipped += total - groups->len; /* not run */
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
    for (guint i = 0; i < groups->len; i++)
        junit_case(f, r, groups->pdata[i]);
    junit_not_run(f, r);
    g_string_append(f, "</testsuite>\n");
    return vds_file_write(path, f->str, f->len, err);
}
