/* vdsim report TRACE|REPORT-DIR|CAPTURE -o FILE.html: the HTML report of
 * existing results (an old run, a differential run, a trace) or of a field
 * capture's session. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "report/html.h"
#include "trace/trace.h"

/* The page of a capture's SPICE session, as the client saw it. */
static int capture_page(const char *path, unsigned session, const char *out, vds_err *err)
{
    vds_capture c;
    vds_capture_sessions ss;
    vds_spice_session *s = vds_cli_capture_session(path, session, &c, &ss, err);
    if (!s)
        return -1;
    g_autofree char *source = g_strdup_printf("capture:%s session %u%s%s", path, s->index,
                                              s->via ? ", SPICE " : "", s->via ? s->via : "");
    g_autoptr(JsonObject) header = json_object_new();
    json_object_set_string_member(header, "source", source);
    json_object_set_string_member(header, "port-writer", "spice-server");
    json_object_set_string_member(header, "target", "field");
    g_autoptr(GPtrArray) ev = g_ptr_array_new();
    for (guint i = 0; i < s->events->len; i++)
        g_ptr_array_add(ev, json_node_get_object(s->events->pdata[i]));
    g_autofree char *name = g_path_get_basename(path);
    int rc = vds_report_html_events(name, header, ev, out, err);
    vds_capture_sessions_clear(&ss);
    vds_capture_clear(&c);
    return rc;
}

/* A differential run keeps a report per target below its directory: name them. */
static void say_runs_under(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *sum = g_build_filename(dir, name, "summary.json", NULL);
        if (g_file_test(sum, G_FILE_TEST_IS_REGULAR))
            fprintf(stderr, "  a run's report is in %s/%s (vdsim report %s/%s)\n", dir, name, dir,
                    name);
    }
}

int vds_cli_report(int argc, char **argv)
{
    g_autofree char *out = NULL;
    gint session = 0;
    GOptionEntry entries[] = {
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &out,
         "Write the page to FILE (default: REPORT-DIR/index.html, TRACE.html)", "FILE"},
        {"session", 0, 0, G_OPTION_ARG_INT, &session,
         "The SPICE session of a capture that holds several", "N"},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new(
        "TRACE|REPORT-DIR|CAPTURE - the HTML report of a run, a trace or a capture");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(
        ctx, "A report directory (vdsim run --report DIR) gives the run's page: the summary,\n"
             "the failures with the agents' log lines, a ladder diagram per scenario and the\n"
             "latency distributions. A trace (a scenario's, a capture's import) gives the\n"
             "page of that trace alone, a pcap or pcapng capture that of its SPICE session.\n"
             "The page is one file: nothing is fetched.\n"
             "Exit status: 0 written, 2 usage or results that cannot be read, 3 the page\n"
             "cannot be written.");
    g_autoptr(GError) gerr = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &gerr) || argc != 2 || session < 0) {
        fprintf(stderr, "vdsim report: %s\n",
                gerr ? gerr->message : "expected one trace or report directory");
        return VDS_EXIT_USAGE;
    }
    const char *in = argv[1];
    bool dir = g_file_test(in, G_FILE_TEST_IS_DIR);
    g_autofree char *path = out   ? g_strdup(out)
                            : dir ? g_build_filename(in, "index.html", NULL)
                                  : g_strconcat(in, ".html", NULL);
    vds_err err = {0};
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    g_autofree char *diff = dir ? g_build_filename(in, "differential.json", NULL) : NULL;
    g_autofree char *sum = dir ? g_build_filename(in, "summary.json", NULL) : NULL;
    bool differential =
        dir && !g_file_test(sum, G_FILE_TEST_EXISTS) && g_file_test(diff, G_FILE_TEST_IS_REGULAR);
    int rc = -1;
    if (!dir && !g_file_test(in, G_FILE_TEST_EXISTS))
        vds_err_set(&err, VDS_ERR_USAGE, in, "cannot open: %s", g_strerror(ENOENT));
    else if (differential)
        rc = vds_report_html_differential(in, path, &err);
    else if (dir)
        rc = vds_report_html_run(in, path, &err);
    else if (vds_trace_file_sniff(in))
        rc = vds_report_html_trace(in, path, &err);
    else /* libpcap says what it is not */
        rc = capture_page(in, (unsigned)session, path, &err);
    if (rc < 0) {
        fprintf(stderr, "vdsim report: %s\n", vds_err_str(&err, ebuf, sizeof(ebuf)));
        if (dir)
            say_runs_under(in);
        /* the page not written is ours to fix, the input not read the caller's */
        return strcmp(err.loc, path) == 0 ? VDS_EXIT_INFRA : VDS_EXIT_USAGE;
    }
    printf("report: %s\n", path);
    return VDS_EXIT_OK;
}
