/* vdsim run: scenarios against a target, with traces, goldens and reports. */
#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "scenario/differential.h"
#include "report/html.h"
#include "report/report.h"
#include "scenario/runner.h"

static volatile bool interrupted;

static gboolean on_signal(gpointer user)
{
    interrupted = true;
    return G_SOURCE_CONTINUE;
}

int vds_cli_run_and_report(GPtrArray *scenarios, const vds_run_opts *base, const char *junit,
                           bool verbose, void (*judge)(void *, vds_run_result *), void *user)
{
    vds_err err = {0};
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    vds_run_opts o = *base;
    o.interrupt = &interrupted;
    o.observer = vds_report_console(stdout, verbose);
    interrupted = false;
    guint sig_int = g_unix_signal_add(SIGINT, on_signal, NULL);
    guint sig_term = g_unix_signal_add(SIGTERM, on_signal, NULL);
    vds_run_result *r = vds_run(scenarios, &o, &err);
    g_source_remove(sig_int);
    g_source_remove(sig_term);
    if (!r) {
        fprintf(stderr, "vdsim run: %s\n", vds_err_str(&err, ebuf, sizeof(ebuf)));
        /* a bad name is usage; a domain not there or libvirt not answering is not */
        return err.code == VDS_ERR_USAGE ? VDS_EXIT_USAGE : VDS_EXIT_INFRA;
    }
    if (judge)
        judge(user, r);
    /* a run whose results could not be kept does not pass */
    g_autofree char *page = g_build_filename(o.report_dir, "index.html", NULL);
    if (vds_report_summary(r, o.report_dir, &err) < 0 ||
        (junit && vds_report_junit(r, junit, &err) < 0) ||
        vds_report_html_run(o.report_dir, page, &err) < 0)
        vds_run_result_lost(r, &err);
    vds_report_console_totals(stdout, r, o.report_dir, junit);
    if (r->lost)
        fprintf(stderr, "vdsim run: results not kept: %s\n", r->lost);
    int rc = vds_run_result_exit(r);
    vds_run_result_free(r);
    return rc;
}

/* FILE.xml -> FILE.TARGET.xml (new string): one per target of a differential run. */
static char *per_target(const char *path, const char *target)
{
    if (!path)
        return NULL;
    g_autofree char *safe = vds_differential_report_dir("", target);
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash))
        return g_strconcat(path, ".", safe + 1, NULL);
    return g_strdup_printf("%.*s.%s%s", (int)(dot - path), path, safe + 1, dot);
}

/* --target A,B,...: the scenarios on each target in turn (reports under
   report/TARGET/), then what the agent received on A against the others. */
static int run_differential(GPtrArray *scenarios, char **targets, guint n, const char *report,
                            const vds_run_opts *base, const char *junit_path, bool verbose)
{
    vds_err err = {0};
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    for (guint i = 0; i < n; i++)
        if (!vds_differential_target_ok(targets[i]) || (i && !strcmp(targets[i], targets[0]))) {
            fprintf(stderr,
                    "vdsim run: --target A,B diffs what the agent received, which vdsim sees "
                    "on local, local-server and chardev:, once each: not '%s'\n",
                    targets[i]);
            return VDS_EXIT_USAGE;
        }
    g_autoptr(GPtrArray) dirs = g_ptr_array_new_with_free_func(g_free);
    int worst = VDS_EXIT_OK;
    for (guint i = 0; i < n; i++) {
        vds_run_opts o = *base;
        g_autofree char *trace = per_target(base->trace_path, targets[i]);
        g_autofree char *junit = per_target(junit_path, targets[i]);
        o.target = targets[i];
        o.report_dir = vds_differential_report_dir(report, targets[i]);
        o.trace_path = trace;
        g_ptr_array_add(dirs, (char *)o.report_dir);
        printf("== target %s\n", targets[i]);
        fflush(stdout);
        int rc = vds_cli_run_and_report(scenarios, &o, junit, verbose, NULL, NULL);
        if (rc == VDS_EXIT_INFRA || rc == VDS_EXIT_USAGE)
            return rc; /* no second run to diff against */
        worst = MAX(worst, rc);
    }
    printf("== differential: what the agent received, %s against the others\n", targets[0]);
    int rc = vds_differential(scenarios, (const char *const *)targets,
                              (const char *const *)dirs->pdata, n, report, &err);
    if (rc < 0) {
        fprintf(stderr, "vdsim run: differential: %s\n", vds_err_str(&err, ebuf, sizeof(ebuf)));
        return VDS_EXIT_INFRA;
    }
    g_autofree char *page = g_build_filename(report, "index.html", NULL);
    if (vds_report_html_differential(report, page, &err) < 0) {
        fprintf(stderr, "vdsim run: differential: %s\n", vds_err_str(&err, ebuf, sizeof(ebuf)));
        return VDS_EXIT_INFRA;
    }
    printf("report: %s\n", page);
    return rc ? VDS_EXIT_FAIL : worst;
}

/* The scenarios of paths (all loaded into all, each validated, their ids
   unique) and this shard's into scenarios (borrowed from all). -1 having
   said why on stderr. */
static int load_shard(const char *who, char **paths, const char *shard, GPtrArray *all,
                      GPtrArray *scenarios, unsigned *shard_k, unsigned *shard_n)
{
    vds_err err = {0};
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    g_autoptr(GPtrArray) files = vds_scenario_collect(paths, &err);
    if (!files || files->len == 0) {
        fprintf(stderr, "%s: %s\n", who,
                files ? "no *.yaml scenarios found" : vds_err_str(&err, ebuf, sizeof(ebuf)));
        return -1;
    }
    char tail;
    if (shard && (sscanf(shard, "%u/%u%c", shard_k, shard_n, &tail) != 2 || *shard_n < 1 ||
                  *shard_k < 1 || *shard_k > *shard_n)) {
        fprintf(stderr, "%s: --shard wants K/N with 1 <= K <= N, not '%s'\n", who, shard);
        return -1;
    }
    for (guint i = 0; i < files->len; i++) {
        vds_scenario *s = vds_scenario_load(files->pdata[i], &err);
        if (!s) {
            fprintf(stderr, "%s\n", vds_err_str(&err, ebuf, sizeof(ebuf)));
            return -1;
        }
        g_ptr_array_add(all, s);
    }
    if (vds_scenarios_unique(all, &err) < 0) {
        fprintf(stderr, "%s\n", vds_err_str(&err, ebuf, sizeof(ebuf)));
        return -1;
    }
    for (guint i = 0; i < all->len; i++) /* every file is validated, this shard's run */
        if (i % *shard_n == *shard_k - 1)
            g_ptr_array_add(scenarios, all->pdata[i]);
    return 0;
}

/* vdsim run's options, as given. */
typedef struct run_args {
    char *target, *golden, *trace, *junit, *report, *agent_root, *shard;
    gboolean update, fresh, verbose, strict, until_fail;
    gint repeat, tol_ms, tol_pct, repeat_run;
} run_args;

static void run_args_clear(run_args *a)
{
    g_free(a->target);
    g_free(a->golden);
    g_free(a->trace);
    g_free(a->junit);
    g_free(a->report);
    g_free(a->agent_root);
    g_free(a->shard);
}

/* The options into a (clear with run_args_clear), checked; argc/argv keep
   the scenario paths. VDS_EXIT_OK, or VDS_EXIT_USAGE said on stderr. */
static int parse_run_args(const char *who, int *argc, char ***argv, run_args *a)
{
    *a = (run_args){.tol_ms = 250, .tol_pct = 50};
    GOptionEntry entries[] = {
        {"target", 0, 0, G_OPTION_ARG_STRING, &a->target,
         "Where the agent is (default: local); A,B runs on both and diffs what the agent "
         "received",
         "T"},
        {"golden", 0, 0, G_OPTION_ARG_FILENAME, &a->golden,
         "Compare each scenario's trace with DIR/<id>.jsonl", "DIR"},
        {"update-golden", 0, 0, G_OPTION_ARG_NONE, &a->update, "Write the goldens instead", NULL},
        {"trace", 0, 0, G_OPTION_ARG_FILENAME, &a->trace, "Write the whole run's trace to FILE",
         "FILE"},
        {"junit", 0, 0, G_OPTION_ARG_FILENAME, &a->junit, "Write JUnit XML to FILE", "FILE"},
        {"report", 0, 0, G_OPTION_ARG_FILENAME, &a->report,
         "Directory for summary.json, traces and logs (default reports/run-TIME)", "DIR"},
        {"repeat", 0, 0, G_OPTION_ARG_INT, &a->repeat, "Run each scenario's steps N times", "N"},
        {"repeat-run", 0, 0, G_OPTION_ARG_INT, &a->repeat_run,
         "Run each scenario N times as fresh sessions: pass rate, 95% interval, flaky", "N"},
        {"until-fail", 0, 0, G_OPTION_ARG_NONE, &a->until_fail,
         "Stop at the first failing run and keep its trace (up to N runs each with "
         "--repeat-run, else 1000)",
         NULL},
        {"tolerance-ms", 0, 0, G_OPTION_ARG_INT, &a->tol_ms, "Golden timing floor (default 250)",
         "N"},
        {"tolerance-pct", 0, 0, G_OPTION_ARG_INT, &a->tol_pct, "Golden timing share (default 50)",
         "N"},
        {"fresh-agent", 0, 0, G_OPTION_ARG_NONE, &a->fresh, "Restart the agent for every scenario",
         NULL},
        {"verbose", 'v', 0, G_OPTION_ARG_NONE, &a->verbose, "Print every message", NULL},
        {"shard", 0, 0, G_OPTION_ARG_STRING, &a->shard,
         "Run only shard K of N: scenarios K, K+N, ... in path order (all are validated)", "K/N"},
        {"strict", 0, 0, G_OPTION_ARG_NONE, &a->strict,
         "A known bug that no longer reproduces (XPASS) fails the run", NULL},
        VDS_CLI_AGENT_ROOT_ENTRY(a->agent_root),
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("SCENARIO|DIR... - run scenarios");
    g_autoptr(GError) gerr = NULL;
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(
        ctx, "Exit status: 0 all passed (known agent bugs that held are XFAIL, not failures),\n"
             "1 a scenario failed (or, with --strict, a known bug no longer reproduces),\n"
             "2 usage or scenario error, 3 infrastructure fault (the agent did not start) or\n"
             "interrupted.");
    if (!g_option_context_parse(ctx, argc, argv, &gerr)) {
        fprintf(stderr, "%s: %s\n", who, gerr->message);
        return VDS_EXIT_USAGE;
    }
    if (*argc < 2 || a->repeat < 0 || a->tol_ms < 0 || a->tol_pct < 0 || a->repeat_run < 0) {
        fprintf(stderr, "%s: expected scenario files or directories (and non-negative numbers)\n",
                who);
        return VDS_EXIT_USAGE;
    }
    if (vds_cli_use_agent_root(who, a->agent_root) != VDS_EXIT_OK)
        return VDS_EXIT_USAGE;
    if (a->update && !a->golden) {
        fprintf(stderr, "%s: --update-golden needs --golden DIR\n", who);
        return VDS_EXIT_USAGE;
    }
    if (a->update && (a->repeat_run > 1 || a->until_fail)) {
        fprintf(stderr,
                "%s: --update-golden writes one run's trace: not with --repeat-run or "
                "--until-fail\n",
                who);
        return VDS_EXIT_USAGE;
    }
    return VDS_EXIT_OK;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(run_args, run_args_clear)

static int cli_run(int argc, char **argv, bool check_only)
{
    const char *who = check_only ? "vdsim vm" : "vdsim run"; /* vm checks before it boots */
    g_auto(run_args) a = {0};
    if (parse_run_args(who, &argc, &argv, &a) != VDS_EXIT_OK)
        return VDS_EXIT_USAGE;
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func((GDestroyNotify)vds_scenario_free);
    g_autoptr(GPtrArray) scenarios = g_ptr_array_new(); /* borrowed from all */
    unsigned shard_k = 1, shard_n = 1;
    if (load_shard(who, argv + 1, a.shard, all, scenarios, &shard_k, &shard_n) < 0)
        return VDS_EXIT_USAGE;
    if (check_only)
        return VDS_EXIT_OK;
    if (scenarios->len == 0) {
        printf("shard %u/%u has no scenarios\n", shard_k, shard_n);
        return VDS_EXIT_OK;
    }
    g_autofree char *default_report = NULL;
    if (!a.report) {
        g_autoptr(GDateTime) now = g_date_time_new_now_utc();
        g_autofree char *stamp = g_date_time_format(now, "%Y%m%dT%H%M%SZ");
        default_report = g_strdup_printf("reports/run-%s", stamp);
    }
    g_auto(GStrv) targets = g_strsplit(a.target ? a.target : "local", ",", -1);
    guint n_targets = g_strv_length(targets);
    vds_run_opts o = {
        .target = targets[0],
        .golden_dir = a.golden,
        .update_golden = a.update,
        .trace_path = a.trace,
        .report_dir = a.report ? a.report : default_report,
        .repeat = (unsigned)a.repeat,
        .tol_floor_ns = (uint64_t)a.tol_ms * 1000000u,
        .tol_pct = (unsigned)a.tol_pct,
        .fresh_agent = a.fresh,
        .strict = a.strict,
        .repeat_run = (unsigned)a.repeat_run,
        .until_fail = a.until_fail,
    };
    if (n_targets > 1) /* per target: its name, a report directory and trace of its own */
        return run_differential(scenarios, targets, n_targets, o.report_dir, &o, a.junit,
                                a.verbose);
    return vds_cli_run_and_report(scenarios, &o, a.junit, a.verbose, NULL, NULL);
}

int vds_cli_run(int argc, char **argv)
{
    return cli_run(argc, argv, false);
}

int vds_cli_run_check(int argc, char **argv)
{
    return cli_run(argc, argv, true);
}
