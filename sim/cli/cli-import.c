/* vdsim import and vdsim replay: a field capture (pcap, pcapng) or a vdsim
 * trace into a scenario that replays it by meaning, and a run of it with a
 * verdict that puts the field and the agent here side by side. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/file.h"
#include "scenario/import.h"
#include "trace/spice-import.h"
#include "trace/trace.h"

/* The events of a vdsim trace (new JsonObject refs): its scenario's own,
   without the harness's setup and closing check. */
static GPtrArray *trace_events(const char *path, vds_err *err)
{
    vds_trace_reader *r = vds_trace_reader_open(path, err);
    if (!r)
        return NULL;
    GPtrArray *ev = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
    vds_trace_line line;
    int rc;
    bool started = false;
    bool server = !strcmp(
        json_object_get_string_member_with_default(vds_trace_reader_header(r), "port-writer", ""),
        "spice-server");
    while ((rc = vds_trace_reader_next(r, &line, err)) == 1) {
        gint64 step = json_object_get_int_member_with_default(line.event, "step", -1);
        const char *kind = json_object_get_string_member_with_default(line.event, "kind", "");
        if (step > 0)
            started = true;
        else if (step == 0 && started)
            continue; /* the check after the scenario */
        if (!strcmp(kind, "port"))
            continue; /* the server's view of the port: the agent events say it */
        /* through a SPICE client a mouse state went out as the inputs
           channel's message, which the trace holds too */
        if (server && !strcmp(kind, "agent") &&
            !strcmp(json_object_get_string_member_with_default(line.event, "type", ""),
                    "mouse-state"))
            continue;
        g_ptr_array_add(ev, json_object_ref(line.event));
    }
    vds_trace_reader_free(r);
    if (rc < 0)
        g_clear_pointer(&ev, g_ptr_array_unref);
    return ev;
}

static void list_sessions(const vds_capture *c, const vds_capture_sessions *ss, FILE *out)
{
    if (c->cut)
        fprintf(out, "  note: %s\n", c->cut);
    for (guint i = 0; i < ss->sessions->len; i++) {
        const vds_spice_session *s = ss->sessions->pdata[i];
        fprintf(out,
                "  session %u: %s -> %s%s%s from frame %" G_GUINT64_FORMAT
                ", %u agent messages, %u mouse events\n",
                s->index, s->client, s->server, s->via ? " " : "", s->via ? s->via : "",
                s->first_frame, s->agent_messages, s->inputs_messages);
    }
    for (guint i = 0; i < ss->others->len; i++)
        fprintf(out, "  not imported: %s\n", (char *)ss->others->pdata[i]);
}

/* What the import leaves out, for the scenario's header. */
static GPtrArray *left_out(const vds_capture *c, const vds_spice_session *s)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    if (c->note)
        g_ptr_array_add(out, g_strdup_printf("the capture is cut short: %s", c->note));
    if (c->cut)
        g_ptr_array_add(out, g_strdup(c->cut));
    for (guint i = 0; i < s->notes->len; i++)
        g_ptr_array_add(out, g_strdup(s->notes->pdata[i]));
    g_autoptr(GList) keys = g_hash_table_get_keys(s->left_out);
    keys = g_list_sort(keys, (GCompareFunc)strcmp);
    for (GList *l = keys; l; l = l->next)
        g_ptr_array_add(
            out, g_strdup_printf("%s x%u", (char *)l->data,
                                 GPOINTER_TO_UINT(g_hash_table_lookup(s->left_out, l->data))));
    return out;
}

/* Where an import keeps the data its scenario names by file (clipboard
   data above the trace's raw limit, which a capture holds whole). */
typedef struct payload_place {
    const char *scenario; /* the scenario's path: payload files are relative to it */
    char *in_scenario;    /* the directory as the scenario names it */
    char *on_disk;        /* the same directory from here */
} payload_place;

static void payload_place_clear(payload_place *pl)
{
    g_free(pl->in_scenario);
    g_free(pl->on_disk);
}

/* Files beside the scenario FILE: FILE's stem + ".payloads". */
static void payload_place_beside(payload_place *pl, const char *scenario)
{
    g_autofree char *base = g_path_get_basename(scenario);
    g_autofree char *dir = g_path_get_dirname(scenario);
    char *dot = strrchr(base, '.');
    if (dot && dot != base)
        *dot = '\0';
    pl->scenario = scenario;
    pl->in_scenario = g_strconcat(base, ".payloads", NULL);
    pl->on_disk = g_build_filename(dir, pl->in_scenario, NULL);
}

/* Files in a directory of their own, named absolutely (a replay's report). */
static void payload_place_in(payload_place *pl, const char *scenario, const char *dir)
{
    pl->scenario = scenario;
    pl->on_disk = g_canonicalize_filename(dir, NULL);
    pl->in_scenario = g_strdup(pl->on_disk);
}

static int write_payloads(const payload_place *pl, GPtrArray *files, vds_err *err)
{
    if (files->len && g_mkdir_with_parents(pl->on_disk, 0755) < 0)
        return vds_err_set(err, VDS_ERR_IO, pl->on_disk, "cannot create: %s", g_strerror(errno));
    for (guint i = 0; i < files->len; i++) {
        const vds_import_payload *p = files->pdata[i];
        g_autofree char *base = g_path_get_basename(p->name);
        g_autofree char *path = g_build_filename(pl->on_disk, base, NULL);
        gsize n;
        const void *d = g_bytes_get_data(p->data, &n);
        if (vds_file_write(path, d, n, err) < 0)
            return -1;
    }
    return 0;
}

vds_spice_session *vds_cli_capture_session(const char *path, unsigned session, vds_capture *c,
                                           vds_capture_sessions *ss, vds_err *err)
{
    if (vds_capture_read(path, c, err) < 0)
        return NULL;
    vds_capture_sessions_find(c, ss);
    if (!ss->sessions->len) {
        fprintf(stderr, "%s: %" G_GUINT64_FORMAT " frames, no SPICE session vdsim can read\n", path,
                c->frames);
        list_sessions(c, ss, stderr);
        vds_err_set(err, VDS_ERR_USAGE, path, "no SPICE session in it");
    } else if (!session && ss->sessions->len > 1) {
        fprintf(stderr, "%s holds %u SPICE sessions:\n", path, ss->sessions->len);
        list_sessions(c, ss, stderr);
        vds_err_set(err, VDS_ERR_USAGE, path, "pick one with --session N");
    } else if (session > ss->sessions->len) {
        vds_err_set(err, VDS_ERR_USAGE, path, "no session %u (the capture holds %u)", session,
                    ss->sessions->len);
    } else {
        return ss->sessions->pdata[session ? session - 1 : 0];
    }
    vds_capture_sessions_clear(ss);
    vds_capture_clear(c);
    return NULL;
}

/* The scenario text for a capture's session (session 0: the only one). */
static char *import_capture(const char *path, unsigned session, const payload_place *pl,
                            GPtrArray *files, vds_err *err)
{
    vds_capture c;
    vds_capture_sessions ss;
    vds_spice_session *s = vds_cli_capture_session(path, session, &c, &ss, err);
    if (!s)
        return NULL;
    char *text = NULL;
    {
        g_autoptr(GPtrArray) lo = left_out(&c, s);
        g_autoptr(GPtrArray) ev = g_ptr_array_new();
        for (guint i = 0; i < s->events->len; i++)
            g_ptr_array_add(ev, json_node_get_object(s->events->pdata[i]));
        vds_import_info info = {.source = path,
                                .session = s->index,
                                .via = s->via,
                                .left_out = lo,
                                .payloads = s->payloads,
                                .payload_dir = pl ? pl->in_scenario : NULL,
                                .payload_files = files};
        text = vds_import_scenario(ev, &info, err);
    }
    vds_capture_sessions_clear(&ss);
    vds_capture_clear(&c);
    return text;
}

/* A capture or a trace as scenario text (new), checked by parsing it; the
   payload files it names are written to pl (NULL: none, placeholders).
   *unwritten says a NULL was for files that could not be written (the
   output's fault, not the input's). */
static char *import_any(const char *path, unsigned session, const payload_place *pl,
                        bool *unwritten, vds_err *err)
{
    *unwritten = false;
    char *text;
    g_autoptr(GPtrArray) files =
        g_ptr_array_new_with_free_func((GDestroyNotify)vds_import_payload_free);
    if (vds_trace_file_sniff(path)) {
        g_autoptr(GPtrArray) ev = trace_events(path, err);
        vds_import_info info = {.source = path};
        text = ev ? vds_import_scenario(ev, &info, err) : NULL;
    } else {
        text = import_capture(path, session, pl, files, err);
    }
    if (!text)
        return NULL;
    if (pl && write_payloads(pl, files, err) < 0) {
        *unwritten = true;
        g_free(text);
        return NULL;
    }
    vds_scenario *s = vds_scenario_parse(pl ? pl->scenario : path, text, strlen(text), err);
    if (!s) { /* the importer's own bug: say so, with what it wrote */
        fprintf(stderr, "%s", text);
        g_free(text);
        return NULL;
    }
    vds_scenario_free(s);
    return text;
}

/* --list: the capture's sessions and what else it holds. */
static int list_only(const char *path)
{
    vds_err err = {0};
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    vds_capture c;
    if (vds_capture_read(path, &c, &err) < 0) {
        fprintf(stderr, "vdsim import: %s\n", vds_err_str(&err, ebuf, sizeof(ebuf)));
        return VDS_EXIT_USAGE;
    }
    vds_capture_sessions ss;
    vds_capture_sessions_find(&c, &ss);
    printf("%s: %" G_GUINT64_FORMAT " frames, %u TCP connection%s, %u SPICE session%s%s%s\n", path,
           c.frames, c.conns->len, c.conns->len == 1 ? "" : "s", ss.sessions->len,
           ss.sessions->len == 1 ? "" : "s", c.note ? "; " : "", c.note ? c.note : "");
    list_sessions(&c, &ss, stdout);
    vds_capture_sessions_clear(&ss);
    vds_capture_clear(&c);
    return VDS_EXIT_OK;
}

int vds_cli_import(int argc, char **argv)
{
    g_autofree char *out = NULL;
    gint session = 0;
    gboolean list = FALSE;
    GOptionEntry entries[] = {
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Write the scenario to FILE", "FILE"},
        {"list", 0, 0, G_OPTION_ARG_NONE, &list, "List the capture's SPICE sessions", NULL},
        {"session", 0, 0, G_OPTION_ARG_INT, &session,
         "The SPICE session to import when the capture holds several", "N"},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx =
        g_option_context_new("CAPTURE.pcap|.pcapng|TRACE.jsonl - a field session as a scenario");
    g_autoptr(GError) gerr = NULL;
    vds_err err = {0};
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(ctx, "Exit status: 0 written, 2 usage or an input that "
                                          "cannot be imported, 3 the output cannot be written.");
    if (!g_option_context_parse(ctx, &argc, &argv, &gerr) || argc != 2 || session < 0) {
        fprintf(stderr, "vdsim import: %s\n",
                gerr ? gerr->message : "expected one capture or trace (and -o FILE)");
        return VDS_EXIT_USAGE;
    }
    if (list)
        return list_only(argv[1]);
    /* with -o, data the scenario cannot hold goes to files beside it */
    payload_place pl = {0};
    if (out)
        payload_place_beside(&pl, out);
    bool unwritten;
    g_autofree char *text =
        import_any(argv[1], (unsigned)session, out ? &pl : NULL, &unwritten, &err);
    payload_place_clear(&pl);
    if (!text) {
        fprintf(stderr, "vdsim import: %s\n", vds_err_str(&err, ebuf, sizeof(ebuf)));
        return unwritten ? VDS_EXIT_INFRA : VDS_EXIT_USAGE;
    }
    if (!out) {
        fputs(text, stdout);
        return VDS_EXIT_OK;
    }
    if (vds_file_write(out, text, strlen(text), &err) < 0) {
        fprintf(stderr, "vdsim import: %s\n", vds_err_str(&err, ebuf, sizeof(ebuf)));
        return VDS_EXIT_INFRA;
    }
    fprintf(stderr, "vdsim import: %s\n", out);
    return VDS_EXIT_OK;
}

/* --- replay ------------------------------------------------------------------- */

typedef struct replay {
    const char *text; /* the scenario's text: its field comments */
} replay;

/* The field comment ("# field: ...") nearest above line (1-based), or NULL. */
static char *field_before(const char *text, unsigned line)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (unsigned i = MIN(line, g_strv_length(lines)); i-- > 0;) {
        const char *l = g_strstrip(lines[i]);
        if (g_str_has_prefix(l, "# field: "))
            return g_strdup(l + 9);
        if (i + 1 < line && g_str_has_prefix(l, "- "))
            break; /* the step before has its own */
    }
    return NULL;
}

static void judge(void *user, vds_run_result *r)
{
    replay *rp = user;
    vds_scenario_result *res = r->results->len ? r->results->pdata[0] : NULL;
    const char *verdict;
    char *detail;
    if (!res || r->interrupted || r->lost || res->status == VDS_ERROR) {
        verdict = "inconclusive";
        detail = g_strdup(r->interrupted ? "the run was interrupted"
                          : r->lost      ? r->lost
                          : res          ? res->failure
                                         : "nothing ran");
    } else if (res->status == VDS_SKIP) {
        verdict = "inconclusive";
        detail = g_strdup_printf("the target cannot run it: %s", res->failure);
    } else if (res->status == VDS_PASS) {
        verdict = "reproduced";
        detail = g_strdup_printf("the agent here did what the field agent did (%u steps)",
                                 res->steps_run);
    } else {
        verdict = "not reproduced";
        unsigned line = 0, col;
        const char *msg = res->failure ? strstr(res->failure, "): ") : NULL;
        const char *at = res->failure ? strchr(res->failure, ':') : NULL;
        if (at)
            sscanf(at + 1, "%u:%u", &line, &col);
        g_autofree char *field = line ? field_before(rp->text, line) : NULL;
        detail = field ? g_strdup_printf("field: %s; here: %s", field, msg ? msg + 3 : res->failure)
                       : g_strdup(res->failure);
    }
    r->verdict = g_strdup(verdict);
    r->verdict_detail = detail;
    printf("verdict: %s: %s\n", verdict, detail);
    fflush(stdout);
}

int vds_cli_replay(int argc, char **argv)
{
    g_autofree char *target = NULL, *report = NULL, *junit = NULL, *trace = NULL;
    g_autofree char *agent_root = NULL;
    gint session = 0;
    gboolean verbose = FALSE;
    GOptionEntry entries[] = {
        {"target", 0, 0, G_OPTION_ARG_STRING, &target, "Where the agent is (default: local)", "T"},
        {"session", 0, 0, G_OPTION_ARG_INT, &session,
         "The SPICE session of a capture that holds several", "N"},
        {"report", 0, 0, G_OPTION_ARG_FILENAME, &report,
         "Directory for summary.json (with the verdict), the trace and logs", "DIR"},
        {"junit", 0, 0, G_OPTION_ARG_FILENAME, &junit, "Write JUnit XML to FILE", "FILE"},
        {"trace", 0, 0, G_OPTION_ARG_FILENAME, &trace, "Write the whole run's trace to FILE",
         "FILE"},
        {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Print every message", NULL},
        VDS_CLI_AGENT_ROOT_ENTRY(agent_root),
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new(
        "CAPTURE|TRACE|SCENARIO - does the agent here do what the field agent did?");
    g_autoptr(GError) gerr = NULL;
    vds_err err = {0};
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(
        ctx, "Prints a verdict: reproduced, not reproduced (with the first divergence: the\n"
             "field's message and what happened here) or inconclusive. Exit status: 0\n"
             "reproduced, 1 not reproduced, 2 usage or an input that cannot be imported,\n"
             "3 inconclusive (infrastructure).");
    if (!g_option_context_parse(ctx, &argc, &argv, &gerr) || argc != 2 || session < 0) {
        fprintf(stderr, "vdsim replay: %s\n",
                gerr ? gerr->message : "expected one capture, trace or scenario");
        return VDS_EXIT_USAGE;
    }
    if (vds_cli_use_agent_root("vdsim replay", agent_root) != VDS_EXIT_OK)
        return VDS_EXIT_USAGE;
    const char *in = argv[1];
    bool yaml = g_str_has_suffix(in, ".yaml") || g_str_has_suffix(in, ".yml");
    g_autofree char *default_report = NULL;
    if (!report) {
        g_autoptr(GDateTime) now = g_date_time_new_now_utc();
        g_autofree char *stamp = g_date_time_format(now, "%Y%m%dT%H%M%SZ");
        default_report = g_strdup_printf("reports/replay-%s", stamp);
    }
    g_autofree char *text = NULL;
    bool unwritten = false;
    if (yaml) {
        g_autoptr(GBytes) b = vds_file_read(in, VDS_SCENARIO_MAX, "scenario", &err);
        text = b ? g_strndup(g_bytes_get_data(b, NULL), g_bytes_get_size(b)) : NULL;
    } else { /* data the scenario cannot hold goes to the report, which keeps what was sent */
        payload_place pl = {0};
        g_autofree char *dir = g_build_filename(report ? report : default_report, "payloads", NULL);
        payload_place_in(&pl, in, dir);
        text = import_any(in, (unsigned)session, &pl, &unwritten, &err);
        payload_place_clear(&pl);
    }
    vds_scenario *s = text ? vds_scenario_parse(in, text, strlen(text), &err) : NULL;
    if (!s) {
        fprintf(stderr, "vdsim replay: %s\n", vds_err_str(&err, ebuf, sizeof(ebuf)));
        return unwritten ? VDS_EXIT_INFRA : VDS_EXIT_USAGE;
    }
    g_autoptr(GPtrArray) scenarios =
        g_ptr_array_new_with_free_func((GDestroyNotify)vds_scenario_free);
    g_ptr_array_add(scenarios, s);
    vds_run_opts o = {.target = target ? target : "local",
                      .report_dir = report ? report : default_report,
                      .trace_path = trace,
                      .tol_floor_ns = 250000000,
                      .tol_pct = 50};
    replay rp = {text};
    return vds_cli_run_and_report(scenarios, &o, junit, verbose, judge, &rp);
}
