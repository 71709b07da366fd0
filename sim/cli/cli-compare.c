/* vdsim compare RUN-A RUN-B: what changed between two runs. */
#include <stdio.h>

#include "cli/cli.h"
#include "report/compare.h"

int vds_cli_compare(int argc, char **argv)
{
    vds_runs_compare_opts o = vds_runs_compare_defaults;
    gint min_samples = (gint)o.min_samples;
    GOptionEntry entries[] = {
        {"alpha", 0, 0, G_OPTION_ARG_DOUBLE, &o.alpha,
         "A latency shift counts when the test's p is below this (default 0.01)", "P"},
        {"min-shift-pct", 0, 0, G_OPTION_ARG_DOUBLE, &o.min_shift_pct,
         "...and the median moved at least this many percent (default 10)", "PCT"},
        {"min-shift-ms", 0, 0, G_OPTION_ARG_DOUBLE, &o.min_shift_ms,
         "...and at least this many milliseconds (default 0.1)", "MS"},
        {"min-samples", 0, 0, G_OPTION_ARG_INT, &min_samples,
         "Test only expectations with at least N samples in both runs (default 8)", "N"},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx =
        g_option_context_new("RUN-A RUN-B - what changed from report directory A to B");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(
        ctx, "Per scenario: new failures, fixes, known bugs that stopped (XFAIL to XPASS) or\n"
             "started reproducing, newly skipped, added and gone. Per expectation, with\n"
             "--repeat samples in both runs: latency shifts by the Mann-Whitney U test.\n"
             "Agents and guest image recipes side by side.\n"
             "Exit status: 0 no regression, 1 regressed (a new failure, a pass that became a\n"
             "known bug, a slower expectation), 2 usage or a summary that cannot be read.");
    g_autoptr(GError) gerr = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &gerr) || argc != 3 || o.alpha <= 0 ||
        o.alpha >= 1 || o.min_shift_pct < 0 || o.min_shift_ms < 0 || min_samples < 2) {
        fprintf(stderr, "vdsim compare: %s\n",
                gerr ? gerr->message
                     : "expected two report directories (and 0 < alpha < 1, min-samples >= 2)");
        return VDS_EXIT_USAGE;
    }
    o.min_samples = (unsigned)min_samples;
    vds_err err = {0};
    char ebuf[VDS_ERR_LOC_MAX + VDS_ERR_MSG_MAX];
    vds_comparison c = {0};
    if (vds_compare_runs(argv[1], argv[2], &o, &c, &err) < 0) {
        fprintf(stderr, "vdsim compare: %s\n", vds_err_str(&err, ebuf, sizeof(ebuf)));
        return VDS_EXIT_USAGE;
    }
    fputs(c.text->str, stdout);
    int rc = c.regressions ? VDS_EXIT_FAIL : VDS_EXIT_OK;
    vds_comparison_clear(&c);
    return rc;
}
