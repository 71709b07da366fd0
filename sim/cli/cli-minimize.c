/* vdsim minimize: a failing scenario reduced to what still fails the same
 * way, on one agent stack kept up between runs. */
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/file.h"
#include "scenario/minimize.h"
#include "target/target.h"

static volatile bool interrupted;

static gboolean on_signal(gpointer user)
{
    interrupted = true;
    return G_SOURCE_CONTINUE;
}

typedef struct min_ctx {
    vds_target *t;
    vds_run_opts o;
    char *dir; /* the runs' reports, removed as they go */
    unsigned n;
    vds_status last;    /* the last run's outcome */
    char *last_failure; /* ... and what it said */
} min_ctx;

static char *run_candidate(void *user, const vds_scenario *c)
{
    min_ctx *m = user;
    g_autoptr(GPtrArray) one = g_ptr_array_new();
    g_ptr_array_add(one, (gpointer)c);
    g_autofree char *report = g_strdup_printf("%s/run-%u", m->dir, ++m->n);
    vds_run_opts o = m->o;
    o.report_dir = report;
    vds_run_result *r = vds_run_target(one, &o, m->t);
    vds_scenario_result *res = r->results->len ? r->results->pdata[0] : NULL;
    char *sig = res ? vds_failure_signature(c, res) : NULL;
    m->last = res ? res->status : VDS_ERROR;
    g_free(m->last_failure);
    m->last_failure = g_strdup(res && res->failure ? res->failure : "interrupted");
    vds_run_result_free(r);
    vds_remove_tree(report);
    return sig;
}

static void progress(void *user, unsigned runs, unsigned steps, unsigned steps0)
{
    fprintf(stderr,
            isatty(2) ? "\rminimize: run %u, %u of %u steps   "
                      : "minimize: run %u, %u of %u steps\n",
            runs, steps, steps0);
}

static int minimize(const vds_scenario *s, min_ctx *m, const char *out, unsigned max_runs,
                    unsigned max_s)
{
    vds_err err = {0};
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    g_autofree char *want = run_candidate(m, s);
    if (!want && m->last == VDS_PASS) {
        fprintf(stderr,
                "vdsim minimize: %s passes on %s and shows nothing a field agent "
                "failed to do (no not step): nothing to minimise\n",
                s->file, m->o.target);
        return VDS_EXIT_FAIL;
    }
    if (!want) {
        fprintf(stderr, "vdsim minimize: %s could not be run on %s: %s\n", s->file, m->o.target,
                m->last_failure);
        return VDS_EXIT_INFRA;
    }
    printf("minimize: %s %s: %s\n", s->file, m->last == VDS_PASS ? "reproduces" : "fails as", want);
    fflush(stdout);
    vds_min_opts mo = {max_runs, (uint64_t)max_s * 1000000000ull, &interrupted, progress, NULL};
    vds_min_stats st;
    g_autofree char *text = vds_minimize(s, want, run_candidate, m, &mo, &st);
    if (isatty(2))
        fputc('\n', stderr);
    g_autofree char *doc = g_strdup_printf(
        "# vdsim minimize of %s on %s: %u -> %u steps in %u runs (%.1f s)%s.\n"
        "# Every reduction kept ended the same way: %s\n%s",
        s->file, m->o.target, st.steps0, st.steps, st.runs + 1, st.ns / 1e9,
        st.bounded ? ", stopped by its bounds before it was minimal" : "", want, text);
    if (vds_file_write(out, doc, strlen(doc), &err) < 0) {
        fprintf(stderr, "vdsim minimize: %s\n", vds_err_str(&err, ebuf, sizeof(ebuf)));
        return VDS_EXIT_INFRA;
    }
    printf("minimize: %u -> %u steps in %u runs (%.1f s): %s\n", st.steps0, st.steps, st.runs + 1,
           st.ns / 1e9, out);
    return VDS_EXIT_OK;
}

int vds_cli_minimize(int argc, char **argv)
{
    g_autofree char *target = NULL, *out = NULL, *agent_root = NULL;
    gint max_runs = 200, max_s = 300;
    GOptionEntry entries[] = {
        {"target", 0, 0, G_OPTION_ARG_STRING, &target, "Where the agent is (default: local)", "T"},
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Write the minimal scenario to FILE",
         "FILE"},
        {"max-runs", 0, 0, G_OPTION_ARG_INT, &max_runs, "Stop after N runs (default 200)", "N"},
        {"max-time", 0, 0, G_OPTION_ARG_INT, &max_s, "Stop after S seconds (default 300)", "S"},
        VDS_CLI_AGENT_ROOT_ENTRY(agent_root),
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx =
        g_option_context_new("SCENARIO -o MINIMAL.yaml - the fewest steps that fail the same way");
    g_autoptr(GError) gerr = NULL;
    vds_err err = {0};
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(
        ctx, "A candidate is kept only when it fails the same way: the same step kind, message\n"
             "type and failure, and the same last complaint in the agents' logs.\n"
             "Exit status: 0 written, 1 the scenario passes, 2 usage, 3 the agent stack or\n"
             "the output failed.");
    if (!g_option_context_parse(ctx, &argc, &argv, &gerr) || argc != 2 || !out || max_runs < 1 ||
        max_s < 1) {
        fprintf(stderr, "vdsim minimize: %s\n",
                gerr ? gerr->message : "expected one scenario and -o FILE");
        return VDS_EXIT_USAGE;
    }
    if (vds_cli_use_agent_root("vdsim minimize", agent_root) != VDS_EXIT_OK)
        return VDS_EXIT_USAGE;
    vds_scenario *s = vds_scenario_load(argv[1], &err);
    if (!s) {
        fprintf(stderr, "%s\n", vds_err_str(&err, ebuf, sizeof(ebuf)));
        return VDS_EXIT_USAGE;
    }
    min_ctx m = {.o = {.target = target ? target : "local",
                       .tol_floor_ns = 250000000,
                       .tol_pct = 50,
                       .keep_started = true,
                       .interrupt = &interrupted}};
    m.t = vds_target_new(m.o.target, g_main_context_default(), &err);
    m.dir = m.t ? vds_tmp_dir_new("vdsim-minimize", &err) : NULL;
    int rc = VDS_EXIT_INFRA;
    if (!m.t || !m.dir) {
        fprintf(stderr, "vdsim minimize: %s\n", vds_err_str(&err, ebuf, sizeof(ebuf)));
        rc = err.code == VDS_ERR_USAGE ? VDS_EXIT_USAGE : VDS_EXIT_INFRA;
    } else {
        guint s1 = g_unix_signal_add(SIGINT, on_signal, NULL);
        guint s2 = g_unix_signal_add(SIGTERM, on_signal, NULL);
        rc = minimize(s, &m, out, (unsigned)max_runs, (unsigned)max_s);
        g_source_remove(s1);
        g_source_remove(s2);
    }
    if (m.dir)
        vds_remove_tree(m.dir);
    g_free(m.dir);
    g_free(m.last_failure);
    vds_target_free(m.t);
    vds_scenario_free(s);
    return rc;
}
